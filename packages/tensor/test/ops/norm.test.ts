import { expect, it } from 'vitest';
import { type Tensor, tensor, zeros, ones, layerNorm, batchNorm, ShapeError, ArgumentError, DTypeError } from '../../src/index';
import { describeOnCpu, expectGradcheck, randomValues } from '../helpers';

const EPS = 1e-5;

/** Normalize consecutive groups of `n` values (biased variance), then scale and shift per position. */
function refLayerNorm(x: number[], n: number, w?: number[], b?: number[]): number[] {
  const out: number[] = [];
  for (let g = 0; g < x.length; g += n) {
    const group = x.slice(g, g + n);
    const m = group.reduce((p, v) => p + v, 0) / n;
    const v = group.reduce((p, u) => p + (u - m) ** 2, 0) / n;
    group.forEach((u, i) => out.push(((u - m) / Math.sqrt(v + EPS)) * (w?.[i] ?? 1) + (b?.[i] ?? 0)));
  }
  return out;
}

// x [3, 2, 2] (N, C, L): channel 0 holds 1 2 3 4 5 9 (mean 4, biased var 40/6, unbiased 8),
// channel 1 holds 0 0 2 2 4 -2 (mean 1, biased var 22/6, unbiased 4.4).
const BN_X = [
  [
    [1, 2],
    [0, 0],
  ],
  [
    [3, 4],
    [2, 2],
  ],
  [
    [5, 9],
    [4, -2],
  ],
];
const mapBN = (f: (v: number, c: number) => number) => BN_X.map((n) => n.map((row, c) => row.map((v) => f(v, c))));

