import { ArgumentError, type Generator, linear, ShapeError, Tensor, zeros } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, checkTensor, describeInput, fmtShape } from '../checks';
import { Module } from '../module';
import { reprFields } from '../summary';
import { Parameter } from '../parameter';
import { uniform } from '../init';

/**
 * Options of {@link Linear}.
 * @example
 * ```ts
 * new Linear(4, 2, { bias: false });
 * ```
 */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Draw the initial weights from this generator instead of the global stream (`manualSeed`). */
  generator?: Generator;
}

/**
 * Fully connected layer: y = x Wᵀ + b, as `torch.nn.Linear`.
 *
 * Shapes: input `[*, inFeatures]` → output `[*, outFeatures]` (any leading dims, or none).
 * Parameters: `weight` [outFeatures, inFeatures], `bias` [outFeatures] (state-dict keys `weight`,
 * `bias`). Initialisation as PyTorch: both drawn from U(−1/√inFeatures, 1/√inFeatures)
 * (kaiming uniform with a = √5 for the weight).
 * @example
 * ```ts
 * const fc = new Linear(4, 2);
 * fc.forward(randn([8, 4])).shape; // [8, 2]
 * Object.keys(fc.stateDict());     // ['weight', 'bias']
 * ```
 */
export class Linear extends Module {
  /** Learnable weight [outFeatures, inFeatures]. @example `new Linear(4, 2).weight.shape // [2, 4]` */
  weight: Parameter;
  /** Learnable bias [outFeatures], or null when created with `{ bias: false }`. @example `new Linear(4, 2, { bias: false }).bias // null` */
  bias: Parameter | null;
  /** Size of each input sample. @example `new Linear(4, 2).inFeatures // 4` */
  readonly inFeatures: number;
  /** Size of each output sample. @example `new Linear(4, 2).outFeatures // 2` */
  readonly outFeatures: number;

  /**
   * @param inFeatures size of each input sample (positive integer)
   * @param outFeatures size of each output sample (positive integer)
   * @example
   * ```ts
   * const head = new Linear(128, 10);
   * ```
   */
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkKeys('Linear', opts, ['bias', 'generator']);
    checkPositiveInt('Linear', 'inFeatures', inFeatures);
    checkPositiveInt('Linear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = 1 / Math.sqrt(inFeatures);
    const generator = opts.generator;
    this.weight = uniform(new Parameter(zeros([outFeatures, inFeatures])), { a: -bound, b: bound, generator });
    this.bias = (opts.bias ?? true) ? uniform(new Parameter(zeros([outFeatures])), { a: -bound, b: bound, generator }) : null;
  }

  /**
   * y = x Wᵀ + b over the last dim of `x` `[*, inFeatures]` → `[*, outFeatures]`.
   * @example
   * ```ts
   * new Linear(3, 1).forward(ones([2, 3])).shape; // [2, 1]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('Linear', x);
    return linear(x, this.weight, this.bias);
  }

  /** PyTorch's extra_repr, in our names. @example `String(new Linear(4, 2)) // 'Linear(inFeatures=4, outFeatures=2, bias=true)'` */
  override extraRepr(): string {
    return reprFields({ inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null });
  }
}

/**
 * Options of {@link Flatten}.
 * @example
 * ```ts
 * new Flatten({ startDim: 0 });
 * ```
 */
export interface FlattenOptions {
  /** First dim to merge (default 1, keeping the batch dim). */
  startDim?: number;
  /** Last dim to merge (default −1). */
  endDim?: number;
}

/**
 * Merges dims `startDim`…`endDim` into one, as `torch.nn.Flatten` (by default everything but
 * the batch dim). Shapes: [N, d1, …, dk] → [N, d1·…·dk] with the defaults. No parameters.
 * @example
 * ```ts
 * new Flatten().forward(zeros([8, 3, 4, 4])).shape; // [8, 48]
 * ```
 */
export class Flatten extends Module {
  /** First merged dim. @example `new Flatten().startDim // 1` */
  readonly startDim: number;
  /** Last merged dim. @example `new Flatten().endDim // -1` */
  readonly endDim: number;

  /**
   * @example
   * ```ts
   * new Flatten({ startDim: 1, endDim: 2 });
   * ```
   */
  constructor(opts: FlattenOptions = {}) {
    super();
    checkKeys('Flatten', opts, ['startDim', 'endDim']);
    const { startDim = 1, endDim = -1 } = opts;
    if (!Number.isInteger(startDim)) throw new ArgumentError('Flatten', `startDim must be an integer, got ${startDim}`);
    if (!Number.isInteger(endDim)) throw new ArgumentError('Flatten', `endDim must be an integer, got ${endDim}`);
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /**
   * The input with dims `startDim`…`endDim` merged (a view when possible).
   * @example
   * ```ts
   * new Flatten().forward(zeros([2, 3, 4])).shape; // [2, 12]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const n = x instanceof Tensor ? Math.max(x.ndim, 1) : 0;
    const s = this.startDim < 0 ? this.startDim + n : this.startDim;
    const e = this.endDim < 0 ? this.endDim + n : this.endDim;
    if (!(x instanceof Tensor) || s < 0 || s >= n || e < 0 || e >= n) {
      throw new ShapeError(
        'Flatten',
        `expected input with at least ${minDims(this.startDim, this.endDim)} dims (startDim ${this.startDim}, endDim ${this.endDim}), got ${describeInput(x)}`,
      );
    }
    if (s > e) throw new ArgumentError('Flatten', `startDim ${this.startDim} comes after endDim ${this.endDim} for input ${fmtShape(x.shape)}`);
    return x.flatten(this.startDim, this.endDim);
  }

  /** PyTorch's extra_repr, in our names. @example `String(new Flatten()) // 'Flatten(startDim=1, endDim=-1)'` */
  override extraRepr(): string {
    return reprFields({ startDim: this.startDim, endDim: this.endDim });
  }
}

function minDims(start: number, end: number): number {
  const need = (d: number) => (d < 0 ? -d : d + 1);
  return Math.max(need(start), need(end));
}
