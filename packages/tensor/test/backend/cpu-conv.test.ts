import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conv2dParams, View } from '../../src/backend/backend';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../../src/backend/cpu/conv';
import { setGemmPath } from '../../src/backend/cpu/matmul';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function storage(data: Float32Array): CpuStorage {
  return { device: 'cpu', dtype: 'float32', size: data.length, bytes: data.byteLength, refs: 1, data };
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** A contiguous view over `values`, placed after `offset` junk elements. */
function view(values: Float32Array, shape: number[], offset = 0): View {
  const data = new Float32Array(offset + values.length).fill(123);
  data.set(values, offset);
  return { storage: storage(data), shape, strides: strides(shape), offset };
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

function rand(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r();
  return a;
}

interface Case {
  xs: number[];
  ws: number[];
  ys: number[];
  p: Conv2dParams;
}

/** Every (output, input, weight) index triple of the convolution, in float64. */
function forEachTap(c: Case, f: (yi: number, xi: number, wi: number) => void): void {
  const [N, C, H, W] = c.xs,
    [O, Cg, kh, kw] = c.ws,
    [, , Ho, Wo] = c.ys;
  const Og = O / c.p.groups;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      for (let oh = 0; oh < Ho; oh++)
        for (let ow = 0; ow < Wo; ow++) {
          const yi = ((n * O + o) * Ho + oh) * Wo + ow;
          for (let ci = 0; ci < Cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const ih = oh * c.p.stride[0] - c.p.padding[0] + i * c.p.dilation[0];
                const iw = ow * c.p.stride[1] - c.p.padding[1] + j * c.p.dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const ch = g * Cg + ci;
                f(yi, ((n * C + ch) * H + ih) * W + iw, ((o * Cg + ci) * kh + i) * kw + j);
              }
        }
    }
}

function refConv(c: Case, x: Float32Array, w: Float32Array): Float64Array {
  const y = new Float64Array(size(c.ys));
  forEachTap(c, (yi, xi, wi) => {
    y[yi] += x[xi] * w[wi];
  });
  return y;
}
function refDx(c: Case, gy: Float32Array, w: Float32Array): Float64Array {
  const dx = new Float64Array(size(c.xs));
  forEachTap(c, (yi, xi, wi) => {
    dx[xi] += gy[yi] * w[wi];
  });
  return dx;
}
function refDw(c: Case, x: Float32Array, gy: Float32Array): Float64Array {
  const dw = new Float64Array(size(c.ws));
  forEachTap(c, (yi, xi, wi) => {
    dw[wi] += gy[yi] * x[xi];
  });
  return dw;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function outSize(L: number, k: number, s: number, p: number, d: number, extra = 0): number {
  return Math.floor((L + 2 * p - d * (k - 1) - 1) / s) + 1 + extra;
}

function makeCase(N: number, C: number, H: number, W: number, O: number, kh: number, kw: number, p: Conv2dParams, extra: [number, number] = [0, 0]): Case {
  const Ho = outSize(H, kh, p.stride[0], p.padding[0], p.dilation[0], extra[0]);
  const Wo = outSize(W, kw, p.stride[1], p.padding[1], p.dilation[1], extra[1]);
  return { xs: [N, C, H, W], ws: [O, C / p.groups, kh, kw], ys: [N, O, Ho, Wo], p };
}

function runAll(c: Case, seed: number, offset = 0): void {
  const r = lcg(seed);
  const x = rand(size(c.xs), r),
    w = rand(size(c.ws), r),
    gy = rand(size(c.ys), r);
  const y = new Float32Array(size(c.ys)).fill(NaN);
  conv2d(view(x, c.xs, offset), view(w, c.ws, offset + 1), storage(y), c.ys, c.p);
  expect(y).toBeAllClose(refConv(c, x, w), { rtol: 1e-4, atol: 1e-4 }); // |Δ| ≤ 1e-4·(1 + |want|)
  // with a bias: y + bias[o] in float32, bit for bit
  const bias = rand(c.ys[1], r),
    yb = new Float32Array(size(c.ys)).fill(NaN);
  conv2d(view(x, c.xs, offset), view(w, c.ws, offset + 1), storage(yb), c.ys, c.p, view(bias, [c.ys[1]], offset + 4));
  const area = c.ys[2] * c.ys[3];
  expect(yb).toEqual(y.map((v, i) => Math.fround(v + bias[Math.floor(i / area) % c.ys[1]])));

  const dx = new Float32Array(size(c.xs)).fill(NaN);
  conv2dBackwardInput(view(gy, c.ys, offset + 2), view(w, c.ws, offset), storage(dx), c.xs, c.p);
  expect(dx).toBeAllClose(refDx(c, gy, w), { rtol: 1e-4, atol: 1e-4 }); // |Δ| ≤ 1e-4·(1 + |want|)

  const dw = new Float32Array(size(c.ws)).fill(NaN);
  conv2dBackwardWeight(view(x, c.xs, offset), view(gy, c.ys, offset + 3), storage(dw), c.ws, c.p);
  expect(dw).toBeAllClose(refDw(c, x, gy), { rtol: 1e-4, atol: 1e-4 }); // |Δ| ≤ 1e-4·(1 + |want|)

  // Adjoint identity: ⟨conv(x, w), gy⟩ = ⟨x, dX(gy, w)⟩ = ⟨w, dW(x, gy)⟩.
  const lhs = dot(refConv(c, x, w), gy);
  const scale = 1 + Math.abs(lhs);
  expect(Math.abs(dot(x, dx) - lhs) / scale).toBeLessThan(1e-4);
  expect(Math.abs(dot(w, dw) - lhs) / scale).toBeLessThan(1e-4);
}

const P = (s: number, pad: number, d: number, groups = 1, s2 = s, pad2 = pad, d2 = d): Conv2dParams => ({
  stride: [s, s2],
  padding: [pad, pad2],
  dilation: [d, d2],
  groups,
});

describe('cpu conv2d', () => {
  it('matches a hand-computed 1-channel case', () => {
    const c = makeCase(1, 1, 3, 3, 1, 2, 2, P(1, 0, 1));
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = Float32Array.from([1, 0, 0, -1]);
    const y = new Float32Array(4);
    conv2d(view(x, c.xs), view(w, c.ws), storage(y), c.ys, c.p);
    expect(Array.from(y)).toEqual([-4, -4, -4, -4]);
  });

  const grid: [string, Case][] = [];
  for (const s of [1, 2, 3])
    for (const pad of [0, 1, 2])
      for (const d of [1, 2])
        for (const k of [
          [1, 1],
          [3, 3],
          [2, 5],
        ]) {
          const [kh, kw] = k;
          const H = 7 + s,
            W = 9;
          if (outSize(H, kh, s, pad, d) < 1 || outSize(W, kw, s, pad, d) < 1) continue;
          grid.push([`s${s} p${pad} d${d} k${kh}x${kw}`, makeCase(1, 2, H, W, 3, kh, kw, P(s, pad, d))]);
        }
  it.each(grid)('random geometry %s', (_name, c) => runAll(c, 7));

  const groupCases: [string, Case][] = [
    ['groups 2 batch 3', makeCase(3, 4, 6, 5, 6, 3, 3, P(1, 1, 1, 2))],
    ['groups 3 stride 2 dil 2', makeCase(2, 6, 9, 11, 3, 3, 3, P(2, 2, 2, 3))],
    ['depthwise 2x5 mixed stride', makeCase(3, 3, 8, 10, 3, 2, 5, P(1, 1, 1, 3, 2, 2, 1))],
    ['groups 2 1x1', makeCase(3, 4, 5, 6, 8, 1, 1, P(1, 0, 1, 2))],
    ['1x1 stride 2', makeCase(2, 3, 7, 6, 4, 1, 1, P(2, 0, 1))],
    ['1x1 padded', makeCase(2, 3, 4, 5, 2, 1, 1, P(1, 1, 1))],
    ['channels 1', makeCase(3, 1, 6, 7, 1, 3, 3, P(1, 1, 1))],
    ['non-square kernel stride and pad', makeCase(1, 2, 10, 6, 4, 3, 2, P(3, 2, 1, 1, 1, 0, 2))],
    ['implied trailing padding (same)', makeCase(3, 2, 6, 7, 3, 4, 4, P(1, 1, 1), [1, 1])],
    ['implied trailing padding stride 2', makeCase(1, 3, 7, 8, 2, 3, 3, P(2, 0, 1), [1, 1])],
    ['1x1 with implied trailing padding', makeCase(2, 2, 4, 4, 3, 1, 1, P(1, 0, 1), [1, 2])],
  ];
  it.each(groupCases)('%s', (_name, c) => runAll(c, 11));

  it('handles input offsets', () => runAll(makeCase(2, 4, 6, 7, 4, 3, 3, P(2, 1, 1, 2)), 3, 5));
  it('handles offsets on the 1x1 direct path', () => runAll(makeCase(2, 4, 5, 5, 6, 1, 1, P(1, 0, 1, 2)), 3, 7));

  it('chunks output rows when the column buffer would be large', () => {
    // K·Wo = 4·9·300 floats per row, so several chunks per image.
    runAll(makeCase(1, 4, 40, 300, 2, 3, 3, P(1, 1, 1)), 5);
  });

  it('writes nothing for N = 0 and zeros for empty reductions', () => {
    const c = makeCase(0, 2, 4, 4, 3, 3, 3, P(1, 1, 1));
    const y = new Float32Array(0);
    conv2d(view(new Float32Array(0), c.xs), view(rand(size(c.ws), lcg(1)), c.ws), storage(y), c.ys, c.p);
    // no input channels: the bias alone
    const e = makeCase(2, 0, 3, 3, 2, 3, 3, P(1, 1, 1));
    const ye = new Float32Array(size(e.ys)).fill(NaN);
    conv2d(view(new Float32Array(0), e.xs), view(new Float32Array(0), e.ws), storage(ye), e.ys, e.p, view(Float32Array.from([1.5, -2]), [2]));
    expect(Array.from(ye)).toEqual([...new Array(9).fill(1.5), ...new Array(9).fill(-2), ...new Array(9).fill(1.5), ...new Array(9).fill(-2)]);
    const dw = new Float32Array(size(c.ws)).fill(NaN);
    conv2dBackwardWeight(view(new Float32Array(0), c.xs), view(new Float32Array(0), c.ys), storage(dw), c.ws, c.p);
    expect(Array.from(dw).every((v) => v === 0)).toBe(true);

    const c0 = makeCase(2, 2, 4, 4, 0, 3, 3, P(1, 1, 1));
    const dx = new Float32Array(size(c0.xs)).fill(NaN);
    conv2dBackwardInput(view(new Float32Array(0), c0.ys), view(new Float32Array(0), c0.ws), storage(dx), c0.xs, c0.p);
    expect(Array.from(dx).every((v) => v === 0)).toBe(true);
    const c1 = makeCase(2, 2, 4, 4, 0, 1, 1, P(1, 0, 1));
    const dx1 = new Float32Array(size(c1.xs)).fill(NaN);
    conv2dBackwardInput(view(new Float32Array(0), c1.ys), view(new Float32Array(0), c1.ws), storage(dx1), c1.xs, c1.p);
    expect(Array.from(dx1).every((v) => v === 0)).toBe(true);
  });
});

// The im2col matrix goes to a JS buffer and the gemm copies it ('js'), or is built by the wasm
// im2col directly in the wasm gemm's memory ('wasm'; 'auto' above mixes both by size).
describe.each(['js', 'wasm'] as const)('cpu conv2d, %s gemm path', (path) => {
  beforeAll(() => {
    expect(setGemmPath(path)).toBe(true);
  });
  afterAll(() => {
    setGemmPath('auto');
  });
  const cases: [string, Case][] = [
    ['3x3 pad 1', makeCase(2, 3, 6, 9, 4, 3, 3, P(1, 1, 1))],
    ['stride 2 dil 2 pad 2', makeCase(1, 2, 11, 13, 3, 3, 3, P(2, 2, 2))],
    ['stride 3 2x5', makeCase(1, 3, 10, 9, 2, 2, 5, P(3, 1, 1))],
    ['groups 3, mixed stride, dilation and padding', makeCase(2, 6, 9, 11, 3, 3, 3, P(2, 2, 2, 3, 1, 0, 1))],
    ['implied trailing padding', makeCase(2, 2, 6, 7, 3, 4, 4, P(1, 1, 1), [1, 1])],
    ['rows in 3 chunks, the last shorter (K·Wo = 576·1000)', makeCase(1, 64, 20, 1000, 2, 3, 3, P(1, 1, 1))],
    // image by image as chunks of wasm calls (./conv-batch.ts), many images and groups
    ['7 images, K = 288', makeCase(7, 32, 24, 24, 5, 3, 3, P(1, 1, 1))],
    ['4 images of a large area each (K·(P + 4) = 288·964)', makeCase(4, 32, 24, 40, 6, 3, 3, P(1, 1, 1))],
    ['groups 2 over 40 images', makeCase(40, 8, 30, 30, 4, 3, 3, P(1, 1, 1, 2))],
    ['stride 2, Ho·Wo = 9 (not a multiple of 4), 19 images', makeCase(19, 3, 6, 6, 5, 3, 3, P(2, 1, 1))],
  ];
  it.each(cases)('%s', (_name, c) => runAll(c, 13, 1));
});
