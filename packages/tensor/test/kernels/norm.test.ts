import { describe, it } from 'vitest';
import { kernelBackends } from '../parity/harness';
import { normParity } from '../parity/norm-harness';

// `npm run test:kernels`: the normalize kernels over the row lengths that select each register-slot
// count (1 to 32 slots per invocation, and none past that) at both workgroup sizes, plain and
// affine, with and without the register cache. test/parity/norm.test.ts covers each kernel path
// with one length per workgroup size in the default run.
const { device, gpu, cpu } = await kernelBackends();
const expectKernelParity = device ? normParity(gpu, cpu) : async () => {};

// 1, 7, 64: 64 threads, 1 slot; 200: 4 slots; 1000: 16 slots; 1025: 256 threads, 8 slots;
// 4099: 32 slots; 9000: more than 32 slots, read twice
const LENGTHS = [1, 64, 200, 1000, 4099, 9000];

describe.skipIf(!device)('webgpu normalize kernels, every row-length class', () => {
  it.each(LENGTHS)('rows of %i, plain and affine', async (cols) => {
    await expectKernelParity({ shape: [3, cols], rowDims: 1 }, cols * 10);
    await expectKernelParity({ shape: [2, cols], rowDims: 1, wStrides: [0, 1], bias: true }, cols * 10 + 5);
  });

  it.each(LENGTHS)('rows of %i read from memory twice (no register cache), affine', async (cols) => {
    await expectKernelParity({ shape: [3, cols], rowDims: 1, wStrides: [0, 1], bias: true, cache: false }, 300 + cols);
  });
});
