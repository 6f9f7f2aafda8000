import { ArgumentError, DTypeError, ShapeError, scope, type Tensor } from '@aimodel/tensor';
import { checkKeys, fmtShape, sameShape } from '../checks';
import { checkFloat, checkNumber, checkTensors } from './checks';
import { type ReductionOptions, reductionOf } from './reduction';

/**
 * Options of {@link nllLoss}.
 * @example
 * ```ts
 * const logProbs = logSoftmax(randn([4, 3]), 1);
 * const target = tensor([0, 2, 1, 2], { dtype: 'int32' });
 * nllLoss(logProbs, target, { weight: tensor([1, 2, 1]), ignoreIndex: 0 });
 * ```
 */
export interface NllLossOptions extends ReductionOptions {
  /** Per-class weights, float32 [C] (default: all 1). */
  weight?: Tensor | null;
  /** Targets equal to this value contribute nothing, not even to the mean's denominator (default −100). */
  ignoreIndex?: number;
}

/**
 * Options of {@link crossEntropy}.
 * @example
 * ```ts
 * const logits = randn([4, 3]);
 * const target = tensor([0, 2, 1, 2], { dtype: 'int32' });
 * crossEntropy(logits, target, { labelSmoothing: 0.1, ignoreIndex: -100 });
 * ```
 */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution: (1 − ε)·target + ε/C (default 0, must be in [0, 1]). */
  labelSmoothing?: number;
}

interface Prepared {
  input: Tensor;
  target: Tensor;
  unbatched: boolean;
  probabilities: boolean;
  reduction: string;
}

/** Validate (input [N, C, d…] or [C]; target indices [N, d…] / [] or probabilities like input). */
function prepare(name: string, input: Tensor, target: Tensor, opts: CrossEntropyOptions, allowProbabilities: boolean): Prepared {
  const reduction = reductionOf(name, opts.reduction);
  const weight = opts.weight ?? null;
  checkTensors(name, { input, target, weight });
  checkFloat(name, input, 'input');
  if (input.ndim === 0) throw new ShapeError(name, `input must be [C] or [N, C, d…], got a 0-d tensor`);
  const unbatched = input.ndim === 1;
  const C = input.shape[unbatched ? 0 : 1];
  if (weight) {
    checkFloat(name, weight, 'weight');
    if (weight.ndim !== 1 || weight.shape[0] !== C) throw new ShapeError(name, `weight must be [${C}] (one per class), got ${fmtShape(weight.shape)}`);
  }
  const indexShape = input.shape.filter((_, i) => i !== (unbatched ? 0 : 1));
  const probabilities = target.dtype === 'float32' && allowProbabilities;
  if (probabilities) {
    if (!sameShape(target.shape, input.shape)) {
      const hint = sameShape(target.shape, indexShape) ? ' (class indices must be int32)' : '';
      throw new ShapeError(name, `probability target ${fmtShape(target.shape)} must match input ${fmtShape(input.shape)}${hint}`);
    }
  } else {
    if (target.dtype !== 'int32') {
      throw new DTypeError(name, `target must be int32 class indices${allowProbabilities ? ' or float32 probabilities' : ''}, got ${target.dtype}`);
    }
    if (!sameShape(target.shape, indexShape)) {
      throw new ShapeError(
        name,
        `target ${fmtShape(target.shape)} does not match input ${fmtShape(input.shape)} (expected class indices of shape ${fmtShape(indexShape)})`,
      );
    }
    checkClassIndices(name, target, C, opts.ignoreIndex ?? -100);
  }
  return {
    input: unbatched ? input.unsqueeze(0) : input,
    target: unbatched ? target.unsqueeze(0) : target,
    unbatched,
    probabilities,
    reduction,
  };
}

/** Class indices must lie in [0, C) or equal ignoreIndex; read on the CPU only (reading elsewhere would sync). */
function checkClassIndices(name: string, target: Tensor, C: number, ignoreIndex: number): void {
  if (target.device !== 'cpu') return;
  for (const v of target.dataSync()) {
    if ((v < 0 || v >= C) && v !== ignoreIndex) {
      throw new ArgumentError(name, `target class ${v} is out of range for ${C} classes (expected 0..${C - 1} or ignoreIndex ${ignoreIndex})`);
    }
  }
}

/** `w` [C] shaped to broadcast along dim 1 of an [N, C, d…] tensor. */
function alongClasses(w: Tensor, ndim: number): Tensor {
  return w.reshape([1, w.shape[0], ...new Array<number>(ndim - 2).fill(1)]);
}

/**
 * Weighted negative log-likelihood of class indices with optional smoothing, from log-probabilities
 * [N, C, d…]: ℓₙ = w_yₙ·(−(1 − ε)·logp[n, yₙ]) − (ε/C)·Σ_c w_c·logp[n, c], 0 where yₙ = ignoreIndex.
 * 'mean' divides the sum by Σₙ w_yₙ over non-ignored targets (PyTorch's normalisation for both terms).
 */
