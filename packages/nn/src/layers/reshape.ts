import { ArgumentError, ShapeError, type Tensor } from '@aimodel/tensor';
import { checkTensor, fmtShape } from '../checks';
import { Module } from '../module';
import { reprFields } from '../summary';

/**
 * The identity, as `torch.nn.Identity`: returns its (first) input unchanged, the same tensor. A
 * placeholder where a layer is optional, or to replace a layer (a classifier head) by nothing.
 * @example
 * ```ts
 * const x = randn([2, 3]);
 * new Identity().forward(x) === x; // true
 * ```
 */
export class Identity extends Module {
  /**
   * The first input itself (further arguments are ignored, as PyTorch).
   * @example
   * ```ts
   * new Identity().forward(tensor([1, 2])); // [1, 2]
   * ```
   */
  override forward<T>(x: T, ..._ignored: unknown[]): T {
    return x;
  }
}

/**
 * Splits dim `dim` into `unflattenedSize`, as `torch.nn.Unflatten` (the inverse of
 * {@link Flatten}). Shapes: [N, …, d, …] → [N, …, s₁, …, sₖ, …] with s₁·…·sₖ = d; one size may be
 * −1 (inferred). No parameters.
 * @example
 * ```ts
 * new Unflatten(1, [2, 3]).forward(zeros([4, 6])).shape; // [4, 2, 3]
 * ```
 */
export class Unflatten extends Module {
  /** The dim that is split. @example `new Unflatten(1, [2, 3]).dim // 1` */
  readonly dim: number;
  /** The sizes it is split into. @example `new Unflatten(1, [2, 3]).unflattenedSize // [2, 3]` */
  readonly unflattenedSize: readonly number[];

  /**
   * @param dim the dim to split (negative counts from the end)
   * @param unflattenedSize its new sizes (one may be −1)
   * @example
   * ```ts
   * new Unflatten(-1, [4, -1]);
   * ```
   */
  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    if (!Number.isInteger(dim)) throw new ArgumentError('Unflatten', `dim must be an integer, got ${dim}`);
    const sizes = Array.isArray(unflattenedSize) ? [...unflattenedSize] : [];
    if (!sizes.length || sizes.some((s) => !Number.isInteger(s) || (s < 0 && s !== -1)) || sizes.filter((s) => s === -1).length > 1) {
      throw new ArgumentError('Unflatten', `unflattenedSize must be a non-empty list of sizes >= 0 (at most one -1), got ${JSON.stringify(unflattenedSize)}`);
    }
    this.dim = dim;
    this.unflattenedSize = sizes;
  }

  /**
   * The input with dim `dim` split into `unflattenedSize` (a view when possible).
   * @example
   * ```ts
   * new Unflatten(0, [2, 2]).forward(tensor([1, 2, 3, 4])); // [[1, 2], [3, 4]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('Unflatten', x);
    const d = this.dim < 0 ? this.dim + x.ndim : this.dim;
    if (d < 0 || d >= x.ndim) throw new ShapeError('Unflatten', `dim ${this.dim} is out of range for input ${fmtShape(x.shape)}`);
    const known = this.unflattenedSize.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
    const sizes = this.unflattenedSize.map((s) => (s === -1 ? (known ? x.shape[d] / known : 0) : s));
    if (sizes.reduce((a, b) => a * b, 1) !== x.shape[d] || sizes.some((s) => !Number.isInteger(s))) {
      throw new ShapeError(
        'Unflatten',
        `cannot split dim ${this.dim} of size ${x.shape[d]} (input ${fmtShape(x.shape)}) into ${fmtShape(this.unflattenedSize)}`,
      );
    }
    return x.reshape([...x.shape.slice(0, d), ...sizes, ...x.shape.slice(d + 1)]);
  }

  /** PyTorch's extra_repr, in our names. @example `String(new Unflatten(1, [2, 3])) // 'Unflatten(dim=1, unflattenedSize=[2, 3])'` */
  override extraRepr(): string {
    return reprFields({ dim: this.dim, unflattenedSize: [...this.unflattenedSize] });
  }
}
