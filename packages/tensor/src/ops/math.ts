import { scope } from '../memory';
import type { Tensor } from '../tensor';
import { checkInputs } from './define-op';
import { binaryOp, div, mul, sub, unaryOp } from './elementwise';

/**
 * More elementwise math, with PyTorch's semantics: kernel ops (`Backend.unary`/`binary`, one
 * table row per backend: `backend/cpu/elementwise.ts`, `backend/webgpu/codegen/elementwise.ts`)
 * each with its gradient, and the composites `frac`, `reciprocal`, `square`.
 */

// ── unary kernels ─────────────────────────────────────────────────────────
/**
 * x rounded toward zero (`torch.trunc`); integer tensors are returned unchanged, NaN and ±∞ are
 * kept. Zero gradient, as PyTorch.
 * @param x - The input tensor.
 * @example
 * ```ts
 * trunc(tensor([1.7, -1.7, -0.2])); // [1, -1, -0]
 * ```
 * @function
 */
export const trunc = unaryOp('trunc', true, (gy) => gy.mul(0));
/**
 * ln(1 + x), accurate for tiny |x| (`torch.log1p`): NaN below −1, −∞ at −1. Gradient 1/(1 + x).
 * @param x - The input tensor.
 * @example
 * ```ts
 * log1p(tensor([0, 1e-7, Math.E - 1])); // [0, 1e-7, 1]
 * ```
 * @function
 */
export const log1p = unaryOp('log1p', false, (gy, x) => gy.div(x.add(1)));
/**
 * eˣ − 1, accurate for tiny |x| (`torch.expm1`). Gradient eˣ = expm1(x) + 1.
 * @param x - The input tensor.
 * @example
 * ```ts
 * expm1(tensor([0, 1e-7, 1])); // [0, 1e-7, 1.7183]
 * ```
 * @function
 */
export const expm1 = unaryOp('expm1', false, (gy, _x, out) => gy.mul(out.add(1)));
/**
 * Base-2 logarithm (`torch.log2`). Gradient 1/(x·ln 2).
 * @param x - The input tensor.
 * @example
 * ```ts
 * log2(tensor([1, 8, 0.5])); // [0, 3, -1]
 * ```
 * @function
 */
export const log2 = unaryOp('log2', false, (gy, x) => gy.div(x).mul(Math.LOG2E)); // x·ln 2 would be subnormal for x near 2⁻¹²⁶
/**
 * 2ˣ (`torch.exp2`). Gradient 2ˣ·ln 2.
 * @param x - The input tensor.
 * @example
 * ```ts
 * exp2(tensor([0, 3, -1])); // [1, 8, 0.5]
 * ```
 * @function
 */
export const exp2 = unaryOp('exp2', false, (gy, _x, out) => gy.mul(out).mul(Math.LN2));
/**
 * Arcsine (`torch.asin`), NaN outside [−1, 1]. Gradient 1/√(1 − x²).
 * @param x - The input tensor.
 * @example
 * ```ts
 * asin(tensor([0, 1, -0.5])); // [0, 1.5708, -0.5236]
 * ```
 * @function
 */
export const asin = unaryOp('asin', false, (gy, x) => gy.mul(x.mul(x).neg().add(1).rsqrt()));
/**
 * Arccosine (`torch.acos`), NaN outside [−1, 1]. Gradient −1/√(1 − x²).
 * @param x - The input tensor.
 * @example
 * ```ts
 * acos(tensor([1, 0, -1])); // [0, 1.5708, 3.1416]
 * ```
 * @function
 */
export const acos = unaryOp('acos', false, (gy, x) => gy.mul(x.mul(x).neg().add(1).rsqrt()).neg());
/**
 * Arctangent (`torch.atan`): ±π/2 at ±∞. Gradient 1/(1 + x²).
 * @param x - The input tensor.
 * @example
 * ```ts
 * atan(tensor([0, 1, Infinity])); // [0, 0.7854, 1.5708]
 * ```
 * @function
 */
export const atan = unaryOp('atan', false, (gy, x) => gy.div(x.mul(x).add(1)));
/**
 * Hyperbolic sine (`torch.sinh`). Gradient cosh x.
 * @param x - The input tensor.
 * @example
 * ```ts
 * sinh(tensor([0, 1])); // [0, 1.1752]
 * ```
 * @function
 */
