// Observers: modules that watch tensors during calibration (or QAT) and turn what they saw into
// quantization parameters with PyTorch's arithmetic (torch.ao.quantization.observer).
// Running statistics are tensors (buffers `min_val`, `max_val`, as PyTorch's state dict) updated
// with tensor ops, so observing costs no device read on WebGPU; calculateQParams() reads them.
import { Module } from '@aimodel/nn';
import {
  AimodelError,
  ArgumentError,
  checkOptions,
  DeviceError,
  type DeviceName,
  DTypeError,
  maximum,
  minimum,
  noGrad,
  onesLike,
  scope,
  Tensor,
  where,
  zerosLike,
} from '@aimodel/tensor';
import { checkQuantDType, type QParams, type QScheme, type QuantDType, quantRange } from './arith';

const f = Math.fround;
/**
 * torch.finfo(torch.float32).eps = 2⁻²³, the observers' default smallest scale.
 * @example
 * ```ts
 * FLOAT32_EPS === 2 ** -23; // true
 * ```
 */
export const FLOAT32_EPS = 2 ** -23;

/**
 * An observer asked for quantization parameters before it saw any data: run calibration batches
 * through the prepared model first.
 * @example
 * ```ts
 * try { new MinMaxObserver().calculateQParams(); } catch (e) { e instanceof CalibrationError; } // true
 * ```
 */
export class CalibrationError extends AimodelError {
  /** @internal The class name, kept when an app's bundler minifies class names. */
  override readonly name = 'CalibrationError';
}

/**
 * Options of the observers (each accepts the keys that apply to it), PyTorch's arguments in
 * camelCase. Defaults as PyTorch: dtype 'uint8', qscheme 'per_tensor_affine' ('per_channel_affine'
 * for per-channel observers), no reduced range, eps = float32 epsilon.
 * @example
 * ```ts
 * const opts: ObserverOptions = { dtype: 'int8', qscheme: 'per_tensor_symmetric' };
 * ```
 */
export interface ObserverOptions {
  /** Integer dtype the parameters are for ('uint8' default). */
  dtype?: QuantDType;
  /** How scale and zero point are chosen. */
  qscheme?: QScheme;
  /** Drop one bit of the range ([0, 127] / [−64, 63]), as PyTorch's reduce_range (x86 fbgemm). */
  reduceRange?: boolean;
  /** Custom range (with quantMax); must contain 0 and fit the dtype. */
  quantMin?: number;
  /** Custom range (with quantMin). */
  quantMax?: number;
  /** Smallest scale (default float32 eps, 2⁻²³). */
  eps?: number;
  /** Device of the running statistics (default: the default device). */
  device?: DeviceName;
  /** Channel dim (per-channel observers; default 0). */
  chAxis?: number;
  /** Moving-average rate c (MovingAverageMinMaxObserver; default 0.01): m ← m + c·(batch − m). */
  averagingConstant?: number;
  /** Histogram bins (HistogramObserver; default 2048). */
  bins?: number;
  /** Histogram upsampling when ranges change (HistogramObserver; default 128). */
  upsampleRate?: number;
}

const BASE_KEYS = ['dtype', 'qscheme', 'reduceRange', 'quantMin', 'quantMax', 'eps', 'device'] as const;
const SCHEMES: readonly QScheme[] = ['per_tensor_affine', 'per_tensor_symmetric', 'per_channel_affine', 'per_channel_symmetric'];

/** Round half to even (nearbyint), on a double. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Base of every observer: an nn Module whose `forward(x)` records statistics of x and returns x
 * unchanged, and whose {@link Observer.calculateQParams} turns them into a scale and zero point.
 * @example
 * ```ts
 * const obs: Observer = new MinMaxObserver({ dtype: 'int8' });
 * obs.forward(tensor([-1, 2]));
 * obs.qparams().scale; // ≈ 3/255
 * ```
 */
export abstract class Observer extends Module {
  /** Integer dtype. @example `new MinMaxObserver().dtype // 'uint8'` */
  readonly dtype: QuantDType;
  /** Scheme. @example `new MinMaxObserver().qscheme // 'per_tensor_affine'` */
  readonly qscheme: QScheme;
  /** Smallest quantized value. @example `new MinMaxObserver({ dtype: 'int8' }).quantMin // -128` */
  readonly quantMin: number;
  /** Largest quantized value. @example `new MinMaxObserver({ reduceRange: true }).quantMax // 127` */
  readonly quantMax: number;
  /** Whether reduceRange was asked. @example `new MinMaxObserver().reduceRange // false` */
  readonly reduceRange: boolean;
  /** Smallest scale. @example `new MinMaxObserver().eps // 1.1920928955078125e-7` */
  readonly eps: number;
  /** Channel axis (per-channel observers), else undefined. @example `new PerChannelMinMaxObserver({ chAxis: 1 }).chAxis // 1` */
  readonly chAxis: number | undefined;
  private readonly _customRange: boolean;
  protected readonly _device: DeviceName | undefined;

