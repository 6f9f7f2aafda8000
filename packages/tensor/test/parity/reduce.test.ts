import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReduceOp } from '../../src/backend/backend';
import { CpuBackend } from '../../src/backend/cpu';
import { WebGpuBackend } from '../../src/backend/webgpu';
import { argReduce, reduce } from '../../src/backend/webgpu/codegen/reduce';
import { softmax as softmaxKernel } from '../../src/backend/webgpu/kernels/softmax.wgsl';
import type { DType } from '../../src/dtype';
import { init, type Tensor, tensor } from '../../src/index';
import { openTestGpu, randomValues } from '../helpers';

// WebGPU reduction kernels against the CPU backend where the public ops cannot choose the path:
// the plain tree vs the subgroup path, and a grid too large for one dimension. Every reduction
// and softmax, values and gradients on every device, is in the op table (test/op-table.ts).
// Skips without an adapter; fails with AIMODEL_REQUIRE_WEBGPU=1 and none (openTestGpu throws).
const device = await openTestGpu();
const suite = describe.skipIf(!device);
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

suite('webgpu reduce: 2-D grid', () => {
  it('more outputs than one grid dimension holds (2-D workgroup grid)', async () => {
    const { c, g } = inputs([66_000, 33], 8);
    await parity(c, g, (t) => t.sum(1));
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
