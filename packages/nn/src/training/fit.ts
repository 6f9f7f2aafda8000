import { ArgumentError, cat, type Generator, noGrad, ShapeError, scope, Tensor } from '@aimodel/tensor';
import { DataLoader } from '../data/data-loader';
import { type Dataset, TensorDataset } from '../data/dataset';
import { checkKeys } from '../data/shuffle-options';
import type { Module } from '../module';
import { Callback, type Logs } from './callbacks';
import { ProgressBar, type ProgressStream } from './progress-bar';
import { gatherLogs, type PendingLogs, readLogs, runStep, type StepLogs, WEIGHT_KEY } from './step';

/**
 * Options of {@link Module.fit}. With a `DataLoader` as data, batching and shuffling are the
 * loader's (`batchSize`, `shuffle`, `seed` and `generator` are then errors here).
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, metrics: ['accuracy'] });
 * const x = randn([100, 4]);
 * const y = randint(0, 3, [100]);
 * await model.fit(x, y, { epochs: 5, batchSize: 64, validationSplit: 0.1, shuffle: true, seed: 0, callbacks: [new EarlyStopping()], verbose: 2 });
 * ```
 */
export interface FitOptions {
  /** Passes over the training data (default 1). */
  epochs?: number;
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Hold out this fraction of the samples — the last ones, before shuffling, as Keras — for validation (tensors only). */
  validationSplit?: number;
  /** Explicit validation data: inputs and targets, a Dataset or a DataLoader (takes precedence over validationSplit). */
  validationData?: [Tensor, Tensor] | Dataset | DataLoader;
  /** Shuffle the training samples every epoch (default true). */
  shuffle?: boolean;
  /** Shorthand for `generator: new Generator({ seed })`: the same seed gives the same batches. */
  seed?: number;
  /** The stream the shuffles are drawn from (default: the global stream, see `manualSeed`). */
  generator?: Generator;
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar, 2 one line per epoch; 'auto' (default): 1 on a terminal, else 2 (CI logs, pipes). */
  verbose?: 0 | 1 | 2 | 'auto';
  /** Where progress goes (default process.stdout in Node). */
  stream?: ProgressStream;
}

/**
 * Options of {@link Module.evaluate} and {@link Module.predict}.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, metrics: ['accuracy'] });
 * const xTest = randn([100, 4]);
 * const yTest = randint(0, 3, [100]);
 * const logs = await model.evaluate(xTest, yTest, { batchSize: 256 });
 * ```
 */
export interface EvaluateOptions {
  /** Samples per forward pass (default 32; not with a DataLoader). */
  batchSize?: number;
}

/**
 * What `fit` returns: per-epoch values by name (`loss`, `accuracy`, `val_loss`, …), as Keras's History.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, metrics: ['accuracy'] });
 * const x = randn([100, 4]);
 * const y = randint(0, 3, [100]);
 * const h = await model.fit(x, y, { epochs: 5 });
 * h.history.loss; // five numbers
 * ```
 */
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

/**
 * Data `fit` and `evaluate` take instead of tensors `x, y`: a Dataset (batched with the options'
 * `batchSize`, `shuffle`, `seed`/`generator`) or a DataLoader (batched as it says).
 * @example
 * ```ts
 * const data: FitData = new TensorDataset(randn([8, 2]), randint(0, 2, [8]));
 * ```
 */
export type FitData = Dataset | DataLoader;

type Trainable = Module & {
  stopTraining: boolean;
  trainStep(batch: Tensor[]): StepLogs;
  testStep(batch: Tensor[]): StepLogs;
};

const FIT_KEYS = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'seed', 'generator', 'callbacks', 'verbose', 'stream'];
const LOADER_OWNED = ['batchSize', 'shuffle', 'seed', 'generator'];

function checkData(op: string, x: Tensor, y: Tensor | null): number {
  if (x.ndim === 0) throw new ShapeError(op, 'inputs need a leading sample dimension, got a 0-d tensor');
  if (y && (y.ndim === 0 || y.shape[0] !== x.shape[0])) {
    throw new ShapeError(op, `inputs and targets must have the same number of samples, got ${x.shape[0]} and ${y.ndim ? y.shape[0] : 'a 0-d tensor'}`);
  }
  return x.shape[0];
}

function positiveInt(op: string, name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new ArgumentError(op, `${name} must be a positive integer, got ${v}`);
  return v;
}

