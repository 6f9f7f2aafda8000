import { describe, expect, it } from 'vitest';
import {
  AdaptiveMaxPool2d,
  ArgumentError,
  AvgPool1d,
  GroupNorm,
  gradcheck,
  InstanceNorm1d,
  InstanceNorm2d,
  LocalResponseNorm,
  MaxPool1d,
  memory,
  type Module,
  RMSNorm,
  scope,
  ShapeError,
  type Tensor,
  tensor,
  Upsample,
  zeros,
} from '../../src/index';
import { expectValues } from '../helpers';

/** Deterministic values in [−1, 1) (an LCG independent of the library's generator). */
function lcg(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) / 2 ** 23 - 1;
  });
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const biasedVar = (v: number[]) => mean(v.map((x) => (x - mean(v)) ** 2));
const standardize = (v: number[], eps: number) => v.map((x) => (x - mean(v)) / Math.sqrt(biasedVar(v) + eps));

function gradOk(m: Module, x: Tensor): void {
  const shape = (m.call(x) as Tensor).shape;
  const w = tensor(
    lcg(
      shape.reduce((a, b) => a * b, 1),
      99,
    ),
  ).reshape(shape);
  const r = gradcheck((xs) => (m.call(xs) as Tensor).mul(w).sum(), [x]);
  expect(r.ok, JSON.stringify(r.mismatches.slice(0, 2))).toBe(true);
}

describe('1-D and adaptive max pooling', () => {
  it('MaxPool1d and AvgPool1d by hand, unbatched too', () => {
    expectValues(new MaxPool1d(2).call(tensor([[[1, 3, 2, 5]]])).dataSync(), [3, 5]);
    expectValues(new MaxPool1d(3, { stride: 1, padding: 1 }).call(tensor([[1, 3, 2]])).dataSync(), [3, 3, 3]);
    expectValues(new MaxPool1d(2, { ceilMode: true }).call(tensor([[[1, 2, 3, 4, 5]]])).dataSync(), [2, 4, 5]);
    expectValues(new MaxPool1d(2, { dilation: 2, stride: 1 }).call(tensor([[[1, 9, 3, 0, 2]]])).dataSync(), [3, 9, 3]); // taps i, i + 2
    expectValues(new AvgPool1d(2).call(tensor([[[1, 3, 2, 6]]])).dataSync(), [2, 4]);
    expectValues(new AvgPool1d(3, { stride: 1, padding: 1 }).call(tensor([[3, 3, 3]])).dataSync(), [2, 3, 2]);
    expectValues(new AvgPool1d(3, { stride: 1, padding: 1, countIncludePad: false }).call(tensor([[3, 3, 3]])).dataSync(), [3, 3, 3]);
    expect(() => new MaxPool1d(2).call(zeros([1, 1, 2, 2]))).toThrow(/MaxPool1d: expected 3-D input/);
    expect(() => new AvgPool1d(2, { padding: 2 })).toThrow(ArgumentError);
    gradOk(new AvgPool1d(2), tensor(lcg(8, 1)).reshape([1, 2, 4]));
  });

  it('AdaptiveMaxPool2d: windows ⌊i·H/Ho⌋ … ⌈(i+1)·H/Ho⌉ − 1, against a direct reference', () => {
    const H = 5;
    const W = 7;
    const v = lcg(H * W, 3);
    const ref = (oh: number, ow: number) => {
      const out: number[] = [];
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let m = Number.NEGATIVE_INFINITY;
          for (let r = Math.floor((i * H) / oh); r < Math.ceil(((i + 1) * H) / oh); r++)
            for (let c = Math.floor((j * W) / ow); c < Math.ceil(((j + 1) * W) / ow); c++) m = Math.max(m, v[r * W + c]);
          out.push(m);
        }
      return out;
    };
    const x = tensor(v).reshape([1, 1, H, W]);
    expectValues(new AdaptiveMaxPool2d([3, 4]).call(x).dataSync(), ref(3, 4));
    expectValues(new AdaptiveMaxPool2d(1).call(x).dataSync(), ref(1, 1));
    expect(new AdaptiveMaxPool2d([2, null]).call(zeros([2, 5, 7])).shape).toEqual([2, 2, 7]);
    gradOk(new AdaptiveMaxPool2d([2, 3]), x);
  });
});

