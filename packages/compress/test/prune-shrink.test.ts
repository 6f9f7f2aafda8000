// shrinkStructured: the smaller model computes what the masked one did (evaluation mode), with the
// parameter counts worked out by hand.
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Flatten,
  init,
  Linear,
  MaxPool2d,
  manualSeed,
  memory,
  noGrad,
  ReLU,
  rand,
  randn,
  Sequential,
  scope,
  type Tensor,
  tensor,
} from '@aimodel/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { customFromMask, isPruned, lnStructured, modelSize, shrinkStructured } from '../src/index';

beforeAll(async () => {
  await init({ device: 'cpu' });
});

const maxDiff = (a: Tensor, b: Tensor) => noGrad(() => scope(() => a.sub(b).abs().max().dataSync()[0]));

/** Give a BatchNorm nontrivial running statistics and affine parameters. */
function randomStats(bn: BatchNorm1d | BatchNorm2d): void {
  const n = bn.numFeatures;
  noGrad(() =>
    scope(() => {
      bn.runningMean?.assign(randn([n]));
      bn.runningVar?.assign(rand([n]).add(0.5));
      bn.weight?.assign(randn([n]));
      bn.bias?.assign(randn([n]));
    }),
  );
}

describe('shrinkStructured', () => {
  it('removes pruned conv channels, their BatchNorm entries and the next layers’ inputs, with the same outputs', async () => {
    manualSeed(0);
    const base = memory().tensors;
    const bn = new BatchNorm2d(6);
    randomStats(bn);
    // [N, 2, 10, 10] → conv 6×10×10 → pool 6×5×5 → conv 4×3×3 → flatten 36 → 3
    const model = new Sequential(
      new Conv2d(2, 6, 3, { padding: 1 }),
      bn,
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(6, 4, 3),
      new ReLU(),
      new Flatten(),
      new Linear(36, 3),
    );
    lnStructured(model.at(0), 'weight', 0.5, 2, 0);
    lnStructured(model.at(4), 'weight', 0.5, 1, 0);
    const x = randn([3, 2, 10, 10]);
    model.eval();
    const masked = scope(() => model.forward(x));
    const { layers } = shrinkStructured(model);
    expect(layers.map((l) => [l.name, l.type, l.inBefore, l.inAfter, l.outBefore, l.outAfter])).toEqual([
      ['0', 'Conv2d', 2, 2, 6, 3],
      ['4', 'Conv2d', 6, 3, 4, 2],
      ['7', 'Linear', 36, 18, 3, 3],
    ]);
    expect((model.at(1) as BatchNorm2d).numFeatures).toBe(3);
    expect(isPruned(model)).toBe(false);
    // conv 3·2·9 + 3, BatchNorm 3 + 3, conv 2·3·9 + 2, linear 3·18 + 3
    expect((await modelSize(model)).parameters).toBe(57 + 6 + 56 + 57);
    const shrunk = scope(() => model.forward(x));
    expect(shrunk.shape).toEqual([3, 3]);
    expect(maxDiff(shrunk, masked)).toBeLessThan(1e-4);
    expect(maxDiff(shrunk, masked)).toBeGreaterThanOrEqual(0);
    for (const t of [x, masked, shrunk]) t.dispose();
    model.dispose();
    expect(memory().tensors).toBe(base);
  });

  it('folds a removed unit’s constant (bias through BatchNorm1d and ReLU) into the next Linear, creating its bias', () => {
    manualSeed(1);
    const bn = new BatchNorm1d(4);
    // removed units 1 and 3 carry bias 2 and 3: (2 − 1)/√4·2 + 0.5 = 1.5 and (3 + 1)/√0.25·0.5 − 0.2 = 3.8 (ε aside)
    noGrad(() =>
      scope(() => {
        bn.runningMean?.assign(tensor([0, 1, 0, -1]));
        bn.runningVar?.assign(tensor([1, 4, 1, 0.25]));
        bn.weight?.assign(tensor([1, 2, 1, 0.5]));
        bn.bias?.assign(tensor([0, 0.5, 0, -0.2]));
      }),
    );
    const last = new Linear(4, 2, { bias: false });
    const first = new Linear(3, 4);
    noGrad(() => first.bias?.assign(tensor([1, 2, -1, 3])));
    const model = new Sequential(first, bn, new ReLU(), last);
    customFromMask(
      first,
      'weight',
      tensor([
        [1, 1, 1],
        [0, 0, 0],
        [1, 1, 1],
        [0, 0, 0],
      ]),
    );
    const x = randn([5, 3]);
    const masked = model.eval().forward(x);
    shrinkStructured(model);
    expect(((model.at(3) as Linear).bias as Tensor).shape).toEqual([2]);
    expect((model.at(0) as Linear).outFeatures).toBe(2);
    expect(maxDiff(model.forward(x), masked)).toBeLessThan(1e-5);
  });

  it('refuses to fold a nonzero constant into a padded conv unless exact is false', () => {
    const make = (bias: boolean) => {
      manualSeed(2);
      const m = new Sequential(new Conv2d(1, 4, 3, { padding: 1, bias }), new ReLU(), new Conv2d(4, 2, 3, { padding: 1 }));
      if (bias) noGrad(() => (m.at(0) as Conv2d).bias?.assign(tensor([1, 1, 1, 1])));
      lnStructured(m.at(0), 'weight', 0.5, 1, 0);
      return m;
    };
    expect(() => shrinkStructured(make(true))).toThrow(/still outputs the constant 1 .* the padded Conv2d '2' cannot absorb exactly .* \{ exact: false \}/);
    const approx = make(true);
    const x = randn([1, 1, 6, 6]);
    const masked = approx.forward(x);
    shrinkStructured(approx, { exact: false });
    // interior positions (away from the zero-padded border) are exact
    const inner = (t: Tensor) => t.narrow(2, 1, 4).narrow(3, 1, 4);
    expect(maxDiff(inner(approx.forward(x)), inner(masked))).toBeLessThan(1e-5);
    expect(maxDiff(approx.forward(x), masked)).toBeGreaterThan(1e-3); // the border is not
    // no bias: the removed channels are exactly zero, so the padded conv loses nothing
    const noBias = make(false);
    const m2 = noBias.forward(x);
    shrinkStructured(noBias);
    expect((noBias.at(2) as Conv2d).inChannels).toBe(2);
    expect(maxDiff(noBias.forward(x), m2)).toBeLessThan(1e-5);
    expect(() => shrinkStructured(new Linear(2, 2) as never)).toThrow('shrinkStructured: expected a Sequential, got Linear');
    expect(() => shrinkStructured(noBias, { exakt: true } as never)).toThrow(/unknown option 'exakt'/);
  });
});
