import { describe, expect, it } from 'vitest';
import type { AvgPool2dParams, Backend, Conv2dParams, Pool2dParams, Storage, View } from '../../src/backend/backend';
import { randomValues } from '../helpers';
import { kernelBackends } from './harness';

/**
 * WebGPU conv/pool kernels against the CPU backend: the six primitives driven directly (inputs at
 * a non-zero offset, sizes that are not multiples of the GEMM tiles). The public ops, forward and
 * gradients on every device, are in the op table (test/op-table.ts).
 */

const { device: gpuDevice, gpu, cpu } = await kernelBackends();
const suite = describe.skipIf(!gpuDevice);

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const TOL = { rtol: 1e-4, atol: 1e-4 };

/** The same values on both backends, behind a view at offset 3 (as the op layer may pass). */
function inputPair(shape: number[], seed: number, values?: number[]): { c: View; g: View } {
  const data = new Float32Array(3 + numel(shape));
  data.set(values ?? randomValues(numel(shape), seed), 3);
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  const c = cpu.alloc('float32', data.length),
    g = gpu.alloc('float32', data.length);
  cpu.write(c, data);
  gpu.write(g, data);
  return { c: { storage: c, shape, strides, offset: 3 }, g: { storage: g, shape, strides, offset: 3 } };
}

/** Run one primitive on both backends into fresh outputs and compare. */
async function expectSame(shape: number[], run: (be: Backend, out: Storage, side: 'c' | 'g') => void, dtype: 'float32' | 'int32' = 'float32'): Promise<void> {
  const n = numel(shape);
  const oc = cpu.alloc(dtype, n),
    og = gpu.alloc(dtype, n);
  run(cpu, oc, 'c');
  run(gpu, og, 'g');
  const whole = (s: Storage): View => ({ storage: s, shape: [n], strides: [1], offset: 0 });
  expect(await gpu.read(whole(og))).toBeAllClose(cpu.readSync(whole(oc)), TOL);
}

interface ConvCase {
  name: string;
  x: number[];
  w: number[];
  p: Conv2dParams;
  out: [number, number];
}

