import { DTypeError, ShapeError, scope, type Tensor } from '@aimodel/tensor';
import { checkKeys, fmtShape, sameShape } from '../checks';
import { checkFloat, checkNumber, checkSameShape, checkTensors } from './checks';
import { applyReduction, type ReductionOptions, reductionOf } from './reduction';

// Keras's cross-entropies, on probabilities by default (the output of a softmax or sigmoid layer),
// with the class axis last. They follow Keras's definitions (keras/src/backend/torch/nn.py): the
// probabilities are renormalised to sum to 1 and clipped to [ε, 1 − ε] with ε = 1e-7 (Keras's
// backend epsilon) before the log, so a saturated output costs at most −log ε ≈ 16.1, not ∞.

/** Keras's backend epsilon, the clipping bound of its probability losses. */
const EPSILON = 1e-7;

/**
 * Options of {@link categoricalCrossentropy} and {@link sparseCategoricalCrossentropy}.
 * @example
 * ```ts
 * const logits = randn([4, 3]);
 * sparseCategoricalCrossentropy(logits, tensor([0, 2, 1, 2], { dtype: 'int32' }), { fromLogits: true });
 * ```
 */
export interface KerasCrossentropyOptions extends ReductionOptions {
  /** The predictions are logits, not probabilities (default false, as Keras). */
  fromLogits?: boolean;
}

/** Log-probabilities along the last axis: log_softmax of logits, or log(clip(p / Σp, ε, 1 − ε)). */
function logProbabilities(prediction: Tensor, fromLogits: boolean): Tensor {
  if (fromLogits) return prediction.logSoftmax(-1);
  return prediction
    .div(prediction.sum(-1, { keepdim: true }))
    .clamp(EPSILON, 1 - EPSILON)
    .log();
}

function checkPrediction(name: string, prediction: Tensor): void {
  checkFloat(name, prediction, 'prediction');
  if (prediction.ndim === 0) throw new ShapeError(name, 'prediction must have a class axis (last), got a 0-d tensor');
}

/**
 * Keras's `categorical_crossentropy`: ℓₙ = −Σ_c targetₙ,c · log pₙ,c over the last (class) axis,
 * with p the predicted probabilities renormalised and clipped to [1e-7, 1 − 1e-7] (Keras's
 * epsilon), then averaged over the samples. Prediction [N, C] (or [N, …, C]) of probabilities,
 * e.g. after a Softmax layer (or logits with `fromLogits`); target one-hot or probabilities of the
 * same shape. For logits and class indices PyTorch-style, see {@link crossEntropy}.
 * @example
 * ```ts
 * categoricalCrossentropy(tensor([[0.7, 0.2, 0.1]]), tensor([[1, 0, 0]])); // −log 0.7 ≈ 0.3567
 * ```
 */
export function categoricalCrossentropy(prediction: Tensor, target: Tensor, opts: KerasCrossentropyOptions = {}): Tensor {
  const name = 'categoricalCrossentropy';
  checkKeys(name, opts, ['fromLogits', 'reduction']);
  const reduction = reductionOf(name, opts.reduction);
  checkTensors(name, { prediction, target });
  checkPrediction(name, prediction);
  checkFloat(name, target, 'target');
  checkSameShape(name, prediction, target, ['prediction', 'target']);
  return scope(() =>
    applyReduction(
      target
        .mul(logProbabilities(prediction, opts.fromLogits ?? false))
        .sum(-1)
        .neg(),
      reduction,
    ),
  );
}

/**
 * Keras's `sparse_categorical_crossentropy`: ℓₙ = −log pₙ,yₙ with p as in
 * {@link categoricalCrossentropy} (renormalised, clipped to [1e-7, 1 − 1e-7]; or log-softmax with
 * `fromLogits`), averaged over the samples. Prediction [N, C] (or [N, …, C]); target class indices
 * [N] (or [N, …]), int32 or integer-valued float32 (Keras accepts float labels).
 * @example
 * ```ts
 * sparseCategoricalCrossentropy(tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]), tensor([0, 2], { dtype: 'int32' }));
 * // (−log 0.7 − log 0.8) / 2 ≈ 0.2899
 * ```
 */
export function sparseCategoricalCrossentropy(prediction: Tensor, target: Tensor, opts: KerasCrossentropyOptions = {}): Tensor {
  const name = 'sparseCategoricalCrossentropy';
  checkKeys(name, opts, ['fromLogits', 'reduction']);
  const reduction = reductionOf(name, opts.reduction);
  checkTensors(name, { prediction, target });
  checkPrediction(name, prediction);
  if (target.dtype !== 'int32' && target.dtype !== 'float32')
    throw new DTypeError(name, `target must be class indices (int32 or float32), got ${target.dtype}`);
  const indexShape = prediction.shape.slice(0, -1);
  const squeezable = target.ndim === prediction.ndim && target.shape.at(-1) === 1 && sameShape(target.shape.slice(0, -1), indexShape);
  if (!squeezable && !sameShape(target.shape, indexShape)) {
    throw new ShapeError(
      name,
      `target ${fmtShape(target.shape)} does not match prediction ${fmtShape(prediction.shape)} (expected class indices ${fmtShape(indexShape)})`,
    );
  }
  const C = prediction.shape.at(-1) as number;
  if (target.device === 'cpu') {
    for (const v of target.dataSync()) {
      if (!(Number.isInteger(v) && v >= 0 && v < C)) throw new ShapeError(name, `target class ${v} is out of range for ${C} classes (expected 0..${C - 1})`);
    }
  }
  return scope(() => {
    const index = (target.dtype === 'int32' ? target : target.to('int32')).reshape([...indexShape, 1]);
    const logp = logProbabilities(prediction, opts.fromLogits ?? false);
    return applyReduction(logp.gather(-1, index).squeeze(-1).neg(), reduction);
  });
}

/**
 * @internal Keras's `binary_crossentropy` on probabilities: p clipped to [1e-7, 1 − 1e-7], then
 * −(t·log p + (1 − t)·log(1 − p)), averaged over all elements (Keras averages the last axis, then
 * the samples: the same mean). The `'binary_crossentropy'` string of `compile` uses it.
 */
export function kerasBinaryCrossentropy(prediction: Tensor, target: Tensor): Tensor {
  const name = 'binary_crossentropy';
  checkTensors(name, { prediction, target });
  checkFloat(name, prediction, 'prediction');
  checkFloat(name, target, 'target');
  const shapeOk = sameShape(prediction.shape, target.shape) || (prediction.numel() === target.numel() && prediction.shape[0] === target.shape[0]);
  if (!shapeOk) throw new ShapeError(name, `prediction ${fmtShape(prediction.shape)} and target ${fmtShape(target.shape)} differ`);
  checkNumber(name, 'prediction size', prediction.numel(), (n) => n > 0, 'at least one element');
  return scope(() => {
    const p = prediction.clamp(EPSILON, 1 - EPSILON);
    const t = target.reshape(prediction.shape);
    const loss = t.mul(p.log()).add(t.neg().add(1).mul(p.neg().add(1).log()));
    return loss.mean().neg();
  });
}
