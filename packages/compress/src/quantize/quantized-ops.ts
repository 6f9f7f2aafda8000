// The integer pipeline shared by the quantized modules, as PyTorch's fbgemm reference
// (fbgemm ReQuantizeOutput with a float bias, the path PyTorch's quantized::linear and conv take):
//   acc[i, j]  = Σₖ xq[i, k]·wq[j, k]                      int8 × int8 → int32 (tensor's matmul)
//   raw[i, j]  = acc − x_zp·Σₖ wq[j, k] − w_zp[j]·Σₖ xq[i, k] + K·x_zp·w_zp[j]   (exact int32)
//   raw_f      = float(raw) + bias[j] / (x_scale·w_scale[j])                    (float32)
//   q_out      = clamp(nearbyint(raw_f · (x_scale·w_scale[j] / y_scale)) + y_zp, qmin, qmax)
// with qmin = y_zp when a ReLU is fused. Activations stored as uint8 (PyTorch's quint8) enter the
// int8 matmul shifted by −128 (value and zero point alike), which leaves every (q − zp) unchanged.
import { ArgumentError, maximum, minimum, quantize, type Tensor } from '@aimodel/tensor';
import { type QuantDType, quantRange } from './arith';

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
  return quantize(x, p.scale, p.zeroPoint - storageShift(p.dtype), 'int8'); // quantizePerTensor's arithmetic, in one pass
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

/**
 * The per-output-channel constants of a static layer's requantization, computed on the host in
 * float32 as fbgemm does (stored by the layer as buffers, so they move and free with it).
 * @internal
 */
export interface RequantConstants {
  /** −x_zp·Σₖ wq[j, k] + K·x_zp·w_zp[j] (x_zp in the shifted int8 storage). */
  columnTerm: Int32Array;
  /** bias[j] / (x_scale·w_scale[j]), or null without bias. */
  biasTerm: Float32Array | null;
  /** x_scale·w_scale[j] / y_scale. */
  multiplier: Float32Array;
}

/** @internal */
export function requantConstants(
  weight: WeightQParams,
  weightRowSums: Int32Array,
  k: number,
  input: ActivationQParams,
  output: ActivationQParams,
  bias: Float32Array | null,
): RequantConstants {
  const n = weight.scales.length;
  const xzp = input.zeroPoint - storageShift(input.dtype);
  const columnTerm = new Int32Array(n);
  const multiplier = new Float32Array(n);
  const biasTerm = bias ? new Float32Array(n) : null;
  for (let j = 0; j < n; j++) {
    columnTerm[j] = -xzp * weightRowSums[j] + k * xzp * weight.zeroPoints[j];
    const actTimesW = Math.fround(input.scale * weight.scales[j]);
    multiplier[j] = Math.fround(actTimesW / output.scale);
    if (biasTerm && bias) biasTerm[j] = Math.fround(bias[j] / actTimesW);
  }
  return { columnTerm, biasTerm, multiplier };
}

/** The device tensors {@link requantize} reads (a layer's buffers). @internal */
export interface RequantTensors {
  columnTerm: Tensor;
  /** Weight zero points (int32), or null when all are 0. */
  weightZeroPoints: Tensor | null;
  biasTerm: Tensor | null;
  multiplier: Tensor;
}

/**
 * The largest reduction length K for which every integer of the pipeline stays below 2²⁴ in
 * magnitude (|acc| ≤ K·2¹⁴, |column term| ≤ K·2¹⁵, |w_zp·Σx| ≤ K·2¹⁴), so that float32 holds it
 * exactly: the column term is then kept as float32 and added in the same pass that converts acc.
 * @internal
 */
export const FLOAT_EXACT_K = 256;

/**
 * Requantize the int32 products `acc` (output channels along `channelShape`'s non-1 dim) and
 * return the result dequantized: y_scale·(q_out − y_zp), float32; q_out is clamped to
 * [qmin, qmax] (qmin = y_zp with a fused ReLU). `rowSums` (Σₖ xq over the reduced dim, shaped to
 * broadcast against acc) is called only when the weights have non-zero zero points.
 * Computed as clamp(round(ab)·y_scale, (qmin − y_zp)·y_scale, (qmax − y_zp)·y_scale): the same
 * numbers as (clamp(round(ab) + y_zp) − y_zp)·y_scale, multiplication by y_scale > 0 being
 * monotone, in seven passes instead of ten — except that a zero may come out as −0 where PyTorch's
 * integer arithmetic gives +0 (equal as numbers).
 * @internal
 */
export function requantize(acc: Tensor, t: RequantTensors, channelShape: number[], rowSums: () => Tensor, output: ActivationQParams, relu: boolean): Tensor {
  const along = (x: Tensor) => x.reshape(channelShape);
  let raw = acc.add(along(t.columnTerm)); // float32 when the column term is (K ≤ FLOAT_EXACT_K): exact either way
  if (t.weightZeroPoints) raw = raw.sub(rowSums().mul(along(t.weightZeroPoints)));
  let f = raw.to('float32');
  if (t.biasTerm) f = f.add(along(t.biasTerm));
  const [qmin, qmax] = quantRange(output.dtype);
  const { zeroPoint: zp, scale } = output;
  const lo = Math.fround(((relu ? zp : qmin) - zp) * scale);
  const hi = Math.fround((qmax - zp) * scale);
  // maximum/minimum clamp in two passes where clamp's where-form takes four (no gradient here)
  return minimum(maximum(f.mul(along(t.multiplier)).round().mul(scale), lo), hi);
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