function isFitData(d: unknown): d is FitData {
  return (
    d instanceof DataLoader ||
    d instanceof TensorDataset ||
    (!!d && typeof d === 'object' && !Array.isArray(d) && typeof (d as Dataset).length === 'number' && typeof (d as Dataset).at === 'function')
  );
}

/** `(x, y, opts)` or `(data, opts)`, checked: the data as a Dataset/DataLoader or tensors, and the options. */
function parseArgs<O extends object>(
  op: string,
  data: unknown,
  yOrOpts: unknown,
  maybeOpts: unknown,
): { x: Tensor; y: Tensor; opts: O } | { data: FitData; opts: O } {
  if (data instanceof Tensor) {
    if (!(yOrOpts instanceof Tensor)) {
      throw new ArgumentError(
        op,
        `expected targets y (a Tensor) after the inputs x, got ${yOrOpts === undefined ? 'nothing' : typeof yOrOpts}; for data without targets pass a Dataset or DataLoader`,
      );
    }
    return { x: data, y: yOrOpts, opts: (maybeOpts ?? {}) as O };
  }
  if (!isFitData(data)) {
    throw new ArgumentError(op, `expected tensors (x, y), a Dataset or a DataLoader, got ${data === null ? 'null' : typeof data}`);
  }
  if (maybeOpts !== undefined)
    throw new ArgumentError(op, `with a ${data instanceof DataLoader ? 'DataLoader' : 'Dataset'} the options come second: ${op}(data, opts)`);
  return { data, opts: (yOrOpts ?? {}) as O };
}

function loaderOf(
  op: string,
  data: FitData,
  opts: { batchSize?: number; shuffle?: boolean; seed?: number; generator?: Generator },
  shuffleDefault: boolean,
): DataLoader {
  if (data instanceof DataLoader) {
    for (const k of LOADER_OWNED)
      if ((opts as Record<string, unknown>)[k] !== undefined)
        throw new ArgumentError(op, `'${k}' belongs to the DataLoader: set it there, not in ${op}'s options`);
    return data;
  }
  const batchSize = positiveInt(op, 'batchSize', opts.batchSize ?? 32);
  return new DataLoader(data, { batchSize, shuffle: opts.shuffle ?? shuffleDefault, seed: opts.seed, generator: opts.generator });
}

async function call(cbs: Callback[], hook: keyof Callback, ...args: unknown[]): Promise<void> {
  for (const cb of cbs) await (cb[hook] as (...a: unknown[]) => unknown).apply(cb, args);
}

/**
 * Running sums of a phase's logs, each weighted by its batches' sizes, or by the batch weight a
 * metric logs beside its value (precision: the predicted positives), so that a ratio of counts
 * averages to the ratio over the whole epoch; a total weight of 0 gives 0.
 */
class Averages {
  private readonly sums = new Map<string, number>();
  private readonly weights = new Map<string, number>();

  add(logs: Logs, size: number): void {
    for (const [k, v] of Object.entries(logs)) {
      if (k.startsWith(WEIGHT_KEY)) continue;
      const w = logs[WEIGHT_KEY + k] ?? size;
      this.sums.set(k, (this.sums.get(k) ?? 0) + (w ? v * w : 0));
      this.weights.set(k, (this.weights.get(k) ?? 0) + w);
    }
  }

  means(): Logs {
    return Object.fromEntries([...this.sums].map(([k, v]) => [k, this.weights.get(k) ? v / this.weights.get(k)! : 0]));
  }
}

/** The logs without the metrics' batch weights (what callbacks see). */
function visible(logs: Logs): Logs {
  return Object.fromEntries(Object.entries(logs).filter(([k]) => !k.startsWith(WEIGHT_KEY)));
}

/** A training step's losses must stay finite: `loss` and any log named `…Loss`/`…_loss`. */
function checkFinite(logs: Logs, epoch: number, batch: number): void {
  for (const [k, v] of Object.entries(logs)) {
    if (/(^|_)loss$|Loss$/.test(k) && !Number.isFinite(v)) {
      throw new ArgumentError('fit', `the ${k} became ${v} at epoch ${epoch + 1}, batch ${batch + 1}; lower the learning rate or check the data`);
    }
  }
}

