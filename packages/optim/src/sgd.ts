import { ArgumentError, type SgdStepOptions, sgdStep_, type Tensor, zerosLike } from '@aimodel/tensor';
import { checkBoolean, checkNonNegative } from './hyper-parameters';
import { Optimizer, type OptimizerParams, type ParamGroup, withDefaults } from './optimizer';

/**
 * Options of {@link SGD} (PyTorch names and defaults, camelCase): those of the fused step it runs,
 * `sgdStep_` of @aimodel/tensor, less the step's own `isFirstStep`.
 * @example
 * ```ts
 * const params = new Linear(2, 1).parameters();
 * new SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
 * ```
 */
export type SGDOptions = Omit<SgdStepOptions, 'isFirstStep'>;

/**
 * Per-parameter state of {@link SGD}: the momentum buffer b (only when momentum ≠ 0).
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const sgd = new SGD([w], { lr: 0.1, momentum: 0.9 });
 * w.pow(2).sum().backward(); sgd.step();
 * const b = sgd.state.get(w)?.momentumBuffer;
 * ```
 */
export type SGDState = { momentumBuffer?: Tensor };

/**
 * Stochastic gradient descent, optionally with momentum (torch.optim.SGD). For each parameter θ
 * with gradient ∇ at step t:
 * ```
 * g ← maximize ? −∇ : ∇
 * if λ ≠ 0:  g ← g + λθ
 * if μ ≠ 0:  b ← (t = 1) ? g : μb + (1 − τ)g
 *            g ← nesterov ? g + μb : b
 * θ ← θ − γg
 * ```
 * (As PyTorch's implementation, `maximize` negates the gradient before weight decay, so the
 * decay still pulls θ toward zero.)
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class SGD extends Optimizer<Required<SGDOptions>, SGDState> {
  /**
   * @param params the tensors to optimize (e.g. `model.parameters()`), or parameter groups with their own options
   * @param options hyper-parameters; those left out take PyTorch's defaults
   * @example
   * ```ts
   * const model = new Linear(2, 1);
   * const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
   * ```
   */
  constructor(params: OptimizerParams<Required<SGDOptions>>, options: SGDOptions = {}) {
    const defaults = { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };
    super(params, withDefaults('SGD', defaults, options), 'SGD');
  }

  protected override validateGroup(o: Required<SGDOptions>): void {
    checkNonNegative('SGD', 'learning rate', o.lr);
    checkNonNegative('SGD', 'momentum', o.momentum);
    checkNonNegative('SGD', 'dampening', o.dampening);
    checkNonNegative('SGD', 'weightDecay', o.weightDecay);
    checkBoolean('SGD', 'nesterov', o.nesterov);
    checkBoolean('SGD', 'maximize', o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new ArgumentError('SGD', `nesterov momentum requires momentum > 0 and dampening 0, got momentum ${o.momentum} and dampening ${o.dampening}`);
    }
  }

  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<Required<SGDOptions>>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    let buf: Tensor | null = null;
    let isFirstStep = false;
    if (momentum !== 0) {
      buf = this.state.get(p)?.momentumBuffer ?? null;
      isFirstStep = buf === null; // b₁ ← g (the kernel writes it)
      buf ??= this.initState(p, { momentumBuffer: zerosLike(p) }).momentumBuffer!;
    }
    sgdStep_(p, grad, buf, { lr, momentum, dampening, weightDecay, nesterov, maximize, isFirstStep }); // one fused kernel
  }
}
