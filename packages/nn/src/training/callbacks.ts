import { ArgumentError } from '@aimodel/tensor';
import type { Tensor } from '@aimodel/tensor';
import type { Module } from '../module';
import { saveWeights } from '../io/weights';

/** Values of one epoch or batch: `loss`, metrics, and `val_`-prefixed validation values. */
export type Logs = Record<string, number>;

/**
 * Hooks called by `fit`, in this order: onTrainBegin, then per epoch onEpochBegin,
 * (onBatchBegin, onBatchEnd)×batches, onEpochEnd, and finally onTrainEnd. Set
 * `model.stopTraining = true` from a hook to stop after the current epoch.
 * @example
 * ```ts
 * class Print extends Callback { override onEpochEnd(epoch: number, logs: Logs) { console.log(epoch, logs.loss); } }
 * ```
 */
export class Callback {
  /** The model being trained (set by `fit`). */
  model: (Module & { stopTraining: boolean }) | null = null;
  onTrainBegin(_logs: Logs): void | Promise<void> {}
  onTrainEnd(_logs: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs: Logs): void | Promise<void> {}
  onBatchBegin(_batch: number, _logs: Logs): void | Promise<void> {}
  onBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
}

type Mode = 'min' | 'max' | 'auto';

function direction(monitor: string, mode: Mode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|auc|f1|precision|recall/.test(monitor) ? 'max' : 'min';
}

function monitored(name: string, monitor: string, logs: Logs): number {
  const v = logs[monitor];
  if (v === undefined) {
    throw new ArgumentError(name, `monitored value '${monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`);
  }
  return v;
}

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Value to watch (default 'val_loss'). */
  monitor?: string;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Whether lower or higher is better; 'auto' (default) decides from the name. */
  mode?: Mode;
  /** Put back the weights of the best epoch when stopping (default false). */
  restoreBestWeights?: boolean;
}

/**
 * Stop training when the monitored value has not improved for `patience` epochs (Keras semantics).
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 100, validationSplit: 0.2, callbacks: [new EarlyStopping({ patience: 3 })] });
 * ```
 */
export class EarlyStopping extends Callback {
  /** Epoch (0-based) at which training was stopped, or −1. */
  stoppedEpoch = -1;
  private best = Number.NaN;
  private wait = 0;
  private bestWeights: Record<string, Tensor> | null = null;
  private readonly opts: Required<EarlyStoppingOptions>;

  constructor(opts: EarlyStoppingOptions = {}) {
    super();
    this.opts = { monitor: 'val_loss', minDelta: 0, patience: 0, mode: 'auto', restoreBestWeights: false, ...opts };
    if (!(this.opts.patience >= 0)) throw new ArgumentError('EarlyStopping', `patience must be >= 0, got ${this.opts.patience}`);
  }

  override onTrainBegin(): void {
    this.best = Number.NaN;
    this.wait = 0;
    this.stoppedEpoch = -1;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const v = monitored('EarlyStopping', this.opts.monitor, logs);
    const better = direction(this.opts.monitor, this.opts.mode) === 'min'
      ? (a: number, b: number) => a < b - Math.abs(this.opts.minDelta)
      : (a: number, b: number) => a > b + Math.abs(this.opts.minDelta);
    if (Number.isNaN(this.best) || better(v, this.best)) {
      this.best = v;
      this.wait = 0;
      if (this.opts.restoreBestWeights && this.model) {
        for (const t of Object.values(this.bestWeights ?? {})) t.dispose();
        this.bestWeights = Object.fromEntries(Object.entries(this.model.stateDict()).map(([k, t]) => [k, t.clone()]));
      }
      return;
    }
    this.wait++;
    if (this.wait >= Math.max(1, this.opts.patience)) {
      this.stoppedEpoch = epoch;
      if (this.model) this.model.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.bestWeights && this.model) {
      if (this.stoppedEpoch >= 0) this.model.loadStateDict(this.bestWeights);
      for (const t of Object.values(this.bestWeights)) t.dispose();
      this.bestWeights = null;
    }
  }
}

/** A learning-rate scheduler as in @aimodel/optim: `step()`, or `step(metric)` for ReduceLROnPlateau. */
export interface SchedulerLike {
  step(metric?: number): void;
}

/**
 * Step a learning-rate scheduler at the end of every epoch; with `monitor`, pass it that value
 * (for ReduceLROnPlateau).
 * @example
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * await model.fit(x, y, { callbacks: [new LearningRateScheduler(new StepLR(opt, { stepSize: 5 }))] });
 * ```
 */
export class LearningRateScheduler extends Callback {
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly opts: { monitor?: string } = {},
  ) {
    super();
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    if (this.opts.monitor) this.scheduler.step(monitored('LearningRateScheduler', this.opts.monitor, logs));
    else this.scheduler.step();
  }
}

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Receives the safetensors bytes of the weights (write them where you like). */
  save: (bytes: Uint8Array, epoch: number, logs: Logs) => void | Promise<void>;
  /** Value deciding "best" (default 'val_loss'). */
  monitor?: string;
  /** Save only when the monitored value improves (default false: every epoch). */
  saveBestOnly?: boolean;
  mode?: Mode;
}

/**
 * Save the model's weights (safetensors) at the end of epochs, or only when the monitored value
 * improves.
 * @example
 * ```ts
 * new ModelCheckpoint({ saveBestOnly: true, save: (bytes) => writeFileSync('best.safetensors', bytes) });
 * ```
 */
export class ModelCheckpoint extends Callback {
  private best = Number.NaN;
  constructor(private readonly opts: ModelCheckpointOptions) {
    super();
    if (typeof opts?.save !== 'function') throw new ArgumentError('ModelCheckpoint', 'save must be a function (bytes, epoch, logs) => void');
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (!this.model) return;
    if (this.opts.saveBestOnly) {
      const monitor = this.opts.monitor ?? 'val_loss';
      const v = monitored('ModelCheckpoint', monitor, logs);
      const min = direction(monitor, this.opts.mode ?? 'auto') === 'min';
      if (!Number.isNaN(this.best) && (min ? v >= this.best : v <= this.best)) return;
      this.best = v;
    }
    await this.opts.save(await saveWeights(this.model), epoch, logs);
  }
}
