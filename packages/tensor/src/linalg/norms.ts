import { ArgumentError, checkOptions, DTypeError } from '../errors';
import { scope } from '../memory';
import { checkInputs } from '../ops/define-op';
import { div, where } from '../ops/elementwise';
import type { Dim, Tensor } from '../tensor';
import { checkMatrix, svd, svdvals } from './decompositions';

/**
 * Norms (composites of elementwise ops and reductions, so they run and differentiate on every
 * backend, except the spectral ones, which need the SVD) and the pseudo-inverse.
 */

/**
 * Options of `linalg.vectorNorm`.
 * @example
 * ```ts
 * linalg.vectorNorm(tensor([[3, 4], [6, 8]]), { ord: 2, dim: 1, keepdim: true }); // [[5], [10]]
 * ```
 */
export interface VectorNormOptions {
  /** The order p: any number, `Infinity` (max |x|), `-Infinity` (min |x|) or 0 (count of non-zeros); default 2. */
  ord?: number;
  /** Dims to reduce (all when omitted). */
  dim?: Dim;
  /** Keep reduced dims with size 1 (default false). */
  keepdim?: boolean;
}

const VECTOR_KEYS = ['ord', 'dim', 'keepdim'];

/**
 * The vector p-norm (`torch.linalg.vector_norm`): (Σ|x|ᵖ)^(1/p) over `dim` (all elements when
 * omitted). Differentiable (at 0 the 2-norm's gradient is NaN-free only off zero, as PyTorch's).
 * @example
 * ```ts
 * linalg.vectorNorm(tensor([3, -4]));                      // 5
 * linalg.vectorNorm(tensor([[1, -2], [3, 0]]), { ord: 1, dim: 1 }); // [3, 3]
 * linalg.vectorNorm(tensor([1, -7, 2]), { ord: Infinity }); // 7
 * ```
 */
export function vectorNorm(x: Tensor, opts: VectorNormOptions = {}): Tensor {
  checkOptions('linalg.vectorNorm', opts, VECTOR_KEYS);
  checkInputs('linalg.vectorNorm', [x]);
  const ord = opts.ord ?? 2;
  if (typeof ord !== 'number' || Number.isNaN(ord)) throw new ArgumentError('linalg.vectorNorm', `ord must be a number (or ±Infinity), got ${String(ord)}`);
  if (x.dtype !== 'float32') throw new DTypeError('linalg.vectorNorm', `expected a float32 tensor, got ${x.dtype} (convert with x.to('float32'))`);
  const r = { dim: opts.dim, keepdim: opts.keepdim ?? false };
  return scope(() => {
    const a = x.abs();
    if (ord === Infinity) return a.max(r);
    if (ord === -Infinity) return a.min(r);
    if (ord === 0) return a.ne(0).to('float32').sum(r);
    if (ord === 1) return a.sum(r);
    // the root through `where`, so a zero vector's gradient is 0 (as PyTorch's) instead of 0·∞ = NaN
    const root = (sum: Tensor, f: (t: Tensor) => Tensor) => {
      const positive = sum.ne(0); // NaN ≠ 0: a NaN input stays NaN
      return where(positive, f(where(positive, sum, 1)), 0);
    };
    if (ord === 2) return root(a.mul(a).sum(r), (t) => t.sqrt());
    return root(a.pow(ord).sum(r), (t) => t.pow(1 / ord));
  });
}

/**
 * Options of `linalg.matrixNorm`.
 * @example
 * ```ts
 * linalg.matrixNorm(tensor([[1, 2], [3, 4]]), { ord: Infinity, keepdim: false }); // 7
 * ```
 */
export interface MatrixNormOptions {
  /** 'fro' (default), 'nuc' (sum of singular values), 2 / −2 (largest / smallest singular value), 1 / −1 (max / min column sum of |a|), Infinity / −Infinity (max / min row sum). */
  ord?: 'fro' | 'nuc' | number;
  /** Keep the two reduced dims with size 1 (default false). */
  keepdim?: boolean;
}

/**
 * Matrix norm over the last two dims (`torch.linalg.matrix_norm`). 'nuc' and ±2 use the SVD
 * (CPU tensors); the others are composites that run on every backend.
 * @example
 * ```ts
 * linalg.matrixNorm(tensor([[1, 2], [3, 4]]));              // √30 ≈ 5.4772
 * linalg.matrixNorm(tensor([[1, -2], [3, 4]]), { ord: 1 }); // 6 (largest column sum of |a|)
 * ```
 */
export function matrixNorm(a: Tensor, opts: MatrixNormOptions = {}): Tensor {
  checkOptions('linalg.matrixNorm', opts, ['ord', 'keepdim']);
  checkInputs('linalg.matrixNorm', [a]);
  const ord = opts.ord ?? 'fro';
  const keepdim = opts.keepdim ?? false;
  if (a.dtype !== 'float32') throw new DTypeError('linalg.matrixNorm', `expected a float32 tensor, got ${a.dtype} (convert with a.to('float32'))`);
  if (a.ndim < 2) throw new ArgumentError('linalg.matrixNorm', `expected a matrix or a batch of matrices [..., m, n], got shape [${a.shape.join(', ')}]`);
  const keep = (t: Tensor) => (keepdim ? t.unsqueeze(-1).unsqueeze(-1) : t);
  return scope(() => {
    if (ord === 'fro') return vectorNorm(a, { dim: [-2, -1], keepdim });
    if (ord === 'nuc') return keep(svdvals(a).sum(-1));
    if (ord === 2 || ord === -2) {
      checkMatrix('linalg.matrixNorm', a);
      const s = svdvals(a);
      return keep(ord === 2 ? s.max(-1) : s.min(-1));
    }
    const abs = a.abs();
    if (ord === 1 || ord === -1) {
      const cols = abs.sum({ dim: -2, keepdim });
      return ord === 1 ? cols.max({ dim: -1, keepdim }) : cols.min({ dim: -1, keepdim });
    }
    if (ord === Infinity || ord === -Infinity) {
      const rows = abs.sum({ dim: -1, keepdim });
      const dim = keepdim ? -2 : -1;
      return ord === Infinity ? rows.max({ dim, keepdim }) : rows.min({ dim, keepdim });
    }
    throw new ArgumentError('linalg.matrixNorm', `unknown ord ${String(ord)} (expected 'fro', 'nuc', 2, -2, 1, -1, Infinity or -Infinity)`);
  });
}

/**
 * Moore–Penrose pseudo-inverse from the SVD (`torch.linalg.pinv`): singular values at most
 * `rtol`·σ_max are treated as zero (default rtol = float32 eps · max(m, n), as PyTorch).
 * @example
 * ```ts
 * linalg.pinv(tensor([[1, 0], [0, 0]])); // [[1, 0], [0, 0]]
 * ```
 */
export function pinv(a: Tensor, opts: { rtol?: number } = {}): Tensor {
  checkOptions('linalg.pinv', opts, ['rtol']);
  const [, m, n] = checkMatrix('linalg.pinv', a);
  const rtol = opts.rtol ?? 1.1920928955078125e-7 * Math.max(m, n);
  return scope(() => {
    const { U, S, Vh } = svd(a);
    const cutoff = S.max({ dim: -1, keepdim: true }).mul(rtol);
    const keep = S.gt(cutoff);
    const sInv = where(keep, div(1, where(keep, S, 1)), 0);
    return Vh.transpose(-1, -2).mul(sInv.unsqueeze(-2)).matmul(U.transpose(-1, -2));
  });
}
