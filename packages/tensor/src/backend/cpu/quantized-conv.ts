/**
 * CPU int8 convolution, NCHW in and out: per group, the int8 windows of every image are unfolded
 * (im2col, padded with the input's zero point) into cols [K, N·P] (K = C/groups·kh·kw,
 * P = Ho·Wo), the int8 GEMM multiplies the group's weight rows [O/groups, K] by them into int32
 * [O/groups, N·P], and the requantization epilogue (./quantized.ts, per output channel) writes
 * each [P] run straight to its place in out [N, O, Ho, Wo].
 *
 * Large enough convolutions with column stride 1 and P a multiple of 4, on tensors in the CPU heap,
 * run image by image instead (./quantized-conv-threads.ts: im2col, packing, kernel and
 * requantization in wasm, across the worker pool with more than one thread); the same bits.
 */
import type { PrimitiveArgs, QuantizedConv2dParams, View } from '../backend';
import { freeHeapStorage, heapStorage, plainStorage } from './heap-storage';
import { maxPool2dInt8 } from './pool-int8';
import { int8Gemm } from './matmul-int8';
import { threadedQuantizedConv2d } from './quantized-conv-threads';
import { cpuThreads } from './threads';
import { type ChannelConstants, lookUpBytes, requantizeRows } from './quantized';
import { numel } from '../../shape';
import { dataOf, outData, readData } from './storage';
import { int8RelaxedAvailable, sevenBitShift, wasmInt8GemmFused } from './wasm/int8-gemm';
import { quantizedKernelsOn, quantizedSimdEnabled } from './wasm/quantized';

let colsBuf = new Int8Array(0);
let accBuf = new Int32Array(0);

