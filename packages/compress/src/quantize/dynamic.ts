// Dynamic quantization, as PyTorch's quantize_dynamic with fbgemm: weights quantized ahead to int8,
// each input batch quantized on the fly to uint8 from its own min/max, and the int32 products
// scaled back to float32:
//   (x_scale, x_zp) = ChooseQuantizationParams(min(x), max(x), 0, 255, reduce_range = true)
//   out[i, j] = float(Σₖ (xq − x_zp)(wq − w_zp[j])) · x_scale · w_scale[j] + bias[j]   (fbgemm ReQuantizeForFloat)
import { Linear, Module } from '@aimodel/nn';
import {
  ArgumentError,
  checkOptions,
  DTypeError,
  div,
  matmul,
  maximum,
  minimum,
  noGrad,
  quantize,
  quantizedLinear,
  ShapeError,
  scope,
  Tensor,
  tensor,
  where,
  zeros,
} from '@aimodel/tensor';
import type { QScheme } from './arith';
import { replaceModules } from './convert-modules';
import { MinMaxObserver, PerChannelMinMaxObserver } from './observers';
import { hostBias, quantizeWeight } from './quantized-linear';
import { rowSums, type WeightQParams, weightQParams } from './quantized-ops';

const f = Math.fround;
const SMALL_SCALE = 6.1e-5; // PyTorch's SMALL_SCALE_THRESHOLD

/** nearbyint: round half to even. */
function rint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * PyTorch's `quant_utils::ChooseQuantizationParams` (preserve_sparsity and power-of-two scales
 * off), in double precision: the activation qparams of a dynamic layer from its batch's range.
 * @internal
 */
export function chooseQParams(xMin: number, xMax: number, qmin: number, qmax: number): { scale: number; zeroPoint: number } {
  let min = Math.min(f(xMin), 0);
  let max = Math.max(f(xMax), 0);
  let scale = (max - min) / (qmax - qmin);
  if (f(scale) === 0 || !Number.isFinite(f(1 / f(scale)))) scale = 0.1;
  if (scale < SMALL_SCALE) {
    const org = f(scale);
    scale = SMALL_SCALE;
    if (min === 0) max = f(SMALL_SCALE * (qmax - qmin));
    else if (max === 0) min = f(-SMALL_SCALE * (qmax - qmin));
    else {
      const amplifier = f(SMALL_SCALE / org);
      min = f(min * amplifier);
      max = f(max * amplifier);
    }
  }
  const fromMin = qmin - min / scale;
  const fromMax = qmax - max / scale;
  const errMin = Math.abs(qmin) - Math.abs(min / scale);
  const errMax = Math.abs(qmax) - Math.abs(max / scale);
  const initial = errMin < errMax ? fromMin : fromMax;
  const zeroPoint = initial < qmin ? qmin : initial > qmax ? qmax : rint(initial);
  return { scale: f(scale), zeroPoint };
}

/** The same choice with float32 tensor ops, for devices that cannot be read synchronously. */
function chooseQParamsTensors(x: Tensor, qmin: number, qmax: number): { scale: Tensor; zeroPoint: Tensor } {
  const min0 = minimum(x.min(), 0);
  const max0 = maximum(x.max(), 0);
  const raw = max0.sub(min0).div(qmax - qmin);
  const scale0 = where(raw.eq(0), 0.1, raw);
  const small = scale0.lt(SMALL_SCALE);
  const amplifier = div(SMALL_SCALE, scale0);
  const span = SMALL_SCALE * (qmax - qmin);
  const min = where(small, where(min0.eq(0), 0, where(max0.eq(0), -span, min0.mul(amplifier))), min0);
  const max = where(small, where(min0.eq(0), span, where(max0.eq(0), 0, max0.mul(amplifier))), max0);
  const scale = where(small, SMALL_SCALE, scale0);
  const a = min.div(scale);
  const b = max.div(scale);
  const fromMinIsBetter = a
    .abs()
    .neg()
    .add(Math.abs(qmin))
    .lt(b.abs().neg().add(Math.abs(qmax)));
  const initial = where(fromMinIsBetter, a.neg().add(qmin), b.neg().add(qmax));
  return { scale, zeroPoint: initial.clamp(qmin, qmax).round() };
}

