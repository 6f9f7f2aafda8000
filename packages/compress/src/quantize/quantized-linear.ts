import { Dropout, type Linear, Module } from '@aimodel/nn';
import { ArgumentError, DeviceError, type DeviceName, DTypeError, noGrad, quantizedLinear, ShapeError, scope, Tensor, tensor } from '@aimodel/tensor';
import { type QParams, quantizePerChannel, quantizePerTensor } from './arith';
import { asInt8, checkInputDType, int8Operand } from './quantized-input';
import {
  type ActivationQParams,
  checkActivation,
  FLOAT_EXACT_K,
  requantConstants,
  requantize,
  rowSums,
  storageShift,
  type WeightQParams,
  weightQParams,
} from './quantized-ops';

/**
 * The quantized weights and quantization parameters a static quantized layer is built from
 * (what {@link convert} fills in from the observers).
 * @example
 * ```ts
 * const init: QuantizedLayerInit = {
 *   weight: new Int8Array([1, -2, 3, 4]), weightScale: 0.1, bias: [0.5, -0.5],
 *   input: { scale: 0.05, zeroPoint: 128, dtype: 'uint8' }, output: { scale: 0.1, zeroPoint: 128, dtype: 'uint8' },
 * };
 * new QuantizedLinear(2, 2, init);
 * ```
 */
export interface QuantizedLayerInit {
  /** The int8 weight values, row-major in the float layer's weight layout (an Int8Array or a CPU int8 tensor). */
  weight: Int8Array | Tensor;
  /** Weight scale: a number (per tensor) or one per output channel (per channel). */
  weightScale: number | ArrayLike<number>;
  /** Weight zero point(s), int8 (default 0: symmetric). */
  weightZeroPoint?: number | ArrayLike<number>;
  /** float32 bias, one per output channel (default none). */
  bias?: ArrayLike<number> | null;
  /** How the float input is quantized. */
  input: ActivationQParams;
  /** How the result is requantized. */
  output: ActivationQParams;
  /** A fused ReLU: clamp the quantized output at its zero point (PyTorch's LinearReLU/ConvReLU2d). */
  relu?: boolean;
  /** Device of the module's tensors (default: the default device). */
  device?: DeviceName;
}

const INIT_KEYS = ['weight', 'weightScale', 'weightZeroPoint', 'bias', 'input', 'output', 'relu', 'device'];

/** The parts of a checked {@link QuantizedLayerInit}. @internal */
export interface CheckedInit {
  values: Int8Array;
  weight: WeightQParams;
  bias: Float32Array | null;
  input: ActivationQParams;
  output: ActivationQParams;
  relu: boolean;
}

/** Validate an init object for a layer with `outChannels` outputs and `size` weight values. @internal */
export function checkInit(op: string, init: QuantizedLayerInit, outChannels: number, size: number): CheckedInit {
  if (!init || typeof init !== 'object') throw new ArgumentError(op, 'expected an init object { weight, weightScale, input, output, … }');
  for (const k of Object.keys(init)) if (!INIT_KEYS.includes(k)) throw new ArgumentError(op, `unknown option '${k}' (expected ${INIT_KEYS.join(', ')})`);
  let values: Int8Array;
  if (init.weight instanceof Tensor) {
    if (init.weight.dtype !== 'int8') throw new DTypeError(op, `weight must hold int8 values, got ${init.weight.dtype}`);
    if (init.weight.device !== 'cpu')
      throw new DeviceError(
        op,
        `the int8 weight must be on the CPU to build the layer (got ${init.weight.device}); move the built module with await module.to('${init.weight.device}')`,
      );
    values = init.weight.dataSync() as Int8Array;
  } else if (init.weight instanceof Int8Array) values = init.weight;
  else throw new ArgumentError(op, 'weight must be an Int8Array or an int8 tensor');
  if (values.length !== size) throw new ShapeError(op, `weight has ${values.length} values, expected ${size}`);
  let bias: Float32Array | null = null;
  if (init.bias != null) {
    bias = Float32Array.from(init.bias instanceof Tensor ? (init.bias.dataSync() as Float32Array) : Array.from(init.bias));
    if (bias.length !== outChannels) throw new ShapeError(op, `bias has ${bias.length} values, expected ${outChannels}`);
  }
  return {
    values,
    weight: weightQParams(op, outChannels, init.weightScale, init.weightZeroPoint),
    bias,
    input: checkActivation(op, 'input', init.input),
    output: checkActivation(op, 'output', init.output),
    relu: init.relu ?? false,
  };
}

