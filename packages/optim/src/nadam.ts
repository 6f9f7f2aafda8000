import { keep, type Tensor, zerosLike } from '@aimodel/tensor';
import { checkAdamFamily, checkNonNegative } from './hyper-parameters';
import { Optimizer, type OptimizerParams, type ParamGroup, withDefaults } from './optimizer';
import { penalizedGradient } from './weight-decay';

/**
 * Options of {@link NAdam} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new NAdam(params, { lr: 2e-3, momentumDecay: 4e-3, weightDecay: 1e-2, decoupledWeightDecay: true });
 * ```
 */
export interface NAdamOptions {
  /** Learning rate γ (default 2e-3). */
  lr?: number;
  /** Decay rates [β₁, β₂] of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: [number, number];
  /** ε added to the denominator (default 1e-8). */
  eps?: number;
  /** Weight decay λ: an L2 term added to the gradient, or decoupled (default 0). */
  weightDecay?: number;
  /** Momentum decay ψ of the momentum schedule μₜ (default 4e-3). */
  momentumDecay?: number;
  /** Shrink θ by γλθ directly (AdamW-style, "NAdamW") instead of adding λθ to the gradient (default false). */
  decoupledWeightDecay?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

/**
 * Per-parameter state of {@link NAdam}: step count t, the running product ∏μᵢ of the momentum
 * schedule (a number: it never leaves the host), and the moment estimates m and v.
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const opt = new NAdam([w]);
 * w.pow(2).sum().backward(); opt.step();
 * const { step, muProduct, expAvg, expAvgSq } = opt.state.get(w)!;
 * ```
 */
export type NAdamState = { step: number; muProduct: number; expAvg: Tensor; expAvgSq: Tensor };

/**
 * Adam with Nesterov momentum (Dozat, 2016), as torch.optim.NAdam. For each parameter θ with
 * gradient ∇ at step t (ψ = momentumDecay):
 * ```
 * g ← maximize ? −∇ : ∇
 * if λ ≠ 0:  decoupled ? θ ← θ − γλθ : g ← g + λθ
 * μₜ ← β₁(1 − ½·0.96^(tψ));   μₜ₊₁ ← β₁(1 − ½·0.96^((t+1)ψ))
 * m ← β₁m + (1 − β₁)g
 * v ← β₂v + (1 − β₂)g²
 * θ ← θ − γ(1 − μₜ)/(1 − ∏ᵢ₌₁ᵗ μᵢ) · g/(√(v/(1 − β₂ᵗ)) + ε)
 *       − γμₜ₊₁/(1 − ∏ᵢ₌₁ᵗ⁺¹ μᵢ) · m/(√(v/(1 − β₂ᵗ)) + ε)
 * ```
 * m and v start at zero; the μ products are plain numbers, so a step uploads nothing.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * const opt = new NAdam(model.parameters(), { lr: 2e-3 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class NAdam extends Optimizer<Required<NAdamOptions>, NAdamState> {
  /**
   * @param params the tensors to optimize (e.g. `model.parameters()`), or parameter groups with their own options
   * @param options hyper-parameters; those left out take PyTorch's defaults
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new NAdam(model.parameters(), { lr: 1e-3, momentumDecay: 4e-3 });
   * ```
   */
  constructor(params: OptimizerParams<Required<NAdamOptions>>, options: NAdamOptions = {}) {
    const defaults: Required<NAdamOptions> = {
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      momentumDecay: 4e-3,
      decoupledWeightDecay: false,
      maximize: false,
    };
    super(params, withDefaults('NAdam', defaults, options), 'NAdam');
  }

  protected override validateGroup(o: Required<NAdamOptions>): void {
    checkAdamFamily('NAdam', o);
    checkNonNegative('NAdam', 'momentumDecay', o.momentumDecay);
  }

  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<Required<NAdamOptions>>): void {
    const {
      lr,
      betas: [beta1, beta2],
      eps,
      momentumDecay: psi,
    } = group;
    const g = penalizedGradient(p, grad, group);
    let s = this.state.get(p);
    if (!s) {
      s = { step: 0, muProduct: 1, expAvg: keep(zerosLike(p)), expAvgSq: keep(zerosLike(p)) };
      this.state.set(p, s);
    }
    const t = ++s.step;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    s.muProduct *= mu;
    const muProductNext = s.muProduct * muNext;
    const m = s.expAvg.assign(s.expAvg.mul(beta1).add(g.mul(1 - beta1))); //             m ← β₁m + (1 − β₁)g
    const v = s.expAvgSq.assign(s.expAvgSq.mul(beta2).add(g.mul(g).mul(1 - beta2))); // v ← β₂v + (1 − β₂)g²
    const denom = v
      .div(1 - beta2 ** t)
      .sqrt()
      .add(eps); //                               √v̂ + ε
    const stepGrad = g.mul((lr * (1 - mu)) / (1 - s.muProduct));
    const stepMomentum = m.mul((lr * muNext) / (1 - muProductNext));
    p.assign(p.sub(stepGrad.add(stepMomentum).div(denom)));
  }
}