  protected constructor(name: string, opts: ObserverOptions, extraKeys: readonly string[], perChannel: boolean) {
    super();
    checkOptions(name, opts, [...BASE_KEYS, ...extraKeys]);
    const dtype = opts.dtype ?? 'uint8';
    checkQuantDType(name, dtype);
    const qscheme = opts.qscheme ?? (perChannel ? 'per_channel_affine' : 'per_tensor_affine');
    if (!SCHEMES.includes(qscheme)) throw new ArgumentError(name, `unknown qscheme ${JSON.stringify(qscheme)} (expected ${SCHEMES.join(', ')})`);
    if (qscheme.startsWith('per_channel') !== perChannel) {
      throw new ArgumentError(name, `qscheme '${qscheme}' does not fit a ${perChannel ? 'per-channel' : 'per-tensor'} observer`);
    }
    const reduceRange = opts.reduceRange ?? false;
    if (reduceRange && dtype === 'uint8' && qscheme.endsWith('symmetric'))
      throw new ArgumentError(name, 'cannot reduce the range for symmetric uint8 quantization');
    this._customRange = opts.quantMin !== undefined || opts.quantMax !== undefined;
    let [qmin, qmax] = quantRange(dtype, reduceRange);
    if (this._customRange) {
      const { quantMin: lo, quantMax: hi } = opts;
      const [dmin, dmax] = quantRange(dtype);
      if (
        lo === undefined ||
        hi === undefined ||
        !Number.isInteger(lo) ||
        !Number.isInteger(hi) ||
        !(lo <= 0 && 0 <= hi && lo < hi) ||
        lo < dmin ||
        hi > dmax
      ) {
        throw new ArgumentError(
          name,
          `quantMin and quantMax must be given together as integers with quantMin <= 0 <= quantMax, quantMin < quantMax, within ${dtype}'s [${dmin}, ${dmax}]; got ${lo} and ${hi}`,
        );
      }
      [qmin, qmax] = reduceRange ? [Math.floor(lo / 2), Math.floor(hi / 2)] : [lo, hi];
    }
    const eps = opts.eps ?? FLOAT32_EPS;
    if (!(typeof eps === 'number' && eps > 0 && Number.isFinite(eps))) throw new ArgumentError(name, `eps must be a finite number > 0, got ${eps}`);
    this.dtype = dtype;
    this.qscheme = qscheme;
    this.quantMin = qmin;
    this.quantMax = qmax;
    this.reduceRange = reduceRange;
    this.eps = f(eps);
    this._device = opts.device;
    const chAxis = opts.chAxis ?? (perChannel ? 0 : undefined);
    if (chAxis !== undefined && !Number.isInteger(chAxis)) throw new ArgumentError(name, `chAxis must be an integer, got ${chAxis}`);
    this.chAxis = chAxis;
  }

  /** Record statistics of `x`; returns `x` itself. */
  abstract override forward(x: Tensor): Tensor;

  /** The observed [min, max] range(s) to quantize, read from the device (CPU only). */
  protected abstract range(): { min: Float32Array; max: Float32Array };

  /**
   * Scale and zero point from the observed range, PyTorch's `_calculate_qparams` in float32:
   * min⁻ = min(min, 0), max⁺ = max(max, 0); symmetric: scale = max(−min⁻, max⁺) / ((qmax − qmin)/2)
   * (÷127.5 for int8), zero point 0 (int8) or 128 (uint8; the midpoint for a custom range);
   * affine: scale = (max⁺ − min⁻)/(qmax − qmin), zero point = qmin − round(min⁻/scale) clamped;
   * scale is at least eps. Numbers per tensor, arrays per channel. Statistics must be on the CPU.
   * @example
   * ```ts
   * const obs = new MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' });
   * obs.forward(tensor([-2, 1]));
   * obs.calculateQParams(); // { scale: 2 / 127.5, zeroPoint: 0 }
   * ```
   */
  calculateQParams(): { scale: number | Float32Array; zeroPoint: number | Int32Array } {
    const { min, max } = this.range();
    const scale = new Float32Array(min.length);
    const zeroPoint = new Int32Array(min.length);
    const { quantMin: qmin, quantMax: qmax } = this;
    for (let i = 0; i < min.length; i++) {
      if (!(min[i] <= max[i])) throw new ArgumentError(`${this.constructor.name}.calculateQParams`, `min (${min[i]}) must not exceed max (${max[i]})`);
      const minNeg = Math.min(min[i], 0);
      const maxPos = Math.max(max[i], 0);
      if (this.qscheme.endsWith('symmetric')) {
        scale[i] = Math.max(f(Math.max(-minNeg, maxPos) / f((qmax - qmin) / 2)), this.eps);
        zeroPoint[i] = this.dtype === 'uint8' ? (this._customRange ? Math.floor((qmin + qmax) / 2) : 128) : 0;
      } else {
        const s = Math.max(f(f(maxPos - minNeg) / (qmax - qmin)), this.eps);
        scale[i] = s;
        zeroPoint[i] = Math.min(qmax, Math.max(qmin, qmin - roundHalfEven(f(minNeg / s))));
      }
    }
    return this.chAxis === undefined ? { scale: scale[0], zeroPoint: zeroPoint[0] } : { scale, zeroPoint };
  }

