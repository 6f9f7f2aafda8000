import { type Tensor, zerosLike } from '@aimodel/tensor';
import { checkAdamFamily } from './hyper-parameters';
import { Optimizer, type OptimizerParams, type ParamGroup, withDefaults } from './optimizer';
import { penalizedGradient } from './weight-decay';

/**
 * Options of {@link Adamax} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new Adamax(params, { lr: 2e-3, betas: [0.9, 0.999] });
 * ```
 */
export interface AdamaxOptions {
  /** Learning rate γ (default 2e-3). */
  lr?: number;
  /** Decay rates [β₁, β₂] of the first moment and of the infinity norm (default [0.9, 0.999]). */
  betas?: [number, number];
  /** ε added to |g| before the maximum (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

/**
 * Per-parameter state of {@link Adamax}: step count t, the first moment m and the exponentially
 * weighted infinity norm u.
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const opt = new Adamax([w]);
 * w.pow(2).sum().backward(); opt.step();
 * const { step, expAvg, expInf } = opt.state.get(w)!;
 * ```
 */
export type AdamaxState = { step: number; expAvg: Tensor; expInf: Tensor };

/**
 * Adamax, the infinity-norm variant of Adam (Kingma & Ba, 2015, §7), as torch.optim.Adamax. For
 * each parameter θ with gradient ∇ at step t:
 * ```
 * g ← maximize ? −∇ : ∇
 * if λ ≠ 0:  g ← g + λθ
 * m ← β₁m + (1 − β₁)g
 * u ← max(β₂u, |g| + ε)
 * θ ← θ − γ/(1 − β₁ᵗ) · m/u
 * ```
 * m and u start at zero.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * const opt = new Adamax(model.parameters());
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class Adamax extends Optimizer<Required<AdamaxOptions>, AdamaxState> {
  /**
   * @param params the tensors to optimize (e.g. `model.parameters()`), or parameter groups with their own options
   * @param options hyper-parameters; those left out take PyTorch's defaults
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new Adamax(model.parameters(), { lr: 1e-2 });
   * ```
   */
  constructor(params: OptimizerParams<Required<AdamaxOptions>>, options: AdamaxOptions = {}) {
    const defaults: Required<AdamaxOptions> = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false };
    super(params, withDefaults('Adamax', defaults, options), 'Adamax');
  }

  protected override validateGroup(o: Required<AdamaxOptions>): void {
    checkAdamFamily('Adamax', o);
  }

  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<Required<AdamaxOptions>>): void {
    const {
      lr,
      betas: [beta1, beta2],
      eps,
    } = group;
    const g = penalizedGradient(p, grad, group); //                                 g ← g + λθ
    const s = this.state.get(p) ?? this.initState(p, { step: 0, expAvg: zerosLike(p), expInf: zerosLike(p) });
    const t = ++s.step;
    const m = s.expAvg.assign(s.expAvg.mul(beta1).add(g.mul(1 - beta1))); //        m ← β₁m + (1 − β₁)g
    const u = s.expInf.assign(s.expInf.mul(beta2).maximum(g.abs().add(eps))); //    u ← max(β₂u, |g| + ε)
    p.assign(p.sub(m.div(u).mul(lr / (1 - beta1 ** t)))); //                         θ ← θ − γ/(1 − β₁ᵗ)·m/u
  }
}