describe('group, instance, RMS and local response normalization', () => {
  it('GroupNorm normalizes each (sample, group) over its channels and positions; per-channel affine', () => {
    const v = lcg(2 * 4 * 3, 5); // [2, 4, 3], 2 groups of 2 channels
    const gn = new GroupNorm(2, 4);
    expect(Object.keys(gn.stateDict())).toEqual(['weight', 'bias']);
    gn.weight!.assign(tensor([1, 2, 3, 4]));
    gn.bias!.assign(tensor([0, 0, 1, 1]));
    const expected: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let g = 0; g < 2; g++) {
        const z = standardize(v.slice(n * 12 + g * 6, n * 12 + g * 6 + 6), 1e-5);
        z.forEach((zi, i) => {
          const c = g * 2 + Math.floor(i / 3);
          expected.push(zi * (c + 1) + (c >= 2 ? 1 : 0));
        });
      }
    expectValues(gn.call(tensor(v).reshape([2, 4, 3])).dataSync(), expected, 1e-4);
    expect(() => new GroupNorm(3, 4)).toThrow(/numChannels \(4\) must be divisible by numGroups \(3\)/);
    expect(() => gn.call(zeros([2, 3, 3]))).toThrow(ShapeError);
    gradOk(new GroupNorm(2, 4), tensor(v).reshape([2, 4, 3]));
  });

  it('InstanceNorm1d/2d: per (sample, channel); running statistics when tracked, used in eval', () => {
    const v = lcg(2 * 2 * 4, 7);
    const x = tensor(v).reshape([2, 2, 4]);
    const plain = new InstanceNorm1d(2);
    expect(Object.keys(plain.stateDict())).toEqual([]);
    const rows = [0, 1, 2, 3].map((r) => v.slice(r * 4, r * 4 + 4));
    expectValues(
      plain.call(x).dataSync(),
      rows.flatMap((r) => standardize(r, 1e-5)),
      1e-4,
    );
    const tracked = new InstanceNorm1d(2, { trackRunningStats: true, affine: true });
    expect(Object.keys(tracked.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    tracked.call(x);
    const unbiased = (r: number[]) => (biasedVar(r) * r.length) / (r.length - 1);
    // running ← 0.9·running + 0.1·(mean over the batch of each instance's statistic)
    expectValues(
      tracked.runningMean!.dataSync(),
      [0, 1].map((c) => 0.1 * mean([mean(rows[c]), mean(rows[2 + c])])),
      1e-5,
    );
    expectValues(
      tracked.runningVar!.dataSync(),
      [0, 1].map((c) => 0.9 + 0.1 * mean([unbiased(rows[c]), unbiased(rows[2 + c])])),
      1e-5,
    );
    tracked.eval();
    const rm = Array.from(tracked.runningMean!.dataSync());
    const rv = Array.from(tracked.runningVar!.dataSync());
    expectValues(
      tracked.call(x).dataSync(),
      v.map((xi, i) => (xi - rm[Math.floor(i / 4) % 2]) / Math.sqrt(rv[Math.floor(i / 4) % 2] + 1e-5)),
      1e-4,
    );
    expect(new InstanceNorm2d(3).call(zeros([3, 2, 2]).add(1)).shape).toEqual([3, 2, 2]); // unbatched
    expect(() => new InstanceNorm2d(3).call(zeros([1, 2, 4, 4]))).toThrow(/InstanceNorm2d: expected 4-D input \[N, C=3, H, W\]/);
    gradOk(new InstanceNorm2d(2), tensor(lcg(2 * 2 * 3 * 2, 9)).reshape([2, 2, 3, 2]));
    plain.dispose();
    tracked.dispose();
  });

  it('RMSNorm: x / √(mean(x²) + eps) · weight, eps defaulting to float32 machine epsilon', () => {
    const m = new RMSNorm(2);
    expect(Object.keys(m.stateDict())).toEqual(['weight']);
    expectValues(m.call(tensor([[3, 4]])).dataSync(), [3 / Math.sqrt(12.5 + 2 ** -23), 4 / Math.sqrt(12.5 + 2 ** -23)]);
    const noAffine = new RMSNorm([2, 2], { eps: 0.5, elementwiseAffine: false });
    expect(noAffine.weight).toBeNull();
    expectValues(
      noAffine
        .call(
          tensor([
            [1, 1],
            [1, 1],
          ]),
        )
        .dataSync(),
      new Array(4).fill(1 / Math.sqrt(1.5)),
    );
    expect(() => m.call(zeros([2, 3]))).toThrow(/RMSNorm: expected input \[\*, 2\]/);
    gradOk(new RMSNorm(3), tensor(lcg(6, 11)).reshape([2, 3]));
  });

  it('LocalResponseNorm: a_c / (k + α/n·Σ window a²)^β with the window ⌊n/2⌋ before, ⌊(n−1)/2⌋ after', () => {
    const C = 5;
    const v = lcg(C * 2, 13).map((x) => x * 3); // [1, C, 2]
    const [size, alpha, beta, k] = [3, 0.5, 0.75, 2];
    const expected = v.map((a, i) => {
      const c = Math.floor(i / 2);
      const p = i % 2;
      let s = 0;
      for (let cc = c - Math.floor(size / 2); cc <= c + Math.floor((size - 1) / 2); cc++) if (cc >= 0 && cc < C) s += v[cc * 2 + p] ** 2;
      return a / (k + (alpha / size) * s) ** beta;
    });
    const lrn = new LocalResponseNorm(size, { alpha, beta, k });
    expectValues(lrn.call(tensor(v).reshape([1, C, 2])).dataSync(), expected, 1e-5);
    gradOk(new LocalResponseNorm(2, { alpha: 0.5, k: 1 }), tensor(v).reshape([1, C, 2]));
  });
});

describe('Upsample', () => {
  /** PyTorch's source coordinate for linear modes. */
  const src = (i: number, inSize: number, outSize: number, align: boolean, scale?: number) =>
    align ? (outSize > 1 ? (i * (inSize - 1)) / (outSize - 1) : 0) : Math.max((i + 0.5) * (scale ? 1 / scale : inSize / outSize) - 0.5, 0);
  const lerp1d = (v: number[], outSize: number, align: boolean, scale?: number) =>
    Array.from({ length: outSize }, (_, i) => {
      const s = src(i, v.length, outSize, align, scale);
      const lo = Math.min(Math.floor(s), v.length - 1);
      const hi = Math.min(lo + 1, v.length - 1);
      return v[lo] + (v[hi] - v[lo]) * (s - lo);
    });

  it('nearest: output i reads input ⌊i·in/out⌋', () => {
    expectValues(new Upsample({ scaleFactor: 2 }).call(tensor([[[1, 2]]])).dataSync(), [1, 1, 2, 2]);
    expectValues(
      new Upsample({ size: 5 }).call(tensor([[[1, 2, 3]]])).dataSync(),
      [0, 0, 1, 1, 2].map((i) => [1, 2, 3][i]),
    );
    expectValues(
      new Upsample({ scaleFactor: [1, 2] })
        .call(
          tensor([
            [
              [
                [1, 2],
                [3, 4],
              ],
            ],
          ]),
        )
        .dataSync(),
      [1, 1, 2, 2, 3, 3, 4, 4],
    );
  });

  it('linear and bilinear, with and without alignCorners, against PyTorch’s formulas', () => {
    const v = [0, 3, 1, 5];
    expectValues(new Upsample({ size: 7, mode: 'linear' }).call(tensor([[v]])).dataSync(), lerp1d(v, 7, false), 1e-5);
    expectValues(new Upsample({ size: 7, mode: 'linear', alignCorners: true }).call(tensor([[v]])).dataSync(), lerp1d(v, 7, true), 1e-5);
    expectValues(new Upsample({ scaleFactor: 1.5, mode: 'linear' }).call(tensor([[v]])).dataSync(), lerp1d(v, 6, false, 1.5), 1e-5);
    // bilinear is separable: rows then columns
    const img = [
      [1, 2, 0],
      [4, 0, 3],
    ];
    const rowsUp = img.map((r) => lerp1d(r, 4, false));
    const cols = [0, 1, 2, 3].map((j) => lerp1d([rowsUp[0][j], rowsUp[1][j]], 3, false));
    const want = [0, 1, 2].flatMap((i) => [0, 1, 2, 3].map((j) => cols[j][i]));
    expectValues(new Upsample({ size: [3, 4], mode: 'bilinear' }).call(tensor([[img]])).dataSync(), want, 1e-5);
    gradOk(new Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: true }), tensor(lcg(6, 17)).reshape([1, 1, 2, 3]));
  });

  it('checks its settings and input, and leaves memory flat', () => {
    expect(() => new Upsample({})).toThrow(/give exactly one of size and scaleFactor/);
    expect(() => new Upsample({ size: 2, mode: 'nearest', alignCorners: true })).toThrow(ArgumentError);
    expect(() => new Upsample({ size: 4, mode: 'bilinear' }).call(zeros([1, 1, 3]))).toThrow(/mode 'bilinear' expects 4-D input/);
    expect(String(new Upsample({ scaleFactor: 2 }))).toBe("Upsample(scaleFactor=2, mode='nearest')");
    const before = memory().tensors;
    const x = scope(() => tensor(lcg(12, 19)).reshape([1, 1, 3, 4]));
    new Upsample({ scaleFactor: 2, mode: 'bilinear' }).call(x).dispose();
    x.dispose();
    expect(memory().tensors).toBe(before);
  });
});
