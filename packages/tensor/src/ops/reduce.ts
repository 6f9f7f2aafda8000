import type { ReduceOp } from '../backend/backend';
import { ArgumentError, ShapeError } from '../errors';
import { scope } from '../memory';
import { fmt, normDim, normDims } from '../shape';
import type { Dim, Tensor } from '../tensor';
import { checkInputs, defineOp } from './define-op';

/**
 * Options of the reductions.
 * @example
 * ```ts
 * const x = randn([2, 3, 4]);
 * sum(x, { dim: [0, 2], keepdim: true });
 * ```
 */
export interface ReduceOptions {
  /** Dims to reduce (all when omitted); negative dims count from the end. */
  dim?: Dim;
  /** Keep reduced dims with size 1 (default false). */
  keepdim?: boolean;
}

/**
 * Options of {@link variance} and {@link std}.
 * @example
 * ```ts
 * const x = randn([2, 3]);
 * variance(x, { dim: 1, correction: 0, keepdim: true });
 * ```
 */
export interface VarianceOptions extends ReduceOptions {
  /** Divide by N − correction (default 1: the unbiased estimate, as PyTorch). */
  correction?: number;
  /** Older PyTorch spelling: `unbiased: false` is `correction: 0`. */
  unbiased?: boolean;
}

interface Reduction {
  dims: number[];
  keepdim: boolean;
}

/** Accept `sum(x)`, `sum(x, 1)`, `sum(x, [0, 1], { keepdim })`, `sum(x, 1, true)` and `sum(x, { dim, keepdim })`. */
function parse<O extends ReduceOptions>(dimOrOpts: Dim | O | undefined, opts: O | boolean | undefined): O & { dim?: Dim } {
  const base = (typeof dimOrOpts === 'object' && !Array.isArray(dimOrOpts) ? dimOrOpts : { dim: dimOrOpts }) as O;
  const extra = typeof opts === 'boolean' ? { keepdim: opts } : (opts ?? {});
  return { ...base, ...extra };
}

function reduction(op: string, x: Tensor, dim: Dim | undefined, keepdim: boolean | undefined): Reduction {
  return { dims: normDims(op, dim, x.ndim), keepdim: keepdim ?? false };
}

function reducedShape(shape: readonly number[], r: Reduction): number[] {
  return r.keepdim ? shape.map((d, i) => (r.dims.includes(i) ? 1 : d)) : shape.filter((_, i) => !r.dims.includes(i));
}

/** `g` (shaped like the reduction's output) broadcast back over the input's shape. */
function expandBack(g: Tensor, x: Tensor, r: Reduction): Tensor {
  return g.reshape(x.shape.map((d, i) => (r.dims.includes(i) ? 1 : d))).expand(x.shape);
}

/* @__NO_SIDE_EFFECTS__ */
function reduceOp(op: ReduceOp, backward: (gy: Tensor, x: Tensor, out: Tensor, r: Reduction) => Tensor) {
  return defineOp<Reduction>(op, {
    infer: ([x], r) => {
      if ((op === 'max' || op === 'min') && r.dims.some((d) => x.shape[d] === 0)) {
        throw new ShapeError(op, `cannot reduce over a zero-size dim of ${fmt(x.shape)} (no identity for ${op})`);
      }
      const dtype = x.dtype === 'float32' ? 'float32' : op === 'max' || op === 'min' ? x.dtype : 'int32';
      return { shape: reducedShape(x.shape, r), dtype };
    },
    forward: (be, [x], out, r) => be.reduce(op, x, r.dims, out),
    backward: (gy, [x], out, r) => [() => backward(gy, x, out, r)],
  });
}

