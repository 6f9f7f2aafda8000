import { keep, rmspropStep_, type Tensor, zerosLike } from '@aimodel/tensor';
import { checkBoolean, checkNonNegative } from './hyper-parameters';
import { Optimizer, type OptimizerParams, type ParamGroup, withDefaults } from './optimizer';

/**
 * Options of {@link RMSprop} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new RMSprop(params, { lr: 1e-3, alpha: 0.9, momentum: 0.9, centered: true });
 * ```
 */
export interface RMSpropOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** ε added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Normalize by the estimated variance instead of the raw second moment (default false). */
  centered?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

/**
 * Per-parameter state of {@link RMSprop}: step count, the square average v, and when used the
 * momentum buffer b and the gradient average (centered).
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const rmsprop = new RMSprop([w]);
 * w.pow(2).sum().backward(); rmsprop.step();
 * const { squareAvg } = rmsprop.state.get(w)!;
 * ```
 */
export type RMSpropState = { step: number; squareAvg: Tensor; momentumBuffer?: Tensor; gradAvg?: Tensor };

/**
 * RMSprop (Hinton's lecture 6e; centered version of Graves, 2013), as torch.optim.RMSprop. For
 * each parameter θ with gradient ∇:
 * ```
 * g ← maximize ? −∇ : ∇
 * if λ ≠ 0:   g ← g + λθ
 * v ← αv + (1 − α)g²
 * ṽ ← v
 * if centered: gₐ ← αgₐ + (1 − α)g;  ṽ ← ṽ − gₐ²
 * if μ > 0:   b ← μb + g/(√ṽ + ε);  θ ← θ − γb
 * else:       θ ← θ − γg/(√ṽ + ε)
 * ```
 * v, gₐ and b start at zero.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * const opt = new RMSprop(model.parameters(), { lr: 1e-3 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class RMSprop extends Optimizer<Required<RMSpropOptions>, RMSpropState> {
  /**
   * @param params the tensors to optimize (e.g. `model.parameters()`), or parameter groups with their own options
   * @param options hyper-parameters; those left out take PyTorch's defaults
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new RMSprop(model.parameters(), { lr: 1e-3, alpha: 0.9, centered: true });
   * ```
   */
  constructor(params: OptimizerParams<Required<RMSpropOptions>>, options: RMSpropOptions = {}) {
    const defaults = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };
    super(params, withDefaults('RMSprop', defaults, options), 'RMSprop');
  }

  protected override validateGroup(o: Required<RMSpropOptions>): void {
    checkNonNegative('RMSprop', 'learning rate', o.lr);
    checkNonNegative('RMSprop', 'eps', o.eps);
    checkNonNegative('RMSprop', 'momentum', o.momentum);
    checkNonNegative('RMSprop', 'weightDecay', o.weightDecay);
    checkNonNegative('RMSprop', 'alpha', o.alpha);
    checkBoolean('RMSprop', 'centered', o.centered);
    checkBoolean('RMSprop', 'maximize', o.maximize);
  }

  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<Required<RMSpropOptions>>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    const s = this.state.get(p) ?? this.initState(p, { step: 0, squareAvg: zerosLike(p) });
    s.step++;
    if (centered) s.gradAvg ??= keep(zerosLike(p));
    if (momentum > 0) s.momentumBuffer ??= keep(zerosLike(p));
    // one fused kernel per parameter (tensor's `rmspropStep_`: PyTorch's float32 arithmetic, no temporaries)
    rmspropStep_(p, grad, s.squareAvg, {
      lr,
      alpha,
      eps,
      weightDecay,
      momentum,
      maximize,
      gradAvg: centered ? s.gradAvg : undefined,
      momentumBuffer: momentum > 0 ? s.momentumBuffer : undefined,
    });
  }
}
