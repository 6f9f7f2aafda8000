import { ArgumentError, Tensor } from '@aimodel/tensor';
import { checkChoice, checkInteger, checkNonNegative, perGroup } from '../hyper-parameters';
import { Optimizer } from '../optimizer';
import { restoreSchedulerState, type SchedulerStateDict, schedulerState } from './lr-scheduler';

/**
 * Options of {@link ReduceLROnPlateau} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * new ReduceLROnPlateau(opt, { mode: 'max', factor: 0.5, patience: 3 });
 * ```
 */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): a lower metric is better (a loss); 'max': higher is better (accuracy). */
  mode?: 'min' | 'max';
  /** Factor applied to the lr when reducing, < 1 (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best value; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, one for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduce the lr when a metric has stopped improving (torch.optim.lr_scheduler.ReduceLROnPlateau).
 * Each `step(metric)`: the metric is an improvement when (mode/thresholdMode)
 * ```
 * min/rel: m < best·(1 − threshold)    min/abs: m < best − threshold
 * max/rel: m > best·(1 + threshold)    max/abs: m > best + threshold
 * ```
 * An improvement sets best ← m and resets the bad-epoch count, otherwise it grows by one; during
 * cooldown it is held at 0. When it exceeds `patience`, every group's lr becomes
 * max(lr·factor, minLr) (skipped if the change is ≤ eps), cooldown restarts and the count resets.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const validationLoss = tensor(0.5);
 * const sched = new ReduceLROnPlateau(opt, { patience: 2 });
 * for (let epoch = 0; epoch < 50; epoch++) { opt.step(); sched.step(await validationLoss.item()); }
 * ```
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' lr this scheduler sets. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 })).optimizer.paramGroups.length // 1` */
  readonly optimizer: Optimizer;
  /** Whether lower ('min') or higher ('max') metrics are better. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 }), { mode: 'max' }).mode // 'max'` */
  readonly mode: 'min' | 'max';
  /** Factor applied to the lr on a reduction. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 })).factor // 0.1` */
  readonly factor: number;
  /** Bad epochs tolerated before reducing. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 })).patience // 10` */
  readonly patience: number;
  /** Minimum change that counts as an improvement. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 })).threshold // 1e-4` */
  readonly threshold: number;
  /** Whether `threshold` is relative or absolute. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 }), { thresholdMode: 'abs' }).thresholdMode // 'abs'` */
  readonly thresholdMode: 'rel' | 'abs';
  /** Epochs to wait after a reduction. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 }), { cooldown: 2 }).cooldown // 2` */
  readonly cooldown: number;
  /** Lower bound on each group's lr. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 }), { minLr: 1e-6 }).minLrs // [1e-6] for one group` */
  readonly minLrs: number[];
  /** Smallest lr change that is applied. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 })).eps // 1e-8` */
  readonly eps: number;
  /** Best metric so far (±Infinity before the first step). @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 })).best // Infinity in 'min' mode` */
  best: number;
  /** Consecutive epochs without improvement. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 })).numBadEpochs // 0 (also right after an improvement)` */
  numBadEpochs = 0;
  /** Epochs of cooldown left. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 }), { cooldown: 2 }).cooldownCounter // 0 (2 right after a reduction)` */
  cooldownCounter = 0;
  /** Number of `step` calls. @example `new ReduceLROnPlateau(new SGD([zeros([1])], { lr: 0.1 })).lastEpoch // 0: how many metrics step() has seen` */
  lastEpoch = 0;
  private lastLr: number[];

  /**
   * @param optimizer the optimizer whose parameter groups' lr it sets
   * @param options `mode`, `factor`, `patience`, `threshold`, `thresholdMode`, `cooldown`, `minLr`, `eps`
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const valLoss = 0.42;
   * const sched = new ReduceLROnPlateau(opt, { mode: 'min', factor: 0.5, patience: 3 });
   * sched.step(valLoss); // once per epoch, after validation
   * ```
   */
  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const op = 'ReduceLROnPlateau';
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = options ?? {};
    if (!(optimizer instanceof Optimizer)) throw new ArgumentError(op, `expected an Optimizer, got ${String(optimizer)}`);
    checkChoice(op, 'mode', mode, ['min', 'max']);
    checkChoice(op, 'thresholdMode', thresholdMode, ['rel', 'abs']);
    if (!(typeof factor === 'number' && factor >= 0 && factor < 1))
      throw new ArgumentError(op, `invalid factor ${factor} (expected [0, 1): the lr must shrink)`);
    checkInteger(op, 'patience', patience, 0);
    checkNonNegative(op, 'threshold', threshold);
    checkInteger(op, 'cooldown', cooldown, 0);
    checkNonNegative(op, 'eps', eps);
    this.minLrs = perGroup(op, 'minLr', minLr, optimizer.paramGroups.length);
    this.minLrs.forEach((v) => checkNonNegative(op, 'minLr', v));
    this.optimizer = optimizer;
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.eps = eps;
    this.best = mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * True while the cooldown after a reduction lasts.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * new ReduceLROnPlateau(opt, { cooldown: 2 }).inCooldown; // false until the first reduction
   * ```
   */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /**
   * Whether `metric` improves on `best` by more than the threshold.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * new ReduceLROnPlateau(opt).isBetter(0.5, 1);          // true ('min' mode)
   * new ReduceLROnPlateau(opt).isBetter(0.99995, 1);      // false (within the relative threshold 1e-4)
   * ```
   */
  isBetter(metric: number, best: number): boolean {
    const rel = this.thresholdMode === 'rel';
    if (this.mode === 'min') return rel ? metric < best * (1 - this.threshold) : metric < best - this.threshold;
    return rel ? metric > best * (1 + this.threshold) : metric > best + this.threshold;
  }

  /**
   * Record one epoch's metric (a number: read a loss tensor with `await loss.item()` first) and
   * reduce the lr if it has plateaued.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new ReduceLROnPlateau(opt);
   * const valLoss = 0.42;
   * sched.step(valLoss);
   * ```
   */
  step(metric: number): void {
    if ((metric as unknown) instanceof Tensor)
      throw new ArgumentError('ReduceLROnPlateau', 'step() takes the metric as a number; read the tensor first with await metric.item()');
    if (typeof metric !== 'number') throw new ArgumentError('ReduceLROnPlateau', `step() takes the metric as a number, got ${typeof metric}`);
    this.lastEpoch++;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.inCooldown) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs during cooldown are ignored
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const newLr = Math.max(g.lr * this.factor, this.minLrs[i]); // lr ← max(lr·factor, minLr)
      if (g.lr - newLr > this.eps) g.lr = newLr;
    });
  }

  /**
   * The lr of each parameter group after the latest step.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new ReduceLROnPlateau(opt, { patience: 0 });
   * sched.step(1); sched.step(2); // no improvement: lr × 0.1
   * sched.getLastLr(); // [0.01]
   * ```
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The scheduler's fields except the optimizer, as plain data.
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * const sched = new ReduceLROnPlateau(opt);
   * sched.step(0.31); sched.step(0.4); sched.step(0.35);
   * const saved = sched.stateDict(); // { best: 0.31, numBadEpochs: 2, … }
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
   * const saved = new ReduceLROnPlateau(opt).stateDict();
   * const sched = new ReduceLROnPlateau(opt);
   * sched.loadStateDict(saved);
   * ```
   */
  loadStateDict(sd: SchedulerStateDict): void {
    restoreSchedulerState('ReduceLROnPlateau', this, sd);
  }
}
