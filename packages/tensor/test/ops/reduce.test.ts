import { expect, it } from 'vitest';
import { type Tensor, tensor, zeros, sum, mean, prod, max, min, argmax, argmin, variance, std, logsumexp, ShapeError, ArgumentError } from '../../src/index';
import { describeOnCpu, expectGradcheck, randomValues } from '../helpers';

// x = [[1, 5, 2], [4, 3, 6]]
describeOnCpu('reductions', (device) => {
  const x = () =>
    tensor(
      [
        [1, 5, 2],
        [4, 3, 6],
      ],
      { device },
    );
  const t = (data: Parameters<typeof tensor>[0], dtype?: 'float32' | 'int32' | 'bool') => tensor(data, { device, dtype });

  it('sum: no dim, single dim, negative dim, dim list, keepdim (options object and positional boolean)', async () => {
    const a = sum(x());
    expect(a.shape).toEqual([]);
    expect(await a.item()).toBe(21);
    await expect(sum(x(), 0)).toBeAllClose([5, 8, 8]);
    await expect(x().sum(1)).toBeAllClose([8, 13]);
    await expect(sum(x(), -1)).toBeAllClose([8, 13]);
    await expect(sum(x(), -2)).toBeAllClose([5, 8, 8]);
    const all = sum(x(), [0, 1]);
    expect(all.shape).toEqual([]);
    expect(await all.item()).toBe(21);
    const k1 = sum(x(), 1, { keepdim: true });
    expect(k1.shape).toEqual([2, 1]);
    await expect(k1).toBeAllClose([[8], [13]]);
    const k2 = x().sum(1, true);
    expect(k2.shape).toEqual([2, 1]);
    await expect(k2).toBeAllClose([[8], [13]]);
    const k3 = sum(x(), { dim: 0, keepdim: true });
    expect(k3.shape).toEqual([1, 3]);
    await expect(k3).toBeAllClose([[5, 8, 8]]);
    const k4 = sum(x(), [1, 0], { keepdim: true });
    expect(k4.shape).toEqual([1, 1]);
    await expect(k4).toBeAllClose([[21]]);
    expect(sum(x(), { keepdim: true }).shape).toEqual([1, 1]);
    await expect(sum(x(), [-1], false)).toBeAllClose([8, 13]);
  });

  it('mean, prod, max, min along various dims', async () => {
    expect(await mean(x()).item()).toBeCloseTo(3.5, 6);
    await expect(x().mean(0)).toBeAllClose([2.5, 4, 4]);
    await expect(mean(x(), -1, true)).toBeAllClose([[8 / 3], [13 / 3]]);
    expect(await prod(x()).item()).toBe(720);
    await expect(x().prod(0)).toBeAllClose([4, 15, 12]);
    await expect(prod(x(), 1, { keepdim: true })).toBeAllClose([[10], [72]]);
    expect(await max(x()).item()).toBe(6);
    await expect(max(x(), 0)).toBeAllClose([4, 5, 6]);
    await expect(x().max(-1, true)).toBeAllClose([[5], [6]]);
    expect(await x().min().item()).toBe(1);
    await expect(min(x(), 0)).toBeAllClose([1, 3, 2]);
    await expect(min(x(), { dim: 1, keepdim: true })).toBeAllClose([[1], [3]]);
    await expect(max(x(), [0, 1], { keepdim: true })).toBeAllClose([[6]]);
  });

  it('argmax and argmin: flattened, per dim, keepdim, first occurrence on ties', async () => {
    const am = argmax(x());
    expect(am.dtype).toBe('int32');
    expect(am.shape).toEqual([]);
    expect(await am.item()).toBe(5);
    expect(await argmin(x()).item()).toBe(0);
    await expect(argmax(x(), 0)).toBeAllClose([1, 0, 1]);
    await expect(x().argmax(1)).toBeAllClose([1, 2]);
    await expect(argmax(x(), -1, true)).toBeAllClose([[1], [2]]);
    expect(argmax(x(), 1, { keepdim: true }).shape).toEqual([2, 1]);
    const flatKeep = argmax(x(), { keepdim: true });
    expect(flatKeep.shape).toEqual([1, 1]);
    await expect(flatKeep).toBeAllClose([[5]]);
    await expect(argmin(x(), 0)).toBeAllClose([0, 1, 0]);
    await expect(x().argmin(-1)).toBeAllClose([0, 1]);
    expect(await argmax(t([1, 3, 3, 2])).item()).toBe(1);
    expect(await argmin(t([2, 1, 1, 5])).item()).toBe(1);
    await expect(
      argmax(
        t([
          [7, 7],
          [1, 9],
        ]),
        1,
      ),
    ).toBeAllClose([0, 1]);
  });

  it('reduces 0-d inputs to themselves', async () => {
    const s = () => t(5);
    for (const r of [sum(s()), sum(s(), 0), sum(s(), -1), mean(s()), prod(s()), max(s()), min(s()), logsumexp(s())]) {
      expect(r.shape).toEqual([]);
      expect(await r.item()).toBeCloseTo(5, 5);
    }
    expect(sum(s(), 0, true).shape).toEqual([]);
    expect(await argmax(s()).item()).toBe(0);
    expect(await argmin(s(), 0).item()).toBe(0);
    expect(await variance(s(), { correction: 0 }).item()).toBe(0);
    expect(await variance(s()).item()).toBeNaN(); // N − 1 = 0, as PyTorch
  });

  it('handles zero-size dims: empty sum 0, empty prod 1, max over empty dim throws', async () => {
    const e = () => zeros([0, 3], { device });
    await expect(sum(e(), 0)).toBeAllClose([0, 0, 0]);
    expect(await sum(e()).item()).toBe(0);
    expect(sum(e(), 1).shape).toEqual([0]);
    await expect(prod(e(), 0)).toBeAllClose([1, 1, 1]);
    expect(await prod(e()).item()).toBe(1);
    expect(await mean(zeros([0], { device })).item()).toBeNaN();
    expect(max(e(), 1).shape).toEqual([0]);
    expect(() => max(e(), 0)).toThrow(ShapeError);
    expect(() => max(e())).toThrow(/max: cannot reduce over a zero-size dim of \[0,3\]/);
    expect(() => min(e(), 0)).toThrow(ShapeError);
    expect(() => argmax(e(), 0)).toThrow(ShapeError);
    expect(() => argmin(e())).toThrow(ShapeError);
  });

  it('integer inputs: sum/prod/max stay integral, mean/variance become float32', async () => {
    const i = t(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      'int32',
    );
    const s = sum(i);
    expect(s.dtype).toBe('int32');
    expect(await s.item()).toBe(21);
    expect(sum(i, 1).dtype).toBe('int32');
    expect(prod(i).dtype).toBe('int32');
    expect(await prod(i).item()).toBe(720);
    expect(max(i).dtype).toBe('int32');
    expect(await max(i, 0).toArray()).toEqual([4, 5, 6]);
    const m = mean(i, 1);
    expect(m.dtype).toBe('float32');
    await expect(m).toBeAllClose([2, 5]);
    expect(await mean(t([1, 2], 'int32')).item()).toBe(1.5);
    expect(variance(i).dtype).toBe('float32');
    expect(await variance(i).item()).toBeCloseTo(3.5, 5);
    const b = sum(t([true, false, true, true]));
    expect(b.dtype).toBe('int32');
    expect(await b.item()).toBe(3);
  });

  it('NaN propagates through sum, mean, prod, max, min and wins argmax/argmin', async () => {
    const n = () => t([1, NaN, 3]);
    for (const r of [sum(n()), mean(n()), prod(n()), max(n()), min(n()), variance(n()), logsumexp(n())]) {
      expect(await r.item()).toBeNaN();
    }
    await expect(
      max(
        t([
          [1, 2],
          [NaN, 0],
        ]),
        1,
      ),
    ).toBeAllClose([2, NaN]);
    expect(await argmax(n()).item()).toBe(1);
    expect(await argmin(t([1, NaN, 0])).item()).toBe(1);
  });

  it('variance and std with correction 0/1 and unbiased: false', async () => {
    expect(await variance(x()).item()).toBeCloseTo(3.5, 5);
    expect(await variance(x(), { correction: 0 }).item()).toBeCloseTo(17.5 / 6, 5);
    expect(await x().variance({ unbiased: false }).item()).toBeCloseTo(17.5 / 6, 5);
    expect(await variance(x(), { unbiased: true }).item()).toBeCloseTo(3.5, 5);
    await expect(variance(x(), 1)).toBeAllClose([13, 7].map((v) => v / 3));
    await expect(variance(x(), 0)).toBeAllClose([4.5, 2, 8]);
    await expect(variance(x(), 0, { correction: 0 })).toBeAllClose([2.25, 1, 4]);
    await expect(variance(x(), 0, { unbiased: false, keepdim: true })).toBeAllClose([[2.25, 1, 4]]);
    await expect(variance(x(), { dim: -1, correction: 2 })).toBeAllClose([26 / 3, 14 / 3]);
    await expect(variance(t([1, 2, 3, 4]))).toBeAllClose([5 / 3]);
    await expect(std(x(), 0)).toBeAllClose([Math.sqrt(4.5), Math.SQRT2, Math.sqrt(8)]);
    await expect(x().std(1, { correction: 0 })).toBeAllClose([Math.sqrt(26 / 9), Math.sqrt(14 / 9)]);
    expect(std(x(), 1, true).shape).toEqual([2, 1]);
    expect(await std(t([1, 2, 3, 4])).item()).toBeCloseTo(1.2909944, 5);
  });

  it('logsumexp: values, stability with large inputs, -Infinity', async () => {
    const lse = (vs: number[]) => Math.log(vs.reduce((p, v) => p + Math.exp(v), 0));
    await expect(logsumexp(x(), 1)).toBeAllClose([lse([1, 5, 2]), lse([4, 3, 6])]);
    await expect(x().logsumexp(0, true)).toBeAllClose([[lse([1, 4]), lse([5, 3]), lse([2, 6])]]);
    expect(await logsumexp(x()).item()).toBeCloseTo(lse([1, 5, 2, 4, 3, 6]), 5);
    expect(await logsumexp(t([1000, 1000])).item()).toBeCloseTo(1000 + Math.LN2, 3);
    await expect(
      logsumexp(
        t([
          [1000, 1000],
          [-1000, -1000],
        ]),
        1,
      ),
    ).toBeAllClose([1000 + Math.LN2, -1000 + Math.LN2]);
    expect(await logsumexp(t([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(await logsumexp(t([-Infinity, 0])).item()).toBeCloseTo(0, 6);
    expect(await logsumexp(t([Infinity, 0])).item()).toBe(Infinity);
    expect(await logsumexp(t([0, 0]), 0).item()).toBeCloseTo(Math.LN2, 6);
  });

  it('max and min split the gradient equally among ties', async () => {
    const a = tensor([1, 3, 3, 2], { device, requiresGrad: true });
    max(a).backward();
    await expect(a.grad!).toBeAllClose([0, 0.5, 0.5, 0]);
    const b = tensor(
      [
        [1, 3, 3],
        [2, 2, 2],
      ],
      { device, requiresGrad: true },
    );
    max(b, 1).sum().backward();
    await expect(b.grad!).toBeAllClose([
      [0, 0.5, 0.5],
      [1 / 3, 1 / 3, 1 / 3],
    ]);
    const c = tensor(
      [
        [1, 0, 4],
        [5, 2, 4],
      ],
      { device, requiresGrad: true },
    );
    min(c, 0)
      .mul(t([1, 2, 3]))
      .sum()
      .backward();
    await expect(c.grad!).toBeAllClose([
      [1, 2, 1.5],
      [0, 0, 1.5],
    ]);
  });

  it('prod gradient with one zero and with two zeros (hand values)', async () => {
    const a = tensor([2, 0, 3, 4], { device, requiresGrad: true });
    prod(a).backward();
    await expect(a.grad!).toBeAllClose([0, 24, 0, 0]);
    const b = tensor([2, 0, 3, 0], { device, requiresGrad: true });
    prod(b).backward();
    await expect(b.grad!).toBeAllClose([0, 0, 0, 0]);
    const c = tensor(
      [
        [2, 0, 3],
        [0, 5, 0],
        [1, 2, 3],
      ],
      { device, requiresGrad: true },
    );
    prod(c, 1).sum().backward();
    await expect(c.grad!).toBeAllClose([
      [0, 6, 0],
      [0, 0, 0],
      [6, 3, 2],
    ]);
  });

  const x34 = (seed: number, lo = -1, hi = 1) => tensor(randomValues(12, seed, lo, hi), { device }).reshape([3, 4]);
  const dimCases: [string, (y: Tensor, f: (y: Tensor, d?: number | number[], k?: boolean) => Tensor) => Tensor][] = [
    ['all dims', (y, f) => f(y)],
    ['dim 0', (y, f) => f(y, 0)],
    ['dim -1 keepdim', (y, f) => f(y, -1, true)],
    ['dims [0, 1]', (y, f) => f(y, [0, 1])],
  ];
  const grads: [string, (y: Tensor, d?: number | number[], k?: boolean) => Tensor, () => Tensor][] = [
    ['sum', (y, d, k) => sum(y, d, k), () => x34(1)],
    ['mean', (y, d, k) => mean(y, d, k), () => x34(2)],
    ['prod', (y, d, k) => prod(y, d, k), () => x34(3, 0.5, 1.5)],
    ['max', (y, d, k) => max(y, d, k), () => x34(4)],
    ['min', (y, d, k) => min(y, d, k), () => x34(5)],
    ['variance', (y, d, k) => variance(y, d, k), () => x34(6)],
    ['variance correction 0', (y, d, k) => variance(y, d, { keepdim: k, correction: 0 }), () => x34(7)],
    ['std', (y, d, k) => std(y, d, k), () => x34(8)],
    ['logsumexp', (y, d, k) => logsumexp(y, d, k), () => x34(9, -3, 3)],
  ];
  for (const [name, f, input] of grads) {
    for (const [dname, apply] of dimCases) {
      it(`gradcheck: ${name} over ${dname} of a [3,4] input`, () => {
        expectGradcheck((y) => apply(y, f).sin().sum(), [input()]);
      });
    }
  }

  it('gradcheck: prod with one zero and with two zeros per group', () => {
    expectGradcheck(
      (y) => prod(y, 1).sin().sum(),
      [
        t([
          [0.7, 0, 1.3, -0.9],
          [0, 1.1, 0, 0.8],
        ]),
      ],
    );
    expectGradcheck((y) => prod(y).mul(3), [t([0.7, 0, 1.3, -0.9])]);
  });

  it('throws typed errors for bad dims', () => {
    expect(() => sum(x(), 2)).toThrow(ShapeError);
    expect(() => sum(x(), 2)).toThrow(/sum: dim 2 out of range for a tensor of rank 2/);
    expect(() => mean(x(), -3)).toThrow(/mean: dim -3 out of range/);
    expect(() => max(x(), [0, 5])).toThrow(/max: dim 5 out of range/);
    expect(() => argmax(x(), 2)).toThrow(/argmax: dim 2 out of range/);
    expect(() => variance(x(), 3)).toThrow(/variance: dim 3 out of range/);
    expect(() => logsumexp(x(), -4)).toThrow(ShapeError);
    expect(() => sum(t(1), 1)).toThrow(ShapeError);
    expect(() => sum(x(), [1, -1])).toThrow(ArgumentError);
    expect(() => prod(x(), [0, 0])).toThrow(/prod: dim \[0,0\] repeats a dimension/);
    expect(() => argmin(x(), [0, 1] as unknown as number)).toThrow(ArgumentError);
  });
});
