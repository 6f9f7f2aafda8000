import { Adagrad, Adam, AdamW, RMSprop, SGD } from '@aimodel/optim';
import { ArgumentError, noGrad, ShapeError, scope, type Tensor, tensor, where } from '@aimodel/tensor';
import { fmtShape, sameShape } from '../checks';
import { categoricalCrossentropy, kerasBinaryCrossentropy, sparseCategoricalCrossentropy } from '../losses/keras';
import { l1Loss, mseLoss } from '../losses/regression';
import type { Parameter } from '../parameter';

// The strings Keras's compile accepts, resolved to our optimizers, losses and metrics.

/**
 * Optimizer names accepted by {@link Module.compile}, created over the model's parameters with
 * Keras's defaults: `'sgd'` lr 0.01; `'adam'` lr 0.001, ε 1e-7; `'adamw'` lr 0.001, ε 1e-7,
 * weight decay 0.004; `'rmsprop'` lr 0.001, ρ (alpha) 0.9, ε 1e-7; `'adagrad'` lr 0.001, initial
 * accumulator 0.1, ε 1e-7. The updates are @aimodel/optim's (PyTorch's rules; Adam adds ε after
 * the bias correction, Keras before it, a difference of order ε). Pass an optimizer object for
 * other settings.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3), new Softmax(-1));
 * const name: OptimizerName = 'adam';
 * model.compile({ optimizer: name, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
 * ```
 */
export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';

const OPTIMIZERS = {
  sgd: (params) => new SGD(params, { lr: 0.01 }),
  adam: (params) => new Adam(params, { lr: 0.001, eps: 1e-7 }),
  adamw: (params) => new AdamW(params, { lr: 0.001, eps: 1e-7, weightDecay: 0.004 }),
  rmsprop: (params) => new RMSprop(params, { lr: 0.001, alpha: 0.9, eps: 1e-7 }),
  adagrad: (params) => new Adagrad(params, { lr: 0.001, initialAccumulatorValue: 0.1, eps: 1e-7 }),
} satisfies Record<OptimizerName, (params: Parameter[]) => { zeroGrad(): void; step(): void }>;

/**
 * Loss names accepted by {@link Module.compile}, with Keras's semantics: `'mse'`
 * (`'mean_squared_error'`), `'mae'` (`'mean_absolute_error'`), `'categorical_crossentropy'`
 * (probabilities vs one-hot targets, {@link categoricalCrossentropy}),
 * `'sparse_categorical_crossentropy'` (probabilities vs class indices,
 * {@link sparseCategoricalCrossentropy}) and `'binary_crossentropy'` (probabilities vs 0/1
 * targets, clipped to [1e-7, 1 − 1e-7] as Keras). The cross-entropies expect probabilities, as
 * after Keras's softmax/sigmoid output layers: end the model with `Softmax(-1)` or `Sigmoid()`.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 1), new Sigmoid());
 * const loss: LossName = 'binary_crossentropy';
 * model.compile({ optimizer: 'adam', loss, metrics: ['accuracy', 'auc'] });
 * ```
 */
export type LossName =
  | 'mse'
  | 'mean_squared_error'
  | 'mae'
  | 'mean_absolute_error'
  | 'categorical_crossentropy'
  | 'sparse_categorical_crossentropy'
  | 'binary_crossentropy';

const LOSSES = {
  mse: (p, t) => mseLoss(p, t),
  mean_squared_error: (p, t) => mseLoss(p, t),
  mae: (p, t) => l1Loss(p, t),
  mean_absolute_error: (p, t) => l1Loss(p, t),
  categorical_crossentropy: (p, t) => categoricalCrossentropy(p, t),
  sparse_categorical_crossentropy: (p, t) => sparseCategoricalCrossentropy(p, t),
  binary_crossentropy: kerasBinaryCrossentropy,
} satisfies Record<LossName, (prediction: Tensor, target: Tensor) => Tensor>;

/**
 * Metric names accepted by {@link Module.compile} besides `'accuracy'` (and its alias `'acc'`):
 * `'mae'`, `'mse'` (means over the batch), and Keras's binary `'precision'`, `'recall'` (predictions
 * above 0.5 against nonzero targets, of the same shape; 0 when undefined) and `'auc'` (ROC AUC with
 * Keras's 200 thresholds and trapezoidal rule; all elements taken as binary decisions). Each is
 * computed per batch on the device. Precision and recall are averaged weighted by their
 * denominators, which gives the epoch's value exactly as Keras accumulates it; AUC is averaged
 * over batches weighted by their size, whereas Keras accumulates its curve over the epoch (the two
 * agree when one batch holds the data; use {@link rocAuc} on `predict`'s output for the exact
 * value over a dataset).
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 1), new Sigmoid());
 * const metrics: MetricName[] = ['acc', 'precision', 'recall', 'auc'];
 * model.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics });
 * ```
 */
export type MetricName = 'accuracy' | 'acc' | 'mae' | 'mse' | 'precision' | 'recall' | 'auc';

function checkBinaryShapes(name: string, prediction: Tensor, target: Tensor): void {
  if (!sameShape(prediction.shape, target.shape) && !(prediction.numel() === target.numel() && prediction.shape[0] === target.shape[0])) {
    throw new ShapeError(
      name,
      `predictions ${fmtShape(prediction.shape)} and targets ${fmtShape(target.shape)} must have the same shape (binary or multi-label targets)`,
    );
  }
}

