import { ArgumentError } from '@aimodel/tensor';
import { checkKeys } from '../checks';
import { Callback, type Logs, monitored } from './callbacks';
import { compiledOptimizer } from './compile';

// The LearningRateScheduler callback: PyTorch schedulers stepped per epoch, or Keras's schedule functions.

/**
 * A learning-rate scheduler as in @aimodel/optim: `step()`, or `step(metric)` for ReduceLROnPlateau.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(4, 3).parameters(), { lr: 0.1 });
 * const scheduler: SchedulerLike = new CosineAnnealingLR(opt, { tMax: 20 });
 * ```
 */
export interface SchedulerLike {
  step(metric?: number): void;
}

/**
 * Keras's schedule function for {@link LearningRateScheduler}: the learning rate of epoch
 * `epoch` (0-based) from the current one.
 * @example
 * ```ts
 * const halveEvery10: LearningRateSchedule = (epoch, lr) => (epoch > 0 && epoch % 10 === 0 ? lr / 2 : lr);
 * ```
 */
export type LearningRateSchedule = (epoch: number, lr: number) => number;

/**
 * Options of {@link LearningRateScheduler}.
 * @example
 * ```ts
 * const opt = new SGD(new Linear(4, 3).parameters(), { lr: 0.1 });
 * new LearningRateScheduler(new ReduceLROnPlateau(opt, { patience: 2 }), { monitor: 'val_loss' });
 * ```
 */
export interface LearningRateSchedulerOptions {
  /** The logged value passed to `scheduler.step(value)` (for ReduceLROnPlateau; not with a schedule function). */
  monitor?: string;
}

/**
 * Schedule the learning rate, two ways. With an @aimodel/optim scheduler (PyTorch's way), it is
 * stepped at the end of every epoch; with `monitor`, it gets that value (for ReduceLROnPlateau).
 * With a function `(epoch, lr) => newLr` (Keras's way), the learning rate of the model's compiled
 * optimizer is set at the start of every epoch to the function of the epoch and the current rate
 * (all parameter groups), as Keras's `LearningRateScheduler`.
 * @example
 * ```ts
 * const model = new Linear(4, 3);
 * const x = randn([100, 4]);
 * const y = randint(0, 3, [100]);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * model.compile({ optimizer: opt, loss: crossEntropy });
 * await model.fit(x, y, { callbacks: [new LearningRateScheduler(new StepLR(opt, { stepSize: 5 }))] });
 * // Keras's form: lr 0.1 for 2 epochs, then decaying by e^−0.1 per epoch
 * const decay = new LearningRateScheduler((epoch, lr) => (epoch < 2 ? lr : lr * Math.exp(-0.1)));
 * await model.fit(x, y, { epochs: 4, callbacks: [decay] });
 * ```
 */
export class LearningRateScheduler extends Callback {
  /**
   * @param scheduler an optim scheduler, stepped once per epoch, or a Keras schedule `(epoch, lr) => lr`
   * @param opts `monitor`: the logged value passed to `scheduler.step(value)` (for ReduceLROnPlateau)
   * @example
   * ```ts
   * const opt = new SGD(new Linear(4, 3).parameters(), { lr: 0.1 });
   * new LearningRateScheduler(new ReduceLROnPlateau(opt, { patience: 2 }), { monitor: 'val_loss' });
   * new LearningRateScheduler((epoch) => 0.1 * 0.9 ** epoch);
   * ```
   */
  constructor(
    private readonly scheduler: SchedulerLike | LearningRateSchedule,
    private readonly opts: LearningRateSchedulerOptions = {},
  ) {
    super();
    checkKeys('LearningRateScheduler', opts, ['monitor']);
    const isFunction = typeof scheduler === 'function';
    if (!isFunction && typeof (scheduler as SchedulerLike | null)?.step !== 'function') {
      throw new ArgumentError(
        'LearningRateScheduler',
        `expected a scheduler with step() or a function (epoch, lr) => lr, got ${scheduler === null ? 'null' : typeof scheduler}`,
      );
    }
    if (isFunction && opts.monitor !== undefined)
      throw new ArgumentError('LearningRateScheduler', 'monitor applies to a scheduler object, not to a schedule function');
  }

  /**
   * With a schedule function: sets the compiled optimizer's learning rate for this epoch.
   * @example
   * ```ts
   * const model = new Linear(4, 3);
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   * model.compile({ optimizer: opt, loss: crossEntropy });
   * const cb = new LearningRateScheduler((epoch, lr) => lr / 2);
   * cb.model = model;
   * cb.onEpochBegin(0); // fit calls this before every epoch
   * opt.paramGroups[0].lr; // 0.05
   * ```
   */
  override onEpochBegin(epoch: number): void {
    if (typeof this.scheduler !== 'function') return;
    const groups = this.paramGroups();
    const lr = this.scheduler(epoch, groups[0].lr);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new ArgumentError('LearningRateScheduler', `the schedule returned ${String(lr)} at epoch ${epoch} (expected a finite number >= 0)`);
    }
    for (const g of groups) g.lr = lr;
  }

  /**
   * With a scheduler object: steps it (with the monitored value when `monitor` is set).
   * @example
   * ```ts
   * const opt = new SGD(new Linear(4, 3).parameters(), { lr: 0.1 });
   * const lrCallback = new LearningRateScheduler(new StepLR(opt, { stepSize: 5 }));
   * lrCallback.onEpochEnd(0, { loss: 0.5 }); // fit calls this after every epoch
   * ```
   */
  override onEpochEnd(_epoch: number, logs: Logs): void {
    if (typeof this.scheduler === 'function') return;
    if (this.opts.monitor) this.scheduler.step(monitored('LearningRateScheduler', this.opts.monitor, logs));
    else this.scheduler.step();
  }

  /** The parameter groups of the model's compiled optimizer, each with a numeric `lr`. */
  private paramGroups(): { lr: number }[] {
    const opt = this.model ? compiledOptimizer(this.model) : null;
    const groups = (opt as { paramGroups?: unknown } | null)?.paramGroups;
    if (!Array.isArray(groups) || groups.length === 0 || !groups.every((g) => typeof g?.lr === 'number')) {
      throw new ArgumentError(
        'LearningRateScheduler',
        'a schedule function needs a model compiled with an optimizer that has paramGroups with lr (any @aimodel/optim optimizer)',
      );
    }
    return groups as { lr: number }[];
  }
}