/** Quantize a float weight with observer qparams into int8 host values (CPU weight). @internal */
export function quantizeWeight(op: string, w: Tensor, q: QParams): { values: Int8Array; scale: number | Float32Array; zeroPoint: number | Int32Array } {
  if (w.device !== 'cpu')
    throw new DeviceError(
      op,
      `weights are on ${w.device}; convert a CPU model (await model.to('cpu')), then move the quantized model with await model.to('${w.device}')`,
    );
  if (q.dtype !== 'int8')
    throw new DTypeError(
      op,
      `weights are quantized to int8 (the integer matmul's operand), but the weight observer gives ${q.dtype}; use an int8 weight observer`,
    );
  const perChannel = typeof q.scale !== 'number';
  if (perChannel && (q.axis ?? 0) !== 0) throw new ArgumentError(op, `per-channel weight qparams must be along the output channel axis 0, got axis ${q.axis}`);
  const qt = noGrad(() =>
    perChannel
      ? quantizePerChannel(w, q.scale as Float32Array, q.zeroPoint as Int32Array, 0, 'int8')
      : quantizePerTensor(w, q.scale as number, q.zeroPoint as number, 'int8'),
  );
  const values = qt.dataSync() as Int8Array;
  qt.dispose();
  return { values, scale: q.scale, zeroPoint: q.zeroPoint };
}

/** The qparams `fromFloat` of a static quantized layer takes (from the observers, as {@link convert} gives them). @internal */
export interface FloatLayerQParams {
  weight: QParams;
  input: ActivationQParams;
  output: ActivationQParams;
  relu?: boolean;
}

/**
 * The init of a static quantized layer built from a float one (Linear or Conv2d, on the CPU): its
 * weight quantized with `q.weight`, its bias, the activation qparams and the fused ReLU. @internal
 */
export function floatLayerInit(op: string, layer: { weight: Tensor; bias: Tensor | null }, q: FloatLayerQParams): QuantizedLayerInit {
  const w = quantizeWeight(op, layer.weight, q.weight);
  return {
    weight: w.values,
    weightScale: w.scale,
    weightZeroPoint: w.zeroPoint,
    bias: hostBias(layer.bias),
    input: q.input,
    output: q.output,
    relu: q.relu ?? false,
  };
}

/** Host bias values of a float layer (CPU), or null. @internal */
export function hostBias(bias: Tensor | null): Float32Array | null {
  return bias ? Float32Array.from(bias.dataSync()) : null;
}

/**
 * The buffers every static quantized layer holds (state-dict keys `weight`, `bias`, `weight_scale`,
 * `weight_zero_point`, `input_scale`, `input_zero_point`, `scale`, `zero_point`: PyTorch's `scale`
 * and `zero_point` are the output's) and its integer pipeline.
 * @internal
 */
