import { describe, expect, it } from 'vitest';
import { ArgumentError, tensor } from '@aimodel/tensor';
import {
  Adam,
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LinearLR,
  MultiplicativeLR,
  MultiStepLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
} from '../src/index';
import { expectClose, lrSequence, schedulerSgd } from './helpers';

// Every sequence below is listed by hand from the formulas in PyTorch's documentation of each
// scheduler (torch.optim.lr_scheduler.<Name>); the comments show the arithmetic.

const sgd = (lr = 1, momentum = 0, groups = 1) => schedulerSgd(lr, groups, momentum);
const lrs = lrSequence;

const TOL = { rtol: 1e-12, atol: 1e-15 };
const c = (x: number) => (1 + Math.cos(Math.PI * x)) / 2; // ½(1 + cos πx)

describe('CosineAnnealingWarmRestarts', () => {
  it('T₀ = 2, T_mult = 2: the first 8 values (restarts at epochs 2 and 6)', () => {
    const s = new CosineAnnealingWarmRestarts(sgd(1), { t0: 2, tMult: 2 });
    // T_cur/T_i: 0/2, 1/2 | 0/4, 1/4, 2/4, 3/4 | 0/8, 1/8
    expectClose(lrs(s, 7), [1, 0.5, 1, 0.8535533905932737, 0.5, 0.14644660940672627, 1, 0.9619397662556434], TOL);
    expect([s.tCur, s.tI]).toEqual([1, 8]);
  });

  it('T₀ = 3, T_mult = 1 with η_min: period 3, η = η_min + (η₀ − η_min)·½(1 + cos(πT_cur/3))', () => {
    const s = new CosineAnnealingWarmRestarts(sgd(1.1), { t0: 3, etaMin: 0.1 });
    expectClose(lrs(s, 6), [1.1, 0.85, 0.35, 1.1, 0.85, 0.35, 1.1], TOL);
  });

  it('step(epoch) with fractional epochs, as PyTorch computes T_cur and T_i', () => {
    const s = new CosineAnnealingWarmRestarts(sgd(1), { t0: 2, tMult: 2 });
    s.step(0.5); // T_cur 0.5, T_i 2
    expectClose(s.getLastLr(), [c(0.25)], TOL);
    s.step(2.5); // n = ⌊log₂(2.5/2 + 1)⌋ = 1: T_cur = 2.5 − 2 = 0.5, T_i = 4
    expectClose(s.getLastLr(), [c(0.125)], TOL);
    expect([s.tCur, s.tI, s.lastEpoch]).toEqual([0.5, 4, 2]);
    s.step(6); // n = 2: T_cur = 6 − 2·3 = 0, T_i = 8
    expectClose(s.getLastLr(), [1], TOL);
    s.step(7);
    expectClose(s.getLastLr(), [c(1 / 8)], TOL);
    const t1 = new CosineAnnealingWarmRestarts(sgd(1), { t0: 2 });
    t1.step(5.5); // T_cur = 5.5 mod 2 = 1.5
    expectClose(t1.getLastLr(), [c(0.75)], TOL);
    expect(() => t1.step(-1)).toThrow(/CosineAnnealingWarmRestarts: expected a finite epoch >= 0, got -1/);
  });

  it('checks and state dict', () => {
    expect(() => new CosineAnnealingWarmRestarts(sgd(), { t0: 0 })).toThrow(/invalid t0 0/);
    expect(() => new CosineAnnealingWarmRestarts(sgd(), { t0: 2, tMult: 1.5 })).toThrow(/invalid tMult 1.5 \(expected an integer >= 1\)/);
    expect(() => new CosineAnnealingWarmRestarts(sgd(), { t0: 2, T_mult: 2 } as never)).toThrow(/unknown option 'T_mult'/);
    const a = new CosineAnnealingWarmRestarts(sgd(1), { t0: 2, tMult: 2 });
    for (let i = 0; i < 3; i++) a.step();
    const b = new CosineAnnealingWarmRestarts(sgd(1), { t0: 2, tMult: 2 });
    b.loadStateDict(a.stateDict());
    expect([b.tCur, b.tI, b.lastEpoch]).toEqual([1, 4, 3]);
    a.step();
    b.step();
    expect(b.getLastLr()).toEqual(a.getLastLr());
  });
});

