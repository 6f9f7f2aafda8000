// Affine int8/uint8 quantization arithmetic, composed from tensor ops so it runs on every backend.
// PyTorch's formula (ATen's quantize_val, fbgemm::Quantize and the fake-quantize kernels), in float32:
//   inv = 1f / scale;   q = clamp(zeroPoint + nearbyint(x · inv), qmin, qmax)   (ties to even)
//   dequantize(q) = scale · (q − zeroPoint)
// Multiplying by the float32 reciprocal (not dividing by the scale) is PyTorch's choice and changes
// results near ties: x = 0.273939937, scale = 0.00214854861 gives x·(1/scale) = 127.5 exactly in
// float32 (→ 128) where x/scale = 127.49999 (→ 127). The zero point is added after rounding
// (fbgemm's non-legacy mode), so zeroPoint 1 and x/scale = 0.5 give 1, not round(1.5) = 2.
import { ArgumentError, checkOptions, DTypeError, div, maximum, minimum, noGrad, ShapeError, scope, Tensor, tensor } from '@aimodel/tensor';

/**
 * The integer dtypes quantized values are stored in.
 * @example
 * ```ts
 * const dtype: QuantDType = 'int8';
 * ```
 */
export type QuantDType = 'int8' | 'uint8';

/**
 * How scale and zero point are chosen: one pair for the tensor or one per channel; affine (zero
 * point from the range) or symmetric (zero point 0 for int8, 128 for uint8), as `torch.qscheme`.
 * @example
 * ```ts
 * const scheme: QScheme = 'per_channel_symmetric';
 * ```
 */
export type QScheme = 'per_tensor_affine' | 'per_tensor_symmetric' | 'per_channel_affine' | 'per_channel_symmetric';

/**
 * Quantization parameters of one tensor: per tensor (`scale`, `zeroPoint` numbers) or per channel
 * (`Float32Array` scales and `Int32Array` zero points along `axis`), with the integer range used.
 * This is what observers produce (see `Observer.qparams()`) and what `convert` consumes.
 * @example
 * ```ts
 * const p: QParams = { scale: 0.1, zeroPoint: 0, dtype: 'int8', qscheme: 'per_tensor_symmetric', quantMin: -128, quantMax: 127 };
 * ```
 */
export interface QParams {
  /** float32 scale(s): a number per tensor, one per channel otherwise. */
  scale: number | Float32Array;
  /** Integer zero point(s), in [quantMin, quantMax]. */
  zeroPoint: number | Int32Array;
  /** The channel axis for per-channel parameters. */
  axis?: number;
  /** The integer dtype. */
  dtype: QuantDType;
  /** How the parameters were chosen. */
  qscheme: QScheme;
  /** Smallest quantized value (−128 for int8, 0 for uint8 unless narrowed). */
  quantMin: number;
  /** Largest quantized value (127 for int8, 255 for uint8 unless narrowed). */
  quantMax: number;
}

/**
 * The integer range of `dtype`, as PyTorch's observers choose it: int8 [−128, 127], uint8
 * [0, 255]; `reduceRange` drops one bit ([−64, 63], [0, 127]).
 * @example
 * ```ts
 * quantRange('uint8'); // [0, 255]
 * quantRange('int8', true); // [-64, 63]
 * ```
 */
export function quantRange(dtype: QuantDType, reduceRange = false): [number, number] {
  checkQuantDType('quantRange', dtype);
  if (dtype === 'int8') return reduceRange ? [-64, 63] : [-128, 127];
  return reduceRange ? [0, 127] : [0, 255];
}

/** Throws unless `dtype` is 'int8' or 'uint8'. @internal */
export function checkQuantDType(op: string, dtype: unknown): asserts dtype is QuantDType {
  if (dtype !== 'int8' && dtype !== 'uint8') throw new DTypeError(op, `expected dtype 'int8' or 'uint8', got ${JSON.stringify(dtype)}`);
}

function checkFloat(op: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(op, `expected a Tensor input, got ${x === null ? 'null' : typeof x}`);
  if (x.dtype !== 'float32') throw new DTypeError(op, `expected a float32 input, got ${x.dtype}`);
}

function checkScale(op: string, s: number): void {
  if (!(typeof s === 'number' && Number.isFinite(s) && s > 0)) throw new ArgumentError(op, `scale must be a finite number > 0, got ${s}`);
}

function checkRange(op: string, quantMin: number, quantMax: number): void {
  if (!Number.isInteger(quantMin) || !Number.isInteger(quantMax) || quantMin > quantMax) {
    throw new ArgumentError(op, `quantMin and quantMax must be integers with quantMin <= quantMax, got ${quantMin} and ${quantMax}`);
  }
}

