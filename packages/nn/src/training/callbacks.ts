import { ArgumentError } from '@aimodel/tensor';
import type { Tensor } from '@aimodel/tensor';
import type { Module } from '../module';
import { checkKeys } from '../checks';
import { saveWeights } from '../io/weights';

/**
 * Values of one epoch or batch: `loss`, metrics, and `val_`-prefixed validation values.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, metrics: ['accuracy'] });
 * const x = randn([100, 4]);
 * const y = randint(0, 3, [100]);
 * const h = await model.fit(x, y, { validationSplit: 0.2 });
 * // each epoch's Logs look like { loss: 0.31, accuracy: 0.9, val_loss: 0.35, val_accuracy: 0.88 }
 * ```
 */
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
  /**
   * A callback whose hooks do nothing; subclass it and override the hooks you need.
   * @example
   * ```ts
   * class Print extends Callback {
   *   constructor(private readonly every: number) { super(); }
   *   override onEpochEnd(epoch: number, logs: Logs) { if (epoch % this.every === 0) console.log(epoch, logs.loss); }
   * }
   * ```
   */
  // biome-ignore lint/complexity/noUselessConstructor: explicit so that the API docs can document it
  constructor() {}

  /**
   * The model being trained (set by `fit` before `onTrainBegin`).
   * @example
   * ```ts
   * class StopEarly extends Callback {
   *   override onEpochEnd(_epoch: number, logs: Logs) { if (logs.loss < 0.01) this.model!.stopTraining = true; }
   * }
   * ```
   */
  model: (Module & { stopTraining: boolean }) | null = null;
  /**
   * Called once before the first epoch.
   * @example
   * ```ts
   * class Timer extends Callback {
   *   started = 0;
   *   override onTrainBegin() { this.started = Date.now(); }
   * }
   * ```
   */
  onTrainBegin(_logs: Logs): void | Promise<void> {}
  /**
   * Called once after the last epoch (also after an early stop).
   * @example
   * ```ts
   * class Done extends Callback {
   *   override onTrainEnd() { console.log('training finished'); }
   * }
   * ```
   */
  onTrainEnd(_logs: Logs): void | Promise<void> {}
  /**
   * Called at the start of every epoch (`epoch` counts from 0).
   * @example
   * ```ts
   * class Announce extends Callback {
   *   override onEpochBegin(epoch: number) { console.log(`epoch ${epoch + 1}`); }
   * }
   * ```
   */
  onEpochBegin(_epoch: number, _logs: Logs): void | Promise<void> {}
  /**
   * Called at the end of every epoch with its mean loss and metrics (and validation values).
   * @example
   * ```ts
   * class Print extends Callback {
   *   override onEpochEnd(epoch: number, logs: Logs) { console.log(epoch, logs.loss, logs.val_loss); }
   * }
   * ```
   */
  onEpochEnd(_epoch: number, _logs: Logs): void | Promise<void> {}
  /**
   * Called before every batch; `logs.size` is the batch size.
   * @example
   * ```ts
   * class CountSamples extends Callback {
   *   samples = 0;
   *   override onBatchBegin(_batch: number, logs: Logs) { this.samples += logs.size; }
   * }
   * ```
   */
  onBatchBegin(_batch: number, _logs: Logs): void | Promise<void> {}
  /**
   * Called after every optimizer step with the batch's loss and metrics.
   * @example
   * ```ts
   * class BatchLosses extends Callback {
   *   losses: number[] = [];
   *   override onBatchEnd(_batch: number, logs: Logs) { this.losses.push(logs.loss); }
   * }
   * ```
   */
  onBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
}

type Mode = 'min' | 'max' | 'auto';

function direction(monitor: string, mode: Mode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|auc|f1|precision|recall/.test(monitor) ? 'max' : 'min';
}

/** @internal The monitored value of the logs, or an error listing the available ones. */
export function monitored(name: string, monitor: string, logs: Logs): number {
  const v = logs[monitor];
  if (v === undefined) {
    throw new ArgumentError(name, `monitored value '${monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`);
  }
  return v;
}

