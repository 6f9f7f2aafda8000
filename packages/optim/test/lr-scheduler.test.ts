import { describe, expect, it } from 'vitest';
import { ArgumentError, tensor } from '@aimodel/tensor';
import {
  Adagrad,
  Adam,
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  type LRScheduler,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  type SGD,
  StepLR,
} from '../src/index';
import { expectClose, lrSequence, schedulerSgd } from './helpers';

const sgd = (lr = 0.1, groups = 1, momentum = 0) => schedulerSgd(lr, groups, momentum);

const closedForm = (steps: number, f: (t: number) => number): number[] => Array.from({ length: steps + 1 }, (_, t) => f(t));
const TOL = { rtol: 1e-12, atol: 1e-15 };

describe('epoch schedulers follow their closed forms for 30 steps', () => {
  it('StepLR: η₀·γ^⌊t/stepSize⌋', () => {
    const s = new StepLR(sgd(0.1), { stepSize: 3, gamma: 0.5 });
    expectClose(
      lrSequence(s, 30),
      closedForm(30, (t) => 0.1 * 0.5 ** Math.floor(t / 3)),
      TOL,
    );
    expectClose(
      lrSequence(new StepLR(sgd(1), { stepSize: 7 }), 30),
      closedForm(30, (t) => 0.1 ** Math.floor(t / 7)),
      TOL,
    );
  });

  it('MultiStepLR: η₀·γ^(milestones ≤ t), a repeated milestone counts twice', () => {
    const s = new MultiStepLR(sgd(1), { milestones: [20, 5, 12, 12], gamma: 0.1 });
    expect(s.milestones).toEqual([5, 12, 12, 20]);
    const count = (t: number) => [5, 12, 12, 20].filter((m) => m <= t).length;
    expectClose(
      lrSequence(s, 30),
      closedForm(30, (t) => 0.1 ** count(t)),
      TOL,
    );
  });

  it('ExponentialLR: η₀·γᵗ', () => {
    expectClose(
      lrSequence(new ExponentialLR(sgd(0.5), { gamma: 0.9 }), 30),
      closedForm(30, (t) => 0.5 * 0.9 ** t),
      TOL,
    );
  });

  it('CosineAnnealingLR: η_min + ½(η₀ − η_min)(1 + cos(πt/T_max)), also past T_max', () => {
    const s = new CosineAnnealingLR(sgd(0.1), { tMax: 10, etaMin: 0.001 });
    const expected = closedForm(30, (t) => 0.001 + ((0.1 - 0.001) * (1 + Math.cos((Math.PI * t) / 10))) / 2);
    const got = lrSequence(s, 30);
    expectClose(got, expected, { rtol: 1e-10, atol: 1e-15 });
    expect(got[10]).toBeCloseTo(0.001, 15);
    expect(got[20]).toBeCloseTo(0.1, 14);
    expectClose(
      lrSequence(new CosineAnnealingLR(sgd(1), { tMax: 7 }), 30),
      closedForm(30, (t) => (1 + Math.cos((Math.PI * t) / 7)) / 2),
      { rtol: 1e-9, atol: 1e-15 },
    );
  });

  it('LinearLR: η₀·(s + (e − s)·min(t, T)/T), defaults s = 1/3, e = 1, T = 5', () => {
    const f = (s: number, e: number, T: number) => (t: number) => 0.1 * (s + ((e - s) * Math.min(t, T)) / T);
    expectClose(lrSequence(new LinearLR(sgd(0.1)), 30), closedForm(30, f(1 / 3, 1, 5)), TOL);
    expectClose(lrSequence(new LinearLR(sgd(0.1), { startFactor: 0.25, totalIters: 8 }), 30), closedForm(30, f(0.25, 1, 8)), TOL);
    expectClose(lrSequence(new LinearLR(sgd(0.1), { startFactor: 1, endFactor: 0.1, totalIters: 12 }), 30), closedForm(30, f(1, 0.1, 12)), TOL);
  });

  it('LambdaLR: η₀·λ(t), one function for all groups or one per group', () => {
    const s = new LambdaLR(sgd(0.2, 2), { lrLambda: (t) => 1 / (1 + t) });
    expectClose(
      lrSequence(s, 30),
      closedForm(30, (t) => 0.2 / (1 + t)),
      TOL,
    );
    const opt = sgd(0.2, 2);
    opt.paramGroups[1].lr = 0.4;
    const per = new LambdaLR(opt, { lrLambda: [(t) => 0.9 ** t, (t) => (t < 10 ? 1 : 0.1)] });
    const seq = Array.from({ length: 31 }, () => {
      const lrs = per.getLastLr();
      per.step();
      return lrs;
    });
    expectClose(
      seq.map((l) => l[0]),
      closedForm(30, (t) => 0.2 * 0.9 ** t),
      TOL,
    );
    expectClose(
      seq.map((l) => l[1]),
      closedForm(30, (t) => (t < 10 ? 0.4 : 0.04)),
      TOL,
    );
  });

  it('schedulers chain: LinearLR warmup × ExponentialLR multiply', () => {
    const opt = sgd(1);
    const warm = new LinearLR(opt, { startFactor: 0.5, totalIters: 4 });
    const decay = new ExponentialLR(opt, { gamma: 0.9 });
    const got = [opt.paramGroups[0].lr];
    for (let i = 0; i < 20; i++) {
      warm.step();
      decay.step();
      got.push(opt.paramGroups[0].lr);
    }
    expectClose(
      got,
      closedForm(20, (t) => (0.5 + (0.5 * Math.min(t, 4)) / 4) * 0.9 ** t),
      TOL,
    );
  });

  it('construction performs the first step and records initialLr on every group', () => {
    const opt = sgd(0.3, 2);
    const s = new ExponentialLR(opt, { gamma: 0.5 });
    expect(s.lastEpoch).toBe(0);
    expect(s.baseLrs).toEqual([0.3, 0.3]);
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([0.3, 0.3]);
  });
});

