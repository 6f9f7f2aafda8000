import { adaptiveAvgPool2d, avgPool2d, type AvgPool2dOptions, maxPool2d, type MaxPool2dOptions, scope, ShapeError, Tensor } from '@aimodel/tensor';
import { adaptiveSize2d, checkKeys, checkPoolPadding, describeInput, intTuple } from '../checks';
import { Module } from '../module';
import { reprFields } from '../summary';

type Pair = [number, number];

/** Check [N, C, H, W] or unbatched [C, H, W] input; true when it is unbatched. */
function checkInput(layer: string, x: Tensor): boolean {
  if (!(x instanceof Tensor) || (x.ndim !== 4 && x.ndim !== 3)) {
    throw new ShapeError(layer, `expected 4-D input [N, C, H, W] (or 3-D [C, H, W] unbatched), got ${describeInput(x)}`);
  }
  return x.ndim === 3;
}

/** Run a 4-D pooling function on 3-D (unbatched) or 4-D input. */
function pool4d(x: Tensor, unbatched: boolean, fn: (x4: Tensor) => Tensor): Tensor {
  return unbatched ? scope(() => fn(x.unsqueeze(0)).squeeze(0)) : fn(x);
}

/**
 * 2-D max pooling, as `torch.nn.MaxPool2d`: each output cell is the maximum of a
 * kernelSize window (taps `dilation` apart, windows `stride` apart, −∞ padding).
 *
 * Shapes: [N, C, H, W] (or [C, H, W]) → [N, C, Ho, Wo], Ho = ⌊(H + 2·padding −
 * dilation·(kh − 1) − 1) / stride⌋ + 1 (⌈⌉ with `ceilMode`). The gradient goes to the first
 * maximum of each window. No parameters.
 * @example
 * ```ts
 * const pool = new MaxPool2d(2);
 * pool.forward(randn([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 * ```
 */
export class MaxPool2d extends Module {
  /** Window size [kh, kw]. @example `new MaxPool2d(2).kernelSize // [2, 2]` */
  readonly kernelSize: Pair;
  /** Step between windows [sh, sw] (default: the kernel size). @example `new MaxPool2d(3, { stride: 2 }).stride // [2, 2]` */
  readonly stride: Pair;
  /** Implicit −∞ padding [ph, pw] on each side. @example `new MaxPool2d(3, { padding: 1 }).padding // [1, 1]` */
  readonly padding: Pair;
  /** Spacing between window taps [dh, dw]. @example `new MaxPool2d(2, { dilation: 2 }).dilation // [2, 2]` */
  readonly dilation: Pair;
  /** Round the output size up instead of down. @example `new MaxPool2d(2, { ceilMode: true }).ceilMode // true` */
  readonly ceilMode: boolean;

  /**
   * @param kernelSize window size, a number or [kh, kw]
   * @example
   * ```ts
   * new MaxPool2d(3, { stride: 2, padding: 1 });
   * ```
   */
  constructor(kernelSize: number | Pair, opts: MaxPool2dOptions = {}) {
    super();
    checkKeys('MaxPool2d', opts, ['stride', 'padding', 'dilation', 'ceilMode']);
    this.kernelSize = intTuple('MaxPool2d', 'kernelSize', kernelSize, 2, 1);
    this.stride = intTuple('MaxPool2d', 'stride', opts.stride ?? this.kernelSize, 2, 1);
    this.padding = intTuple('MaxPool2d', 'padding', opts.padding ?? 0, 2, 0);
    this.dilation = intTuple('MaxPool2d', 'dilation', opts.dilation ?? 1, 2, 1);
    this.ceilMode = opts.ceilMode ?? false;
    checkPoolPadding('MaxPool2d', this.padding, this.kernelSize);
  }

