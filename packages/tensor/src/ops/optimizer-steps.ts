import { isGradEnabled } from '../autograd/grad-mode';
import type { Backend, View } from '../backend/backend';
import { backendOf } from '../device';
import { ArgumentError, checkOptions, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { fmt, isContiguous } from '../shape';
import { Tensor } from '../tensor';
import { checkInputs } from './define-op';

// Fused optimizer steps: in place, outside autograd, one pass over each parameter's memory (one
// kernel per parameter) instead of a chain of elementwise ops with their temporaries. The
// arithmetic is PyTorch's (`_single_tensor_adam`, `_single_tensor_sgd`) operation for operation
// in float32, so a step gives the composed ops' result.

/**
 * Options of {@link adamStep_} (PyTorch's names and defaults, camelCase; `step` has no default).
 * @example
 * ```ts
 * const opts: AdamStepOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 };
 * ```
 */
export interface AdamStepOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Decay rate β₁ of the first moment (default 0.9). */
  beta1?: number;
  /** Decay rate β₂ of the second moment (default 0.999). */
  beta2?: number;
  /** ε added to the denominator (default 1e-8). */
  eps?: number;
  /** Weight decay λ (default 0): an L2 term λθ added to the gradient, or decoupled (AdamW). */
  weightDecay?: number;
  /** Decoupled weight decay, as AdamW: θ ← θ(1 − γλ) before the update (default false). */
  decoupledWeightDecay?: boolean;
  /** Ascend the gradient instead of descending it (default false). */
  maximize?: boolean;
  /** The step count t ≥ 1 after this step (1 on the first), for the bias corrections 1 − βᵗ. */
  step: number;
  /** AMSGrad: the running maximum of the second moment, updated in place and used in its stead. */
  maxExpAvgSq?: Tensor;
}

/**
 * Options of {@link sgdStep_} (PyTorch's names and defaults, camelCase).
 * @example
 * ```ts
 * const opts: SgdStepOptions = { lr: 0.1, momentum: 0.9, nesterov: true, isFirstStep: true };
 * ```
 */
export interface SgdStepOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Momentum factor μ (default 0; a momentum buffer is needed exactly when μ ≠ 0). */
  momentum?: number;
  /** Dampening τ of the momentum (default 0). */
  dampening?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false; needs μ > 0 and τ = 0). */
  nesterov?: boolean;
  /** Ascend the gradient instead of descending it (default false). */
  maximize?: boolean;
  /** The momentum buffer's first step: b ← g, as PyTorch's clone of the first gradient (default false). */
  isFirstStep?: boolean;
}

const ADAM_KEYS = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'decoupledWeightDecay', 'maximize', 'step', 'maxExpAvgSq'];
const SGD_KEYS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize', 'isFirstStep'];

export function checkNumber(op: string, name: string, v: unknown, ok: (v: number) => boolean, expected: string): number {
  if (!(typeof v === 'number' && ok(v))) throw new ArgumentError(op, `${name} must be ${expected}, got ${String(v)}`);
  return v;
}

export function checkFlag(op: string, name: string, v: unknown): boolean {
  if (v !== undefined && typeof v !== 'boolean') throw new ArgumentError(op, `${name} must be true or false, got ${String(v)}`);
  return v === true;
}

const nonNegative = (v: number) => v >= 0;
const unit = (v: number) => v >= 0 && v < 1;

/** A hyper-parameter that must be a number ≥ 0 (lr, eps, weightDecay, …). */
export function checkNonNegative(op: string, name: string, v: unknown): number {
  return checkNumber(op, name, v, nonNegative, 'a number >= 0');
}

