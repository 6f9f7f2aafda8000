import { ArgumentError, conv1d, conv2d, convTranspose2d, type Generator, scope, ShapeError, Tensor, zeros } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, describeInput, fmtShape, type IntTuple, intTuple } from '../checks';
import { fanInAndFanOut, kaimingUniform, uniform } from '../init';
import { Module } from '../module';
import { reprFields } from '../summary';
import { Parameter } from '../parameter';

type Pair = [number, number];

/**
 * How a convolution pads its input: with zeros (default) or by reflecting, replicating or
 * wrapping the edges, as PyTorch's `padding_mode`.
 * @example
 * ```ts
 * new Conv2d(3, 8, 3, { padding: 1, paddingMode: 'reflect' });
 * ```
 */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

/**
 * Options of {@link Conv1d} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new Conv1d(4, 8, 3, { stride: 2, padding: 1 });
 * ```
 */
export interface Conv1dLayerOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Padding on both sides (default 0), or `'same'` (output length = input length; stride 1 only) / `'valid'` (0). */
  padding?: number | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Split channels into independent groups (default 1); inChannels and outChannels must divide by it. */
  groups?: number;
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
  /** Padding values (default `'zeros'`). */
  paddingMode?: PaddingMode;
  /** Draw the initial weights from this generator instead of the global stream (`manualSeed`). */
  generator?: Generator;
}

/**
 * Options of {@link Conv2d}: as {@link Conv1dLayerOptions}, each size a number or a [h, w] pair.
 * @example
 * ```ts
 * new Conv2d(3, 16, 3, { stride: [2, 1], padding: 1, groups: 1 });
 * ```
 */
export interface Conv2dLayerOptions {
  stride?: number | Pair;
  padding?: number | Pair | 'same' | 'valid';
  dilation?: number | Pair;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
  /** Draw the initial weights from this generator instead of the global stream (`manualSeed`). */
  generator?: Generator;
}

/**
 * Options of {@link ConvTranspose2d}.
 * @example
 * ```ts
 * new ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 });
 * ```
 */
export interface ConvTranspose2dLayerOptions {
  /** Step of the forward conv this transposes (default 1). */
  stride?: number | Pair;
  /** Padding of the forward conv this transposes: the output shrinks by 2·padding (default 0). */
  padding?: number | Pair;
  /** Extra rows/columns on one side of the output (default 0; smaller than stride or dilation). */
  outputPadding?: number | Pair;
  dilation?: number | Pair;
  groups?: number;
  bias?: boolean;
  /** Draw the initial weights from this generator instead of the global stream (`manualSeed`). */
  generator?: Generator;
}

/** Shared fields, checks and PyTorch's initialisation of the convolution layers (Conv1d/2d/3d, ConvTranspose2d). */
export abstract class ConvBase<K extends number[]> extends Module {
  /** Learnable kernel: [outChannels, inChannels/groups, …kernelSize] ([inChannels, outChannels/groups, …] when transposed). @example `new Conv2d(3, 8, 5).weight.shape // [8, 3, 5, 5]` */
  weight: Parameter;
  /** Learnable per-output-channel bias [outChannels], or null without bias. @example `new Conv2d(3, 8, 5, { bias: false }).bias // null` */
  bias: Parameter | null;
  /** Channels of the input. @example `new Conv2d(3, 8, 5).inChannels // 3` */
  readonly inChannels: number;
  /** Channels of the output. @example `new Conv2d(3, 8, 5).outChannels // 8` */
  readonly outChannels: number;
  /** Kernel size per spatial dim. @example `new Conv2d(3, 8, [3, 5]).kernelSize // [3, 5]` */
  readonly kernelSize: K;
  /** Channel groups. @example `new Conv2d(4, 8, 3, { groups: 2 }).groups // 2` */
  readonly groups: number;

