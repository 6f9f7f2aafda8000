// The integer pipeline shared by the quantized modules, as PyTorch's fbgemm reference
// (fbgemm ReQuantizeOutput with a float bias, the path PyTorch's quantized::linear and conv take):
//   acc[i, j]  = Σₖ xq[i, k]·wq[j, k]                      int8 × int8 → int32 (tensor's matmul)
//   raw[i, j]  = acc − x_zp·Σₖ wq[j, k] − w_zp[j]·Σₖ xq[i, k] + K·x_zp·w_zp[j]   (exact int32)
//   raw_f      = float(raw) + bias[j] / (x_scale·w_scale[j])                    (float32)
//   q_out      = clamp(nearbyint(raw_f · (x_scale·w_scale[j] / y_scale)) + y_zp, qmin, qmax)
// with qmin = y_zp when a ReLU is fused. Activations stored as uint8 (PyTorch's quint8) enter the
// int8 matmul shifted by −128 (value and zero point alike), which leaves every (q − zp) unchanged.
import { ArgumentError, type DeviceName, keep, type Tensor, tensor } from '@aimodel/tensor';
import { type QuantDType, quantizePerTensor, quantRange } from './arith';

/**
 * How a quantized layer's activations (its input, or its output) are quantized: a per-tensor
 * scale and zero point and the integer dtype (`'uint8'` is PyTorch's `quint8`, fbgemm's default).
 * @example
 * ```ts
 * const input: ActivationQParams = { scale: 0.02, zeroPoint: 64, dtype: 'uint8' };
 * ```
 */
export interface ActivationQParams {
  /** float32 step (> 0). */
  scale: number;
  /** Integer zero point in the dtype's range. */
  zeroPoint: number;
  /** 'uint8' (quint8) or 'int8' (qint8). */
  dtype: QuantDType;
}

/** Checks activation qparams and returns them with the scale rounded to float32. @internal */
export function checkActivation(op: string, what: string, p: ActivationQParams): ActivationQParams {
  if (!p || typeof p !== 'object') throw new ArgumentError(op, `${what} must be { scale, zeroPoint, dtype }, got ${String(p)}`);
  const { scale, zeroPoint, dtype } = p;
  if (dtype !== 'int8' && dtype !== 'uint8') throw new ArgumentError(op, `${what}.dtype must be 'int8' or 'uint8', got ${JSON.stringify(dtype)}`);
  if (!(typeof scale === 'number' && Number.isFinite(scale) && scale > 0))
    throw new ArgumentError(op, `${what}.scale must be a finite number > 0, got ${scale}`);
  const [lo, hi] = quantRange(dtype);
  if (!Number.isInteger(zeroPoint) || zeroPoint < lo || zeroPoint > hi) {
    throw new ArgumentError(op, `${what}.zeroPoint must be an integer in [${lo}, ${hi}] for ${dtype}, got ${zeroPoint}`);
  }
  return { scale: Math.fround(scale), zeroPoint, dtype };
}

/** What the int8 matmul operand is shifted by: uint8 values q are stored as q − 128. */
export function storageShift(dtype: QuantDType): number {
  return dtype === 'uint8' ? 128 : 0;
}

/** Quantize a float32 activation to the int8 operand of the integer matmul (q − shift). @internal */
export function quantizeActivation(x: Tensor, p: ActivationQParams): Tensor {
  return quantizePerTensor(x, p.scale, p.zeroPoint - storageShift(p.dtype), 'int8');
}

/**
 * Per-output-channel weight quantization: scales and zero points expanded to one per output
 * channel (a per-tensor weight repeats its pair), and whether they were per channel.
 * @internal
 */
export interface WeightQParams {
  scales: Float32Array;
  zeroPoints: Int32Array;
  perChannel: boolean;
}

/** Normalise a weight scale / zero point given per tensor (number) or per channel (array). @internal */
export function weightQParams(op: string, outChannels: number, scale: number | ArrayLike<number>, zeroPoint: number | ArrayLike<number> = 0): WeightQParams {
  const perChannel = typeof scale !== 'number';
  if (perChannel !== (typeof zeroPoint !== 'number') && typeof zeroPoint !== 'number') {
    throw new ArgumentError(op, 'a per-tensor weightScale (a number) needs a number weightZeroPoint');
  }
  const scales = new Float32Array(outChannels);
  const zeroPoints = new Int32Array(outChannels);
  const n = (v: number | ArrayLike<number>) => (typeof v === 'number' ? 1 : v.length);
  if (perChannel && (n(scale) !== outChannels || n(zeroPoint) !== (typeof zeroPoint === 'number' ? 1 : outChannels))) {
    throw new ArgumentError(
      op,
      `per-channel weightScale and weightZeroPoint need ${outChannels} values (one per output channel), got ${n(scale)} and ${n(zeroPoint)}`,
    );
  }
  for (let j = 0; j < outChannels; j++) {
    const s = typeof scale === 'number' ? scale : scale[j];
    const z = typeof zeroPoint === 'number' ? zeroPoint : zeroPoint[j];
    if (!(Number.isFinite(s) && s > 0)) throw new ArgumentError(op, `weight scales must be finite numbers > 0, got ${s}`);
    if (!Number.isInteger(z) || z < -128 || z > 127) throw new ArgumentError(op, `weight zero points must be integers in [-128, 127] (int8), got ${z}`);
    scales[j] = s;
    zeroPoints[j] = z;
  }
  return { scales, zeroPoints, perChannel };
}

