import { type Tensor, zerosLike } from '@aimodel/tensor';
import { checkBoolean, checkInRange, checkNonNegative } from './hyper-parameters';
import { Optimizer, type OptimizerParams, type ParamGroup, withDefaults } from './optimizer';
import { penalizedGradient } from './weight-decay';

/**
 * Options of {@link Adadelta} (PyTorch names and defaults, camelCase).
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new Adadelta(params, { lr: 1.0, rho: 0.9, eps: 1e-6 });
 * ```
 */
export interface AdadeltaOptions {
  /** Coefficient γ that scales the delta before it is applied (default 1.0). */
  lr?: number;
  /** Decay rate ρ of both running averages (default 0.9). */
  rho?: number;
  /** ε inside both square roots (default 1e-6). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

/**
 * Per-parameter state of {@link Adadelta}: step count, the running average v of squared gradients
 * and the running average u of squared updates.
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const opt = new Adadelta([w]);
 * w.pow(2).sum().backward(); opt.step();
 * const { squareAvg, accDelta } = opt.state.get(w)!;
 * ```
 */
export type AdadeltaState = { step: number; squareAvg: Tensor; accDelta: Tensor };

/**
 * Adadelta (Zeiler, 2012), as torch.optim.Adadelta. For each parameter θ with gradient ∇:
 * ```
 * g ← maximize ? −∇ : ∇
 * if λ ≠ 0:  g ← g + λθ
 * v ← ρv + (1 − ρ)g²
 * Δ ← √(u + ε)/√(v + ε) · g
 * u ← ρu + (1 − ρ)Δ²
 * θ ← θ − γΔ
 * ```
 * v and u start at zero.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * const opt = new Adadelta(model.parameters());
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class Adadelta extends Optimizer<Required<AdadeltaOptions>, AdadeltaState> {
  /**
   * @param params the tensors to optimize (e.g. `model.parameters()`), or parameter groups with their own options
   * @param options hyper-parameters; those left out take PyTorch's defaults
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new Adadelta(model.parameters(), { rho: 0.95 });
   * ```
   */
  constructor(params: OptimizerParams<Required<AdadeltaOptions>>, options: AdadeltaOptions = {}) {
    const defaults: Required<AdadeltaOptions> = { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false };
    super(params, withDefaults('Adadelta', defaults, options), 'Adadelta');
  }

  protected override validateGroup(o: Required<AdadeltaOptions>): void {
    checkNonNegative('Adadelta', 'learning rate', o.lr);
    checkInRange('Adadelta', 'rho', o.rho, 0, 1);
    checkNonNegative('Adadelta', 'eps', o.eps);
    checkNonNegative('Adadelta', 'weightDecay', o.weightDecay);
    checkBoolean('Adadelta', 'maximize', o.maximize);
  }

  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<Required<AdadeltaOptions>>): void {
    const { lr, rho, eps } = group;
    const g = penalizedGradient(p, grad, group); //                                            g ← g + λθ
    const s = this.state.get(p) ?? this.initState(p, { step: 0, squareAvg: zerosLike(p), accDelta: zerosLike(p) });
    s.step++;
    const v = s.squareAvg.assign(s.squareAvg.mul(rho).add(g.mul(g).mul(1 - rho))); //         v ← ρv + (1 − ρ)g²
    const delta = s.accDelta.add(eps).sqrt().div(v.add(eps).sqrt()).mul(g); //                Δ ← √(u + ε)/√(v + ε)·g
    s.accDelta.assign(s.accDelta.mul(rho).add(delta.mul(delta).mul(1 - rho))); //             u ← ρu + (1 − ρ)Δ²
    p.assign(p.sub(delta.mul(lr))); //                                                         θ ← θ − γΔ
  }
}