const conv = (name: string, x: number[], w: number[], stride: number, pad: number, dil = 1, groups = 1): ConvCase => {
  const [, , H, W] = x;
  const [, , kh, kw] = w;
  const o = (L: number, k: number) => Math.floor((L + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
  return { name, x, w, p: { stride: [stride, stride], padding: [pad, pad], dilation: [dil, dil], groups }, out: [o(H, kh), o(W, kw)] };
};

const CONV_CASES: ConvCase[] = [
  conv('3×3, stride 1, pad 1, C=3 → O=5', [1, 3, 7, 6], [5, 3, 3, 3], 1, 1),
  conv('stride 2, pad 0, batch 3, C=5 → O=17', [3, 5, 9, 8], [17, 5, 3, 3], 2, 0),
  conv('dilation 2, pad 2', [2, 4, 9, 9], [6, 4, 3, 3], 1, 2, 2),
  conv('groups 2, stride 2, pad 1', [2, 6, 8, 7], [4, 3, 3, 3], 2, 1, 1, 2),
  conv('1×1 kernel, O=70 (two column tiles)', [1, 17, 5, 5], [70, 17, 1, 1], 1, 0),
  conv('rows past one tile (M = 2·9·9 = 162), even kernel', [2, 3, 10, 10], [5, 3, 2, 2], 1, 0),
  conv('stride 3 with dilation 2 and groups 3', [1, 6, 11, 10], [9, 2, 3, 2], 3, 1, 2, 3),
];

suite('webgpu conv2d primitives vs cpu', () => {
  for (const k of CONV_CASES) {
    it(k.name, async () => {
      const yShape = [k.x[0], k.w[0], ...k.out];
      const x = inputPair(k.x, 1),
        w = inputPair(k.w, 2),
        gy = inputPair(yShape, 3);
      await expectSame(yShape, (be, out, s) => be.conv2d(x[s], w[s], out, yShape, k.p));
      await expectSame(k.x, (be, out, s) => be.conv2dBackwardInput(gy[s], w[s], out, k.x, k.p));
      await expectSame(k.w, (be, out, s) => be.conv2dBackwardWeight(x[s], gy[s], out, k.w, k.p));
    });
  }

  it('implied trailing padding (output smaller than the padded input allows)', async () => {
    const p: Conv2dParams = { stride: [2, 2], padding: [1, 0], dilation: [1, 1], groups: 1 };
    const xs = [1, 2, 6, 6],
      ws = [3, 2, 2, 2],
      ys = [1, 3, 3, 2];
    const x = inputPair(xs, 4),
      w = inputPair(ws, 5),
      gy = inputPair(ys, 6);
    await expectSame(ys, (be, out, s) => be.conv2d(x[s], w[s], out, ys, p));
    await expectSame(xs, (be, out, s) => be.conv2dBackwardInput(gy[s], w[s], out, xs, p));
    await expectSame(ws, (be, out, s) => be.conv2dBackwardWeight(x[s], gy[s], out, ws, p));
  });
});

const pool = (kernel: number, stride: number, padding: number, dilation = 1): Pool2dParams => ({
  kernel: [kernel, kernel],
  stride: [stride, stride],
  padding: [padding, padding],
  dilation: [dilation, dilation],
});

suite('webgpu pooling primitives vs cpu', () => {
  /** maxPool2d (values and indices) and maxPool2dBackward on both backends, compared. */
  async function expectSameMaxPool(xs: number[], p: Pool2dParams, ys: number[], x: { c: View; g: View }): Promise<void> {
    const n = numel(ys);
    const contiguous = (storage: Storage, shape: number[]): View => ({ storage, shape, strides: shape.map((_, i) => numel(shape.slice(i + 1))), offset: 0 });
    const side = (be: Backend, xv: View) => {
      const values = be.alloc('float32', n),
        indices = be.alloc('int32', n),
        gy = be.alloc('float32', n),
        dx = be.alloc('float32', numel(xs));
      be.maxPool2d(xv, values, indices, ys, p);
      be.write(gy, Float32Array.from(randomValues(n, 5)));
      be.maxPool2dBackward(contiguous(gy, ys), contiguous(indices, ys), dx, xs);
      return [contiguous(values, [n]), contiguous(indices, [n]), contiguous(dx, [numel(xs)])];
    };
    const c = side(cpu, x.c),
      g = side(gpu, x.g);
    for (let i = 0; i < 3; i++) expect(await gpu.read(g[i])).toBeAllClose(cpu.readSync(c[i]), TOL);
  }

  it('maxPool2d and its gradient: stride, padding, dilation, ceil-mode sizes, ties, NaN', async () => {
    const cases: [number[], Pool2dParams, number[]][] = [
      [[2, 3, 7, 7], pool(3, 2, 1), [2, 3, 4, 4]],
      [[1, 2, 9, 8], pool(2, 1, 0, 2), [1, 2, 7, 6]],
      [[1, 1, 5, 5], pool(2, 2, 0), [1, 1, 3, 3]], // ceil mode: last window half outside
      [[1, 2, 4, 4], pool(3, 3, 1), [1, 2, 2, 2]],
      [[2, 3, 6, 10], pool(2, 2, 0), [2, 3, 3, 5]], // 2×2 stride 2, the unrolled CPU path
    ];
    for (const [xs, p, ys] of cases) await expectSameMaxPool(xs, p, ys, inputPair(xs, 7));
    // ties (first max wins), −∞, NaN, and windows wholly in the padding (padding 2 ≥ kernel 2)
    const vals = [1, 1, -Infinity, 0, Number.NaN, 2, 2, 5, 5, -1, Number.NaN, 3, -Infinity, -Infinity, 4, 4];
    const x = inputPair([1, 1, 4, 4], 0, vals);
    await expectSameMaxPool([1, 1, 4, 4], pool(2, 1, 1), [1, 1, 4, 4], x);
    await expectSameMaxPool([1, 1, 4, 4], pool(2, 2, 2), [1, 1, 4, 4], x);
    await expectSameMaxPool([1, 1, 4, 4], pool(2, 2, 0), [1, 1, 2, 2], x);
  });

  it('avgPool2d and its gradient: countIncludePad, ceil mode, adaptive windows', async () => {
    const fixed = (k: number, s: number, pd: number, include: boolean): AvgPool2dParams => ({ window: { ...pool(k, s, pd), countIncludePad: include } });
    const cases: [number[], AvgPool2dParams, number[]][] = [
      [[2, 3, 6, 7], fixed(3, 2, 1, true), [2, 3, 3, 4]],
      [[2, 3, 6, 7], fixed(3, 2, 1, false), [2, 3, 3, 4]],
      [[1, 2, 5, 5], fixed(2, 2, 0, true), [1, 2, 3, 3]], // ceil mode: divisor clipped to input + padding
      [[1, 2, 6, 6], fixed(3, 2, 1, true), [1, 2, 4, 4]], // ceil mode with padding
      [[1, 2, 6, 6], fixed(3, 2, 1, false), [1, 2, 4, 4]],
      [[2, 3, 7, 7], {}, [2, 3, 3, 3]], // adaptive 7 → 3 (overlapping windows)
      [[1, 2, 5, 9], {}, [1, 2, 3, 4]],
      [[1, 1, 3, 2], {}, [1, 1, 5, 4]], // adaptive upsampling
    ];
    for (const [xs, p, ys] of cases) {
      const x = inputPair(xs, 8),
        gy = inputPair(ys, 9);
      await expectSame(ys, (be, out, s) => be.avgPool2d(x[s], out, ys, p));
      await expectSame(xs, (be, out, s) => be.avgPool2dBackward(gy[s], out, xs, p));
    }
  });
});