function checkZeroPoint(op: string, zp: number, quantMin: number, quantMax: number): void {
  if (!Number.isInteger(zp) || zp < quantMin || zp > quantMax) {
    throw new ArgumentError(op, `zeroPoint must be an integer in [${quantMin}, ${quantMax}], got ${zp}`);
  }
}

/** The float32 reciprocal PyTorch multiplies by: 1f / float(scale). @internal */
export function invScale(scale: number): number {
  return Math.fround(1 / Math.fround(scale));
}

/** Normalise a channel axis of a rank-`ndim` tensor. */
function channelAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) throw new ArgumentError(op, `axis ${axis} is out of range for a ${ndim}-D tensor`);
  return axis < 0 ? axis + ndim : axis;
}

/** Per-channel values as a float32 tensor shaped to broadcast along `axis` of `x`. */
function alongAxis(values: ArrayLike<number>, x: Tensor, axis: number): Tensor {
  const shape = x.shape.map((d, i) => (i === axis ? d : 1));
  return tensor(Array.from(values), { device: x.device }).reshape(shape);
}

function perChannelArgs(
  op: string,
  x: Tensor,
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  axis: number,
  quantMin: number,
  quantMax: number,
): { axis: number; inv: number[]; scale: number[]; zp: number[] } {
  const ax = channelAxis(op, axis, x.ndim);
  const channels = x.shape[ax];
  if (scales.length !== channels || zeroPoints.length !== channels) {
    throw new ShapeError(op, `expected ${channels} scales and zero points (x.shape[${ax}]), got ${scales.length} and ${zeroPoints.length}`);
  }
  const scale = Array.from(scales, (s) => {
    checkScale(op, s);
    return Math.fround(s);
  });
  const zp = Array.from(zeroPoints, (z) => {
    checkZeroPoint(op, z, quantMin, quantMax);
    return z;
  });
  return { axis: ax, inv: scale.map(invScale), scale, zp };
}

/** zeroPoint + round(x · inv) clamped to [qmin, qmax], as float32 integers (tensor or broadcast operands). */
function quantizeFloat(x: Tensor, inv: number | Tensor, zp: number | Tensor, quantMin: number, quantMax: number): Tensor {
  return minimum(maximum(x.mul(inv).round().add(zp), quantMin), quantMax); // clamp in two passes (clamp's where-form takes four; no gradient here)
}

/**
 * Quantize a float32 tensor with one scale and zero point, as `torch.quantize_per_tensor` (the
 * integer values, as `.int_repr()`): q = clamp(zeroPoint + round(x · (1/scale)), qmin, qmax) in
 * float32 with ties to even; qmin/qmax are the full range of `dtype`. No gradient.
 * @param x float32 tensor, any shape
 * @param scale float32 step (> 0)
 * @param zeroPoint integer in the dtype's range
 * @param dtype 'int8' or 'uint8' (the result's dtype)
 * @example
 * ```ts
 * quantizePerTensor(tensor([-1, 0.05, 0.15, 0.25, 100]), 0.1, 0, 'int8'); // int8 [-10, 0, 2, 2, 127] (0.5 → 0, 1.5 → 2, 2.5 → 2)
 * quantizePerTensor(tensor([-1, 0, 1]), 0.5, 128, 'uint8'); // uint8 [126, 128, 130]
 * ```
 */
export function quantizePerTensor(x: Tensor, scale: number, zeroPoint: number, dtype: QuantDType): Tensor {
  checkFloat('quantizePerTensor', x);
  checkQuantDType('quantizePerTensor', dtype);
  checkScale('quantizePerTensor', scale);
  const [qmin, qmax] = quantRange(dtype);
  checkZeroPoint('quantizePerTensor', zeroPoint, qmin, qmax);
  return noGrad(() => scope(() => quantizeFloat(x, invScale(scale), zeroPoint, qmin, qmax).to(dtype)));
}

/**
 * Quantize with one scale and zero point per slice along `axis` (as `torch.quantize_per_channel`,
 * integer values): q[…, c, …] = clamp(zeroPoints[c] + round(x · (1/scales[c])), qmin, qmax).
 * @param x float32 tensor
 * @param scales one float32 scale (> 0) per channel (x.shape[axis] of them)
 * @param zeroPoints one integer zero point per channel
 * @param axis the channel dim (negative counts from the end)
 * @param dtype 'int8' or 'uint8'
 * @example
 * ```ts
 * const w = tensor([[0.1, -0.2], [3, 6]]);
 * quantizePerChannel(w, [0.1, 3], [0, 0], 0, 'int8'); // int8 [[1, -2], [1, 2]]
 * ```
 */
