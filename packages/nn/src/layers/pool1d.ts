import { avgPool2d, cat, maxPool2d, scope, ShapeError, Tensor } from '@aimodel/tensor';
import { adaptiveSize2d, checkKeys, checkPoolPadding, describeInput, intTuple } from '../checks';
import { Module } from '../module';
import { reprFields } from '../summary';

// 1-D pooling runs the 2-D kernels on [N, C, 1, L]; adaptive max pooling is composed from
// narrow + max, rows then columns (the maximum over a rectangle is separable).

/**
 * Options of {@link MaxPool1d} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new MaxPool1d(3, { stride: 2, padding: 1 });
 * ```
 */
export interface MaxPool1dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: number;
  /** Implicit −∞ padding on each side (default 0; at most half the kernel). */
  padding?: number;
  /** Spacing between window taps (default 1). */
  dilation?: number;
  /** Use ⌈⌉ instead of ⌊⌋ for the output length (default false). */
  ceilMode?: boolean;
}

/**
 * Options of {@link AvgPool1d} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new AvgPool1d(3, { stride: 1, padding: 1, countIncludePad: false });
 * ```
 */
export interface AvgPool1dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: number;
  /** Implicit zero padding on each side (default 0; at most half the kernel). */
  padding?: number;
  /** Use ⌈⌉ instead of ⌊⌋ for the output length (default false). */
  ceilMode?: boolean;
  /** Count padded zeros in the divisor (default true). */
  countIncludePad?: boolean;
}

/** [N, C, L] or unbatched [C, L] → [N, C, 1, L] for the 2-D kernels, and back. */
function pool3d(layer: string, x: Tensor, fn: (x4: Tensor) => Tensor): Tensor {
  if (!(x instanceof Tensor) || (x.ndim !== 3 && x.ndim !== 2)) {
    throw new ShapeError(layer, `expected 3-D input [N, C, L] (or 2-D [C, L] unbatched), got ${describeInput(x)}`);
  }
  return scope(() => {
    const x3 = x.ndim === 2 ? x.unsqueeze(0) : x;
    const y = fn(x3.unsqueeze(2)).squeeze(2);
    return x.ndim === 2 ? y.squeeze(0) : y;
  });
}

function int(layer: string, name: string, v: unknown, min: number): number {
  return intTuple(layer, name, v, 1, min)[0];
}

/**
 * 1-D max pooling, as `torch.nn.MaxPool1d`. Shapes: [N, C, L] (or [C, L]) → [N, C, Lo], Lo =
 * ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1 (⌈⌉ with `ceilMode`). No parameters.
 * @example
 * ```ts
 * new MaxPool1d(2).forward(tensor([[[1, 3, 2, 5]]])); // [[[3, 5]]]
 * ```
 */
export class MaxPool1d extends Module {
  /** Window length. @example `new MaxPool1d(3).kernelSize // 3` */
  readonly kernelSize: number;
  /** Step between windows. @example `new MaxPool1d(3).stride // 3` */
  readonly stride: number;
  /** −∞ padding on each side. @example `new MaxPool1d(3, { padding: 1 }).padding // 1` */
  readonly padding: number;
  /** Spacing between taps. @example `new MaxPool1d(2).dilation // 1` */
  readonly dilation: number;
  /** Round the output length up. @example `new MaxPool1d(2).ceilMode // false` */
  readonly ceilMode: boolean;

  /**
   * @param kernelSize window length
   * @example
   * ```ts
   * new MaxPool1d(3, { stride: 1 });
   * ```
   */
  constructor(kernelSize: number, opts: MaxPool1dOptions = {}) {
    super();
    checkKeys('MaxPool1d', opts, ['stride', 'padding', 'dilation', 'ceilMode']);
    this.kernelSize = int('MaxPool1d', 'kernelSize', kernelSize, 1);
    this.stride = int('MaxPool1d', 'stride', opts.stride ?? kernelSize, 1);
    this.padding = int('MaxPool1d', 'padding', opts.padding ?? 0, 0);
    this.dilation = int('MaxPool1d', 'dilation', opts.dilation ?? 1, 1);
    this.ceilMode = opts.ceilMode ?? false;
    checkPoolPadding('MaxPool1d', [this.padding], [this.kernelSize]);
  }