function indexLoss(logp: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number, smoothing: number, reduction: string): Tensor {
  const C = logp.shape[1];
  const valid = target.ne(ignoreIndex);
  const safe = valid.where(target, 0); // ignored targets point at class 0; masked out below
  const picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1);
  const wy = weight ? weight.indexSelect(0, safe.reshape([-1])).reshape(target.shape) : null;
  const targetWeight = valid.where(wy ?? 1, 0);
  let loss = valid.where(wy ? picked.mul(wy).neg() : picked.neg(), 0);
  if (smoothing > 0) {
    const all = weight ? logp.mul(alongClasses(weight, logp.ndim)) : logp;
    const smooth = valid.where(all.sum(1).neg(), 0);
    loss = loss.mul(1 - smoothing).add(smooth.mul(smoothing / C));
  }
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'mean') return loss.sum().div(targetWeight.sum());
  return loss;
}

/** ℓₙ = −Σ_c w_c·t'[n, c]·logp[n, c] with t' = (1 − ε)·t + ε/C; 'mean' divides by N·d… */
function probabilityLoss(logp: Tensor, target: Tensor, weight: Tensor | null, smoothing: number, reduction: string): Tensor {
  const C = logp.shape[1];
  const t = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / C) : target;
  const prod = logp.mul(t);
  const loss = (weight ? prod.mul(alongClasses(weight, logp.ndim)) : prod).sum(1).neg();
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'mean') return loss.mean();
  return loss;
}

function finish(loss: Tensor, p: Prepared): Tensor {
  return p.unbatched && p.reduction === 'none' ? loss.squeeze(0) : loss;
}

/** The options crossEntropy accepts. */
export const CROSS_ENTROPY_KEYS: readonly string[] = ['weight', 'reduction', 'ignoreIndex', 'labelSmoothing'];

/**
 * Cross-entropy between logits and targets, as `torch.nn.functional.cross_entropy`.
 *
 * `input`: logits [N, C], [N, C, d₁, …] (e.g. per pixel) or [C]. `target`: int32 class indices of
 * shape [N, d₁, …] (or [] for a [C] input), or float32 class probabilities of the input's shape.
 * With logp = logSoftmax(input, 1), weights w (default 1), smoothing ε and C classes:
 * - indices: ℓₙ = −w_yₙ·((1 − ε)·logp[n, yₙ]) − (ε/C)·Σ_c w_c·logp[n, c], and ℓₙ = 0 where
 *   yₙ = ignoreIndex; 'mean' = Σ ℓₙ / Σ w_yₙ over the non-ignored targets.
 * - probabilities: ℓₙ = −Σ_c w_c·((1 − ε)·t[n, c] + ε/C)·logp[n, c]; 'mean' = Σ ℓₙ / (N·d₁·…).
 *
 * Output: a scalar, or [N, d₁, …] with `reduction: 'none'`. Class indices are checked to be in
 * range (or equal to ignoreIndex) when the target is on the CPU.
 * @example
 * ```ts
 * const logits = tensor([[2, 0, 0], [0, 1, 0]], { requiresGrad: true });
 * const loss = crossEntropy(logits, tensor([0, 1], { dtype: 'int32' })); // 0.3955
 * loss.backward();
 * crossEntropy(logits, tensor([[0.9, 0.1, 0], [0, 1, 0]]));            // probability targets
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  checkKeys('crossEntropy', opts, CROSS_ENTROPY_KEYS);
  const name = 'crossEntropy';
  const smoothing = opts.labelSmoothing ?? 0;
  checkNumber(name, 'labelSmoothing', smoothing, (e) => e >= 0 && e <= 1, 'in [0, 1]');
  const weight = opts.weight ?? null;
  return scope(() => {
    const p = prepare(name, input, target, opts, true);
    const logp = p.input.logSoftmax(1);
    const loss = p.probabilities
      ? probabilityLoss(logp, p.target, weight, smoothing, p.reduction)
      : indexLoss(logp, p.target, weight, opts.ignoreIndex ?? -100, smoothing, p.reduction);
    return finish(loss, p);
  });
}

/** The options nllLoss accepts. */
export const NLL_LOSS_KEYS: readonly string[] = ['weight', 'reduction', 'ignoreIndex'];

/**
 * Negative log-likelihood of class indices given log-probabilities, as
 * `torch.nn.functional.nll_loss`: ℓₙ = −w_yₙ·input[n, yₙ] (0 where yₙ = ignoreIndex);
 * 'mean' = Σ ℓₙ / Σ w_yₙ over the non-ignored targets.
 *
 * `input`: log-probabilities [N, C], [N, C, d₁, …] or [C]; `target`: int32 [N, d₁, …] (or []).
 * `crossEntropy(x, y)` equals `nllLoss(logSoftmax(x, 1), y)`.
 * @example
 * ```ts
 * const logp = logSoftmax(tensor([[2, 0, 0], [0, 1, 0]]), 1);
 * nllLoss(logp, tensor([0, 1], { dtype: 'int32' })); // 0.3955
 * ```
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  checkKeys('nllLoss', opts, NLL_LOSS_KEYS);
  return scope(() => {
    const p = prepare('nllLoss', input, target, opts, false);
    return finish(indexLoss(p.input, p.target, opts.weight ?? null, opts.ignoreIndex ?? -100, 0, p.reduction), p);
  });
}