const sumOp = reduceOp('sum', (gy, x, _out, r) => expandBack(gy, x, r));
// ∂(Πx)/∂xᵢ = Π_{j≠i} xⱼ, computed without dividing by zero: with one zero in the group only that
// position gets the product of the others; with two or more zeros every gradient is 0.
const prodOp = reduceOp('prod', (gy, x, _out, r) => {
  const isZero = x.eq(0);
  const nonzero = isZero.where(1, x);
  const prodNonzero = nonzero.prod(r.dims, { keepdim: true });
  const zeros = isZero.sum(r.dims, { keepdim: true });
  const atZero = zeros.eq(1).where(prodNonzero, 0);
  const elsewhere = zeros.eq(0).where(prodNonzero.div(nonzero), 0);
  return expandBack(gy, x, r).mul(isZero.where(atZero, elsewhere));
});
// Ties share the gradient equally (as torch.amax).
const extremum = (gy: Tensor, x: Tensor, out: Tensor, r: Reduction): Tensor => {
  const hit = x.eq(expandBack(out, x, r));
  return expandBack(gy, x, r)
    .mul(hit)
    .div(hit.sum(r.dims, { keepdim: true }));
};
const maxOp = reduceOp('max', extremum);
const minOp = reduceOp('min', extremum);

/**
 * Sum over `dim` (all dims when omitted). Integer and bool inputs sum in int32.
 * @example
 * ```ts
 * sum(tensor([[1, 2], [3, 4]]));          // 10
 * sum(tensor([[1, 2], [3, 4]]), 1);       // [3, 7]
 * sum(tensor([[1, 2], [3, 4]]), 0, true); // [[4, 6]]
 * ```
 */
export function sum(x: Tensor, dim?: Dim | ReduceOptions, opts?: ReduceOptions | boolean): Tensor {
  const o = parse(dim, opts);
  return sumOp([x], reduction('sum', x, o.dim, o.keepdim));
}

/**
 * Mean over `dim` (float32 result).
 * @example
 * ```ts
 * mean(tensor([[1, 2], [3, 4]]), -1); // [1.5, 3.5]
 * ```
 */
export function mean(x: Tensor, dim?: Dim | ReduceOptions, opts?: ReduceOptions | boolean): Tensor {
  checkInputs('mean', [x]);
  const o = parse(dim, opts);
  const r = reduction('mean', x, o.dim, o.keepdim);
  const n = r.dims.reduce((p, d) => p * x.shape[d], 1);
  return scope(() => sumOp([x.to('float32')], r).div(n));
}

/**
 * Product over `dim`.
 * @example
 * ```ts
 * prod(tensor([1, 2, 3, 4])); // 24
 * ```
 */
export function prod(x: Tensor, dim?: Dim | ReduceOptions, opts?: ReduceOptions | boolean): Tensor {
  const o = parse(dim, opts);
  return prodOp([x], reduction('prod', x, o.dim, o.keepdim));
}

/**
 * Maximum over `dim` (values only; use {@link argmax} for indices). NaN propagates.
 * @example
 * ```ts
 * max(tensor([[1, 5], [7, 2]]), 1); // [5, 7]
 * ```
 */
export function max(x: Tensor, dim?: Dim | ReduceOptions, opts?: ReduceOptions | boolean): Tensor {
  const o = parse(dim, opts);
  return maxOp([x], reduction('max', x, o.dim, o.keepdim));
}

/**
 * Minimum over `dim` (values only; use {@link argmin} for indices). NaN propagates.
 * @example
 * ```ts
 * min(tensor([[1, 5], [7, 2]]), 1); // [1, 2]
 * ```
 */
export function min(x: Tensor, dim?: Dim | ReduceOptions, opts?: ReduceOptions | boolean): Tensor {
  const o = parse(dim, opts);
  return minOp([x], reduction('min', x, o.dim, o.keepdim));
}

/* @__NO_SIDE_EFFECTS__ */
function argOp(op: 'argmax' | 'argmin') {
  const run = defineOp<{ dim: number; keepdim: boolean }>(op, {
    infer: ([x], { dim, keepdim }) => {
      if (x.shape[dim] === 0) throw new ShapeError(op, `cannot take ${op} over a zero-size dim of ${fmt(x.shape)}`);
      return { shape: keepdim ? x.shape.map((d, i) => (i === dim ? 1 : d)) : x.shape.filter((_, i) => i !== dim), dtype: 'int32' };
    },
    forward: (be, [x], out, { dim }) => be.argReduce(op, x, dim, out),
  });
  return (x: Tensor, dim?: number | ReduceOptions, opts?: ReduceOptions | boolean): Tensor => {
    checkInputs(op, [x]); // a flattened or 0-d input is reshaped before the op
    const o = parse(dim, opts);
    if (Array.isArray(o.dim)) throw new ArgumentError(op, 'dim must be a single dimension');
    if (o.dim === undefined) return scope(() => run([x.reshape([-1])], { dim: 0, keepdim: false }).reshape(o.keepdim ? x.shape.map(() => 1) : []));
    const d = x.ndim === 0 ? 0 : normDim(op, o.dim as number, x.ndim);
    if (x.ndim === 0) return scope(() => run([x.reshape([1])], { dim: 0, keepdim: false }).reshape([]));
    return run([x], { dim: d, keepdim: o.keepdim ?? false });
  };
}

