import { ArgumentError, noGrad, ShapeError, scope, Tensor } from '@aimodel/tensor';
import type { Module } from '../module';
import { type LossName, lossNamed, type MetricName, metricNamed, type OptimizerName, optimizerNamed } from './keras-names';

/**
 * What `fit` needs from an optimizer (any @aimodel/optim optimizer qualifies).
 * @example
 * ```ts
 * const model = new Linear(4, 3);
 * const opt: OptimizerLike = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * ```
 */
export interface OptimizerLike {
  zeroGrad(): void;
  step(): void;
}

/**
 * A loss: a function or a loss module, `(prediction, target) → scalar tensor`.
 * @example
 * ```ts
 * const model = new Linear(4, 3);
 * const optimizer = new SGD(model.parameters(), { lr: 0.1 });
 * model.compile({ optimizer, loss: crossEntropy });               // a function
 * model.compile({ optimizer, loss: new MSELoss() });              // a module
 * model.compile({ optimizer, loss: (p, t) => huberLoss(p, t, { delta: 2 }) });
 * ```
 */
export type LossLike = ((prediction: Tensor, target: Tensor) => Tensor) | (Module & { forward(prediction: Tensor, target: Tensor): Tensor });

/**
 * A metric computed per batch from predictions and targets, without gradients; `'accuracy'` is
 * built in, and the Keras names of {@link MetricName}. Return a one-element tensor to keep the value on the device: `fit` reads it together
 * with the loss, in the step's one read. A number works too (but reading data inside `fn` costs a
 * synchronisation of its own).
 * @example
 * ```ts
 * const model = new Linear(4, 3);
 * const optimizer = new SGD(model.parameters(), { lr: 0.1 });
 * const mae: MetricLike = { name: 'mae', fn: (p, t) => l1Loss(p, t) };
 * model.compile({ optimizer, loss: mseLoss, metrics: [mae] });
 * ```
 */
export type MetricLike = MetricName | { name: string; fn: (prediction: Tensor, target: Tensor) => Tensor | number };

/**
 * Settings of {@link Module.compile}. `optimizer` and `loss` drive the default
 * {@link Module.trainStep}/{@link Module.testStep}; a model that overrides its steps may leave them out.
 * @example
 * ```ts
 * const model = new Linear(4, 3);
 * model.compile({ optimizer: new Adam(model.parameters(), { lr: 1e-3 }), loss: crossEntropy, metrics: ['accuracy'] });
 * ```
 */
export interface CompileConfig {
  /** An optimizer object, or a Keras name ({@link OptimizerName}) created over the model's parameters. */
  optimizer?: OptimizerLike | OptimizerName;
  /** A loss function or module, or a Keras name ({@link LossName}). */
  loss?: LossLike | LossName;
  /** Metrics logged by fit and evaluate. */
  metrics?: MetricLike[];
}

/** A compiled configuration with the loss and metrics resolved to functions. */
export interface Compiled {
  optimizer: OptimizerLike | null;
  /** The optimizer was created by compile from its name: the model owns its state. */
  ownsOptimizer: boolean;
  loss: ((prediction: Tensor, target: Tensor) => Tensor) | null;
  metrics: {
    name: string;
    fn: (prediction: Tensor, target: Tensor) => Tensor | number;
    /** The batch's weight in the epoch's average (default: its size), for ratios of counts. */
    weight?: (prediction: Tensor, target: Tensor) => Tensor;
  }[];
}

/**
 * Fraction of rows whose predicted class matches, as a 0-d float32 tensor on the predictions'
 * device (nothing is read back): predictions [N, C] are arg-maxed (a single column is
 * thresholded at 0.5); targets are class indices [N] (float targets are rounded) or
 * one-hot/probabilities [N, C].
 * @example
 * ```ts
 * await batchAccuracy(tensor([[0.1, 0.9], [0.8, 0.2]]), tensor([1, 1])).item(); // 0.5
 * ```
 */
export function batchAccuracy(prediction: Tensor, target: Tensor): Tensor {
  const n = prediction.ndim ? prediction.shape[0] : 1;
  const tn = target.ndim ? target.shape[0] : 1;
  if (n !== tn) throw new ShapeError('accuracy', `predictions and targets must have the same number of rows, got ${n} and ${tn}`);
  if (n === 0) throw new ShapeError('accuracy', 'needs at least one row, got 0');
  return noGrad(() =>
    scope(() => {
      const p = prediction.reshape([n, -1]);
      const t = target.reshape([n, -1]);
      const predicted = p.shape[1] === 1 ? p.reshape([n]).ge(0.5).to('float32') : p.argmax(1).to('float32');
      const truth = t.shape[1] !== 1 ? t.argmax(1).to('float32') : t.dtype === 'float32' ? t.reshape([n]).add(0.5).floor() : t.reshape([n]).to('float32');
      return predicted.eq(truth).to('float32').mean();
    }),
  );
}

const COMPILE_KEYS = ['optimizer', 'loss', 'metrics'];

export function resolveCompile(config: CompileConfig, model: Module): Compiled {
  if (!config || typeof config !== 'object')
    throw new ArgumentError('compile', `expected a config object { optimizer, loss, metrics }, got ${config === null ? 'null' : typeof config}`);
  for (const k of Object.keys(config))
    if (!COMPILE_KEYS.includes(k)) throw new ArgumentError('compile', `unknown option '${k}' (expected ${COMPILE_KEYS.join(', ')})`);
  const o = typeof config.optimizer === 'string' ? optimizerNamed(config.optimizer, model.parameters()) : config.optimizer;
  if (o !== undefined && (typeof o?.step !== 'function' || typeof o?.zeroGrad !== 'function')) {
    throw new ArgumentError(
      'compile',
      "optimizer must be 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad' or have step() and zeroGrad() (e.g. new SGD(model.parameters(), { lr: 0.1 }))",
    );
  }
  const l = config.loss;
  let loss: Compiled['loss'] = null;
  if (typeof l === 'string') loss = lossNamed(l);
  else if (typeof l === 'function') loss = l;
  else if (l && typeof (l as Module).forward === 'function') loss = (p, t) => (l as Module).call(p, t);
  else if (l !== undefined) throw new ArgumentError('compile', 'loss must be a function (prediction, target) → tensor or a loss module');
  const metrics = (config.metrics ?? []).map((m) => {
    if (m === 'accuracy' || m === 'acc') return { name: m, fn: batchAccuracy };
    const named = typeof m === 'string' ? metricNamed(m) : null;
    if (named) return { name: m as string, ...named };
    if (m && typeof m === 'object' && typeof m.fn === 'function' && typeof m.name === 'string') return m;
    throw new ArgumentError(
      'compile',
      `unknown metric ${JSON.stringify(m)} (expected 'accuracy', 'acc', 'mae', 'mse', 'precision', 'recall', 'auc' or { name, fn })`,
    );
  });
  return { optimizer: o ?? null, ownsOptimizer: typeof config.optimizer === 'string', loss, metrics };
}

/** @internal The optimizer `model.compile` set (null before compile or without one), for callbacks. */
export function compiledOptimizer(model: Module): OptimizerLike | null {
  return (model as unknown as { _compiled: Compiled | null })._compiled?.optimizer ?? null;
}

/** @internal Free the state tensors (Adam's moments, …) of an optimizer that compile created from its name. */
export function releaseCompiled(c: Compiled | null): void {
  const state = (c?.ownsOptimizer ? c.optimizer : null) as { state?: Map<unknown, Record<string, unknown>> } | null;
  if (!(state?.state instanceof Map)) return;
  for (const s of state.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
  state.state.clear();
}