  /**
   * Everything `convert` needs: {@link Observer.calculateQParams} plus dtype, scheme, range and
   * channel axis, as a {@link QParams}.
   * @example
   * ```ts
   * const obs = new PerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric' });
   * obs.forward(tensor([[1, -2], [0.5, 0.25]]));
   * obs.qparams(); // { scale: Float32Array [2/127.5, 0.5/127.5], zeroPoint: Int32Array [0, 0], axis: 0, dtype: 'int8', … }
   * ```
   */
  qparams(): QParams {
    const { scale, zeroPoint } = this.calculateQParams();
    const out: QParams = { scale, zeroPoint, dtype: this.dtype, qscheme: this.qscheme, quantMin: this.quantMin, quantMax: this.quantMax };
    if (this.chAxis !== undefined) out.axis = this.chAxis;
    return out;
  }

  /** The [min, max] statistics tensors that {@link Observer.calculateQParamsTensors} reads on the device. */
  protected abstract statTensors(): [Tensor, Tensor];

  /**
   * {@link Observer.calculateQParams} computed with tensor ops where the statistics live (no
   * device read): float32 `scale` and `zeroPoint` (integer values), 0-d per tensor, [C] per
   * channel. FakeQuantize uses it, so QAT on WebGPU never waits for a read. Before any data it
   * gives scale 1 and zero point 0, PyTorch's defaults. (WGSL's float division may differ from
   * the CPU's in the last bit.)
   * @example
   * ```ts
   * const obs = new MinMaxObserver();
   * obs.forward(tensor([-1, 2]));
   * obs.calculateQParamsTensors().zeroPoint.dataSync()[0]; // 85
   * ```
   */
  calculateQParamsTensors(): { scale: Tensor; zeroPoint: Tensor } {
    const { quantMin: qmin, quantMax: qmax, eps } = this;
    return noGrad(() =>
      scope(() => {
        const [lo, hi] = this.statTensors();
        const minNeg = minimum(lo, 0);
        const maxPos = maximum(hi, 0);
        let scale: Tensor;
        let zp: Tensor;
        if (this.qscheme.endsWith('symmetric')) {
          scale = maximum(maximum(minNeg.neg(), maxPos).div(f((qmax - qmin) / 2)), eps);
          const mid = this.dtype === 'uint8' ? (this._customRange ? Math.floor((qmin + qmax) / 2) : 128) : 0;
          zp = zerosLike(lo).add(mid);
        } else {
          scale = maximum(maxPos.sub(minNeg).div(qmax - qmin), eps);
          zp = minNeg.div(scale).round().neg().add(qmin).clamp(qmin, qmax);
        }
        const fresh = lo.eq(Number.POSITIVE_INFINITY);
        return { scale: where(fresh, onesLike(lo), scale), zeroPoint: where(fresh, zerosLike(lo), zp) };
      }),
    );
  }

  /** Read statistics buffers synchronously, with an error that says what to do on WebGPU. */
  protected readStats(...ts: Tensor[]): Float32Array[] {
    const op = `${this.constructor.name}.calculateQParams`;
    for (const t of ts) {
      if (t.device !== 'cpu')
        throw new DeviceError(op, `the observer's statistics are on ${t.device}: move the model to the CPU first (await model.to('cpu'))`);
    }
    return ts.map((t) => t.dataSync() as Float32Array);
  }

  protected uncalibrated(): never {
    throw new CalibrationError(
      `${this.constructor.name}.calculateQParams`,
      'no data observed yet: run calibration data through the prepared model (forward) before asking for quantization parameters or converting',
    );
  }

  protected checkInput(x: unknown): asserts x is Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(this.constructor.name, `expected a Tensor, got ${x === null ? 'null' : typeof x}`);
    if (x.dtype !== 'float32') throw new DTypeError(this.constructor.name, `expected a float32 tensor, got ${x.dtype}`);
  }

  protected checkDevice(x: Tensor, stat: Tensor): void {
    if (x.device !== stat.device) {
      throw new DeviceError(
        this.constructor.name,
        `input is on ${x.device} but the observer's statistics are on ${stat.device}: move the model (await model.to('${x.device}'))`,
      );
    }
  }

  /** PyTorch's extra_repr, in our names. @example `String(new MinMaxObserver()) // "MinMaxObserver(dtype='uint8', qscheme='per_tensor_affine', quantMin=0, quantMax=255)"` */
  override extraRepr(): string {
    return `dtype='${this.dtype}', qscheme='${this.qscheme}', quantMin=${this.quantMin}, quantMax=${this.quantMax}`;
  }
}
