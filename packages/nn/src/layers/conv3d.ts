import { conv3d, type Generator, type Tensor } from '@aimodel/tensor';
import { ForwardConv, type PaddingMode } from './conv';

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
export class Conv3d extends ForwardConv<3> {
  /**
   * @example
   * ```ts
   * new Conv3d(16, 32, [3, 5, 5], { stride: [1, 2, 2], bias: false });
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernelSize: number | Triple, opts: Conv3dLayerOptions = {}) {
    super('Conv3d', 3, inChannels, outChannels, kernelSize, opts);
  }

  /**
   * Convolve `x` [N, inChannels, D, H, W] (or [inChannels, D, H, W]) → [N, outChannels, Do, Ho, Wo].
   * @example
   * ```ts
   * new Conv3d(1, 2, 2).forward(ones([1, 3, 3, 3])).shape; // [2, 2, 2, 2]
   * ```
   */
  override forward(x: Tensor): Tensor {
    return this.run('Conv3d', x, ['D', 'H', 'W'], (input, padding) =>
      conv3d(input, this.weight, { bias: this.bias, stride: this.stride, padding, dilation: this.dilation, groups: this.groups }),
    );
  }
}
