import { ArgumentError } from '@aimodel/tensor';
import { checkInteger } from '../hyper-parameters';
import { Optimizer } from '../optimizer';

/**
 * Options every epoch-based scheduler accepts.
 * @example
 * ```ts
 * const opt = new SGD([{ params: new Linear(2, 1).parameters(), initialLr: 0.1 }], { lr: 0.1 });
 * new StepLR(opt, { stepSize: 30, lastEpoch: 59 }); // resume: groups must carry initialLr
 * ```
 */
export interface LRSchedulerOptions {
  /**
   * Index of the last epoch done (default −1: start fresh, recording each group's current lr as
   * its `initialLr`). When resuming, each group must already have `initialLr`.
   */
  lastEpoch?: number;
}

/**
 * A scheduler's state: plain data (numbers, arrays, strings), safe to `structuredClone` or save
 * as JSON (except ±Infinity in ReduceLROnPlateau's `best`).
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const scheduler = new StepLR(opt, { stepSize: 10 });
 * const saved: SchedulerStateDict = scheduler.stateDict();
 * ```
 */
export type SchedulerStateDict = Record<string, unknown>;

/** @internal Own fields of a scheduler except the optimizer and functions, deep-copied (PyTorch's `__dict__` minus the optimizer). */
export function schedulerState(scheduler: object): SchedulerStateDict {
  const out: SchedulerStateDict = {};
  for (const [k, v] of Object.entries(scheduler)) {
    if (k === 'optimizer' || typeof v === 'function' || (Array.isArray(v) && v.some((x) => typeof x === 'function'))) continue;
    out[k] = structuredClone(v);
  }
  return out;
}

/** @internal Copy the fields of a saved state back onto a scheduler (unknown keys are ignored). */
export function restoreSchedulerState(op: string, scheduler: object, sd: SchedulerStateDict): void {
  if (sd === null || typeof sd !== 'object') throw new ArgumentError(op, 'expected a state dict from stateDict()');
  const target = scheduler as Record<string, unknown>;
  for (const [k, v] of Object.entries(sd)) {
    if (k === 'optimizer' || !(k in target) || typeof target[k] === 'function') continue;
    target[k] = structuredClone(v);
  }
}

/**
 * Base of the epoch-based learning-rate schedulers (PyTorch's `LRScheduler`). It wraps an
 * optimizer; each `step()` advances `lastEpoch` and writes the new lr into every parameter group.
 * Constructing a scheduler already performs the first step (epoch 0), as PyTorch does, so
 * `getLastLr()` is valid at once. Call `scheduler.step()` after `optimizer.step()`, once per
 * epoch (or per batch for OneCycleLR). The rules are PyTorch's chainable (recursive) forms: each
 * step multiplies the lr the group has now, so several schedulers can act on one optimizer.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const params = model.parameters();
 * const train = (o: SGD) => { o.zeroGrad(); model.forward(ones([4, 2])).sum().backward(); o.step(); };
 * const opt = new SGD(params, { lr: 0.1 });
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(opt); sched.step(); }
 * ```
 */
export abstract class LRScheduler {
  /** The optimizer whose groups' lr this scheduler sets. @example `new StepLR(new SGD([zeros([1])], { lr: 0.1 }), { stepSize: 10 }).optimizer.paramGroups.length // 1` */
  readonly optimizer: Optimizer;
  /** Index of the current epoch (0 after construction). @example `new StepLR(new SGD([zeros([1])], { lr: 0.1 }), { stepSize: 10 }).lastEpoch // 0` */
  lastEpoch: number;
  /** Each group's `initialLr`, the lr the schedule starts from. @example `new StepLR(new SGD([zeros([1])], { lr: 0.1 }), { stepSize: 10 }).baseLrs // [0.1]` */
  baseLrs: number[];
  /** Number of `step()` calls, the construction's included (PyTorch's `_step_count`). */
  protected stepCount = 0;
  /** The lrs written by the latest step. */
  protected lastLr: number[] = [];

  /**
   * Subclasses set their own fields after this, then call `initialStep()`.
   * @param optimizer the wrapped optimizer
   * @param lastEpoch −1 to start fresh, else the epoch to resume after
   * @param op the scheduler's name for error messages
   */
  protected constructor(optimizer: Optimizer, lastEpoch: number, op: string) {
    if (!(optimizer instanceof Optimizer)) throw new ArgumentError(op, `expected an Optimizer, got ${String(optimizer)}`);
    checkInteger(op, 'lastEpoch', lastEpoch, -1);
    const groups = optimizer.paramGroups;
    if (lastEpoch === -1) {
      for (const g of groups) g.initialLr ??= g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined)
          throw new ArgumentError(op, `paramGroups[${i}].initialLr is not set; it is required when resuming with lastEpoch ${lastEpoch}`);
      });
    }
    this.optimizer = optimizer;
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** The new lr of each group for epoch `lastEpoch` (already advanced), from the groups' current lr. */
  protected abstract computeLr(): number[];

  /**
   * The lr of each group at `lastEpoch` computed from the base lrs alone (PyTorch's
   * `_get_closed_form_lr`), for the schedulers that have one; used when a {@link SequentialLR}
   * restarts this scheduler at epoch 0.
   */
  protected closedFormLr(): number[] | undefined {
    return undefined;
  }

  /** The step performed at construction (epoch −1 → 0). */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** @internal For SequentialLR: undo the construction step (`lastEpoch − 1`), or redo it. */
  _rewind(redo: boolean): void {
    if (redo) this.initialStep();
    else this.lastEpoch--;
  }

  /** @internal For SequentialLR: restart at epoch 0 (PyTorch's `step(0)`): the closed form where there is one. */
  _restart(): void {
    this.stepCount++;
    this.lastEpoch = 0;
    const lrs = this.closedFormLr() ?? this.computeLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * Advance one epoch and set each parameter group's lr.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new StepLR(opt, { stepSize: 30 });
   * opt.step(); sched.step();
   * ```
   */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    const lrs = this.computeLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * The lr of each parameter group as set by the latest step.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new StepLR(opt, { stepSize: 30 });
   * sched.getLastLr(); // [0.1]
   * ```
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The scheduler's fields except the optimizer (and lr functions), as plain data. The optimizer's
   * own `stateDict()` holds the groups' current lr.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new StepLR(opt, { stepSize: 30 });
   * for (let i = 0; i < 12; i++) sched.step();
   * const saved = sched.stateDict(); // { lastEpoch: 12, baseLrs: [0.1], … }
   * ```
   */
  stateDict(): SchedulerStateDict {
    return schedulerState(this);
  }

  /**
   * Restore fields saved by `stateDict()`.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const saved = new StepLR(opt, { stepSize: 30 }).stateDict();
   * const sched = new StepLR(opt, { stepSize: 30 }); sched.loadStateDict(saved);
   * ```
   */
  loadStateDict(sd: SchedulerStateDict): void {
    restoreSchedulerState('loadStateDict', this, sd);
  }
}
