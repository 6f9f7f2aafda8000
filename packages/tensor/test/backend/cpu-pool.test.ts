import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AvgPool2dParams, Pool2dParams, View } from '../../src/backend/backend';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import { avgPool2d, avgPool2dBackward, maxPool2d as maxPoolKernel, maxPool2dBackward } from '../../src/backend/cpu/pool';
import { heapEnabled, setHeapEnabled } from '../../src/backend/cpu/heap';
import { setMaxPoolPath } from '../../src/backend/cpu/wasm/max-pool';
import { maxPool2d, memory, scope, tensor } from '../../src/index';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function f32(data: Float32Array): CpuStorage {
  return { device: 'cpu', dtype: 'float32', size: data.length, bytes: data.byteLength, refs: 1, data };
}
function i32(data: Int32Array): CpuStorage {
  return { device: 'cpu', dtype: 'int32', size: data.length, bytes: data.byteLength, refs: 1, data };
}

function view(values: ArrayLike<number>, shape: number[], offset = 0): View {
  const data = new Float32Array(offset + values.length).fill(-99);
  data.set(values, offset);
  const strides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  return { storage: f32(data), shape, strides, offset };
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const rand = (n: number, r: () => number) => Float32Array.from({ length: n }, r);

function pool(k: number, s: number, p: number, d = 1): Pool2dParams {
  return { kernel: [k, k], stride: [s, s], padding: [p, p], dilation: [d, d] };
}

/** maxPool2d's indices, after checking that its values are x at those indices (plane by plane). */
function maxIdx(x: ArrayLike<number>, xs: number[], ys: number[], p: Pool2dParams, offset = 0): number[] {
  const out = new Int32Array(size(ys)).fill(-7);
  const values = new Float32Array(size(ys)).fill(-7);
  maxPoolKernel(view(x, xs, offset), f32(values), i32(out), ys, p);
  const hw = xs[2] * xs[3],
    per = ys[2] * ys[3];
  expect(Array.from(values)).toEqual(Array.from(out, (k, o) => Math.fround(x[Math.floor(o / per) * hw + k])));
  return Array.from(out);
}

/** maxPool2dBackward against a naive scatter of gy at the reference indices. */
function checkMaxBackward(xs: number[], ys: number[], idx: number[], seed: number, offset = 0): void {
  const gy = rand(size(ys), lcg(seed));
  const dx = new Float32Array(size(xs)).fill(NaN);
  const ind: View = { storage: i32(Int32Array.from([-1, -1, ...idx])), shape: ys, strides: view([], ys).strides, offset: 2 };
  maxPool2dBackward(view(gy, ys, offset), ind, f32(dx), xs);
  const ref = new Float64Array(size(xs));
  const hw = xs[2] * xs[3],
    per = ys[2] * ys[3];
  idx.forEach((k, o) => {
    ref[Math.floor(o / per) * hw + k] += gy[o];
  });
  expect(dx).toBeAllClose(ref, { rtol: 0, atol: 1e-6 });
}

/** Naive max pool: index of the first maximum (a NaN counts as the max), −∞ padding. */
function refMaxIdx(x: ArrayLike<number>, xs: number[], ys: number[], p: Pool2dParams): number[] {
  const [, , H, W] = xs,
    [N, C, Ho, Wo] = ys,
    res: number[] = [];
  for (let pl = 0; pl < N * C; pl++)
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++) {
        let best = -Infinity,
          idx = -1;
        for (let i = 0; i < p.kernel[0]; i++)
          for (let j = 0; j < p.kernel[1]; j++) {
            const ih = oh * p.stride[0] - p.padding[0] + i * p.dilation[0];
            const iw = ow * p.stride[1] - p.padding[1] + j * p.dilation[1];
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const v = x[pl * H * W + ih * W + iw];
            if (idx < 0 || (!Number.isNaN(best) && (v > best || Number.isNaN(v)))) {
              best = v;
              idx = ih * W + iw;
            }
          }
        res.push(idx);
      }
  return res;
}

/** Naive avg windows (PyTorch rules): [h0, h1, w0, w1, divisor] per output position. */
function refWindows(xs: number[], ys: number[], p: AvgPool2dParams): number[][] {
  const [, , H, W] = xs,
    [, , Ho, Wo] = ys,
    res: number[][] = [];
  for (let oh = 0; oh < Ho; oh++)
    for (let ow = 0; ow < Wo; ow++) {
      if (!p.window) {
        const h0 = Math.floor((oh * H) / Ho),
          h1 = Math.ceil(((oh + 1) * H) / Ho);
        const w0 = Math.floor((ow * W) / Wo),
          w1 = Math.ceil(((ow + 1) * W) / Wo);
        res.push([h0, h1, w0, w1, (h1 - h0) * (w1 - w0)]);
        continue;
      }
      const {
        kernel: [kh, kw],
        stride: [sh, sw],
        padding: [ph, pw],
        countIncludePad,
      } = p.window;
      let h0 = oh * sh - ph,
        w0 = ow * sw - pw;
      let h1 = Math.min(h0 + kh, H + ph),
        w1 = Math.min(w0 + kw, W + pw);
      const full = (h1 - h0) * (w1 - w0);
      h0 = Math.max(h0, 0);
      w0 = Math.max(w0, 0);
      h1 = Math.min(h1, H);
      w1 = Math.min(w1, W);
      res.push([h0, h1, w0, w1, countIncludePad ? full : (h1 - h0) * (w1 - w0)]);
    }
  return res;
}

