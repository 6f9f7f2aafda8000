import { describe, expect, it } from 'vitest';
import type { AvgPool2dParams, Pool2dParams, View } from '../../src/backend/backend';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import { avgPool2d, avgPool2dBackward, maxPool2dIndices } from '../../src/backend/cpu/pool';

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

function maxIdx(x: ArrayLike<number>, xs: number[], ys: number[], p: Pool2dParams, offset = 0): number[] {
  const out = new Int32Array(size(ys)).fill(-7);
  maxPool2dIndices(view(x, xs, offset), i32(out), ys, p);
  return Array.from(out);
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

describe('cpu maxPool2dIndices', () => {
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
    ];
    for (const [xs, ys, p] of cases) {
      const x = rand(size(xs), r);
      x[5] = x[7]; // a tie
      expect(maxIdx(x, xs, ys, p, 4)).toEqual(refMaxIdx(x, xs, ys, p));
    }
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
