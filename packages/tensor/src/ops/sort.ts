import { fromArray, full, zeros } from '../creation';
import { ArgumentError, checkOptions, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { contiguousStrides, fmt, normDim } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp } from './define-op';

/**
 * Sorting along one dim and the order statistics built on it (topk, kthvalue, median, quantile).
 * One op, {@link sort}, dispatches to the backends' stable argsort and gathers the values;
 * the others are composites of it, so every one is stable, NaN-aware and differentiable alike.
 */

interface SortAttrs {
  dim: number;
  descending: boolean;
}

const sortOp = defineOp<SortAttrs, 'indices'>('sort', {
  outputs: ['indices'],
  infer: ([x]) => ({ shape: [...x.shape], dtype: x.dtype, outputs: { indices: { shape: [...x.shape], dtype: 'int32' } } }),
  forward: (be, [x], out, { dim, descending }, shape, { indices }) => {
    be.argsort(x, dim, descending, indices);
    be.gather(x, dim, { storage: indices, shape, strides: contiguousStrides(shape), offset: 0 }, out);
  },
  // values = x permuted along dim by indices: each gradient goes back to its source position
  backward: (gy, [x], _out, { dim }, { indices }) => [() => zeros(x.shape, { device: x.device }).scatterAdd(dim, indices, gy)],
});

/**
 * Options of {@link sort} and {@link argsort}.
 * @example
 * ```ts
 * const opts: SortOptions = { dim: 0, descending: true };
 * sort(tensor([[3, 1], [2, 4]]), opts).values; // [[3, 4], [2, 1]]
 * ```
 */
export interface SortOptions {
  /** The dim to sort along (default −1, the last; negative counts from the end). */
  dim?: number;
  /** Largest first (default false). */
  descending?: boolean;
  /**
   * Equal values keep their input order. Accepted for PyTorch's signature; every sort here is
   * stable, so `false` (the default) gives the stable order too.
   */
  stable?: boolean;
}

/**
 * Values with the int32 positions (along the op's dim) they came from, as `torch.sort`,
 * `torch.topk`, `torch.kthvalue` and `torch.median` return them.
 * @example
 * ```ts
 * const { values, indices }: SortResult = sort(tensor([2, 1]));
 * ```
 */
export interface SortResult {
  values: Tensor;
  indices: Tensor;
}

/** An optional boolean option: `dflt` when undefined. */
export function flag(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ArgumentError(op, `${name} must be a boolean, got ${typeof v} ${String(v)}`);
  return v;
}

function dimOf(op: string, x: Tensor, dim: unknown): number {
  if (dim === undefined) return x.ndim === 0 ? 0 : x.ndim - 1;
  return normDim(op, dim as number, Math.max(x.ndim, 1)); // checks it is an integer
}

function sorted(x: Tensor, dim: number, descending: boolean): SortResult {
  if (x.ndim > 0) {
    const { out, outputs } = sortOp([x], { dim, descending });
    return { values: out, indices: outputs.indices };
  }
  return scope(() => {
    const r = sorted(x.reshape([1]), 0, descending);
    return { values: r.values.reshape([]), indices: r.indices.reshape([]) };
  });
}

/**
 * Sort along `dim` (`torch.sort`): the sorted values and the int32 positions they came from.
 * The sort is stable (equal values keep their input order, ascending and descending alike); NaN
 * orders as the largest value (last ascending, first descending) and −0 equals +0. Values carry
 * the gradient, sent back to the positions they came from. Any dtype; shape unchanged.
 * @example
 * ```ts
 * const { values, indices } = sort(tensor([3, 1, 2, 1]));
 * // values [1, 1, 2, 3], indices [1, 3, 2, 0]
 * sort(tensor([1, NaN, 3]), { descending: true }).values; // [NaN, 3, 1]
 * ```
 */
export function sort(x: Tensor, opts: SortOptions = {}): SortResult {
  checkInputs('sort', [x]);
  checkOptions('sort', opts, ['dim', 'descending', 'stable']);
  flag('sort', 'stable', opts.stable, false);
  return sorted(x, dimOf('sort', x, opts.dim), flag('sort', 'descending', opts.descending, false));
}

/**
 * The int32 positions that sort `x` along `dim` (`torch.argsort`): `sort(x, opts).indices`.
 * @example
 * ```ts
 * argsort(tensor([[3, 1, 2]])); // [[1, 2, 0]]
 * argsort(tensor([[3, 1, 2]]), { descending: true }); // [[0, 2, 1]]
 * ```
 */
