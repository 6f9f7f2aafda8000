import { ArgumentError, cat, noGrad, rand, scope, ShapeError, type Tensor, tensor } from '@aimodel/tensor';
import type { Module } from '../module';
import type { Callback, Logs } from './callbacks';
import type { Compiled } from './compile';
import { ProgressBar, type ProgressStream } from './progress-bar';

/**
 * Options of {@link Module.fit}.
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 20, batchSize: 64, validationSplit: 0.1, shuffle: true, callbacks: [new EarlyStopping()], verbose: 2 });
 * ```
 */
export interface FitOptions {
  /** Passes over the training data (default 1). */
  epochs?: number;
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Hold out this fraction of the samples — the last ones, before shuffling, as Keras — for validation. */
  validationSplit?: number;
  /** Explicit validation inputs and targets (takes precedence over validationSplit). */
  validationData?: [Tensor, Tensor];
  /** Shuffle the training samples every epoch with the seeded generator (default true). */
  shuffle?: boolean;
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar, 2 one line per epoch; 'auto' (default): 1 on a terminal, else 0. */
  verbose?: 0 | 1 | 2 | 'auto';
  /** Where progress goes (default process.stdout in Node). */
  stream?: ProgressStream;
}

/**
 * Options of {@link Module.evaluate} and {@link Module.predict}.
 * @example
 * ```ts
 * const logs = await model.evaluate(xTest, yTest, { batchSize: 256 });
 * ```
 */
export interface EvaluateOptions {
  /** Samples per forward pass (default 32). */
  batchSize?: number;
}

/**
 * What `fit` returns: per-epoch values by name (`loss`, `accuracy`, `val_loss`, …), as Keras's History.
 * @example
 * ```ts
 * const h = await model.fit(x, y, { epochs: 5 });
 * h.history.loss; // five numbers
 * ```
 */
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

type Trainable = Module & { stopTraining: boolean };

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

/** Sample indices in batches; shuffled with the seeded stream when asked. */
function batchIndices(n: number, batchSize: number, shuffle: boolean): Int32Array[] {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  if (shuffle && n > 1) {
    const keys = scope(() => rand([n], { device: 'cpu' }).dataSync());
    order.sort((a, b) => keys[a] - keys[b] || a - b);
  }
  const out: Int32Array[] = [];
  for (let i = 0; i < n; i += batchSize) out.push(order.subarray(i, Math.min(n, i + batchSize)));
  return out;
}

function take(t: Tensor, idx: Int32Array): Tensor {
  return t.indexSelect(0, tensor(idx, { device: t.device }));
}

async function call(cbs: Callback[], hook: keyof Callback, ...args: unknown[]): Promise<void> {
  for (const cb of cbs) await (cb[hook] as (...a: unknown[]) => unknown).apply(cb, args);
}

interface BatchResult {
  loss: Tensor;
  pred: Tensor;
  yb: Tensor;
}

function disposeAll(b: BatchResult): void {
  b.loss.dispose();
  b.pred.dispose();
  b.yb.dispose();
}

/** Read a batch's loss and metrics back (asynchronously: works on every device). */
async function readLogs(c: Compiled, b: BatchResult): Promise<Logs> {
  const logs: Logs = { loss: (await b.loss.data())[0] };
  for (const m of c.metrics) logs[m.name] = await noGrad(() => m.fn(b.pred, b.yb));
  return logs;
}

/** Batched evaluation in eval mode: mean loss and metrics (weighted by batch size). */
export async function evaluateCompiled(model: Module, c: Compiled, x: Tensor, y: Tensor, opts: EvaluateOptions = {}): Promise<Logs> {
  const n = checkData('evaluate', x, y);
  const batchSize = positiveInt('evaluate', 'batchSize', opts.batchSize ?? 32);
  const wasTraining = model.training;
  model.eval();
  const sums: Logs = { loss: 0 };
  for (const m of c.metrics) sums[m.name] = 0;
  try {
    for (const idx of batchIndices(n, batchSize, false)) {
      const batch = noGrad(() =>
        scope(() => {
          const yb = take(y, idx);
          const pred = model.forward(take(x, idx)) as Tensor;
          return { loss: c.loss(pred, yb), pred, yb };
        }),
      );
      try {
        const logs = await readLogs(c, batch);
        for (const k of Object.keys(sums)) sums[k] += logs[k] * idx.length;
      } finally {
        disposeAll(batch);
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, n ? v / n : Number.NaN]));
}

