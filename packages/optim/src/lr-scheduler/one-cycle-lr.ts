import { ArgumentError } from '@aimodel/tensor';
import { checkBoolean, checkChoice, checkInRange, checkInteger, checkPositive, perGroup } from '../hyper-parameters';
import type { Optimizer, ParamGroup } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link OneCycleLR} (PyTorch names and defaults, camelCase). Give `totalSteps`, or
 * `epochs` and `stepsPerEpoch` (totalSteps = epochs·stepsPerEpoch).
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const loader = new DataLoader(new TensorDataset(ones([64, 2])), { batchSize: 16 });
 * new OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: loader.length });
 * ```
 */
export interface OneCycleLROptions extends LRSchedulerOptions {
  /** Peak lr, one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle (takes precedence over epochs·stepsPerEpoch). */
  totalSteps?: number;
  /** Epochs to train for (with `stepsPerEpoch`). */
  epochs?: number;
  /** Steps per epoch (with `epochs`). */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** Annealing shape: 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD/RMSprop `momentum`, Adam's β₁) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Lowest momentum, reached at the peak lr (default 0.85). */
  baseMomentum?: number | readonly number[];
  /** Highest momentum, at the start and end (default 0.95). */
  maxMomentum?: number | readonly number[];
  /** Initial lr = maxLr/divFactor (default 25). */
  divFactor?: number;
  /** Minimum lr = initial lr/finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases as in Smith's paper instead of fastai's two (default false). */
  threePhase?: boolean;
}

type LrKey = 'initial' | 'max' | 'min';
type MomentumKey = 'max' | 'base';
interface Phase {
  endStep: number;
  startLr: LrKey;
  endLr: LrKey;
  startMomentum: MomentumKey;
  endMomentum: MomentumKey;
}

/** Cosine annealing from `start` to `end` as `pct` goes 0 → 1. */
function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/** Linear annealing from `start` to `end` as `pct` goes 0 → 1. */
function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

/**
 * The 1cycle policy (Smith & Topin, 2017; torch.optim.lr_scheduler.OneCycleLR), stepped after
 * every batch. With N = totalSteps, p = pctStart, η_max = maxLr, η₀ = η_max/divFactor and
 * η_min = η₀/finalDivFactor, the lr at step t is annealed (cos: b + ½(a − b)(1 + cos πx);
 * linear: a + (b − a)x) from a to b across phases ending at steps:
 * ```
 * two phases:   η₀ → η_max until pN − 1;  η_max → η_min until N − 1
 * three phases: η₀ → η_max until pN − 1;  η_max → η₀ until 2pN − 2;  η₀ → η_min until N − 1
 * ```
 * where x = (t − phase start)/(phase end − phase start). Momentum (when cycled) moves the
 * opposite way between maxMomentum and baseMomentum (and stays at maxMomentum in the third
 * phase). Stepping more than N times throws. Not chainable: it ignores the current lr.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const sched = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 1000 });
 * for (let i = 0; i < 1000; i++) { opt.step(); sched.step(); }
 * ```
 */
