import { ArgumentError, cat, ones, ShapeError, scope, Tensor, zeros } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, checkTensor, describeInput, fmtShape } from '../checks';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { reprFields } from '../summary';

/** float32 machine epsilon, RMSNorm's default eps (PyTorch's torch.finfo(x.dtype).eps). */
const FLOAT32_EPS = 1.1920928955078125e-7; // 2⁻²³ (a literal: bundles keep an unused `2 ** -23`)

/**
 * Options of {@link RMSNorm} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new RMSNorm(512, { eps: 1e-6 });
 * ```
 */
export interface RMSNormOptions {
  /** Added to the mean square (default null: float32's machine epsilon, 2⁻²³, as PyTorch). */
  eps?: number | null;
  /** Learn an elementwise scale `weight` (init 1) (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Root-mean-square layer normalization, as `torch.nn.RMSNorm`: y = x / √(mean(x²) + eps) · weight,
 * the mean over the trailing `normalizedShape` dims (no centring, no bias).
 *
 * Shapes: `[*, …normalizedShape]` → same. Parameter `weight` with `normalizedShape` (init 1).
 * @example
 * ```ts
 * new RMSNorm(2).forward(tensor([[3, 4]])); // ≈ [[0.8485, 1.1314]]: divided by √12.5
 * ```
 */
export class RMSNorm extends Module {
  /** Elementwise scale (init 1), or null without `elementwiseAffine`. @example `new RMSNorm(8).weight!.shape // [8]` */
  weight: Parameter | null;
  /** The trailing dims normalized over. @example `new RMSNorm(8).normalizedShape // [8]` */
  readonly normalizedShape: number[];
  /** Added to the mean square (null: float32's machine epsilon). @example `new RMSNorm(8).eps // null` */
  readonly eps: number | null;
  /** Whether `weight` exists. @example `new RMSNorm(8).elementwiseAffine // true` */
  readonly elementwiseAffine: boolean;

  /**
   * @param normalizedShape size of the last dim, or the sizes of the trailing dims
   * @example
   * ```ts
   * new RMSNorm([4, 4], { elementwiseAffine: false });
   * ```
   */
  constructor(normalizedShape: number | readonly number[], opts: RMSNormOptions = {}) {
    super();
    checkKeys('RMSNorm', opts, ['eps', 'elementwiseAffine']);
    const { eps = null, elementwiseAffine = true } = opts;
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : [];
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ArgumentError('RMSNorm', `normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
    }
    if (eps !== null && (typeof eps !== 'number' || !(eps >= 0))) throw new ArgumentError('RMSNorm', `eps must be a number >= 0 or null, got ${eps}`);
    this.normalizedShape = shape;
    this.eps = eps;
    this.elementwiseAffine = elementwiseAffine;
    this.weight = elementwiseAffine ? new Parameter(ones(shape)) : null;
  }

  /**
   * x / √(mean(x²) + eps) · weight over the trailing dims.
   * @example
   * ```ts
   * new RMSNorm(4).forward(randn([2, 3, 4])).shape; // [2, 3, 4]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('RMSNorm', x);
    const k = this.normalizedShape.length;
    if (x.ndim < k || this.normalizedShape.some((d, i) => x.shape[x.ndim - k + i] !== d)) {
      throw new ShapeError('RMSNorm', `expected input [*, ${this.normalizedShape.join(', ')}], got ${fmtShape(x.shape)}`);
    }
    return scope(() => {
      const dims = this.normalizedShape.map((_, i) => x.ndim - k + i);
      const y = x.mul(
        x
          .mul(x)
          .mean(dims, { keepdim: true })
          .add(this.eps ?? FLOAT32_EPS)
          .rsqrt(),
      );
      return this.weight ? y.mul(this.weight) : y;
    });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new RMSNorm(8)) // 'RMSNorm([8], eps=null, elementwiseAffine=true)'` */
  override extraRepr(): string {
    return `${reprFields({ normalizedShape: this.normalizedShape }).slice('normalizedShape='.length)}, ${reprFields({ eps: this.eps, elementwiseAffine: this.elementwiseAffine })}`;
  }
}

/**
 * Options of {@link LocalResponseNorm} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2 });
 * ```
 */
export interface LocalResponseNormOptions {
  /** Multiplicative factor α (default 1e-4). */
  alpha?: number;
  /** Exponent β (default 0.75). */
  beta?: number;
  /** Additive factor k (default 1). */
  k?: number;
}

/**
 * Local response normalization across channels, as `torch.nn.LocalResponseNorm` (AlexNet):
 * b_c = a_c · (k + α/n · Σ a_{c'}²)^−β, the sum over the `size` channels around c (⌊size/2⌋
 * before, ⌊(size−1)/2⌋ after, zeros beyond the edges).
 *
 * Shapes: [N, C, *] → same. No parameters.
 * @example
 * ```ts
 * new LocalResponseNorm(2).forward(randn([1, 4, 3, 3])).shape; // [1, 4, 3, 3]
 * ```
 */
export class LocalResponseNorm extends Module {
  /** Channels in the window. @example `new LocalResponseNorm(5).size // 5` */
  readonly size: number;
  /** α. @example `new LocalResponseNorm(5).alpha // 0.0001` */
  readonly alpha: number;
  /** β. @example `new LocalResponseNorm(5).beta // 0.75` */
  readonly beta: number;
  /** k. @example `new LocalResponseNorm(5).k // 1` */
  readonly k: number;

  /**
   * @param size number of neighbouring channels in the window
   * @example
   * ```ts
   * new LocalResponseNorm(5);
   * ```
   */
  constructor(size: number, opts: LocalResponseNormOptions = {}) {
    super();
    checkKeys('LocalResponseNorm', opts, ['alpha', 'beta', 'k']);
    checkPositiveInt('LocalResponseNorm', 'size', size);
    const { alpha = 1e-4, beta = 0.75, k = 1 } = opts;
    for (const [name, v] of Object.entries({ alpha, beta, k })) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError('LocalResponseNorm', `${name} must be a finite number, got ${v}`);
    }
    this.size = size;
    this.alpha = alpha;
    this.beta = beta;
    this.k = k;
  }

  /**
   * Normalize `x` [N, C, *] across channels.
   * @example
   * ```ts
   * new LocalResponseNorm(1, { alpha: 1, beta: 1, k: 0 }).forward(tensor([[2, 4]])); // [[0.5, 0.25]]: a / a²
   * ```
   */
  override forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.ndim < 2) throw new ShapeError('LocalResponseNorm', `expected input [N, C, *], got ${describeInput(x)}`);
    return scope(() => {
      const c = x.shape[1];
      const sq = x.mul(x);
      const before = Math.floor(this.size / 2);
      const after = Math.floor((this.size - 1) / 2);
      const padShape = (p: number) => [x.shape[0], p, ...x.shape.slice(2)];
      const parts = [before ? zeros(padShape(before), { device: x.device }) : null, sq, after ? zeros(padShape(after), { device: x.device }) : null];
      const padded = cat(
        parts.filter((t): t is Tensor => t !== null),
        1,
      );
      let sum = padded.narrow(1, 0, c);
      for (let i = 1; i < this.size; i++) sum = sum.add(padded.narrow(1, i, c));
      return x.div(
        sum
          .mul(this.alpha / this.size)
          .add(this.k)
          .pow(this.beta),
      );
    });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new LocalResponseNorm(5)) // 'LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=1)'` */
  override extraRepr(): string {
    return `${this.size}, ${reprFields({ alpha: this.alpha, beta: this.beta, k: this.k })}`;
  }
}
