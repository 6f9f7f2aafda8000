import { Adagrad, Adam, AdamW, RMSprop, SGD } from '@aimodel/optim';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  Callback,
  Identity,
  type Logs,
  categoricalCrossentropy,
  gradcheck,
  LearningRateScheduler,
  Linear,
  manualSeed,
  memory,
  ReLU,
  randn,
  Sequential,
  scope,
  ShapeError,
  Sigmoid,
  Softmax,
  sparseCategoricalCrossentropy,
  type Tensor,
  tensor,
} from '../src/index';
import { compiledOptimizer } from '../src/training/compile';
import { lossNamed, metricNamed } from '../src/training/keras-names';
import { expectValues } from './helpers';

const f32 = Math.fround;

function expectGrad(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const r = gradcheck(fn, inputs);
  expect(r.ok, JSON.stringify(r.mismatches.slice(0, 3))).toBe(true);
}

describe('Keras cross-entropies on probabilities', () => {
  it('categoricalCrossentropy: −Σ t·log p over the last axis, renormalised, clipped to [1e-7, 1 − 1e-7], mean over samples', () => {
    const t = tensor([
      [1, 0, 0],
      [0, 0.5, 0.5],
    ]);
    const p = tensor([
      [0.7, 0.2, 0.1],
      [0.1, 0.3, 0.6],
    ]);
    const expected = [-Math.log(0.7), -(0.5 * Math.log(0.3) + 0.5 * Math.log(0.6))];
    expectValues(categoricalCrossentropy(p, t, { reduction: 'none' }).dataSync(), expected);
    expectValues(categoricalCrossentropy(p, t).dataSync(), [(expected[0] + expected[1]) / 2]);
    expectValues(categoricalCrossentropy(p, t, { reduction: 'sum' }).dataSync(), [expected[0] + expected[1]]);
    // unnormalised scores are divided by their sum first (Keras)
    expectValues(categoricalCrossentropy(tensor([[1.4, 0.4, 0.2]]), tensor([[1, 0, 0]])).dataSync(), [-Math.log(0.7)]);
    // a zero probability is clipped: −log 1e-7 ≈ 16.118, not ∞
    expectValues(categoricalCrossentropy(tensor([[1, 0, 0]]), tensor([[0, 1, 0]])).dataSync(), [-Math.log(f32(1e-7))]);
    // logits: log-softmax, as crossEntropy
    expectValues(categoricalCrossentropy(tensor([[2, 0, -1]]), tensor([[1, 0, 0]]), { fromLogits: true }).dataSync(), [0.169846], 1e-5);
  });

  it('sparseCategoricalCrossentropy: −log p[y] with int32, float and [N, 1] labels; logits too', () => {
    const p = tensor([
      [0.7, 0.2, 0.1],
      [0.1, 0.1, 0.8],
    ]);
    const expected = (-Math.log(0.7) - Math.log(0.8)) / 2;
    expectValues(sparseCategoricalCrossentropy(p, tensor([0, 2], { dtype: 'int32' })).dataSync(), [expected]);
    expectValues(sparseCategoricalCrossentropy(p, tensor([0, 2])).dataSync(), [expected]);
    expectValues(sparseCategoricalCrossentropy(p, tensor([[0], [2]])).dataSync(), [expected]);
    expectValues(sparseCategoricalCrossentropy(tensor([[2, 0, -1]]), tensor([0]), { fromLogits: true }).dataSync(), [0.169846], 1e-5);
    expect(() => sparseCategoricalCrossentropy(p, tensor([0, 3]))).toThrow(/target class 3 is out of range for 3 classes/);
    expect(() => sparseCategoricalCrossentropy(p, tensor([0, 1, 2]))).toThrow(ShapeError);
    expect(() => sparseCategoricalCrossentropy(p, tensor([0, 1]), { from_logits: true } as never)).toThrow(/did you mean 'fromLogits'/);
  });

  it('gradients match finite differences (inside the clipping range)', () => {
    const p = tensor([
      [0.5, 0.3, 0.2],
      [0.2, 0.2, 0.6],
    ]);
    expectGrad(
      (x) =>
        categoricalCrossentropy(
          x,
          tensor([
            [0, 1, 0],
            [0.3, 0.3, 0.4],
          ]),
        ),
      [p],
    );
    expectGrad((x) => sparseCategoricalCrossentropy(x, tensor([2, 0])), [p]);
    expectGrad(
      (x) =>
        lossNamed('binary_crossentropy')(
          x,
          tensor([
            [1, 0, 1],
            [0, 0, 1],
          ]),
        ),
      [p],
    );
  });

  it("'binary_crossentropy': −(t·log p + (1 − t)·log(1 − p)) with p clipped to [1e-7, 1 − 1e-7], mean of all elements", () => {
    const bce = lossNamed('binary_crossentropy');
    expectValues(bce(tensor([0.8, 0.1]), tensor([1, 0])).dataSync(), [(-Math.log(0.8) - Math.log(0.9)) / 2]);
    // saturated outputs: float32 clipping as Keras's torch backend computes it
    const hi = f32(1 - 1e-7);
    expectValues(bce(tensor([[0], [1]]), tensor([1, 0])).dataSync(), [(-Math.log(f32(1e-7)) - Math.log(f32(1 - hi))) / 2], 1e-4);
    expect(() => bce(tensor([0.5, 0.5]), tensor([1, 0, 1]))).toThrow(ShapeError);
  });
});