/** Predicted positives (p > 0.5) and true positives (target ≠ 0), flattened, as float 0/1. */
function binaryDecisions(name: string, prediction: Tensor, target: Tensor): [Tensor, Tensor] {
  checkBinaryShapes(name, prediction, target);
  const n = prediction.numel();
  return [prediction.reshape([n]).gt(0.5).to('float32'), target.reshape([n]).ne(0).to('float32')];
}

/** a / b, or 0 where b is 0 (Keras's divide_no_nan). */
function divideNoNan(a: Tensor, b: Tensor): Tensor {
  const zero = b.eq(0);
  return where(zero, 0, a.div(where(zero, 1, b)));
}

function batchPrecision(prediction: Tensor, target: Tensor): Tensor {
  return scope(() => {
    const [predicted, truth] = binaryDecisions('precision', prediction, target);
    return divideNoNan(predicted.mul(truth).sum(), predicted.sum());
  });
}

/** Precision's batch weight: its denominator, the predicted positives. */
function predictedPositives(prediction: Tensor, target: Tensor): Tensor {
  return scope(() => binaryDecisions('precision', prediction, target)[0].sum());
}

function batchRecall(prediction: Tensor, target: Tensor): Tensor {
  return scope(() => {
    const [predicted, truth] = binaryDecisions('recall', prediction, target);
    return divideNoNan(predicted.mul(truth).sum(), truth.sum());
  });
}

/** Recall's batch weight: its denominator, the actual positives. */
function actualPositives(prediction: Tensor, target: Tensor): Tensor {
  return scope(() => binaryDecisions('recall', prediction, target)[1].sum());
}

const THRESHOLDS = 200;

/** Keras's AUC (ROC, 200 thresholds [−ε, 1/199, …, 198/199, 1 + ε], trapezoids) of one batch. */
function batchAuc(prediction: Tensor, target: Tensor): Tensor {
  return scope(() => {
    checkBinaryShapes('auc', prediction, target);
    const n = prediction.numel();
    const values = Array.from({ length: THRESHOLDS }, (_, i) => (i === 0 ? -1e-7 : i === THRESHOLDS - 1 ? 1 + 1e-7 : i / (THRESHOLDS - 1)));
    const thresholds = tensor(values, { device: prediction.device }).reshape([1, THRESHOLDS]);
    const above = prediction.reshape([n, 1]).gt(thresholds).to('float32'); // [n, T]
    const truth = target.reshape([n, 1]).ne(0).to('float32');
    const positives = truth.sum();
    const tpr = divideNoNan(above.mul(truth).sum(0), positives); // [T], decreasing in the threshold
    const fpr = divideNoNan(above.mul(truth.neg().add(1)).sum(0), positives.neg().add(n));
    const width = fpr.narrow(0, 0, THRESHOLDS - 1).sub(fpr.narrow(0, 1, THRESHOLDS - 1));
    const height = tpr
      .narrow(0, 0, THRESHOLDS - 1)
      .add(tpr.narrow(0, 1, THRESHOLDS - 1))
      .mul(0.5);
    return width.mul(height).sum();
  });
}

type BatchMetric = (prediction: Tensor, target: Tensor) => Tensor;

/** Each metric's batch value and, for ratios of counts, its batch weight (see fit's averaging). */
const METRICS = {
  mae: { fn: (p, t) => l1Loss(p, t) },
  mse: { fn: (p, t) => mseLoss(p, t) },
  precision: { fn: batchPrecision, weight: predictedPositives },
  recall: { fn: batchRecall, weight: actualPositives },
  auc: { fn: batchAuc },
} satisfies Record<Exclude<MetricName, 'accuracy' | 'acc'>, { fn: BatchMetric; weight?: BatchMetric }>;

/** @internal The optimizer an {@link OptimizerName} stands for, over `params`. */
export function optimizerNamed(name: string, params: Parameter[]): { zeroGrad(): void; step(): void } {
  const make = (OPTIMIZERS as Record<string, (p: Parameter[]) => { zeroGrad(): void; step(): void }>)[name];
  if (!make) throw new ArgumentError('compile', `unknown optimizer '${name}' (expected ${Object.keys(OPTIMIZERS).join(', ')}, or an optimizer object)`);
  if (params.length === 0) throw new ArgumentError('compile', `optimizer '${name}' needs a model with parameters`);
  return make(params);
}

/** @internal The loss a {@link LossName} stands for. */
export function lossNamed(name: string): (prediction: Tensor, target: Tensor) => Tensor {
  const fn = (LOSSES as Record<string, (p: Tensor, t: Tensor) => Tensor>)[name];
  if (!fn) throw new ArgumentError('compile', `unknown loss '${name}' (expected ${Object.keys(LOSSES).join(', ')}, a function or a loss module)`);
  return fn;
}

/** @internal The per-batch metric a {@link MetricName} other than accuracy stands for (and its batch weight), or null. */
export function metricNamed(name: string): { fn: BatchMetric; weight?: BatchMetric } | null {
  const m = (METRICS as Record<string, { fn: BatchMetric; weight?: BatchMetric }>)[name];
  if (!m) return null;
  const weight = m.weight;
  return { fn: (p, t) => noGrad(() => m.fn(p, t)), ...(weight ? { weight: (p: Tensor, t: Tensor) => noGrad(() => weight(p, t)) } : {}) };
}