export function argsort(x: Tensor, opts: SortOptions = {}): Tensor {
  checkInputs('argsort', [x]);
  checkOptions('argsort', opts, ['dim', 'descending', 'stable']);
  flag('argsort', 'stable', opts.stable, false);
  const { values, indices } = sorted(x, dimOf('argsort', x, opts.dim), flag('argsort', 'descending', opts.descending, false));
  values.dispose();
  return indices;
}

/**
 * Options of {@link topk}.
 * @example
 * ```ts
 * topk(tensor([4, 1, 3]), 2, { largest: false } satisfies TopkOptions).values; // [1, 3]
 * ```
 */
export interface TopkOptions {
  /** The dim to select along (default −1). */
  dim?: number;
  /** The k largest (default true) or the k smallest. */
  largest?: boolean;
  /** Accepted for PyTorch's signature: the k values always come sorted (largest first when `largest`). */
  sorted?: boolean;
}

/** `k` as an integer in [lo, n], else an ArgumentError naming the op. */
function checkK(op: string, k: unknown, lo: number, n: number, x: Tensor, dim: number): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < lo || k > n) {
    throw new ArgumentError(op, `k must be an integer in [${lo}, ${n}] (the size of dim ${dim} of ${fmt(x.shape)}), got ${String(k)}`);
  }
  return k;
}

/**
 * The `k` largest (or smallest) values along `dim` and their int32 positions (`torch.topk`),
 * sorted, ties in input order, NaN counting as the largest. Shape: x's with `dim` of size k.
 * @example
 * ```ts
 * const { values, indices } = topk(tensor([1, 5, 2, 5]), 2);
 * // values [5, 5], indices [1, 3]
 * ```
 */
export function topk(x: Tensor, k: number, opts: TopkOptions = {}): SortResult {
  checkInputs('topk', [x]);
  checkOptions('topk', opts, ['dim', 'largest', 'sorted']);
  const dim = dimOf('topk', x, opts.dim);
  flag('topk', 'sorted', opts.sorted, true);
  const largest = flag('topk', 'largest', opts.largest, true);
  const n = x.ndim === 0 ? 1 : x.shape[dim];
  checkK('topk', k, 0, n, x, dim);
  if (k === n) return sorted(x, dim, largest);
  if (x.ndim === 0) return scope(() => topk(x.reshape([1]), k, { largest })); // k = 0: empty [0]
  return scope(() => {
    const s = sorted(x, dim, largest);
    return { values: s.values.narrow(dim, 0, k).contiguous(), indices: s.indices.narrow(dim, 0, k).contiguous() };
  });
}

/**
 * Options of {@link kthvalue} and {@link median}.
 * @example
 * ```ts
 * kthvalue(tensor([[3, 1], [2, 4]]), 1, { dim: 0, keepdim: true } satisfies OrderStatOptions).values; // [[2, 1]]
 * ```
 */
export interface OrderStatOptions {
  /** The dim to reduce (default −1 for kthvalue; all elements for median when omitted). */
  dim?: number;
  /** Keep the reduced dim with size 1 (default false). */
  keepdim?: boolean;
}

/** Pick position `at` (an int32 tensor of x's shape with dim of size 1) of the sorted `s` along dim. */
function pick(s: SortResult, dim: number, at: Tensor, keepdim: boolean): SortResult {
  const values = s.values.gather(dim, at);
  const indices = s.indices.gather(dim, at);
  return keepdim ? { values, indices } : { values: values.squeeze(dim), indices: indices.squeeze(dim) };
}

/**
 * The k-th smallest value along `dim` (k from 1) and its int32 position (`torch.kthvalue`); NaN
 * counts as the largest, ties resolve to the earliest position of the stable order.
 * @example
 * ```ts
 * kthvalue(tensor([5, 1, 4, 2]), 2).values;  // 2
 * kthvalue(tensor([5, 1, 4, 2]), 2).indices; // 3
 * ```
 */
export function kthvalue(x: Tensor, k: number, opts: OrderStatOptions = {}): SortResult {
  checkInputs('kthvalue', [x]);
  checkOptions('kthvalue', opts, ['dim', 'keepdim']);
  const dim = dimOf('kthvalue', x, opts.dim);
  const keepdim = flag('kthvalue', 'keepdim', opts.keepdim, false);
  checkK('kthvalue', k, 1, x.ndim === 0 ? 1 : x.shape[dim], x, dim);
  return scope(() => {
    if (x.ndim === 0) return { values: x.clone(), indices: zeros([], { dtype: 'int32', device: x.device }) };
    const s = sorted(x, dim, false);
    const at = full(
      x.shape.map((d, i) => (i === dim ? 1 : d)),
      k - 1,
      { dtype: 'int32', device: x.device },
    );
    return pick(s, dim, at, keepdim);
  });
}