/** The documented 1cycle value at step t, written out per phase. */
function oneCycleExpected(
  t: number,
  o: { n: number; maxLr: number; pct?: number; div?: number; finalDiv?: number; linear?: boolean; three?: boolean },
): number {
  const { n, maxLr, pct = 0.3, div = 25, finalDiv = 1e4, linear = false, three = false } = o;
  const initial = maxLr / div;
  const min = initial / finalDiv;
  const anneal = (a: number, b: number, x: number) => (linear ? a + (b - a) * x : b + ((a - b) / 2) * (1 + Math.cos(Math.PI * x)));
  const end1 = pct * n - 1;
  if (t <= end1) return anneal(initial, maxLr, t / end1);
  if (!three) return anneal(maxLr, min, (t - end1) / (n - 1 - end1));
  const end2 = 2 * pct * n - 2;
  if (t <= end2) return anneal(maxLr, initial, (t - end1) / (end2 - end1));
  return anneal(initial, min, (t - end2) / (n - 1 - end2));
}

describe('OneCycleLR', () => {
  const variants = [
    { name: 'cos (default)', opts: {}, ref: {} },
    { name: 'linear', opts: { annealStrategy: 'linear' as const }, ref: { linear: true } },
    { name: 'threePhase cos', opts: { threePhase: true }, ref: { three: true } },
    {
      name: 'threePhase linear, pctStart 0.25, divFactor 10, finalDivFactor 100',
      opts: { threePhase: true, annealStrategy: 'linear' as const, pctStart: 0.25, divFactor: 10, finalDivFactor: 100 },
      ref: { three: true, linear: true, pct: 0.25, div: 10, finalDiv: 100 },
    },
  ];
  for (const { name, opts, ref } of variants) {
    it(`${name}: follows the phases for all 30 steps, then refuses a 31st`, () => {
      const s = new OneCycleLR(sgd(0.123), { maxLr: 0.5, totalSteps: 30, ...opts });
      expectClose(
        lrSequence(s, 30),
        closedForm(30, (t) => oneCycleExpected(t, { n: 30, maxLr: 0.5, ...ref })),
        TOL,
      );
      expect(() => s.step()).toThrow('OneCycleLR: tried to step 31 times; totalSteps is 30');
    });
  }

  it('cycles SGD momentum inversely between maxMomentum and baseMomentum', () => {
    const opt = sgd(0.1, 1, 0.9);
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 20, baseMomentum: 0.8, maxMomentum: 0.9 });
    const momenta = [opt.paramGroups[0].momentum];
    for (let i = 0; i < 19; i++) {
      s.step();
      momenta.push(opt.paramGroups[0].momentum);
    }
    // phase 1 ends at 0.3·20 − 1 = 5: 0.9 → 0.8; phase 2 ends at 19: 0.8 → 0.9 (cosine)
    const cos = (a: number, b: number, x: number) => b + ((a - b) / 2) * (1 + Math.cos(Math.PI * x));
    expectClose(
      momenta,
      closedForm(19, (t) => (t <= 5 ? cos(0.9, 0.8, t / 5) : cos(0.8, 0.9, (t - 5) / 14))),
      TOL,
    );
  });

  it("cycles Adam's beta1 and keeps beta2; per-group maxLr", () => {
    const opt = new Adam([{ params: [tensor([1], { requiresGrad: true })] }, { params: [tensor([1], { requiresGrad: true })], betas: [0.9, 0.99] }]);
    const s = new OneCycleLR(opt, { maxLr: [0.01, 0.1], epochs: 5, stepsPerEpoch: 4 });
    expect(opt.paramGroups.map((g) => g.betas)).toEqual([
      [0.95, 0.999],
      [0.95, 0.99],
    ]);
    for (let i = 0; i < 5; i++) s.step(); // the peak: 0.3·20 − 1 = 5
    expect(opt.paramGroups[0].betas[0]).toBeCloseTo(0.85, 12);
    expect(opt.paramGroups[1].betas[1]).toBe(0.99);
    expectClose(s.getLastLr(), [0.01, 0.1], TOL);
  });

  it('validates its options', () => {
    const bad: Array<[() => unknown, string]> = [
      [() => new OneCycleLR(sgd(), { maxLr: 1 }), 'OneCycleLR: you must define either totalSteps or both epochs and stepsPerEpoch'],
      [() => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 0 }), 'OneCycleLR: invalid totalSteps 0 (expected an integer >= 1)'],
      [() => new OneCycleLR(sgd(), { maxLr: 1, epochs: 2, stepsPerEpoch: 1.5 }), 'OneCycleLR: invalid stepsPerEpoch 1.5 (expected an integer >= 1)'],
      [() => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, pctStart: 1.5 }), 'OneCycleLR: invalid pctStart 1.5 (expected [0, 1])'],
      [
        () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, annealStrategy: 'exp' as never }),
        "OneCycleLR: invalid annealStrategy 'exp' (expected 'cos' or 'linear')",
      ],
      [() => new OneCycleLR(sgd(0.1, 2), { maxLr: [1], totalSteps: 10 }), 'OneCycleLR: expected 2 values for maxLr (one per parameter group), got 1'],
      [
        () => new OneCycleLR(new Adagrad([tensor([1], { requiresGrad: true })]), { maxLr: 1, totalSteps: 10 }),
        'OneCycleLR: optimizer must support momentum or betas with cycleMomentum enabled',
      ],
    ];
    for (const [make, message] of bad) {
      expect(make).toThrow(ArgumentError);
      expect(make).toThrow(message);
    }
    expect(() => new OneCycleLR(new Adagrad([tensor([1], { requiresGrad: true })]), { maxLr: 1, totalSteps: 10, cycleMomentum: false })).not.toThrow();
  });
});

