import { checkOptions } from '@aimodel/tensor';
import { checkInteger, checkNonNegative } from '../hyper-parameters';
import type { Optimizer } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link PolynomialLR}.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
 * new PolynomialLR(opt, { totalIters: 100, power: 2 });
 * ```
 */
export interface PolynomialLROptions extends LRSchedulerOptions {
  /** Epochs over which the lr decays to 0 (default 5). */
  totalIters?: number;
  /** Power of the polynomial (default 1: linear decay). */
  power?: number;
}

/**
 * Polynomial decay to zero (torch.optim.lr_scheduler.PolynomialLR). Closed form:
 * ```
 * ηₜ = η₀·(1 − min(t, T)/T)^power
 * ```
 * computed, as PyTorch, by its chainable recursion ηₜ = ηₜ₋₁·((1 − t/T)/(1 − (t − 1)/T))^power
 * for 0 < t ≤ T; the lr stays 0 after T.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new PolynomialLR(opt, { totalIters: 4, power: 2 }); // lr 1, 0.5625, 0.25, 0.0625, 0, 0, …
 * for (let epoch = 0; epoch < 6; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class PolynomialLR extends LRScheduler {
  /** Epochs of decay. @example `new PolynomialLR(new SGD([zeros([1])], { lr: 0.1 })).totalIters // 5` */
  readonly totalIters: number;
  /** Power of the polynomial. @example `new PolynomialLR(new SGD([zeros([1])], { lr: 0.1 })).power // 1` */
  readonly power: number;

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `totalIters` (default 5), `power` (default 1), `lastEpoch`
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
   * const sched = new PolynomialLR(opt, { totalIters: 50, power: 0.9 });
   * ```
   */
  constructor(optimizer: Optimizer, options: PolynomialLROptions = {}) {
    checkOptions('PolynomialLR', options, ['totalIters', 'power', 'lastEpoch']);
    const { totalIters = 5, power = 1, lastEpoch = -1 } = options ?? {};
    checkInteger('PolynomialLR', 'totalIters', totalIters, 1);
    checkNonNegative('PolynomialLR', 'power', power);
    super(optimizer, lastEpoch, 'PolynomialLR');
    this.totalIters = totalIters;
    this.power = power;
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const { totalIters: T, power, lastEpoch: t } = this;
    const groups = this.optimizer.paramGroups;
    if (this.stepCount === 1 && t > 0) return this.closedFormLr(); // resuming: nothing to recurse from
    if (t === 0 || t > T) return groups.map((g) => g.lr);
    const factor = ((1 - t / T) / (1 - (t - 1) / T)) ** power;
    return groups.map((g) => g.lr * factor);
  }

  protected override closedFormLr(): number[] {
    const { totalIters: T, power, lastEpoch: t } = this;
    return this.baseLrs.map((b) => b * (1 - Math.min(T, t) / T) ** power);
  }
}