/**
 * Options of {@link quantizeDynamic}.
 * @example
 * ```ts
 * const opts: QuantizeDynamicOptions = { layers: [Linear], dtype: 'int8', qscheme: 'per_channel_symmetric' };
 * ```
 */
export interface QuantizeDynamicOptions {
  /** Layer classes to quantize (default `[Linear]`, the only one with a dynamic int8 version here). */
  layers?: readonly (abstract new (
    ...args: never[]
  ) => Module)[];
  /** Weight dtype: 'int8' (default, PyTorch's qint8). */
  dtype?: 'int8';
  /** Weight quantization (default 'per_tensor_symmetric', as PyTorch's default_dynamic_qconfig; 'per_channel_symmetric' as per_channel_dynamic_qconfig). */
  qscheme?: QScheme;
  /** Quantize activations to [0, 127] instead of [0, 255] (default true, as PyTorch's fbgemm dynamic Linear). */
  reduceRange?: boolean;
}

/**
 * A Linear with int8 weights whose input is quantized per batch, as
 * `torch.ao.nn.quantized.dynamic.Linear` (fbgemm): each forward takes the batch's min/max,
 * chooses a uint8 scale and zero point with PyTorch's `ChooseQuantizationParams` (reduced range
 * [0, 127] by default, as fbgemm), quantizes the input, multiplies with the int8 × int8 → int32
 * matmul and returns float32 `acc · x_scale · w_scale + bias`. No calibration is needed. On the
 * CPU the activation qparams are computed in double precision as PyTorch's; on WebGPU (no
 * synchronous reads) the same formula runs in float32 on the device, which can move the scale
 * by a rounding step. No gradients.
 * @example
 * ```ts
 * const q = DynamicQuantizedLinear.fromFloat(new Linear(4, 2));
 * q.forward(randn([8, 4])).shape; // [8, 2]
 * ```
 */
export class DynamicQuantizedLinear extends Module {
  /** Size of each input sample. */
  readonly inFeatures: number;
  /** Size of each output sample. */
  readonly outFeatures: number;
  /** int8 weight [outFeatures, inFeatures]. */
  readonly weight: Tensor;
  /** float32 bias [outFeatures], or null. */
  readonly bias: Tensor | null;
  /** float32 weight scale: [] per tensor, [outFeatures] per channel. */
  readonly weightScale: Tensor;
  /** int32 weight zero point(s), shaped as weightScale. */
  readonly weightZeroPoint: Tensor;
  /** Whether activations use the reduced range [0, 127]. */
  readonly reduceRange: boolean;
  /** Derived, int32 [outFeatures]: Σₖ wq[j, k] (the input zero-point correction). */
  readonly weightSums: Tensor;
  private readonly _weight: WeightQParams;

