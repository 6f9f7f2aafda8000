import { conv3d, type Generator, type Tensor } from '@aimodel/tensor';
import { checkKeys, intTuple } from '../checks';
import { ConvBase, checkPadding, checkPaddingMode, type PaddingMode, padForMode } from './conv';

type Triple = [number, number, number];

/**
 * Options of {@link Conv3d}: as {@link Conv2dLayerOptions}, each size a number or a [d, h, w] triple.
 * @example
 * ```ts
 * new Conv3d(1, 8, 3, { stride: [1, 2, 2], padding: 1, paddingMode: 'replicate' });
 * ```
 */
export interface Conv3dLayerOptions {
  /** Step between windows (default 1). */
  stride?: number | Triple;
  /** Padding on both sides of each dim (default 0), or `'same'` (stride 1 only) / `'valid'` (0). */
  padding?: number | Triple | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number | Triple;
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
 * 3-D convolution over [N, C, D, H, W] volumes (video clips, scans), as `torch.nn.Conv3d`
 * (cross-correlation): y[n, o] = b[o] + Σ_c w[o, c] ⋆ x[n, group's channels c].
 *
 * Shapes: input [N, inChannels, D, H, W] (or [inChannels, D, H, W]) → output
 * [N, outChannels, Do, Ho, Wo], Do = ⌊(D + 2·padding − dilation·(kd − 1) − 1) / stride⌋ + 1 (likewise
 * Ho, Wo). Parameters: `weight` [outChannels, inChannels/groups, kd, kh, kw], `bias` [outChannels];
 * both initialised from U(−1/√fanIn, 1/√fanIn) with fanIn = inChannels/groups · kd · kh · kw, as PyTorch.
 * @example
 * ```ts
 * const conv = new Conv3d(2, 4, 3, { padding: 1 });
 * conv.forward(randn([1, 2, 4, 8, 8])).shape; // [1, 4, 4, 8, 8]
 * ```
 */
export class Conv3d extends ConvBase<Triple> {
  /** Step between windows [sd, sh, sw]. @example `new Conv3d(1, 1, 3, { stride: 2 }).stride // [2, 2, 2]` */
  readonly stride: Triple;
  /** Padding [pd, ph, pw] on each side, or `'same'`. @example `new Conv3d(1, 1, 3, { padding: [1, 0, 0] }).padding // [1, 0, 0]` */
  readonly padding: Triple | 'same';
  /** Spacing between kernel taps [dd, dh, dw]. @example `new Conv3d(1, 1, 3, { dilation: 2 }).dilation // [2, 2, 2]` */
  readonly dilation: Triple;
  /** Padding values. @example `new Conv3d(1, 1, 3, { padding: 1, paddingMode: 'circular' }).paddingMode // 'circular'` */
  readonly paddingMode: PaddingMode;

  /**
   * @example
   * ```ts
   * new Conv3d(16, 32, [3, 5, 5], { stride: [1, 2, 2], bias: false });
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernelSize: number | Triple, opts: Conv3dLayerOptions = {}) {
    checkKeys('Conv3d', opts, ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'generator']);
    super('Conv3d', inChannels, outChannels, intTuple('Conv3d', 'kernelSize', kernelSize, 3, 1), opts.groups ?? 1, false, opts.bias ?? true, opts.generator);
    this.stride = intTuple('Conv3d', 'stride', opts.stride ?? 1, 3, 1);
    this.padding = checkPadding('Conv3d', opts.padding ?? 0, 3, this.stride);
    this.dilation = intTuple('Conv3d', 'dilation', opts.dilation ?? 1, 3, 1);
    this.paddingMode = checkPaddingMode('Conv3d', opts.paddingMode ?? 'zeros');
  }

  /**
   * Convolve `x` [N, inChannels, D, H, W] (or [inChannels, D, H, W]) → [N, outChannels, Do, Ho, Wo].
   * @example
   * ```ts
   * new Conv3d(1, 2, 2).forward(ones([1, 3, 3, 3])).shape; // [2, 2, 2, 2]
   * ```
   */
  override forward(x: Tensor): Tensor {
    return this.convolve('Conv3d', x, ['D', 'H', 'W'], (input) => {
      const padded = padForMode(input, this.paddingMode, this.padding, this.kernelSize, this.dilation);
      const padding = padded ? 0 : this.padding;
      return conv3d(padded ?? input, this.weight, { bias: this.bias, stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
    });
  }
}
