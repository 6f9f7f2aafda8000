import { scope, type Tensor } from '@aimodel/tensor';
import { checkKeys } from '../checks';
import { checkFloat, checkNumber, checkSameShape, checkTensors } from './checks';
import { applyReduction, type ReductionOptions, reductionOf } from './reduction';

function checkPair(name: string, input: Tensor, target: Tensor, opts: ReductionOptions): string {
  const reduction = reductionOf(name, opts.reduction);
  checkTensors(name, { input, target });
  checkFloat(name, input, 'input');
  checkFloat(name, target, 'target');
  checkSameShape(name, input, target);
  return reduction;
}

/** The options mseLoss accepts. */
export const MSE_LOSS_KEYS: readonly string[] = ['reduction'];

/**
 * Mean squared error: ℓᵢ = (inputᵢ − targetᵢ)², then reduced (mean by default).
 * `input` and `target` are float32 tensors of the same shape (any shape).
 * @example
 * ```ts
 * mseLoss(tensor([1, 2, 3]), tensor([1, 2, 5])); // (0 + 0 + 4) / 3 = 1.3333
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  checkKeys('mseLoss', opts, MSE_LOSS_KEYS);
  const reduction = checkPair('mseLoss', input, target, opts);
  return scope(() => {
    const d = input.sub(target);
    return applyReduction(d.mul(d), reduction);
  });
}

/** The options l1Loss accepts. */
export const L1_LOSS_KEYS: readonly string[] = ['reduction'];

/**
 * Mean absolute error: ℓᵢ = |inputᵢ − targetᵢ|, then reduced. The gradient at a zero
 * difference is 0 (as PyTorch's sign(0) = 0).
 * @example
 * ```ts
 * l1Loss(tensor([1, 2, 3]), tensor([2, 2, 5])); // (1 + 0 + 2) / 3 = 1
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  checkKeys('l1Loss', opts, L1_LOSS_KEYS);
  const reduction = checkPair('l1Loss', input, target, opts);
  return scope(() => applyReduction(input.sub(target).abs(), reduction));
}

/**
 * Options of {@link smoothL1Loss}.
 * @example
 * ```ts
 * const input = randn([4, 2]);
 * const target = randn([4, 2]);
 * smoothL1Loss(input, target, { beta: 0.5 });
 * ```
 */
export interface SmoothL1LossOptions extends ReductionOptions {
  /** Where the loss changes from quadratic to linear (default 1, must be ≥ 0; 0 gives the L1 loss). */
  beta?: number;
}

/** The options smoothL1Loss accepts. */
export const SMOOTH_L1_LOSS_KEYS: readonly string[] = ['reduction', 'beta'];

/**
 * Smooth L1 loss, with d = input − target:
 * ℓᵢ = 0.5·d²/β if |d| < β, else |d| − 0.5·β (β = 0 is the L1 loss). As
 * `torch.nn.functional.smooth_l1_loss`.
 * @example
 * ```ts
 * smoothL1Loss(tensor([0, 0]), tensor([0.5, 3])); // (0.125 + 2.5) / 2 = 1.3125
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  checkKeys('smoothL1Loss', opts, SMOOTH_L1_LOSS_KEYS);
  const name = 'smoothL1Loss';
  const beta = opts.beta ?? 1;
  checkNumber(name, 'beta', beta, (b) => b >= 0, 'a non-negative number');
  const reduction = checkPair(name, input, target, opts);
  return scope(() => {
    const d = input.sub(target);
    const a = d.abs();
    if (beta === 0) return applyReduction(a, reduction);
    return applyReduction(a.lt(beta).where(d.mul(d).mul(0.5 / beta), a.sub(0.5 * beta)), reduction);
  });
}

/**
 * Options of {@link huberLoss}.
 * @example
 * ```ts
 * const input = randn([4, 2]);
 * const target = randn([4, 2]);
 * huberLoss(input, target, { delta: 2 });
 * ```
 */
export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss changes from quadratic to linear (default 1, must be > 0). */
  delta?: number;
}

/** The options huberLoss accepts. */
export const HUBER_LOSS_KEYS: readonly string[] = ['reduction', 'delta'];

/**
 * Huber loss, with d = input − target: ℓᵢ = 0.5·d² if |d| < δ, else δ·(|d| − 0.5·δ).
 * Equals δ · smoothL1Loss with β = δ. As `torch.nn.functional.huber_loss`.
 * @example
 * ```ts
 * huberLoss(tensor([0, 0]), tensor([0.5, 3]), { delta: 2 }); // (0.125 + 4) / 2 = 2.0625
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberLossOptions = {}): Tensor {
  checkKeys('huberLoss', opts, HUBER_LOSS_KEYS);
  const name = 'huberLoss';
  const delta = opts.delta ?? 1;
  checkNumber(name, 'delta', delta, (v) => v > 0, 'a positive number');
  const reduction = checkPair(name, input, target, opts);
  return scope(() => {
    const d = input.sub(target);
    const a = d.abs();
    return applyReduction(a.lt(delta).where(d.mul(d).mul(0.5), a.sub(0.5 * delta).mul(delta)), reduction);
  });
}