/** Device tensors of one layer's requantization, built once per device from the host numbers. */
interface DeviceConstants {
  device: DeviceName;
  /** int32 [N]: −x_zp·Σₖ wq[j, k] + K·x_zp·w_zp[j] (x_zp in the shifted storage). */
  columnTerm: Tensor;
  /** int32 [N] weight zero points, or null when all are 0 (symmetric weights). */
  weightZeroPoints: Tensor | null;
  /** float32 [N] bias[j] / (x_scale·w_scale[j]), or null without bias. */
  biasTerm: Tensor | null;
  /** float32 [N] x_scale·w_scale[j] / y_scale. */
  multiplier: Tensor;
}

/**
 * The host-side constants of a static quantized layer (float32 values computed as fbgemm does)
 * and their device copies, rebuilt lazily when the module moves to another device.
 * @internal
 */
export class Requantizer {
  private readonly columnTerm: Int32Array;
  private readonly multiplier: Float32Array;
  private readonly biasTerm: Float32Array | null;
  private readonly hasWeightZeroPoint: boolean;
  /** Clamp bounds of the output: the dtype's range, qmin raised to the zero point with a fused ReLU. */
  readonly qmin: number;
  readonly qmax: number;
  private cached: DeviceConstants | null = null;

  constructor(
    readonly weight: WeightQParams,
    weightRowSums: Int32Array,
    readonly k: number,
    readonly input: ActivationQParams,
    readonly output: ActivationQParams,
    bias: Float32Array | null,
    relu: boolean,
  ) {
    const n = weight.scales.length;
    const xzp = input.zeroPoint - storageShift(input.dtype);
    this.columnTerm = new Int32Array(n);
    this.multiplier = new Float32Array(n);
    this.biasTerm = bias ? new Float32Array(n) : null;
    for (let j = 0; j < n; j++) {
      this.columnTerm[j] = -xzp * weightRowSums[j] + k * xzp * weight.zeroPoints[j];
      const actTimesW = Math.fround(input.scale * weight.scales[j]);
      this.multiplier[j] = Math.fround(actTimesW / output.scale);
      if (this.biasTerm && bias) this.biasTerm[j] = Math.fround(bias[j] / actTimesW);
    }
    this.hasWeightZeroPoint = weight.zeroPoints.some((z) => z !== 0);
    const [qmin, qmax] = quantRange(output.dtype);
    this.qmin = relu ? output.zeroPoint : qmin;
    this.qmax = qmax;
  }

  private constants(device: DeviceName): DeviceConstants {
    if (this.cached?.device === device) return this.cached;
    this.dispose();
    const make = (v: Int32Array | Float32Array) => keep(tensor(v, { device }));
    this.cached = {
      device,
      columnTerm: make(this.columnTerm),
      weightZeroPoints: this.hasWeightZeroPoint ? make(this.weight.zeroPoints) : null,
      biasTerm: this.biasTerm ? make(this.biasTerm) : null,
      multiplier: make(this.multiplier),
    };
    return this.cached;
  }

  /**
   * Requantize the int32 products `acc` (output channels along `channelDim`, the others
   * broadcast) and return the result dequantized: y_scale·(q_out − y_zp), float32. `rowSums`
   * (Σₖ xq over the reduced dim, shaped to broadcast against acc) is only needed, and only
   * called, when the weights have non-zero zero points.
   */
  apply(acc: Tensor, channelShape: number[], rowSums: () => Tensor): Tensor {
    const c = this.constants(acc.device);
    const along = (t: Tensor) => t.reshape(channelShape);
    let raw = acc.add(along(c.columnTerm));
    if (c.weightZeroPoints) raw = raw.sub(rowSums().mul(along(c.weightZeroPoints)));
    let f = raw.to('float32');
    if (c.biasTerm) f = f.add(along(c.biasTerm));
    // + zp, clamp, − zp (not a clamp to [qmin − zp, qmax − zp]): the integer q − zp is +0, never −0
    const zp = this.output.zeroPoint;
    return f.mul(along(c.multiplier)).round().add(zp).clamp(this.qmin, this.qmax).sub(zp).mul(this.output.scale);
  }

  /** Free the device copies. */
  dispose(): void {
    if (!this.cached) return;
    for (const t of [this.cached.columnTerm, this.cached.weightZeroPoints, this.cached.biasTerm, this.cached.multiplier]) t?.dispose();
    this.cached = null;
  }
}

/** Σₖ of each row of an int8 weight viewed as [N, K] (host). @internal */
export function rowSums(values: Int8Array, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = j * k; i < (j + 1) * k; i++) s += values[i];
    out[j] = s;
  }
  return out;
}
