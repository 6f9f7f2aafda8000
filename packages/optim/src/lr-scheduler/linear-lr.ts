import { ArgumentError } from '@aimodel/tensor';
import { checkInRange, checkInteger } from '../hyper-parameters';
import type { Optimizer } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link LinearLR}.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * new LinearLR(opt, { startFactor: 0.1, totalIters: 500 }); // linear warmup over 500 steps
 * ```
 */
export interface LinearLROptions extends LRSchedulerOptions {
  /** Factor applied to the lr at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor reached at epoch `totalIters`, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs over which the factor changes (default 5). */
  totalIters?: number;
}

/**
 * Scale each group's lr by a factor that moves linearly from `startFactor` to `endFactor` over
 * `totalIters` epochs, then stays (torch.optim.lr_scheduler.LinearLR; warmup). Closed form:
 * ```
 * ηₜ = η₀·(s + (e − s)·min(t, T)/T)
 * ```
 * computed by PyTorch's chainable form: η₀·s at t = 0, then
 * ηₜ = ηₜ₋₁·(1 + (e − s)/(T·s + (t − 1)(e − s))) for 0 < t ≤ T, and ηₜ₋₁ after.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new LinearLR(opt, { startFactor: 0.5, totalIters: 4 }); // lr 1 → 0.5, 0.625, 0.75, 0.875, 1, 1, …
 * for (let epoch = 0; epoch < 10; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class LinearLR extends LRScheduler {
  /** Factor at epoch 0. @example `new LinearLR(new SGD([zeros([1])], { lr: 0.1 }), { startFactor: 0.1 }).startFactor // 0.1` */
  readonly startFactor: number;
  /** Factor from epoch `totalIters` on. @example `new LinearLR(new SGD([zeros([1])], { lr: 0.1 })).endFactor // 1` */
  readonly endFactor: number;
  /** Epochs over which the factor changes. @example `new LinearLR(new SGD([zeros([1])], { lr: 0.1 })).totalIters // 5` */
  readonly totalIters: number;

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `startFactor` (default 1/3), `endFactor` (default 1), `totalIters` (default 5), `lastEpoch`
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 10 }); // 10 % → 100 % of the lr over 10 epochs
   * ```
   */
  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5, lastEpoch = -1 } = options ?? {};
    if (!(typeof startFactor === 'number' && startFactor > 0 && startFactor <= 1)) {
      throw new ArgumentError('LinearLR', `invalid startFactor ${startFactor} (expected (0, 1])`);
    }
    checkInRange('LinearLR', 'endFactor', endFactor, 0, 1);
    checkInteger('LinearLR', 'totalIters', totalIters, 1);
    super(optimizer, lastEpoch, 'LinearLR');
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: T, lastEpoch: t } = this;
    const groups = this.optimizer.paramGroups;
    if (t === 0) return groups.map((g) => g.lr * s);
    if (t > T) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (e - s) / (T * s + (t - 1) * (e - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: T, lastEpoch: t } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(T, t)) / T));
  }
}