/** One step on a batch the caller hands over: the batch is disposed, the logs gathered on the device. */
function step(op: 'trainStep' | 'testStep', fn: () => StepLogs, batch: Tensor[]): PendingLogs {
  try {
    return gatherLogs(runStep(op, fn));
  } finally {
    for (const t of batch) t.dispose();
  }
}

/** Mean test-step logs over a loader in eval mode, read back once at the end. */
async function evaluateLoader(model: Trainable, loader: DataLoader, op: string): Promise<Logs> {
  const wasTraining = model.training;
  model.eval();
  const pending: PendingLogs[] = [];
  const sizes: number[] = [];
  try {
    for (const batch of loader) {
      sizes.push(batch[0]?.shape[0] ?? 0);
      pending.push(step('testStep', () => model.testStep(batch), batch));
    }
  } catch (e) {
    for (const p of pending) for (const part of p.parts) part.values.dispose();
    throw e;
  } finally {
    model.train(wasTraining);
  }
  if (pending.length === 0) throw new ArgumentError(op, 'no samples to evaluate');
  const averages = new Averages();
  (await readLogs(pending)).forEach((logs, i) => averages.add(logs, sizes[i]));
  return averages.means();
}

/** Batched evaluation in eval mode through {@link Module.testStep}: mean logs weighted by batch size. */
export async function evaluateCompiled(
  model: Trainable,
  data: Tensor | FitData,
  yOrOpts?: Tensor | EvaluateOptions,
  maybeOpts?: EvaluateOptions,
): Promise<Logs> {
  const args = parseArgs<EvaluateOptions>('evaluate', data, yOrOpts, maybeOpts);
  checkKeys('evaluate', args.opts, ['batchSize']);
  if ('x' in args) checkData('evaluate', args.x, args.y);
  const dataset = 'x' in args ? new TensorDataset(args.x, args.y) : args.data;
  return evaluateLoader(model, loaderOf('evaluate', dataset, args.opts, false), 'evaluate');
}