/**
 * Median (`torch.median`): the lower of the two middle values for an even count, i.e. the
 * ⌊(n − 1)/2⌋-th smallest. Without `dim`, the median of all elements as a 0-d tensor (NaN for an
 * empty tensor). With `dim`, the medians along it and their int32 positions. A row holding NaN
 * gives NaN (and the position of its first NaN), as PyTorch; `nanmedian` semantics are not offered.
 * @example
 * ```ts
 * median(tensor([4, 1, 3, 2]));            // 2
 * median(tensor([[4, 1, 3], [2, NaN, 0]]), { dim: 1 }).values; // [3, NaN]
 * ```
 */
export function median(x: Tensor, opts?: { keepdim?: boolean }): Tensor;
export function median(x: Tensor, opts: OrderStatOptions & { dim: number }): SortResult;
export function median(x: Tensor, opts: OrderStatOptions = {}): Tensor | SortResult {
  checkInputs('median', [x]);
  checkOptions('median', opts, ['dim', 'keepdim']);
  const keepdim = flag('median', 'keepdim', opts.keepdim, false);
  if (opts.dim === undefined) {
    const shape = keepdim ? x.shape.map(() => 1) : [];
    if (x.numel() === 0) {
      if (x.dtype !== 'float32') throw new ShapeError('median', `cannot take the median of an empty ${x.dtype} tensor ${fmt(x.shape)}`);
      return scope(() => x.sum().mul(Number.NaN).reshape(shape)); // NaN, still on the graph
    }
    return scope(() => medianAlong(x.reshape([-1]), 0, false).values.reshape(shape));
  }
  const dim = dimOf('median', x, opts.dim);
  if (x.ndim > 0 && x.shape[dim] === 0) throw new ShapeError('median', `cannot take the median over a zero-size dim of ${fmt(x.shape)}`);
  if (x.ndim === 0) return scope(() => ({ values: x.clone(), indices: zeros([], { dtype: 'int32', device: x.device }) }));
  return medianAlong(x, dim, keepdim);
}

function medianAlong(x: Tensor, dim: number, keepdim: boolean): SortResult {
  return scope(() => {
    const n = x.shape[dim];
    const s = sorted(x, dim, false);
    if (x.dtype !== 'float32') return pick(s, dim, rowsFull(x, dim, (n - 1) >> 1), keepdim);
    // NaN sorts last: a row with c NaNs gives its first NaN, at position n − c
    const nans = x.ne(x).sum(dim, true);
    const at = nans.gt(0).where(nans.neg().add(n), (n - 1) >> 1);
    return pick(s, dim, at, keepdim);
  });
}

function rowsFull(x: Tensor, dim: number, v: number): Tensor {
  return full(
    x.shape.map((d, i) => (i === dim ? 1 : d)),
    v,
    { dtype: 'int32', device: x.device },
  );
}

/**
 * How {@link quantile} reads between the two order statistics around q·(n − 1).
 * @example
 * ```ts
 * const mode: QuantileInterpolation = 'midpoint';
 * quantile(tensor([1, 2, 3, 4]), 0.5, { interpolation: mode }); // 2.5
 * ```
 */
export type QuantileInterpolation = 'linear' | 'lower' | 'higher' | 'nearest' | 'midpoint';

/**
 * Options of {@link quantile}.
 * @example
 * ```ts
 * quantile(tensor([[1, 2], [3, 4]]), 0.5, { dim: 0, keepdim: true, interpolation: 'lower' } satisfies QuantileOptions); // [[1, 2]]
 * ```
 */
export interface QuantileOptions {
  /** The dim to reduce (all elements, flattened, when omitted). */
  dim?: number;
  /** Keep the reduced dim(s) with size 1 (default false). */
  keepdim?: boolean;
  /** Default 'linear'. */
  interpolation?: QuantileInterpolation;
}

const INTERPOLATIONS: readonly QuantileInterpolation[] = ['linear', 'lower', 'higher', 'nearest', 'midpoint'];

