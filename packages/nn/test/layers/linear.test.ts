import { describe, expect, it } from 'vitest';
import { ArgumentError, Flatten, gradcheck, Linear, manualSeed, memory, randn, scope, ShapeError, type Tensor, tensor } from '../../src/index';
import { expectValues as expectClose, withFields } from '../helpers';

/** Run `fn` with some of `m`'s fields replaced (to differentiate through its parameters). */

function stats(values: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  const a = Array.from(values);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  return { mean, std, min: a.reduce((m, v) => Math.min(m, v), Infinity), max: a.reduce((m, v) => Math.max(m, v), -Infinity) };
}

describe('Linear', () => {
  it('has PyTorch shapes for 1-D, 2-D and 3-D inputs', () => {
    const fc = new Linear(4, 3);
    expect(fc.weight.shape).toEqual([3, 4]);
    expect(fc.bias!.shape).toEqual([3]);
    expect(fc.forward(randn([4])).shape).toEqual([3]);
    expect(fc.forward(randn([5, 4])).shape).toEqual([5, 3]);
    expect(fc.forward(randn([2, 5, 4])).shape).toEqual([2, 5, 3]);
    expect(fc.inFeatures).toBe(4);
    expect(fc.outFeatures).toBe(3);
  });

  it('computes x Wᵀ + b (hand values)', () => {
    const fc = new Linear(2, 3);
    fc.loadStateDict({
      weight: tensor([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      bias: tensor([0.1, 0.2, 0.3]),
    });
    expectClose(
      fc
        .forward(
          tensor([
            [1, -1],
            [2, 0.5],
          ]),
        )
        .dataSync(),
      [-0.9, -0.8, -0.7, 3.1, 8.2, 13.3],
    );
    const noBias = new Linear(2, 1, { bias: false });
    expect(noBias.bias).toBeNull();
    noBias.weight.assign(tensor([[2, -3]]));
    expectClose(noBias.forward(tensor([1, 1])).dataSync(), [-1]);
  });

  it('initialises weight and bias from U(−1/√in, 1/√in), as PyTorch', () => {
    manualSeed(1);
    const fc = new Linear(1000, 500);
    const bound = 1 / Math.sqrt(1000);
    const w = stats(fc.weight.dataSync());
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(w.mean)).toBeLessThan(0.001);
    expect(Math.abs(w.std / (1 / Math.sqrt(3 * 1000)) - 1)).toBeLessThan(0.1);
    const b = stats(fc.bias!.dataSync());
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.min).toBeGreaterThanOrEqual(-bound);
    expect(Math.abs(b.std / (1 / Math.sqrt(3 * 1000)) - 1)).toBeLessThan(0.1);
    expect(fc.weight.requiresGrad).toBe(true);
    expect(fc.weight.isLeaf).toBe(true);
  });

  it('is reproducible under manualSeed', () => {
    manualSeed(7);
    const a = new Linear(3, 2);
    manualSeed(7);
    const b = new Linear(3, 2);
    expect(Array.from(a.weight.dataSync())).toEqual(Array.from(b.weight.dataSync()));
    expect(Array.from(a.bias!.dataSync())).toEqual(Array.from(b.bias!.dataSync()));
  });

  it('passes gradcheck for input, weight and bias', () => {
    manualSeed(2);
    const fc = new Linear(3, 2);
    const x = randn([4, 3]);
    const wts = randn([4, 2]);
    const r = gradcheck((xi, w, b) => withFields(fc, { weight: w, bias: b }, () => fc.forward(xi).mul(wts).sum()), [x, fc.weight, fc.bias!]);
    expect(r.ok, JSON.stringify(r.mismatches.slice(0, 3))).toBe(true);
  });

  it('fills .grad of its parameters on backward', () => {
    const fc = new Linear(2, 1);
    fc.loadStateDict({ weight: tensor([[1, 1]]), bias: tensor([0]) });
    fc.forward(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    )
      .sum()
      .backward();
    expectClose(fc.weight.grad!.dataSync(), [4, 6]);
    expectClose(fc.bias!.grad!.dataSync(), [2]);
  });

  it('has the state-dict keys of PyTorch and round-trips through loadStateDict', () => {
    const a = new Linear(3, 2);
    expect(Object.keys(a.stateDict())).toEqual(['weight', 'bias']);
    expect(Object.keys(new Linear(3, 2, { bias: false }).stateDict())).toEqual(['weight']);
    const b = new Linear(3, 2);
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.weight.dataSync())).toEqual(Array.from(a.weight.dataSync()));
    const x = randn([2, 3]);
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
  });

  it('rejects missing, unexpected and wrongly shaped state-dict entries', () => {
    const fc = new Linear(3, 2);
    expect(() => fc.loadStateDict({ weight: randn([2, 3]) })).toThrow(/missing \[bias\]/);
    expect(() => fc.loadStateDict({ weight: randn([2, 3]), bias: randn([2]), extra: randn([1]) })).toThrow(/unexpected \[extra\]/);
    expect(() => fc.loadStateDict({ weight: randn([3, 2]), bias: randn([2]) })).toThrow(ShapeError);
    expect(fc.loadStateDict({ weight: randn([2, 3]) }, { strict: false })).toEqual({ missingKeys: ['bias'], unexpectedKeys: [] });
  });

  it('validates its arguments and its input shape', () => {
    expect(() => new Linear(0, 2)).toThrow(ArgumentError);
    expect(() => new Linear(0, 2)).toThrow('Linear: inFeatures must be a positive integer, got 0');
    expect(() => new Linear(2, 1.5)).toThrow('Linear: outFeatures must be a positive integer, got 1.5');
    const fc = new Linear(4, 2);
    expect(() => fc.forward(randn([2, 3]))).toThrow(ShapeError);
    expect(() => fc.forward(randn([2, 3]))).toThrow("linear: input's last dim must equal weight's inFeatures: input [2,3], weight [2,4] (expected last dim 4)");
    expect(() => fc.forward(tensor(1))).toThrow("linear: input's last dim must equal weight's inFeatures: input [], weight [2,4] (expected last dim 4)");
    expect(() => fc.forward(3 as unknown as Tensor)).toThrow('Linear: expected a Tensor input, got a number (not a Tensor)');
  });

  it('frees every tensor on dispose()', () => {
    const before = memory();
    const fc = new Linear(5, 4);
    scope(() =>
      fc
        .forward(randn([3, 5]))
        .sum()
        .backward(),
    );
    expect(fc.weight.grad).not.toBeNull();
    fc.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });

  it('keeps its parameters alive when built inside a scope', () => {
    const fc = scope(() => new Linear(2, 2));
    expect(fc.weight.isDisposed).toBe(false);
    expect(fc.forward(randn([1, 2])).shape).toEqual([1, 2]);
    fc.dispose();
  });
});

