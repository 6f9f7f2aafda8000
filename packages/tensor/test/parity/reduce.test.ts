import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReduceOp } from '../../src/backend/backend';
import { CpuBackend } from '../../src/backend/cpu';
import { WebGpuBackend } from '../../src/backend/webgpu';
import { argReduce, reduce } from '../../src/backend/webgpu/codegen/reduce';
import { softmax as softmaxKernel } from '../../src/backend/webgpu/kernels/softmax.wgsl';
import type { DType } from '../../src/dtype';
import { init, type Tensor, tensor } from '../../src/index';
import { openTestGpu, randomValues } from '../helpers';

// WebGPU reductions and softmax against the CPU backend. Skips without an adapter; fails with
// AIMODEL_REQUIRE_WEBGPU=1 and none (openTestGpu throws).
const device = await openTestGpu();
const suite = describe.skipIf(!(device));
afterAll(() => device?.destroy());

beforeAll(async () => {
  if (!device) return;
  try {
    await init({ device: 'webgpu' });
  } finally {
    await init({ device: 'cpu' });
  }
});

type View = (t: Tensor) => Tensor;
const same: View = (t) => t;

/** A seeded CPU tensor of `shape` (values in [lo, hi)) and its copy on the GPU, both through `view`. */
function inputs(shape: number[], seed: number, view: View = same, lo = -2, hi = 2, dtype: DType = 'float32') {
  const n = shape.reduce((a, b) => a * b, 1);
  let vals = randomValues(n, seed, lo, hi);
  if (dtype !== 'float32') vals = vals.map((v) => (dtype === 'bool' ? Number(v > 0) : Math.round(v)));
  const c = tensor(vals, { dtype }).reshape(shape);
  return { c: view(c), g: view(c.to('webgpu')) };
}

/** Apply `f` on both devices; compare shape, dtype and values. */
async function parity(c: Tensor, g: Tensor, f: (t: Tensor) => Tensor, tol = { rtol: 1e-4, atol: 1e-5 }) {
  const want = f(c);
  const got = f(g);
  expect(got.device).toBe('webgpu');
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  expect(await got.data()).toBeAllClose(want.dataSync(), tol);
}

const transposed: View = (t) => t.transpose(0, t.ndim - 1);
const stepped: View = (t) => t.slice(0, 1, undefined, 2);
const OPS = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as const;
const run = (op: (typeof OPS)[number], t: Tensor, dim?: number | number[], keepdim?: boolean): Tensor =>
  op === 'argmax' || op === 'argmin' ? t[op](dim as number | undefined, keepdim) : t[op](dim, keepdim);

