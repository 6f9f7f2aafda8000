import { ArgumentError, checkOptions } from '../errors';
import type { Tensor } from '../tensor';
import { checkFlag, checkNonNegative, checkRequiredOptions, checkStep, runStep } from './optimizer-steps';

// The fused RMSprop and Adagrad steps, beside Adam's and SGD's (./optimizer-steps.ts, whose checks
// they share): in place, outside autograd, one kernel per parameter, PyTorch's
// `_single_tensor_rmsprop` / `_single_tensor_adagrad` operation for operation in float32.

/**
 * Options of {@link rmspropStep_} (PyTorch's names and defaults, camelCase). The centered variant
 * runs exactly when `gradAvg` is given; momentum exactly when `momentum` > 0, with its buffer.
 * @example
 * ```ts
 * const opts: RmspropStepOptions = { lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0 };
 * ```
 */
export interface RmspropStepOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** ε added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor μ (default 0); μ > 0 needs `momentumBuffer`. */
  momentum?: number;
  /** Ascend the gradient instead of descending it (default false). */
  maximize?: boolean;
  /** The momentum buffer b (starts at zero), updated in place; given exactly when μ > 0. */
  momentumBuffer?: Tensor;
  /** Centered RMSprop: the running gradient average gₐ (starts at zero), updated in place. */
  gradAvg?: Tensor;
}

/**
 * Options of {@link adagradStep_} (PyTorch's names and defaults, camelCase; `step` has no default).
 * @example
 * ```ts
 * const opts: AdagradStepOptions = { lr: 0.01, lrDecay: 0, eps: 1e-10, step: 1 };
 * ```
 */
export interface AdagradStepOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Learning-rate decay η: step t uses γ/(1 + (t − 1)η) (default 0). */
  lrDecay?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** ε added to the denominator (default 1e-10). */
  eps?: number;
  /** Ascend the gradient instead of descending it (default false). */
  maximize?: boolean;
  /** The step count t ≥ 1 after this step (1 on the first). */
  step: number;
}

const RMSPROP_KEYS = ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'maximize', 'momentumBuffer', 'gradAvg'];
const ADAGRAD_KEYS = ['lr', 'lrDecay', 'weightDecay', 'eps', 'maximize', 'step'];

/**
 * One RMSprop step for one parameter, fused: updates `param`, `squareAvg` (v) and, when given,
 * `gradAvg` (gₐ, centered) and `momentumBuffer` (b) in place, outside autograd, in one pass over
 * their memory (one kernel, no temporaries, no host transfers). PyTorch's `_single_tensor_rmsprop`
 * in float32:
 * ```
 * g ← maximize ? −grad : grad
 * if λ ≠ 0:    g ← g + λθ
 * v ← αv + ((1 − α)g)g
 * if centered: gₐ ← αgₐ + (1 − α)g;  d ← √(v − gₐ²) + ε   else d ← √v + ε
 * if μ > 0:    b ← μb + g/d;  θ ← θ − γb                  else θ ← θ − γ(g/d)
 * ```
 * Tensors as in {@link adamStep_}. Returns `param`.
 * @throws DTypeError, ShapeError or ArgumentError for wrong dtypes, shapes, aliasing or options;
 * DeviceError for tensors on different devices; DisposedError.
 * @example
 * ```ts
 * const w = tensor([1, 2]);
 * const v = zeros([2]);
 * rmspropStep_(w, tensor([0.5, -0.5]), v, { lr: 0.01, alpha: 0.99 });
 * v.dataSync(); // ≈ [0.0025, 0.0025]: (1 − α)·g²
 * w.dataSync(); // ≈ [0.9, 2.1]: θ − γ·g/√v = θ ∓ 0.01·10
 * ```
 */