describe('ReduceLROnPlateau', () => {
  it('min/rel with patience, cooldown, threshold and minLr (hand-traced)', () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, { factor: 0.5, patience: 2, threshold: 0.1, cooldown: 1, minLr: 0.2 });
    const metrics = [10, 9.5, 9.2, 8.9, ...Array<number>(16).fill(8.5)];
    // 9.5 and 9.2 are not below 10·0.9 = 9; 8.9 is (best 8.9, so 8.5 ≥ 8.01 is never better).
    // Three bad epochs (> patience 2) reduce at epochs 7, 11, 15 (one cooldown epoch after each),
    // the third clipped to minLr 0.2; at epoch 19 the change 0.2 → 0.2 is ≤ eps: no reduction.
    const expected = [1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2];
    const got = metrics.map((m) => {
      s.step(m);
      return s.getLastLr()[0];
    });
    expect(got).toEqual(expected);
    expect(opt.paramGroups[0].lr).toBe(0.2);
    expect(s.best).toBe(8.9);
    expect(s.lastEpoch).toBe(20);
  });

  it('max/abs with patience 0 and eps skipping tiny reductions', () => {
    const s = new ReduceLROnPlateau(sgd(1), { mode: 'max', thresholdMode: 'abs', threshold: 0.5, patience: 0, eps: 0.05 });
    // 1 (best) · 1.4 ≤ 1.5: reduce · 1.6 > 1.5: best · 2.0 ≤ 2.1: reduce · 0: 0.01 → 0.001 changes < eps: kept
    const got = [1, 1.4, 1.6, 2.0, 0].map((m) => {
      s.step(m);
      return s.getLastLr()[0];
    });
    expectClose(got, [1, 0.1, 0.1, 0.01, 0.01], TOL);
  });

  it('per-group minLr; NaN counts as a bad epoch; stateDict round trip', () => {
    const opt = sgd(1, 2);
    const s = new ReduceLROnPlateau(opt, { patience: 0, minLr: [0.5, 0] });
    s.step(1);
    s.step(Number.NaN);
    expect(s.getLastLr()).toEqual([0.5, 0.1]);
    const saved = s.stateDict();
    expect(saved).toMatchObject({ best: 1, numBadEpochs: 0, lastEpoch: 2, minLrs: [0.5, 0] });
    const t = new ReduceLROnPlateau(sgd(1, 2), { patience: 0, minLr: [0.5, 0] });
    t.loadStateDict(saved);
    expect(t.best).toBe(1);
    expect(t.lastEpoch).toBe(2);
  });

  it('validates its options and the metric', () => {
    expect(() => new ReduceLROnPlateau(sgd(), { factor: 1 })).toThrow('ReduceLROnPlateau: invalid factor 1 (expected [0, 1): the lr must shrink)');
    expect(() => new ReduceLROnPlateau(sgd(), { mode: 'up' as never })).toThrow("ReduceLROnPlateau: invalid mode 'up' (expected 'min' or 'max')");
    expect(() => new ReduceLROnPlateau(sgd(), { thresholdMode: 'x' as never })).toThrow("invalid thresholdMode 'x' (expected 'rel' or 'abs')");
    expect(() => new ReduceLROnPlateau(sgd(), { patience: -1 })).toThrow('invalid patience -1 (expected an integer >= 0)');
    expect(() => new ReduceLROnPlateau(sgd(0.1, 2), { minLr: [0] })).toThrow('expected 2 values for minLr (one per parameter group), got 1');
    const s = new ReduceLROnPlateau(sgd());
    expect(() => s.step(tensor(1) as never)).toThrow('ReduceLROnPlateau: step() takes the metric as a number; read the tensor first with await metric.item()');
  });
});