export const sinh = unaryOp('sinh', false, (gy, x) => gy.mul(cosh(x)));
/**
 * Hyperbolic cosine (`torch.cosh`). Gradient sinh x.
 * @param x - The input tensor.
 * @example
 * ```ts
 * cosh(tensor([0, 1])); // [1, 1.5431]
 * ```
 * @function
 */
export const cosh = unaryOp('cosh', false, (gy, x) => gy.mul(sinh(x)));

// ── binary kernels ────────────────────────────────────────────────────────
/**
 * The angle of the point (b, a) (`torch.atan2(a, b)`, C's `atan2`): in (−π, π], with every IEEE
 * special case of C (signed zeros pick ±0 or ±π, ±∞ give multiples of π/4). Float32 result.
 * Gradients b/(a² + b²) and −a/(a² + b²).
 * @param a - y: a tensor, or a number (then `b` must be a tensor).
 * @param b - x: a tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * atan2(tensor([1, 1, -1]), tensor([1, -1, 0])); // [0.7854, 2.3562, -1.5708]
 * ```
 * @function
 */
export const atan2 = binaryOp('atan2', (gy, a, b) => {
  const r2 = () => a.mul(a).add(b.mul(b));
  return [() => gy.mul(b).div(r2()), () => gy.mul(a).div(r2()).neg()];
});
/**
 * C's `fmod` (`torch.fmod`): a − b·trunc(a/b), computed exactly, with the sign of the dividend
 * `a`. NaN for b = 0 or a = ±∞ on floats; on integer tensors an integer result, and a zero divisor
 * gives 0 (PyTorch raises there). Gradients 1 and −trunc(a/b).
 * @param a - The dividend: a tensor, or a number (then `b` must be a tensor).
 * @param b - The divisor: a tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * fmod(tensor([5, -5, 5.5]), 3);          // [2, -2, 2.5]
 * fmod(tensor([7, -7], { dtype: 'int32' }), 2); // [1, -1] (int32)
 * ```
 * @function
 */
export const fmod = binaryOp('fmod', (gy, a, b) => [() => gy, () => gy.mul(trunc(a.div(b))).neg()]);
/**
 * Python's `%` (`torch.remainder`): a − b·floor(a/b), with the sign of the divisor `b`. On integer
 * tensors an integer result, and a zero divisor gives 0 (PyTorch raises there). Gradients 1 and
 * −floor(a/b).
 * @param a - The dividend: a tensor, or a number (then `b` must be a tensor).
 * @param b - The divisor: a tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * remainder(tensor([5, -5, 5.5]), 3); // [2, 1, 2.5]
 * remainder(tensor([5, -5]), -3);     // [-1, -2]
 * ```
 * @function
 */
export const remainder = binaryOp('remainder', (gy, a, b) => [() => gy, () => gy.mul(a.div(b).floor()).neg()]);

// ── composites ────────────────────────────────────────────────────────────
/**
 * The fractional part x − trunc(x) (`torch.frac`), with the sign of x; NaN at ±∞; zeros for
 * integer tensors (PyTorch rejects them). Gradient 1.
 * @example
 * ```ts
 * frac(tensor([1.25, -1.25, 3])); // [0.25, -0.25, 0]
 * ```
 */
export function frac(x: Tensor): Tensor {
  checkInputs('frac', [x]);
  return scope(() => sub(x, trunc(x)));
}

/**
 * 1/x (`torch.reciprocal`), float32 for every input dtype; ±∞ at ±0. Gradient −1/x².
 * @example
 * ```ts
 * reciprocal(tensor([2, -0.5, 0])); // [0.5, -2, Infinity]
 * ```
 */
export function reciprocal(x: Tensor): Tensor {
  checkInputs('reciprocal', [x]);
  return div(1, x);
}

/**
 * x² (`torch.square`); integer tensors stay integer (bool counts in int32). Gradient 2x.
 * @example
 * ```ts
 * square(tensor([3, -2])); // [9, 4]
 * ```
 */
export function square(x: Tensor): Tensor {
  checkInputs('square', [x]);
  return mul(x, x);
}