  /**
   * Max-pool `x` [N, C, H, W] (or [C, H, W]).
   * @example
   * ```ts
   * new MaxPool2d(2).forward(tensor([[[[1, 2], [3, 4]]]])); // [[[[4]]]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const unbatched = checkInput('MaxPool2d', x);
    const opts = { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
    return pool4d(x, unbatched, (x4) => maxPool2d(x4, this.kernelSize, opts));
  }

  /** PyTorch's extra_repr, in our names. @example `String(new MaxPool2d(2)) // 'MaxPool2d(kernelSize=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1], ceilMode=false)'` */
  override extraRepr(): string {
    return reprFields({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }
}

/**
 * 2-D average pooling, as `torch.nn.AvgPool2d`: each output cell is the mean of a kernelSize
 * window (zero padding counted in the divisor unless `countIncludePad` is false).
 *
 * Shapes: [N, C, H, W] (or [C, H, W]) → [N, C, Ho, Wo], Ho = ⌊(H + 2·padding − kh) / stride⌋ + 1
 * (⌈⌉ with `ceilMode`). No parameters.
 * @example
 * ```ts
 * const pool = new AvgPool2d(2);
 * pool.forward(tensor([[[[1, 2], [3, 4]]]])); // [[[[2.5]]]]
 * ```
 */
export class AvgPool2d extends Module {
  /** Window size [kh, kw]. @example `new AvgPool2d([2, 3]).kernelSize // [2, 3]` */
  readonly kernelSize: Pair;
  /** Step between windows [sh, sw] (default: the kernel size). @example `new AvgPool2d(2).stride // [2, 2]` */
  readonly stride: Pair;
  /** Zero padding [ph, pw] on each side. @example `new AvgPool2d(3, { padding: 1 }).padding // [1, 1]` */
  readonly padding: Pair;
  /** Round the output size up instead of down. @example `new AvgPool2d(2, { ceilMode: true }).ceilMode // true` */
  readonly ceilMode: boolean;
  /** Count padded zeros in the divisor. @example `new AvgPool2d(3, { padding: 1, countIncludePad: false }).countIncludePad // false` */
  readonly countIncludePad: boolean;

  /**
   * @param kernelSize window size, a number or [kh, kw]
   * @example
   * ```ts
   * new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false });
   * ```
   */
  constructor(kernelSize: number | Pair, opts: AvgPool2dOptions = {}) {
    super();
    checkKeys('AvgPool2d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad']);
    this.kernelSize = intTuple('AvgPool2d', 'kernelSize', kernelSize, 2, 1);
    this.stride = intTuple('AvgPool2d', 'stride', opts.stride ?? this.kernelSize, 2, 1);
    this.padding = intTuple('AvgPool2d', 'padding', opts.padding ?? 0, 2, 0);
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    checkPoolPadding('AvgPool2d', this.padding, this.kernelSize);
  }

  /**
   * Average-pool `x` [N, C, H, W] (or [C, H, W]).
   * @example
   * ```ts
   * new AvgPool2d(2).forward(ones([1, 1, 4, 4])).shape; // [1, 1, 2, 2]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const unbatched = checkInput('AvgPool2d', x);
    const opts = { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad };
    return pool4d(x, unbatched, (x4) => avgPool2d(x4, this.kernelSize, opts));
  }

  /** PyTorch's extra_repr, in our names. @example `String(new AvgPool2d(2)) // 'AvgPool2d(kernelSize=[2, 2], stride=[2, 2], padding=[0, 0])'` */
  override extraRepr(): string {
    return reprFields({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding });
  }
}

/**
 * Adaptive 2-D average pooling to a fixed output size, as `torch.nn.AdaptiveAvgPool2d`: output
 * cell (i, j) averages input rows ⌊i·H/Ho⌋ … ⌈(i+1)·H/Ho⌉ − 1 and the matching columns.
 *
 * Shapes: [N, C, H, W] (or [C, H, W]) → [N, C, Ho, Wo]; a `null` in `outputSize` keeps that
 * input size. No parameters.
 * @example
 * ```ts
 * const gap = new AdaptiveAvgPool2d(1); // global average pooling
 * gap.forward(randn([8, 512, 7, 7])).shape; // [8, 512, 1, 1]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  /** Target [Ho, Wo]; null entries keep the input's size. @example `new AdaptiveAvgPool2d([7, null]).outputSize // [7, null]` */
  readonly outputSize: [number | null, number | null];

  /**
   * @param outputSize target size: a number, or [Ho, Wo] where either may be null
   * @example
   * ```ts
   * new AdaptiveAvgPool2d([7, null]);
   * ```
   */
  constructor(outputSize: number | [number | null, number | null]) {
    super();
    this.outputSize = adaptiveSize2d('AdaptiveAvgPool2d', outputSize);
  }

  /**
   * Pool `x` [N, C, H, W] (or [C, H, W]) to [N, C, Ho, Wo].
   * @example
   * ```ts
   * new AdaptiveAvgPool2d(1).forward(tensor([[[[1, 2], [3, 4]]]])); // [[[[2.5]]]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const unbatched = checkInput('AdaptiveAvgPool2d', x);
    const [h, w] = x.shape.slice(-2);
    const size: Pair = [this.outputSize[0] ?? h, this.outputSize[1] ?? w];
    return pool4d(x, unbatched, (x4) => adaptiveAvgPool2d(x4, size));
  }

  /** PyTorch's extra_repr, in our names. @example `String(new AdaptiveAvgPool2d(1)) // 'AdaptiveAvgPool2d(outputSize=[1, 1])'` */
  override extraRepr(): string {
    return reprFields({ outputSize: this.outputSize });
  }
}
