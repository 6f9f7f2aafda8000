// int8 inference ops (no gradients): one-pass quantization, and quantizedLinear = the int8 × int8 →
// int32 matmul followed by one fused requantization pass, with fbgemm's arithmetic (PyTorch's
// quantized::linear and the dynamic Linear): all in float32, rounding half to even.
import type { RequantizeMode } from '../backend/backend';
import { tensor } from '../creation';
import { ArgumentError, checkOptions, DTypeError, ShapeError } from '../errors';
import { fmt } from '../shape';
import type { Tensor } from '../tensor';
import { scope } from '../memory';
import { defineOp } from './define-op';
import { matmul } from './matmul';
import { sum } from './reduce';

/** The integer dtypes of quantized values. */
type QDType = 'int8' | 'uint8';

const RANGE: Record<QDType, [number, number]> = { int8: [-128, 127], uint8: [0, 255] };

function checkScale(op: string, what: string, s: unknown): number {
  if (!(typeof s === 'number' && Number.isFinite(s) && s > 0)) throw new ArgumentError(op, `${what} must be a finite number > 0, got ${String(s)}`);
  return Math.fround(s);
}

function checkZeroPoint(op: string, what: string, z: unknown, [lo, hi]: [number, number]): number {
  if (!(typeof z === 'number' && Number.isInteger(z) && z >= lo && z <= hi)) {
    throw new ArgumentError(op, `${what} must be an integer in [${lo}, ${hi}], got ${String(z)}`);
  }
  return z;
}

function checkQDType(op: string, dtype: unknown): QDType {
  if (dtype !== 'int8' && dtype !== 'uint8') throw new DTypeError(op, `expected dtype 'int8' or 'uint8', got ${JSON.stringify(dtype)}`);
  return dtype;
}

interface QuantizeAttrs {
  inv: number;
  zeroPoint: number;
  dtype: QDType;
}

const quantizeOp = defineOp<QuantizeAttrs>('quantize', {
  infer: ([x], a) => {
    if (x.dtype !== 'float32') throw new DTypeError('quantize', `expected a float32 input, got ${x.dtype}`);
    return { shape: [...x.shape], dtype: a.dtype };
  },
  forward: (be, [x], out, a) => {
    const [qmin, qmax] = RANGE[a.dtype];
    be.quantize(x, { inv: a.inv, zeroPoint: a.zeroPoint, qmin, qmax }, out);
  },
});

/**
 * Quantize a float32 tensor in one pass, as `torch.quantize_per_tensor(...).int_repr()`:
 * q = clamp(zeroPoint + round(x · (1/scale)), qmin, qmax) with 1/scale and the product rounded to
 * float32 and ties to even; [qmin, qmax] is the range of `dtype` (int8 [−128, 127], uint8
 * [0, 255]); NaN becomes `zeroPoint`. No gradient. Shape: any; output same shape, dtype `dtype`.
 * @param x float32 tensor
 * @param scale float32 step (> 0)
 * @param zeroPoint integer in the dtype's range
 * @param dtype 'int8' or 'uint8'
 * @example
 * ```ts
 * quantize(tensor([-1, 0.05, 0.15, 0.25, 100]), 0.1, 0, 'int8'); // int8 [-10, 0, 2, 2, 127]
 * quantize(tensor([-1, 0, 1]), 0.5, 128, 'uint8'); // uint8 [126, 128, 130]
 * ```
 */
export function quantize(x: Tensor, scale: number, zeroPoint: number, dtype: QDType): Tensor {
  const d = checkQDType('quantize', dtype);
  const s = checkScale('quantize', 'scale', scale);
  const zp = checkZeroPoint('quantize', 'zeroPoint', zeroPoint, RANGE[d]);
  return scope(() => quantizeOp([x.contiguous()], { inv: Math.fround(1 / s), zeroPoint: zp, dtype: d }));
}

interface TableAttrs {
  table: Uint8Array;
  dtype: QDType;
}