describe("compile with Keras's names", () => {
  const net = () => new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 2), new Softmax(-1));

  it("creates each named optimizer over the model's parameters with Keras's defaults", () => {
    const m = net();
    const cases: [string, unknown, Record<string, unknown>][] = [
      ['sgd', SGD, { lr: 0.01, momentum: 0 }],
      ['adam', Adam, { lr: 0.001, eps: 1e-7, betas: [0.9, 0.999] }],
      ['adamw', AdamW, { lr: 0.001, eps: 1e-7, weightDecay: 0.004 }],
      ['rmsprop', RMSprop, { lr: 0.001, alpha: 0.9, eps: 1e-7 }],
      ['adagrad', Adagrad, { lr: 0.001, initialAccumulatorValue: 0.1, eps: 1e-7 }],
    ];
    for (const [name, cls, expected] of cases) {
      m.compile({ optimizer: name as 'sgd', loss: 'mse' });
      const opt = compiledOptimizer(m) as SGD;
      expect(opt).toBeInstanceOf(cls as typeof SGD);
      expect(opt.paramGroups[0]).toMatchObject(expected);
      expect(opt.paramGroups[0].params).toHaveLength(4);
    }
    m.dispose();
  });

  it('rejects unknown names, listing the known ones', () => {
    const m = net();
    expect(() => m.compile({ optimizer: 'adamx' as never })).toThrow(/unknown optimizer 'adamx' \(expected sgd, adam, adamw, rmsprop, adagrad/);
    expect(() => m.compile({ loss: 'hinge' as never })).toThrow(/unknown loss 'hinge'/);
    expect(() => m.compile({ metrics: ['f1' as never] })).toThrow(ArgumentError);
    m.dispose();
  });

  it("trains a softmax classifier: compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] })", async () => {
    manualSeed(0);
    const before = memory().tensors;
    const x = randn([64, 2]);
    const y = scope(() =>
      x
        .narrow(1, 0, 1)
        .add(x.narrow(1, 1, 1))
        .gt(0)
        .reshape([64])
        .to('int32'),
    );
    const m = net();
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy', 'acc'] });
    (compiledOptimizer(m) as Adam).paramGroups[0].lr = 0.05; // a faster rate for a short test
    const h = await m.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0, seed: 0 });
    const loss = h.history.loss;
    expect(loss.at(-1)).toBeLessThan(loss[0] * 0.5);
    expect(h.history.accuracy.at(-1)).toBeGreaterThan(0.9);
    expect(h.history.acc).toEqual(h.history.accuracy);
    m.dispose();
    x.dispose();
    y.dispose();
    expect(memory().tensors).toBe(before);
  });

  it("trains a sigmoid output with 'sgd' and 'binary_crossentropy', logging mae, mse, precision, recall and auc", async () => {
    manualSeed(1);
    const x = randn([32, 2]);
    const y = scope(() => x.narrow(1, 0, 1).gt(0).to('float32'));
    const m = new Sequential(new Linear(2, 1), new Sigmoid());
    m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['mae', 'mse', 'precision', 'recall', 'auc'] });
    (compiledOptimizer(m) as SGD).paramGroups[0].lr = 1; // a faster rate for a short test
    const h = await m.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 });
    expect(Object.keys(h.history).sort()).toEqual(['auc', 'loss', 'mae', 'mse', 'precision', 'recall']);
    expect(h.history.loss.at(-1)).toBeLessThan(h.history.loss[0]);
    expect(h.history.auc.at(-1)).toBeGreaterThan(0.9);
    m.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('Keras metric names', () => {
  const value = (name: string, p: number[], t: number[]) => metricNamed(name)!.fn(tensor(p), tensor(t)).dataSync()[0];

  it('precision, recall and auc of a batch by hand', () => {
    const p = [0.9, 0.6, 0.4, 0.2];
    const t = [1, 0, 1, 0];
    expect(value('precision', p, t)).toBeCloseTo(0.5, 6); // predicted {0.9, 0.6}: one true
    expect(value('recall', p, t)).toBeCloseTo(0.5, 6); // positives {0.9, 0.4}: one found
    expect(value('auc', p, t)).toBeCloseTo(0.75, 6); // 3 of the 4 positive/negative pairs ordered
    expect(value('auc', [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBeCloseTo(1, 6);
    expect(value('precision', [0.1, 0.2], [1, 1])).toBe(0); // nothing predicted positive: 0, as Keras
    expect(value('auc', [0.1, 0.7], [0, 0])).toBe(0); // no positives
    expect(value('mae', [1, 2], [2, 4])).toBeCloseTo(1.5, 6);
    expect(value('mse', [1, 2], [2, 4])).toBeCloseTo(2.5, 6);
    expect(() => value('precision', [0.1, 0.2, 0.3], [1, 0])).toThrow(ShapeError);
  });
});

describe('precision and recall over several batches', () => {
  it('are the epoch’s ratios of counts, as Keras accumulates them, not the mean of the batch ratios', async () => {
    const before = memory().tensors;
    const m = new Identity(); // predictions = inputs
    m.compile({ loss: 'mse', metrics: ['precision', 'recall', 'auc'] });
    const p = tensor([[0.9], [0.8], [0.7], [0.2]]);
    const t = tensor([[1], [0], [1], [1]]);
    // batch 1: predicted {0.9, 0.8}, 1 true → precision 1/2; batch 2: predicted {0.7}, 1 true → 1/1
    // recall: batch 1 finds 1 of 1, batch 2 finds 1 of 2; over the epoch both are 2/3
    const logs = await m.evaluate(p, t, { batchSize: 2 });
    expect(logs.precision).toBeCloseTo(2 / 3, 6);
    expect(logs.recall).toBeCloseTo(2 / 3, 6);
    expect(Object.keys(logs).sort()).toEqual(['auc', 'loss', 'precision', 'recall']);
    const batchEnds: Logs[] = [];
    class Record extends Callback {
      override onBatchEnd(_b: number, l: Logs) {
        batchEnds.push(l);
      }
    }
    const trained = new Sequential(new Linear(1, 1), new Sigmoid());
    trained.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['precision'] });
    const h = await trained.fit(p, t, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0, callbacks: [new Record()] });
    expect(Object.keys(batchEnds[0]).sort()).toEqual(['loss', 'precision']); // the weights stay hidden
    expect(Object.keys(h.history).sort()).toEqual(['loss', 'precision']);
    for (const x of [p, t]) x.dispose();
    trained.dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe("LearningRateScheduler with Keras's (epoch, lr) => lr", () => {
  it('sets the compiled optimizer’s rate at the start of each epoch (fit no longer crashes after an epoch)', async () => {
    const m = new Sequential(new Linear(2, 1));
    const opt = new SGD(m.parameters(), { lr: 0.1 });
    m.compile({ optimizer: opt, loss: 'mse' });
    const x = randn([8, 2]);
    const y = randn([8, 1]);
    const seen: [number, number][] = [];
    const schedule = (epoch: number, lr: number) => {
      seen.push([epoch, lr]);
      return epoch === 0 ? lr : lr / 2;
    };
    await m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [new LearningRateScheduler(schedule)] });
    expect(seen).toEqual([
      [0, 0.1],
      [1, 0.1],
      [2, 0.05],
    ]);
    expect(opt.paramGroups[0].lr).toBe(0.025);
    const bad = new LearningRateScheduler(() => Number.NaN);
    await expect(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [bad] })).rejects.toThrow(/the schedule returned NaN at epoch 0/);
    expect(() => new LearningRateScheduler((e) => e, { monitor: 'loss' })).toThrow(/monitor applies to a scheduler object/);
    expect(() => new LearningRateScheduler(42 as never)).toThrow(/expected a scheduler with step\(\) or a function/);
    const uncompiled = new LearningRateScheduler((_e, lr) => lr);
    expect(() => uncompiled.onEpochBegin(0)).toThrow(/needs a model compiled with an optimizer/);
    m.dispose();
    x.dispose();
    y.dispose();
  });
});
