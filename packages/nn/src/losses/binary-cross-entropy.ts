import { ArgumentError, scope, type Tensor } from '@aimodel/tensor';
import { checkKeys } from '../checks';
import { checkBroadcastsTo, checkFloat, checkSameShape, checkTensors } from './checks';
import { applyReduction, type ReductionOptions, reductionOf } from './reduction';

/**
 * Options of {@link binaryCrossEntropy}.
 * @example
 * ```ts
 * const probs = tensor([0.9, 0.2]);
 * const target = tensor([1, 0]);
 * binaryCrossEntropy(probs, target, { weight: tensor([1, 2]) });
 * ```
 */
export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** Per-element rescaling weight, broadcast to the input's shape (default none). */
  weight?: Tensor | null;
}

/**
 * Options of {@link binaryCrossEntropyWithLogits}.
 * @example
 * ```ts
 * const logits = tensor([2.2, -1.4]);
 * const target = tensor([1, 0]);
 * binaryCrossEntropyWithLogits(logits, target, { posWeight: tensor([3]) }); // favour recall
 * ```
 */
export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of the positive term, broadcast along the input (usually one per class, [C]; default none). */
  posWeight?: Tensor | null;
}

function checkBinary(name: string, input: Tensor, target: Tensor, opts: BinaryCrossEntropyWithLogitsOptions): string {
  const reduction = reductionOf(name, opts.reduction);
  const weight = opts.weight ?? null;
  const posWeight = opts.posWeight ?? null;
  checkTensors(name, { input, target, weight, posWeight });
  checkFloat(name, input, 'input');
  checkFloat(name, target, 'target');
  checkSameShape(name, input, target);
  if (weight) {
    checkFloat(name, weight, 'weight');
    checkBroadcastsTo(name, weight, input.shape, 'weight');
  }
  if (posWeight) {
    checkFloat(name, posWeight, 'posWeight');
    checkBroadcastsTo(name, posWeight, input.shape, 'posWeight');
  }
  return reduction;
}

/** log(x) clamped below at −100 as PyTorch, with a zero (not NaN) gradient where x = 0. */
function clampedLog(x: Tensor): Tensor {
  const positive = x.gt(0);
  return positive.where(positive.where(x, 1).log(), -100).clamp(-100);
}

/** The options binaryCrossEntropy accepts. */
export const BCE_KEYS: readonly string[] = ['weight', 'reduction'];

/**
 * Binary cross-entropy between probabilities and targets, as
 * `torch.nn.functional.binary_cross_entropy`:
 * ℓᵢ = −wᵢ·(yᵢ·log xᵢ + (1 − yᵢ)·log(1 − xᵢ)), each log clamped at −100 so that ℓ stays finite
 * for x ∈ {0, 1}. `input` holds probabilities in [0, 1] (checked on the CPU); `target` has the
 * same shape (values in [0, 1]). Prefer {@link binaryCrossEntropyWithLogits} on raw scores: it
 * is numerically stable.
 * @example
 * ```ts
 * binaryCrossEntropy(tensor([0.8, 0.4]), tensor([1, 0])); // −(log 0.8 + log 0.6) / 2 = 0.3670
 * ```
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BinaryCrossEntropyOptions = {}): Tensor {
  checkKeys('binaryCrossEntropy', opts, BCE_KEYS);
  const name = 'binaryCrossEntropy';
  const reduction = checkBinary(name, input, target, { ...opts, posWeight: null });
  if (input.device === 'cpu') {
    for (const v of input.dataSync()) {
      if (!(v >= 0 && v <= 1))
        throw new ArgumentError(name, `input must hold probabilities in [0, 1], got ${v} (use binaryCrossEntropyWithLogits for raw scores)`);
    }
  }
  return scope(() => {
    const pos = target.mul(clampedLog(input));
    const neg = target
      .neg()
      .add(1)
      .mul(clampedLog(input.neg().add(1)));
    const loss = pos.add(neg).neg();
    return applyReduction(opts.weight ? loss.mul(opts.weight) : loss, reduction);
  });
}

/** The options binaryCrossEntropyWithLogits accepts. */
export const BCE_WITH_LOGITS_KEYS: readonly string[] = ['weight', 'posWeight', 'reduction'];

/**
 * Binary cross-entropy on logits (sigmoid and BCE in one stable step), as
 * `torch.nn.functional.binary_cross_entropy_with_logits`:
 * ℓᵢ = −wᵢ·(pᵢ·yᵢ·log σ(xᵢ) + (1 − yᵢ)·log(1 − σ(xᵢ))), computed as
 * wᵢ·((1 − yᵢ)·xᵢ + (1 + (pᵢ − 1)·yᵢ)·softplus(−xᵢ)) with softplus(−x) = log(1 + e⁻ˣ) for x ≥ 0
 * and −x + log(1 + eˣ) for x < 0, so no exponential overflows. `p` = posWeight (default 1),
 * `w` = weight (default 1); `target` has the input's shape.
 * @example
 * ```ts
 * binaryCrossEntropyWithLogits(tensor([0, 2]), tensor([1, 0])); // (0.6931 + 2.1269) / 2 = 1.4100
 * ```
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  checkKeys('binaryCrossEntropyWithLogits', opts, BCE_WITH_LOGITS_KEYS);
  const reduction = checkBinary('binaryCrossEntropyWithLogits', input, target, opts);
  return scope(() => {
    // The branch choice at x = 0 keeps the gradient exact there (−½), unlike relu/abs splits.
    const negative = input.lt(0);
    const minusAbs = negative.where(input, input.neg());
    const softplusNeg = negative.where(input.neg(), 0).add(minusAbs.exp().add(1).log());
    const posTerm = opts.posWeight ? target.mul(opts.posWeight.sub(1)).add(1) : null;
    let loss = target
      .neg()
      .add(1)
      .mul(input)
      .add(posTerm ? posTerm.mul(softplusNeg) : softplusNeg);
    if (opts.weight) loss = loss.mul(opts.weight);
    return applyReduction(loss, reduction);
  });
}