export abstract class QuantizedLayer extends Module {
  /** int8 weight values (same layout as the float layer's weight). */
  readonly weight: Tensor;
  /** float32 bias [outChannels], or null. */
  readonly bias: Tensor | null;
  /** float32 weight scale: [] per tensor, [outChannels] per channel. */
  readonly weightScale: Tensor;
  /** int32 weight zero point(s), shaped as weightScale. */
  readonly weightZeroPoint: Tensor;
  /** float32 [] scale of the input quantization. */
  readonly inputScale: Tensor;
  /** int32 [] zero point of the input quantization. */
  readonly inputZeroPoint: Tensor;
  /** float32 [] scale of the output. */
  readonly scale: Tensor;
  /** int32 [] zero point of the output. */
  readonly zeroPoint: Tensor;
  /** Whether a ReLU is fused (the output is clamped at its zero point). */
  readonly relu: boolean;
  /** Derived, [outChannels]: −x_zp·Σₖ wq[j, k] + K·x_zp·w_zp[j] (the input zero-point correction; x_zp as stored for the int8 matmul); float32 when K ≤ 256 (exact), else int32. */
  readonly requantColumnTerm: Tensor;
  /** Derived, float32 [outChannels]: bias[j] / (x_scale·w_scale[j]), or null without bias. */
  readonly requantBiasTerm: Tensor | null;
  /** Derived, float32 [outChannels]: x_scale·w_scale[j] / y_scale. */
  readonly requantMultiplier: Tensor;
  /** Derived, int32 [outChannels] weight zero points, or null when all are 0 (symmetric weights). */
  readonly requantWeightZeroPoint: Tensor | null;
  protected readonly _quant: CheckedInit;
  /**
   * Return the output quantized — int8, with the qparams {@link int8OutputQParams} — instead of
   * dequantized float32 (default false). {@link convert} sets it on a layer whose successors up to
   * the next quantized layer (in a Sequential: MaxPool2d, Flatten, Dropout, Identity) pass int8
   * through, so the activations between them stay int8; a Dropout in training mode among those
   * makes the layer return float32 again.
   */
  quantizedOutput = false;
  /**
   * The qparams (int8) an int8 input is taken to be quantized with; default the input qparams as
   * int8 ({@link int8InputQParams}). When they differ, the layer requantizes the input first, with
   * the float path's arithmetic (the result is the same as given the dequantized floats).
   * {@link convert} sets it to the producing layer's {@link int8OutputQParams}.
   */
  quantizedInput: ActivationQParams;
  /** The modules between this layer and the next quantized one, when {@link quantizedOutput} was set by convert. @internal */
  _int8Path: Module[] = [];

  protected constructor(c: CheckedInit, weightShape: number[], device: DeviceName | undefined) {
    super();
    const n = weightShape[0];
    const k = c.values.length / n;
    const opts = { device };
    const w = c.weight;
    this.weight = scope(() => tensor(c.values, { ...opts, dtype: 'int8' }).reshape(weightShape));
    this.bias = c.bias ? tensor(c.bias, opts) : null;
    this.weightScale = w.perChannel ? tensor(w.scales, opts) : tensor(w.scales[0], opts);
    this.weightZeroPoint = w.perChannel ? tensor(w.zeroPoints, { ...opts, dtype: 'int32' }) : tensor(w.zeroPoints[0], { ...opts, dtype: 'int32' });
    this.inputScale = tensor(c.input.scale, opts);
    this.inputZeroPoint = tensor(c.input.zeroPoint, { ...opts, dtype: 'int32' });
    this.scale = tensor(c.output.scale, opts);
    this.zeroPoint = tensor(c.output.zeroPoint, { ...opts, dtype: 'int32' });
    this.relu = c.relu;
    this._quant = c;
    this.quantizedInput = asInt8(c.input);
    const r = requantConstants(w, rowSums(c.values, n, k), k, c.input, c.output, c.bias);
    // float32 when exact (K ≤ FLOAT_EXACT_K): acc + column term then converts and corrects in one pass
    this.requantColumnTerm = k <= FLOAT_EXACT_K ? tensor(Float32Array.from(r.columnTerm), opts) : tensor(r.columnTerm, opts);
    this.requantBiasTerm = r.biasTerm ? tensor(r.biasTerm, opts) : null;
    this.requantMultiplier = tensor(r.multiplier, opts);
    this.requantWeightZeroPoint = w.zeroPoints.some((z) => z !== 0) ? tensor(w.zeroPoints, opts) : null;
  }

  /** The input quantization (scale, zero point, dtype). */
  get inputQParams(): ActivationQParams {
    return { ...this._quant.input };
  }

  /** The output quantization (scale, zero point, dtype). */
  get outputQParams(): ActivationQParams {
    return { ...this._quant.output };
  }

  /** The input qparams as int8: uint8 (s, z) as (s, z − 128), the same numbers (the operand of the int8 product). */
  get int8InputQParams(): ActivationQParams {
    return asInt8(this._quant.input);
  }

  /** The qparams of the int8 output (with {@link quantizedOutput}): the output qparams as int8, uint8 (s, z) as (s, z − 128). */
  get int8OutputQParams(): ActivationQParams {
    return asInt8(this._quant.output);
  }

