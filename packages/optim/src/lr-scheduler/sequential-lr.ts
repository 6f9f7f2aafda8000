import { ArgumentError, checkOptions } from '@aimodel/tensor';
import type { Optimizer } from '../optimizer';
import { LRScheduler, restoreSchedulerState, type SchedulerStateDict, schedulerState } from './lr-scheduler';

/**
 * Options of {@link SequentialLR}.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new ExponentialLR(opt, { gamma: 0.9 });
 * const options: SequentialLROptions = { schedulers: [warmup, decay], milestones: [5] };
 * ```
 */
export interface SequentialLROptions {
  /** The schedulers, in the order they take over; all on the same optimizer. */
  schedulers: readonly LRScheduler[];
  /** Epochs at which the next scheduler takes over, increasing; one fewer than the schedulers. */
  milestones: readonly number[];
}

/** @internal Checks shared by SequentialLR and ChainedScheduler: a non-empty list of schedulers of `optimizer`. */
export function checkSchedulers(op: string, schedulers: unknown, optimizer: Optimizer | undefined): LRScheduler[] {
  if (!Array.isArray(schedulers) || schedulers.length === 0) throw new ArgumentError(op, 'expected a non-empty list of schedulers');
  schedulers.forEach((s, i) => {
    if (!(s instanceof LRScheduler)) {
      throw new ArgumentError(op, `schedulers[${i}] is not an epoch-based LRScheduler (ReduceLROnPlateau needs a metric and cannot be combined)`);
    }
    if (s.optimizer !== (optimizer ?? schedulers[0].optimizer)) {
      throw new ArgumentError(op, `schedulers[${i}] is attached to a different optimizer; all must share one`);
    }
  });
  return [...schedulers];
}

/** @internal The state dict of a SequentialLR or ChainedScheduler: its own fields and each inner scheduler's (`schedulers`). */
export function composedStateDict(scheduler: { schedulers: readonly LRScheduler[] }): SchedulerStateDict {
  const { schedulers, ...own } = scheduler as unknown as Record<string, unknown>;
  return { ...schedulerState(own), schedulers: scheduler.schedulers.map((s) => s.stateDict()) };
}

/** @internal Restore {@link composedStateDict}'s output: the own fields, then each inner scheduler's state. */
export function loadComposedStateDict(op: string, scheduler: { schedulers: readonly LRScheduler[] }, sd: SchedulerStateDict): void {
  const { schedulers, ...own } = (sd ?? {}) as Record<string, unknown>;
  if (!Array.isArray(schedulers) || schedulers.length !== scheduler.schedulers.length) {
    throw new ArgumentError(op, `expected a state dict with ${scheduler.schedulers.length} scheduler states`);
  }
  restoreSchedulerState(op, scheduler, own);
  scheduler.schedulers.forEach((s, i) => s.loadStateDict(schedulers[i] as SchedulerStateDict));
}

/**
 * Run schedulers one after another (torch.optim.lr_scheduler.SequentialLR): the first until
 * `milestones[0]`, the second from there (restarted at its epoch 0) until `milestones[1]`, …
 * Typical use: a warm-up then a decay. At construction the lr is reset to each group's
 * `initialLr` and only the first scheduler's epoch-0 value applies, as in PyTorch.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
 * const warmup = new ConstantLR(opt, { factor: 0.1, totalIters: 2 });
 * const decay = new ExponentialLR(opt, { gamma: 0.5 });
 * const sched = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [2] }); // lr 0.1, 0.1, 1, 0.5, 0.25, …
 * for (let epoch = 0; epoch < 5; epoch++) { opt.step(); sched.step(); }
 * ```
 */
export class SequentialLR extends LRScheduler {
  /** The schedulers in order. @example `new SequentialLR(new SGD([zeros([1])], { lr: 0.1 }), { schedulers: [], milestones: [] }) // ArgumentError: SequentialLR: expected a non-empty list of schedulers` */
  readonly schedulers: LRScheduler[];
  /** Epochs at which the next scheduler takes over. */
  readonly milestones: number[];

  /**
   * @param optimizer the optimizer all the schedulers act on
   * @param options `schedulers` and `milestones`
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 0.1 });
   * const warmup = new LinearLR(opt, { startFactor: 0.01, totalIters: 10 });
   * const cosine = new CosineAnnealingLR(opt, { tMax: 90 });
   * const sched = new SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [10] });
   * ```
   */
  constructor(optimizer: Optimizer, options: SequentialLROptions) {
    const op = 'SequentialLR';
    checkOptions(op, options, ['schedulers', 'milestones']);
    const schedulers = checkSchedulers(op, options?.schedulers, optimizer);
    const milestones = options.milestones;
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new ArgumentError(
        op,
        `expected ${schedulers.length - 1} milestones (one fewer than the schedulers), got ${Array.isArray(milestones) ? milestones.length : String(milestones)}`,
      );
    }
    milestones.forEach((m, i) => {
      if (!(Number.isInteger(m) && m > 0 && (i === 0 || m > milestones[i - 1]))) {
        throw new ArgumentError(op, `milestones must be increasing positive integers, got [${milestones.join(', ')}]`);
      }
    });
    super(optimizer, -1, op);
    this.schedulers = schedulers;
    this.milestones = [...milestones];
    // Undo the construction steps of the schedulers and redo only the first one's, from initialLr.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of schedulers) s._rewind(false);
    schedulers[0]._rewind(true);
    this.lastEpoch = 0;
    this.lastLr = schedulers[0].getLastLr();
  }

  protected override computeLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr); // unused: step() delegates
  }

  /**
   * Advance one epoch: step the scheduler in charge (restarting it at a milestone).
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
   * const sched = new SequentialLR(opt, { schedulers: [new ConstantLR(opt, { factor: 0.5, totalIters: 1 }), new StepLR(opt, { stepSize: 1, gamma: 0.1 })], milestones: [1] });
   * sched.step();
   * sched.getLastLr(); // [1]
   * ```
   */
  override step(): void {
    this.stepCount++;
    this.lastEpoch++;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler._restart();
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  /**
   * The own fields and each scheduler's state dict (`schedulers`).
   * @example
   * ```ts
   * const opt = new SGD(new Linear(2, 1).parameters(), { lr: 1 });
   * const sched = new SequentialLR(opt, { schedulers: [new ConstantLR(opt), new ExponentialLR(opt, { gamma: 0.9 })], milestones: [5] });
   * const saved = sched.stateDict(); // { lastEpoch: 0, milestones: [5], schedulers: [{…}, {…}], … }
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
   * const make = () => new SequentialLR(opt, { schedulers: [new ConstantLR(opt), new ExponentialLR(opt, { gamma: 0.9 })], milestones: [5] });
   * const saved = make().stateDict();
   * make().loadStateDict(saved);
   * ```
   */
  override loadStateDict(sd: SchedulerStateDict): void {
    loadComposedStateDict('SequentialLR', this, sd);
  }
}
