import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  BatchNorm1d,
  BatchNorm2d,
  gradcheck,
  LayerNorm,
  manualSeed,
  memory,
  randn,
  scope,
  ShapeError,
  type Tensor,
  tensor,
} from '../../src/index';
import { expectValues as expectClose, withFields } from '../helpers';

const values = (t: Tensor | null) => Array.from(t!.dataSync());
const eps = 1e-5;

describe('BatchNorm1d', () => {
  it('normalizes with batch statistics in training and updates running stats with momentum', () => {
    const bn = new BatchNorm1d(2);
    const x = tensor([
      [1, 2],
      [3, 6],
    ]); // channel 0: mean 2, var 1 (unbiased 2); channel 1: mean 4, var 4 (unbiased 8)
    const y = bn.forward(x);
    expectClose(y.dataSync(), [-1 / Math.sqrt(1 + eps), -2 / Math.sqrt(4 + eps), 1 / Math.sqrt(1 + eps), 2 / Math.sqrt(4 + eps)]);
    // r ← 0.9·r + 0.1·batch (unbiased variance for running_var)
    expectClose(values(bn.runningMean), [0.2, 0.4]);
    expectClose(values(bn.runningVar), [0.9 + 0.2, 0.9 + 0.8]);
    expect(values(bn.numBatchesTracked)).toEqual([1]);
    bn.forward(x);
    expectClose(values(bn.runningMean), [0.9 * 0.2 + 0.2, 0.9 * 0.4 + 0.4]);
    expectClose(values(bn.runningVar), [0.9 * 1.1 + 0.2, 0.9 * 1.7 + 0.8]);
    expect(values(bn.numBatchesTracked)).toEqual([2]);
  });

  it('uses running statistics in eval mode and leaves them unchanged', () => {
    const bn = new BatchNorm1d(2, { momentum: 0.5 });
    bn.loadStateDict({
      weight: tensor([2, 3]),
      bias: tensor([1, -1]),
      running_mean: tensor([0.5, -1]),
      running_var: tensor([4, 0.25]),
      num_batches_tracked: tensor(7, { dtype: 'int32' }),
    });
    bn.eval();
    const y = bn.forward(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    const f = (v: number, m: number, s2: number, w: number, b: number) => ((v - m) / Math.sqrt(s2 + eps)) * w + b;
    expectClose(y.dataSync(), [f(1, 0.5, 4, 2, 1), f(2, -1, 0.25, 3, -1), f(3, 0.5, 4, 2, 1), f(4, -1, 0.25, 3, -1)]);
    expect(values(bn.runningMean)).toEqual([0.5, -1]);
    expect(values(bn.numBatchesTracked)).toEqual([7]);
    bn.train();
    bn.forward(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expectClose(values(bn.runningMean), [0.5 * 0.5 + 0.5 * 2, 0.5 * -1 + 0.5 * 3]);
    expect(values(bn.numBatchesTracked)).toEqual([8]);
  });

  it('accepts [N, C, L] input (statistics over N and L)', () => {
    const bn = new BatchNorm1d(2);
    const x = tensor([
      [
        [1, 3],
        [0, 0],
      ],
      [
        [5, 7],
        [2, 2],
      ],
    ]); // channel 0: 1,3,5,7 (mean 4, var 5); channel 1: 0,0,2,2 (mean 1, var 1)
    const y = bn.forward(x);
    expect(y.shape).toEqual([2, 2, 2]);
    const s0 = Math.sqrt(5 + eps);
    const s1 = Math.sqrt(1 + eps);
    expectClose(y.dataSync(), [-3 / s0, -1 / s0, -1 / s1, -1 / s1, 1 / s0, 3 / s0, 1 / s1, 1 / s1]);
    expectClose(values(bn.runningVar), [0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (4 / 3)]);
  });

  it('keeps a cumulative average with momentum null', () => {
    const bn = new BatchNorm1d(1, { momentum: null });
    bn.forward(tensor([[1], [3]])); // mean 2, unbiased var 2
    expectClose(values(bn.runningMean), [2]);
    expectClose(values(bn.runningVar), [2]);
    bn.forward(tensor([[6], [10]])); // mean 8, unbiased var 8
    expectClose(values(bn.runningMean), [5]);
    expectClose(values(bn.runningVar), [5]);
    expect(values(bn.numBatchesTracked)).toEqual([2]);
  });

  it('without running stats uses batch statistics in eval too; without affine has no weight', () => {
    const bn = new BatchNorm1d(2, { trackRunningStats: false });
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias']);
    const x = randn([4, 2]);
    const train = values(bn.forward(x));
    bn.eval();
    expectClose(values(bn.forward(x)), train);
    const plain = new BatchNorm1d(2, { affine: false });
    expect(plain.weight).toBeNull();
    expect(Object.keys(plain.stateDict())).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
  });

  it('passes gradcheck in training mode (x, weight, bias)', () => {
    manualSeed(10);
    const bn = new BatchNorm1d(3);
    bn.loadStateDict({ ...bn.stateDict(), weight: randn([3]), bias: randn([3]) });
    const x = randn([4, 3]);
    const wts = randn([4, 3]);
    const r = gradcheck((xi, w, b) => withFields(bn, { weight: w, bias: b }, () => bn.forward(xi).mul(wts).sum()), [x, bn.weight!, bn.bias!]);
    expect(r.ok, JSON.stringify(r.mismatches.slice(0, 3))).toBe(true);
  });

  it('validates arguments and input shape', () => {
    expect(() => new BatchNorm1d(0)).toThrow('BatchNorm1d: numFeatures must be a positive integer, got 0');
    expect(() => new BatchNorm1d(2, { momentum: 2 })).toThrow(ArgumentError);
    expect(() => new BatchNorm1d(2, { eps: 0 })).toThrow(/eps must be a positive number/);
    const bn = new BatchNorm1d(3);
    expect(() => bn.forward(randn([4, 2]))).toThrow(ShapeError);
    expect(() => bn.forward(randn([4, 2]))).toThrow('BatchNorm1d: expected 2-D input [N, C=3] or 3-D input [N, C=3, L], got [4,2]');
    expect(() => bn.forward(randn([1, 3]))).toThrow('BatchNorm1d: expected more than 1 value per channel when training, got input [1,3]');
    expect(values(bn.numBatchesTracked)).toEqual([0]);
    expect(bn.eval().forward(randn([1, 3])).shape).toEqual([1, 3]); // fine with running stats
  });
});

describe('BatchNorm2d', () => {
  it('normalizes per channel over N, H, W and updates running stats with the unbiased variance', () => {
    manualSeed(11);
    const bn = new BatchNorm2d(2);
    const x = randn([2, 2, 2, 2]);
    const v = values(x);
    const y = values(bn.forward(x));
    for (let c = 0; c < 2; c++) {
      const idx = [0, 1, 2, 3, 8, 9, 10, 11].map((i) => i + 4 * c);
      const mean = idx.reduce((s, i) => s + v[i], 0) / 8;
      const biased = idx.reduce((s, i) => s + (v[i] - mean) ** 2, 0) / 8;
      expectClose(
        idx.map((i) => y[i]),
        idx.map((i) => (v[i] - mean) / Math.sqrt(biased + eps)),
        1e-4,
      );
      expect(bn.runningMean!.dataSync()[c]).toBeCloseTo(0.1 * mean, 6);
      expect(bn.runningVar!.dataSync()[c]).toBeCloseTo(0.9 + 0.1 * biased * (8 / 7), 6);
    }
    expect(values(bn.numBatchesTracked)).toEqual([1]);
  });

  it('has PyTorch state-dict keys (num_batches_tracked int32 scalar) and round-trips', () => {
    const a = new BatchNorm2d(3);
    expect(Object.keys(a.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(a.numBatchesTracked!.dtype).toBe('int32');
    expect(a.numBatchesTracked!.shape).toEqual([]);
    expect(values(a.weight)).toEqual([1, 1, 1]);
    expect(values(a.bias)).toEqual([0, 0, 0]);
    expect(values(a.runningMean)).toEqual([0, 0, 0]);
    expect(values(a.runningVar)).toEqual([1, 1, 1]);
    expect(a.parameters()).toEqual([a.weight, a.bias]);
    a.forward(randn([4, 3, 2, 2]));
    a.forward(randn([4, 3, 2, 2]));
    const b = new BatchNorm2d(3);
    b.loadStateDict(a.stateDict());
    expect(values(b.runningMean)).toEqual(values(a.runningMean));
    expect(values(b.runningVar)).toEqual(values(a.runningVar));
    expect(values(b.numBatchesTracked)).toEqual([2]);
    const x = randn([2, 3, 2, 2]);
    expect(values(b.eval().forward(x))).toEqual(values(a.eval().forward(x)));
    expect(() => b.loadStateDict({ weight: randn([3]), bias: randn([3]), running_mean: randn([3]), running_var: randn([3]) })).toThrow(
      /missing \[num_batches_tracked\]/,
    );
    expect(() => b.loadStateDict({ ...a.stateDict(), running_var: randn([4]) })).toThrow(ShapeError);
  });

  it('passes gradcheck in eval mode (x, weight, bias)', () => {
    manualSeed(12);
    const bn = new BatchNorm2d(2);
    bn.loadStateDict({ ...bn.stateDict(), running_mean: tensor([0.3, -0.2]), running_var: tensor([0.5, 2]), weight: tensor([1.5, -0.5]) });
    bn.eval();
    const x = randn([2, 2, 2, 3]);
    const wts = randn([2, 2, 2, 3]);
    const r = gradcheck((xi, w, b) => withFields(bn, { weight: w, bias: b }, () => bn.forward(xi).mul(wts).sum()), [x, bn.weight!, bn.bias!]);
    expect(r.ok, JSON.stringify(r.mismatches.slice(0, 3))).toBe(true);
  });

  it('rejects wrong input shapes and frees everything on dispose()', () => {
    expect(() => new BatchNorm2d(3).forward(randn([2, 3, 4]))).toThrow('BatchNorm2d: expected 4-D input [N, C=3, H, W], got [2,3,4]');
    const before = memory();
    const bn = new BatchNorm2d(3);
    scope(() =>
      bn
        .forward(randn([2, 3, 2, 2]))
        .sum()
        .backward(),
    );
    scope(() => void bn.eval().forward(randn([2, 3, 2, 2])));
    bn.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});

describe('LayerNorm', () => {
  it('normalizes over the trailing dims (hand values) and applies weight and bias', () => {
    const ln = new LayerNorm(3);
    const s = Math.sqrt(2 / 3 + eps);
    expectClose(ln.forward(tensor([[1, 2, 3]])).dataSync(), [-1 / s, 0, 1 / s]);
    ln.loadStateDict({ weight: tensor([1, 2, 3]), bias: tensor([0, 1, 0]) });
    expectClose(
      ln
        .forward(
          tensor([
            [1, 2, 3],
            [4, 4, 4],
          ]),
        )
        .dataSync(),
      [-1 / s, 1, 3 / s, 0, 1, 0],
    );
    const ln2 = new LayerNorm([2, 2]);
    expect(ln2.weight!.shape).toEqual([2, 2]);
    expectClose(
      ln2
        .forward(
          tensor([
            [
              [0, 0],
              [2, 2],
            ],
          ]),
        )
        .dataSync(),
      [-1, -1, 1, 1].map((v) => v / Math.sqrt(1 + eps)),
    );
  });

  it('has PyTorch keys for each affine setting', () => {
    expect(Object.keys(new LayerNorm(4).stateDict())).toEqual(['weight', 'bias']);
    expect(Object.keys(new LayerNorm(4, { bias: false }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new LayerNorm(4, { elementwiseAffine: false }).stateDict())).toEqual([]);
    const a = new LayerNorm(4);
    a.loadStateDict({ weight: randn([4]), bias: randn([4]) });
    const b = new LayerNorm(4);
    b.loadStateDict(a.stateDict());
    expect(values(b.weight)).toEqual(values(a.weight));
  });

  it('passes gradcheck (x, weight, bias)', () => {
    manualSeed(13);
    const ln = new LayerNorm([2, 3]);
    ln.loadStateDict({ weight: randn([2, 3]), bias: randn([2, 3]) });
    const wts = randn([2, 2, 3]);
    const r = gradcheck((x, w, b) => withFields(ln, { weight: w, bias: b }, () => ln.forward(x).mul(wts).sum()), [randn([2, 2, 3]), ln.weight!, ln.bias!]);
    expect(r.ok, JSON.stringify(r.mismatches.slice(0, 3))).toBe(true);
  });

  it('validates arguments and input shape; frees everything on dispose()', () => {
    expect(() => new LayerNorm(0)).toThrow('LayerNorm: normalizedShape must be a positive integer or a non-empty list of them, got 0');
    expect(() => new LayerNorm([])).toThrow(ArgumentError);
    expect(() => new LayerNorm(4).forward(randn([2, 3]))).toThrow('layerNorm: input [2,3] does not end with normalizedShape [4]');
    expect(() => new LayerNorm([2, 3]).forward(randn([3]))).toThrow(ShapeError);
    const before = memory();
    const ln = new LayerNorm(5);
    scope(() =>
      ln
        .forward(randn([2, 5]))
        .sum()
        .backward(),
    );
    ln.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
