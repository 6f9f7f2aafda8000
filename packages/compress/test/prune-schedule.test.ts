// GradualPruning: Zhu & Gupta's schedule sₜ = s_f + (s_i − s_f)(1 − (t − t₀)/(nΔt))³ by hand, and
// the zeros it leaves after each pruning step and after fit.
import { crossEntropy, init, Linear, manualSeed, memory, randint, randn, ReLU, Sequential, type Tensor } from '@aimodel/nn';
import { SGD } from '@aimodel/optim';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradualPruning, isPruned, sparsity } from '../src/index';

beforeAll(async () => {
  await init({ device: 'cpu' });
});

const zerosOf = (t: Tensor) => Array.from(t.dataSync()).filter((v) => v === 0).length;

describe('GradualPruning', () => {
  it('follows the cubic schedule', () => {
    const p = new GradualPruning({ initialSparsity: 0.1, finalSparsity: 0.9, beginStep: 10, endStep: 30, frequency: 5 });
    // s = 0.9 − 0.8·(1 − (t − 10)/20)³
    const got = [0, 10, 15, 20, 25, 30, 40].map((t) => p.sparsityAt(t));
    const want = [0.1, 0.1, 0.9 - 0.8 * 0.75 ** 3, 0.9 - 0.8 * 0.125, 0.9 - 0.8 * 0.25 ** 3, 0.9, 0.9];
    got.forEach((s, i) => expect(s).toBeCloseTo(want[i], 14));
    expect([9, 10, 12, 15, 30, 35].map((t) => p.prunesAt(t))).toEqual([false, true, false, true, true, false]);
    const odd = new GradualPruning({ finalSparsity: 0.5, endStep: 7, frequency: 3 });
    expect([0, 3, 6, 7].map((t) => odd.prunesAt(t))).toEqual([true, true, true, true]);
  });

  it('prunes globally to round(sₜ·n) zeros at each pruning step', async () => {
    manualSeed(0);
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
    const p = new GradualPruning({ finalSparsity: 0.8, endStep: 8, frequency: 2 });
    p.model = model as typeof p.model;
    const zeros: number[] = [];
    for (let t = 0; t <= 8; t++) {
      await p.onBatchBegin();
      const w0 = (model.at(0) as Linear).weight;
      const w2 = (model.at(2) as Linear).weight;
      zeros.push(zerosOf(w0) + zerosOf(w2));
    }
    // 48 weights: s = 0, 0.4625, 0.7, 0.7875, 0.8 at steps 0, 2, 4, 6, 8 → 0, 22 (22.2), 34 (33.6), 38 (37.8), 38 (38.4)
    expect(zeros).toEqual([0, 0, 22, 22, 34, 34, 38, 38, 38]);
    expect(isPruned(model)).toBe(true);
    expect(p.step).toBe(9);
  });

  it("with scope 'layer' gives each weight the same sparsity", async () => {
    manualSeed(1);
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
    const p = new GradualPruning({ finalSparsity: 0.8, endStep: 0, scope: 'layer' });
    p.model = model as typeof p.model;
    await p.onBatchBegin();
    // 0.8 · 32 = 25.6 → 26; 0.8 · 16 = 12.8 → 13
    expect([zerosOf((model.at(0) as Linear).weight), zerosOf((model.at(2) as Linear).weight)]).toEqual([26, 13]);
  });

  it('prunes during fit, keeping pruned weights zero while training, with flat memory', async () => {
    manualSeed(2);
    const model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
    model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), loss: crossEntropy });
    const x = randn([64, 4]);
    const y = randint(0, 3, [64]);
    const pruning = new GradualPruning({ finalSparsity: 0.75, endStep: 6, frequency: 2 });
    await model.fit(x, y, { epochs: 2, batchSize: 16, callbacks: [pruning], verbose: 0 });
    const before = memory().tensors;
    await model.fit(x, y, { epochs: 1, batchSize: 16, callbacks: [pruning], verbose: 0 });
    expect(memory().tensors).toBe(before);
    const report = await sparsity(model, { weightsOnly: true });
    expect(report.zeros).toBe(84); // 0.75 · 112
    expect(pruning.step).toBe(12);
  });

  it('rejects bad options', () => {
    expect(() => new GradualPruning({ finalSparsity: 1.5, endStep: 10 })).toThrow('GradualPruning: finalSparsity must be in [0, 1], got 1.5');
    expect(() => new GradualPruning({ finalSparsity: 0.5, endStep: 10, beginStep: 20 })).toThrow('endStep 10 comes before beginStep 20');
    expect(() => new GradualPruning({ finalSparsity: 0.5, endStep: 10, frequency: 0 })).toThrow('frequency must be a whole number >= 1');
    expect(() => new GradualPruning({ finalSparsity: 0.5, initialSparsity: 0.6, endStep: 10 })).toThrow('initialSparsity 0.6 is above finalSparsity 0.5');
    expect(() => new GradualPruning({ finalSparsity: 0.5, endStep: 10, begin: 1 } as never)).toThrow(/unknown option 'begin'/);
  });
});