  /**
   * Max-pool `x` [N, C, L] (or [C, L]).
   * @example
   * ```ts
   * new MaxPool1d(3, { stride: 1, padding: 1 }).forward(tensor([[1, 3, 2]])); // [[3, 3, 3]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const opts = {
      stride: [1, this.stride] as [number, number],
      padding: [0, this.padding] as [number, number],
      dilation: [1, this.dilation] as [number, number],
      ceilMode: this.ceilMode,
    };
    return pool3d('MaxPool1d', x, (x4) => maxPool2d(x4, [1, this.kernelSize], opts));
  }

  /** PyTorch's extra_repr, in our names. @example `String(new MaxPool1d(2)) // 'MaxPool1d(kernelSize=2, stride=2, padding=0, dilation=1, ceilMode=false)'` */
  override extraRepr(): string {
    return reprFields({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }
}

/**
 * 1-D average pooling, as `torch.nn.AvgPool1d`. Shapes: [N, C, L] (or [C, L]) → [N, C, Lo], Lo =
 * ⌊(L + 2·padding − k) / stride⌋ + 1 (⌈⌉ with `ceilMode`). No parameters.
 * @example
 * ```ts
 * new AvgPool1d(2).forward(tensor([[[1, 3, 2, 6]]])); // [[[2, 4]]]
 * ```
 */
export class AvgPool1d extends Module {
  /** Window length. @example `new AvgPool1d(3).kernelSize // 3` */
  readonly kernelSize: number;
  /** Step between windows. @example `new AvgPool1d(3).stride // 3` */
  readonly stride: number;
  /** Zero padding on each side. @example `new AvgPool1d(3, { padding: 1 }).padding // 1` */
  readonly padding: number;
  /** Round the output length up. @example `new AvgPool1d(2).ceilMode // false` */
  readonly ceilMode: boolean;
  /** Count padded zeros in the divisor. @example `new AvgPool1d(2).countIncludePad // true` */
  readonly countIncludePad: boolean;

  /**
   * @param kernelSize window length
   * @example
   * ```ts
   * new AvgPool1d(3, { stride: 1, padding: 1 });
   * ```
   */
  constructor(kernelSize: number, opts: AvgPool1dOptions = {}) {
    super();
    checkKeys('AvgPool1d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad']);
    this.kernelSize = int('AvgPool1d', 'kernelSize', kernelSize, 1);
    this.stride = int('AvgPool1d', 'stride', opts.stride ?? kernelSize, 1);
    this.padding = int('AvgPool1d', 'padding', opts.padding ?? 0, 0);
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    checkPoolPadding('AvgPool1d', [this.padding], [this.kernelSize]);
  }

  /**
   * Average-pool `x` [N, C, L] (or [C, L]).
   * @example
   * ```ts
   * new AvgPool1d(3, { stride: 1, padding: 1 }).forward(tensor([[3, 3, 3]])); // [[2, 3, 2]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const opts = {
      stride: [1, this.stride] as [number, number],
      padding: [0, this.padding] as [number, number],
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    };
    return pool3d('AvgPool1d', x, (x4) => avgPool2d(x4, [1, this.kernelSize], opts));
  }

  /** PyTorch's extra_repr, in our names. @example `String(new AvgPool1d(2)) // 'AvgPool1d(kernelSize=2, stride=2, padding=0)'` */
  override extraRepr(): string {
    return reprFields({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding });
  }
}

/** Max over the adaptive windows ⌊i·n/o⌋ … ⌈(i+1)·n/o⌉ − 1 of `dim`, for i < o. */
function adaptiveMax(x: Tensor, dim: number, o: number): Tensor {
  const n = x.shape[dim];
  const parts: Tensor[] = [];
  for (let i = 0; i < o; i++) {
    const start = Math.floor((i * n) / o);
    const end = Math.ceil(((i + 1) * n) / o);
    parts.push(x.narrow(dim, start, end - start).max(dim, { keepdim: true }));
  }
  return parts.length === 1 ? parts[0] : cat(parts, dim);
}

/**
 * Adaptive 2-D max pooling to a fixed output size, as `torch.nn.AdaptiveMaxPool2d`: output cell
 * (i, j) is the maximum of input rows ⌊i·H/Ho⌋ … ⌈(i+1)·H/Ho⌉ − 1 and the matching columns.
 * Shapes: [N, C, H, W] (or [C, H, W]) → [N, C, Ho, Wo]; a `null` in `outputSize` keeps that
 * input size. No parameters. (`returnIndices` is not supported.)
 * @example
 * ```ts
 * new AdaptiveMaxPool2d(1).forward(tensor([[[[1, 2], [4, 3]]]])); // [[[[4]]]]
 * ```
 */
export class AdaptiveMaxPool2d extends Module {
  /** Target [Ho, Wo]; null entries keep the input's size. @example `new AdaptiveMaxPool2d([2, null]).outputSize // [2, null]` */
  readonly outputSize: [number | null, number | null];

  /**
   * @param outputSize target size: a number, or [Ho, Wo] where either may be null
   * @example
   * ```ts
   * new AdaptiveMaxPool2d([7, 7]);
   * ```
   */
  constructor(outputSize: number | [number | null, number | null]) {
    super();
    this.outputSize = adaptiveSize2d('AdaptiveMaxPool2d', outputSize);
  }

  /**
   * Pool `x` [N, C, H, W] (or [C, H, W]) to [N, C, Ho, Wo].
   * @example
   * ```ts
   * new AdaptiveMaxPool2d([2, 1]).forward(tensor([[[1, 5, 2], [3, 0, 4]]])); // [[[5], [4]]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || (x.ndim !== 4 && x.ndim !== 3)) {
      throw new ShapeError('AdaptiveMaxPool2d', `expected 4-D input [N, C, H, W] (or 3-D [C, H, W] unbatched), got ${describeInput(x)}`);
    }
    const [h, w] = x.shape.slice(-2);
    if (h === 0 || w === 0) throw new ShapeError('AdaptiveMaxPool2d', `expected non-empty spatial dims, got ${describeInput(x)}`);
    const [oh, ow] = [this.outputSize[0] ?? h, this.outputSize[1] ?? w];
    return scope(() => adaptiveMax(adaptiveMax(x, x.ndim - 2, oh), x.ndim - 1, ow));
  }

  /** PyTorch's extra_repr, in our names. @example `String(new AdaptiveMaxPool2d(1)) // 'AdaptiveMaxPool2d(outputSize=[1, 1])'` */
  override extraRepr(): string {
    return reprFields({ outputSize: this.outputSize });
  }
}