function refAvg(x: ArrayLike<number>, xs: number[], ys: number[], p: AvgPool2dParams): Float64Array {
  const [, , H, W] = xs,
    [N, C] = ys,
    wins = refWindows(xs, ys, p);
  const y = new Float64Array(size(ys));
  let o = 0;
  for (let pl = 0; pl < N * C; pl++)
    for (const [h0, h1, w0, w1, div] of wins) {
      let s = 0;
      for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += x[pl * H * W + h * W + w];
      y[o++] = s / div;
    }
  return y;
}

function refAvgBackward(gy: ArrayLike<number>, xs: number[], ys: number[], p: AvgPool2dParams): Float64Array {
  const [N, C, H, W] = xs,
    wins = refWindows(xs, ys, p);
  const dx = new Float64Array(size(xs));
  let o = 0;
  for (let pl = 0; pl < N * C; pl++)
    for (const [h0, h1, w0, w1, div] of wins) {
      const g = gy[o++] / div;
      for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) dx[pl * H * W + h * W + w] += g;
    }
  return dx;
}

function checkAvg(xs: number[], ys: number[], p: AvgPool2dParams, seed: number, offset = 0): void {
  const r = lcg(seed);
  const x = rand(size(xs), r),
    gy = rand(size(ys), r);
  const y = new Float32Array(size(ys)).fill(NaN);
  avgPool2d(view(x, xs, offset), f32(y), ys, p);
  expect(y).toBeAllClose(refAvg(x, xs, ys, p), { rtol: 0, atol: 5e-6 });
  const dx = new Float32Array(size(xs)).fill(NaN);
  avgPool2dBackward(view(gy, ys, offset), f32(dx), xs, p);
  expect(dx).toBeAllClose(refAvgBackward(gy, xs, ys, p), { rtol: 0, atol: 5e-6 });
}

const avg = (k: number, s: number, p: number, countIncludePad: boolean): AvgPool2dParams => ({
  window: { ...pool(k, s, p), countIncludePad },
});

