import { adagradStep_, full, type Tensor } from '@aimodel/tensor';
import { checkBoolean, checkNonNegative } from './hyper-parameters';
import { Optimizer, type OptimizerParams, type ParamGroup, withDefaults } from './optimizer';

/**
 * Options of {@link Adagrad} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new Adagrad(params, { lr: 0.05, initialAccumulatorValue: 0.1 });
 * ```
 */
export interface AdagradOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Learning-rate decay η: step t uses γ/(1 + (t − 1)η) (default 0). */
  lrDecay?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Starting value τ of the sum of squared gradients (default 0). */
  initialAccumulatorValue?: number;
  /** ε added to the denominator (default 1e-10). */
  eps?: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

/**
 * Per-parameter state of {@link Adagrad}: step count and the running sum of squared gradients.
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const adagrad = new Adagrad([w]);
 * w.pow(2).sum().backward(); adagrad.step();
 * const { sum } = adagrad.state.get(w)!;
 * ```
 */
export type AdagradState = { step: number; sum: Tensor };

/**
 * Adagrad (Duchi et al., 2011), as torch.optim.Adagrad. For each parameter θ with gradient ∇ at step t:
 * ```
 * g ← maximize ? −∇ : ∇
 * γ̃ ← γ/(1 + (t − 1)η)
 * if λ ≠ 0:  g ← g + λθ
 * s ← s + g²                      (s starts at τ)
 * θ ← θ − γ̃·g/(√s + ε)
 * ```
 * The sum s is created on the parameter's first step.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * const opt = new Adagrad(model.parameters(), { lr: 0.05 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class Adagrad extends Optimizer<Required<AdagradOptions>, AdagradState> {
  /**
   * @param params the tensors to optimize (e.g. `model.parameters()`), or parameter groups with their own options
   * @param options hyper-parameters; those left out take PyTorch's defaults
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new Adagrad(model.parameters(), { lr: 0.05, initialAccumulatorValue: 0.1 });
   * ```
   */
  constructor(params: OptimizerParams<Required<AdagradOptions>>, options: AdagradOptions = {}) {
    const defaults = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false };
    super(params, withDefaults('Adagrad', defaults, options), 'Adagrad');
  }

  protected override validateGroup(o: Required<AdagradOptions>): void {
    checkNonNegative('Adagrad', 'learning rate', o.lr);
    checkNonNegative('Adagrad', 'lrDecay', o.lrDecay);
    checkNonNegative('Adagrad', 'weightDecay', o.weightDecay);
    checkNonNegative('Adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue);
    checkNonNegative('Adagrad', 'eps', o.eps);
    checkBoolean('Adagrad', 'maximize', o.maximize);
  }

  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<Required<AdagradOptions>>): void {
    const { lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize } = group;
    const s = this.state.get(p) ?? this.initState(p, { step: 0, sum: full(p.shape, initialAccumulatorValue, { device: p.device }) });
    const step = ++s.step;
    // one fused kernel per parameter (tensor's `adagradStep_`: PyTorch's float32 arithmetic, no temporaries)
    adagradStep_(p, grad, s.sum, { lr, lrDecay, weightDecay, eps, maximize, step });
  }
}
