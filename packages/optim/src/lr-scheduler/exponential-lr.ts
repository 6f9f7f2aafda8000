import { checkNonNegative } from '../hyper-parameters';
import type { Optimizer } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link ExponentialLR}.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * new ExponentialLR(opt, { gamma: 0.95 });
 * ```
 */
export interface ExponentialLROptions extends LRSchedulerOptions {
  /** Multiplicative decay γ per epoch. */
  gamma: number;
}

/**
 * Multiply each group's lr by γ every epoch (torch.optim.lr_scheduler.ExponentialLR):
 * ηₜ = η₀·γᵗ. Chainable form: ηₜ = γ·ηₜ₋₁ for t > 0.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new ExponentialLR(opt, { gamma: 0.9 }); // lr 1 → 1, 0.9, 0.81, …
 * for (let epoch = 0; epoch < 10; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative decay γ per epoch. @example `new ExponentialLR(new SGD([zeros([1])], { lr: 0.1 }), { gamma: 0.95 }).gamma // 0.95` */
  readonly gamma: number;

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `gamma`, `lastEpoch`
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new ExponentialLR(opt, { gamma: 0.95 });
   * ```
   */
  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    const { gamma, lastEpoch = -1 } = options ?? ({} as ExponentialLROptions);
    checkNonNegative('ExponentialLR', 'gamma', gamma);
    super(optimizer, lastEpoch, 'ExponentialLR');
    this.gamma = gamma;
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    return this.lastEpoch === 0 ? groups.map((g) => g.lr) : groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}