  protected constructor(
    layer: string,
    inChannels: number,
    outChannels: number,
    kernelSize: K,
    groups: number,
    transposed: boolean,
    bias: boolean,
    generator?: Generator,
  ) {
    super();
    checkPositiveInt(layer, 'inChannels', inChannels);
    checkPositiveInt(layer, 'outChannels', outChannels);
    checkPositiveInt(layer, 'groups', groups);
    if (inChannels % groups) throw new ArgumentError(layer, `inChannels ${inChannels} must be divisible by groups ${groups}`);
    if (outChannels % groups) throw new ArgumentError(layer, `outChannels ${outChannels} must be divisible by groups ${groups}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.groups = groups;
    const shape = transposed ? [inChannels, outChannels / groups, ...kernelSize] : [outChannels, inChannels / groups, ...kernelSize];
    // PyTorch: kaiming uniform with a = √5 (bound 1/√fanIn), bias U(−1/√fanIn, 1/√fanIn), fanIn from the weight's dim 1
    this.weight = kaimingUniform(new Parameter(zeros(shape)), { a: Math.sqrt(5), generator });
    const bound = 1 / Math.sqrt(fanInAndFanOut(this.weight).fanIn);
    this.bias = bias ? uniform(new Parameter(zeros([outChannels])), { a: -bound, b: bound, generator }) : null;
  }

  /** Check [N, C, …spatial] (or unbatched [C, …spatial]) input, then run `conv` on it batched, in a scope. */
  protected convolve(layer: string, x: Tensor, spatial: string[], conv: (batched: Tensor) => Tensor): Tensor {
    const rank = spatial.length + 2;
    if (!(x instanceof Tensor) || (x.ndim !== rank && x.ndim !== rank - 1) || x.shape[x.ndim - rank + 1] !== this.inChannels) {
      const dims = spatial.join(', ');
      throw new ShapeError(
        layer,
        `expected ${rank}-D input [N, C=${this.inChannels}, ${dims}] (or ${rank - 1}-D [C=${this.inChannels}, ${dims}] unbatched), got ${describeInput(x)}`,
      );
    }
    const unbatched = x.ndim === rank - 1;
    return scope(() => {
      const y = conv(unbatched ? x.unsqueeze(0) : x);
      return unbatched ? y.squeeze(0) : y;
    });
  }

  /** PyTorch's extra_repr, in our names: channels, kernel size and stride, then the settings that differ from the defaults. @example `String(new Conv2d(1, 16, 3, { padding: 1 })) // 'Conv2d(1, 16, kernelSize=[3, 3], stride=[1, 1], padding=[1, 1])'` */
  override extraRepr(): string {
    const c = this as unknown as { stride: number[]; padding: number[] | 'same'; dilation: number[]; outputPadding?: number[]; paddingMode?: string };
    const parts = [`${this.inChannels}, ${this.outChannels}`, reprFields({ kernelSize: this.kernelSize, stride: c.stride })];
    if (c.padding === 'same' || c.padding.some((p) => p !== 0)) parts.push(reprFields({ padding: c.padding }));
    if (c.dilation.some((d) => d !== 1)) parts.push(reprFields({ dilation: c.dilation }));
    if (c.outputPadding?.some((p) => p !== 0)) parts.push(reprFields({ outputPadding: c.outputPadding }));
    if (this.groups !== 1) parts.push(reprFields({ groups: this.groups }));
    if (this.bias === null) parts.push('bias=false');
    if (c.paddingMode && c.paddingMode !== 'zeros') parts.push(reprFields({ paddingMode: c.paddingMode }));
    return parts.join(', ');
  }
}

/**
 * For a non-zeros padding mode, pad `x` explicitly (F.pad order: last dim first; 'same' puts the odd
 * pad after, as PyTorch) so that the conv itself runs unpadded; zeros mode leaves it to the conv.
 */
export function padForMode(x: Tensor, mode: PaddingMode, padding: number[] | 'same', kernel: number[], dilation: number[]): Tensor | null {
  if (mode === 'zeros') return null;
  const pads: number[] = [];
  for (let i = kernel.length - 1; i >= 0; i--) {
    const total = padding === 'same' ? dilation[i] * (kernel[i] - 1) : 2 * padding[i];
    pads.push(Math.floor(total / 2), total - Math.floor(total / 2));
  }
  return x.pad(pads, { mode });
}

export function checkPaddingMode(layer: string, mode: unknown): PaddingMode {
  if (mode !== 'zeros' && mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') {
    throw new ArgumentError(layer, `paddingMode must be 'zeros', 'reflect', 'replicate' or 'circular', got ${JSON.stringify(mode)}`);
  }
  return mode;
}

/** A layer's `padding` option: `n` sizes, `'valid'` (zeros) or `'same'` (stride 1 only). */
export function checkPadding<N extends 1 | 2 | 3>(layer: string, padding: unknown, n: N, stride: number[]): IntTuple<N> | 'same' {
  if (padding === 'valid') return intTuple(layer, 'padding', 0, n, 0);
  if (padding !== 'same') return intTuple(layer, 'padding', padding, n, 0);
  if (stride.some((s) => s !== 1)) throw new ArgumentError(layer, "padding 'same' is not supported for strided convolutions (stride must be 1)");
  return 'same';
}

/** The options every forward convolution takes (Conv1d/2d/3d), each size a number or one per spatial dim. */
const FORWARD_CONV_KEYS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'generator'];

/**
 * @internal Conv1d, Conv2d and Conv3d: their options parsed for `n` spatial dims, and the forward
 * that pads explicitly for a non-zeros `paddingMode` before the conv.
 */
export abstract class ForwardConv<N extends 1 | 2 | 3> extends ConvBase<IntTuple<N>> {
  /** Step between windows, per spatial dim. @example `new Conv2d(1, 1, 3, { stride: 2 }).stride // [2, 2]` */
  readonly stride: IntTuple<N>;
  /** Padding on each side per spatial dim, or `'same'`. @example `new Conv2d(1, 1, 3, { padding: [1, 0] }).padding // [1, 0]` */
  readonly padding: IntTuple<N> | 'same';
  /** Spacing between kernel taps, per spatial dim. @example `new Conv1d(1, 1, 3, { dilation: 2 }).dilation // [2]` */
  readonly dilation: IntTuple<N>;
  /** Padding values. @example `new Conv2d(1, 1, 3, { padding: 1, paddingMode: 'reflect' }).paddingMode // 'reflect'` */
  readonly paddingMode: PaddingMode;

