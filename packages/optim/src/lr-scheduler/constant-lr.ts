import { checkOptions } from '@aimodel/tensor';
import { checkInRange, checkInteger } from '../hyper-parameters';
import type { Optimizer } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link ConstantLR}.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
 * new ConstantLR(opt, { factor: 0.5, totalIters: 4 });
 * ```
 */
export interface ConstantLROptions extends LRSchedulerOptions {
  /** Factor in [0, 1] applied until `totalIters` (default 1/3). */
  factor?: number;
  /** Epoch at which the lr returns to its base value (default 5). */
  totalIters?: number;
}

/**
 * Multiply the lr by a constant factor until epoch `totalIters`, then restore it
 * (torch.optim.lr_scheduler.ConstantLR): ηₜ = η₀·(t < T ? factor : 1). Chainable: it multiplies
 * the current lr by `factor` at epoch 0 and divides by it at epoch T (with factor 0 it restores
 * the base lr instead, where PyTorch would divide by zero).
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new ConstantLR(opt, { factor: 0.5, totalIters: 2 }); // lr 0.5, 0.5, 1, 1, …
 * for (let epoch = 0; epoch < 4; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class ConstantLR extends LRScheduler {
  /** The factor. @example `new ConstantLR(new SGD([zeros([1])], { lr: 0.1 }), { factor: 0.5 }).factor // 0.5` */
  readonly factor: number;
  /** Epoch at which the factor stops. @example `new ConstantLR(new SGD([zeros([1])], { lr: 0.1 })).totalIters // 5` */
  readonly totalIters: number;

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `factor` (default 1/3), `totalIters` (default 5), `lastEpoch`
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
   * const sched = new ConstantLR(opt, { factor: 0.1, totalIters: 3 }); // a short low-lr warm-up
   * ```
   */
  constructor(optimizer: Optimizer, options: ConstantLROptions = {}) {
    checkOptions('ConstantLR', options, ['factor', 'totalIters', 'lastEpoch']);
    const { factor = 1 / 3, totalIters = 5, lastEpoch = -1 } = options ?? {};
    checkInRange('ConstantLR', 'factor', factor, 0, 1);
    checkInteger('ConstantLR', 'totalIters', totalIters, 0);
    super(optimizer, lastEpoch, 'ConstantLR');
    this.factor = factor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const { factor, totalIters: T, lastEpoch: t } = this;
    const groups = this.optimizer.paramGroups;
    if (this.stepCount === 1 && t > 0) return this.closedFormLr(); // resuming
    if (t === 0) return groups.map((g) => g.lr * factor);
    if (t !== T) return groups.map((g) => g.lr);
    return factor === 0 ? [...this.baseLrs] : groups.map((g) => g.lr / factor);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.lastEpoch >= this.totalIters ? 1 : this.factor));
  }
}