export function quantizePerChannel(x: Tensor, scales: ArrayLike<number>, zeroPoints: ArrayLike<number>, axis: number, dtype: QuantDType): Tensor {
  checkFloat('quantizePerChannel', x);
  checkQuantDType('quantizePerChannel', dtype);
  const [qmin, qmax] = quantRange(dtype);
  const a = perChannelArgs('quantizePerChannel', x, scales, zeroPoints, axis, qmin, qmax);
  return noGrad(() => scope(() => quantizeFloat(x, alongAxis(a.inv, x, a.axis), alongAxis(a.zp, x, a.axis), qmin, qmax).to(dtype)));
}

/**
 * Options of {@link dequantize}.
 * @example
 * ```ts
 * const opts: DequantizeOptions = { axis: 0 };
 * ```
 */
export interface DequantizeOptions {
  /** The channel dim when `scale` and `zeroPoint` are per-channel arrays. */
  axis?: number;
}

/**
 * Back to float32: scale · (q − zeroPoint), per tensor (numbers) or per channel (arrays along
 * `opts.axis`), as `torch.dequantize`. `q` is an int8, uint8 or int32 tensor of integer values.
 * @example
 * ```ts
 * dequantize(tensor([-10, 0, 2], { dtype: 'int8' }), 0.1, 0); // ≈ [-1, 0, 0.2]
 * dequantize(tensor([[1, -2], [1, 2]], { dtype: 'int8' }), [0.1, 3], [0, 0], { axis: 0 }); // ≈ [[0.1, -0.2], [3, 6]]
 * ```
 */
export function dequantize(q: Tensor, scale: number | ArrayLike<number>, zeroPoint: number | ArrayLike<number>, opts: DequantizeOptions = {}): Tensor {
  if (!(q instanceof Tensor)) throw new ArgumentError('dequantize', `expected a Tensor, got ${q === null ? 'null' : typeof q}`);
  if (q.dtype !== 'int8' && q.dtype !== 'uint8' && q.dtype !== 'int32') {
    throw new DTypeError('dequantize', `expected an int8, uint8 or int32 tensor of quantized values, got ${q.dtype}`);
  }
  checkOptions('dequantize', opts, ['axis']);
  const lo = q.dtype === 'uint8' ? 0 : q.dtype === 'int8' ? -128 : -(2 ** 31);
  const hi = q.dtype === 'uint8' ? 255 : q.dtype === 'int8' ? 127 : 2 ** 31 - 1;
  if (typeof scale === 'number' && typeof zeroPoint === 'number') {
    checkScale('dequantize', scale);
    checkZeroPoint('dequantize', zeroPoint, lo, hi);
    if (opts.axis !== undefined) throw new ArgumentError('dequantize', 'axis is only for per-channel (array) scales and zero points');
    return scope(() => q.to('float32').sub(zeroPoint).mul(Math.fround(scale)));
  }
  if (typeof scale === 'number' || typeof zeroPoint === 'number') {
    throw new ArgumentError('dequantize', 'scale and zeroPoint must both be numbers (per tensor) or both arrays (per channel)');
  }
  if (opts.axis === undefined) throw new ArgumentError('dequantize', 'per-channel scales need { axis } (the channel dim)');
  const a = perChannelArgs('dequantize', q, scale, zeroPoint, opts.axis, lo, hi);
  return scope(() =>
    q
      .to('float32')
      .sub(alongAxis(a.zp, q, a.axis))
      .mul(alongAxis(a.scale, q, a.axis)),
  );
}

/**
 * Straight-through output: fq forward, gradient `mask` (1 inside the range, 0 outside) w.r.t. x.
 * out = fq + (x − x.detach())·mask: the second term is exactly 0 forward, so the value is fq bit for bit.
 */
function straightThrough(x: Tensor, fq: Tensor, mask: Tensor): Tensor {
  return fq.add(x.sub(x.detach()).mul(mask));
}

/** Shared body of the two fake-quantize functions; `inv`, `scale` and `zp` broadcast against x. */
function fakeQuantize(x: Tensor, inv: number | Tensor, scale: number | Tensor, zp: number | Tensor, quantMin: number, quantMax: number): Tensor {
  return scope(() => {
    const qUnclamped = noGrad(() => x.mul(inv).round().add(zp));
    const fq = noGrad(() => qUnclamped.clamp(quantMin, quantMax).sub(zp).mul(scale));
    if (!x.requiresGrad) return fq;
    const mask = noGrad(() => qUnclamped.ge(quantMin).to('float32').mul(qUnclamped.le(quantMax).to('float32')));
    return straightThrough(x, fq, mask);
  });
}

/** A scale or zero point given as a one-element tensor (kept on the device, as in QAT). */
function scalarTensorArg(op: string, what: string, v: Tensor, x: Tensor): Tensor {
  if (v.numel() !== 1) throw new ShapeError(op, `expected a one-element ${what} tensor, got shape [${v.shape.join(', ')}]`);
  if (v.device !== x.device) throw new ArgumentError(op, `${what} is on ${v.device} but x is on ${x.device}`);
  return v.detach().to('float32').reshape([]);
}