/** Unfold channels [c0, c0 + cg) of every image into cols [cg·kh·kw, N·P], row r at base + r·ld (see the file comment). */
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
  base: number,
  ld: number,
): void {
  const [sh, sw] = p.stride;
  const [ph, pw] = p.padding;
  const [dh, dw] = p.dilation;
  const zp = p.inputZeroPoint;
  const P = Ho * Wo;
  const flat = sh === 1 && sw === 1 && Wo === W && pw < W; // every shift |j·dw − pw| ≤ pw < W
  if (flat) {
    const u: Unfold = { xd, xo, N, C, H, W, c0, cg, kh, kw, ph, pw, dh, dw, zp, Ho, cols, base, ld };
    if (Ho === H) slabIm2col(u);
    else shiftedIm2col(u);
    return;
  }
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
          let d = base + row * ld + n * P;
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

/** The operands and stride-1 geometry of the flat im2col variants below. */
interface Unfold {
  xd: Int8Array;
  xo: number;
  N: number;
  C: number;
  H: number;
  W: number;
  c0: number;
  cg: number;
  kh: number;
  kw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  zp: number;
  Ho: number;
  cols: Int8Array;
  base: number;
  ld: number;
}

let slabBuf = new Int8Array(0);

/**
 * After a row run of W-wide rows [start, end) was copied shifted by dj columns, the |dj| values
 * at each row's left (dj < 0) or right (dj > 0) end came from the neighbouring row: set them to
 * the zero point (the padding).
 */
function zeroWrapped(cols: Int8Array, start: number, end: number, W: number, dj: number, zp: number): void {
  if (dj < 0) for (let r = start; r < end; r += W) for (let t = 0; t < -dj; t++) cols[r + t] = zp;
  else if (dj > 0) for (let r = start + W - dj; r < end; r += W) for (let t = 0; t < dj; t++) cols[r + t] = zp;
}

/**
 * im2col for stride 1 with the output as large as the input ('same' padding): with channel c's
 * planes of all N images contiguous (a CNHW copy of the group, unless N or C is 1), each cols row (c, i, j) is that slab shifted by (i·dh − ph)·W + (j·dw − pw) — one
 * flat copy — after which every image's rows outside the plane and the columns that wrapped
 * around are set to the zero point.
 */
function slabIm2col({ xd, xo, N, C, H, W, c0, cg, kh, kw, ph, pw, dh, dw, zp, cols, base, ld }: Unfold): void {
  const HW = H * W;
  const NP = N * HW;
  let src = xd;
  let slab0 = xo + c0 * HW; // channel c's slab starts at slab0 + c·cStride
  let cStride = HW;
  if (N > 1 && C > 1) {
    if (slabBuf.length < cg * NP) slabBuf = new Int8Array(cg * NP);
    for (let c = 0; c < cg; c++)
      for (let n = 0; n < N; n++) {
        const from = xo + (n * C + c0 + c) * HW;
        slabBuf.set(xd.subarray(from, from + HW), c * NP + n * HW);
      }
    [src, slab0, cStride] = [slabBuf, 0, NP];
  } // else one image (channel planes HW apart) or one channel (image planes HW apart)
  let row = 0;
  for (let c = 0; c < cg; c++) {
    const s0 = slab0 + c * cStride;
    for (let i = 0; i < kh; i++) {
      const di = i * dh - ph;
      const lo = Math.min(H, Math.max(0, -di));
      const hi = Math.max(lo, Math.min(H, H - di));
      for (let j = 0; j < kw; j++, row++) {
        const dj = j * dw - pw;
        const d = base + row * ld;
        const delta = di * W + dj;
        const a = Math.max(0, delta);
        const b = Math.min(NP, NP + delta);
        // the |delta| values the copy leaves out at either end lie in the rows or columns set below (|dj| < W)
        if (b > a) cols.set(src.subarray(s0 + a, s0 + b), d + a - delta);
        for (let n = 0; n < N; n++) {
          const dn = d + n * HW;
          if (lo > 0) cols.fill(zp, dn, dn + lo * W);
          if (hi * W < HW) cols.fill(zp, dn + hi * W, dn + HW);
          zeroWrapped(cols, dn + lo * W, dn + hi * W, W, dj, zp);
        }
      }
    }
  }
}

/**
 * im2col for stride 1 with Wo = W (e.g. 'same' padding): each cols run of image n, row (c, i, j)
 * is the input plane shifted by (i·dh − ph)·W + (j·dw − pw) as one flat copy, then the rows that
 * fall outside the plane and the |j·dw − pw| columns that wrapped around are set to the zero point.
 */
function shiftedIm2col({ xd, xo, N, C, H, W, c0, cg, kh, kw, ph, pw, dh, dw, zp, Ho, cols, base, ld }: Unfold): void {
  const P = Ho * W;
  const HW = H * W;
  let row = 0;
  for (let c = 0; c < cg; c++) {
    for (let i = 0; i < kh; i++) {
      const di = i * dh - ph;
      const lo = Math.min(Ho, Math.max(0, -di));
      const hi = Math.max(lo, Math.min(Ho, H - di));
      for (let j = 0; j < kw; j++, row++) {
        const dj = j * dw - pw;
        for (let n = 0; n < N; n++) {
          const plane = xo + (n * C + c0 + c) * HW;
          const d = base + row * ld + n * P;
          if (lo > 0) cols.fill(zp, d, d + lo * W);
          if (hi < Ho) cols.fill(zp, d + hi * W, d + P);
          if (hi === lo) continue;
          const a = (lo + di) * W + dj;
          const b = (hi + di) * W + dj;
          const a1 = Math.max(a, 0);
          const b1 = Math.min(b, HW);
          const at = d + lo * W + (a1 - a);
          if (b1 - a1 >= 48) cols.set(xd.subarray(plane + a1, plane + b1), at);
          else for (let t = 0; t < b1 - a1; t++) cols[at + t] = xd[plane + a1 + t];
          zeroWrapped(cols, d + lo * W, d + hi * W, W, dj, zp);
        }
      }
    }
  }
}

/**
 * See `Backend.quantizedConv2d`; every view contiguous. With `pool` or `table`, the image-by-image
 * path pools and maps each image's bytes in its epilogue; other convolutions are written unpooled to
 * a scratch storage, then pooled (./pool-int8.ts) and mapped (./quantized.ts) as the separate ops would.
 */
export function quantizedConv2d(...args: PrimitiveArgs<'quantizedConv2d'>): void {
  const p = args[6];
  if (!p.pool && !p.table) {
    convolve(args, false, true);
    return;
  }
  if (convolve(args, true, true)) return;
  const [x, weight, columnTerm, multiplier, bias, weightZeroPoints, , out] = args;
  const [N, O, Ho, Wo] = [x.shape[0], weight.shape[0], ...outSize(x.shape, weight.shape, p)];
  const shape = [N, O, Ho, Wo];
  const full = heapStorage(out.dtype, N * O * Ho * Wo) ?? plainStorage(out.dtype, N * O * Ho * Wo);
  try {
    convolve([x, weight, columnTerm, multiplier, bias, weightZeroPoints, { ...p, pool: false, table: null }, full], false, false);
    let src: View = { storage: full, shape, strides: [O * Ho * Wo, Ho * Wo, Wo, 1], offset: 0 };
    if (p.pool) {
      const pooled = [N, O, Ho >> 1, Wo >> 1];
      maxPool2dInt8(src, out, pooled, { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] });
      src = { storage: out, shape: pooled, strides: [O * (Ho >> 1) * (Wo >> 1), (Ho >> 1) * (Wo >> 1), Wo >> 1, 1], offset: 0 };
    }
    if (p.table) lookUpBytes(src, p.table, out);
  } finally {
    freeHeapStorage(full);
  }
}

