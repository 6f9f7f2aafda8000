import { checkInteger, checkNonNegative } from '../hyper-parameters';
import type { Optimizer } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link CosineAnnealingLR}.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 * ```
 */
export interface CosineAnnealingLROptions extends LRSchedulerOptions {
  /** Epochs of half a cosine period: the lr reaches `etaMin` at epoch `tMax`. */
  tMax: number;
  /** Minimum lr η_min (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing (SGDR without restarts; torch.optim.lr_scheduler.CosineAnnealingLR). Closed form:
 * ```
 * ηₜ = η_min + ½(η₀ − η_min)(1 + cos(πt/T_max))
 * ```
 * computed, as PyTorch, by its chainable recursion:
 * ```
 * ηₜ = η_min + (ηₜ₋₁ − η_min)·(1 + cos(πt/T_max))/(1 + cos(π(t − 1)/T_max))
 * ηₜ = ηₜ₋₁ + ½(η₀ − η_min)(1 − cos(π/T_max))        when (t − 1 − T_max) mod 2T_max = 0
 * ```
 * Past T_max the lr follows the cosine back up (period 2T_max); it does not stay at η_min.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new CosineAnnealingLR(opt, { tMax: 10 }); // lr 1 → 1, 0.9755, 0.9045, …, 0 at epoch 10
 * for (let epoch = 0; epoch < 10; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Epochs of half a cosine period. @example `new CosineAnnealingLR(new SGD([zeros([1])], { lr: 0.1 }), { tMax: 50 }).tMax // 50` */
  readonly tMax: number;
  /** Minimum lr η_min. @example `new CosineAnnealingLR(new SGD([zeros([1])], { lr: 0.1 }), { tMax: 50 }).etaMin // 0` */
  readonly etaMin: number;

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `tMax`, `etaMin` (default 0), `lastEpoch`
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new CosineAnnealingLR(opt, { tMax: 50, etaMin: 1e-5 });
   * ```
   */
  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    const { tMax, etaMin = 0, lastEpoch = -1 } = options ?? ({} as CosineAnnealingLROptions);
    checkInteger('CosineAnnealingLR', 'tMax', tMax, 1);
    checkNonNegative('CosineAnnealingLR', 'etaMin', etaMin);
    super(optimizer, lastEpoch, 'CosineAnnealingLR');
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const { tMax: T, etaMin, lastEpoch: t } = this;
    const groups = this.optimizer.paramGroups;
    if (t === 0) return groups.map((g) => g.lr);
    // Resuming (first step with lastEpoch > 0): no previous lr to recurse from, use the closed form.
    if (this.stepCount === 1 && t > 0) return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    // Leaving the minimum: the ratio below would divide by 1 + cos(π) = 0.
    if ((t - 1 - T) % (2 * T) === 0) return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    const ratio = (1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T));
    return groups.map((g) => ratio * (g.lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    const { tMax: T, etaMin, lastEpoch: t } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }
}
