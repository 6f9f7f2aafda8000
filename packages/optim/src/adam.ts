import { adamStep_, keep, type Tensor, zerosLike } from '@aimodel/tensor';
import { checkBetas, checkBoolean, checkNonNegative } from './hyper-parameters';
import { Optimizer, type OptimizerParams, type ParamGroup, withDefaults } from './optimizer';

/**
 * Options of {@link Adam} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new Adam(params, { lr: 3e-4, betas: [0.9, 0.98], eps: 1e-9, amsgrad: true });
 * ```
 */
export interface AdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Decay rates [β₁, β₂] of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: [number, number];
  /** ε added to the denominator for numerical stability (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0; for decoupled decay use {@link AdamW}). */
  weightDecay?: number;
  /** Use the AMSGrad variant: the maximum of past second moments (default false). */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

/**
 * Per-parameter state of {@link Adam} and {@link AdamW}: step count t, first and second moment
 * estimates m and v, and (AMSGrad) the running maximum of v.
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const adam = new Adam([w]);
 * w.pow(2).sum().backward(); adam.step();
 * const { step, expAvg, expAvgSq } = adam.state.get(w)!;
 * ```
 */
export type AdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor; maxExpAvgSq?: Tensor };

/** @internal Options shared by Adam and AdamW after defaults are applied. */
export type AdamGroupOptions = Required<AdamOptions>;

/** @internal Range checks shared by Adam and AdamW. */
export function validateAdam(op: string, o: AdamGroupOptions): void {
  checkNonNegative(op, 'learning rate', o.lr);
  checkNonNegative(op, 'eps', o.eps);
  checkBetas(op, o.betas);
  checkNonNegative(op, 'weightDecay', o.weightDecay);
  checkBoolean(op, 'amsgrad', o.amsgrad);
  checkBoolean(op, 'maximize', o.maximize);
}

/**
 * @internal One Adam or AdamW (`decoupled`) step of `p` from its raw gradient, as one fused
 * kernel (`adamStep_`: no temporaries, no transfers). Creates the state on the first call.
 */
export function adamStep(optimizer: { state: Map<Tensor, AdamState> }, p: Tensor, grad: Tensor, group: AdamGroupOptions, decoupled: boolean): void {
  const {
    lr,
    betas: [beta1, beta2],
    eps,
    weightDecay,
    amsgrad,
    maximize,
  } = group;
  let s = optimizer.state.get(p);
  if (!s) {
    s = { step: 0, expAvg: keep(zerosLike(p)), expAvgSq: keep(zerosLike(p)) };
    optimizer.state.set(p, s);
  }
  if (amsgrad) s.maxExpAvgSq ??= keep(zerosLike(p));
  const step = ++s.step;
  const maxExpAvgSq = amsgrad ? s.maxExpAvgSq : undefined;
  adamStep_(p, grad, s.expAvg, s.expAvgSq, { lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay: decoupled, maximize, step, maxExpAvgSq });
}

/**
 * Adam (Kingma & Ba, 2015), as torch.optim.Adam. For each parameter θ with gradient ∇ at step t:
 * ```
 * g ← maximize ? −∇ : ∇
 * if λ ≠ 0:  g ← g + λθ
 * m ← β₁m + (1 − β₁)g
 * v ← β₂v + (1 − β₂)g²
 * m̂ ← m/(1 − β₁ᵗ)
 * v̂ ← amsgrad ? (v_max ← max(v_max, v))/(1 − β₂ᵗ) : v/(1 − β₂ᵗ)
 * θ ← θ − γ·m̂/(√v̂ + ε)
 * ```
 * m, v (and v_max) start at zero and are created on the parameter's first step.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class Adam extends Optimizer<AdamGroupOptions, AdamState> {
  /**
   * @param params the tensors to optimize (e.g. `model.parameters()`), or parameter groups with their own options
   * @param options hyper-parameters; those left out take PyTorch's defaults
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new Adam(model.parameters(), { lr: 3e-4, betas: [0.9, 0.98] });
   * ```
   */
  constructor(params: OptimizerParams<AdamGroupOptions>, options: AdamOptions = {}) {
    const defaults: AdamGroupOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };
    super(params, withDefaults('Adam', defaults, options), 'Adam');
  }

  protected override validateGroup(o: AdamGroupOptions): void {
    validateAdam('Adam', o);
  }

  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<AdamGroupOptions>): void {
    adamStep(this, p, grad, group, false);
  }
}