/** Round half to even (torch.round), for 'nearest'. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The q-quantiles along `dim` (`torch.quantile`), float32 input. With the sorted row s of length
 * n and r = q·(n − 1) (in float32, as PyTorch): 'linear' s[⌊r⌋] + (r − ⌊r⌋)·(s[⌈r⌉] − s[⌊r⌋]),
 * 'lower' s[⌊r⌋], 'higher' s[⌈r⌉], 'nearest' s[round(r)] (half to even), 'midpoint'
 * (s[⌊r⌋] + s[⌈r⌉])/2. A row holding NaN gives NaN. `q` is a number in [0, 1] (output: the
 * reduced shape) or an array of them (output: [q.length, ...reduced shape]). Differentiable.
 * @example
 * ```ts
 * quantile(tensor([1, 2, 3, 4]), 0.5);        // 2.5
 * quantile(tensor([1, 2, 3, 4]), [0.25, 1]);  // [1.75, 4]
 * quantile(tensor([[0, 10], [2, 4]]), 0.5, { dim: 1 }); // [5, 3]
 * ```
 */
export function quantile(x: Tensor, q: number | readonly number[], opts: QuantileOptions = {}): Tensor {
  checkInputs('quantile', [x]);
  checkOptions('quantile', opts, ['dim', 'keepdim', 'interpolation']);
  if (x.dtype !== 'float32') throw new DTypeError('quantile', `input must be float32, got ${x.dtype}`);
  const keepdim = flag('quantile', 'keepdim', opts.keepdim, false);
  const mode = opts.interpolation ?? 'linear';
  if (!INTERPOLATIONS.includes(mode)) {
    throw new ArgumentError('quantile', `unknown interpolation ${JSON.stringify(mode)} (expected ${INTERPOLATIONS.map((m) => `'${m}'`).join(', ')})`);
  }
  const qs = typeof q === 'number' ? [q] : Array.isArray(q) ? [...q] : null;
  if (!qs || qs.some((v) => typeof v !== 'number' || !(v >= 0 && v <= 1))) {
    throw new ArgumentError('quantile', `q must be a number in [0, 1] or an array of them, got ${Array.isArray(q) ? `[${q.join(', ')}]` : String(q)}`);
  }
  const dim = opts.dim === undefined ? undefined : dimOf('quantile', x, opts.dim);
  if (x.numel() === 0) throw new ShapeError('quantile', `input must be non-empty, got ${fmt(x.shape)}`);
  return scope(() => {
    const flat = dim === undefined || x.ndim === 0;
    const src = flat ? x.reshape([-1]) : x;
    const d = flat ? 0 : dim;
    const n = src.shape[d];
    const s = sorted(src, d, false).values;
    const Q = qs.length;
    const qShape = src.shape.map((_, i) => (i === d ? Q : 1));
    const rowShape = src.shape.map((e, i) => (i === d ? Q : e));
    // float32 ranks, as PyTorch computes them in the input's dtype
    const ranks = qs.map((v) => Math.fround(Math.fround(v) * (n - 1)));
    const lower = ranks.map((r) => (mode === 'higher' ? Math.ceil(r) : mode === 'nearest' ? roundHalfEven(r) : Math.floor(r)));
    const upper = ranks.map((r, i) => (mode === 'linear' || mode === 'midpoint' ? Math.ceil(r) : lower[i]));
    // NaN sorts last: a row holding one reads its last position (NaN) instead
    const last = s.narrow(d, n - 1, 1);
    const hasNaN = last.ne(last);
    const index = (at: number[]) =>
      hasNaN
        .where(n - 1, fromArray(at, qShape, { dtype: 'int32', device: x.device }))
        .expand(rowShape)
        .contiguous();
    const lo = s.gather(d, index(lower));
    let out = lo;
    if (mode === 'linear' || mode === 'midpoint') {
      const hi = s.gather(d, index(upper));
      const w = ranks.map((r, i) => (mode === 'midpoint' ? 0.5 : Math.fround(r - lower[i])));
      // torch.lerp: lo + w·(hi − lo) for w < ½, hi − (hi − lo)·(1 − w) otherwise
      const wt = fromArray(w, qShape, { device: x.device });
      const small = fromArray(
        w.map((e) => (e < 0.5 ? 1 : 0)),
        qShape,
        { dtype: 'bool', device: x.device },
      );
      const diff = hi.sub(lo);
      out = small.where(lo.add(diff.mul(wt)), hi.sub(diff.mul(wt.neg().add(1))));
    }
    // [..., Q at d, ...] → [Q, ...reduced]
    const moved = out.permute([d, ...src.shape.map((_, i) => i).filter((i) => i !== d)]);
    const reduced = flat ? (keepdim ? x.shape.map(() => 1) : []) : keepdim ? x.shape.map((e, i) => (i === d ? 1 : e)) : x.shape.filter((_, i) => i !== d);
    return moved.contiguous().reshape(typeof q === 'number' ? reduced : [Q, ...reduced]);
  });
}
