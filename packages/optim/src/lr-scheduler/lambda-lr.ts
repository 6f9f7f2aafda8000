import { ArgumentError } from '@aimodel/tensor';
import type { Optimizer } from '../optimizer';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler';

/**
 * A function from the epoch index to a multiplicative factor of the base lr.
 * @example
 * ```ts
 * const warmup: LrLambda = (epoch) => Math.min(1, (epoch + 1) / 10);
 * ```
 */
export type LrLambda = (epoch: number) => number;

/**
 * Options of {@link LambdaLR}.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * new LambdaLR(opt, { lrLambda: (epoch) => 0.95 ** epoch });
 * ```
 */
export interface LambdaLROptions extends LRSchedulerOptions {
  /** One function for every group, or one per group. */
  lrLambda: LrLambda | readonly LrLambda[];
}

/**
 * Set each group's lr to its base lr times a function of the epoch
 * (torch.optim.lr_scheduler.LambdaLR): ηₜ = η₀·λ(t). Not chainable: it ignores the current lr.
 * The functions are not part of `stateDict()`.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new LambdaLR(opt, { lrLambda: (epoch) => 1 / (1 + epoch) }); // lr 1 → 1, 0.5, 0.333, …
 * for (let epoch = 0; epoch < 10; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class LambdaLR extends LRScheduler {
  /** The factor function of each group. @example `new LambdaLR(new SGD([zeros([1])], { lr: 0.1 }), { lrLambda: (e) => 0.9 ** e }).lrLambdas.length // one per group` */
  readonly lrLambdas: LrLambda[];

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `lrLambda` (one function, or one per group), `lastEpoch`
   * @example
   * ```ts
   * const [a, b] = [new Linear(2, 2), new Linear(2, 1)];
   * const opt = new SGD([{ params: a.parameters() }, { params: b.parameters() }], { lr: 0.1 });
   * const sched = new LambdaLR(opt, { lrLambda: [(e) => 0.9 ** e, (e) => 1 / (1 + e)] }); // two groups
   * ```
   */
  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    const { lrLambda, lastEpoch = -1 } = options ?? ({} as LambdaLROptions);
    const groups = optimizer?.paramGroups?.length ?? 0;
    const lambdas = typeof lrLambda === 'function' ? Array.from({ length: groups }, () => lrLambda) : lrLambda;
    if (!Array.isArray(lambdas) || lambdas.some((f) => typeof f !== 'function')) {
      throw new ArgumentError('LambdaLR', 'lrLambda must be a function or a list of functions');
    }
    if (lambdas.length !== groups) throw new ArgumentError('LambdaLR', `expected ${groups} lrLambdas (one per parameter group), got ${lambdas.length}`);
    super(optimizer, lastEpoch, 'LambdaLR');
    this.lrLambdas = [...lambdas];
    this.initialStep();
  }

  protected override computeLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i](this.lastEpoch));
  }
}
