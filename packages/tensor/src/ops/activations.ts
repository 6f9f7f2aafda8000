import { ArgumentError, checkOptions } from '../errors';
import { scope } from '../memory';
import type { Tensor } from '../tensor';
import { checkInputs } from './define-op';
import { clamp, mul, sigmoid, where } from './elementwise';
import { expm1, log1p } from './math';

/**
 * Activation functions of `torch.nn.functional` as composites of elementwise ops: each inherits
 * its gradient, validation and every backend from the ops it is built from. Branches that are
 * not taken are fed clamped inputs, so no ∞ reaches a gradient (∞·0 would be NaN).
 */

function checkNumber(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ArgumentError(op, `${name} must be a number, got ${String(value)}`);
  return value;
}

/**
 * Options of {@link softplus}.
 * @example
 * ```ts
 * softplus(tensor([1, 30]), { beta: 2, threshold: 10 });
 * ```
 */
export interface SoftplusOptions {
  /** β in log(1 + e^(βx))/β (default 1). */
  beta?: number;
  /** Where βx exceeds it, x itself is returned (default 20), as PyTorch. */
  threshold?: number;
}

/**
 * log(1 + e^(βx))/β, and x where βx > threshold (`F.softplus`). Gradient σ(βx) (1 past the
 * threshold).
 * @example
 * ```ts
 * softplus(tensor([0, 1, 30])); // [0.6931, 1.3133, 30]
 * ```
 */
export function softplus(x: Tensor, opts: SoftplusOptions = {}): Tensor {
  checkInputs('softplus', [x]);
  checkOptions('softplus', opts, ['beta', 'threshold']);
  const beta = checkNumber('softplus', 'beta', opts.beta ?? 1);
  const threshold = checkNumber('softplus', 'threshold', opts.threshold ?? 20);
  if (beta === 0) throw new ArgumentError('softplus', 'beta must be non-zero, got 0');
  return scope(() => {
    const bx = mul(x, beta);
    return where(bx.gt(threshold), x, log1p(clamp(bx, null, threshold).exp()).div(beta));
  });
}

/**
 * Sigmoid linear unit x·σ(x), also called swish (`F.silu`).
 * @example
 * ```ts
 * silu(tensor([0, 1, -1])); // [0, 0.7311, -0.2689]
 * ```
 */
export function silu(x: Tensor): Tensor {
  checkInputs('silu', [x]);
  return scope(() => mul(x, sigmoid(x)));
}

/**
 * x·tanh(softplus(x)) (`F.mish`).
 * @example
 * ```ts
 * mish(tensor([0, 1, -1])); // [0, 0.8651, -0.3034]
 * ```
 */
export function mish(x: Tensor): Tensor {
  checkInputs('mish', [x]);
  return scope(() => mul(x, softplus(x).tanh()));
}

/**
 * Options of {@link elu}.
 * @example
 * ```ts
 * elu(tensor([-1, 2]), { alpha: 0.5 });
 * ```
 */
export interface EluOptions {
  /** Scale of the negative part α·(eˣ − 1) (default 1). */
  alpha?: number;
}

/** α·(e^min(x, 0) − 1) for x ≤ 0, x above; gradient α·eˣ at x ≤ 0 (α at 0, as PyTorch). */
function eluWith(x: Tensor, alpha: number): Tensor {
  return where(x.gt(0), x, expm1(clamp(x, null, 0)).mul(alpha));
}

/**
 * Exponential linear unit: x for x > 0, α·(eˣ − 1) otherwise (`F.elu`).
 * @example
 * ```ts
 * elu(tensor([-1, 0, 2])); // [-0.6321, 0, 2]
 * ```
 */
export function elu(x: Tensor, opts: EluOptions = {}): Tensor {
  checkInputs('elu', [x]);
  checkOptions('elu', opts, ['alpha']);
  const alpha = checkNumber('elu', 'alpha', opts.alpha ?? 1);
  return scope(() => eluWith(x, alpha));
}

/** PyTorch's SELU constants (Klambauer et al., 2017). */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * Scaled ELU: scale·elu(x, α) with α ≈ 1.6733 and scale ≈ 1.0507 (`F.selu`).
 * @example
 * ```ts
 * selu(tensor([-1, 0, 1])); // [-1.1113, 0, 1.0507]
 * ```
 */
export function selu(x: Tensor): Tensor {
  checkInputs('selu', [x]);
  return scope(() => eluWith(x, SELU_ALPHA).mul(SELU_SCALE));
}

/**
 * x·relu6(x + 3)/6 (`F.hardswish`): 0 below −3 (x·0, so −∞ gives NaN as PyTorch), x above 3.
 * Gradient (2x + 3)/6 on [−3, 3], as PyTorch at the ends too.
 * @example
 * ```ts
 * hardswish(tensor([-4, 0, 1, 4])); // [-0, 0, 0.6667, 4]
 * ```
 */
export function hardswish(x: Tensor): Tensor {
  checkInputs('hardswish', [x]);
  return scope(() => where(x.lt(-3), x.mul(0), where(x.gt(3), x, x.mul(x.add(3)).div(6))));
}

/**
 * relu6(x + 3)/6 (`F.hardsigmoid`): 0 at x ≤ −3, 1 at x ≥ 3. Gradient 1/6 strictly inside.
 * @example
 * ```ts
 * hardsigmoid(tensor([-4, 0, 1.5, 4])); // [0, 0.5, 0.75, 1]
 * ```
 */
export function hardsigmoid(x: Tensor): Tensor {
  checkInputs('hardsigmoid', [x]);
  return scope(() => where(x.le(-3), 0, where(x.ge(3), 1, x.add(3).div(6))));
}