/** The step count of a step that needs one (Adam's and Adagrad's bias correction and decay): an integer ≥ 1. */
export function checkStep(op: string, v: unknown): number {
  return checkNumber(op, 'step', v, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
}

/** Options that must be given (they hold `step`): an object with no keys outside `keys`. */
export function checkRequiredOptions<T extends object>(op: string, opts: T | undefined, keys: readonly string[]): asserts opts is T {
  if (opts === undefined) throw new ArgumentError(op, 'expected an options object with at least { step }');
  checkOptions(op, opts, keys);
}

/**
 * The tensor checks both steps share. `named[0]` is the parameter; those marked `updated` are
 * written in place. Returns each tensor's view for the kernel, contiguous: a non-contiguous one is
 * copied (inside the caller's scope) and, when updated, copied back by `writeBack`.
 */
export function prepare(op: string, named: [string, Tensor, boolean][]): { views: View[]; writeBack: () => void } {
  for (const [n, t] of named) if (!(t instanceof Tensor)) throw new ArgumentError(op, `${n} must be a Tensor, got ${String(t)}`);
  checkInputs(
    op,
    named.map(([, t]) => t),
  );
  const [pName, param] = named[0];
  for (const [n, t, updated] of named) {
    if (t.dtype !== 'float32') throw new DTypeError(op, `${n} must be float32, got ${t.dtype}`);
    if (t.ndim !== param.ndim || t.shape.some((s, i) => s !== param.shape[i])) {
      throw new ShapeError(op, `${n} must have the shape of ${pName} ${fmt(param.shape)}, got ${fmt(t.shape)}`);
    }
    if (!updated) continue;
    if (t.requiresGrad && isGradEnabled()) {
      throw new ArgumentError(op, `${n} requires grad: an in-place update would bypass autograd (run it inside noGrad(), or update a detached tensor)`);
    }
    if (t.shape.some((s, i) => s > 1 && t.strides[i] === 0)) {
      throw new ArgumentError(op, `${n} must not be a broadcast view (stride 0), got shape ${fmt(t.shape)} with strides ${fmt(t.strides)}`);
    }
    for (const [m, u] of named) {
      if (m !== n && u._storage === t._storage)
        throw new ArgumentError(op, `${n} shares memory with ${m}; the tensors it updates must not alias another input`);
    }
  }
  const be = backendOf(param.device);
  const back: [View, View][] = [];
  const views = named.map(([, t, updated]) => {
    if (isContiguous(t.shape, t.strides)) return t._view();
    const c = t.detach().contiguous()._view();
    if (updated) back.push([c, t._view()]);
    return c;
  });
  return { views, writeBack: () => back.forEach(([c, t]) => be.copy(c, t)) };
}

/**
 * Checks the tensors as {@link prepare} does and runs `kernel` on their views inside a scope (so
 * the copies of non-contiguous operands are freed), then writes those back; an empty parameter
 * runs nothing.
 */
export function runStep(op: string, named: [string, Tensor, boolean][], kernel: (be: Backend, views: View[]) => void): void {
  scope(() => {
    const { views, writeBack } = prepare(op, named);
    const param = named[0][1];
    if (param.numel() === 0) return;
    kernel(backendOf(param.device), views);
    writeBack();
  });
}

/**
 * One Adam or AdamW step for one parameter, fused: updates `param`, `expAvg` (m), `expAvgSq` (v)
 * and, for AMSGrad, `maxExpAvgSq` in place, outside autograd, in one pass over their memory (one
 * kernel, no temporaries, no host transfers). PyTorch's `_single_tensor_adam`, in float32, with
 * t = `step` (already incremented):
 * ```
 * g ← maximize ? −grad : grad
 * if λ ≠ 0:  decoupled ? θ ← θ(1 − γλ) : g ← g + λθ
 * m ← β₁m + (1 − β₁)g
 * v ← β₂v + (1 − β₂)g·g
 * v̂ ← amsgrad ? (v_max ← max(v_max, v)) : v
 * θ ← θ − γ/(1 − β₁ᵗ) · m/(√v̂/√(1 − β₂ᵗ) + ε)
 * ```
 * All tensors are float32 of one shape on one device, the updated ones distinct tensors that do
 * not share memory and do not require grad while grad mode is on (a non-contiguous one is
 * updated through a contiguous copy). Returns `param`.
 * @throws DTypeError, ShapeError or ArgumentError for wrong dtypes, shapes, aliasing or options;
 * DeviceError for tensors on different devices; DisposedError.
 * @example
 * ```ts
 * const w = tensor([1, 2]);
 * const m = zeros([2]);
 * const v = zeros([2]);
 * adamStep_(w, tensor([0.5, -0.5]), m, v, { lr: 0.1, step: 1 });
 * w.dataSync(); // ≈ [0.9, 2.1]: the first step moves each weight by γ·sign(g)
 * m.dataSync(); // [0.05, -0.05]
 * ```
 */
export function adamStep_(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, opts: AdamStepOptions): Tensor {
  const op = 'adamStep_';
  checkRequiredOptions(op, opts, ADAM_KEYS);
  const lr = checkNonNegative(op, 'lr', opts.lr ?? 1e-3);
  const beta1 = checkNumber(op, 'beta1', opts.beta1 ?? 0.9, unit, 'in [0, 1)');
  const beta2 = checkNumber(op, 'beta2', opts.beta2 ?? 0.999, unit, 'in [0, 1)');
  const eps = checkNonNegative(op, 'eps', opts.eps ?? 1e-8);
  const weightDecay = checkNonNegative(op, 'weightDecay', opts.weightDecay ?? 0);
  const step = checkStep(op, opts.step);
  const decoupled = checkFlag(op, 'decoupledWeightDecay', opts.decoupledWeightDecay);
  const maximize = checkFlag(op, 'maximize', opts.maximize);
  const max = opts.maxExpAvgSq;
  const named: [string, Tensor, boolean][] = [
    ['param', param, true],
    ['grad', grad, false],
    ['expAvg', expAvg, true],
    ['expAvgSq', expAvgSq, true],
  ];
  if (max !== undefined) named.push(['maxExpAvgSq', max, true]);
  runStep(op, named, (be, views) =>
    be.adamStep(views[0], views[1], views[2], views[3], views[4] ?? null, {
      beta1,
      beta2,
      eps,
      weightDecay,
      decoupled,
      decay: 1 - lr * weightDecay,
      maximize,
      stepSize: lr / (1 - beta1 ** step),
      biasCorrection2Sqrt: Math.sqrt(1 - beta2 ** step),
    }),
  );
  return param;
}

/**
 * One SGD step for one parameter, fused: updates `param` and the momentum buffer in place,
 * outside autograd, in one pass (one kernel, no temporaries, no host transfers). PyTorch's
 * `_single_tensor_sgd`, in float32:
 * ```
 * g ← maximize ? −grad : grad
 * if λ ≠ 0:  g ← g + λθ
 * if μ ≠ 0:  b ← isFirstStep ? g : μb + (1 − τ)g
 *            g ← nesterov ? g + μb : b
 * θ ← θ − γg
 * ```
 * `momentumBuffer` is a tensor exactly when μ ≠ 0 (null otherwise); its contents are ignored on
 * its first step. Tensors as in {@link adamStep_}. Returns `param`.
 * @throws DTypeError, ShapeError or ArgumentError for wrong dtypes, shapes, aliasing or options;
 * DeviceError for tensors on different devices; DisposedError.
 * @example
 * ```ts
 * const w = tensor([1, 2]);
 * const b = zeros([2]);
 * sgdStep_(w, tensor([0.5, -0.5]), b, { lr: 0.1, momentum: 0.9, isFirstStep: true });
 * w.dataSync(); // ≈ [0.95, 2.05]
 * sgdStep_(w, tensor([0.5, -0.5]), b, { lr: 0.1, momentum: 0.9 }); // b = 0.9·b + g = [0.95, -0.95]
 * w.dataSync(); // ≈ [0.855, 2.145]
 * ```
 */
export function sgdStep_(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, opts: SgdStepOptions = {}): Tensor {
  const op = 'sgdStep_';
  checkOptions(op, opts, SGD_KEYS);
  const lr = checkNonNegative(op, 'lr', opts.lr ?? 1e-3);
  const momentum = checkNonNegative(op, 'momentum', opts.momentum ?? 0);
  const dampening = checkNonNegative(op, 'dampening', opts.dampening ?? 0);
  const weightDecay = checkNonNegative(op, 'weightDecay', opts.weightDecay ?? 0);
  const nesterov = checkFlag(op, 'nesterov', opts.nesterov);
  const maximize = checkFlag(op, 'maximize', opts.maximize);
  const isFirstStep = checkFlag(op, 'isFirstStep', opts.isFirstStep);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new ArgumentError(op, `nesterov momentum requires momentum > 0 and dampening 0, got momentum ${momentum} and dampening ${dampening}`);
  }
  if ((momentumBuffer === null) !== (momentum === 0)) {
    throw new ArgumentError(
      op,
      momentum === 0 ? 'momentumBuffer must be null when momentum is 0' : `momentum ${momentum} needs a momentumBuffer tensor, got ${String(momentumBuffer)}`,
    );
  }
  const named: [string, Tensor, boolean][] = [
    ['param', param, true],
    ['grad', grad, false],
  ];
  if (momentumBuffer !== null) named.push(['momentumBuffer', momentumBuffer, true]);
  runStep(op, named, (be, views) =>
    be.sgdStep(views[0], views[1], views[2] ?? null, { lr, momentum, dampening, weightDecay, nesterov, maximize, isFirstStep }),
  );
  return param;
}