/**
 * Index (int32) of the maximum along `dim`, or in the flattened tensor when `dim` is omitted.
 * The first occurrence wins; NaN counts as the maximum.
 * @example
 * ```ts
 * argmax(tensor([[1, 5], [7, 2]]), 1); // [1, 0]
 * ```
 * @param x - The input tensor.
 * @param dim - The dim to reduce (negative counts from the end), or the options.
 * @param opts - `{ keepdim }` (or `keepdim` as a boolean).
 * @function
 */
export const argmax = argOp('argmax');
/**
 * Index (int32) of the minimum along `dim`, or in the flattened tensor when `dim` is omitted.
 * @example
 * ```ts
 * argmin(tensor([[1, 5], [7, 2]]), 1); // [0, 1]
 * ```
 * @param x - The input tensor.
 * @param dim - The dim to reduce (negative counts from the end), or the options.
 * @param opts - `{ keepdim }` (or `keepdim` as a boolean).
 * @function
 */
export const argmin = argOp('argmin');

/**
 * Variance Σ(x − mean)² / (N − correction) over `dim`; `correction` defaults to 1 (unbiased).
 * @example
 * ```ts
 * variance(tensor([1, 2, 3, 4]));                    // 1.6667
 * variance(tensor([1, 2, 3, 4]), { correction: 0 }); // 1.25
 * ```
 */
export function variance(x: Tensor, dim?: Dim | VarianceOptions, opts?: VarianceOptions | boolean): Tensor {
  return varianceOf('variance', x, dim, opts);
}

/** variance (and std's) body, with its one check under the public name `op`. */
function varianceOf(op: 'variance' | 'std', x: Tensor, dim?: Dim | VarianceOptions, opts?: VarianceOptions | boolean): Tensor {
  checkInputs(op, [x]);
  const o = parse<VarianceOptions>(dim, opts);
  const r = reduction(op, x, o.dim, o.keepdim);
  const correction = o.correction ?? (o.unbiased === false ? 0 : 1);
  const n = r.dims.reduce((p, d) => p * x.shape[d], 1);
  return scope(() => {
    const xf = x.to('float32');
    const centered = xf.sub(xf.mean(r.dims, { keepdim: true }));
    return centered
      .mul(centered)
      .sum(r.dims, { keepdim: r.keepdim })
      .div(Math.max(0, n - correction));
  });
}

/**
 * Standard deviation: √variance, with the same options.
 * @example
 * ```ts
 * std(tensor([1, 2, 3, 4])); // 1.2910
 * ```
 */
export function std(x: Tensor, dim?: Dim | VarianceOptions, opts?: VarianceOptions | boolean): Tensor {
  return scope(() => varianceOf('std', x, dim, opts).sqrt());
}

/**
 * log Σ exp(x) over `dim`, computed stably by factoring out the maximum.
 * @example
 * ```ts
 * logsumexp(tensor([0, 0]), 0); // 0.6931
 * ```
 */
export function logsumexp(x: Tensor, dim?: Dim | ReduceOptions, opts?: ReduceOptions | boolean): Tensor {
  checkInputs('logsumexp', [x]);
  const o = parse(dim, opts);
  const r = reduction('logsumexp', x, o.dim, o.keepdim);
  return scope(() => {
    const xf = x.to('float32');
    // the shift m is a constant for the gradient: d/dm [m + log Σ e^(x−m)] = 0
    const m = xf.detach().max(r.dims, { keepdim: true });
    const shift = m.abs().eq(Infinity).where(0, m);
    const out = xf.sub(shift).exp().sum(r.dims, { keepdim: true }).log().add(shift);
    return r.keepdim ? out : out.reshape(reducedShape(x.shape, r));
  });
}