export function rmspropStep_(param: Tensor, grad: Tensor, squareAvg: Tensor, opts: RmspropStepOptions = {}): Tensor {
  const op = 'rmspropStep_';
  checkOptions(op, opts, RMSPROP_KEYS);
  const lr = checkNonNegative(op, 'lr', opts.lr ?? 1e-2);
  const alpha = checkNonNegative(op, 'alpha', opts.alpha ?? 0.99);
  const eps = checkNonNegative(op, 'eps', opts.eps ?? 1e-8);
  const weightDecay = checkNonNegative(op, 'weightDecay', opts.weightDecay ?? 0);
  const momentum = checkNonNegative(op, 'momentum', opts.momentum ?? 0);
  const maximize = checkFlag(op, 'maximize', opts.maximize);
  const { momentumBuffer, gradAvg } = opts;
  if ((momentumBuffer === undefined) !== (momentum === 0)) {
    throw new ArgumentError(
      op,
      momentum === 0
        ? 'momentumBuffer must be left out when momentum is 0'
        : `momentum ${momentum} needs a momentumBuffer tensor, got ${String(momentumBuffer)}`,
    );
  }
  const named: [string, Tensor, boolean][] = [
    ['param', param, true],
    ['grad', grad, false],
    ['squareAvg', squareAvg, true],
  ];
  if (gradAvg !== undefined) named.push(['gradAvg', gradAvg, true]);
  if (momentumBuffer !== undefined) named.push(['momentumBuffer', momentumBuffer, true]);
  runStep(op, named, (be, views) => {
    const a = gradAvg !== undefined ? views[3] : null;
    const b = momentumBuffer !== undefined ? views[named.length - 1] : null;
    be.rmspropStep(views[0], views[1], views[2], a, b, { lr, alpha, eps, weightDecay, momentum, maximize });
  });
  return param;
}

/**
 * One Adagrad step for one parameter, fused: updates `param` and `stateSum` (s) in place, outside
 * autograd, in one pass (one kernel, no temporaries, no host transfers). PyTorch's
 * `_single_tensor_adagrad` in float32, with t = `step` (already incremented):
 * ```
 * g ← maximize ? −grad : grad
 * if λ ≠ 0:  g ← g + λθ
 * γ̃ ← γ/(1 + (t − 1)η)
 * s ← s + g·g
 * θ ← θ − γ̃·g/(√s + ε)
 * ```
 * Tensors as in {@link adamStep_}. Returns `param`.
 * @throws DTypeError, ShapeError or ArgumentError for wrong dtypes, shapes, aliasing or options;
 * DeviceError for tensors on different devices; DisposedError.
 * @example
 * ```ts
 * const w = tensor([1, 2]);
 * const s = zeros([2]);
 * adagradStep_(w, tensor([0.5, -0.5]), s, { lr: 0.1, step: 1 });
 * s.dataSync(); // [0.25, 0.25]
 * w.dataSync(); // ≈ [0.9, 2.1]: θ − γ·g/|g|
 * ```
 */
export function adagradStep_(param: Tensor, grad: Tensor, stateSum: Tensor, opts: AdagradStepOptions): Tensor {
  const op = 'adagradStep_';
  checkRequiredOptions(op, opts, ADAGRAD_KEYS);
  const lr = checkNonNegative(op, 'lr', opts.lr ?? 1e-2);
  const lrDecay = checkNonNegative(op, 'lrDecay', opts.lrDecay ?? 0);
  const weightDecay = checkNonNegative(op, 'weightDecay', opts.weightDecay ?? 0);
  const eps = checkNonNegative(op, 'eps', opts.eps ?? 1e-10);
  const step = checkStep(op, opts.step);
  const maximize = checkFlag(op, 'maximize', opts.maximize);
  const named: [string, Tensor, boolean][] = [
    ['param', param, true],
    ['grad', grad, false],
    ['stateSum', stateSum, true],
  ];
  const clr = lr / (1 + (step - 1) * lrDecay);
  runStep(op, named, (be, views) => be.adagradStep(views[0], views[1], views[2], { clr, eps, weightDecay, maximize }));
  return param;
}
