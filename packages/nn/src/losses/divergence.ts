import { DTypeError, ShapeError, scope, type Tensor } from '@aimodel/tensor';
import { checkKeys, fmtShape } from '../checks';
import { checkFloat, checkNumber, checkSameShape, checkTensors } from './checks';
import { applyReduction, type ReductionOptions, reductionOf } from './reduction';

/**
 * Options of {@link klDiv}.
 * @example
 * ```ts
 * const student = randn([4, 10]);
 * const teacher = randn([4, 10]);
 * klDiv(logSoftmax(student, 1), logSoftmax(teacher, 1), { reduction: 'batchmean', logTarget: true });
 * ```
 */
export interface KlDivOptions {
  /**
   * `'mean'` (default, over all elements, as PyTorch), `'batchmean'` (sum / batch size — the
   * true KL divergence per sample), `'sum'` or `'none'`.
   */
  reduction?: 'mean' | 'batchmean' | 'sum' | 'none';
  /** The target is given as log-probabilities (default false: probabilities). */
  logTarget?: boolean;
}

/** The options klDiv accepts. */
export const KL_DIV_KEYS: readonly string[] = ['reduction', 'logTarget'];

/**
 * Kullback–Leibler divergence D(target ‖ input) pointwise, as `torch.nn.functional.kl_div`:
 * `input` holds log-probabilities q; ℓᵢ = tᵢ·(log tᵢ − qᵢ) (0 where tᵢ = 0), or with
 * `logTarget`, ℓᵢ = e^tᵢ·(tᵢ − qᵢ). Same shapes. Use `reduction: 'batchmean'` for the
 * mathematical KL divergence averaged over the batch (dim 0).
 * @example
 * ```ts
 * const q = tensor([[0.25, 0.75]]).log();
 * klDiv(q, tensor([[0.5, 0.5]]), { reduction: 'batchmean' }); // 0.5·ln 2 + 0.5·ln(2/3) = 0.1438
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, opts: KlDivOptions = {}): Tensor {
  checkKeys('klDiv', opts, KL_DIV_KEYS);
  const name = 'klDiv';
  const reduction = reductionOf(name, opts.reduction, ['mean', 'batchmean', 'sum', 'none']);
  checkTensors(name, { input, target });
  checkFloat(name, input, 'input');
  checkFloat(name, target, 'target');
  checkSameShape(name, input, target);
  return scope(() => {
    let loss: Tensor;
    if (opts.logTarget) {
      loss = target.exp().mul(target.sub(input));
    } else {
      // t·log t with 0·log 0 = 0 (xlogy); log(1) = 0 keeps the gradient finite where t = 0
      const tLogT = target.mul(target.eq(0).where(1, target).log());
      loss = tLogT.sub(target.mul(input));
    }
    if (reduction === 'batchmean') return input.ndim === 0 ? loss.sum() : loss.sum().div(input.shape[0]);
    return applyReduction(loss, reduction);
  });
}

/**
 * Options of {@link cosineEmbeddingLoss}.
 * @example
 * ```ts
 * const a = randn([2, 8]);
 * const b = randn([2, 8]);
 * const y = tensor([1, -1]);
 * cosineEmbeddingLoss(a, b, y, { margin: 0.5 });
 * ```
 */
export interface CosineEmbeddingLossOptions extends ReductionOptions {
  /** Dissimilar pairs are penalised only while their cosine exceeds this (default 0; [−1, 1] is sensible). */
  margin?: number;
}

const EPS = 1e-12; // added to each squared norm, as PyTorch

/** The options cosineEmbeddingLoss accepts. */
export const COSINE_EMBEDDING_LOSS_KEYS: readonly string[] = ['margin', 'reduction'];

/**
 * Cosine embedding loss, as `torch.nn.functional.cosine_embedding_loss`: with
 * cos = Σ x₁x₂ / √((Σ x₁² + ε)(Σ x₂² + ε)) along the last dim,
 * ℓₙ = 1 − cos if yₙ = 1, max(0, cos − margin) if yₙ = −1 (and 0 for other labels).
 * `x1`, `x2`: float32 [N, D] (or [D]); `y`: [N] (or []) of 1 / −1, float32 or int32.
 * @example
 * ```ts
 * const a = tensor([[1, 0], [1, 0]]);
 * const b = tensor([[1, 1], [0, 1]]);
 * cosineEmbeddingLoss(a, b, tensor([1, -1])); // ((1 − 0.7071) + max(0, 0)) / 2 = 0.1464
 * ```
 */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, y: Tensor, opts: CosineEmbeddingLossOptions = {}): Tensor {
  checkKeys('cosineEmbeddingLoss', opts, COSINE_EMBEDDING_LOSS_KEYS);
  const name = 'cosineEmbeddingLoss';
  const reduction = reductionOf(name, opts.reduction);
  const margin = opts.margin ?? 0;
  checkNumber(name, 'margin', margin, Number.isFinite, 'a finite number');
  checkTensors(name, { x1, x2, y });
  checkFloat(name, x1, 'x1');
  checkFloat(name, x2, 'x2');
  checkSameShape(name, x1, x2, ['x1', 'x2']);
  if (x1.ndim !== 1 && x1.ndim !== 2) throw new ShapeError(name, `x1 and x2 must be [N, D] or [D], got ${fmtShape(x1.shape)}`);
  const expected = x1.shape.slice(0, -1);
  if (y.ndim !== expected.length || (expected.length === 1 && y.shape[0] !== expected[0])) {
    throw new ShapeError(name, `y ${fmtShape(y.shape)} must be ${fmtShape(expected)} for inputs ${fmtShape(x1.shape)}`);
  }
  if (y.dtype !== 'float32' && y.dtype !== 'int32') throw new DTypeError(name, `y must be float32 or int32 (1 or −1), got ${y.dtype}`);
  return scope(() => {
    const dot = x1.mul(x2).sum(-1);
    const norms = x1.mul(x1).sum(-1).add(EPS).mul(x2.mul(x2).sum(-1).add(EPS)).sqrt();
    const cos = dot.div(norms);
    const loss = y
      .eq(1)
      .where(cos.neg().add(1), 0)
      .add(y.eq(-1).where(cos.sub(margin).clamp(0), 0));
    return applyReduction(loss, reduction);
  });
}