/**
 * Options of {@link EarlyStopping}.
 * @example
 * ```ts
 * new EarlyStopping({ monitor: 'val_accuracy', patience: 5, minDelta: 1e-3, restoreBestWeights: true });
 * ```
 */
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
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, metrics: ['accuracy'] });
 * const x = randn([100, 4]);
 * const y = randint(0, 3, [100]);
 * await model.fit(x, y, { epochs: 20, validationSplit: 0.2, callbacks: [new EarlyStopping({ patience: 3 })] });
 * ```
 */
export class EarlyStopping extends Callback {
  /**
   * Epoch (0-based) at which training was stopped, or −1.
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, metrics: ['accuracy'] });
   * const x = randn([100, 4]);
   * const y = randint(0, 3, [100]);
   * const stop = new EarlyStopping({ patience: 2 });
   * await model.fit(x, y, { epochs: 20, validationSplit: 0.2, callbacks: [stop] });
   * if (stop.stoppedEpoch >= 0) console.log(`stopped after epoch ${stop.stoppedEpoch + 1}`);
   * ```
   */
  stoppedEpoch = -1;
  private best = Number.NaN;
  private wait = 0;
  private bestWeights: Record<string, Tensor> | null = null;
  private readonly opts: Required<EarlyStoppingOptions>;

  /**
   * @param opts what to monitor, `patience`, `minDelta`, `mode` and `restoreBestWeights`
   * @example
   * ```ts
   * const stop = new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
   * ```
   */
  constructor(opts: EarlyStoppingOptions = {}) {
    super();
    checkKeys('EarlyStopping', opts, ['monitor', 'minDelta', 'patience', 'mode', 'restoreBestWeights']);
    this.opts = { monitor: 'val_loss', minDelta: 0, patience: 0, mode: 'auto', restoreBestWeights: false, ...opts };
    if (!(this.opts.patience >= 0)) throw new ArgumentError('EarlyStopping', `patience must be >= 0, got ${this.opts.patience}`);
  }

  /**
   * Resets the best value, the wait counter and `stoppedEpoch`.
   * @example
   * ```ts
   * const stop = new EarlyStopping({ patience: 2 });
   * stop.onTrainBegin(); // fit calls this; the same callback can be reused across fits
   * ```
   */
  override onTrainBegin(): void {
    this.best = Number.NaN;
    this.wait = 0;
    this.stoppedEpoch = -1;
  }

  /**
   * Compares the monitored value with the best so far; after `patience` epochs without improvement sets `model.stopTraining`.
   * @example
   * ```ts
   * const stop = new EarlyStopping({ patience: 2 });
   * stop.onEpochEnd(4, { loss: 0.2, val_loss: 0.31 }); // fit calls this after every epoch
   * ```
   */
  override onEpochEnd(epoch: number, logs: Logs): void {
    const v = monitored('EarlyStopping', this.opts.monitor, logs);
    const better =
      direction(this.opts.monitor, this.opts.mode) === 'min'
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

  /**
   * With `restoreBestWeights`, puts back the weights of the best epoch if training was stopped early.
   * @example
   * ```ts
   * const stop = new EarlyStopping({ patience: 2 });
   * stop.onTrainEnd(); // fit calls this once training ends
   * ```
   */
  override onTrainEnd(): void {
    if (this.bestWeights && this.model) {
      if (this.stoppedEpoch >= 0) this.model.loadStateDict(this.bestWeights);
      for (const t of Object.values(this.bestWeights)) t.dispose();
      this.bestWeights = null;
    }
  }
}

/**
 * Options of {@link ModelCheckpoint}.
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * new ModelCheckpoint({ monitor: 'val_accuracy', saveBestOnly: true, save: (bytes, epoch) => writeFileSync(`ckpt-${epoch}.safetensors`, bytes) });
 * ```
 */
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
 * import { writeFileSync } from 'node:fs';
 * new ModelCheckpoint({ saveBestOnly: true, save: (bytes) => writeFileSync('best.safetensors', bytes) });
 * ```
 */
export class ModelCheckpoint extends Callback {
  private best = Number.NaN;
  /**
   * @param opts the `save` function, and what to monitor with `saveBestOnly`
   * @example
   * ```ts
   * import { writeFileSync } from 'node:fs';
   * const checkpoint = new ModelCheckpoint({ save: (bytes) => writeFileSync('last.safetensors', bytes) });
   * ```
   */
  constructor(private readonly opts: ModelCheckpointOptions) {
    super();
    checkKeys('ModelCheckpoint', opts, ['save', 'monitor', 'saveBestOnly', 'mode']);
    if (typeof opts?.save !== 'function') throw new ArgumentError('ModelCheckpoint', 'save must be a function (bytes, epoch, logs) => void');
  }

  /**
   * Passes the model's safetensors bytes to `save` (only on improvement with `saveBestOnly`).
   * @example
   * ```ts
   * const checkpoint = new ModelCheckpoint({ save: (bytes) => console.log(`${bytes.length} bytes`) });
   * checkpoint.model = new Linear(4, 3); // fit sets this
   * await checkpoint.onEpochEnd(0, { loss: 0.4, val_loss: 0.5 }); // fit calls this after every epoch
   * ```
   */
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