export class OneCycleLR extends LRScheduler {
  /** Steps in the cycle; stepping past it throws. @example `new OneCycleLR(new SGD([zeros([1])], { lr: 0.1 }), { maxLr: 0.1, epochs: 10, stepsPerEpoch: 100 }).totalSteps // 1000` */
  readonly totalSteps: number;
  /** Annealing shape. @example `new OneCycleLR(new SGD([zeros([1])], { lr: 0.1 }), { maxLr: 0.1, totalSteps: 100, annealStrategy: 'linear' }).annealStrategy // 'linear'` */
  readonly annealStrategy: 'cos' | 'linear';
  /** Whether momentum (or β₁) is cycled. @example `new OneCycleLR(new SGD([zeros([1])], { lr: 0.1 }), { maxLr: 0.1, totalSteps: 100 }).cycleMomentum // true` */
  readonly cycleMomentum: boolean;
  /** Whether momentum is Adam's β₁ (`betas[0]`) rather than a `momentum` option. @example `new OneCycleLR(new Adam([zeros([1])]), { maxLr: 0.01, totalSteps: 100 }).useBeta1 // true` */
  readonly useBeta1: boolean;
  /** The phases: last step of each and the values annealed between. @example `new OneCycleLR(new SGD([zeros([1])], { lr: 0.1 }), { maxLr: 0.1, totalSteps: 100, threePhase: true }).phases.length // 3` */
  readonly phases: Phase[];
  /** Peak lr of each group. @example `new OneCycleLR(new SGD([zeros([1])], { lr: 0.1 }), { maxLr: 0.1, totalSteps: 100 }).maxLrs // [0.1]` */
  readonly maxLrs: number[];
  /** Final lr of each group (initial lr/finalDivFactor). @example `new OneCycleLR(new SGD([zeros([1])], { lr: 0.1 }), { maxLr: 0.1, totalSteps: 100 }).minLrs // [4e-7] (0.1 / 25 / 1e4)` */
  readonly minLrs: number[];
  /** Lowest momentum of each group. @example `new OneCycleLR(new SGD([zeros([1])], { lr: 0.1 }), { maxLr: 0.1, totalSteps: 100 }).baseMomentums // [0.85]` */
  readonly baseMomentums: number[];
  /** Highest momentum of each group. @example `new OneCycleLR(new SGD([zeros([1])], { lr: 0.1 }), { maxLr: 0.1, totalSteps: 100 }).maxMomentums // [0.95]` */
  readonly maxMomentums: number[];

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `maxLr` and `totalSteps` (or `epochs` and `stepsPerEpoch`), and the shape of the cycle
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const loader = new DataLoader(new TensorDataset(ones([64, 2])), { batchSize: 16 });
   * const sched = new OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: loader.length });
   * ```
   */
  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    const op = 'OneCycleLR';
    const o = options ?? ({} as OneCycleLROptions);
    const { pctStart = 0.3, annealStrategy = 'cos', cycleMomentum = true, divFactor = 25, finalDivFactor = 1e4, threePhase = false, lastEpoch = -1 } = o;
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      checkInteger(op, 'totalSteps', o.totalSteps, 1);
      totalSteps = o.totalSteps;
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      checkInteger(op, 'epochs', o.epochs, 1);
      checkInteger(op, 'stepsPerEpoch', o.stepsPerEpoch, 1);
      totalSteps = o.epochs * o.stepsPerEpoch;
    } else {
      throw new ArgumentError(op, 'you must define either totalSteps or both epochs and stepsPerEpoch');
    }
    checkInRange(op, 'pctStart', pctStart, 0, 1);
    checkChoice(op, 'annealStrategy', annealStrategy, ['cos', 'linear']);
    checkBoolean(op, 'cycleMomentum', cycleMomentum);
    checkBoolean(op, 'threePhase', threePhase);
    checkPositive(op, 'divFactor', divFactor);
    checkPositive(op, 'finalDivFactor', finalDivFactor);
    const groups = optimizer?.paramGroups ?? [];
    const maxLrs = perGroup(op, 'maxLr', o.maxLr, groups.length);
    maxLrs.forEach((v) => checkPositive(op, 'maxLr', v));
    const baseMomentums = perGroup(op, 'baseMomentum', o.baseMomentum ?? 0.85, groups.length);
    const maxMomentums = perGroup(op, 'maxMomentum', o.maxMomentum ?? 0.95, groups.length);
    const useBeta1 = !!optimizer?.defaults && 'betas' in optimizer.defaults;
    if (cycleMomentum && optimizer?.defaults && !useBeta1 && !('momentum' in optimizer.defaults)) {
      throw new ArgumentError(op, 'optimizer must support momentum or betas with cycleMomentum enabled (pass cycleMomentum: false)');
    }
    // As PyTorch, a fresh cycle starts every group at maxLr/divFactor (its initialLr) and at maxMomentum.
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        if (cycleMomentum) setMomentum(g, useBeta1, maxMomentums[i]);
      });
    }
    super(optimizer, lastEpoch, op);
    this.totalSteps = totalSteps;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.maxLrs = maxLrs;
    this.minLrs = this.baseLrs.map((b) => b / finalDivFactor);
    this.baseMomentums = baseMomentums;
    this.maxMomentums = maxMomentums;
    const n = totalSteps;
    this.phases = threePhase
      ? [
          { endStep: pctStart * n - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: 2 * pctStart * n - 2, startLr: 'max', endLr: 'initial', startMomentum: 'base', endMomentum: 'max' },
          { endStep: n - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
        ]
      : [
          { endStep: pctStart * n - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: n - 1, startLr: 'max', endLr: 'min', startMomentum: 'base', endMomentum: 'max' },
        ];
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const t = this.lastEpoch;
    if (t > this.totalSteps) throw new ArgumentError('OneCycleLR', `tried to step ${t} times; totalSteps is ${this.totalSteps}`);
    const anneal = this.annealStrategy === 'cos' ? annealCos : annealLinear;
    return this.optimizer.paramGroups.map((g, i) => {
      const lrOf = { initial: this.baseLrs[i], max: this.maxLrs[i], min: this.minLrs[i] };
      const momentumOf = { max: this.maxMomentums[i], base: this.baseMomentums[i] };
      let start = 0;
      for (const [k, phase] of this.phases.entries()) {
        if (t <= phase.endStep || k === this.phases.length - 1) {
          // A phase of zero length (tiny totalSteps·pctStart) counts as already complete.
          const pct = phase.endStep > start ? (t - start) / (phase.endStep - start) : 1;
          if (this.cycleMomentum) setMomentum(g, this.useBeta1, anneal(momentumOf[phase.startMomentum], momentumOf[phase.endMomentum], pct));
          return anneal(lrOf[phase.startLr], lrOf[phase.endLr], pct);
        }
        start = phase.endStep;
      }
      return g.lr; // unreachable: the last phase always matches
    });
  }
}

/** Write the cycled momentum: Adam's β₁ (keeping β₂) or the `momentum` option. */
function setMomentum(group: ParamGroup, useBeta1: boolean, value: number): void {
  const g = group as ParamGroup & { betas?: [number, number]; momentum?: number };
  if (useBeta1) g.betas = [value, (g.betas ?? [0, 0.999])[1]];
  else g.momentum = value;
}