suite('webgpu reduce parity', () => {
  it('every op along the reduced sizes 1, 7, 257, 1000, 4099 (rows and columns)', async () => {
    for (const n of [1, 7, 257, 1000, 4099]) {
      for (const op of OPS) {
        // prod of many values: keep them near 1 so the result neither under- nor overflows
        const [lo, hi] = op === 'prod' ? [0.9, 1.1] : [-2, 2];
        const tol = { rtol: op === 'prod' ? 2e-3 : 1e-4, atol: 1e-4 * Math.sqrt(n) };
        const rows = inputs([3, n], n, same, lo, hi);
        await parity(rows.c, rows.g, (t) => run(op, t, -1), tol);
        const cols = inputs([n, 2], n + 1, same, lo, hi);
        await parity(cols.c, cols.g, (t) => run(op, t, 0), tol);
      }
    }
  });

  it('dims: none, one, negative, several, all; keepdim; non-contiguous views', async () => {
    for (const view of [same, transposed, stepped]) {
      const { c, g } = inputs([5, 3, 7], 11, view);
      for (const op of ['sum', 'prod', 'max', 'min'] as const) {
        for (const dims of [undefined, 1, -1, [0, 2], [2, 0], [0, 1, 2]]) {
          for (const keepdim of [false, true]) await parity(c, g, (t) => run(op, t, dims, keepdim));
        }
      }
      for (const op of ['argmax', 'argmin'] as const) {
        for (const dim of [undefined, 0, -1, 1]) await parity(c, g, (t) => run(op, t, dim, dim === 1));
      }
    }
    const b = inputs([1, 4, 1, 3], 3, (t) => t.expand([2, 4, 5, 3])); // broadcast (stride-0) dims
    await parity(b.c, b.g, (t) => t.sum([0, 2]));
    await parity(b.c, b.g, (t) => t.max(2, true));
    const s = inputs([], 4); // a 0-d tensor
    for (const op of OPS) await parity(s.c, s.g, (t) => run(op, t));
  });

  it('int32, int8, uint8 and bool: sums and products in int32, max/min/arg in the input dtype', async () => {
    for (const dtype of ['int32', 'int8', 'uint8', 'bool'] as const) {
      const [lo, hi] = dtype === 'uint8' ? [0, 200] : [-100, 100];
      const { c, g } = inputs([6, 37], 21, transposed, lo, hi, dtype);
      for (const op of OPS) {
        if (op === 'prod' && dtype !== 'bool') continue; // int32 products wrap differently past 2^53
        for (const dim of [0, 1]) await parity(c, g, (t) => run(op, t, dim), { rtol: 0, atol: 0 });
      }
      await parity(c, g, (t) => t.sum(), { rtol: 0, atol: 0 });
    }
  });

  it('NaN propagates through max/min, wins argmax/argmin (first occurrence), poisons sums', async () => {
    const vals = randomValues(4 * 300, 5);
    vals[2 * 300 + 17] = Number.NaN;
    vals[2 * 300 + 99] = Number.NaN;
    vals[5] = Number.NaN;
    vals[3 * 300 + 1] = Number.POSITIVE_INFINITY;
    vals[3 * 300 + 2] = Number.NEGATIVE_INFINITY;
    const c = tensor(vals).reshape([4, 300]);
    const g = c.to('webgpu');
    for (const op of OPS) {
      for (const dim of [0, 1]) await parity(c, g, (t) => run(op, t, dim));
    }
    await parity(c.narrow(1, 0, 9), g.narrow(1, 0, 9), (t) => t.argmin(1)); // the thread-per-output kernel
  });

  it('empty tensors: empty reductions give the identity; empty outputs give nothing', async () => {
    const { c, g } = inputs([3, 0, 2], 1);
    await parity(c, g, (t) => t.sum(1));
    await parity(c, g, (t) => t.prod([1, 2]));
    await parity(c, g, (t) => t.sum(0));
    await parity(c, g, (t) => t.max(2));
    await parity(c, g, (t) => t.sum());
  });

  it('more outputs than one grid dimension holds (2-D workgroup grid)', async () => {
    const { c, g } = inputs([66_000, 33], 8);
    await parity(c, g, (t) => t.sum(1));
  });

  it('softmax and logSoftmax along any dim of strided inputs, sizes 1 … 9000', async () => {
    // ≤ 8192: rows kept in registers (slots 1 … 32 per invocation); 9000: read twice from memory
    for (const n of [1, 7, 257, 1000, 4099, 8192, 9000]) {
      const { c, g } = inputs([2, n], n, same, -8, 8);
      for (const f of [(t: Tensor) => t.softmax(-1), (t: Tensor) => t.logSoftmax(-1)]) await parity(c, g, f);
    }
    for (const view of [same, transposed, stepped]) {
      const { c, g } = inputs([6, 5, 4], 9, view, -5, 5);
      for (const dim of [0, 1, 2, -1]) {
        await parity(c, g, (t) => t.softmax(dim));
        await parity(c, g, (t) => t.logSoftmax(dim));
      }
    }
    const e = inputs([0, 3], 1);
    await parity(e.c, e.g, (t) => t.softmax(-1));
  });

  it('softmax rows with −∞ (all −∞ → NaN) and NaN', async () => {
    const ninf = Number.NEGATIVE_INFINITY;
    const rows = [[1, ninf, 2, 3], [ninf, ninf, ninf, ninf], [1, Number.NaN, 2, 0], [ninf, 0, ninf, -1]];
    const c = tensor(rows);
    for (const dim of [0, 1]) {
      await parity(c, c.to('webgpu'), (t) => t.softmax(dim));
      await parity(c, c.to('webgpu'), (t) => t.logSoftmax(dim));
    }
  });

  it('mean, variance, std and logsumexp', async () => {
    for (const view of [same, transposed]) {
      const { c, g } = inputs([4, 257], 12, view);
      for (const dims of [undefined, 0, -1, [0, 1]]) {
        await parity(c, g, (t) => t.mean(dims, true));
        await parity(c, g, (t) => t.variance(dims));
        await parity(c, g, (t) => t.std({ dim: dims, correction: 0 }));
        await parity(c, g, (t) => t.logsumexp(dims));
      }
    }
  });

  it('gradients on the device match the CPU', async () => {
    const fns: ((t: Tensor) => Tensor)[] = [
      (t) => t.softmax(0), (t) => t.logSoftmax(-1), (t) => t.logsumexp(1),
      (t) => t.max(0), (t) => t.mean(-1), (t) => t.variance(1),
    ];
    for (const f of fns) {
      for (const shape of [[5, 7], [3, 300]]) {
        const n = shape[0] * shape[1];
        const data = tensor(randomValues(n, n)).reshape(shape);
        const grads: Float32Array[] = [];
        for (const dev of ['cpu', 'webgpu'] as const) {
          const x = data.to(dev).detach();
          x.requiresGrad = true;
          const y = f(x.transpose(0, 1).transpose(0, 1));
          const gy = tensor(randomValues(y.numel(), 7)).reshape(y.shape);
          y.backward(gy.to(dev));
          grads.push((await x.grad!.data()) as Float32Array);
        }
        expect(grads[1]).toBeAllClose(grads[0], { rtol: 1e-4, atol: 1e-5 });
      }
    }
  });
});