  protected constructor(
    layer: string,
    n: N,
    inChannels: number,
    outChannels: number,
    kernelSize: unknown,
    opts: { stride?: unknown; padding?: unknown; dilation?: unknown; groups?: number; bias?: boolean; paddingMode?: PaddingMode; generator?: Generator },
  ) {
    checkKeys(layer, opts, FORWARD_CONV_KEYS);
    super(layer, inChannels, outChannels, intTuple(layer, 'kernelSize', kernelSize, n, 1), opts.groups ?? 1, false, opts.bias ?? true, opts.generator);
    this.stride = intTuple(layer, 'stride', opts.stride ?? 1, n, 1);
    this.padding = checkPadding(layer, opts.padding ?? 0, n, this.stride);
    this.dilation = intTuple(layer, 'dilation', opts.dilation ?? 1, n, 1);
    this.paddingMode = checkPaddingMode(layer, opts.paddingMode ?? 'zeros');
  }

  /** Check and batch `x`, pad it for the padding mode, then run `conv` with the padding left to it. */
  protected run(layer: string, x: Tensor, spatial: string[], conv: (input: Tensor, padding: IntTuple<N> | 'same' | 0) => Tensor): Tensor {
    return this.convolve(layer, x, spatial, (input) => {
      const padded = padForMode(input, this.paddingMode, this.padding, this.kernelSize, this.dilation);
      return conv(padded ?? input, padded ? 0 : this.padding);
    });
  }
}

/**
 * 1-D convolution over [N, C, L] signals, as `torch.nn.Conv1d` (cross-correlation):
 * y[n, o, t] = b[o] + Σ_c Σ_j w[o, c, j] · x[n, g·C/groups + c, t·stride + j·dilation − padding].
 *
 * Shapes: input [N, inChannels, L] (or [inChannels, L]) → output [N, outChannels, Lout],
 * Lout = ⌊(L + 2·padding − dilation·(kernelSize − 1) − 1) / stride⌋ + 1. Parameters: `weight`
 * [outChannels, inChannels/groups, kernelSize], `bias` [outChannels]; both initialised from
 * U(−1/√fanIn, 1/√fanIn) with fanIn = inChannels/groups · kernelSize, as PyTorch.
 * @example
 * ```ts
 * const conv = new Conv1d(4, 8, 3, { padding: 'same' });
 * conv.forward(randn([2, 4, 10])).shape; // [2, 8, 10]
 * ```
 */
export class Conv1d extends ForwardConv<1> {
  /**
   * @example
   * ```ts
   * new Conv1d(16, 32, 5, { stride: 2, bias: false });
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number], opts: Conv1dLayerOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, opts);
  }

  /**
   * Convolve `x` [N, inChannels, L] (or [inChannels, L]) → [N, outChannels, Lout].
   * @example
   * ```ts
   * new Conv1d(1, 1, 2).forward(ones([1, 1, 3])).shape; // [1, 1, 2]
   * ```
   */
  override forward(x: Tensor): Tensor {
    return this.run('Conv1d', x, ['L'], (input, padding) =>
      conv1d(input, this.weight, {
        bias: this.bias,
        stride: this.stride[0],
        padding: padding === 'same' || padding === 0 ? padding : padding[0],
        dilation: this.dilation[0],
        groups: this.groups,
      }),
    );
  }
}

/**
 * 2-D convolution over [N, C, H, W] images, as `torch.nn.Conv2d` (cross-correlation):
 * y[n, o] = b[o] + Σ_c w[o, c] ⋆ x[n, group's channels c].
 *
 * Shapes: input [N, inChannels, H, W] (or [inChannels, H, W]) → output [N, outChannels, Ho, Wo],
 * Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1 (likewise Wo). Parameters: `weight`
 * [outChannels, inChannels/groups, kh, kw], `bias` [outChannels]; both initialised from
 * U(−1/√fanIn, 1/√fanIn) with fanIn = inChannels/groups · kh · kw, as PyTorch.
 * @example
 * ```ts
 * const conv = new Conv2d(3, 16, 3, { padding: 1 });
 * conv.forward(randn([8, 3, 32, 32])).shape; // [8, 16, 32, 32]
 * ```
 */
export class Conv2d extends ForwardConv<2> {
  /**
   * @example
   * ```ts
   * new Conv2d(64, 64, [3, 3], { padding: 'same', groups: 64, bias: false }); // depthwise
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernelSize: number | Pair, opts: Conv2dLayerOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, opts);
  }

  /**
   * Convolve `x` [N, inChannels, H, W] (or [inChannels, H, W]) → [N, outChannels, Ho, Wo].
   * @example
   * ```ts
   * new Conv2d(3, 8, 3).forward(randn([1, 3, 5, 5])).shape; // [1, 8, 3, 3]
   * ```
   */
  override forward(x: Tensor): Tensor {
    return this.run('Conv2d', x, ['H', 'W'], (input, padding) =>
      conv2d(input, this.weight, { bias: this.bias, stride: this.stride, padding, dilation: this.dilation, groups: this.groups }),
    );
  }
}

/**
 * Transposed 2-D convolution (the gradient of Conv2d with respect to its input; "deconvolution"),
 * as `torch.nn.ConvTranspose2d`.
 *
 * Shapes: input [N, inChannels, H, W] (or [inChannels, H, W]) → output [N, outChannels, Ho, Wo],
 * Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1 (likewise Wo).
 * Parameters: `weight` [inChannels, outChannels/groups, kh, kw], `bias` [outChannels]; both
 * initialised from U(−1/√fanIn, 1/√fanIn) with fanIn = outChannels/groups · kh · kw (PyTorch
 * computes the fan from the weight's dim 1).
 * @example
 * ```ts
 * const up = new ConvTranspose2d(16, 8, 2, { stride: 2 });
 * up.forward(randn([1, 16, 7, 7])).shape; // [1, 8, 14, 14]
 * ```
 */
export class ConvTranspose2d extends ConvBase<Pair> {
  /** Step of the transposed conv [sh, sw]. @example `new ConvTranspose2d(1, 1, 2, { stride: 2 }).stride // [2, 2]` */
  readonly stride: Pair;
  /** Padding [ph, pw] of the conv this transposes. @example `new ConvTranspose2d(1, 1, 3, { padding: 1 }).padding // [1, 1]` */
  readonly padding: Pair;
  /** Extra output rows/columns [oh, ow]. @example `new ConvTranspose2d(1, 1, 3, { stride: 2, outputPadding: 1 }).outputPadding // [1, 1]` */
  readonly outputPadding: Pair;
  /** Spacing between kernel taps [dh, dw]. @example `new ConvTranspose2d(1, 1, 3, { dilation: 2 }).dilation // [2, 2]` */
  readonly dilation: Pair;

