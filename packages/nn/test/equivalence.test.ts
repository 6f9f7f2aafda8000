import { Adam, SGD } from '@aimodel/optim';
import { describe, expect, it } from 'vitest';
import {
  Callback,
  Conv2d,
  crossEntropy,
  Flatten,
  type Logs,
  Linear,
  manualSeed,
  MaxPool2d,
  Module,
  noGrad,
  randint,
  randn,
  ReLU,
  Sequential,
  scope,
  type Tensor,
} from '../src/index';

// "The same network defined with `Sequential` and as a `Module` subclass trains to the same loss
// for the same seed": both definitions create their layers in the same order, so the seeded
// initialisation draws the same numbers, and every training step then does the same arithmetic.

/** Conv2d(1→4, 3×3) → ReLU → MaxPool2d(2) → Flatten → Linear(4·3·3 → 3), as a Module subclass. */
class SmallCnn extends Module {
  conv = new Conv2d(1, 4, 3);
  relu = new ReLU();
  pool = new MaxPool2d(2);
  flatten = new Flatten();
  fc = new Linear(4 * 3 * 3, 3);

  forward(x: Tensor): Tensor {
    return this.fc.forward(this.flatten.forward(this.pool.forward(this.relu.forward(this.conv.forward(x)))));
  }
}

/** The same network as a Sequential. */
function smallCnnSequential(): Sequential {
  return new Sequential(new Conv2d(1, 4, 3), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 3 * 3, 3));
}

const SEED = 1234;
const STEPS = 20;

/** Both definitions, each built right after `manualSeed(seed)`. */
function pair(seed = SEED): { sub: SmallCnn; seq: Sequential } {
  manualSeed(seed);
  const sub = new SmallCnn();
  manualSeed(seed);
  const seq = smallCnnSequential();
  return { sub, seq };
}

/** 32 images [32, 1, 8, 8] and class indices [32] in 0…2. */
function data(): { x: Tensor; y: Tensor } {
  manualSeed(7);
  return { x: randn([32, 1, 8, 8]), y: randint(0, 3, [32]) };
}

type OptimizerKind = 'sgd' | 'adam';

function optimizer(kind: OptimizerKind, model: Module): SGD | Adam {
  return kind === 'sgd' ? new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }) : new Adam(model.parameters(), { lr: 0.01 });
}

/** `STEPS` full-batch steps written out by hand; the loss of every step. */
function trainManually(model: Module, kind: OptimizerKind, x: Tensor, y: Tensor): number[] {
  const opt = optimizer(kind, model);
  const losses: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    scope(() => {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x) as Tensor, y);
      loss.backward();
      opt.step();
      losses.push(loss.dataSync()[0]);
    });
  }
  opt.zeroGrad();
  return losses;
}

class BatchLosses extends Callback {
  readonly losses: number[] = [];
  override onBatchEnd(_batch: number, logs: Logs): void {
    this.losses.push(logs.loss);
  }
}

/** `fit` with shuffling: 5 epochs of 4 batches of 8 = `STEPS` steps; the loss of every batch. */
async function trainWithFit(model: Module, kind: OptimizerKind, x: Tensor, y: Tensor): Promise<number[]> {
  const record = new BatchLosses();
  model.compile({ optimizer: optimizer(kind, model), loss: crossEntropy });
  manualSeed(99); // the shuffling order comes from the seeded generator
  await model.fit(x, y, { epochs: STEPS / 4, batchSize: 8, shuffle: true, callbacks: [record], verbose: 0 });
  model.zeroGrad();
  return record.losses;
}

/** The state dicts' tensors in order (keys differ: `conv.weight` vs `0.weight`). */
function flatState(model: Module): { shapes: number[][]; values: number[][] } {
  const tensors = Object.values(model.stateDict());
  return { shapes: tensors.map((t) => [...t.shape]), values: tensors.map((t) => Array.from(t.dataSync())) };
}

describe('Sequential and Module subclass equivalence', () => {
  it('the two definitions have the same state-dict layout and, for the same seed, the same initial weights', () => {
    const { sub, seq } = pair();
    expect(Object.keys(sub.stateDict())).toEqual(['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias']);
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '4.weight', '4.bias']);
    const a = flatState(sub);
    const b = flatState(seq);
    expect(a.shapes).toEqual([[4, 1, 3, 3], [4], [3, 36], [3]]);
    expect(b.shapes).toEqual(a.shapes);
    a.values.forEach((v, i) => expect(b.values[i]).toEqual(v)); // element for element, exactly
    // a different seed gives different weights, so the equality above is not vacuous
    manualSeed(SEED + 1);
    const other = smallCnnSequential();
    expect(flatState(other).values[0]).not.toEqual(a.values[0]);
    for (const m of [sub, seq, other]) m.dispose();
  });

  it('both give the same outputs before training', () => {
    const { sub, seq } = pair();
    const { x, y } = data();
    const [ya, yb] = noGrad(() => [sub.forward(x).dataSync(), (seq.forward(x) as Tensor).dataSync()]);
    expect(Array.from(yb)).toEqual(Array.from(ya));
    for (const t of [x, y]) t.dispose();
    sub.dispose();
    seq.dispose();
  });

  for (const kind of ['sgd', 'adam'] as const) {
    const label = kind === 'sgd' ? 'SGD with momentum' : 'Adam';

    it(`${label}, a hand-written loop: identical loss sequences and final weights`, () => {
      const { x, y } = data();
      const { sub, seq } = pair();
      const a = trainManually(sub, kind, x, y);
      const b = trainManually(seq, kind, x, y);
      expect(a).toHaveLength(STEPS);
      expect(b).toEqual(a);
      expect(a[STEPS - 1]).toBeLessThan(a[0]); // it did learn something
      const wa = flatState(sub).values;
      flatState(seq).values.forEach((v, i) => expect(v).toEqual(wa[i]));
      for (const t of [x, y]) t.dispose();
      sub.dispose();
      seq.dispose();
    });

    it(`${label}, through fit with shuffle: identical loss sequences and final weights`, async () => {
      const { x, y } = data();
      const { sub, seq } = pair();
      const a = await trainWithFit(sub, kind, x, y);
      const b = await trainWithFit(seq, kind, x, y);
      expect(a).toHaveLength(STEPS);
      expect(b).toEqual(a);
      expect(a.every(Number.isFinite)).toBe(true);
      const wa = flatState(sub).values;
      flatState(seq).values.forEach((v, i) => expect(v).toEqual(wa[i]));
      // the shuffling seed matters: another one visits the batches in another order
      const { seq: again } = pair();
      const record = new BatchLosses();
      again.compile({ optimizer: optimizer(kind, again), loss: crossEntropy });
      manualSeed(100);
      await again.fit(x, y, { epochs: 1, batchSize: 8, shuffle: true, callbacks: [record], verbose: 0 });
      expect(record.losses).not.toEqual(a.slice(0, 4));
      for (const t of [x, y]) t.dispose();
      for (const m of [sub, seq, again]) m.dispose();
    });
  }
});
