import { ArgumentError, checkOptions } from '@aimodel/tensor';
import type { Optimizer } from '../optimizer';
import type { LrLambda } from './lambda-lr';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * Options of {@link MultiplicativeLR}.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
 * new MultiplicativeLR(opt, { lrLambda: () => 0.95 });
 * ```
 */
export interface MultiplicativeLROptions extends LRSchedulerOptions {
  /** A function of the epoch giving the factor to multiply the current lr by; one, or one per group. */
  lrLambda: LrLambda | readonly LrLambda[];
}

/**
 * Multiply each group's lr by a function of the epoch at every step
 * (torch.optim.lr_scheduler.MultiplicativeLR): ηₜ = ηₜ₋₁·λ(t) for t > 0. Chainable. The
 * functions are not part of `stateDict()`.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new MultiplicativeLR(opt, { lrLambda: (epoch) => (epoch % 2 === 0 ? 0.5 : 1) }); // lr 1, 1, 0.5, 0.5, 0.25, …
 * for (let epoch = 0; epoch < 5; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class MultiplicativeLR extends LRScheduler {
  /** The factor function of each group. @example `new MultiplicativeLR(new SGD([zeros([1])], { lr: 0.1 }), { lrLambda: () => 0.9 }).lrLambdas.length // 1` */
  readonly lrLambdas: LrLambda[];

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `lrLambda` (one function, or one per group), `lastEpoch`
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
   * const sched = new MultiplicativeLR(opt, { lrLambda: (epoch) => (epoch < 10 ? 1 : 0.9) });
   * ```
   */
  constructor(optimizer: Optimizer, options: MultiplicativeLROptions) {
    checkOptions('MultiplicativeLR', options, ['lrLambda', 'lastEpoch']);
    const { lrLambda, lastEpoch = -1 } = options ?? ({} as MultiplicativeLROptions);
    const groups = optimizer?.paramGroups?.length ?? 0;
    const lambdas = typeof lrLambda === 'function' ? Array.from({ length: groups }, () => lrLambda) : lrLambda;
    if (!Array.isArray(lambdas) || lambdas.some((f) => typeof f !== 'function')) {
      throw new ArgumentError('MultiplicativeLR', 'lrLambda must be a function or a list of functions');
    }
    if (lambdas.length !== groups) throw new ArgumentError('MultiplicativeLR', `expected ${groups} lrLambdas (one per parameter group), got ${lambdas.length}`);
    super(optimizer, lastEpoch, 'MultiplicativeLR');
    this.lrLambdas = [...lambdas];
    this.initialStep();
  }

  protected override computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch <= 0) return groups.map((g) => g.lr);
    return groups.map((g, i) => g.lr * this.lrLambdas[i](this.lastEpoch));
  }
}