describe('cpu maxPool2d', () => {
  it('2x2 windows, stride 2 on a 4x4 plane', () => {
    const x = [1, 5, 2, 0, 3, 4, 8, 8, 9, 0, 1, 1, 2, 9, 1, 7];
    expect(maxIdx(x, [1, 1, 4, 4], [1, 1, 2, 2], pool(2, 2, 0))).toEqual([1, 6, 8, 15]);
  });

  it('padding counts as -Infinity', () => {
    const x = [-5, -6, -7, -8];
    // 2x2 input, 2x2 windows, stride 1, pad 1 → 3x3 output; every window holds a real element.
    expect(maxIdx(x, [1, 1, 2, 2], [1, 1, 3, 3], pool(2, 1, 1))).toEqual([0, 0, 1, 0, 0, 1, 2, 2, 3]);
  });

  it('dilation, first max wins, NaN propagates', () => {
    const x = [1, 0, 1, 0, 0, 0, 1, 0, 1];
    expect(maxIdx(x, [1, 1, 3, 3], [1, 1, 1, 1], pool(2, 1, 0, 2))).toEqual([0]);
    const xn = [1, 0, 7, 0, 0, 0, NaN, 0, 9];
    expect(maxIdx(xn, [1, 1, 3, 3], [1, 1, 1, 1], pool(2, 1, 0, 2))).toEqual([6]);
  });

  it('matches a naive reference on random inputs (ceil-mode sizes, offset)', () => {
    const r = lcg(3);
    const cases: [number[], number[], Pool2dParams][] = [
      [[2, 3, 7, 9], [2, 3, 4, 5], pool(3, 2, 1)],
      [[1, 2, 8, 8], [1, 2, 3, 3], pool(3, 3, 0)], // ceil-mode: last window overhangs
      [[2, 2, 9, 10], [2, 2, 3, 4], pool(3, 2, 1, 2)],
      [[1, 4, 5, 6], [1, 4, 5, 6], pool(3, 1, 1)],
      [[3, 1, 6, 5], [3, 1, 2, 2], { kernel: [2, 3], stride: [3, 2], padding: [0, 1], dilation: [1, 1] }],
      // 2×2 stride 2 (the unrolled path): even, odd (floor drops the last row/column), batch 1, 1×1 output
      [[2, 3, 8, 6], [2, 3, 4, 3], pool(2, 2, 0)],
      [[1, 2, 7, 5], [1, 2, 3, 2], pool(2, 2, 0)],
      [[1, 1, 2, 2], [1, 1, 1, 1], pool(2, 2, 0)],
      // 2×2 stride 2 in ceil mode: the last windows overhang, so the general path runs
      [[1, 2, 5, 7], [1, 2, 3, 4], pool(2, 2, 0)],
    ];
    for (const [xs, ys, p] of cases) {
      const x = rand(size(xs), r);
      x[5] = x[7]; // a tie
      const ref = refMaxIdx(x, xs, ys, p);
      expect(maxIdx(x, xs, ys, p, 4)).toEqual(ref);
      checkMaxBackward(xs, ys, ref, 5, 3);
    }
  });

  it('2×2 stride 2: ties keep the first tap, NaN wins wherever it is, −∞ windows point at their first tap', () => {
    const n = Number.NaN,
      inf = Number.POSITIVE_INFINITY;
    // one 2×8 plane → four windows, taps in the order a b / c d
    const x = [2, 2, n, 5, 1, 9, -inf, -inf, 2, 2, 9, 9, n, n, -inf, -inf];
    expect(maxIdx(x, [1, 1, 2, 8], [1, 1, 1, 4], pool(2, 2, 0))).toEqual([0, 2, 12, 6]);
    const y = [1, 2, 3, n, 0, 0, 0, n, -inf, inf, 4, 4, 0, 0, 1, 8];
    expect(maxIdx(y, [1, 1, 2, 8], [1, 1, 1, 4], pool(2, 2, 0))).toEqual([9, 3, 4, 7]);
  });

  it('backward sums gradients where overlapping windows share a maximum', () => {
    // 1×3 windows of stride 1 over [1, 5, 2]: the max 5 wins all three → dx = [0, g0 + g1 + g2, 0]
    const idx = maxIdx([1, 5, 2, 0], [1, 1, 1, 4], [1, 1, 1, 2], { kernel: [1, 3], stride: [1, 1], padding: [0, 1], dilation: [1, 1] });
    expect(idx).toEqual([1, 1]);
    const dx = new Float32Array(4).fill(NaN);
    const ind: View = { storage: i32(Int32Array.from(idx)), shape: [1, 1, 1, 2], strides: [2, 2, 2, 1], offset: 0 };
    maxPool2dBackward(view([0.5, 0.25], [1, 1, 1, 2]), ind, f32(dx), [1, 1, 1, 4]);
    expect(Array.from(dx)).toEqual([0, 0.75, 0, 0]);
  });
});

describe('cpu avgPool2d', () => {
  it('2x2 windows, stride 2 by hand', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    const y = new Float32Array(4);
    avgPool2d(view(x, [1, 1, 4, 4]), f32(y), [1, 1, 2, 2], avg(2, 2, 0, true));
    expect(Array.from(y)).toEqual([3.5, 5.5, 11.5, 13.5]);
  });

  it('padding with countIncludePad true/false by hand', () => {
    const x = [1, 2, 3, 4];
    const y = new Float32Array(4);
    avgPool2d(view(x, [1, 1, 2, 2]), f32(y), [1, 1, 2, 2], avg(2, 2, 1, true));
    expect(Array.from(y)).toEqual([0.25, 0.5, 0.75, 1]);
    avgPool2d(view(x, [1, 1, 2, 2]), f32(y), [1, 1, 2, 2], avg(2, 2, 1, false));
    expect(Array.from(y)).toEqual([1, 2, 3, 4]);
  });

  it('ceil-mode window past the padded edge is divided by its truncated size', () => {
    // L = 5, k = 2, s = 2, pad 0, ceil mode → 3 outputs; the last window covers only index 4.
    const x = [1, 2, 3, 4, 5];
    const y = new Float32Array(3);
    avgPool2d(view(x, [1, 1, 1, 5]), f32(y), [1, 1, 1, 3], {
      window: { kernel: [1, 2], stride: [1, 2], padding: [0, 0], dilation: [1, 1], countIncludePad: true },
    });
    expect(Array.from(y)).toEqual([1.5, 3.5, 5]);
  });

  it('adaptive 5→3 and 7→2 use floor/ceil windows', () => {
    const y = new Float32Array(3);
    avgPool2d(view([1, 2, 3, 4, 5], [1, 1, 1, 5]), f32(y), [1, 1, 1, 3], {});
    expect(Array.from(y)).toEqual([1.5, 3, 4.5]); // [0,2) [1,4) [3,5)
    const y2 = new Float32Array(2);
    avgPool2d(view([1, 2, 3, 4, 5, 6, 7], [1, 1, 7, 1]), f32(y2), [1, 1, 2, 1], {});
    expect(Array.from(y2)).toEqual([2.5, 5.5]); // [0,4) [3,7)
  });

  const cases: [string, number[], number[], AvgPool2dParams][] = [
    ['k3 s2 p1 include', [2, 3, 7, 9], [2, 3, 4, 5], avg(3, 2, 1, true)],
    ['k3 s2 p1 exclude', [2, 3, 7, 9], [2, 3, 4, 5], avg(3, 2, 1, false)],
    ['ceil-mode k3 s2 p1 include', [1, 2, 8, 8], [1, 2, 5, 5], avg(3, 2, 1, true)],
    ['ceil-mode k3 s2 p1 exclude', [1, 2, 8, 8], [1, 2, 5, 5], avg(3, 2, 1, false)],
    ['ceil-mode k2 s2 p0', [1, 1, 5, 7], [1, 1, 3, 4], avg(2, 2, 0, true)],
    ['k2 s1 p0', [3, 2, 4, 5], [3, 2, 3, 4], avg(2, 1, 0, false)],
    ['adaptive 5x7 → 3x2', [2, 2, 5, 7], [2, 2, 3, 2], {}],
    ['adaptive 6x6 → 4x4', [1, 3, 6, 6], [1, 3, 4, 4], {}],
    ['adaptive global', [2, 3, 5, 4], [2, 3, 1, 1], {}],
    ['adaptive upsample 3 → 5', [1, 1, 3, 3], [1, 1, 5, 5], {}],
  ];
  it.each(cases)('forward and backward match the reference: %s', (_n, xs, ys, p) => checkAvg(xs, ys, p, 9));
  it('handles input offsets', () => checkAvg([2, 2, 6, 5], [2, 2, 3, 3], avg(3, 2, 1, false), 4, 6));
});