suite('webgpu reduce kernels: tree and subgroup paths', () => {
  const gpu = device ? new WebGpuBackend(device) : (null as unknown as WebGpuBackend);
  const cpu = new CpuBackend();

  it('the plain tree path (no subgroups) and the adapter’s path agree with the CPU', async () => {
    const data = new Float32Array(randomValues(4500, 2, -3, 3));
    data[1500 + 700] = Number.NaN;
    const xc = cpu.alloc('float32', data.length);
    const xg = gpu.alloc('float32', data.length);
    cpu.write(xc, data);
    gpu.write(xg, data);
    for (const n of [40, 300, 1500, 301, 1499]) {
      const v = (s: typeof xc) => ({ storage: s, shape: [3, n], strides: [1500, 1], offset: 0 });
      for (const subgroups of [false, true]) {
        for (const op of ['sum', 'prod', 'max', 'min', 'argmax', 'argmin', 'softmax'] as const) {
          const outSize = op === 'softmax' ? 3 * n : 3;
          const oc = cpu.alloc(op.startsWith('arg') ? 'int32' : 'float32', outSize);
          const og = gpu.alloc(oc.dtype, outSize);
          if (op === 'softmax') {
            cpu.softmax(v(xc), 1, false, oc);
            // the register-cached kernel, or (odd n) rows streamed from memory twice
            softmaxKernel(gpu.runtime, v(xg), 1, false, og, { subgroups, cache: n % 2 === 0 });
          } else if (op === 'argmax' || op === 'argmin') {
            cpu.argReduce(op, v(xc), 1, oc);
            argReduce(gpu.runtime, op, v(xg), 1, og, { subgroups });
          } else {
            cpu.reduce(op as ReduceOp, v(xc), [1], oc);
            reduce(gpu.runtime, op as ReduceOp, v(xg), [1], og, { subgroups });
          }
          const whole = (s: typeof oc) => ({ storage: s, shape: [outSize], strides: [1], offset: 0 });
          expect(await gpu.read(whole(og))).toBeAllClose(cpu.readSync(whole(oc)), { rtol: 1e-4, atol: 1e-4 });
        }
      }
    }
  });
});
