/**
 * CPU int8 convolution, NCHW in and out: per group, the int8 windows of every image are unfolded
 * (im2col, padded with the input's zero point) into cols [K, N·P] (K = C/groups·kh·kw,
 * P = Ho·Wo), the int8 GEMM multiplies the group's weight rows [O/groups, K] by them into int32
 * [O/groups, N·P], and the requantization epilogue (./quantized.ts, per output channel) writes
 * each [P] run straight to its place in out [N, O, Ho, Wo].
 */
import type { QuantizedConv2dParams, Storage, View } from '../backend';
import { int8Gemm } from './matmul-int8';
import { requantizeRows } from './quantized';
import { dataOf } from './storage';

let colsBuf = new Int8Array(0);
let accBuf = new Int32Array(0);

/** Unfold channels [c0, c0 + cg) of every image into cols [cg·kh·kw, N·P] (see the file comment). */
function im2col(
  xd: Int8Array,
  xo: number,
  [N, C, H, W]: readonly number[],
  c0: number,
  cg: number,
  [kh, kw]: number[],
  p: QuantizedConv2dParams,
  Ho: number,
  Wo: number,
  cols: Int8Array,
): void {
  const [sh, sw] = p.stride;
  const [ph, pw] = p.padding;
  const [dh, dw] = p.dilation;
  const zp = p.inputZeroPoint;
  const P = Ho * Wo;
  const NP = N * P;
  let row = 0;
  for (let c = 0; c < cg; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const off = j * dw - pw;
        // output columns whose input column ow·sw + off lies in [0, W)
        const lo = Math.min(Wo, Math.max(0, Math.ceil(-off / sw)));
        const hi = Math.max(lo, Math.min(Wo, Math.floor((W - 1 - off) / sw) + 1));
        for (let n = 0; n < N; n++) {
          const plane = xo + (n * C + c0 + c) * H * W;
          let d = row * NP + n * P;
          for (let oh = 0; oh < Ho; oh++, d += Wo) {
            const ih = oh * sh - ph + i * dh;
            if (ih < 0 || ih >= H) {
              cols.fill(zp, d, d + Wo);
              continue;
            }
            const s = plane + ih * W + off;
            for (let ow = 0; ow < lo; ow++) cols[d + ow] = zp;
            if (sw === 1) for (let ow = lo; ow < hi; ow++) cols[d + ow] = xd[s + ow];
            else for (let ow = lo; ow < hi; ow++) cols[d + ow] = xd[s + ow * sw];
            for (let ow = hi; ow < Wo; ow++) cols[d + ow] = zp;
          }
        }
      }
    }
  }
}

/** See `Backend.quantizedConv2d`; every view contiguous. */
export function quantizedConv2d(
  x: View,
  weight: View,
  columnTerm: View,
  multiplier: View,
  bias: View | null,
  weightZeroPoints: View | null,
  p: QuantizedConv2dParams,
  out: Storage,
): void {
  const [N, , H, W] = x.shape;
  const [O, cg, kh, kw] = weight.shape;
  const G = p.groups;
  const og = O / G;
  const Ho = Math.floor((H + 2 * p.padding[0] - p.dilation[0] * (kh - 1) - 1) / p.stride[0]) + 1;
  const Wo = Math.floor((W + 2 * p.padding[1] - p.dilation[1] * (kw - 1) - 1) / p.stride[1]) + 1;
  const P = Ho * Wo;
  const NP = N * P;
  const K = cg * kh * kw;
  if (NP === 0 || O === 0) return;
  if (colsBuf.length < K * NP) colsBuf = new Int8Array(K * NP);
  if (accBuf.length < og * NP) accBuf = new Int32Array(og * NP);
  const cols = colsBuf;
  const acc = accBuf;
  const xd = dataOf(x) as Int8Array;
  const wd = dataOf(weight) as Int8Array;
  const sums = weightZeroPoints ? new Int32Array(NP) : null;
  const consts = {
    columnTerm: dataOf(columnTerm) as Int32Array,
    co: columnTerm.offset,
    multiplier: dataOf(multiplier) as Float32Array,
    mo: multiplier.offset,
    bias: bias ? (dataOf(bias) as Float32Array) : null,
    bo: bias ? bias.offset : 0,
    weightZeroPoints: weightZeroPoints ? (dataOf(weightZeroPoints) as Int32Array) : null,
    zo: weightZeroPoints ? weightZeroPoints.offset : 0,
  };
  for (let g = 0; g < G; g++) {
    im2col(xd, x.offset, x.shape, g * cg, cg, [kh, kw], p, Ho, Wo, cols);
    if (sums) {
      sums.fill(0);
      for (let k = 0; k < K; k++) for (let q = 0, r = k * NP; q < NP; q++) sums[q] += cols[r + q];
    }
    if (K === 0) acc.fill(0, 0, og * NP);
    else int8Gemm(og, NP, K, wd, weight.offset + g * og * K, K, 1, cols, 0, NP, 1, acc, 0, NP);
    // channel o of the group: acc[o, n·P + q] → out[n, g·og + o, q]
    requantizeRows(acc, og, N, P, g * og, O, consts, sums, p, out);
  }
}
