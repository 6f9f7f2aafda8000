/**
 * CPU int8 inference kernels: float32 → int8/uint8 quantization in one pass, and the
 * requantization epilogue of an int8 GEMM (zero-point corrections, bias, rounding, clamping) in
 * one pass over the int32 products. The arithmetic is spelled out operation by operation so that
 * the WebGPU kernels (../webgpu/kernels/quantized.wgsl.ts) give the same bits.
 */
import type { QuantizeParams, RequantizeParams, Storage, View } from '../backend';
import { isContiguous, numel } from '../../shape';
import { roundHalfEven } from './elementwise';
import { dataOf } from './storage';
import { forEachLine } from './strided';

const f32 = Math.fround;

/** q = clamp(zp + round(fround(x·inv)), qmin, qmax), NaN → zp; x any view, out contiguous. */
export function quantize(x: View, p: QuantizeParams, out: Storage): void {
  const xd = dataOf(x) as Float32Array;
  const od = dataOf(out);
  const { inv, zeroPoint: zp, qmin, qmax } = p;
  const q = (v: number): number => {
    const r = roundHalfEven(f32(v * inv)) + zp; // |r| beyond 2²⁴ clamps either way, so no fround needed
    return r >= qmin ? (r <= qmax ? r : qmax) : r < qmin ? qmin : zp; // the last arm: NaN
  };
  if (isContiguous(x.shape, x.strides)) {
    const n = numel(x.shape);
    const o = x.offset;
    for (let i = 0; i < n; i++) od[i] = q(xd[o + i]);
    return;
  }
  let at = 0;
  forEachLine(x.shape, [x.strides], [x.offset], ([xi], n, [xs]) => {
    for (let i = 0; i < n; i++) od[at++] = q(xd[xi + i * xs]);
  });
}

/** See `Backend.requantize`; all views contiguous. */
export function requantize(
  acc: View,
  weightSums: View,
  multiplier: View,
  bias: View | null,
  affine: { weightZeroPoints: View; inputRowSums: View } | null,
  p: RequantizeParams,
  out: Storage,
): void {
  const [m, n] = acc.shape;
  const a = dataOf(acc) as Int32Array;
  const ao = acc.offset;
  const ws = dataOf(weightSums) as Int32Array;
  const wso = weightSums.offset;
  const mult = dataOf(multiplier) as Float32Array;
  const mo = multiplier.offset;
  const bd = bias ? (dataOf(bias) as Float32Array) : null;
  const bo = bias ? bias.offset : 0;
  const od = dataOf(out);
  const { inputZeroPoint: xzp, k, mode, outScale, outZeroPoint: zp, qmin, qmax, inputScale } = p;
  // per-column int32 term −x_zp·wsum[j] (+ K·x_zp·w_zp[j] for affine weights), wrapping
  const col = new Int32Array(n);
  const wz = affine ? (dataOf(affine.weightZeroPoints) as Int32Array) : null;
  const wzo = affine ? affine.weightZeroPoints.offset : 0;
  const rs = affine ? (dataOf(affine.inputRowSums) as Int32Array) : null;
  const rso = affine ? affine.inputRowSums.offset : 0;
  for (let j = 0; j < n; j++) {
    let c = -Math.imul(xzp, ws[wso + j]);
    if (wz) c = (c + Math.imul(Math.imul(k, xzp), wz[wzo + j])) | 0;
    col[j] = c;
  }
  const xs = f32(inputScale);
  const sc = f32(outScale);
  for (let i = 0; i < m; i++) {
    const row = ao + i * n;
    const oRow = i * n;
    const r = rs ? rs[rso + i] : 0;
    for (let j = 0; j < n; j++) {
      let raw = (a[row + j] + col[j]) | 0;
      if (wz) raw = (raw - Math.imul(wz[wzo + j], r)) | 0;
      let f = f32(raw);
      if (mode === 'float') {
        f = f32(f32(f * xs) * mult[mo + j]);
        od[oRow + j] = bd ? f32(f + bd[bo + j]) : f;
        continue;
      }
      if (bd) f = f32(f + bd[bo + j]);
      let q = roundHalfEven(f32(f * mult[mo + j])) + zp;
      q = q < qmin ? qmin : q > qmax ? qmax : q;
      od[oRow + j] = mode === 'quantized' ? q : f32((q - zp) * sc);
    }
  }
}