  /** Whether this forward returns int8: {@link quantizedOutput}, and no Dropout in training mode on the way to the next quantized layer. */
  protected emitsInt8(): boolean {
    return this.quantizedOutput && this._int8Path.every((m) => !(m instanceof Dropout) || !m.training || m.p === 0);
  }

  /** The int8 operand of the product from the input x (float32, int8 or uint8; see {@link quantizedInput}). */
  protected operand(op: string, x: Tensor): Tensor {
    return int8Operand(op, x, this._quant.input, this.quantizedInput);
  }

  /** The requantization's output settings: int8 (the output qparams as int8) with {@link quantizedOutput}, else dequantized. */
  protected outputMode(): { output: ActivationQParams; dequantize: boolean } {
    if (this.emitsInt8()) return { output: this.int8OutputQParams, dequantize: false };
    const { scale, zeroPoint, dtype } = this._quant.output;
    return { output: { scale, zeroPoint, dtype }, dequantize: true };
  }

  /** 'per_tensor_symmetric', 'per_tensor_affine', 'per_channel_symmetric' or 'per_channel_affine' (of the weight). */
  get weightQScheme(): string {
    const w = this._quant.weight;
    return `per_${w.perChannel ? 'channel' : 'tensor'}_${w.zeroPoints.some((z) => z !== 0) ? 'affine' : 'symmetric'}`;
  }

  /** The int32 products `acc` (channels along `channelShape`) requantized and dequantized. */
  protected requantize(acc: Tensor, channelShape: number[], rowSums: () => Tensor): Tensor {
    const t = {
      columnTerm: this.requantColumnTerm,
      weightZeroPoints: this.requantWeightZeroPoint,
      biasTerm: this.requantBiasTerm,
      multiplier: this.requantMultiplier,
    };
    return requantize(acc, t, channelShape, rowSums, this._quant.output, this.relu);
  }

  /**
   * xq [rows, K] (int8 storage) times the int8 weight viewed as [outChannels, K], requantized and
   * dequantized in tensor's fused kernel (the arithmetic of {@link requantize}, one pass).
   */
  protected quantizedProduct(xq: Tensor, weight: Tensor): Tensor {
    const { input, weight: w, bias } = this._quant;
    return quantizedLinear(xq, weight, {
      inputScale: input.scale,
      inputZeroPoint: input.zeroPoint - storageShift(input.dtype),
      weightScale: w.scales,
      weightZeroPoint: w.zeroPoints,
      columnTerm: this.requantColumnTerm,
      bias,
      relu: this.relu,
      ...this.outputMode(),
    });
  }

  protected qparamsRepr(): string {
    const { input, output } = this._quant;
    return `scale=${output.scale}, zeroPoint=${output.zeroPoint}, dtype=${output.dtype}, inputScale=${input.scale}, inputZeroPoint=${input.zeroPoint}, qscheme=${this.weightQScheme}${this.relu ? ', relu=true' : ''}`;
  }
}

/**
 * An int8 Linear for inference, as `torch.ao.nn.quantized.Linear` (fbgemm): the float input is
 * quantized with the calibrated input scale/zero point, multiplied by the int8 weight with an
 * int8 × int8 → int32 matmul, corrected for the zero points, requantized to the output
 * scale/zero point in float32 (round half to even, clamp; the float bias enters as
 * bias/(inScale·wScale) before the rounding, as fbgemm's float-bias path), and returned
 * dequantized (float32), so the float layers around it (ReLU, pooling, flatten) keep working and
 * its values are exactly those of PyTorch's quantized Linear, dequantized. Built by
 * {@link convert}, or directly from int8 values. No gradients. As {@link QuantizedConv2d}, it
 * also takes an already quantized input (int8 with `quantizedInput`, or uint8) and returns int8
 * with `quantizedOutput`: what convert sets up between consecutive quantized layers.
 *
 * Shapes: input [*, inFeatures] float32, int8 or uint8 → output [*, outFeatures] float32 (int8 with `quantizedOutput`).
 * @example
 * ```ts
 * const q = new QuantizedLinear(2, 1, {
 *   weight: new Int8Array([2, -3]), weightScale: 0.5, bias: [0.25],
 *   input: { scale: 0.1, zeroPoint: 0, dtype: 'int8' }, output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' },
 * });
 * q.forward(tensor([[1, 0.5]])); // [[0.5]]: (20 − 15)·0.05 + 0.25 = 0.5
 * ```
 */
