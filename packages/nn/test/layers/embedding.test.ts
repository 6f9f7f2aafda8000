import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, Embedding, gradcheck, manualSeed, memory, randn, scope, ShapeError, type Tensor, tensor } from '../../src/index';
import { withFields } from '../helpers';

const idx = (data: number[] | number[][]) => tensor(data, { dtype: 'int32' });
const values = (t: Tensor) => Array.from(t.dataSync());

describe('Embedding', () => {
  it('looks up rows: indices [*] → [*, embeddingDim]', () => {
    const emb = new Embedding(3, 2);
    expect(emb.weight.shape).toEqual([3, 2]);
    emb.loadStateDict({
      weight: tensor([
        [0, 0],
        [1, 2],
        [3, 4],
      ]),
    });
    const y = emb.forward(
      idx([
        [2, 1],
        [0, 2],
      ]),
    );
    expect(y.shape).toEqual([2, 2, 2]);
    expect(values(y)).toEqual([3, 4, 1, 2, 0, 0, 3, 4]);
    expect(emb.forward(idx([1])).shape).toEqual([1, 2]);
    expect(emb.forward(tensor(2, { dtype: 'int32' })).shape).toEqual([2]);
  });

  it('initialises from N(0, 1) with the padding row zeroed', () => {
    manualSeed(30);
    const emb = new Embedding(1000, 100, { paddingIdx: 3 });
    const w = emb.weight.dataSync();
    let sum = 0;
    let sq = 0;
    for (const v of w) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(Math.sqrt(sq / w.length - mean * mean) - 1)).toBeLessThan(0.05);
    expect(Array.from(w.slice(300, 400)).every((v) => v === 0)).toBe(true);
    expect(new Embedding(5, 2, { paddingIdx: -1 }).paddingIdx).toBe(4);
    expect(values(new Embedding(5, 2, { paddingIdx: -1 }).weight).slice(8)).toEqual([0, 0]);
  });

  it('accumulates gradients per looked-up row, none for the padding row', () => {
    const emb = new Embedding(4, 2, { paddingIdx: 1 });
    emb.weight.assign(
      tensor([
        [1, 1],
        [5, 5],
        [2, 2],
        [3, 3],
      ]),
    );
    const y = emb.forward(idx([1, 2, 2, 1, 0]));
    expect(values(y)).toEqual([5, 5, 2, 2, 2, 2, 5, 5, 1, 1]); // the padding row keeps its values
    y.sum().backward();
    expect(values(emb.weight.grad!)).toEqual([1, 1, 0, 0, 2, 2, 0, 0]);
  });

  it('passes gradcheck with respect to the weight', () => {
    manualSeed(31);
    for (const paddingIdx of [null, 0]) {
      const emb = new Embedding(4, 3, { paddingIdx });
      const i = idx([
        [0, 3],
        [2, 0],
      ]);
      const wts = randn([2, 2, 3]);
      const r = gradcheck((w) => withFields(emb, { weight: w }, () => emb.forward(i).mul(wts).sum()), [emb.weight]);
      if (paddingIdx === null) expect(r.ok, JSON.stringify(r.mismatches.slice(0, 3))).toBe(true);
      // with a padding row the analytic gradient is zero there by design, unlike the numeric one
      else expect(r.mismatches.every((m) => m.index < 3 && m.analytic === 0)).toBe(true);
    }
  });

  it('fromPretrained shares the weights and freezes them by default', () => {
    const w = tensor([
      [1, 2],
      [3, 4],
    ]);
    const frozen = Embedding.fromPretrained(w);
    expect(frozen.weight.requiresGrad).toBe(false);
    expect(frozen.numEmbeddings).toBe(2);
    expect(frozen.embeddingDim).toBe(2);
    expect(values(frozen.forward(idx([1])))).toEqual([3, 4]);
    w.assign(
      tensor([
        [0, 0],
        [9, 9],
      ]),
    ); // same memory, as PyTorch
    expect(values(frozen.forward(idx([1])))).toEqual([9, 9]);
    const tuned = Embedding.fromPretrained(
      tensor([
        [1, 2],
        [3, 4],
      ]),
      { freeze: false, paddingIdx: 0 },
    );
    expect(tuned.weight.requiresGrad).toBe(true);
    expect(values(tuned.weight)).toEqual([1, 2, 3, 4]); // the padding row is not zeroed
    tuned
      .forward(idx([0, 1]))
      .sum()
      .backward();
    expect(values(tuned.weight.grad!)).toEqual([0, 0, 1, 1]);
    expect(() => Embedding.fromPretrained(tensor([1, 2]))).toThrow(ShapeError);
    expect(() => Embedding.fromPretrained(tensor([1, 2]))).toThrow('Embedding.fromPretrained: expected 2-D weights [numEmbeddings, embeddingDim], got [2]');
  });

  it('has the key weight and round-trips', () => {
    const a = new Embedding(5, 3);
    expect(Object.keys(a.stateDict())).toEqual(['weight']);
    const b = new Embedding(5, 3);
    b.loadStateDict(a.stateDict());
    expect(values(b.weight)).toEqual(values(a.weight));
    expect(() => b.loadStateDict({ weight: randn([3, 5]) })).toThrow(ShapeError);
    expect(() => b.loadStateDict({})).toThrow(/missing \[weight\]/);
  });

  it('validates arguments and indices', () => {
    expect(() => new Embedding(0, 3)).toThrow('Embedding: numEmbeddings must be a positive integer, got 0');
    expect(() => new Embedding(3, -1)).toThrow('Embedding: embeddingDim must be a positive integer, got -1');
    expect(() => new Embedding(3, 2, { paddingIdx: 3 })).toThrow('Embedding: paddingIdx must be an integer in [-3, 3), got 3');
    const emb = new Embedding(3, 2);
    expect(() => emb.forward(tensor([0, 1]))).toThrow(DTypeError);
    expect(() => emb.forward(tensor([0, 1]))).toThrow('embedding: index must be int32, got float32');
    expect(() => emb.forward(idx([5]))).toThrow(ArgumentError);
  });

  it('frees every tensor on dispose()', () => {
    const before = memory();
    const emb = new Embedding(6, 4, { paddingIdx: 2 });
    scope(() =>
      emb
        .forward(
          idx([
            [1, 2],
            [2, 5],
          ]),
        )
        .sum()
        .backward(),
    );
    emb.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