/** Forward passes in eval mode without gradients, concatenated along dim 0. */
export function predictBatched(model: Module, x: Tensor, opts: EvaluateOptions = {}): Tensor {
  const n = checkData('predict', x, null);
  checkKeys('predict', opts, ['batchSize']);
  const batchSize = positiveInt('predict', 'batchSize', opts.batchSize ?? 32);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() =>
      scope(() => {
        if (n <= batchSize) return model.call(x) as Tensor;
        const parts: Tensor[] = [];
        for (let at = 0; at < n; at += batchSize) parts.push(model.call(x.narrow(0, at, Math.min(batchSize, n - at))) as Tensor);
        return cat(parts, 0);
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

/**
 * The training loop behind {@link Module.fit}: per epoch it iterates a {@link DataLoader}, runs
 * `model.trainStep(batch)` on each batch and reads the step's logs back in one go — per step when a
 * progress bar or an `onBatchEnd` callback needs them, else once at the end of the epoch.
 */
export async function fitCompiled(model: Trainable, data: Tensor | FitData, yOrOpts?: Tensor | FitOptions, maybeOpts?: FitOptions): Promise<History> {
  const args = parseArgs<FitOptions>('fit', data, yOrOpts, maybeOpts);
  const opts = args.opts;
  checkKeys('fit', opts, FIT_KEYS);
  const epochs = positiveInt('fit', 'epochs', opts.epochs ?? 1);
  const split = opts.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw new ArgumentError('fit', `validationSplit must be in [0, 1), got ${split}`);
  const owned: Tensor[] = [];
  let train: DataLoader;
  let val: DataLoader | null = null;
  const valLoader = (d: Dataset) => new DataLoader(d, { batchSize: positiveInt('fit', 'batchSize', opts.batchSize ?? 32) });
  const valData = opts.validationData;
  if (valData !== undefined) {
    const [vx, vy] = Array.isArray(valData) ? valData : [];
    if (vx instanceof Tensor && vy instanceof Tensor) {
      checkData('fit', vx, vy);
      val = valLoader(new TensorDataset(vx, vy));
    } else if (!Array.isArray(valData) && isFitData(valData)) {
      val = valData instanceof DataLoader ? valData : valLoader(valData);
    } else {
      throw new ArgumentError('fit', 'validationData must be [inputs, targets] tensors, a Dataset or a DataLoader');
    }
  }
  if ('x' in args) {
    const { x, y } = args;
    const total = checkData('fit', x, y);
    let trainX = x;
    let trainY = y;
    if (!val && split > 0) {
      const nVal = Math.floor(total * split);
      if (nVal < 1 || nVal >= total) throw new ArgumentError('fit', `validationSplit ${split} of ${total} samples leaves an empty training or validation set`);
      trainX = x.narrow(0, 0, total - nVal);
      trainY = y.narrow(0, 0, total - nVal);
      const [vx, vy] = [x.narrow(0, total - nVal, nVal), y.narrow(0, total - nVal, nVal)];
      owned.push(trainX, trainY, vx, vy);
      val = valLoader(new TensorDataset(vx, vy));
    }
    try {
      train = loaderOf('fit', new TensorDataset(trainX, trainY), opts, true);
    } catch (e) {
      for (const t of owned) t.dispose();
      throw e;
    }
  } else {
    if (split > 0) throw new ArgumentError('fit', 'validationSplit needs tensors (x, y); with a Dataset or DataLoader pass validationData');
    train = loaderOf('fit', args.data, opts, true);
  }
  try {
    return await trainLoop(model, train, val, epochs, opts);
  } finally {
    for (const t of owned) t.dispose();
  }
}

async function trainLoop(model: Trainable, train: DataLoader, val: DataLoader | null, epochs: number, opts: FitOptions): Promise<History> {
  if (train.length === 0)
    throw new ArgumentError('fit', `no training batches (${train.dataset.length} samples, batchSize ${train.batchSize}${train.dropLast ? ', dropLast' : ''})`);
  const callbacks = opts.callbacks ?? [];
  const stream = opts.stream ?? (globalThis as { process?: { stdout?: ProgressStream } }).process?.stdout;
  const verbose = opts.verbose === undefined || opts.verbose === 'auto' ? (stream?.isTTY ? 1 : 2) : opts.verbose;
  const bar = new ProgressBar(stream ?? { write: () => undefined }, stream ? verbose : 0, epochs, train.length);
  // per-batch logs are read per step only when someone looks at them
  const perBatch = (stream !== undefined && verbose === 1) || callbacks.some((cb) => cb.onBatchEnd !== Callback.prototype.onBatchEnd);
  const history: History = { epoch: [], history: {} };
  for (const cb of callbacks) cb.model = model;
  model.stopTraining = false;
  await call(callbacks, 'onTrainBegin', {});
  for (let epoch = 0; epoch < epochs && !model.stopTraining; epoch++) {
    model.train();
    bar.startEpoch(epoch);
    await call(callbacks, 'onEpochBegin', epoch, {});
    const averages = new Averages();
    const pending: PendingLogs[] = [];
    const sizes: number[] = [];
    try {
      let b = 0;
      for (const batch of train) {
        const size = batch[0]?.shape[0] ?? 0;
        try {
          await call(callbacks, 'onBatchBegin', b, { size });
        } catch (e) {
          for (const t of batch) t.dispose();
          throw e;
        }
        const logs = step('trainStep', () => model.trainStep(batch), batch);
        if (perBatch) {
          const [read] = await readLogs([logs]); // the step's one synchronisation point
          checkFinite(read, epoch, b);
          averages.add(read, size);
          bar.batch(b + 1, averages.means());
          await call(callbacks, 'onBatchEnd', b, visible(read));
        } else {
          pending.push(logs);
          sizes.push(size);
        }
        b++;
      }
    } catch (e) {
      for (const p of pending) for (const part of p.parts) part.values.dispose();
      throw e;
    }
    if (!perBatch) {
      const all = await readLogs(pending); // the epoch's one synchronisation point
      all.forEach((logs, b) => {
        checkFinite(logs, epoch, b);
        averages.add(logs, sizes[b]);
      });
    }
    const epochLogs = averages.means();
    if (val) {
      const v = await evaluateLoader(model, val, 'fit');
      for (const [k, value] of Object.entries(v)) epochLogs[`val_${k}`] = value;
    }
    history.epoch.push(epoch);
    for (const [k, v] of Object.entries(epochLogs)) (history.history[k] ??= []).push(v);
    bar.endEpoch(epoch, epochLogs);
    await call(callbacks, 'onEpochEnd', epoch, epochLogs);
  }
  await call(callbacks, 'onTrainEnd', {});
  return history;
}
