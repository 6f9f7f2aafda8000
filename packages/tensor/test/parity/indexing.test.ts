import { describe, expect, it } from 'vitest';
import { fromArray } from '../../src/creation';
import {type Tensor, cat, embedding, gather, indexSelect, memory, oneHot, pad, scatterAdd,
  stack, tile, zeros,
} from '../../src/index';
import { DEVICES, randomValues } from '../helpers';
import { type Input, ints, numelOf, runOn } from './harness';

/**
 * WebGPU vs CPU for the indexing family through the public ops: forward values, and gradients
 * computed on the device (backward seeded with a fixed random gradient, so no other kernel
 * family is needed beyond what each op's own gradient uses). Shapes straddle the 64-invocation
 * workgroup size.
 */

const suite = describe.skipIf(!(DEVICES.includes('webgpu')));

const floats = (shape: number[], seed: number, grad = true): Input => ({ values: randomValues(numelOf(shape), seed), shape, grad });
/** The op on WebGPU matches the op on the CPU, values and gradients. */
async function expectParity(inputs: readonly Input[], fn: (...xs: Tensor[]) => Tensor, tol = { rtol: 1e-5, atol: 1e-6 }): Promise<void> {
  const want = await runOn('cpu', inputs, fn);
  const got = await runOn('webgpu', inputs, fn);
  expect(got.value).toBeAllClose(want.value, tol);
  expect(got.grads.length).toBe(want.grads.length);
  got.grads.forEach((g, k) => {
    expect(g).toBeAllClose(want.grads[k], tol);
  });
}

suite('indexing parity: WebGPU vs CPU', () => {
  it('gather along every dim, negative indices, strided input and index', async () => {
    for (const dim of [0, 1, 2]) {
      const shape = [5, 7, 9];
      const ishape = shape.map((d, i) => (i === dim ? 11 : d - 1));
      await expectParity([floats(shape, dim + 1), ints(ishape, -shape[dim], shape[dim] - 1, dim + 7)], (x, i) => gather(x, dim, i));
    }
    // x a strided slice, index a transposed view: both walked through their strides
    await expectParity([floats([9, 12], 3), ints([70, 9], -4, 3, 5)], (x, i) => x.slice(1, 1, 12, 3).gather(1, i.transpose(0, 1)));
  });

  it('scatterAdd accumulates repeated indices (float32 and int32; src beyond index ignored)', async () => {
    // 300 updates into 7 rows: many invocations race on each output element
    await expectParity([floats([7, 5], 1), ints([300, 5], -7, 6, 2), floats([301, 6], 3)], (x, i, s) => scatterAdd(x, 0, i, s), { rtol: 1e-5, atol: 1e-5 });
    await expectParity([floats([4, 6, 3], 4), ints([4, 20, 3], 0, 5, 5), floats([4, 20, 3], 6)], (x, i, s) => x.scatterAdd(1, i, s), { rtol: 1e-5, atol: 1e-5 });
    const intInputs: Input[] = [ints([6, 5], -50, 50, 7), ints([130, 5], 0, 5, 8), ints([130, 5], -1000, 1000, 9)];
    await expectParity(intInputs, (x, i, s) => x.scatterAdd(0, i, s), { rtol: 0, atol: 0 });
  });

  it('scatterAdd on 8-bit integers wraps like the CPU', async () => {
    const x: Input = { values: [0, 0, 0], shape: [3], dtype: 'int8' };
    const s8: Input = { values: [100, 100, -100, 120, 7], shape: [5], dtype: 'int8' };
    const i: Input = { values: [0, 0, 1, 2, 2], shape: [5], dtype: 'int32' };
    await expectParity([x, i, s8], (a, b, c) => a.scatterAdd(0, b, c), { rtol: 0, atol: 0 });
    const u8: Input = { values: [200, 100, 3, 255, 255], shape: [5], dtype: 'uint8' };
    await expectParity([{ ...x, dtype: 'uint8' }, i, u8], (a, b, c) => a.scatterAdd(0, b, c), { rtol: 0, atol: 0 });
  });

  it('out-of-range indices never touch memory on the GPU: gather gives 0, scatterAdd skips them', async () => {
    const x = fromArray([1, 2, 3, 4], [2, 2], { device: 'webgpu' });
    const i = fromArray([5, 0, -3, 1], [2, 2], { device: 'webgpu', dtype: 'int32' });
    expect(await x.gather(1, i).toArray()).toEqual([[0, 1], [0, 4]]);
    expect(await zeros([2, 2], { device: 'webgpu' }).scatterAdd(1, i, x).toArray()).toEqual([[2, 0], [0, 4]]);
  });

  it('indexSelect and embedding', async () => {
    await expectParity([floats([6, 70], 1), ints([9], -6, 5, 2)], (x, i) => indexSelect(x, 0, i));
    await expectParity([floats([3, 70], 3), ints([100], 0, 69, 4)], (x, i) => indexSelect(x, -1, i));
    // embedding with repeated indices: the weight gradient accumulates the repeated rows
    await expectParity([ints([5, 13], 0, 3, 5), floats([4, 17], 6)], (i, w) => embedding(i, w), { rtol: 1e-5, atol: 1e-5 });
  });

  it('oneHot with numClasses given (computed on the device)', async () => {
    await expectParity([ints([3, 7], 0, 9, 7)], (i) => oneHot(i, 10), { rtol: 0, atol: 0 });
  });

  it('cat, stack and pad (constant and reflect)', async () => {
    await expectParity([floats([3, 5], 1), floats([4, 5], 2), floats([1, 5], 3)], (a, b, c) => cat([a, b, c], 0));
    await expectParity([floats([3, 5], 4), floats([3, 2], 5)], (a, b) => cat([a.transpose(0, 1), b.transpose(0, 1)], 0));
    await expectParity([floats([3, 5], 6), floats([3, 5], 7)], (a, b) => stack([a, b], 1));
    await expectParity([floats([2, 3, 5], 8)], (x) => pad(x, [1, 2, 0, 3], { value: 1.5 }));
    await expectParity([floats([2, 4, 5], 9)], (x) => pad(x, [3, 2, 1, 3], { mode: 'reflect' }));
  });

  it('tile (its gradient sums the copies)', async () => {
    await expectParity([floats([2, 3], 10)], (x) => tile(x, [3, 1, 2]));
  });

  it('narrow and slice are views on the device: no new memory, reads and gradients match', async () => {
    const x = fromArray(randomValues(60, 1), [6, 10], { device: 'webgpu' });
    const before = memory().devices.webgpu;
    const n = x.narrow(1, 2, 5);
    const s = x.slice(0, 1, 6, 2);
    expect(memory().devices.webgpu.bytes).toBe(before.bytes);
    const host = await x.toArray() as number[][];
    expect(await n.toArray()).toEqual(host.map((r) => r.slice(2, 7)));
    expect(await s.toArray()).toEqual([host[1], host[3], host[5]]);
    for (const t of [n, s, x]) t.dispose();
    await expectParity([floats([6, 10], 2)], (a) => a.narrow(1, 2, 5).contiguous());
    await expectParity([floats([6, 10], 3)], (a) => a.slice(0, 1, 6, 2).slice(1, -4).contiguous());
  });
});