/**
 * Fake quantization (quantize then dequantize, staying float32), as
 * `torch.fake_quantize_per_tensor_affine`: y = (clamp(zeroPoint + round(x · (1/scale)),
 * quantMin, quantMax) − zeroPoint) · scale. Differentiable with the straight-through estimator:
 * dy/dx = 1 where quantMin ≤ zeroPoint + round(x/scale) ≤ quantMax, else 0. `scale` and
 * `zeroPoint` may be numbers or one-element tensors on x's device (no gradient flows to them).
 * @example
 * ```ts
 * const x = tensor([-2, 0.26, 5], { requiresGrad: true });
 * const y = fakeQuantizePerTensorAffine(x, 0.5, 0, -4, 4); // [-2, 0.5, 2]
 * y.sum().backward();
 * x.grad; // [1, 1, 0]: 5 / 0.5 = 10 is outside [-4, 4]
 * ```
 */
export function fakeQuantizePerTensorAffine(x: Tensor, scale: number | Tensor, zeroPoint: number | Tensor, quantMin: number, quantMax: number): Tensor {
  const op = 'fakeQuantizePerTensorAffine';
  checkFloat(op, x);
  checkRange(op, quantMin, quantMax);
  if (typeof scale === 'number') checkScale(op, scale);
  if (typeof zeroPoint === 'number') checkZeroPoint(op, zeroPoint, quantMin, quantMax);
  if (scale instanceof Tensor || zeroPoint instanceof Tensor) {
    return scope(() => {
      const s = scale instanceof Tensor ? scalarTensorArg(op, 'scale', scale, x) : Math.fround(scale);
      const z = zeroPoint instanceof Tensor ? scalarTensorArg(op, 'zeroPoint', zeroPoint, x) : zeroPoint;
      // 1f / scale, in float32 on the device as PyTorch's kernel
      const inv = typeof s === 'number' ? invScale(s) : div(1, s);
      return fakeQuantize(x, inv, s, z, quantMin, quantMax);
    });
  }
  return fakeQuantize(x, invScale(scale), Math.fround(scale), zeroPoint, quantMin, quantMax);
}

/** A per-channel scale or zero-point tensor [C] on x's device, shaped to broadcast along `axis`. */
function channelTensorArg(op: string, what: string, v: Tensor, x: Tensor, axis: number): Tensor {
  if (v.ndim !== 1 || v.shape[0] !== x.shape[axis]) {
    throw new ShapeError(op, `expected ${what} of shape [${x.shape[axis]}] (x.shape[${axis}]), got [${v.shape.join(', ')}]`);
  }
  if (v.device !== x.device) throw new ArgumentError(op, `${what} is on ${v.device} but x is on ${x.device}`);
  return v
    .detach()
    .to('float32')
    .reshape(x.shape.map((d, i) => (i === axis ? d : 1)));
}

/**
 * Per-channel fake quantization along `axis`, as `torch.fake_quantize_per_channel_affine`: each
 * slice c uses scales[c] and zeroPoints[c]; gradient as {@link fakeQuantizePerTensorAffine}.
 * Scales and zero points are arrays, or 1-D tensors on x's device (as in QAT).
 * @example
 * ```ts
 * const w = tensor([[0.12, -0.5], [3, 100]], { requiresGrad: true });
 * const y = fakeQuantizePerChannelAffine(w, [0.1, 1], [0, 0], 0, -128, 127); // [[0.1, -0.5], [3, 100]]
 * ```
 */
export function fakeQuantizePerChannelAffine(
  x: Tensor,
  scales: ArrayLike<number> | Tensor,
  zeroPoints: ArrayLike<number> | Tensor,
  axis: number,
  quantMin: number,
  quantMax: number,
): Tensor {
  const op = 'fakeQuantizePerChannelAffine';
  checkFloat(op, x);
  checkRange(op, quantMin, quantMax);
  if (scales instanceof Tensor || zeroPoints instanceof Tensor) {
    if (!(scales instanceof Tensor && zeroPoints instanceof Tensor))
      throw new ArgumentError(op, 'scales and zeroPoints must both be tensors or both be arrays');
    const ax = channelAxis(op, axis, x.ndim);
    return scope(() => {
      const s = channelTensorArg(op, 'scales', scales, x, ax);
      const z = channelTensorArg(op, 'zeroPoints', zeroPoints, x, ax);
      return fakeQuantize(x, div(1, s), s, z, quantMin, quantMax);
    });
  }
  const a = perChannelArgs(op, x, scales, zeroPoints, axis, quantMin, quantMax);
  return scope(() => fakeQuantize(x, alongAxis(a.inv, x, a.axis), alongAxis(a.scale, x, a.axis), alongAxis(a.zp, x, a.axis), quantMin, quantMax));
}
