import { ArgumentError, checkOptions, type Module, type Tensor } from '@aimodel/nn';
import { checkAmount, type PruningAmount, prunedCount } from './amount';
import { channelLayout, pickK } from './host';
import { applyPruning, type MaskMethod, type Pruned, resolveParameter } from './state';

/**
 * Options of {@link lnStructured}.
 * @example
 * ```ts
 * const conv = new Conv2d(1, 4, 3);
 * lnStructured(conv, 'weight', 0.5, 2, 0, { importanceScores: tensor([4, 3, 2, 1]).reshape([4, 1, 1, 1]).expand([4, 1, 3, 3]) });
 * ```
 */
export interface LnStructuredOptions {
  /** Scores ranking the slices instead of the weight's own values (same shape). */
  importanceScores?: Tensor;
}

/** The Ln norm of each slice along `dim` (PyTorch's _compute_norm): (Σ|x|ⁿ)^(1/n), max|x| for n = ∞. */
function sliceNorms(values: Float32Array, shape: number[], dim: number, n: number): Float64Array {
  const { channels, inner, outer } = channelLayout(shape, dim);
  const acc = new Float64Array(channels);
  for (let a = 0; a < outer; a++) {
    for (let c = 0; c < channels; c++) {
      const base = (a * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const v = Math.abs(values[base + i]);
        if (n === Number.POSITIVE_INFINITY) acc[c] = Math.max(acc[c], v);
        else acc[c] += n === 1 ? v : n === 2 ? v * v : v ** n;
      }
    }
  }
  if (n !== 1 && n !== Number.POSITIVE_INFINITY) for (let c = 0; c < channels; c++) acc[c] = n === 2 ? Math.sqrt(acc[c]) : acc[c] ** (1 / n);
  return acc;
}

/**
 * Prune whole slices of parameter `name` along `dim` — output channels with `dim` 0 on a Conv2d or
 * Linear weight, input channels with 1 — keeping the slices of largest Ln norm, as PyTorch's
 * `prune.ln_structured`: `amount` of the slices that still have an unpruned entry are pruned
 * (a fraction rounds half to even), the others keep their mask. `n` is the norm's order: 1, 2,
 * any other positive number, or `Infinity` (max |x|); `dim` may be negative. Of slices with equal
 * norms the lower index is kept first (PyTorch's topk leaves ties unordered). Same bookkeeping as
 * {@link l1Unstructured}; returns `module`.
 * @example
 * ```ts
 * const fc = new Linear(2, 3);
 * fc.weight.assign(tensor([[1, 1], [3, 0], [0, 0.5]])); // row L2 norms √2, 3, 0.5
 * lnStructured(fc, 'weight', 1 / 3, 2, 0);
 * fc.weight; // [[1, 1], [3, 0], [0, 0]]
 * lnStructured(fc, 'weight', 0.5, 1, -1); // L1 norms of the original columns: 4 and 1.5 → column 1 goes
 * fc.weight; // [[1, 0], [3, 0], [0, 0]]
 * ```
 */
export function lnStructured<M extends Module, N extends string>(
  module: M,
  name: N,
  amount: PruningAmount,
  n: number,
  dim: number,
  opts: LnStructuredOptions = {},
): M & Pruned<N> {
  const op = 'lnStructured';
  checkOptions(op, opts, ['importanceScores']);
  checkAmount(op, amount);
  if (typeof n !== 'number' || !(n > 0)) throw new ArgumentError(op, `n (the norm's order) must be a positive number or Infinity, got ${String(n)}`);
  const field = resolveParameter(op, module, name);
  const ndim = ((module as unknown as Record<string, Tensor>)[field] as Tensor).ndim;
  if (!Number.isInteger(dim) || dim < -ndim || dim >= ndim) {
    throw new ArgumentError(op, `dim ${String(dim)} is out of range for the ${ndim}-D parameter '${name}' (expected ${-ndim} to ${ndim - 1})`);
  }
  const d = dim < 0 ? dim + ndim : dim;
  const method: MaskMethod = {
    name: op,
    type: 'structured',
    dim: d,
    computeMask(values, shape, defaultMask) {
      const channels = shape[d];
      const toPrune = prunedCount(op, amount, channels);
      if (toPrune === 0) return Float32Array.from(defaultMask);
      const keep = new Set(pickK(sliceNorms(values, shape, d, n), channels - toPrune, 'largest'));
      const { inner, outer } = channelLayout(shape, d);
      const mask = new Float32Array(defaultMask.length);
      for (let a = 0; a < outer; a++) {
        for (const c of keep) {
          const base = (a * channels + c) * inner;
          for (let i = 0; i < inner; i++) mask[base + i] = defaultMask[base + i];
        }
      }
      return mask;
    },
  };
  applyPruning(op, module, field, method, { importance: opts.importanceScores });
  return module as M & Pruned<N>;
}
