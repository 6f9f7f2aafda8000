import type { Tensor } from '@aimodel/tensor';
import { type AdamGroupOptions, type AdamOptions, type AdamState, adamStep, validateAdam } from './adam';
import { Optimizer, type OptimizerParams, type ParamGroup, withDefaults } from './optimizer';

/**
 * Options of {@link AdamW}: those of Adam, with `weightDecay` the decoupled decay λ (default 1e-2).
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new AdamW(params, { lr: 1e-3, weightDecay: 0.05 });
 * ```
 */
export type AdamWOptions = AdamOptions;

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as torch.optim.AdamW. The decay
 * shrinks θ directly instead of entering the gradient. For each parameter θ with gradient ∇ at step t:
 * ```
 * g ← maximize ? −∇ : ∇
 * θ ← θ − γλθ
 * m ← β₁m + (1 − β₁)g
 * v ← β₂v + (1 − β₂)g²
 * m̂ ← m/(1 − β₁ᵗ)
 * v̂ ← amsgrad ? (v_max ← max(v_max, v))/(1 − β₂ᵗ) : v/(1 − β₂ᵗ)
 * θ ← θ − γ·m̂/(√v̂ + ε)
 * ```
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 1e-2 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class AdamW extends Optimizer<AdamGroupOptions, AdamState> {
  /**
   * @param params the tensors to optimize (e.g. `model.parameters()`), or parameter groups with their own options
   * @param options hyper-parameters; those left out take PyTorch's defaults (`weightDecay` 1e-2)
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
   * ```
   */
  constructor(params: OptimizerParams<AdamGroupOptions>, options: AdamWOptions = {}) {
    const defaults: AdamGroupOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false };
    super(params, withDefaults('AdamW', defaults, options), 'AdamW');
  }

  protected override validateGroup(o: AdamGroupOptions): void {
    validateAdam('AdamW', o);
  }

  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<AdamGroupOptions>): void {
    adamStep(this, p, grad, group, true); // θ ← θ − γλθ first, then Adam's update
  }
}
