import { ArgumentError, checkOptions } from '@aimodel/tensor';
import { checkBoolean, checkChoice, checkNonNegative, checkPositive, perGroup } from '../hyper-parameters';
import type { Optimizer, ParamGroup } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link CyclicLR} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.01, momentum: 0.9 });
 * new CyclicLR(opt, { baseLr: 0.001, maxLr: 0.01, stepSizeUp: 200, mode: 'triangular2' });
 * ```
 */
export interface CyclicLROptions extends LRSchedulerOptions {
  /** Lower lr of the cycle, one for all groups or one per group. */
  baseLr: number | readonly number[];
  /** Upper lr of the cycle (reached only when the scale is 1), one or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the increasing half of a cycle (default 2000). */
  stepSizeUp?: number;
  /** Steps in the decreasing half (default `stepSizeUp`). */
  stepSizeDown?: number;
  /** 'triangular' (constant amplitude), 'triangular2' (halved each cycle) or 'exp_range' (× γ^step) (default 'triangular'). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** γ of 'exp_range' (default 1). */
  gamma?: number;
  /** A custom amplitude scale (overrides `mode`); not saved by `stateDict()`. */
  scaleFn?: (x: number) => number;
  /** What `scaleFn` receives: the cycle number ('cycle') or the step count ('iterations') (default 'cycle'). */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle momentum (or Adam's β₁) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the peak lr (default 0.8). */
  baseMomentum?: number | readonly number[];
  /** Momentum at the base lr (default 0.9). */
  maxMomentum?: number | readonly number[];
}

/**
 * Cyclical learning rates (Smith, 2017; torch.optim.lr_scheduler.CyclicLR), stepped after every
 * batch. With N = stepSizeUp + stepSizeDown and r = stepSizeUp/N, at step t:
 * ```
 * cycle = ⌊1 + t/N⌋,   x = 1 + t/N − cycle
 * s = x ≤ r ? x/r : (x − 1)/(r − 1)                   (0 → 1 → 0 over a cycle)
 * η = η_base + (η_max − η_base)·s·scale               scale: triangular 1, triangular2 1/2^(cycle−1),
 * momentum = m_max − (m_max − m_base)·s·scale                exp_range γ^t
 * ```
 * At construction each group's lr is set to `baseLr` (and its momentum to `maxMomentum`). Not
 * chainable.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1, momentum: 0.9 });
 * const sched = new CyclicLR(opt, { baseLr: 0.1, maxLr: 0.5, stepSizeUp: 2 }); // lr 0.1, 0.3, 0.5, 0.3, 0.1, 0.3, …
 * for (let i = 0; i < 10; i++) { opt.step(); sched.step(); }
 * ```
 */
export class CyclicLR extends LRScheduler {
  /** Upper lr of each group. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1, momentum: 0.9 }), { baseLr: 0.01, maxLr: 0.1 }).maxLrs // [0.1]` */
  readonly maxLrs: number[];
  /** Steps in a whole cycle. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1, momentum: 0.9 }), { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 10 }).totalSize // 20` */
  readonly totalSize: number;
  /** Fraction of a cycle spent increasing. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1, momentum: 0.9 }), { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 10, stepSizeDown: 30 }).stepRatio // 0.25` */
  readonly stepRatio: number;
  /** The amplitude policy. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1, momentum: 0.9 }), { baseLr: 0.01, maxLr: 0.1 }).mode // 'triangular'` */
  readonly mode: 'triangular' | 'triangular2' | 'exp_range';
  /** γ of 'exp_range'. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1, momentum: 0.9 }), { baseLr: 0.01, maxLr: 0.1 }).gamma // 1` */
  readonly gamma: number;
  /** What the scale function receives. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1, momentum: 0.9 }), { baseLr: 0.01, maxLr: 0.1, mode: 'exp_range' }).scaleMode // 'iterations'` */
  readonly scaleMode: 'cycle' | 'iterations';
  /** The custom scale function, if one was given. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1, momentum: 0.9 }), { baseLr: 0.01, maxLr: 0.1 }).scaleFn // undefined` */
  readonly scaleFn: ((x: number) => number) | undefined;
  /** Whether momentum (or β₁) is cycled. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1 }), { baseLr: 0.01, maxLr: 0.1, cycleMomentum: false }).cycleMomentum // false` */
  readonly cycleMomentum: boolean;
  /** Whether momentum is Adam's β₁. @example `new CyclicLR(new Adam([zeros([1])]), { baseLr: 1e-4, maxLr: 1e-3 }).useBeta1 // true` */
  readonly useBeta1: boolean;
  /** Momentum at the peak lr, per group. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1, momentum: 0.9 }), { baseLr: 0.01, maxLr: 0.1 }).baseMomentums // [0.8]` */
  readonly baseMomentums: number[];
  /** Momentum at the base lr, per group. @example `new CyclicLR(new SGD([zeros([1])], { lr: 0.1, momentum: 0.9 }), { baseLr: 0.01, maxLr: 0.1 }).maxMomentums // [0.9]` */
  readonly maxMomentums: number[];

