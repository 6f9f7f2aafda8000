// The transfer-learning seed example on WebGPU: a whole small CNN training run, so lavapipe compiles
// every pipeline of it (38 s with a cold shader cache): here, in `npm run test:kernels`, rather than
// in `npm test`. Build first (the example imports the built packages).
import { describe, expect, it } from 'vitest';
import { run } from '../examples/seed-run';
import { hasWebGpu } from '../webgpu-available';

const WEBGPU = await hasWebGpu();

describe.skipIf(!WEBGPU)('seed examples on WebGPU', () => {
  it('transfer-learning: the frozen backbone (batch norm included) stays bit-identical on the device too', async () => {
    const { result, lines } = await run<{ accA: number; accB: number; reloadedIdentical: boolean; frozenIdentical: boolean; headChanged: boolean }>(
      'transfer-learning',
      { device: 'webgpu' },
    );
    expect(lines[0]).toMatch(/on webgpu$/);
    expect(result.reloadedIdentical).toBe(true);
    expect(result.frozenIdentical).toBe(true);
    expect(result.headChanged).toBe(true);
    expect(result.accA).toBeGreaterThan(0.9);
    expect(result.accB).toBeGreaterThan(0.6);
  });
});