describeOnCpu('layerNorm and batchNorm', (device) => {
  const t = (data: Parameters<typeof tensor>[0]) => tensor(data, { device });
  const p = (shape: number[], seed: number, lo = -1, hi = 1) =>
    tensor(
      randomValues(
        shape.reduce((a, d) => a * d, 1),
        seed,
        lo,
        hi,
      ),
      { device },
    ).reshape(shape);

  it('layerNorm over the last dim matches the hand computation', async () => {
    const y = layerNorm(t([[1, 2, 3]]), [3]);
    expect(y.shape).toEqual([1, 3]);
    const s = 1 / Math.sqrt(2 / 3 + EPS);
    await expect(y).toBeAllClose([[-s, 0, s]]);
    await expect(y).toBeAllClose([[-1.2247357, 0, 1.2247357]]);
    const x = [2, 4, 4, 4, 5, 5, 7, 9]; // mean 5, var 4
    await expect(t(x).layerNorm(8)).toBeAllClose(x.map((v) => (v - 5) / Math.sqrt(4 + EPS)));
  });

  it('layerNorm with weight and bias, and eps', async () => {
    const x = [
      [1, 2, 3],
      [-1, 5, 0.5],
    ];
    const w = [1, 2, 0.5];
    const b = [0, 1, -1];
    const y = layerNorm(t(x), 3, { weight: t(w), bias: t(b) });
    await expect(y).toBeAllClose(refLayerNorm(x.flat(), 3, w, b), { rtol: 1e-5, atol: 1e-5 });
    await expect(layerNorm(t([[0, 2]]), [2], { eps: 1 })).toBeAllClose([[-1 / Math.SQRT2, 1 / Math.SQRT2]]);
    await expect(layerNorm(t([[3, 3, 3]]), [3])).toBeAllClose([[0, 0, 0]]);
  });

  it('layerNorm with normalizedShape spanning 2 dims', async () => {
    const values = randomValues(12, 3, -2, 2);
    const w = randomValues(6, 4, 0.5, 1.5);
    const b = randomValues(6, 5);
    const x = tensor(values, { device }).reshape([2, 2, 3]);
    const y = x.layerNorm([2, 3], { weight: tensor(w, { device }).reshape([2, 3]), bias: tensor(b, { device }).reshape([2, 3]) });
    expect(y.shape).toEqual([2, 2, 3]);
    await expect(y.reshape([12])).toBeAllClose(refLayerNorm(values, 6, w, b), { rtol: 1e-4, atol: 1e-5 });
    await expect(layerNorm(x, [2, 3]).reshape([12])).toBeAllClose(refLayerNorm(values, 6), { rtol: 1e-4, atol: 1e-5 });
  });

  it('gradcheck: layerNorm w.r.t. input, weight and bias', () => {
    expectGradcheck((x, w, b) => layerNorm(x, [4], { weight: w, bias: b }).sin().sum(), [p([2, 4], 10), p([4], 11, 0.5, 1.5), p([4], 12)]);
    expectGradcheck(
      (x: Tensor) =>
        layerNorm(x, [2, 3])
          .mul(
            t([
              [1, -2, 3],
              [0.5, 2, -1],
            ]),
          )
          .sum(),
      [p([2, 2, 3], 13)],
    );
  });

  it('batchNorm in training: batch statistics and running stats update', async () => {
    const rm = t([0.5, -1]);
    const rv = t([1, 2]);
    const w = [2, 0.5];
    const b = [1, -1];
    const y = batchNorm(t(BN_X), rm, rv, { training: true, weight: t(w), bias: t(b) });
    const mean = [4, 1];
    const biased = [40 / 6, 22 / 6];
    expect(y.shape).toEqual([3, 2, 2]);
    await expect(y).toBeAllClose(
      mapBN((v, c) => ((v - mean[c]) / Math.sqrt(biased[c] + EPS)) * w[c] + b[c]),
      { rtol: 1e-5, atol: 1e-5 },
    );
    await expect(rm).toBeAllClose([0.9 * 0.5 + 0.1 * 4, 0.9 * -1 + 0.1 * 1]);
    await expect(rv).toBeAllClose([0.9 * 1 + 0.1 * 8, 0.9 * 2 + 0.1 * 4.4]);
    // a second step moves them again; a custom momentum
    const rm2 = t([0, 0]);
    const rv2 = t([1, 1]);
    t(BN_X).batchNorm(rm2, rv2, { training: true, momentum: 0.5 });
    await expect(rm2).toBeAllClose([2, 0.5]);
    await expect(rv2).toBeAllClose([4.5, 2.7]);
    const plain = batchNorm(t(BN_X), null, null, { training: true });
    await expect(plain).toBeAllClose(
      mapBN((v, c) => (v - mean[c]) / Math.sqrt(biased[c] + EPS)),
      { rtol: 1e-5, atol: 1e-5 },
    );
  });

  it('batchNorm on a 2-D [N, C] input in training', async () => {
    const rm = zeros([2], { device });
    const rv = ones([2], { device });
    const y = batchNorm(
      t([
        [1, 10],
        [3, 30],
      ]),
      rm,
      rv,
      { training: true },
    );
    await expect(y).toBeAllClose(
      [
        [-1, -1],
        [1, 1],
      ].map((r) => r.map((s, c) => s / Math.sqrt(1 + EPS / [1, 100][c]))),
      { rtol: 1e-5, atol: 1e-5 },
    );
    await expect(rm).toBeAllClose([0.2, 2]);
    await expect(rv).toBeAllClose([0.9 + 0.1 * 2, 0.9 + 0.1 * 200]);
  });

  it('batchNorm in eval mode uses the running statistics and leaves them unchanged', async () => {
    const rm = t([0.5, -1]);
    const rv = t([3, 0.25]);
    const w = [2, 0.5];
    const b = [1, -1];
    const y = batchNorm(t(BN_X), rm, rv, { weight: t(w), bias: t(b) });
    await expect(y).toBeAllClose(
      mapBN((v, c) => ((v - [0.5, -1][c]) / Math.sqrt([3, 0.25][c] + EPS)) * w[c] + b[c]),
      { rtol: 1e-5, atol: 1e-5 },
    );
    await expect(rm).toBeAllClose([0.5, -1]);
    await expect(rv).toBeAllClose([3, 0.25]);
    await expect(t(BN_X).batchNorm(rm, rv, { training: false })).toBeAllClose(
      mapBN((v, c) => (v - [0.5, -1][c]) / Math.sqrt([3, 0.25][c] + EPS)),
      { rtol: 1e-5, atol: 1e-5 },
    );
  });

  it('gradcheck: batchNorm in training w.r.t. input, weight and bias', () => {
    const weights = p([3, 2, 2], 20, -2, 2);
    expectGradcheck(
      (x, w, b) => batchNorm(x, null, null, { training: true, weight: w, bias: b }).mul(weights).sum(),
      [p([3, 2, 2], 21), p([2], 22, 0.5, 1.5), p([2], 23)],
    );
    expectGradcheck((x: Tensor) => batchNorm(x, null, null, { training: true }).sin().sum(), [p([4, 3], 24)]);
    expectGradcheck(
      (x: Tensor) =>
        batchNorm(x, t([0.1, -0.2, 0.3]), t([1, 2, 0.5]))
          .sin()
          .sum(),
      [p([4, 3], 25)],
    );
    // eval mode folds weight, bias and the running statistics into a per-channel scale and shift
    expectGradcheck(
      (x, w, b) =>
        batchNorm(x, t([0.1, -0.2, 0.3]), t([1, 2, 0.5]), { weight: w, bias: b })
          .sin()
          .sum(),
      [p([2, 3, 2], 26), p([3], 27, 0.5, 1.5), p([3], 28)],
    );
  });

  it('throws typed errors', () => {
    const x = zeros([2, 3], { device });
    expect(() => layerNorm(x, [4])).toThrow(ShapeError);
    expect(() => layerNorm(x, [4])).toThrow(/layerNorm: input \[2,3\] does not end with normalizedShape \[4\]/);
    expect(() => layerNorm(x, [1, 2, 3])).toThrow(ShapeError);
    expect(() => layerNorm(x, [3], { weight: zeros([2], { device }) })).toThrow(/layerNorm: weight must have shape \[3\], got \[2\]/);
    expect(() => layerNorm(x, [3], { eps: 0 })).toThrow(ArgumentError);
    expect(() => x.layerNorm(3, { eps: -1 })).toThrow(/layerNorm: eps must be positive/);
    expect(() => layerNorm(tensor([[1, 2]], { device, dtype: 'int32' }), [2])).toThrow(DTypeError);
    const rm = zeros([3], { device });
    const rv = ones([3], { device });
    expect(() => batchNorm(x, null, null)).toThrow(ArgumentError);
    expect(() => batchNorm(x, rm, null, { training: false })).toThrow(/batchNorm: runningMean and runningVar are required when training is false/);
    expect(() => batchNorm(x, rm, rv, { eps: 0 })).toThrow(ArgumentError);
    expect(() => batchNorm(x, rm, rv, { momentum: 1.5 })).toThrow(ArgumentError);
    expect(() => batchNorm(x, zeros([2], { device }), rv)).toThrow(/batchNorm: runningMean must have shape \[3\], got \[2\]/);
    expect(() => batchNorm(zeros([3], { device }), null, null, { training: true })).toThrow(ShapeError);
    expect(() => batchNorm(zeros([1, 3], { device }), null, null, { training: true })).toThrow(/expected more than 1 value per channel/);
  });
});
