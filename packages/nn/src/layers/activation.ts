import { ArgumentError, type GeluOptions, logSoftmax, ShapeError, softmax, type Tensor } from '@aimodel/tensor';
import { checkKeys, checkTensor, fmtShape } from '../checks';
import { Module } from '../module';
import { reprFields } from '../summary';

/**
 * Rectified linear unit, as `torch.nn.ReLU`: max(0, x). Shapes: any → same. No parameters.
 * @example
 * ```ts
 * new ReLU().forward(tensor([-1, 0, 2])); // [0, 0, 2]
 * ```
 */
export class ReLU extends Module {
  /**
   * max(0, x) elementwise.
   * @example
   * ```ts
   * new ReLU().forward(tensor([-3, 3])); // [0, 3]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('ReLU', x);
    return x.relu();
  }
}

/**
 * Gaussian error linear unit, as `torch.nn.GELU`: x·Φ(x) with the exact erf (default) or the
 * tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Shapes: any → same.
 * @example
 * ```ts
 * new GELU().forward(tensor([0, 1]));                        // ≈ [0, 0.8413]
 * new GELU({ approximate: 'tanh' }).forward(tensor([0, 1])); // ≈ [0, 0.8412]
 * ```
 */
export class GELU extends Module {
  /** `'none'` (exact) or `'tanh'`. @example `new GELU({ approximate: 'tanh' }).approximate // 'tanh'` */
  readonly approximate: 'none' | 'tanh';

  /**
   * @example
   * ```ts
   * new GELU({ approximate: 'tanh' });
   * ```
   */
  constructor(opts: GeluOptions = {}) {
    super();
    checkKeys('GELU', opts, ['approximate']);
    const approximate = opts.approximate ?? 'none';
    if (approximate !== 'none' && approximate !== 'tanh')
      throw new ArgumentError('GELU', `approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
    this.approximate = approximate;
  }

  /**
   * x·Φ(x) elementwise.
   * @example
   * ```ts
   * new GELU().forward(randn([2, 3])).shape; // [2, 3]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('GELU', x);
    return x.gelu({ approximate: this.approximate });
  }

  /** PyTorch's extra_repr. @example `String(new GELU()) // "GELU(approximate='none')"` */
  override extraRepr(): string {
    return reprFields({ approximate: this.approximate });
  }
}

/**
 * Logistic sigmoid, as `torch.nn.Sigmoid`: 1 / (1 + e^(−x)). Shapes: any → same.
 * @example
 * ```ts
 * new Sigmoid().forward(tensor([0])); // [0.5]
 * ```
 */
export class Sigmoid extends Module {
  /**
   * 1 / (1 + e^(−x)) elementwise.
   * @example
   * ```ts
   * new Sigmoid().forward(tensor([-100, 100])); // ≈ [0, 1]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('Sigmoid', x);
    return x.sigmoid();
  }
}

/**
 * Hyperbolic tangent, as `torch.nn.Tanh`. Shapes: any → same.
 * @example
 * ```ts
 * new Tanh().forward(tensor([0, 1])); // ≈ [0, 0.7616]
 * ```
 */
export class Tanh extends Module {
  /**
   * tanh(x) elementwise.
   * @example
   * ```ts
   * new Tanh().forward(tensor([-1])); // ≈ [-0.7616]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('Tanh', x);
    return x.tanh();
  }
}

/**
 * Leaky ReLU, as `torch.nn.LeakyReLU`: x for x > 0, else negativeSlope·x. Shapes: any → same.
 * @example
 * ```ts
 * new LeakyReLU(0.1).forward(tensor([-2, 3])); // [-0.2, 3]
 * ```
 */
export class LeakyReLU extends Module {
  /** Slope for negative inputs. @example `new LeakyReLU(0.2).negativeSlope // 0.2` */
  readonly negativeSlope: number;

