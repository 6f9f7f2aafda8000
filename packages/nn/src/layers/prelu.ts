import { ArgumentError, full, ShapeError, scope, type Tensor } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, checkTensor, fmtShape } from '../checks';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { reprFields } from '../summary';

/**
 * Options of {@link PReLU} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new PReLU({ numParameters: 16, init: 0.1 });
 * ```
 */
export interface PReLUOptions {
  /** Number of learnable slopes: 1 (shared) or the number of channels (dim 1) (default 1). */
  numParameters?: number;
  /** Initial slope (default 0.25). */
  init?: number;
}

/**
 * Parametric ReLU, as `torch.nn.PReLU`: max(0, x) + a·min(0, x) with learnable slopes `weight`
 * [numParameters] (one shared, or one per channel along dim 1), initialised to 0.25. Shapes: any
 * → same. State-dict key: `weight`.
 * @example
 * ```ts
 * new PReLU().forward(tensor([-2, 3])); // [-0.5, 3]
 * ```
 */
export class PReLU extends Module {
  /** The slopes a [numParameters] (key `weight`). @example `new PReLU().weight.shape // [1]` */
  weight: Parameter;
  /** Number of slopes. @example `new PReLU({ numParameters: 3 }).numParameters // 3` */
  readonly numParameters: number;

  /**
   * @example
   * ```ts
   * new PReLU({ numParameters: 3 }); // one slope per channel of [N, 3, …] inputs
   * ```
   */
  constructor(opts: PReLUOptions = {}) {
    super();
    checkKeys('PReLU', opts, ['numParameters', 'init']);
    const { numParameters = 1, init = 0.25 } = opts;
    checkPositiveInt('PReLU', 'numParameters', numParameters);
    if (typeof init !== 'number' || !Number.isFinite(init)) throw new ArgumentError('PReLU', `init must be a finite number, got ${init}`);
    this.numParameters = numParameters;
    this.weight = new Parameter(full([numParameters], init));
  }

  /**
   * max(0, x) + a·min(0, x), with a broadcast along dim 1 when there are several slopes.
   * @example
   * ```ts
   * new PReLU({ numParameters: 2, init: 0.5 }).forward(tensor([[-2, -4]])); // [[-1, -2]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('PReLU', x);
    const n = this.numParameters;
    if (n > 1) {
      const channels = x.ndim >= 2 ? x.shape[1] : x.ndim === 1 ? x.shape[0] : 0;
      if (channels !== n) throw new ShapeError('PReLU', `expected ${n} channels (dim 1; dim 0 of a 1-D input), got input ${fmtShape(x.shape)}`);
    }
    return scope(() => {
      const a = n > 1 && x.ndim >= 2 ? this.weight.reshape([n, ...new Array<number>(x.ndim - 2).fill(1)]) : this.weight;
      return x.relu().add(x.clamp(null, 0).mul(a));
    });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new PReLU()) // 'PReLU(numParameters=1)'` */
  override extraRepr(): string {
    return reprFields({ numParameters: this.numParameters });
  }
}
