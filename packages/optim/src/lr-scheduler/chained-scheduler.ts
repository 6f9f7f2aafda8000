import type { Optimizer } from '../optimizer';
import { LRScheduler, type SchedulerStateDict } from './lr-scheduler';
import { checkSchedulers, composedStateDict, loadComposedStateDict } from './sequential-lr';

/**
 * Step several chainable schedulers together (torch.optim.lr_scheduler.ChainedScheduler): each
 * `step()` calls every scheduler's `step()` in order, so their factors multiply (e.g. a
 * ConstantLR warm-up on top of an ExponentialLR decay).
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const sched = new ChainedScheduler([new ConstantLR(opt, { factor: 0.1, totalIters: 2 }), new ExponentialLR(opt, { gamma: 0.9 })]);
 * // lr 0.1, 0.09, 0.81, 0.729, …
 * for (let epoch = 0; epoch < 4; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class ChainedScheduler extends LRScheduler {
  /** The chained schedulers. @example `new ChainedScheduler([]) // ArgumentError: ChainedScheduler: expected a non-empty list of schedulers` */
  readonly schedulers: LRScheduler[];

  /**
   * @param schedulers the schedulers, all on one optimizer
   * @param optimizer that optimizer (optional: taken from the schedulers; checked when given)
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
   * const sched = new ChainedScheduler([new LinearLR(opt, { startFactor: 0.5, totalIters: 4 }), new StepLR(opt, { stepSize: 3 })], opt);
   * ```
   */
  constructor(schedulers: readonly LRScheduler[], optimizer?: Optimizer) {
    const list = checkSchedulers('ChainedScheduler', schedulers, optimizer);
    super(list[0].optimizer, -1, 'ChainedScheduler');
    this.schedulers = list;
    this.lastEpoch = 0;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  protected override computeLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * Step every scheduler once, in order.
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
   * const sched = new ChainedScheduler([new ExponentialLR(opt, { gamma: 0.5 }), new ExponentialLR(opt, { gamma: 0.5 })]);
   * sched.step();
   * sched.getLastLr(); // [0.25]
   * ```
   */
  override step(): void {
    this.stepCount++;
    this.lastEpoch++;
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * The own fields and each scheduler's state dict (`schedulers`).
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
   * const saved = new ChainedScheduler([new ConstantLR(opt), new ExponentialLR(opt, { gamma: 0.9 })]).stateDict();
   * ```
   */
  override stateDict(): SchedulerStateDict {
    return composedStateDict(this);
  }

  /**
   * Restore a `stateDict()`, the inner schedulers' included.
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
   * const make = () => new ChainedScheduler([new ConstantLR(opt), new ExponentialLR(opt, { gamma: 0.9 })]);
   * make().loadStateDict(make().stateDict());
   * ```
   */
  override loadStateDict(sd: SchedulerStateDict): void {
    loadComposedStateDict('ChainedScheduler', this, sd);
  }
}