describe('CyclicLR', () => {
  it('triangular: 0.1 → 0.5 → 0.1 in 4 steps; momentum 0.9 → 0.8 → 0.9 the other way', () => {
    const opt = sgd(0.7, 0.5);
    const s = new CyclicLR(opt, { baseLr: 0.1, maxLr: 0.5, stepSizeUp: 2 });
    const momenta = [opt.paramGroups[0].momentum];
    const seq = [s.getLastLr()[0]];
    for (let i = 0; i < 8; i++) {
      s.step();
      seq.push(s.getLastLr()[0]);
      momenta.push(opt.paramGroups[0].momentum);
    }
    expectClose(seq, [0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3, 0.1], TOL);
    expectClose(momenta, [0.9, 0.85, 0.8, 0.85, 0.9, 0.85, 0.8, 0.85, 0.9], TOL);
  });

  it('triangular2 halves the amplitude each cycle; exp_range scales it by γᵗ', () => {
    const t2 = new CyclicLR(sgd(1, 0.9), { baseLr: 0.1, maxLr: 0.5, stepSizeUp: 2, mode: 'triangular2' });
    expectClose(lrs(t2, 10), [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3, 0.2, 0.1, 0.15, 0.2], TOL);
    const ex = new CyclicLR(sgd(1, 0.9), { baseLr: 0.1, maxLr: 0.5, stepSizeUp: 2, mode: 'exp_range', gamma: 0.5 });
    // 0.1 + 0.4·s·0.5ᵗ with s = 0, ½, 1, ½, 0
    expectClose(lrs(ex, 4), [0.1, 0.2, 0.2, 0.125, 0.1], TOL);
  });

  it('asymmetric cycle (1 up, 3 down), a custom scaleFn on iterations, and Adam’s β₁', () => {
    const s = new CyclicLR(sgd(1, 0.9), { baseLr: 0.1, maxLr: 0.5, stepSizeUp: 1, stepSizeDown: 3, cycleMomentum: false });
    expectClose(lrs(s, 4), [0.1, 0.5, 0.1 + 0.4 * (2 / 3), 0.1 + 0.4 / 3, 0.1], TOL);
    const f = new CyclicLR(sgd(1, 0.9), { baseLr: 0, maxLr: 1, stepSizeUp: 1, scaleFn: (x) => 1 / (1 + x), scaleMode: 'iterations' });
    expectClose(lrs(f, 3), [0, 0.5, 0, 0.25], TOL); // s·1/(1 + t): t=1 s=1, t=3 s=1
    const adam = new Adam([tensor([1], { requiresGrad: true })], { betas: [0.5, 0.99] });
    const a = new CyclicLR(adam, { baseLr: 1e-3, maxLr: 1e-2, stepSizeUp: 1 });
    expect(adam.paramGroups[0].betas).toEqual([0.9, 0.99]);
    a.step();
    expect(adam.paramGroups[0].betas).toEqual([0.8, 0.99]);
    expectClose(a.getLastLr(), [1e-2], TOL);
  });

  it('checks, per-group values and state dict', () => {
    expect(() => new CyclicLR(sgd(1, 0), { baseLr: 0.1, maxLr: 0.5, mode: 'cosine' as 'triangular' })).toThrow(/CyclicLR: invalid mode 'cosine'/);
    expect(() => new CyclicLR(sgd(1, 0.9), { baseLr: [0.1, 0.2], maxLr: 0.5 })).toThrow(/expected 1 values for baseLr/);
    expect(() => new CyclicLR(sgd(1, 0.9), { baseLr: 0.1, maxLr: 0.5, step_size_up: 4 } as never)).toThrow(/did you mean 'stepSizeUp'/);
    const two = new CyclicLR(sgd(1, 0.9, 2), { baseLr: [0.1, 0.2], maxLr: [0.5, 0.4], stepSizeUp: 1 });
    two.step();
    expect(two.getLastLr()).toEqual([0.5, 0.4]);
    const a = new CyclicLR(sgd(1, 0.9), { baseLr: 0.1, maxLr: 0.5, stepSizeUp: 3, mode: 'triangular2' });
    for (let i = 0; i < 7; i++) a.step();
    const b = new CyclicLR(sgd(1, 0.9), { baseLr: 0.1, maxLr: 0.5, stepSizeUp: 3, mode: 'triangular2' });
    b.loadStateDict(structuredClone(a.stateDict()));
    expect(b.getLastLr()).toEqual(a.getLastLr());
    expectClose(b.getLastLr(), [0.1 + 0.4 * (1 / 3) * 0.5], TOL); // t = 7: cycle 2, x = 1/6, s = 1/3, scale ½
    expect(lrs(b, 5)).toEqual(lrs(a, 5));
  });
});