  /**
   * @param inFeatures size of each input sample
   * @param outFeatures size of each output sample
   * @param init int8 weight values [outFeatures, inFeatures], weight scale(s) and zero point(s), float bias
   * @example
   * ```ts
   * const q = new DynamicQuantizedLinear(2, 1, { weight: new Int8Array([64, -127]), weightScale: 0.01, bias: [0.5] });
   * ```
   */
  constructor(
    inFeatures: number,
    outFeatures: number,
    init: {
      weight: Int8Array;
      weightScale: number | ArrayLike<number>;
      weightZeroPoint?: number | ArrayLike<number>;
      bias?: ArrayLike<number> | null;
      reduceRange?: boolean;
    },
  ) {
    super();
    const op = 'DynamicQuantizedLinear';
    for (const [name, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ArgumentError(op, `${name} must be a positive integer, got ${v}`);
    }
    checkOptions(op, init, ['weight', 'weightScale', 'weightZeroPoint', 'bias', 'reduceRange']);
    if (!(init.weight instanceof Int8Array)) throw new ArgumentError(op, 'weight must be an Int8Array of the int8 values');
    if (init.weight.length !== inFeatures * outFeatures)
      throw new ShapeError(op, `weight has ${init.weight.length} values, expected ${inFeatures * outFeatures}`);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this._weight = weightQParams(op, outFeatures, init.weightScale, init.weightZeroPoint);
    const bias = init.bias == null ? null : Float32Array.from(Array.from(init.bias));
    if (bias && bias.length !== outFeatures) throw new ShapeError(op, `bias has ${bias.length} values, expected ${outFeatures}`);
    const w = this._weight;
    this.weight = scope(() => tensor(init.weight, { dtype: 'int8' }).reshape([outFeatures, inFeatures]));
    this.bias = bias ? tensor(bias) : null;
    this.weightScale = w.perChannel ? tensor(w.scales) : tensor(w.scales[0]);
    this.weightZeroPoint = w.perChannel ? tensor(w.zeroPoints, { dtype: 'int32' }) : tensor(w.zeroPoints[0], { dtype: 'int32' });
    this.reduceRange = init.reduceRange ?? true;
    this.weightSums = tensor(rowSums(init.weight, outFeatures, inFeatures));
  }

  /**
   * Quantize a float {@link Linear} (CPU) with a MinMax weight observer of `qscheme` (default per-tensor symmetric).
   * @example
   * ```ts
   * const q = DynamicQuantizedLinear.fromFloat(new Linear(8, 4), { qscheme: 'per_channel_symmetric' });
   * ```
   */
  static fromFloat(linear: Linear, opts: { qscheme?: QScheme; reduceRange?: boolean } = {}): DynamicQuantizedLinear {
    const op = 'DynamicQuantizedLinear.fromFloat';
    checkOptions(op, opts, ['qscheme', 'reduceRange']);
    const qscheme = opts.qscheme ?? 'per_tensor_symmetric';
    const observer = qscheme.startsWith('per_channel')
      ? new PerChannelMinMaxObserver({ dtype: 'int8', qscheme, chAxis: 0, device: linear.weight.device })
      : new MinMaxObserver({ dtype: 'int8', qscheme, device: linear.weight.device });
    try {
      noGrad(() => observer.forward(linear.weight));
      const w = quantizeWeight(op, linear.weight, observer.qparams());
      return new DynamicQuantizedLinear(linear.inFeatures, linear.outFeatures, {
        weight: w.values,
        weightScale: w.scale,
        weightZeroPoint: w.zeroPoint,
        bias: hostBias(linear.bias),
        reduceRange: opts.reduceRange ?? true,
      });
    } finally {
      observer.dispose();
    }
  }

  /**
   * Quantize `x` [*, inFeatures] with its own range, int8 matmul, float32 output [*, outFeatures].
   * @example
   * ```ts
   * const q = new DynamicQuantizedLinear(2, 1, { weight: new Int8Array([100, -100]), weightScale: 0.01 });
   * q.forward(tensor([[1, 0]])); // ≈ [[1]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const op = 'DynamicQuantizedLinear';
    if (!(x instanceof Tensor)) throw new ArgumentError(op, `expected a Tensor input, got ${x === null ? 'null' : typeof x}`);
    if (x.dtype !== 'float32') throw new DTypeError(op, `expected a float32 input, got ${x.dtype}`);
    if (x.ndim === 0 || x.shape.at(-1) !== this.inFeatures) throw new ShapeError(op, `expected input [*, ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    const k = this.inFeatures;
    const qmax = this.reduceRange ? 127 : 255;
    if (x.numel() === 0) return zeros([...x.shape.slice(0, -1), this.outFeatures], { device: x.device }); // no range to quantize with
    return noGrad(() =>
      scope(() => {
        const x2 = x.reshape([-1, k]);
        const outShape = [...x.shape.slice(0, -1), this.outFeatures];
        if (x.device === 'cpu') {
          // host qparams: tensor's fused quantize and int8 product with fbgemm's float epilogue
          const q = chooseQParams(x2.min().dataSync()[0], x2.max().dataSync()[0], 0, qmax);
          const w = this._weight;
          const xq = quantize(x2, q.scale, q.zeroPoint - 128, 'int8'); // uint8 values q stored as q − 128
          const bias = this.bias ? (this.bias.dataSync() as Float32Array) : null;
          const opts = {
            inputScale: q.scale,
            inputZeroPoint: q.zeroPoint - 128,
            weightScale: w.scales,
            weightZeroPoint: w.zeroPoints,
            weightSums: this.weightSums,
            bias,
          };
          return quantizedLinear(xq, this.weight, opts).reshape(outShape);
        }
        const { scale, zeroPoint: zp } = chooseQParamsTensors(x2, 0, qmax);
        const inv = div(1, scale);
        // uint8 values q stored as q − 128 for the int8 matmul; zp shifted alike
        const xq = minimum(maximum(x2.mul(inv).round().add(zp), 0), 255)
          .sub(128)
          .to('int8');
        const zpShifted = zp.sub(128).to('int32');
        let raw = matmul(xq, this.weight.transpose(0, 1)).sub(this.weightSums.mul(zpShifted));
        if (this._weight.zeroPoints.some((z) => z !== 0)) {
          const wzp = this.weightZeroPoint; // [] or [outFeatures]: broadcasts over the rows
          raw = raw.sub(xq.sum(1, { keepdim: true }).mul(wzp)).add(wzp.mul(zpShifted).mul(k));
        }
        let y = raw.to('float32').mul(scale).mul(this.weightScale);
        if (this.bias) y = y.add(this.bias);
        return y.reshape(outShape);
      }),
    );
  }

  /** 'per_tensor_symmetric', 'per_tensor_affine', 'per_channel_symmetric' or 'per_channel_affine' (of the weight). @example `DynamicQuantizedLinear.fromFloat(new Linear(2, 2)).weightQScheme // 'per_tensor_symmetric'` */
  get weightQScheme(): string {
    const w = this._weight;
    return `per_${w.perChannel ? 'channel' : 'tensor'}_${w.zeroPoints.some((z) => z !== 0) ? 'affine' : 'symmetric'}`;
  }

  /** PyTorch's extra_repr, in our names. @example `String(DynamicQuantizedLinear.fromFloat(new Linear(4, 2))) // 'DynamicQuantizedLinear(inFeatures=4, outFeatures=2, dtype=int8, qscheme=per_tensor_symmetric)'` */
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, dtype=int8, qscheme=${this.weightQScheme}${this.reduceRange ? '' : ', reduceRange=false'}`;
  }
}

/**
 * Dynamic quantization, as `torch.ao.quantization.quantize_dynamic` (in place; returns the
 * model): every `Linear` (or the classes in `layers`) becomes a {@link DynamicQuantizedLinear}
 * with int8 weights (per-tensor symmetric by default, PyTorch's `default_dynamic_qconfig`),
 * whose activations are quantized per batch. No calibration. The model must be on the CPU (move
 * the result with `await model.to('webgpu')`). A model that is itself a Linear is returned as a
 * new module.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(16, 32), new ReLU(), new Linear(32, 4));
 * quantizeDynamic(model);
 * String(model.at(0)); // 'DynamicQuantizedLinear(inFeatures=16, outFeatures=32, dtype=int8, qscheme=per_tensor_symmetric)'
 * model.forward(randn([2, 16])).shape; // [2, 4]
 * ```
 */
export function quantizeDynamic<M extends Module>(model: M, opts: QuantizeDynamicOptions = {}): M | DynamicQuantizedLinear {
  const op = 'quantizeDynamic';
  if (!(model instanceof Module)) throw new ArgumentError(op, `expected a Module, got ${model === null ? 'null' : typeof model}`);
  checkOptions(op, opts, ['layers', 'dtype', 'qscheme', 'reduceRange']);
  if ((opts.dtype ?? 'int8') !== 'int8') throw new DTypeError(op, `dtype must be 'int8' (PyTorch's qint8), got ${JSON.stringify(opts.dtype)}`);
  const layers = opts.layers ?? [Linear];
  for (const cls of layers) {
    if (cls !== Linear && !(cls.prototype instanceof Linear)) {
      throw new ArgumentError(op, `${cls.name} has no dynamic quantized version (supported: Linear); remove it from layers`);
    }
  }
  const qscheme = opts.qscheme ?? 'per_tensor_symmetric';
  const swap = (m: Module) =>
    layers.some((cls) => m instanceof cls) && m instanceof Linear
      ? DynamicQuantizedLinear.fromFloat(m, { qscheme, reduceRange: opts.reduceRange ?? true })
      : null;
  const root = swap(model);
  if (root) return root;
  replaceModules(model, (_path, m) => swap(m));
  return model;
}
