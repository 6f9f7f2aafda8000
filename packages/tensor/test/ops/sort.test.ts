import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  argsort,
  cumprod,
  cumsum,
  DTypeError,
  kthvalue,
  median,
  memory,
  quantile,
  ShapeError,
  scope,
  sort,
  tensor,
  topk,
} from '../../src/index';
import { DEVICES, errorIn, randomValues } from '../helpers';

// Typed errors of the sorting ops and scans, and stability/memory checks the op table's shared
// loops do not make; the values of every op on every device are in test/op-table/sorting.ts.

describe('sorting and scan errors', () => {
  const x = () => tensor([3, 1, 2]);
  const cases: [string, () => unknown, typeof ArgumentError | typeof ShapeError | typeof DTypeError, RegExp][] = [
    ['topk k > n', () => topk(x(), 4), ArgumentError, /topk: k must be an integer in \[0, 3\] .*got 4/],
    ['topk k < 0', () => topk(x(), -1), ArgumentError, /k must be an integer in \[0, 3\]/],
    ['topk fractional k', () => topk(x(), 1.5), ArgumentError, /got 1\.5/],
    ['kthvalue k = 0', () => kthvalue(x(), 0), ArgumentError, /kthvalue: k must be an integer in \[1, 3\]/],
    ['kthvalue k > n', () => kthvalue(x(), 4), ArgumentError, /\[1, 3\]/],
    ['quantile q > 1', () => quantile(x(), 1.5), ArgumentError, /quantile: q must be a number in \[0, 1\].*got 1\.5/],
    ['quantile q < 0 in an array', () => quantile(x(), [0.5, -0.1]), ArgumentError, /got \[0\.5, -0\.1\]/],
    ['quantile NaN q', () => quantile(x(), Number.NaN), ArgumentError, /got NaN/],
    [
      'quantile bad interpolation',
      () => quantile(x(), 0.5, { interpolation: 'cubic' as never }),
      ArgumentError,
      /unknown interpolation "cubic" \(expected 'linear', 'lower'/,
    ],
    ['quantile of int32', () => quantile(tensor([1, 2], { dtype: 'int32' }), 0.5), DTypeError, /quantile: input must be float32, got int32/],
    ['quantile of an empty tensor', () => quantile(tensor([]), 0.5), ShapeError, /quantile: input must be non-empty/],
    ['median over an empty dim', () => median(tensor([[], []]), { dim: 1 }), ShapeError, /median: cannot take the median over a zero-size dim of \[2,0\]/],
    ['sort unknown option', () => sort(x(), { axis: 0 } as never), ArgumentError, /sort: unknown option 'axis'/],
    ['sort non-boolean descending', () => sort(x(), { descending: 1 as never }), ArgumentError, /sort: descending must be a boolean/],
    ['argsort dim out of range', () => argsort(x(), { dim: 1 }), ShapeError, /argsort: dim 1 out of range/],
    ['topk unknown option', () => topk(x(), 1, { k: 1 } as never), ArgumentError, /topk: unknown option 'k'/],
    ['median unknown option', () => median(x(), { dims: 0 } as never), ArgumentError, /median: unknown option 'dims'/],
    ['cumsum non-integer dim', () => cumsum(x(), 0.5), ArgumentError, /cumsum: dim must be an integer/],
    ['cumprod dim out of range', () => cumprod(x(), 2), ShapeError, /cumprod: dim 2 out of range/],
  ];
  for (const [name, fn, kind, message] of cases) {
    it(name, () => {
      const before = memory().devices.cpu.tensors;
      const err = errorIn(fn);
      expect(err).toBeInstanceOf(kind);
      expect((err as Error).message).toMatch(message);
      expect(memory().devices.cpu.tensors).toBe(before);
    });
  }
});

describe.each(DEVICES)('sorting [%s]', (device) => {
  it('descending stable sort of 3000 alternating ties: the ones in order, then the zeros', async () => {
    const n = 3000;
    const x = tensor(
      Array.from({ length: n }, (_, i) => i % 2),
      { device, dtype: 'int32' },
    );
    const { values, indices } = sort(x, { descending: true });
    const want = [...Array.from({ length: n / 2 }, (_, i) => 2 * i + 1), ...Array.from({ length: n / 2 }, (_, i) => 2 * i)];
    expect(Array.from(await indices.data())).toEqual(want);
    expect(Array.from(await values.data())).toEqual(want.map((i) => i % 2));
    for (const t of [x, values, indices]) t.dispose();
  });

  it('a row of 5000 sorts as the host does, in rows of a [3, 5000] stepped view', async () => {
    const data = randomValues(3 * 10000, 21, -100, 100).map((v) => Math.round(v)); // many ties
    const base = tensor(data, { device }).reshape([3, 10000]);
    const x = base.slice(1, 1, 10000, 2);
    const { values, indices } = sort(x, { dim: 1 });
    const got = Array.from(await indices.data());
    const vals = Array.from(await values.data());
    for (let r = 0; r < 3; r++) {
      const row = Array.from({ length: 5000 }, (_, i) => data[r * 10000 + 1 + 2 * i]);
      const order = row.map((_, i) => i).sort((a, b) => row[a] - row[b] || a - b);
      expect(got.slice(r * 5000, (r + 1) * 5000)).toEqual(order);
      expect(vals.slice(r * 5000, (r + 1) * 5000)).toEqual(order.map((i) => row[i]));
    }
    for (const t of [base, x, values, indices]) t.dispose();
  });

  it('a row of 4099 floats with NaN, ±0, ±∞ and ties sorts as the host does, both directions, stably', async () => {
    const specials = [Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1e-30, 3.5];
    const data = randomValues(4099, 5, -50, 50).map((v, i) => (i % 7 === 0 ? specials[(i / 7) % specials.length] : Math.round(v) / 4));
    const x = tensor(data, { device });
    // host reference: NaN largest, −0 equal to +0, ties by position
    const cmpValue = (u: number, v: number) => (Number.isNaN(u) ? (Number.isNaN(v) ? 0 : 1) : Number.isNaN(v) ? -1 : u < v ? -1 : u > v ? 1 : 0);
    const cmp = (a: number, b: number) => cmpValue(data[a], data[b]);
    for (const descending of [false, true]) {
      const order = data.map((_, i) => i).sort((a, b) => (descending ? -cmp(a, b) : cmp(a, b)) || a - b);
      const { values, indices } = sort(x, { descending, stable: true });
      expect(Array.from(await indices.data())).toEqual(order);
      expect(Array.from(await values.data())).toEqual(order.map((i) => Math.fround(data[i])));
      values.dispose();
      indices.dispose();
    }
    x.dispose();
  });

  it('gradients reach the source positions; memory is flat after forward and backward', async () => {
    const before = memory().devices[device];
    const x = tensor([0.5, -1, 2, 0.25], { device, requiresGrad: true });
    scope(() => {
      const { values } = topk(x, 2);
      values
        .mul(tensor([10, 1], { device }))
        .sum()
        .backward();
    });
    expect(Array.from(await (x.grad?.data() ?? Promise.resolve([])))).toEqual([1, 0, 10, 0]);
    x.grad?.dispose();
    x.dispose();
    expect(memory().devices[device].tensors).toBe(before.tensors);
    expect(memory().devices[device].bytes).toBe(before.bytes);
  });

  it('cumprod gradients through zeros match PyTorch', async () => {
    // y = [2, 0, 0, 0] for x = [2, 0, 5, 3]; with Σ y: ∂/∂x₀ = 1, ∂/∂x₁ = 2 + 10 + 30 = 42, 0 after
    const x = tensor([2, 0, 5, 3], { device, requiresGrad: true });
    scope(() => cumprod(x, 0).sum().backward());
    expect(Array.from(await (x.grad?.data() ?? Promise.resolve([])))).toEqual([1, 42, 0, 0]);
    x.grad?.dispose();
    x.dispose();
  });

  it('method forms', async () => {
    const x = tensor([[4, 1, 3, 2]], { device });
    const r = scope(() => ({
      argsort: x.argsort(),
      kth: x.kthvalue(2).values,
      median: x.median(),
      medianDim: x.median({ dim: 1 }).indices,
      q: x.quantile(0.5, { dim: 1 }),
      cumsum: x.cumsum(1),
      cumprod: x.cumprod(-1),
      sort: x.sort({ descending: true }).values,
      topk: x.topk(1).indices,
    }));
    const got = Object.fromEntries(await Promise.all(Object.entries(r).map(async ([k, t]) => [k, Array.from(await t.data())])));
    expect(got).toEqual({
      argsort: [1, 3, 2, 0],
      kth: [2],
      median: [2],
      medianDim: [3],
      q: [2.5],
      cumsum: [4, 5, 8, 10],
      cumprod: [4, 4, 12, 24],
      sort: [4, 3, 2, 1],
      topk: [0],
    });
    for (const t of [x, ...Object.values(r)]) t.dispose();
  });
});
