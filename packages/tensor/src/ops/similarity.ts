import { ArgumentError, checkOptions, DTypeError, ShapeError } from '../errors';
import { vectorNorm } from '../linalg/norms';
import { scope } from '../memory';
import { broadcastShapes, fmt, normDim } from '../shape';
import type { Dim, Tensor } from '../tensor';
import { checkInputs } from './define-op';
import { maximum } from './elementwise';

/** Norms, cosine similarity, normalisation and pairwise distances: composites that run and differentiate on every backend. */

/**
 * Options of {@link norm}.
 * @example
 * ```ts
 * norm(tensor([[1, 2], [3, 4]]), { p: 1, dim: 0, keepdim: true }); // [[4, 6]]
 * ```
 */
export interface NormOptions {
  /** The order p (default 2; `Infinity`, `-Infinity` and 0 as in `linalg.vectorNorm`). */
  p?: number;
  /** Dims to reduce (all when omitted). */
  dim?: Dim;
  /** Keep reduced dims with size 1 (default false). */
  keepdim?: boolean;
}

/**
 * The p-norm of the elements over `dim` (`torch.norm` for vectors; the same as
 * `linalg.vectorNorm` with `ord: p`).
 * @example
 * ```ts
 * norm(tensor([3, 4]));                              // 5
 * norm(tensor([[1, 2], [3, 4]]), { p: 1, dim: 1 });  // [3, 7]
 * ```
 */
export function norm(x: Tensor, opts: NormOptions = {}): Tensor {
  checkOptions('norm', opts, ['p', 'dim', 'keepdim']);
  return vectorNorm(x, { ord: opts.p ?? 2, dim: opts.dim, keepdim: opts.keepdim });
}

/**
 * Options of {@link cosineSimilarity}.
 * @example
 * ```ts
 * cosineSimilarity(tensor([1, 0]), tensor([1, 1]), { dim: 0, eps: 1e-6 }); // ≈ 0.7071
 * ```
 */
export interface CosineSimilarityOptions {
  /** The dim along which vectors lie (default 1, as PyTorch). */
  dim?: number;
  /** Floor on the product of norms (default 1e-8). */
  eps?: number;
}

/**
 * Cosine similarity along `dim` after broadcasting (`torch.nn.functional.cosine_similarity`):
 * Σ a·b / √max(‖a‖²·‖b‖², eps²), PyTorch's formula.
 * @example
 * ```ts
 * cosineSimilarity(tensor([[1, 0], [1, 1]]), tensor([[1, 0], [-1, 1]])); // [1, 0]
 * ```
 */
export function cosineSimilarity(a: Tensor, b: Tensor, opts: CosineSimilarityOptions = {}): Tensor {
  checkOptions('cosineSimilarity', opts, ['dim', 'eps']);
  checkInputs('cosineSimilarity', [a, b]);
  for (const t of [a, b]) if (t.dtype !== 'float32') throw new DTypeError('cosineSimilarity', `expected float32 tensors, got ${t.dtype}`);
  const shape = broadcastShapes('cosineSimilarity', a.shape, b.shape);
  const dim = normDim('cosineSimilarity', opts.dim ?? 1, shape.length);
  const eps = opts.eps ?? 1e-8;
  if (!(eps >= 0)) throw new ArgumentError('cosineSimilarity', `eps must be ≥ 0, got ${eps}`);
  return scope(() => {
    const ea = a.expand(shape);
    const eb = b.expand(shape);
    const dot = ea.mul(eb).sum(dim);
    const na = ea.mul(ea).sum(dim);
    const nb = eb.mul(eb).sum(dim);
    return dot.div(maximum(na.mul(nb), eps * eps).sqrt());
  });
}

/**
 * Options of {@link normalize}.
 * @example
 * ```ts
 * normalize(tensor([1, 1]), { p: 1, dim: 0 }); // [0.5, 0.5]
 * ```
 */
export interface NormalizeOptions {
  /** The norm's order (default 2). */
  p?: number;
  /** The dim normalised (default 1, as PyTorch). */
  dim?: number;
  /** Floor on the norm (default 1e-12). */
  eps?: number;
}

/**
 * x / max(‖x‖ₚ, eps) along `dim` (`torch.nn.functional.normalize`).
 * @example
 * ```ts
 * normalize(tensor([[3, 4], [0, 0]]));  // [[0.6, 0.8], [0, 0]]
 * ```
 */
export function normalize(x: Tensor, opts: NormalizeOptions = {}): Tensor {
  checkOptions('normalize', opts, ['p', 'dim', 'eps']);
  checkInputs('normalize', [x]);
  const dim = normDim('normalize', opts.dim ?? 1, Math.max(1, x.ndim));
  const eps = opts.eps ?? 1e-12;
  return scope(() => x.div(maximum(vectorNorm(x, { ord: opts.p ?? 2, dim, keepdim: true }), eps)));
}

/**
 * Pairwise p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M] → [..., P, R]
 * (`torch.cdist`, computed directly: exact, O(P·R·M) memory).
 * @example
 * ```ts
 * cdist(tensor([[0, 0], [1, 1]]), tensor([[3, 4]])); // [[5], [3.6056]]
 * ```
 */
export function cdist(x1: Tensor, x2: Tensor, opts: { p?: number } = {}): Tensor {
  checkOptions('cdist', opts, ['p']);
  checkInputs('cdist', [x1, x2]);
  if (x1.ndim < 2 || x2.ndim < 2 || x1.shape.at(-1) !== x2.shape.at(-1))
    throw new ShapeError('cdist', `expected [..., P, M] and [..., R, M] with the same M, got ${fmt(x1.shape)} and ${fmt(x2.shape)}`);
  const p = opts.p ?? 2;
  if (!(p >= 0)) throw new ArgumentError('cdist', `p must be ≥ 0, got ${p}`);
  return scope(() => vectorNorm(x1.unsqueeze(-2).sub(x2.unsqueeze(-3)), { ord: p, dim: -1 }));
}
