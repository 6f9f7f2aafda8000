import { describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../../src/backend/webgpu';
import { chunksFor } from '../../src/backend/webgpu/kernels/norm.wgsl';
import { fromArray } from '../../src/creation';
import { backendOf } from '../../src/device';
import { batchNorm, layerNorm, memory, ones, scope, type Tensor, tensor, zeros } from '../../src/index';
import { DEVICES, randomValues } from '../helpers';
import { both, expectSame, kernelBackends } from './harness';
import { normParity, TOL, whole } from './norm-harness';

// The fused normalization primitives (layerNorm, batchNorm) on WebGPU against the CPU backend:
// first the kernels on hand-made strided views, then the public ops with their gradients.
// A kernel bakes in its workgroup size (64, or 256 for rows over 1024) and its register slots per
// invocation (a power of two from the row length), so each row length below stands for one of
// those variants; test/kernels/norm.test.ts (`npm run test:kernels`) sweeps longer lists.

const { device, gpu, cpu } = await kernelBackends();
const expectKernelParity = device ? normParity(gpu, cpu) : async () => {};

describe.skipIf(!device)('webgpu normalize kernels vs the CPU backend', () => {
  it('row lengths 7 and 1025 (both workgroup sizes, partial strides), plain and affine', async () => {
    let seed = 1;
    for (const cols of [7, 1025]) {
      await expectKernelParity({ shape: [3, cols], rowDims: 1 }, seed++ * 10);
      await expectKernelParity({ shape: [2, cols], rowDims: 1, wStrides: [0, 1], bias: true }, seed++ * 10);
    }
  });

  it('layerNorm layouts: 2-D normalized shape, weight only, no row dims, a large eps', async () => {
    await expectKernelParity({ shape: [2, 3, 5, 6], rowDims: 2, wStrides: [0, 0, 6, 1] }, 100);
    await expectKernelParity({ shape: [13], rowDims: 0, wStrides: [1], bias: true }, 110);
    await expectKernelParity({ shape: [4, 9], rowDims: 1, eps: 0.5 }, 120);
  });

  it('batchNorm layout: channels as rows of a permuted [C, N, H·W] view, per-channel weight', async () => {
    // x [N=3, C=5, S=7] read as [C, N, S]; out written back in [N, C, S] order
    const shape = [5, 3, 7];
    const nchw = [7, 35, 1];
    await expectKernelParity({ shape, rowDims: 1, xStrides: nchw, outStrides: nchw, wStrides: [1, 0, 0], bias: true }, 130);
    await expectKernelParity({ shape: [4, 6, 2, 3], rowDims: 1, xStrides: [6, 24, 3, 1], outStrides: [6, 24, 3, 1], wStrides: [1, 0, 0, 0] }, 140);
  });

  it('non-contiguous inputs: transposed rows and stepped cols', async () => {
    await expectKernelParity({ shape: [6, 11], rowDims: 1, xStrides: [1, 6], wStrides: [0, 2], bias: true }, 150);
    await expectKernelParity({ shape: [4, 5], rowDims: 1, xStrides: [12, 2] }, 160);
  });

  it('rows read from memory twice (no register cache): lengths, layouts, affine', async () => {
    for (const [k, cols] of [7, 1025].entries()) {
      await expectKernelParity({ shape: [3, cols], rowDims: 1, wStrides: [0, 1], bias: true, cache: false }, 300 + k);
    }
    await expectKernelParity({ shape: [5, 3, 7], rowDims: 1, xStrides: [7, 35, 1], outStrides: [7, 35, 1], wStrides: [1, 0, 0], cache: false }, 310);
  });

  it('rows split into spans (partial + apply dispatches), including empty trailing spans', async () => {
    await expectKernelParity({ shape: [3, 7], rowDims: 1, chunks: 5, wStrides: [0, 1], bias: true }, 200);
    await expectKernelParity({ shape: [2, 1500], rowDims: 1, chunks: 3 }, 210);
    await expectKernelParity(
      { shape: [4, 3, 50], rowDims: 1, chunks: 7, xStrides: [50, 200, 1], outStrides: [50, 200, 1], wStrides: [1, 0, 0], bias: true },
      220,
    );
    await expectKernelParity({ shape: [9], rowDims: 0, chunks: 4, wStrides: [1] }, 230);
  });

  it('few long rows split by default (batchNorm-like: 4 channels of 40,000)', async () => {
    expect(chunksFor(4, 40_000)).toBe(9);
    expect(chunksFor(4096, 1024)).toBe(1);
    expect(chunksFor(1, 1_000_000)).toBe(244);
    await expectKernelParity({ shape: [4, 40_000], rowDims: 1, wStrides: [1, 0], bias: true }, 240);
  });

  it('more rows than one grid dimension holds (70,000 rows of 2)', async () => {
    // eps 0.1: a pair of nearly equal values in float32 loses digits of (a − b) whatever the kernel
    // does (the CPU works in float64), and among 70,000 random pairs some are that close
    await expectKernelParity({ shape: [70_000, 2], rowDims: 1, eps: 0.1 }, 170);
  });

  it('a constant row normalizes to 0 on both (variance 0, eps keeps it finite)', async () => {
    const x = gpu.alloc('float32', 4);
    gpu.write(x, Float32Array.from([3, 3, 3, 3]));
    const [out, mean, variance] = [4, 1, 1].map((k) => gpu.alloc('float32', k));
    gpu.normalize(whole(x), null, null, whole(out), mean, variance, { rowDims: 0, eps: 1e-5 });
    expect(Array.from(await gpu.read(whole(out)))).toEqual([0, 0, 0, 0]);
    expect((await gpu.read(whole(mean)))[0]).toBe(3);
    expect((await gpu.read(whole(variance)))[0]).toBe(0);
    for (const s of [x, out, mean, variance]) gpu.free(s);
  });
});

// ── through the public ops, webgpu vs cpu ──────────────────────────────────
const hasWebGpu = DEVICES.includes('webgpu');
const same = (g: Tensor, c: Tensor) => expectSame(g, c, { rtol: 1e-3, atol: 1e-4 });

describe.skipIf(!hasWebGpu)('layerNorm and batchNorm on webgpu vs cpu', () => {
  // first in this block: no earlier test's tensors are left for the GC to collect mid-measurement
  it('no leak: memory() is unchanged after forward and backward in a scope', async () => {
    // leaves made in one step: an unreachable intermediate (as `both` leaves) could be collected by
    // the GC during the measurement and move the count
    const leaf = (shape: number[], seed: number) => ({
      g: fromArray(
        randomValues(
          shape.reduce((a, b) => a * b, 1),
          seed,
        ),
        shape,
        { device: 'webgpu', requiresGrad: true },
      ),
    });
    const x = leaf([8, 16], 15);
    const w = leaf([16], 16);
    const step = () =>
      scope(() => {
        const y = layerNorm(x.g, 16, { weight: w.g });
        y.mul(y).sum().backward();
        batchNorm(x.g.reshape([4, 2, 16]), null, null, { training: true })
          .sum()
          .backward();
      });
    const clearGrads = () => {
      for (const t of [x.g, w.g]) {
        t.grad?.dispose();
        t.grad = null;
      }
    };
    step();
    clearGrads();
    const before = memory().devices.webgpu;
    for (let i = 0; i < 5; i++) {
      step();
      clearGrads();
    }
    await x.g.data();
    expect(memory().devices.webgpu).toEqual(before);
    for (const t of [x.g, w.g]) t.dispose();
  });

  it('layerNorm forward and gradients of x, weight and bias (one fused node each way)', async () => {
    const x = both([4, 3, 10], 1, true);
    const w = both([3, 10], 2, true);
    const b = both([3, 10], 3, true);
    const gy = both([4, 3, 10], 4);
    const yg = layerNorm(x.g, [3, 10], { weight: w.g, bias: b.g });
    expect(yg._node?.op).toBe('layerNorm');
    const yc = layerNorm(x.c, [3, 10], { weight: w.c, bias: b.c });
    await same(yg, yc);
    yg.backward(gy.g);
    yc.backward(gy.c);
    for (const t of [x, w, b]) await same(t.g.grad!, t.c.grad!);
  });

  it('the weight gradient comes out of the backward kernel: 4 dispatches forward and backward; weight only also matches', async () => {
    const x = both([6, 40], 5, true);
    const w = both([40], 6, true);
    const b = both([40], 7, true);
    const gy = both([6, 40], 8);
    const rt = (backendOf('webgpu') as WebGpuBackend).runtime;
    const before = rt.stats().dispatches;
    layerNorm(x.g, 40, { weight: w.g, bias: b.g }).backward(gy.g);
    // normalize, normalizeBackward (∂x and gy·x̂), and the sums of gy·x̂ and gy over the rows
    expect(rt.stats().dispatches - before).toBe(4);
    layerNorm(x.c, 40, { weight: w.c, bias: b.c }).backward(gy.c);
    for (const t of [x, w, b]) await same(t.g.grad!, t.c.grad!);
    // x without a gradient: the weight's thunk runs the backward kernel itself
    const xg = x.g.detach();
    const xc = x.c.detach();
    for (const t of [w.g, w.c]) t.grad = null;
    layerNorm(xg, 40, { weight: w.g }).backward(gy.g);
    layerNorm(xc, 40, { weight: w.c }).backward(gy.c);
    await same(w.g.grad!, w.c.grad!);
  });

  it('a NaN or an infinity poisons its own row only, as on the CPU', async () => {
    const rows = [
      [1, Number.NaN, 2, 3],
      [4, 5, 6, 7],
      [Number.POSITIVE_INFINITY, 1, 2, 3],
    ];
    const got = await layerNorm(tensor(rows, { device: 'webgpu' }), 4).toArray();
    const want = await layerNorm(tensor(rows), 4).toArray();
    expect(got).toBeAllClose(want, TOL);
    expect((got as number[][])[0].every(Number.isNaN)).toBe(true);
    expect((got as number[][])[1].every(Number.isFinite)).toBe(true);
  });

  it('layerNorm of a transposed (non-contiguous) input, without affine', async () => {
    const x = both([6, 5], 5, true);
    const gy = both([5, 6], 6);
    const yg = layerNorm(x.g.transpose(0, 1), 6);
    const yc = layerNorm(x.c.transpose(0, 1), 6);
    await same(yg, yc);
    yg.backward(gy.g);
    yc.backward(gy.c);
    await same(x.g.grad!, x.c.grad!);
  });

  it('batchNorm in training: output, running statistics and gradients', async () => {
    const x = both([5, 3, 4, 2], 7, true);
    const w = both([3], 8, true);
    const b = both([3], 9, true);
    const gy = both([5, 3, 4, 2], 10);
    const stats = (device: 'cpu' | 'webgpu') => [zeros([3], { device }), ones([3], { device })];
    const [rmg, rvg] = stats('webgpu');
    const [rmc, rvc] = stats('cpu');
    const yg = batchNorm(x.g, rmg, rvg, { training: true, weight: w.g, bias: b.g, momentum: 0.3 });
    const yc = batchNorm(x.c, rmc, rvc, { training: true, weight: w.c, bias: b.c, momentum: 0.3 });
    expect(yg._node?.op).toBe('batchNorm');
    await same(yg, yc);
    await same(rmg, rmc);
    await same(rvg, rvc);
    yg.backward(gy.g);
    yc.backward(gy.c);
    for (const t of [x, w, b]) await same(t.g.grad!, t.c.grad!);
  });

  it('batchNorm on [N, C] and in eval mode', async () => {
    const x = both([6, 4], 11, true);
    const gy = both([6, 4], 12);
    const yg = batchNorm(x.g, null, null, { training: true });
    const yc = batchNorm(x.c, null, null, { training: true });
    await same(yg, yc);
    yg.backward(gy.g);
    yc.backward(gy.c);
    await same(x.g.grad!, x.c.grad!);
    const rm = both([4], 13);
    const rv = both([4], 14, false, [0.5, 2]);
    await same(batchNorm(x.g, rm.g, rv.g), batchNorm(x.c, rm.c, rv.c));
  });
});
