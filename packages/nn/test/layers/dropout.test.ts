import { describe, expect, it } from 'vitest';
import { ArgumentError, Dropout, dropout, Generator, gradcheck, manualSeed, memory, ones, randn, scope, Sequential, Linear, tensor } from '../../src/index';

describe('Dropout', () => {
  it('in training zeroes about p of the elements and scales the rest by 1/(1 − p)', () => {
    manualSeed(20);
    const drop = new Dropout(0.3);
    expect(drop.training).toBe(true);
    const y = drop.forward(ones([10000])).dataSync();
    let zeros = 0;
    let sum = 0;
    for (const v of y) {
      if (v === 0) zeros++;
      else expect(v).toBeCloseTo(1 / 0.7, 5);
      sum += v;
    }
    expect(Math.abs(zeros / 10000 - 0.3)).toBeLessThan(0.02);
    expect(Math.abs(sum / 10000 - 1)).toBeLessThan(0.03);
    expect(new Dropout().p).toBe(0.5);
  });

  it('is the identity in eval mode, and train() switches it back on', () => {
    const drop = new Dropout(0.5);
    const x = randn([4, 5]);
    drop.eval();
    expect(drop.training).toBe(false);
    expect(drop.forward(x)).toBe(x);
    drop.train();
    manualSeed(21);
    const y = drop.forward(x).dataSync();
    expect(Array.from(y).some((v) => v === 0)).toBe(true);
  });

  it('follows train()/eval() of an enclosing model', () => {
    const model = new Sequential(new Linear(3, 3), new Dropout(0.9));
    model.eval();
    expect(model.at(1).training).toBe(false);
    const x = randn([2, 3]);
    expect(Array.from(model.forward(x).dataSync())).toEqual(Array.from(model.at(0).forward(x).dataSync()));
    model.train();
    expect(model.at(1).training).toBe(true);
  });

  it('handles p = 0 and p = 1, and is reproducible under manualSeed', () => {
    const x = randn([3, 3]);
    expect(Array.from(new Dropout(0).forward(x).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(Array.from(new Dropout(1).forward(x).dataSync()).every((v) => v === 0)).toBe(true);
    manualSeed(22);
    const a = Array.from(new Dropout(0.5).forward(x).dataSync());
    manualSeed(22);
    expect(Array.from(new Dropout(0.5).forward(x).dataSync())).toEqual(a);
  });

  it('passes gradcheck (same mask on every evaluation)', () => {
    const drop = new Dropout(0.4);
    const wts = randn([3, 4]);
    const r = gradcheck(
      (x) => {
        manualSeed(23);
        return drop.forward(x).mul(wts).sum();
      },
      [randn([3, 4])],
    );
    expect(r.ok).toBe(true);
    // d/dx = mask / (1 − p)
    manualSeed(23);
    const x = randn([3, 4], { requiresGrad: true });
    manualSeed(23);
    const y = drop.forward(x);
    y.sum().backward();
    const g = x.grad!.dataSync();
    y.dataSync().forEach((v, i) => expect(g[i]).toBeCloseTo(v === 0 ? 0 : 1 / 0.6, 5));
  });

  it('draws its masks from its own generator when given one', () => {
    const x = ones([64]);
    const a = new Dropout(0.5, { generator: new Generator({ seed: 8 }) });
    const b = new Dropout(0.5, { generator: new Generator({ seed: 8 }) });
    manualSeed(1);
    const first = Array.from(a.forward(x).dataSync());
    manualSeed(2); // the global stream does not matter
    expect(Array.from(b.forward(x).dataSync())).toEqual(first);
    expect(Array.from(dropout(x, 0.5, true, { generator: new Generator({ seed: 8 }) }).dataSync())).toEqual(first);
    expect(Array.from(a.forward(x).dataSync())).not.toEqual(first); // a new mask each call
    expect(new Dropout(0.5).generator).toBeNull();
    expect(Object.keys(a.stateDict())).toEqual([]);
    expect(() => new Dropout(0.5, { generator: 1 } as never)).toThrow(/^Dropout: generator must be a Generator/);
    expect(() => new Dropout(0.5, { seed: 1 } as never)).toThrow("Dropout: unknown option 'seed' (expected generator)");
  });

  it('validates p, holds no tensors and leaks nothing', () => {
    expect(() => new Dropout(1.5)).toThrow(ArgumentError);
    expect(() => new Dropout(1.5)).toThrow('Dropout: p must be a probability in [0, 1], got 1.5');
    expect(() => new Dropout(-0.1)).toThrow(ArgumentError);
    expect(() => new Dropout(0.5).forward([1, 2] as never)).toThrow(/expected a Tensor/);
    expect(Object.keys(new Dropout().stateDict())).toEqual([]);
    const before = memory();
    scope(() =>
      new Dropout(0.5)
        .forward(randn([8], { requiresGrad: true }))
        .sum()
        .backward(),
    );
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    expect(tensor([1]).shape).toEqual([1]);
  });
});