export class QuantizedLinear extends QuantizedLayer {
  /** Size of each input sample. */
  readonly inFeatures: number;
  /** Size of each output sample. */
  readonly outFeatures: number;

  /**
   * @param inFeatures size of each input sample
   * @param outFeatures size of each output sample
   * @param init int8 weight [outFeatures, inFeatures] and quantization parameters
   * @example
   * ```ts
   * const fc = new QuantizedLinear(3, 2, {
   *   weight: new Int8Array(6).fill(1), weightScale: [0.1, 0.2],
   *   input: { scale: 0.02, zeroPoint: 128, dtype: 'uint8' }, output: { scale: 0.05, zeroPoint: 128, dtype: 'uint8' },
   * });
   * ```
   */
  constructor(inFeatures: number, outFeatures: number, init: QuantizedLayerInit) {
    for (const [name, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ArgumentError('QuantizedLinear', `${name} must be a positive integer, got ${v}`);
    }
    super(checkInit('QuantizedLinear', init, outFeatures, outFeatures * inFeatures), [outFeatures, inFeatures], init?.device);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  /**
   * Quantize a float {@link Linear} (on the CPU) with observer qparams for its weight, input and output.
   * @example
   * ```ts
   * const fc = new Linear(4, 2);
   * const q = QuantizedLinear.fromFloat(fc, {
   *   weight: { scale: 0.01, zeroPoint: 0, dtype: 'int8', qscheme: 'per_tensor_symmetric', quantMin: -128, quantMax: 127 },
   *   input: { scale: 0.02, zeroPoint: 128, dtype: 'uint8' }, output: { scale: 0.02, zeroPoint: 128, dtype: 'uint8' },
   * });
   * ```
   */
  static fromFloat(linear: Linear, q: FloatLayerQParams): QuantizedLinear {
    return new QuantizedLinear(linear.inFeatures, linear.outFeatures, floatLayerInit('QuantizedLinear.fromFloat', linear, q));
  }

  /**
   * y = requantize(quantize(x) · Wqᵀ) (dequantized), over the last dim of `x`.
   * @example
   * ```ts
   * const q = new QuantizedLinear(2, 2, {
   *   weight: new Int8Array([1, 0, 0, 1]), weightScale: 0.01,
   *   input: { scale: 0.01, zeroPoint: 0, dtype: 'int8' }, output: { scale: 0.0001, zeroPoint: 0, dtype: 'int8' },
   * });
   * q.forward(tensor([[0.5, -0.25]])).shape; // [1, 2]
   * ```
   */
  override forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError('QuantizedLinear', `expected a Tensor input, got ${x === null ? 'null' : typeof x}`);
    checkInputDType('QuantizedLinear', x, this._quant.input);
    if (x.ndim === 0 || x.shape.at(-1) !== this.inFeatures) {
      throw new ShapeError('QuantizedLinear', `expected input [*, ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    }
    const k = this.inFeatures;
    return noGrad(() =>
      scope(() => {
        const xq = this.operand('QuantizedLinear', x.reshape([-1, k]));
        return this.quantizedProduct(xq, this.weight).reshape([...x.shape.slice(0, -1), this.outFeatures]);
      }),
    );
  }

  /** PyTorch's extra_repr: sizes, output qparams, input qparams, weight scheme. @example `String(new QuantizedLinear(1, 1, { weight: new Int8Array([1]), weightScale: 1, input: { scale: 1, zeroPoint: 0, dtype: 'int8' }, output: { scale: 1, zeroPoint: 0, dtype: 'int8' } })) // 'QuantizedLinear(inFeatures=1, outFeatures=1, scale=1, zeroPoint=0, dtype=int8, inputScale=1, inputZeroPoint=0, qscheme=per_tensor_symmetric)'` */
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, ${this.qparamsRepr()}`;
  }
}