/** [Ho, Wo] of the convolution (before any pooling). */
function outSize([, , H, W]: readonly number[], [, , kh, kw]: readonly number[], p: QuantizedConv2dParams): [number, number] {
  return [
    Math.floor((H + 2 * p.padding[0] - p.dilation[0] * (kh - 1) - 1) / p.stride[0]) + 1,
    Math.floor((W + 2 * p.padding[1] - p.dilation[1] * (kw - 1) - 1) / p.stride[1]) + 1,
  ];
}

/**
 * The convolution into out; `pooled` (p.pool or p.table set): only by the image-by-image path,
 * which pools and maps in its epilogue; false: that path was not taken and nothing was done.
 * `detach`: the image-by-image path may leave the workers finishing their last images (the caller
 * reads nothing of out; the next CPU primitive settles them).
 */
function convolve(
  [x, weight, columnTerm, multiplier, bias, weightZeroPoints, p, out]: PrimitiveArgs<'quantizedConv2d'>,
  pooled: boolean,
  detach: boolean,
): boolean {
  const N = x.shape[0];
  const [O, cg, kh, kw] = weight.shape;
  const G = p.groups;
  const og = O / G;
  const [Ho, Wo] = outSize(x.shape, weight.shape, p);
  const P = Ho * Wo;
  const NP = N * P;
  const K = cg * kh * kw;
  if (NP === 0 || O === 0) return !pooled;
  const xd = dataOf(x) as Int8Array;
  const wd = readData(weight) as Int8Array; // read only: the threaded path's packed copy stays valid
  const consts: ChannelConstants = {
    columnTerm: dataOf(columnTerm) as Int32Array,
    co: columnTerm.offset,
    multiplier: dataOf(multiplier) as Float32Array,
    mo: multiplier.offset,
    bias: bias ? (dataOf(bias) as Float32Array) : null,
    bo: bias ? bias.offset : 0,
    weightZeroPoints: weightZeroPoints ? (dataOf(weightZeroPoints) as Int32Array) : null,
    zo: weightZeroPoints ? weightZeroPoints.offset : 0,
  };
  /** Channel ch's column term, bias term and multiplier as requantRow reads them, at word `at`. */
  const setChannel = (wi: Int32Array, wf: Float32Array, at: number, ch: number) => {
    wi[at] = consts.columnTerm[consts.co + ch];
    wf[at + 1] = consts.bias ? consts.bias[consts.bo + ch] : 0;
    wf[at + 2] = consts.multiplier[consts.mo + ch];
  };
  const unfold = (g: number, cols: Int8Array, base: number, ld: number) => im2col(xd, x.offset, x.shape, g * cg, cg, [kh, kw], p, Ho, Wo, cols, base, ld);
  const gemm = og * NP * K >= FUSED_MIN && p.mode !== 'float' && !weightZeroPoints && quantizedSimdEnabled() ? wasmInt8GemmFused() : null;
  const od = outData(out) as Float32Array | Int8Array | Uint8Array;
  // int8 / uint8 out: the row kernels' twins without the NaN lanes' zeroing (3, 4) when no bias term or multiplier can make one
  const finite = (a: Float32Array | null, o: number) => {
    for (let ch = 0; a && ch < O; ch++) if (!Number.isFinite(a[o + ch])) return false;
    return true;
  };
  const kind =
    p.mode === 'quantized'
      ? (((od instanceof Uint8Array ? 2 : 1) + (finite(consts.bias, consts.bo) && finite(consts.multiplier, consts.mo) ? 2 : 0)) as 1 | 2 | 3 | 4)
      : 0;
  // the relaxed kernel takes the windows when the input and its padding value lie in [0, 127] or
  // [−128, −1] (a uint8 activation with reduceRange, stored −128): unfold a copy shifted by +128 then
  const shift = gemm && int8RelaxedAvailable() ? sevenBitShift(xd, x.offset, numel(x.shape)) : null;
  const pads = p.padding[0] > 0 || p.padding[1] > 0;
  const bShift = shift !== null && (!pads || (p.inputZeroPoint < 0 ? 128 : 0) === shift) ? shift : undefined;
  // image by image (the standard kernel; across the pool with more than one thread), unless the
  // relaxed kernel applies on one thread
  const images = bShift === undefined || cpuThreads() > 1;
  if (gemm && images && threadedQuantizedConv2d(x, weight, wd, p, Ho, Wo, { setChannel, kind, out, detach })) return true;
  if (pooled) return false;
  if (gemm) {
    let fill = unfold;
    if (bShift === 128) {
      const n = numel(x.shape);
      if (shiftBuf.length < n) shiftBuf = new Int8Array(n);
      flipInto(xd, x.offset, n, shiftBuf);
      const ps = { ...p, inputZeroPoint: p.inputZeroPoint + 128 };
      fill = (g, cols, base, ld) => im2col(shiftBuf, 0, x.shape, g * cg, cg, [kh, kw], ps, Ho, Wo, cols, base, ld);
    }
    // fused: im2col straight into the gemm's memory, requantization on its int32 results in place;
    // float32 out ('dequantize'), or bytes ('quantized': eb = 1 byte an element, int8 or uint8)
    const eb = p.mode === 'quantized' ? 1 : 4;
    const { outZeroPoint: zp, qmin, qmax } = p;
    const scale = Math.fround(p.outScale);
    for (let g = 0; g < G; g++) {
      let fused = true;
      gemm(og, NP, K, wd, weight.offset + g * og * K, K, 1, wd, 0, 0, 0, accBuf, 0, 0, {
        fillB: (mem, base, ld) => fill(g, mem, base, ld),
        bShift,
        epilogue: (mem, i0, j0, rows, cols, at, ld, spare, table) => {
          const k = quantizedKernelsOn(mem);
          if (!k) {
            fused = false;
            return;
          }
          const wi = new Int32Array(mem.buffer);
          const wf = new Float32Array(mem.buffer);
          const view = eb === 4 ? wf : od instanceof Uint8Array ? new Uint8Array(mem.buffer) : new Int8Array(mem.buffer);
          // whole images (P a multiple of 4): one call requantizes every row's image runs into the
          // spare area in NCHW order, then one copy per image of its rows·P contiguous outputs
          const whole = j0 % P === 0 && cols % P === 0 && P % 4 === 0;
          wf.set([zp, qmin, qmax, scale], PARAMS / 4);
          if (whole) {
            for (let r = 0; r < rows; r++) setChannel(wi, wf, (table >> 2) + 3 * r, g * og + i0 + r);
            const images = cols / P;
            k.requantBlock(kind, rows, images, P >> 2, at, ld * 4, spare, table, PARAMS);
            const n0 = j0 / P;
            const sp = spare / eb;
            for (let n = 0; n < images; n++) od.set(view.subarray(sp + n * rows * P, sp + (n + 1) * rows * P), ((n0 + n) * O + g * og + i0) * P);
            return;
          }
          for (let r = 0; r < rows; r++) {
            const ch = g * og + i0 + r;
            setChannel(wi, wf, 0, ch);
            const row = at + r * ld * 4;
            k.requantBlock(kind, 1, 1, (cols + 3) >> 2, row, 0, row, 0, PARAMS);
            // columns j0 … j0 + cols are pixels of consecutive images: one copy per image run
            const src = row / eb;
            for (let j = j0, end = j0 + cols; j < end; ) {
              const n = Math.floor(j / P);
              const q = j - n * P;
              const len = Math.min(P - q, end - j);
              od.set(view.subarray(src + j - j0, src + j - j0 + len), (n * O + ch) * P + q);
              j += len;
            }
          }
        },
        columnAlign: P,
      });
      if (!fused) unfused(g);
    }
    return true;
  }
  for (let g = 0; g < G; g++) unfused(g);
  return true;

  function unfused(g: number): void {
    if (colsBuf.length < K * NP) colsBuf = new Int8Array(K * NP);
    if (accBuf.length < og * NP) accBuf = new Int32Array(og * NP);
    const cols = colsBuf;
    const acc = accBuf;
    unfold(g, cols, 0, NP);
    let sums: Int32Array | null = null;
    if (weightZeroPoints) {
      sums = new Int32Array(NP);
      for (let k = 0; k < K; k++) for (let q = 0, r = k * NP; q < NP; q++) sums[q] += cols[r + q];
    }
    int8Gemm(og, NP, K, wd, weight.offset + g * og * K, K, 1, cols, 0, NP, 1, acc, 0, NP);
    // channel o of the group: acc[o, n·P + q] → out[n, g·og + o, q]
    requantizeRows({ acc, rows: og, N, P, c0: g * og, C: O }, consts, sums, p, out);
  }
}

/** Scratch byte address of requantBlock's float32 zp, qmin, qmax, scale (the gemm leaves bytes 0…63 to epilogues). */
const PARAMS = 48;

let shiftBuf = new Int8Array(0);

/** out[0…n) = x[xo…xo+n) + 128 for int8 values in [−128, −1] (xor 0x80), four at a time where aligned. */
function flipInto(x: Int8Array, xo: number, n: number, out: Int8Array): void {
  let i = 0;
  if ((x.byteOffset + xo) % 4 === 0) {
    const words = n >> 2;
    const src = new Int32Array(x.buffer, x.byteOffset + xo, words);
    const dst = new Int32Array(out.buffer, out.byteOffset, words);
    for (let t = 0; t < words; t++) dst[t] = src[t] ^ 0x80808080;
    i = words * 4;
  }
  for (; i < n; i++) out[i] = x[xo + i] ^ 0x80;
}

/** Below this many multiply-adds per group the unfused path (JS gemm for the smallest) is as fast. */
const FUSED_MIN = 1 << 16;
