import { afterAll, describe, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu';
import { WebGpuBackend } from '../../src/backend/webgpu';
import { DTYPES } from '../../src/dtype';
import { openTestGpu } from '../helpers';
import { expectSameStorageOn, hostValues, on, pairOn, randomShape, rng, sourceView, targetView } from '../webgpu/storage-views';

// `npm run test:kernels`: strided copies on WebGPU against the CPU backend, four random views
// (ranks 0-5, broadcast and zero-size dims, permuted and padded targets) for every dtype
// conversion: ~100 copy kernels. test/webgpu/runtime.test.ts covers every conversion at one rank
// and every rank for two conversions in the default run.
const device = await openTestGpu();
const gpu = device ? new WebGpuBackend(device) : (null as unknown as WebGpuBackend);
const cpu = new CpuBackend();
afterAll(() => device?.destroy());

describe.skipIf(!device)('webgpu copy, every dtype conversion on random views', () => {
  it.each(DTYPES)('from %s', async (from) => {
    const r = rng(11 + from.length);
    for (const to of DTYPES) {
      for (let k = 0; k < 4; k++) {
        const shape = randomShape(r);
        const s = sourceView(r, shape);
        const d = targetView(r, shape);
        const src = pairOn(cpu, gpu, from, hostValues(from, s.size, r));
        const dst = pairOn(cpu, gpu, to, hostValues(to, d.size, r));
        cpu.copy(on(src.c, { shape, ...s }), on(dst.c, { shape, ...d }));
        gpu.copy(on(src.g, { shape, ...s }), on(dst.g, { shape, ...d }));
        await expectSameStorageOn(cpu, gpu, dst.c, dst.g, `copy ${from}→${to} ${JSON.stringify({ shape, s, d })}`);
        gpu.free(src.g);
        gpu.free(dst.g);
      }
    }
  });
});
