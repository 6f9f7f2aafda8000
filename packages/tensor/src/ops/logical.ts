import { ArgumentError, checkOptions } from '../errors';
import { scope } from '../memory';
import type { Dim, Tensor } from '../tensor';
import { checkInputs } from './define-op';
import { abs, maximum, minimum, ne, where } from './elementwise';
import { type ReduceOptions, sum } from './reduce';

/**
 * IEEE class tests, NaN/∞ replacement and logic, as composites of elementwise ops and `sum`. The
 * class tests compare through the backends' NaN-safe comparisons (the WebGPU generator tests NaN
 * on bits, since WGSL lets a compiler assume there are none). Truth follows PyTorch: any non-zero
 * value, NaN included, is true.
 */

const isFloat = (x: Tensor) => x.dtype === 'float32';

/**
 * Where x is NaN (`torch.isnan`), as a bool tensor; false everywhere for integer and bool tensors.
 * @example
 * ```ts
 * isnan(tensor([1, NaN, Infinity])); // [false, true, false]
 * ```
 */
export function isnan(x: Tensor): Tensor {
  checkInputs('isnan', [x]);
  return ne(x, x);
}

/**
 * Where x is +∞ or −∞ (`torch.isinf`), as a bool tensor; false everywhere for integer tensors.
 * @example
 * ```ts
 * isinf(tensor([1, NaN, -Infinity])); // [false, false, true]
 * ```
 */
export function isinf(x: Tensor): Tensor {
  checkInputs('isinf', [x]);
  return isFloat(x) ? scope(() => abs(x).eq(Number.POSITIVE_INFINITY)) : ne(x, x);
}

/**
 * Where x is neither NaN nor ±∞ (`torch.isfinite`), as a bool tensor; true everywhere for integer
 * tensors.
 * @example
 * ```ts
 * isfinite(tensor([1, NaN, -Infinity])); // [true, false, false]
 * ```
 */
export function isfinite(x: Tensor): Tensor {
  checkInputs('isfinite', [x]);
  return isFloat(x) ? scope(() => abs(x).lt(Number.POSITIVE_INFINITY)) : x.eq(x);
}

/**
 * Options of {@link nanToNum}.
 * @example
 * ```ts
 * nanToNum(tensor([NaN, Infinity]), { nan: -1, posinf: 1e6 });
 * ```
 */
export interface NanToNumOptions {
  /** Replaces NaN (default 0). */
  nan?: number;
  /** Replaces +∞ (default the largest float32, 3.4028235e38). */
  posinf?: number;
  /** Replaces −∞ (default the lowest float32, −3.4028235e38). */
  neginf?: number;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * x with NaN, +∞ and −∞ replaced by finite numbers (`torch.nan_to_num`); integer tensors are
 * returned as a copy. The gradient passes where x is finite, 0 elsewhere.
 * @example
 * ```ts
 * nanToNum(tensor([NaN, Infinity, -Infinity, 2])); // [0, 3.4028235e38, -3.4028235e38, 2]
 * nanToNum(tensor([NaN, Infinity]), { nan: -1, posinf: 100 }); // [-1, 100]
 * ```
 */
export function nanToNum(x: Tensor, opts: NanToNumOptions = {}): Tensor {
  checkInputs('nanToNum', [x]);
  checkOptions('nanToNum', opts, ['nan', 'posinf', 'neginf']);
  const pick = (key: keyof NanToNumOptions, fallback: number) => {
    const value = opts[key] === undefined ? fallback : opts[key];
    if (typeof value !== 'number') throw new ArgumentError('nanToNum', `${key} must be a number, got ${String(value)}`);
    return value;
  };
  const nan = pick('nan', 0);
  const posinf = pick('posinf', FLOAT32_MAX);
  const neginf = pick('neginf', -FLOAT32_MAX);
  if (!isFloat(x)) return x.clone();
  return scope(() => where(ne(x, x), nan, where(x.eq(Number.POSITIVE_INFINITY), posinf, where(x.eq(Number.NEGATIVE_INFINITY), neginf, x))));
}

/** x ≠ 0 as bool (NaN is true), or x itself when already bool. */
function truth(x: Tensor): Tensor {
  return x.dtype === 'bool' ? x : ne(x, 0);
}

/**
 * Elementwise AND of the truth values of a and b (`torch.logical_and`; non-zero is true), with
 * broadcasting; a bool tensor.
 * @example
 * ```ts
 * logicalAnd(tensor([1, 0, 2]), tensor([true, true, false])); // [true, false, false]
 * ```
 */
export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  checkInputs('logicalAnd', [a, b]);
  return scope(() => minimum(truth(a), truth(b)));
}

/**
 * Elementwise OR of the truth values of a and b (`torch.logical_or`; non-zero is true), with
 * broadcasting; a bool tensor.
 * @example
 * ```ts
 * logicalOr(tensor([1, 0, 0]), tensor([0, 0, -3])); // [true, false, true]
 * ```
 */
export function logicalOr(a: Tensor, b: Tensor): Tensor {
  checkInputs('logicalOr', [a, b]);
  return scope(() => maximum(truth(a), truth(b)));
}

/**
 * Elementwise exclusive OR of the truth values of a and b (`torch.logical_xor`; non-zero is true),
 * with broadcasting; a bool tensor.
 * @example
 * ```ts
 * logicalXor(tensor([1, 0, 2]), tensor([1, 1, 0])); // [false, true, true]
 * ```
 */
export function logicalXor(a: Tensor, b: Tensor): Tensor {
  checkInputs('logicalXor', [a, b]);
  return scope(() => ne(truth(a), truth(b)));
}

/**
 * Elementwise NOT of the truth value of x (`torch.logical_not`: true where x is 0); a bool tensor.
 * @example
 * ```ts
 * logicalNot(tensor([1, 0, NaN])); // [false, true, false]
 * ```
 */
export function logicalNot(x: Tensor): Tensor {
  checkInputs('logicalNot', [x]);
  return x.eq(0);
}

/**
 * Whether any element over `dim` is true (`torch.any`; non-zero, NaN included, is true), as a bool
 * tensor; false over an empty dim. All dims when `dim` is omitted.
 * @example
 * ```ts
 * any(tensor([[0, 0], [0, 3]]));    // true
 * any(tensor([[0, 0], [0, 3]]), 1); // [false, true]
 * ```
 */
export function any(x: Tensor, dim?: Dim | ReduceOptions, keepdim?: ReduceOptions | boolean): Tensor {
  checkInputs('any', [x]);
  return scope(() => sum(truth(x), dim, keepdim).gt(0));
}

/**
 * Whether every element over `dim` is true (`torch.all`; non-zero, NaN included, is true), as a
 * bool tensor; true over an empty dim. All dims when `dim` is omitted.
 * @example
 * ```ts
 * all(tensor([[1, 2], [0, 3]]));                      // false
 * all(tensor([[1, 2], [0, 3]]), { dim: 1, keepdim: true }); // [[true], [false]]
 * ```
 */
export function all(x: Tensor, dim?: Dim | ReduceOptions, keepdim?: ReduceOptions | boolean): Tensor {
  checkInputs('all', [x]);
  return scope(() => sum(x.eq(0), dim, keepdim).eq(0));
}