  /**
   * @param negativeSlope slope for negative inputs (default 0.01)
   * @example
   * ```ts
   * new LeakyReLU(0.2);
   * ```
   */
  constructor(negativeSlope = 0.01) {
    super();
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) {
      throw new ArgumentError('LeakyReLU', `negativeSlope must be a finite number, got ${negativeSlope}`);
    }
    this.negativeSlope = negativeSlope;
  }

  /**
   * x for x > 0, else negativeSlope·x, elementwise.
   * @example
   * ```ts
   * new LeakyReLU().forward(tensor([-100])); // [-1]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('LeakyReLU', x);
    return x.leakyRelu(this.negativeSlope);
  }

  /** PyTorch's extra_repr, in our names. @example `String(new LeakyReLU()) // 'LeakyReLU(negativeSlope=0.01)'` */
  override extraRepr(): string {
    return reprFields({ negativeSlope: this.negativeSlope });
  }
}

/**
 * What {@link Softmax} and {@link LogSoftmax} share: a normalisation along `dim`, an integer fixed
 * at construction and checked against each input's rank.
 */
abstract class NormalizeAlongDim extends Module {
  /** The dim normalised over. @example `new Softmax(1).dim // 1` */
  readonly dim: number;
  readonly #op: string;
  readonly #fn: (x: Tensor, dim: number) => Tensor;

  constructor(op: string, fn: (x: Tensor, dim: number) => Tensor, dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new ArgumentError(op, `dim must be an integer, got ${dim}`);
    this.dim = dim;
    this.#op = op;
    this.#fn = fn;
  }

  /**
   * The normalisation of `x` along `dim`.
   * @example
   * ```ts
   * new Softmax(0).forward(tensor([0, 0])); // [0.5, 0.5]
   * new LogSoftmax(0).forward(tensor([0, 0])); // ≈ [-0.6931, -0.6931]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor(this.#op, x);
    const n = Math.max(x.ndim, 1);
    if (this.dim < -n || this.dim >= n)
      throw new ShapeError(
        this.#op,
        `dim ${this.dim} is out of range for input ${fmtShape(x.shape)} (expected at least ${this.dim < 0 ? -this.dim : this.dim + 1} dims)`,
      );
    return this.#fn(x, this.dim);
  }

  /** PyTorch's extra_repr. @example `String(new Softmax(1)) // 'Softmax(dim=1)'` */
  override extraRepr(): string {
    return reprFields({ dim: this.dim });
  }
}

/**
 * Softmax along `dim`, as `torch.nn.Softmax`: exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x); the values
 * along `dim` are positive and sum to 1. Shapes: any → same.
 * @example
 * ```ts
 * new Softmax(-1).forward(tensor([[1, 2, 3]])); // ≈ [[0.0900, 0.2447, 0.6652]]
 * ```
 */
export class Softmax extends NormalizeAlongDim {
  /**
   * @param dim dim to normalize over (default −1, the last; PyTorch has no default and warns)
   * @example
   * ```ts
   * new Softmax(1);
   * ```
   */
  constructor(dim = -1) {
    super('Softmax', softmax, dim);
  }
}

/**
 * Log-softmax along `dim`, as `torch.nn.LogSoftmax`: xᵢ − log Σⱼ exp(xⱼ), computed stably. Shapes:
 * any → same. Pair it with {@link nllLoss}.
 * @example
 * ```ts
 * new LogSoftmax(-1).forward(tensor([[1, 2, 3]])); // ≈ [[-2.4076, -1.4076, -0.4076]]
 * String(new LogSoftmax(1)); // 'LogSoftmax(dim=1)'
 * ```
 */
export class LogSoftmax extends NormalizeAlongDim {
  /**
   * @param dim dim to normalize over (default −1, the last)
   * @example
   * ```ts
   * new LogSoftmax(1);
   * ```
   */
  constructor(dim = -1) {
    super('LogSoftmax', logSoftmax, dim);
  }
}