describe('PolynomialLR, ConstantLR, MultiplicativeLR', () => {
  it('PolynomialLR: η₀(1 − min(t, T)/T)^power, then 0', () => {
    expectClose(lrs(new PolynomialLR(sgd(1), { totalIters: 4, power: 2 }), 6), [1, 0.5625, 0.25, 0.0625, 0, 0, 0], TOL);
    expectClose(lrs(new PolynomialLR(sgd(0.5)), 6), [0.5, 0.4, 0.3, 0.2, 0.1, 0, 0], TOL);
    expect(() => new PolynomialLR(sgd(), { totalIters: 0 })).toThrow(/PolynomialLR: invalid totalIters 0/);
  });

  it('ConstantLR: factor until totalIters, then the base lr', () => {
    expectClose(lrs(new ConstantLR(sgd(1), { factor: 0.5, totalIters: 2 }), 3), [0.5, 0.5, 1, 1], TOL);
    expectClose(lrs(new ConstantLR(sgd(0.3)), 6), [0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.3], TOL);
    expectClose(lrs(new ConstantLR(sgd(0.3), { factor: 0, totalIters: 1 }), 2), [0, 0.3, 0.3], TOL);
    expect(() => new ConstantLR(sgd(), { factor: 1.5 })).toThrow(/ConstantLR: invalid factor 1.5 \(expected \[0, 1\]\)/);
  });

  it('MultiplicativeLR: η ← η·λ(t) for t > 0, per group', () => {
    expectClose(lrs(new MultiplicativeLR(sgd(1), { lrLambda: (e) => (e % 2 === 0 ? 0.5 : 1) }), 4), [1, 1, 0.5, 0.5, 0.25], TOL);
    const two = new MultiplicativeLR(sgd(1, 0, 2), { lrLambda: [() => 0.5, () => 0.1] });
    two.step();
    two.step();
    expectClose(two.getLastLr(), [0.25, 0.01], TOL);
    expect(() => new MultiplicativeLR(sgd(1, 0, 2), { lrLambda: [() => 1] })).toThrow(/expected 2 lrLambdas/);
    expect('lrLambdas' in two.stateDict()).toBe(false);
  });
});