  /**
   * @param optimizer the optimizer whose parameter groups' lr (and momentum) it sets
   * @param options `baseLr`, `maxLr` and the shape of the cycle
   * @example
   * ```ts
   * const opt = new Adam(new Linear(2, 1).parameters());
   * const sched = new CyclicLR(opt, { baseLr: 1e-4, maxLr: 1e-3, stepSizeUp: 100, mode: 'exp_range', gamma: 0.999 });
   * ```
   */
  constructor(optimizer: Optimizer, options: CyclicLROptions) {
    const op = 'CyclicLR';
    checkOptions(op, options, [
      'baseLr',
      'maxLr',
      'stepSizeUp',
      'stepSizeDown',
      'mode',
      'gamma',
      'scaleFn',
      'scaleMode',
      'cycleMomentum',
      'baseMomentum',
      'maxMomentum',
      'lastEpoch',
    ]);
    const o = options ?? ({} as CyclicLROptions);
    const { stepSizeUp = 2000, mode = 'triangular', gamma = 1, cycleMomentum = true, lastEpoch = -1 } = o;
    const stepSizeDown = o.stepSizeDown ?? stepSizeUp;
    checkPositive(op, 'stepSizeUp', stepSizeUp);
    checkPositive(op, 'stepSizeDown', stepSizeDown);
    checkChoice(op, 'mode', mode, ['triangular', 'triangular2', 'exp_range']);
    checkPositive(op, 'gamma', gamma);
    checkBoolean(op, 'cycleMomentum', cycleMomentum);
    if (o.scaleFn !== undefined && typeof o.scaleFn !== 'function') throw new ArgumentError(op, `scaleFn must be a function, got ${typeof o.scaleFn}`);
    const scaleMode = o.scaleFn ? (o.scaleMode ?? 'cycle') : mode === 'exp_range' ? 'iterations' : 'cycle';
    checkChoice(op, 'scaleMode', scaleMode, ['cycle', 'iterations']);
    const groups = optimizer?.paramGroups ?? [];
    const baseLrs = perGroup(op, 'baseLr', o.baseLr, groups.length);
    const maxLrs = perGroup(op, 'maxLr', o.maxLr, groups.length);
    for (const v of [...baseLrs, ...maxLrs]) checkNonNegative(op, 'lr', v);
    const baseMomentums = perGroup(op, 'baseMomentum', o.baseMomentum ?? 0.8, groups.length);
    const maxMomentums = perGroup(op, 'maxMomentum', o.maxMomentum ?? 0.9, groups.length);
    const useBeta1 = !!optimizer?.defaults && 'betas' in optimizer.defaults;
    if (cycleMomentum && optimizer?.defaults && !useBeta1 && !('momentum' in optimizer.defaults)) {
      throw new ArgumentError(op, 'optimizer must support momentum or betas with cycleMomentum enabled (pass cycleMomentum: false)');
    }
    // As PyTorch, a fresh cycle starts every group at baseLr and (cycling) at maxMomentum.
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.lr = baseLrs[i];
        if (cycleMomentum) setMomentum(g, useBeta1, maxMomentums[i]);
      });
    }
    super(optimizer, lastEpoch, op);
    this.baseLrs = baseLrs;
    this.maxLrs = maxLrs;
    this.totalSize = stepSizeUp + stepSizeDown;
    this.stepRatio = stepSizeUp / this.totalSize;
    this.mode = mode;
    this.gamma = gamma;
    this.scaleMode = scaleMode;
    this.scaleFn = o.scaleFn;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.baseMomentums = baseMomentums;
    this.maxMomentums = maxMomentums;
    this.initialStep();
  }

  /** The amplitude scale at cycle number or step `x`. */
  private scale(x: number): number {
    if (this.scaleFn) return this.scaleFn(x);
    if (this.mode === 'triangular2') return 1 / 2 ** (x - 1);
    if (this.mode === 'exp_range') return this.gamma ** x;
    return 1;
  }

  protected override computeLr(): number[] {
    const t = this.lastEpoch;
    const cycle = Math.floor(1 + t / this.totalSize);
    const x = 1 + t / this.totalSize - cycle;
    const s = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scale(this.scaleMode === 'cycle' ? cycle : t);
    const groups = this.optimizer.paramGroups;
    if (this.cycleMomentum) {
      groups.forEach((g, i) => setMomentum(g, this.useBeta1, this.maxMomentums[i] - (this.maxMomentums[i] - this.baseMomentums[i]) * s * scale));
    }
    return this.baseLrs.map((b, i) => b + (this.maxLrs[i] - b) * s * scale);
  }
}

/** Write the cycled momentum: Adam's β₁ (keeping β₂) or the `momentum` option. */
function setMomentum(group: ParamGroup, useBeta1: boolean, value: number): void {
  const g = group as ParamGroup & { betas?: [number, number]; momentum?: number };
  if (useBeta1) g.betas = [value, (g.betas ?? [0, 0.999])[1]];
  else g.momentum = value;
}