const lookUpOp = defineOp<TableAttrs>('requantizePerTensor', {
  infer: ([q], a) => {
    if (q.dtype !== 'int8' && q.dtype !== 'uint8') throw new DTypeError('requantizePerTensor', `expected an int8 or uint8 input, got ${q.dtype}`);
    return { shape: [...q.shape], dtype: a.dtype };
  },
  forward: (be, [q], out, a) => be.lookUpBytes(q, a.table, out),
});

/** Round half to even of a float32 value (as the quantize kernels). */
const roundEven = (t: number): number => {
  const r = Math.round(t);
  return r - t === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

const tables = new Map<string, Uint8Array>();

/** The 256 codes' results, indexed by the input's bits as an unsigned byte (cached). */
function tableOf(inDType: QDType, s: number, z: number, inv: number, zp: number, d: QDType): Uint8Array {
  const key = `${inDType} ${s} ${z} ${inv} ${zp} ${d}`;
  let t = tables.get(key);
  if (!t) {
    const [qmin, qmax] = RANGE[d];
    t = new Uint8Array(256);
    for (let b = 0; b < 256; b++) {
      const code = inDType === 'int8' ? (b << 24) >> 24 : b;
      const v = Math.fround(Math.fround(Math.fround(code - z) * s) * inv); // dequantized in float32, then times 1/scale
      t[b] = Math.min(qmax, Math.max(qmin, roundEven(v) + zp)) & 255;
    }
    if (tables.size >= 256) tables.clear();
    tables.set(key, t);
  }
  return t;
}

/**
 * Requantize int8/uint8 codes from one per-tensor quantization to another in one pass, as
 * `torch.quantize_per_tensor(q.dequantize(), scale, zeroPoint, dtype)`, bit for bit equal to
 * `quantize(q.to('float32').sub(fromZeroPoint).mul(fromScale), scale, zeroPoint, dtype)`:
 * the dequantized value fl(fromScale·(q − fromZeroPoint)) in float32, then quantized with
 * {@link quantize}'s arithmetic. Each of the 256 codes' results is computed once on the host and
 * the kernel maps the bytes through that table (no float pass, nothing read back). No gradient.
 * Shape: any; output same shape, dtype `dtype`.
 * @param q int8 or uint8 codes
 * @param fromScale float32 step of `q` (> 0)
 * @param fromZeroPoint zero point of `q`, in its dtype's range
 * @param scale float32 step of the result (> 0)
 * @param zeroPoint zero point of the result, in `dtype`'s range
 * @param dtype 'int8' or 'uint8'
 * @example
 * ```ts
 * const q = tensor([-128, -1, 0, 5, 127], { dtype: 'int8' });
 * requantizePerTensor(q, 0.1, -1, 0.25, 3, 'int8'); // int8 [-48, 3, 3, 5, 54]: 0.1·(5 + 1) / 0.25 = 2.4 → 2, + 3
 * requantizePerTensor(q, 0.1, 0, 0.1, 128, 'uint8'); // uint8 [0, 127, 128, 133, 255]
 * ```
 */
export function requantizePerTensor(q: Tensor, fromScale: number, fromZeroPoint: number, scale: number, zeroPoint: number, dtype: QDType): Tensor {
  const op = 'requantizePerTensor';
  const inDType = q?.dtype;
  if (inDType !== 'int8' && inDType !== 'uint8') throw new DTypeError(op, `expected an int8 or uint8 input, got ${inDType ?? String(q)}`);
  const d = checkQDType(op, dtype);
  return scope(() => lookUpOp([q.contiguous()], { table: requantizeTable(op, inDType, fromScale, fromZeroPoint, scale, zeroPoint, d), dtype: d }));
}

/**
 * {@link requantizePerTensor}'s table (its arguments checked as it checks them): entry b is the
 * result for the code whose bits are b. @internal
 */
export function requantizeTable(
  op: string,
  inDType: QDType,
  fromScale: number,
  fromZeroPoint: number,
  scale: number,
  zeroPoint: number,
  d: QDType,
): Uint8Array {
  const s = checkScale(op, 'fromScale', fromScale);
  const z = checkZeroPoint(op, 'fromZeroPoint', fromZeroPoint, RANGE[inDType]);
  const inv = Math.fround(1 / checkScale(op, 'scale', scale));
  const zp = checkZeroPoint(op, 'zeroPoint', zeroPoint, RANGE[d]);
  return tableOf(inDType, s, z, inv, zp, d);
}

/**
 * Options of {@link quantizedLinear}: how the int8 operands were quantized, the bias, and how the
 * result is returned.
 * @example
 * ```ts
 * const opts: QuantizedLinearOptions = { inputScale: 0.1, weightScale: [0.5, 0.25], output: { scale: 0.2, zeroPoint: 0, dtype: 'int8' } };
 * ```
 */
export interface QuantizedLinearOptions {
  /** float32 scale of the input (> 0). */
  inputScale: number;
  /** The input's zero point as stored in the int8 `x`, in [−128, 127] (default 0; a uint8 activation with zero point z, stored shifted by −128, has z − 128). */
  inputZeroPoint?: number;
  /** Weight scale: a number (per tensor) or one per output row (per channel). */
  weightScale: number | ArrayLike<number>;
  /** Weight zero point(s) in [−128, 127], shaped as `weightScale` (default 0: symmetric). */
  weightZeroPoint?: number | ArrayLike<number>;
  /** int32 [N]: Σₖ weight[j, k], precomputed once for a fixed weight (default: summed on every call when the input zero point is not 0). */
  weightSums?: Tensor;
  /**
   * int32 or float32 [N], instead of `weightSums`: the whole per-row correction
   * −x_zp·Σₖ weight[j, k] + K·x_zp·w_zp[j] (exact integers), as a quantized layer stores it.
   */
  columnTerm?: Tensor;
  /** float32 bias, one per output row (host values, as fbgemm's packed parameters). */
  bias?: ArrayLike<number> | null;
  /** Requantize to this scale, zero point and dtype (PyTorch's static quantized Linear); without it the result is float32 (the dynamic Linear). */
  output?: { scale: number; zeroPoint: number; dtype: QDType };
  /** With `output`: clamp the quantized result at its zero point (a fused ReLU). */
  relu?: boolean;
  /** With `output`: return the requantized values dequantized, float32 scale·(q − zeroPoint), instead of the int8/uint8 q. */
  dequantize?: boolean;
}

const KEYS = ['inputScale', 'inputZeroPoint', 'weightScale', 'weightZeroPoint', 'weightSums', 'columnTerm', 'bias', 'output', 'relu', 'dequantize'];

interface RequantAttrs {
  mode: RequantizeMode;
  bias: boolean;
  affine: boolean;
  inputScale: number;
  outScale: number;
  outZeroPoint: number;
  qmin: number;
  qmax: number;
  outDType: 'float32' | QDType;
}

// inputs: acc [M, N] int32, column term [N] int32, multiplier [N] f32, (bias [N] f32), (weight zero points [N] int32, row sums [M] int32)
const requantizeOp = defineOp<RequantAttrs>('requantize', {
  infer: ([acc], a) => ({ shape: [...acc.shape], dtype: a.outDType }),
  forward: (be, views, out, a) => {
    const [acc, ct, mu] = views;
    const bias = a.bias ? views[3] : null;
    const at = a.bias ? 4 : 3;
    const affine = a.affine ? { weightZeroPoints: views[at], inputRowSums: views[at + 1] } : null;
    be.requantize(acc, ct, mu, bias, affine, a, out);
  },
});

/**
 * One value per output row — a number repeated, or n values — checked as `kind` ('scale': finite
 * > 0, rounded to float32; 'zeroPoint': an int8 integer; 'value': any number). Plain monomorphic
 * loops (this runs on every call of a quantized layer), the checks' messages on failure.
 */
function perRow(op: string, what: string, v: number | ArrayLike<number>, n: number, kind: 'scale' | 'zeroPoint' | 'value'): Float64Array {
  const out = new Float64Array(n);
  const one = (x: unknown): number =>
    kind === 'scale' ? checkScale(op, what, x) : kind === 'zeroPoint' ? checkZeroPoint(op, what, x, [-128, 127]) : (x as number);
  if (typeof v === 'number') return out.fill(one(v));
  if (v == null || typeof v !== 'object' || typeof v.length !== 'number') throw new ArgumentError(op, `${what} must be a number or an array of numbers`);
  if (v.length !== n) throw new ShapeError(op, `${what} needs ${n} values (one per output row), got ${v.length}`);
  if (!ArrayBuffer.isView(v)) {
    for (let j = 0; j < n; j++) out[j] = one(v[j]); // a plain array: every element's type checked
    return out;
  }
  for (let j = 0; j < n; j++) out[j] = v[j];
  if (kind === 'scale')
    for (let j = 0; j < n; j++) {
      const x = out[j];
      if (!(x > 0 && x < Number.POSITIVE_INFINITY)) checkScale(op, what, x); // throws
      out[j] = Math.fround(x);
    }
  else if (kind === 'zeroPoint')
    for (let j = 0; j < n; j++) {
      const x = out[j];
      if (!(x >= -128 && x <= 127 && Math.floor(x) === x)) checkZeroPoint(op, what, x, [-128, 127]); // throws
    }
  return out;
}

/**
 * int8 Linear in two passes: the int8 × int8 → int32 product acc = x·weightᵀ, then one fused pass
 * with fbgemm's requantization (PyTorch's quantized Linear; x_zp, w_zp[j] the zero points,
 * s_x, s_w[j] the scales):
 *   raw = acc − x_zp·Σₖ w[j, k] − w_zp[j]·Σₖ x[i, k] + K·x_zp·w_zp[j]      (int32)
 * with `output` {scale s_y, zeroPoint y_zp}: m = fl(s_x·s_w[j]),
 *   q = clamp(round((fl(raw) + fl(bias[j]/m)) · fl(m/s_y)) + y_zp, qmin, qmax)
 * (qmin = y_zp with `relu`; every step rounded to float32, ties to even), returned as q (int8 or
 * uint8) or, with `dequantize`, as s_y·(q − y_zp); without `output` (dynamic quantization):
 * y = fl(fl(raw)·s_x)·s_w[j] + bias[j] in float32. No gradient.
 *
 * Shapes: x int8 [M, K], weight int8 [N, K] → [M, N].
 * @throws DTypeError for non-int8 operands; ShapeError for mismatched K, per-row values or
 * weightSums; ArgumentError for bad scales, zero points or unknown options.
 * @example
 * ```ts
 * const x = tensor([[20, 10]], { dtype: 'int8' });
 * const w = tensor([[2, -3]], { dtype: 'int8' });
 * quantizedLinear(x, w, { inputScale: 0.1, weightScale: 0.5, bias: [0.25] }); // [[0.75]]: (40 − 30)·0.05 + 0.25
 * quantizedLinear(x, w, { inputScale: 0.1, weightScale: 0.5, bias: [0.25], output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' } }); // int8 [[3]]: round((10 + 0.25 / 0.05) · 0.05 / 0.25)
 * ```
 */
export function quantizedLinear(x: Tensor, weight: Tensor, opts: QuantizedLinearOptions): Tensor {
  const op = 'quantizedLinear';
  if (opts === null || typeof opts !== 'object') throw new ArgumentError(op, 'expected an options object { inputScale, weightScale, … }');
  checkOptions(op, opts, KEYS);
  for (const [what, t] of [
    ['x', x],
    ['weight', weight],
  ] as const) {
    if (t?.dtype !== 'int8') throw new DTypeError(op, `${what} must be an int8 tensor, got ${t?.dtype ?? String(t)}`);
    if (t.ndim !== 2) throw new ShapeError(op, `${what} must be 2-D, got ${fmt(t.shape)}`);
  }
  const k = x.shape[1];
  const [n, kw] = weight.shape;
  if (k !== kw) throw new ShapeError(op, `x ${fmt(x.shape)} and weight ${fmt(weight.shape)} differ in K (${k} != ${kw})`);
  if (opts.weightSums !== undefined) {
    const s = opts.weightSums;
    if (s?.dtype !== 'int32' || s.ndim !== 1 || s.shape[0] !== n)
      throw new ShapeError(op, `weightSums must be an int32 [${n}] tensor, got ${s?.dtype} ${s ? fmt(s.shape) : String(s)}`);
  }
  if (opts.columnTerm !== undefined) {
    const c = opts.columnTerm;
    if ((c?.dtype !== 'int32' && c?.dtype !== 'float32') || c.ndim !== 1 || c.shape[0] !== n)
      throw new ShapeError(op, `columnTerm must be an int32 or float32 [${n}] tensor, got ${c?.dtype} ${c ? fmt(c.shape) : String(c)}`);
    if (opts.weightSums !== undefined) throw new ArgumentError(op, 'give weightSums or columnTerm, not both');
  }
  const { xs, xzp, wZeros, affine, mode, outDType, ys, yzp, qmin, qmax, mult, biasTerm } = requantSetup(op, opts, n);
  return scope(() => {
    const device = x.device;
    const acc = matmul(x, weight.transpose(0, 1)).contiguous();
    let ct: Tensor;
    if (opts.columnTerm) ct = opts.columnTerm.to('int32').contiguous();
    else if (xzp === 0) ct = tensor(new Int32Array(n), { device });
    else {
      ct = (opts.weightSums ?? sum(weight, 1)).mul(-xzp); // int32, wrapping
      if (affine)
        ct = ct.add(
          tensor(
            Int32Array.from(wZeros, (z) => k * xzp * z),
            { device },
          ),
        );
    }
    const inputs = [acc, ct.contiguous(), tensor(mult, { device })];
    if (biasTerm) inputs.push(tensor(biasTerm, { device }));
    if (affine) inputs.push(tensor(Int32Array.from(wZeros), { device }), sum(x, 1));
    return requantizeOp(inputs, {
      mode,
      bias: biasTerm !== null,
      affine,
      inputScale: xs,
      outScale: ys,
      outZeroPoint: yzp,
      qmin,
      qmax,
      outDType,
    });
  });
}

/** The scalars and per-row constants of a requantization, checked (shared by the int8 ops). @internal */
export interface RequantSetup {
  xs: number;
  xzp: number;
  wZeros: Float64Array;
  /** Whether any weight zero point is not 0. */
  affine: boolean;
  mode: RequantizeMode;
  outDType: 'float32' | QDType;
  ys: number;
  yzp: number;
  qmin: number;
  qmax: number;
  mult: Float32Array;
  biasTerm: Float32Array | null;
}

/** A layer's last {@link requantSetup} by its weightScale array: the raw inputs it was computed from (scalars, then copies of the arrays) and the result. */
const setups = new WeakMap<object, { raw: unknown[]; arrays: Float64Array[]; result: RequantSetup }>();

/** The inputs of {@link requantSetup} as given: its scalars (each output field, not the object) and its per-row arrays. */
function rawInputs(op: string, opts: QuantizedLinearOptions, n: number): { raw: unknown[]; arrays: ArrayLike<number>[] } {
  const { inputScale, inputZeroPoint, weightScale, weightZeroPoint, bias, output, relu, dequantize } = opts;
  const arrays = [weightScale as ArrayLike<number>];
  // without output (the dynamic Linear's float result) no constant depends on the input's qparams,
  // which change on every call: they are checked apart
  const raw: unknown[] = output == null ? [op, n, bias == null, relu, dequantize] : [op, n, inputScale, inputZeroPoint, bias == null, relu, dequantize];
  if (typeof weightZeroPoint === 'object' && weightZeroPoint !== null) arrays.push(weightZeroPoint);
  else raw.push(weightZeroPoint);
  if (bias != null) arrays.push(bias);
  if (typeof output === 'object' && output !== null) raw.push(true, output.scale, output.zeroPoint, output.dtype);
  else raw.push(false, output);
  return { raw, arrays };
}

/** Whether `a` holds exactly the values of `copy` (−0 apart from +0; a NaN never matches: recomputed). */
function sameValues(a: ArrayLike<number>, copy: Float64Array): boolean {
  if (a.length !== copy.length) return false;
  for (let j = 0; j < copy.length; j++) {
    const v = a[j];
    if (v !== copy[j] || (v === 0 && 1 / v !== 1 / copy[j])) return false;
  }
  return true;
}

/**
 * Checks the quantization fields of `opts` for `n` output rows and computes fbgemm's host
 * constants (the result's arrays are shared: read only). A layer calls this on every forward with
 * the same per-row arrays: the last result for a weightScale array is reused while every input
 * has the same values as when it was computed (compared, not trusted: an array changed in place
 * is seen), which skips the checks and the constants' divisions. @internal
 */
export function requantSetup(op: string, opts: QuantizedLinearOptions, n: number): RequantSetup {
  const key = opts.weightScale;
  if (typeof key !== 'object' || key === null || typeof key.length !== 'number') return computeSetup(op, opts, n);
  if (typeof opts.output === 'object' && opts.output !== null) checkOptions(`${op} output`, opts.output, ['scale', 'zeroPoint', 'dtype']);
  const { raw, arrays } = rawInputs(op, opts, n);
  const hit = setups.get(key);
  if (
    hit &&
    hit.raw.length === raw.length &&
    hit.raw.every((v, i) => Object.is(v, raw[i])) &&
    hit.arrays.length === arrays.length &&
    hit.arrays.every((c, i) => sameValues(arrays[i], c))
  ) {
    if (opts.output != null) return hit.result;
    const xs = checkScale(op, 'inputScale', opts.inputScale);
    return { ...hit.result, xs, xzp: checkZeroPoint(op, 'inputZeroPoint', opts.inputZeroPoint ?? 0, [-128, 127]) };
  }
  const result = computeSetup(op, opts, n);
  setups.set(key, { raw, arrays: arrays.map((a) => Float64Array.from(a)), result });
  return result;
}

function computeSetup(op: string, opts: QuantizedLinearOptions, n: number): RequantSetup {
  const i8: [number, number] = [-128, 127];
  const xs = checkScale(op, 'inputScale', opts.inputScale);
  const xzp = checkZeroPoint(op, 'inputZeroPoint', opts.inputZeroPoint ?? 0, i8);
  const wScales = perRow(op, 'weightScale', opts.weightScale, n, 'scale');
  const wZeros = perRow(op, 'weightZeroPoint', opts.weightZeroPoint ?? 0, n, 'zeroPoint');
  const bias = opts.bias == null ? null : Float32Array.from(perRow(op, 'bias', opts.bias, n, 'value'));
  const out = opts.output;
  let mode: RequantizeMode = 'float';
  let outDType: 'float32' | QDType = 'float32';
  let [ys, yzp, qmin, qmax] = [1, 0, 0, 0];
  if (out != null) {
    if (typeof out !== 'object') throw new ArgumentError(op, `output must be { scale, zeroPoint, dtype }, got ${String(out)}`);
    checkOptions(`${op} output`, out, ['scale', 'zeroPoint', 'dtype']);
    const d = checkQDType(op, out.dtype);
    ys = checkScale(op, 'output.scale', out.scale);
    yzp = checkZeroPoint(op, 'output.zeroPoint', out.zeroPoint, RANGE[d]);
    [qmin, qmax] = RANGE[d];
    if (opts.relu) qmin = yzp;
    mode = opts.dequantize ? 'dequantize' : 'quantized';
    outDType = opts.dequantize ? 'float32' : d;
  } else if (opts.relu || opts.dequantize) throw new ArgumentError(op, 'relu and dequantize need output { scale, zeroPoint, dtype }');
  // host constants, in float32 as fbgemm computes them when it packs the weight
  const mult = new Float32Array(n);
  const biasTerm = bias && mode !== 'float' ? new Float32Array(n) : bias;
  for (let j = 0; j < n; j++) {
    if (mode === 'float') {
      mult[j] = wScales[j];
      continue;
    }
    const m2 = Math.fround(xs * wScales[j]);
    mult[j] = Math.fround(m2 / ys);
    if (biasTerm && bias) biasTerm[j] = Math.fround(bias[j] / m2);
  }
  return { xs, xzp, wZeros, affine: wZeros.some((z) => z !== 0), mode, outDType, ys, yzp, qmin, qmax, mult, biasTerm };
}