/** Forward passes in eval mode without gradients, concatenated along dim 0. */
export function predictBatched(model: Module, x: Tensor, opts: EvaluateOptions = {}): Tensor {
  const n = checkData('predict', x, null);
  const batchSize = positiveInt('predict', 'batchSize', opts.batchSize ?? 32);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() =>
      scope(() => {
        if (n <= batchSize) return model.forward(x) as Tensor;
        const parts = batchIndices(n, batchSize, false).map((idx) => model.forward(take(x, idx)) as Tensor);
        return cat(parts, 0);
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

/** The training loop behind {@link Module.fit}. */
export async function fitCompiled(model: Trainable, c: Compiled, x: Tensor, y: Tensor, opts: FitOptions = {}): Promise<History> {
  const total = checkData('fit', x, y);
  const epochs = positiveInt('fit', 'epochs', opts.epochs ?? 1);
  const batchSize = positiveInt('fit', 'batchSize', opts.batchSize ?? 32);
  const split = opts.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw new ArgumentError('fit', `validationSplit must be in [0, 1), got ${split}`);
  let trainX = x;
  let trainY = y;
  let val = opts.validationData ?? null;
  const owned: Tensor[] = [];
  if (!val && split > 0) {
    const nVal = Math.floor(total * split);
    if (nVal < 1 || nVal >= total) throw new ArgumentError('fit', `validationSplit ${split} of ${total} samples leaves an empty training or validation set`);
    trainX = x.narrow(0, 0, total - nVal);
    trainY = y.narrow(0, 0, total - nVal);
    val = [x.narrow(0, total - nVal, nVal), y.narrow(0, total - nVal, nVal)];
    owned.push(trainX, trainY, ...val);
  }
  if (val) checkData('fit', val[0], val[1]);
  const n = trainX.shape[0];
  const callbacks = opts.callbacks ?? [];
  const stream = opts.stream ?? (globalThis as { process?: { stdout?: ProgressStream } }).process?.stdout;
  const verbose = opts.verbose === undefined || opts.verbose === 'auto' ? (stream?.isTTY ? 1 : 0) : opts.verbose;
  const batchesPerEpoch = Math.ceil(n / batchSize);
  const bar = new ProgressBar(stream ?? { write: () => undefined }, stream ? verbose : 0, epochs, batchesPerEpoch);
  const history: History = { epoch: [], history: {} };
  for (const cb of callbacks) cb.model = model;
  model.stopTraining = false;
  try {
    await call(callbacks, 'onTrainBegin', {});
    for (let epoch = 0; epoch < epochs && !model.stopTraining; epoch++) {
      model.train();
      bar.startEpoch(epoch);
      await call(callbacks, 'onEpochBegin', epoch, {});
      const sums: Logs = { loss: 0 };
      for (const m of c.metrics) sums[m.name] = 0;
      let seen = 0;
      const batches = batchIndices(n, batchSize, opts.shuffle ?? true);
      for (let b = 0; b < batches.length; b++) {
        const idx = batches[b];
        await call(callbacks, 'onBatchBegin', b, { size: idx.length });
        const batch = scope(() => {
          const yb = take(trainY, idx);
          const pred = model.forward(take(trainX, idx)) as Tensor;
          const loss = c.loss(pred, yb);
          c.optimizer.zeroGrad();
          loss.backward();
          c.optimizer.step();
          return { loss: loss.detach(), pred: pred.detach(), yb };
        });
        let logs: Logs;
        try {
          logs = await readLogs(c, batch); // the step's one synchronisation point
        } finally {
          disposeAll(batch);
        }
        if (!Number.isFinite(logs.loss)) {
          throw new ArgumentError('fit', `the loss became ${logs.loss} at epoch ${epoch + 1}, batch ${b + 1}; lower the learning rate or check the data`);
        }
        seen += idx.length;
        for (const k of Object.keys(sums)) sums[k] += logs[k] * idx.length;
        const running = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / seen]));
        bar.batch(b + 1, running);
        await call(callbacks, 'onBatchEnd', b, logs);
      }
      const epochLogs: Logs = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n]));
      if (val) {
        const v = await evaluateCompiled(model, c, val[0], val[1], { batchSize });
        for (const [k, value] of Object.entries(v)) epochLogs[`val_${k}`] = value;
      }
      history.epoch.push(epoch);
      for (const [k, v] of Object.entries(epochLogs)) (history.history[k] ??= []).push(v);
      bar.endEpoch(epoch, epochLogs);
      await call(callbacks, 'onEpochEnd', epoch, epochLogs);
    }
    await call(callbacks, 'onTrainEnd', {});
  } finally {
    for (const t of owned) t.dispose();
  }
  return history;
}
