// The breadth layers whose WebGPU run compiles many pipelines (10–15 s each for lavapipe on a cold
// shader cache): here, in `npm run test:kernels` (CI's own step), rather than in `npm test`.
import { describe } from 'vitest';
import { Conv3d, TransformerDecoderLayer } from '../../src/index';
import { itMatchesCpu } from '../layers/webgpu-layer-cases';
import { hasWebGpu } from '../webgpu-available';

const WEBGPU = await hasWebGpu();

describe.skipIf(!WEBGPU)('breadth layers on WebGPU match the CPU (slow to compile)', () => {
  itMatchesCpu([
    ['Conv3d', () => new Conv3d(2, 3, [2, 3, 2], { padding: 1, stride: [1, 2, 1], groups: 1, paddingMode: 'replicate' }), [1, 2, 3, 4, 3]],
    ['Conv3d groups 2, unbatched', () => new Conv3d(2, 4, 2, { groups: 2, dilation: [2, 1, 1] }), [2, 4, 3, 3]],
    ['TransformerDecoderLayer', () => new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true }), [2, 3, 8]],
  ]);
});
