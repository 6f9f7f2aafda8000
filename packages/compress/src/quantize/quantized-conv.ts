import type { Conv2d, MaxPool2d } from '@aimodel/nn';
import { ArgumentError, noGrad, quantizedConv2d, ShapeError, scope, Tensor } from '@aimodel/tensor';
import { checkInit, type FloatLayerQParams, floatLayerInit, type QuantizedLayerInit, QuantizedLayer } from './quantized-linear';
import { checkInputDType } from './quantized-input';
import { type ActivationQParams, storageShift } from './quantized-ops';

type Pair = [number, number];

/**
 * Geometry of a {@link QuantizedConv2d} (PyTorch's names; zero padding only, as PyTorch's
 * quantized convolutions).
 * @example
 * ```ts
 * const geometry: QuantizedConv2dOptions = { stride: 1, padding: 1, dilation: 1, groups: 1 };
 * ```
 */
export interface QuantizedConv2dOptions {
  /** Step between windows (default 1). */
  stride?: number | Pair;
  /** Zero padding on each side (default 0); the pad value is the input's zero point, which is 0.0. */
  padding?: number | Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: number | Pair;
  /** Channel groups (default 1). */
  groups?: number;
}

function pair(op: string, name: string, v: number | Pair | undefined, dflt: number, min: number): Pair {
  const p: Pair = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new ArgumentError(op, `${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/**
 * An int8 Conv2d for inference, as `torch.ao.nn.quantized.Conv2d` (fbgemm): the float input is
 * quantized with the calibrated input qparams, then tensor's `quantizedConv2d` convolves it with
 * the int8 weight (int8 × int8 → int32 window sums, the input padded with its zero point),
 * corrects for the zero points and requantizes per output channel exactly as
 * {@link QuantizedLinear}, writing NCHW; the result is returned dequantized (float32). No gradients.
 *
 * The input may also be already quantized, as the int8 activations converted layers pass each
 * other ({@link convert} links a layer to the next one through MaxPool2d, Flatten, Dropout,
 * Identity): an int8 tensor holding q quantized with {@link quantizedInput} (default the input
 * qparams as int8: uint8 ones (s, z) as (s, z − 128)), requantized to the input qparams when they
 * differ, or a uint8 tensor holding quint8 values when the input qparams are uint8. With
 * {@link quantizedOutput} the result is int8 (the output qparams as int8) instead of float32. Either
 * way the numbers are those of the float path, bit for bit. Another dtype is a DTypeError.
 *
 * Shapes: input [N, inChannels, H, W] (or [inChannels, H, W]) float32, int8 or uint8 → [N, outChannels, Ho, Wo],
 * Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1 (likewise Wo).
 * @example
 * ```ts
 * const conv = new QuantizedConv2d(1, 1, 2, {
 *   weight: new Int8Array([1, 1, 1, 1]), weightScale: 0.5,
 *   input: { scale: 0.5, zeroPoint: 0, dtype: 'int8' }, output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' },
 * });
 * conv.forward(tensor([[[[1, 2], [3, 4]]]])); // [[[[10]]]]: (2 + 4 + 6 + 8)·0.25 / 0.25 · 0.25
 * ```
 */
export class QuantizedConv2d extends QuantizedLayer {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** Kernel size [kh, kw]. */
  readonly kernelSize: Pair;
  /** Step between windows [sh, sw]. */
  readonly stride: Pair;
  /** Zero padding [ph, pw] on each side. */
  readonly padding: Pair;
  /** Spacing between kernel taps [dh, dw]. */
  readonly dilation: Pair;
  /** Channel groups. */
  readonly groups: number;
  /** The 2×2 MaxPool2d after this layer that its epilogue runs, when {@link convert} fused one. @internal */
  _pool: MaxPool2d | null = null;
  /** The next layer's int8 input qparams that int8 outputs are requantized to in the epilogue, when convert linked one with other qparams. @internal */
  _requantizeTo: ActivationQParams | null = null;

  /**
   * @param inChannels channels of the input
   * @param outChannels channels of the output
   * @param kernelSize [kh, kw] or one number
   * @param init int8 weight [outChannels, inChannels/groups, kh, kw] and quantization parameters, with the geometry
   * @example
   * ```ts
   * const conv = new QuantizedConv2d(2, 4, 3, {
   *   weight: new Int8Array(4 * 2 * 9).fill(3), weightScale: 0.01, padding: 1,
   *   input: { scale: 0.02, zeroPoint: 128, dtype: 'uint8' }, output: { scale: 0.1, zeroPoint: 128, dtype: 'uint8' },
   * });
   * conv.forward(randn([1, 2, 5, 5])).shape; // [1, 4, 5, 5]
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernelSize: number | Pair, init: QuantizedLayerInit & QuantizedConv2dOptions) {
    const op = 'QuantizedConv2d';
    for (const [name, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ArgumentError(op, `${name} must be a positive integer, got ${v}`);
    }
    const { stride, padding, dilation, groups, ...layer } = init ?? ({} as QuantizedLayerInit);
    const g = groups ?? 1;
    if (!Number.isInteger(g) || g < 1 || inChannels % g || outChannels % g) {
      throw new ArgumentError(op, `groups must be a positive integer dividing inChannels ${inChannels} and outChannels ${outChannels}, got ${groups}`);
    }
    const k = pair(op, 'kernelSize', kernelSize, 1, 1);
    const size = outChannels * (inChannels / g) * k[0] * k[1];
    super(checkInit(op, layer as QuantizedLayerInit, outChannels, size), [outChannels, inChannels / g, k[0], k[1]], layer.device);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    this.stride = pair(op, 'stride', stride, 1, 1);
    this.padding = pair(op, 'padding', padding, 0, 0);
    this.dilation = pair(op, 'dilation', dilation, 1, 1);
    this.groups = g;
  }

  /**
   * Quantize a float {@link Conv2d} (on the CPU, zero padding) with observer qparams.
   * @example
   * ```ts
   * const conv = new Conv2d(1, 2, 3, { padding: 1 });
   * const q = QuantizedConv2d.fromFloat(conv, {
   *   weight: { scale: new Float32Array([0.01, 0.02]), zeroPoint: new Int32Array(2), axis: 0, dtype: 'int8', qscheme: 'per_channel_symmetric', quantMin: -128, quantMax: 127 },
   *   input: { scale: 0.02, zeroPoint: 128, dtype: 'uint8' }, output: { scale: 0.02, zeroPoint: 128, dtype: 'uint8' },
   * });
   * ```
   */
  static fromFloat(conv: Conv2d, q: FloatLayerQParams): QuantizedConv2d {
    const op = 'QuantizedConv2d.fromFloat';
    if (conv.paddingMode !== 'zeros')
      throw new ArgumentError(op, `quantized convolutions pad with zeros only (as PyTorch's), got paddingMode '${conv.paddingMode}'`);
    let padding = conv.padding;
    if (padding === 'same') {
      const total = conv.dilation.map((d, i) => d * (conv.kernelSize[i] - 1));
      if (total.some((t) => t % 2)) throw new ArgumentError(op, `padding 'same' with an even dilated kernel pads unevenly; give explicit padding`);
      padding = [total[0] / 2, total[1] / 2];
    }
    return new QuantizedConv2d(conv.inChannels, conv.outChannels, conv.kernelSize, {
      ...floatLayerInit(op, conv, q),
      stride: conv.stride,
      padding,
      dilation: conv.dilation,
      groups: conv.groups,
    });
  }

  /**
   * Convolve `x` [N, inChannels, H, W] with the int8 kernel → [N, outChannels, Ho, Wo]: float32
   * (int8 with {@link quantizedOutput}). `x` is float32 (quantized with the input qparams), int8
   * (already quantized with {@link quantizedInput}) or, for uint8 input qparams, uint8.
   * @example
   * ```ts
   * const conv = new QuantizedConv2d(1, 1, 1, {
   *   weight: new Int8Array([2]), weightScale: 0.5,
   *   input: { scale: 0.5, zeroPoint: 0, dtype: 'int8' }, output: { scale: 0.5, zeroPoint: 0, dtype: 'int8' },
   * });
   * conv.forward(tensor([[[[1, -1]]]])); // [[[[1, -1]]]]
   * // already quantized: q = x / 0.5 as int8; the same result
   * conv.forward(tensor([[[[2, -2]]]], { dtype: 'int8' })); // [[[[1, -1]]]]
   * // int8 quantized with other qparams (a producer's): requantized first, as the float path would
   * conv.quantizedInput = { scale: 0.25, zeroPoint: 1, dtype: 'int8' };
   * conv.forward(tensor([[[[5, -3]]]], { dtype: 'int8' })); // [[[[1, -1]]]]: (5 − 1)·0.25 = 1
   * // int8 out: q of the output qparams
   * conv.quantizedOutput = true;
   * conv.forward(tensor([[[[5, -3]]]], { dtype: 'int8' })).dtype; // 'int8'
   * ```
   */
  override forward(x: Tensor): Tensor {
    const op = 'QuantizedConv2d';
    if (!(x instanceof Tensor)) throw new ArgumentError(op, `expected a Tensor input, got ${x === null ? 'null' : typeof x}`);
    checkInputDType(op, x, this._quant.input);
    if ((x.ndim !== 4 && x.ndim !== 3) || x.shape[x.ndim - 3] !== this.inChannels) {
      throw new ShapeError(op, `expected input [N, ${this.inChannels}, H, W] (or [${this.inChannels}, H, W] unbatched), got [${x.shape.join(', ')}]`);
    }
    if (x.ndim === 3) return scope(() => this.forward(x.unsqueeze(0)).squeeze(0));
    const [, , h, w] = x.shape;
    const [kh, kw] = this.kernelSize;
    const [ph, pw] = this.padding;
    const [dh, dw] = this.dilation;
    const ho = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / this.stride[0]) + 1;
    const wo = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / this.stride[1]) + 1;
    if (ho < 1 || wo < 1) throw new ShapeError(op, `input [${x.shape.join(', ')}] is smaller than the (dilated) kernel [${kh}, ${kw}] after padding`);
    const { input, weight: wq, bias } = this._quant;
    const mode = this.outputMode();
    // int8 out: the fused pooling and requantization for the next layer in the kernel's epilogue
    const bytes = !mode.dequantize;
    const rq = bytes && this._requantizeTo;
    // tensor's fused int8 convolution: im2col, the int8 GEMM and the requantization in one kernel, NCHW out
    return noGrad(() =>
      scope(() => {
        const y = quantizedConv2d(this.operand(op, x), this.weight, {
          inputScale: input.scale,
          inputZeroPoint: input.zeroPoint - storageShift(input.dtype),
          weightScale: wq.scales,
          weightZeroPoint: wq.zeroPoints,
          columnTerm: this.requantColumnTerm,
          bias,
          relu: this.relu,
          ...mode,
          stride: this.stride,
          padding: this.padding,
          dilation: this.dilation,
          groups: this.groups,
          ...(bytes && this._pool ? { maxPool: 2 as const } : {}),
          ...(rq ? { requantizeTo: { scale: rq.scale, zeroPoint: rq.zeroPoint } } : {}),
        });
        return this._pool && !bytes ? this._pool.forward(y) : y;
      }),
    );
  }

  /** Set by convert's linking: the MaxPool2d to fuse and the int8 qparams to requantize int8 outputs to (null: none). @internal */
  _fuseNext(pool: MaxPool2d | null, requantizeTo: ActivationQParams | null): void {
    this._pool = pool;
    this._requantizeTo = requantizeTo;
  }

  /** PyTorch's extra_repr: sizes, geometry, output qparams, input qparams, weight scheme. @example `String(new QuantizedConv2d(1, 1, 2, { weight: new Int8Array(4), weightScale: 1, input: { scale: 1, zeroPoint: 0, dtype: 'int8' }, output: { scale: 1, zeroPoint: 0, dtype: 'int8' } })) // 'QuantizedConv2d(inChannels=1, outChannels=1, kernelSize=[2, 2], stride=[1, 1], padding=[0, 0], scale=1, zeroPoint=0, dtype=int8, inputScale=1, inputZeroPoint=0, qscheme=per_tensor_symmetric)'` */
  override extraRepr(): string {
    const geometry = `kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=[${this.padding.join(', ')}]`;
    const extra = `${this.dilation.some((d) => d !== 1) ? `, dilation=[${this.dilation.join(', ')}]` : ''}${this.groups !== 1 ? `, groups=${this.groups}` : ''}`;
    return `inChannels=${this.inChannels}, outChannels=${this.outChannels}, ${geometry}${extra}, ${this.qparamsRepr()}${this._pool ? ', maxPool=2' : ''}`;
  }
}