describe('scheduler state and validation', () => {
  const makers: Array<[string, (opt: SGD) => LRScheduler]> = [
    ['StepLR', (opt) => new StepLR(opt, { stepSize: 3, gamma: 0.5 })],
    ['MultiStepLR', (opt) => new MultiStepLR(opt, { milestones: [4, 9] })],
    ['CosineAnnealingLR', (opt) => new CosineAnnealingLR(opt, { tMax: 6, etaMin: 0.01 })],
    ['LinearLR', (opt) => new LinearLR(opt, { totalIters: 10 })],
    ['OneCycleLR', (opt) => new OneCycleLR(opt, { maxLr: 1, totalSteps: 25 })],
    ['LambdaLR', (opt) => new LambdaLR(opt, { lrLambda: (t) => 0.8 ** t })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: stateDict + the optimizer's stateDict resume the same sequence`, () => {
      const opt = sgd(0.1, 1, 0.9);
      const s = make(opt);
      for (let i = 0; i < 7; i++) s.step();
      const saved = s.stateDict();
      expect(JSON.parse(JSON.stringify(saved))).toEqual(saved); // plain data
      const opt2 = sgd(0.5, 1, 0.9);
      const s2 = make(opt2);
      s2.loadStateDict(saved);
      opt2.loadStateDict(opt.stateDict());
      expect(s2.lastEpoch).toBe(7);
      for (let i = 0; i < 10; i++) {
        s.step();
        s2.step();
        expect(s2.getLastLr()).toEqual(s.getLastLr());
      }
    });
  }

  it('lastEpoch resumes from the groups initialLr (closed form on the first step)', () => {
    const opt = sgd(0.1);
    const first = new CosineAnnealingLR(opt, { tMax: 10 });
    for (let i = 0; i < 4; i++) first.step();
    const resumed = new CosineAnnealingLR(opt, { tMax: 10, lastEpoch: 4 });
    expect(resumed.lastEpoch).toBe(5);
    expect(resumed.getLastLr()[0]).toBeCloseTo(0.05 * (1 + Math.cos(Math.PI / 2)), 14);
    expect(() => new StepLR(sgd(), { stepSize: 2, lastEpoch: 3 })).toThrow(
      'StepLR: paramGroups[0].initialLr is not set; it is required when resuming with lastEpoch 3',
    );
  });

  it('rejects bad options with ArgumentErrors', () => {
    const bad: Array<[() => unknown, string]> = [
      [() => new StepLR(sgd(), { stepSize: 0 }), 'StepLR: invalid stepSize 0 (expected an integer >= 1)'],
      [() => new StepLR(sgd(), { stepSize: 2, gamma: -1 }), 'StepLR: invalid gamma -1 (expected >= 0)'],
      [() => new StepLR(sgd(), undefined as never), 'StepLR: invalid stepSize undefined (expected an integer >= 1)'],
      [() => new MultiStepLR(sgd(), { milestones: [1.5] }), 'MultiStepLR: invalid milestones [1.5] (expected a list of integers >= 0)'],
      [() => new ExponentialLR(sgd(), { gamma: Number.NaN }), 'ExponentialLR: invalid gamma NaN (expected >= 0)'],
      [() => new CosineAnnealingLR(sgd(), { tMax: 0 }), 'CosineAnnealingLR: invalid tMax 0 (expected an integer >= 1)'],
      [() => new LinearLR(sgd(), { startFactor: 0 }), 'LinearLR: invalid startFactor 0 (expected (0, 1])'],
      [() => new LinearLR(sgd(), { endFactor: 2 }), 'LinearLR: invalid endFactor 2 (expected [0, 1])'],
      [() => new LambdaLR(sgd(0.1, 2), { lrLambda: [(t) => t] }), 'LambdaLR: expected 2 lrLambdas (one per parameter group), got 1'],
      [() => new StepLR({} as never, { stepSize: 1 }), 'StepLR: expected an Optimizer'],
    ];
    for (const [make, message] of bad) {
      expect(make).toThrow(ArgumentError);
      expect(make).toThrow(message);
    }
  });
});
