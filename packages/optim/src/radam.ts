import { type Tensor, zerosLike } from '@aimodel/tensor';
import { checkAdamFamily } from './hyper-parameters';
import { Optimizer, type OptimizerParams, type ParamGroup, withDefaults } from './optimizer';
import { penalizedGradient } from './weight-decay';

/**
 * Options of {@link RAdam} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new RAdam(params, { lr: 1e-3, weightDecay: 1e-2, decoupledWeightDecay: true });
 * ```
 */
export interface RAdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Decay rates [β₁, β₂] of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: [number, number];
  /** ε added to the denominator (default 1e-8). */
  eps?: number;
  /** Weight decay λ: an L2 term added to the gradient, or decoupled (default 0). */
  weightDecay?: number;
  /** Shrink θ by γλθ directly (AdamW-style) instead of adding λθ to the gradient (default false). */
  decoupledWeightDecay?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

/**
 * Per-parameter state of {@link RAdam}: step count t and the moment estimates m and v.
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const opt = new RAdam([w]);
 * w.pow(2).sum().backward(); opt.step();
 * const { step, expAvg, expAvgSq } = opt.state.get(w)!;
 * ```
 */
export type RAdamState = { step: number; expAvg: Tensor; expAvgSq: Tensor };

/**
 * Rectified Adam (Liu et al., 2020), as torch.optim.RAdam. For each parameter θ with gradient ∇
 * at step t, with ρ∞ = 2/(1 − β₂) − 1:
 * ```
 * g ← maximize ? −∇ : ∇
 * if λ ≠ 0:  decoupled ? θ ← θ − γλθ : g ← g + λθ
 * m ← β₁m + (1 − β₁)g
 * v ← β₂v + (1 − β₂)g²
 * m̂ ← m/(1 − β₁ᵗ)
 * ρₜ ← ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)
 * if ρₜ > 5:  l ← √(1 − β₂ᵗ)/(√v + ε)
 *             r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
 *             θ ← θ − γ·m̂·r·l
 * else:       θ ← θ − γ·m̂                 (the variance is not yet tractable: SGD with momentum)
 * ```
 * ρₜ depends on t only, so the branch is decided on the host and a step uploads nothing.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * const opt = new RAdam(model.parameters(), { lr: 1e-3 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class RAdam extends Optimizer<Required<RAdamOptions>, RAdamState> {
  /**
   * @param params the tensors to optimize (e.g. `model.parameters()`), or parameter groups with their own options
   * @param options hyper-parameters; those left out take PyTorch's defaults
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new RAdam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.99] });
   * ```
   */
  constructor(params: OptimizerParams<Required<RAdamOptions>>, options: RAdamOptions = {}) {
    const defaults: Required<RAdamOptions> = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false };
    super(params, withDefaults('RAdam', defaults, options), 'RAdam');
  }

  protected override validateGroup(o: Required<RAdamOptions>): void {
    checkAdamFamily('RAdam', o);
  }

  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<Required<RAdamOptions>>): void {
    const {
      lr,
      betas: [beta1, beta2],
      eps,
    } = group;
    const g = penalizedGradient(p, grad, group);
    const s = this.state.get(p) ?? this.initState(p, { step: 0, expAvg: zerosLike(p), expAvgSq: zerosLike(p) });
    const t = ++s.step;
    const m = s.expAvg.assign(s.expAvg.mul(beta1).add(g.mul(1 - beta1))); //             m ← β₁m + (1 − β₁)g
    const v = s.expAvgSq.assign(s.expAvgSq.mul(beta2).add(g.mul(g).mul(1 - beta2))); // v ← β₂v + (1 − β₂)g²
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2 = 1 - beta2 ** t;
    const rhoInf = 2 / (1 - beta2) - 1;
    const rhoT = rhoInf - (2 * t * beta2 ** t) / biasCorrection2;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      // θ ← θ − γ·r·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m/(√v + ε)
      p.assign(p.sub(m.div(v.sqrt().add(eps)).mul((lr * rect * Math.sqrt(biasCorrection2)) / biasCorrection1)));
    } else {
      p.assign(p.sub(m.mul(lr / biasCorrection1))); //                                     θ ← θ − γm̂
    }
  }
}
