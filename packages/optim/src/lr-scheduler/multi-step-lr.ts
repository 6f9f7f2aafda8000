import { ArgumentError } from '@aimodel/tensor';
import { checkNonNegative } from '../hyper-parameters';
import type { Optimizer } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link MultiStepLR}.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 * ```
 */
export interface MultiStepLROptions extends LRSchedulerOptions {
  /** Epochs at which the lr is multiplied by γ (a milestone listed k times multiplies by γᵏ). */
  milestones: readonly number[];
  /** Multiplicative decay γ (default 0.1). */
  gamma?: number;
}

/**
 * Multiply each group's lr by γ at each milestone epoch (torch.optim.lr_scheduler.MultiStepLR):
 * ηₜ = η₀·γ^(number of milestones ≤ t). Chainable form: ηₜ = ηₜ₋₁·γ^(times t is listed).
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new MultiStepLR(opt, { milestones: [2, 5] }); // lr 1 → 1, 1, 0.1, 0.1, 0.1, 0.01, …
 * for (let epoch = 0; epoch < 10; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted. @example `new MultiStepLR(new SGD([zeros([1])], { lr: 0.1 }), { milestones: [80, 30] }).milestones // [30, 80]` */
  readonly milestones: number[];
  /** Multiplicative decay γ. @example `new MultiStepLR(new SGD([zeros([1])], { lr: 0.1 }), { milestones: [30], gamma: 0.5 }).gamma // 0.5` */
  readonly gamma: number;

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `milestones`, `gamma` (default 0.1), `lastEpoch`
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
   * ```
   */
  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    const { milestones, gamma = 0.1, lastEpoch = -1 } = options ?? ({} as MultiStepLROptions);
    if (!Array.isArray(milestones) || milestones.some((m) => !Number.isInteger(m) || m < 0)) {
      throw new ArgumentError('MultiStepLR', `invalid milestones ${JSON.stringify(milestones)} (expected a list of integers >= 0)`);
    }
    checkNonNegative('MultiStepLR', 'gamma', gamma);
    super(optimizer, lastEpoch, 'MultiStepLR');
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = gamma;
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.optimizer.paramGroups.map((g) => (hits === 0 ? g.lr : g.lr * this.gamma ** hits));
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}
