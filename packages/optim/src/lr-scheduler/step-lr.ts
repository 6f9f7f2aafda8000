import { checkInteger, checkNonNegative } from '../hyper-parameters';
import type { Optimizer } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link StepLR}.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * ```
 */
export interface StepLROptions extends LRSchedulerOptions {
  /** Epochs between two decays. */
  stepSize: number;
  /** Multiplicative decay γ (default 0.1). */
  gamma?: number;
}

/**
 * Multiply each group's lr by γ every `stepSize` epochs (torch.optim.lr_scheduler.StepLR):
 * ηₜ = η₀·γ^⌊t/stepSize⌋. Chainable form: ηₜ = γ·ηₜ₋₁ when t > 0 and t mod stepSize = 0,
 * else ηₜ₋₁.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new StepLR(opt, { stepSize: 2, gamma: 0.5 }); // lr 1 → 1, 1, 0.5, 0.5, 0.25, …
 * for (let epoch = 0; epoch < 10; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class StepLR extends LRScheduler {
  /** Epochs between two decays. @example `new StepLR(new SGD([zeros([1])], { lr: 0.1 }), { stepSize: 30 }).stepSize // 30` */
  readonly stepSize: number;
  /** Multiplicative decay γ. @example `new StepLR(new SGD([zeros([1])], { lr: 0.1 }), { stepSize: 30 }).gamma // 0.1` */
  readonly gamma: number;

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `stepSize`, `gamma` (default 0.1), `lastEpoch`
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 }); // lr × 0.1 every 30 epochs
   * ```
   */
  constructor(optimizer: Optimizer, options: StepLROptions) {
    const { stepSize, gamma = 0.1, lastEpoch = -1 } = options ?? ({} as StepLROptions);
    checkInteger('StepLR', 'stepSize', stepSize, 1);
    checkNonNegative('StepLR', 'gamma', gamma);
    super(optimizer, lastEpoch, 'StepLR');
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}