  /**
   * @example
   * ```ts
   * new ConvTranspose2d(8, 3, 4, { stride: 2, padding: 1 });
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernelSize: number | Pair, opts: ConvTranspose2dLayerOptions = {}) {
    checkKeys('ConvTranspose2d', opts, ['stride', 'padding', 'outputPadding', 'dilation', 'groups', 'bias', 'generator']);
    super(
      'ConvTranspose2d',
      inChannels,
      outChannels,
      intTuple('ConvTranspose2d', 'kernelSize', kernelSize, 2, 1),
      opts.groups ?? 1,
      true,
      opts.bias ?? true,
      opts.generator,
    );
    this.stride = intTuple('ConvTranspose2d', 'stride', opts.stride ?? 1, 2, 1);
    this.padding = intTuple('ConvTranspose2d', 'padding', opts.padding ?? 0, 2, 0);
    this.outputPadding = intTuple('ConvTranspose2d', 'outputPadding', opts.outputPadding ?? 0, 2, 0);
    this.dilation = intTuple('ConvTranspose2d', 'dilation', opts.dilation ?? 1, 2, 1);
    if (this.outputPadding.some((p, i) => p >= this.stride[i] && p >= this.dilation[i])) {
      throw new ArgumentError(
        'ConvTranspose2d',
        `outputPadding ${fmtShape(this.outputPadding)} must be smaller than either stride ${fmtShape(this.stride)} or dilation ${fmtShape(this.dilation)}`,
      );
    }
  }

  /**
   * Transposed convolution of `x` [N, inChannels, H, W] (or [inChannels, H, W]) → [N, outChannels, Ho, Wo].
   * @example
   * ```ts
   * new ConvTranspose2d(1, 1, 2).forward(ones([1, 1, 2, 2])).shape; // [1, 1, 3, 3]
   * ```
   */
  override forward(x: Tensor): Tensor {
    return this.convolve('ConvTranspose2d', x, ['H', 'W'], (input) =>
      convTranspose2d(input, this.weight, {
        bias: this.bias,
        stride: this.stride,
        padding: this.padding,
        outputPadding: this.outputPadding,
        dilation: this.dilation,
        groups: this.groups,
      }),
    );
  }
}
