import { describe, expect, it } from 'vitest';
import { argsort } from '../../src/backend/webgpu/kernels/sort.wgsl';
import { tensor } from '../../src/index';
import { randomValues } from '../helpers';
import { kernelBackends } from './harness';

// The WebGPU argsort's row batching, which the public op only takes for tensors whose scratch
// would pass a storage binding: here forced with a small scratch limit, against the CPU backend.
// Every sorting op on every device is in the op table (test/op-table/sorting.ts).
const { device, gpu, cpu } = await kernelBackends();

describe.skipIf(!device)('webgpu argsort in row batches', () => {
  it.each([
    [5, 3000, 2 * 4096 * 8], // 2 rows per batch, 3 batches
    [3, 1100, 1], // 1 row per batch
  ])('%i rows of %i, scratch of %i bytes', async (rows, n, scratchBytes) => {
    const values = randomValues(rows * n, rows + n, -50, 50).map(Math.round); // ties
    const x = tensor(values).reshape([n, rows]).transpose(0, 1); // strided rows
    const xg = gpu.alloc('float32', rows * n);
    gpu.write(xg, Float32Array.from(values));
    const view = (s: typeof xg) => ({ storage: s, shape: [rows, n], strides: [1, rows], offset: 0 });
    const oc = cpu.alloc('int32', rows * n);
    const og = gpu.alloc('int32', rows * n);
    cpu.argsort(x._view(), 1, true, oc);
    argsort(gpu.runtime, view(xg), 1, true, og, { scratchBytes });
    const whole = (s: typeof oc) => ({ storage: s, shape: [rows * n], strides: [1], offset: 0 });
    expect(Array.from(await gpu.read(whole(og)))).toEqual(Array.from(cpu.readSync(whole(oc))));
    for (const s of [xg, og]) gpu.free(s);
    x.dispose();
  });
});
