/**
 * CPU int8 inference kernels: float32 → int8/uint8 quantization in one pass, and the
 * requantization epilogue of an int8 GEMM (zero-point corrections, bias, rounding, clamping) in
 * one pass over the int32 products. The arithmetic is spelled out operation by operation so that
 * the WebGPU kernels (../webgpu/kernels/quantized.wgsl.ts) give the same bits.
 */
import type { QuantizeParams, RequantizeParams, Storage, View } from '../backend';
import { isContiguous, numel } from '../../shape';
import { dataOf } from './storage';
import { forEachLine } from './strided';
import { simdQuantize, simdRequantize } from './wasm/quantized';

const f32 = Math.fround;
/**
 * 1.5·2²³: for a float32 v with |v| < 2²², fround(v + MAGIC) − MAGIC is v rounded to an integer,
 * ties to even (the sum's float32 ulp is 1), about twice as fast as Math.round and a tie fix-up.
 * Larger |v| only occur where the result is clamped to the 8-bit range anyway.
 */
const MAGIC = 12582912;
const LIMIT = 4194304;

/** q = clamp(zp + round(fround(x·inv)), qmin, qmax), NaN → zp; x any view, out contiguous. */
export function quantize(x: View, p: QuantizeParams, out: Storage): void {
  const xd = dataOf(x) as Float32Array;
  const od = dataOf(out);
  const { inv, zeroPoint: zp, qmin, qmax } = p;
  let at = 0;
  const line = (xi: number, n: number, xs: number): void => {
    for (let i = 0; i < n; i++) {
      const v = f32(xd[xi + i * xs] * inv);
      const r = (v > -LIMIT && v < LIMIT ? f32(v + MAGIC) - MAGIC : v) + zp;
      od[at++] = r >= qmin ? (r <= qmax ? r : qmax) : r < qmin ? qmin : zp; // the last arm: NaN
    }
  };
  if (isContiguous(x.shape, x.strides)) {
    const n = numel(x.shape);
    if (!simdQuantize(xd, x.offset, n, od as Int8Array | Uint8Array, inv, zp, qmin, qmax)) line(x.offset, n, 1);
  } else forEachLine(x.shape, [x.strides], [x.offset], ([xi], n, [xs]) => line(xi, n, xs));
}

/** See `Backend.requantize`; all views contiguous. */
export function requantize(
  acc: View,
  columnTerm: View,
  multiplier: View,
  bias: View | null,
  affine: { weightZeroPoints: View; inputRowSums: View } | null,
  p: RequantizeParams,
  out: Storage,
): void {
  const [m, n] = acc.shape;
  const a = dataOf(acc) as Int32Array;
  const ao = acc.offset;
  const col = dataOf(columnTerm) as Int32Array;
  const co = columnTerm.offset;
  const mult = dataOf(multiplier) as Float32Array;
  const mo = multiplier.offset;
  const bd = bias ? (dataOf(bias) as Float32Array) : null;
  const bo = bias ? bias.offset : 0;
  const od = dataOf(out);
  const { mode, outScale, outZeroPoint: zp, qmin, qmax, inputScale } = p;
  const wz = affine ? (dataOf(affine.weightZeroPoints) as Int32Array) : null;
  const wzo = affine ? affine.weightZeroPoints.offset : 0;
  const rs = affine ? (dataOf(affine.inputRowSums) as Int32Array) : null;
  const rso = affine ? affine.inputRowSums.offset : 0;
  if (mode === 'dequantize' && !affine && simdRequantize(a, ao, m, n, col, co, bd, bo, mult, mo, od as Float32Array, zp, qmin, qmax, f32(outScale))) return;
  const xs = f32(inputScale);
  const sc = f32(outScale);
  for (let i = 0; i < m; i++) {
    const row = ao + i * n;
    const oRow = i * n;
    const r = rs ? rs[rso + i] : 0;
    for (let j = 0; j < n; j++) {
      let raw = (a[row + j] + col[co + j]) | 0;
      if (wz) raw = (raw - Math.imul(wz[wzo + j], r)) | 0;
      let f = f32(raw);
      if (mode === 'float') {
        f = f32(f32(f * xs) * mult[mo + j]);
        od[oRow + j] = bd ? f32(f + bd[bo + j]) : f;
        continue;
      }
      if (bd) f = f32(f + bd[bo + j]);
      const v = f32(f * mult[mo + j]);
      let q = (v > -LIMIT && v < LIMIT ? f32(v + MAGIC) - MAGIC : v) + zp;
      q = q < qmin ? qmin : q > qmax ? qmax : q;
      od[oRow + j] = mode === 'quantized' ? q : f32((q - zp) * sc);
    }
  }
}