describe('cpu maxPool2d 2×2: WebAssembly SIMD and JS paths on heap tensors', () => {
  // the heap is switched on here whatever AIMODEL_CPU_POOL says (the SIMD kernel works in it)
  const wasOn = heapEnabled();
  beforeAll(() => setHeapEnabled(true));
  afterAll(() => setHeapEnabled(wasOn));
  afterEach(() => setMaxPoolPath('auto'));

  /** Values and input gradient of maxPool2d(x, 2) weighted by gy, on one path. */
  function run(path: 'js' | 'wasm', xs: number[], x: Float32Array, gy: Float32Array): [number[], number[]] {
    expect(setMaxPoolPath(path)).toBe(true);
    return scope(() => {
      const t = tensor(Array.from(x)).reshape(xs);
      t.requiresGrad = true;
      const y = maxPool2d(t, 2);
      y.mul(tensor(Array.from(gy)).reshape(y.shape))
        .sum()
        .backward();
      return [Array.from(y.dataSync() as Float32Array), Array.from(t.grad?.dataSync() as Float32Array)];
    });
  }

  // Wo % 4 = 0, 1, 2, 3 (the lane-by-lane tail), odd H and W, batch 1, many planes
  const shapes = [
    [1, 1, 2, 8],
    [1, 1, 2, 2],
    [1, 2, 4, 4],
    [1, 1, 3, 6],
    [2, 3, 7, 15],
    [1, 1, 6, 14],
    [3, 8, 28, 28],
    [2, 16, 14, 14],
  ];
  it.each(shapes)('x [%i, %i, %i, %i]: values and gradient match the naive reference on both paths', (...xs) => {
    const before = memory().tensors;
    const r = lcg(xs.reduce((a, b) => a * 31 + b, 7));
    const x = rand(size(xs), r);
    // ties, NaNs and infinities in some windows
    for (let i = 0; i + 8 < x.length; i += 13) x[i + 1] = x[i];
    if (x.length > 40) [x[3], x[17], x[30], x[38]] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];
    const ys = [xs[0], xs[1], Math.floor(xs[2] / 2), Math.floor(xs[3] / 2)];
    const gy = rand(size(ys), r);
    const idx = refMaxIdx(x, xs, ys, pool(2, 2, 0));
    const hw = xs[2] * xs[3],
      per = ys[2] * ys[3];
    const refY = idx.map((k, o) => x[Math.floor(o / per) * hw + k]);
    const refDx = new Float32Array(size(xs));
    idx.forEach((k, o) => {
      refDx[Math.floor(o / per) * hw + k] += gy[o];
    });
    for (const path of ['wasm', 'js'] as const) {
      const [y, dx] = run(path, xs, x, gy);
      expect(y).toEqual(refY);
      expect(dx).toEqual(Array.from(refDx));
    }
    expect(memory().tensors).toBe(before);
  });
});