describe('SequentialLR and ChainedScheduler', () => {
  it('SequentialLR: ConstantLR warm-up, then ExponentialLR restarted at its epoch 0', () => {
    const opt = sgd(1);
    const s = new SequentialLR(opt, {
      schedulers: [new ConstantLR(opt, { factor: 0.1, totalIters: 2 }), new ExponentialLR(opt, { gamma: 0.5 })],
      milestones: [2],
    });
    expectClose(lrs(s, 5), [0.1, 0.1, 1, 0.5, 0.25, 0.125], TOL);
  });

  it('SequentialLR: LinearLR warm-up into cosine annealing (closed form at the milestone)', () => {
    const opt = sgd(1);
    const warm = new LinearLR(opt, { startFactor: 0.25, totalIters: 2 });
    const cos = new CosineAnnealingLR(opt, { tMax: 4 });
    const s = new SequentialLR(opt, { schedulers: [warm, cos], milestones: [2] });
    // 0.25, 0.25·(1 + 0.75/0.5) = 0.625, then cosine from 1: ½(1 + cos(πt/4))
    expectClose(lrs(s, 6), [0.25, 0.625, 1, c(0.25), c(0.5), c(0.75), 0], TOL);
  });

  it('SequentialLR: three schedulers, StepLR and MultiStepLR restarting from the base lr', () => {
    const opt = sgd(1);
    const s = new SequentialLR(opt, {
      schedulers: [new StepLR(opt, { stepSize: 1, gamma: 0.5 }), new MultiStepLR(opt, { milestones: [1], gamma: 0.1 }), new ExponentialLR(opt, { gamma: 0.9 })],
      milestones: [2, 4],
    });
    expectClose(lrs(s, 5), [1, 0.5, 1, 0.1, 1, 0.9], TOL);
  });

  it('SequentialLR restarts CosineAnnealingWarmRestarts with step(0): T_cur and T_i start over', () => {
    const opt = sgd(1);
    const warm = new CosineAnnealingWarmRestarts(opt, { t0: 2, tMult: 2 });
    const s = new SequentialLR(opt, { schedulers: [new ConstantLR(opt, { factor: 0.5, totalIters: 9 }), warm], milestones: [2] });
    // 0.5, 0.5, then the warm restarts from T_cur 0, T_i 2: 1, 0.5, 1, c(¼), …
    expectClose(lrs(s, 6), [0.5, 0.5, 1, 0.5, 1, c(0.25), c(0.5)], TOL);
  });

  it('ChainedScheduler: the factors of every scheduler multiply', () => {
    const opt = sgd(1);
    const s = new ChainedScheduler([new ConstantLR(opt, { factor: 0.1, totalIters: 2 }), new ExponentialLR(opt, { gamma: 0.9 })]);
    expectClose(lrs(s, 3), [0.1, 0.09, 0.81, 0.729], TOL);
  });

  it('checks: same optimizer, milestone count and order, no ReduceLROnPlateau, unknown options', () => {
    const opt = sgd(1);
    const other = sgd(1);
    const a = new ExponentialLR(opt, { gamma: 0.9 });
    const b = new ExponentialLR(other, { gamma: 0.9 });
    expect(() => new SequentialLR(opt, { schedulers: [a, b], milestones: [2] })).toThrow(/SequentialLR: schedulers\[1\] is attached to a different optimizer/);
    expect(() => new SequentialLR(opt, { schedulers: [a, new StepLR(opt, { stepSize: 2 })], milestones: [] })).toThrow(/expected 1 milestones/);
    expect(() => new SequentialLR(opt, { schedulers: [a, a, a], milestones: [3, 2] })).toThrow(/milestones must be increasing positive integers/);
    expect(() => new ChainedScheduler([a, new ReduceLROnPlateau(opt) as never])).toThrow(/ChainedScheduler: schedulers\[1\] is not an epoch-based LRScheduler/);
    expect(() => new ChainedScheduler([a], other)).toThrow(ArgumentError);
    expect(() => new SequentialLR(opt, { schedulers: [a], milestones: [], lastEpoch: 0 } as never)).toThrow(/unknown option 'lastEpoch'/);
  });

  it('state dicts nest the inner schedulers and resume identically', () => {
    const make = () => {
      const opt = sgd(1);
      return new SequentialLR(opt, {
        schedulers: [new LinearLR(opt, { startFactor: 0.5, totalIters: 3 }), new StepLR(opt, { stepSize: 2, gamma: 0.5 })],
        milestones: [3],
      });
    };
    const a = make();
    for (let i = 0; i < 4; i++) a.step();
    const saved = structuredClone(a.stateDict());
    expect((saved.schedulers as unknown[]).length).toBe(2);
    const b = make();
    b.loadStateDict(saved);
    b.optimizer.loadStateDict(a.optimizer.stateDict());
    expect(lrs(b, 4)).toEqual(lrs(a, 4));
    const chainA = (() => {
      const opt = sgd(1);
      return new ChainedScheduler([new ConstantLR(opt, { factor: 0.5, totalIters: 3 }), new ExponentialLR(opt, { gamma: 0.5 })]);
    })();
    chainA.step();
    const sd = structuredClone(chainA.stateDict());
    const opt2 = sgd(1);
    const chainB = new ChainedScheduler([new ConstantLR(opt2, { factor: 0.5, totalIters: 3 }), new ExponentialLR(opt2, { gamma: 0.5 })]);
    chainB.loadStateDict(sd);
    chainB.optimizer.loadStateDict(chainA.optimizer.stateDict());
    expect(lrs(chainB, 3)).toEqual(lrs(chainA, 3));
    expect(() => chainB.loadStateDict({ schedulers: [] })).toThrow(/expected a state dict with 2 scheduler states/);
  });
});
