/**
 * CPU int8 inference kernels: float32 → int8/uint8 quantization in one pass, and the
 * requantization epilogue of an int8 GEMM (zero-point corrections, bias, rounding, clamping) in
 * one pass over the int32 products. The arithmetic is spelled out operation by operation so that
 * the WebGPU kernels (../webgpu/kernels/quantized.wgsl.ts) give the same bits.
 */
import type { PrimitiveArgs, QuantizeParams, RequantizeParams, Storage, View } from '../backend';
import { isContiguous, numel } from '../../shape';
import { dataOf, outData } from './storage';
import { heapLookUp, heapQuantize, heapRequantize } from './quantized-heap';
import { forEachLine } from './strided';
import { type ChannelRows, type RequantConstants, simdQuantize, simdRequantize, simdRequantizeFloat, simdRequantizeRows } from './wasm/quantized';

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
  const od = outData(out);
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
    if (!heapQuantize(x, out, n, inv, zp, qmin, qmax) && !simdQuantize(xd, x.offset, n, od as Int8Array | Uint8Array, inv, zp, qmin, qmax))
      line(x.offset, n, 1);
  } else forEachLine(x.shape, [x.strides], [x.offset], ([xi], n, [xs]) => line(xi, n, xs));
}

/** See `Backend.lookUpBytes`: in place in the heap (./quantized-heap.ts), else a byte at a time. */
export function lookUpBytes(x: View, table: Uint8Array, out: Storage): void {
  const n = numel(x.shape);
  const od = outData(out); // first: out is overwritten, so a reused heap block is not cleared (heapAddress would)
  if (heapLookUp(x, table, out, n)) return;
  const xd = dataOf(x);
  for (let i = 0; i < n; i++) od[i] = table[xd[x.offset + i] & 255];
}

/** See `Backend.requantize`; all views contiguous. */
export function requantize(...[acc, columnTerm, multiplier, bias, affine, p, out]: PrimitiveArgs<'requantize'>): void {
  const [m, n] = acc.shape;
  const a = dataOf(acc) as Int32Array;
  const ao = acc.offset;
  const col = dataOf(columnTerm) as Int32Array;
  const co = columnTerm.offset;
  const mult = dataOf(multiplier) as Float32Array;
  const mo = multiplier.offset;
  const bd = bias ? (dataOf(bias) as Float32Array) : null;
  const bo = bias ? bias.offset : 0;
  const od = outData(out);
  const { mode, outScale, outZeroPoint: zp, qmin, qmax, inputScale } = p;
  const wz = affine ? (dataOf(affine.weightZeroPoints) as Int32Array) : null;
  const wzo = affine ? affine.weightZeroPoints.offset : 0;
  const rs = affine ? (dataOf(affine.inputRowSums) as Int32Array) : null;
  const rso = affine ? affine.inputRowSums.offset : 0;
  // in the heap: straight from acc's block into out's, across the pool (no copies)
  if (mode !== 'quantized' && !affine && isContiguous(acc.shape, acc.strides)) {
    const scalars = mode === 'float' ? [f32(inputScale)] : [zp, qmin, qmax, f32(outScale)];
    if (heapRequantize(acc, m, n, columnTerm, multiplier, bias, out, scalars)) return;
  }
  const k = { columnTerm: col, co, multiplier: mult, mo, bias: bd, bo };
  if (mode === 'dequantize' && !affine && simdRequantize(a, ao, m, n, k, { out: od as Float32Array, zp, qmin, qmax, scale: f32(outScale) })) return;
  const xs = f32(inputScale);
  if (mode === 'float' && !affine && simdRequantizeFloat(a, ao, m, n, k, xs, od as Float32Array)) return;
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

/** Per-output-channel constants of {@link requantizeRows}, each array read from its offset. */
export interface ChannelConstants extends RequantConstants {
  weightZeroPoints: Int32Array | null;
  zo: number;
}

/**
 * `requantize`'s arithmetic with the channel along rows: acc [rows, N·P] holds channel c0 + r in
 * row r, its run n (P values) goes to out[(n·C + c0 + r)·P …] (NCHW); `sums` [N·P] are the
 * windows' Σ x for affine weights.
 */
export function requantizeRows(block: ChannelRows, k: ChannelConstants, sums: Int32Array | null, p: RequantizeParams, out: Storage): void {
  const { acc, rows, N, P, c0, C } = block;
  const od = outData(out);
  const { mode, outZeroPoint: zp, qmin, qmax } = p;
  const xs = f32(p.inputScale);
  const sc = f32(p.outScale);
  const NP = N * P;
  if (mode === 'dequantize' && !sums && simdRequantizeRows(block, k, { out: od as Float32Array, zp, qmin, qmax, scale: sc })) return;
  for (let r = 0; r < rows; r++) {
    const ch = c0 + r;
    const ct = k.columnTerm[k.co + ch];
    const mu = k.multiplier[k.mo + ch];
    const b = k.bias ? k.bias[k.bo + ch] : 0;
    const hasBias = k.bias !== null;
    const wz = k.weightZeroPoints ? k.weightZeroPoints[k.zo + ch] : 0;
    for (let n = 0; n < N; n++) {
      const a0 = r * NP + n * P;
      const o0 = (n * C + ch) * P;
      const s0 = n * P;
      for (let q = 0; q < P; q++) {
        let raw = (acc[a0 + q] + ct) | 0;
        if (sums) raw = (raw - Math.imul(wz, sums[s0 + q])) | 0;
        let f = f32(raw);
        if (mode === 'float') {
          f = f32(f32(f * xs) * mu);
          od[o0 + q] = hasBias ? f32(f + b) : f;
          continue;
        }
        if (hasBias) f = f32(f + b);
        const v = f32(f * mu);
        let y = (v > -LIMIT && v < LIMIT ? f32(v + MAGIC) - MAGIC : v) + zp;
        y = y < qmin ? qmin : y > qmax ? qmax : y;
        od[o0 + q] = mode === 'quantized' ? y : f32((y - zp) * sc);
      }
    }
  }
}