describe('Flatten', () => {
  it('merges startDim…endDim (defaults keep the batch dim)', () => {
    const x = randn([2, 3, 4, 5]);
    expect(new Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new Flatten({ startDim: 0 }).forward(x).shape).toEqual([120]);
    expect(new Flatten({ startDim: 1, endDim: 2 }).forward(x).shape).toEqual([2, 12, 5]);
    expect(new Flatten({ startDim: -2 }).forward(x).shape).toEqual([2, 3, 20]);
    expect(Array.from(new Flatten().forward(x).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(Object.keys(new Flatten().stateDict())).toEqual([]);
  });

  it('passes gradcheck', () => {
    const wts = randn([2, 6]);
    const r = gradcheck((x) => new Flatten().forward(x).mul(wts).sum(), [randn([2, 3, 2])]);
    expect(r.ok).toBe(true);
  });

  it('rejects inputs without the dims to merge', () => {
    expect(() => new Flatten().forward(randn([3]))).toThrow(ShapeError);
    expect(() => new Flatten().forward(randn([3]))).toThrow('Flatten: expected input with at least 2 dims (startDim 1, endDim -1), got [3]');
    expect(() => new Flatten({ startDim: 2, endDim: 1 }).forward(randn([2, 3, 4]))).toThrow(ArgumentError);
    expect(() => new Flatten({ startDim: 0.5 })).toThrow('Flatten: startDim must be an integer, got 0.5');
  });
});
