/**
 * CPU 2-D pooling kernels. Inputs are contiguous [N, C, H, W] views (any offset); each (n, c)
 * plane is pooled independently.
 */
import type { AvgPool2dParams, Pool2dParams, Storage, View } from '../backend';
import type { Shape } from '../../shape';
import { dataOf, heapAddress, outData } from './storage';
import { chunkCount, heapFn, heapPool, MIN_PIECE, runCalls } from './wasm/heap-pool';
import { settlePool } from './threads';
import { maxPoolWasm } from './wasm/max-pool';

/**
 * Max pooling: window maxima → out and their flat indices h·W + w → indices (int32), both
 * [N, C, Ho, Wo]. Padding is −∞; the first max (or the first NaN) wins; an all-padding window
 * points at the nearest in-plane position. 2×2 windows of stride 2 take an unrolled path.
 */
export function maxPool2d(x: View, out: Storage, indices: Storage, outShape: Shape, p: Pool2dParams): void {
  const [, , H, W] = x.shape;
  const [N, C, Ho, Wo] = outShape;
  const xd = dataOf(x) as Float32Array,
    vd = outData(out) as Float32Array,
    od = outData(indices) as Int32Array;
  const [kh, kw] = p.kernel,
    [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && ph === 0 && pw === 0 && dh === 1 && dw === 1 && 2 * Ho <= H && 2 * Wo <= W) {
    const wasm = maxPoolWasm(),
      at = [heapAddress(x), heapAddress(out), heapAddress(indices)];
    if (
      wasm &&
      at.every((a) => a >= 0) &&
      byPlanes(N * C, H * W, 1, (p, k) => [heapFn(1, 'pool'), at[0] + p * H * W * 4, at[1] + p * Ho * Wo * 4, at[2] + p * Ho * Wo * 4, k, H, W, Ho, Wo])
    )
      return;
    settlePool(); // runs here: a job left running finishes first (deferred, ./threads.ts deferSettle)
    if (!wasm || !at.every((a) => a >= 0)) maxPool2x2(xd, x.offset, vd, od, N * C, H, W, Ho, Wo);
    else wasm.pool(at[0], at[1], at[2], N * C, H, W, Ho, Wo);
    return;
  }
  settlePool();
  maxPoolWindows(xd, x.offset, vd, od, N * C, H, W, Ho, Wo, p);
}

/**
 * The general max-pooling loop over `planes` contiguous H×W planes of `xd` from `xOffset`: window
 * maxima → vd and (when `od` is given) their in-plane indices h·W + w → od, [planes, Ho, Wo]. The
 * first max (or the first NaN) wins; an all-padding window takes the nearest in-plane position.
 * Any element type: float32 here, int8/uint8 for quantized activations (./pool-int8.ts).
 */
export function maxPoolWindows(
  xd: ArrayLike<number>,
  xOffset: number,
  vd: { [i: number]: number },
  od: Int32Array | null,
  planes: number,
  H: number,
  W: number,
  Ho: number,
  Wo: number,
  p: Pool2dParams,
): void {
  const [kh, kw] = p.kernel,
    [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  // Per output column, the valid tap range depends only on ow: compute it once.
  const colLo = new Int32Array(Wo),
    colHi = new Int32Array(Wo);
  for (let ow = 0; ow < Wo; ow++) {
    colLo[ow] = tapsLo(ow * sw - pw, kw, dw);
    colHi[ow] = tapsHi(ow * sw - pw, kw, dw, W, colLo[ow]);
  }
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = xOffset + plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      const iLo = tapsLo(hs, kh, dh),
        iHi = tapsHi(hs, kh, dh, H, iLo);
      for (let ow = 0; ow < Wo; ow++, o++) {
        const ws = ow * sw - pw,
          jLo = colLo[ow],
          jHi = colHi[ow];
        let best = -Infinity;
        // An all-padding window still needs an in-plane index; use the nearest clamped position.
        let bestIdx = Math.min(Math.max(hs + iLo * dh, 0), H - 1) * W + Math.min(Math.max(ws + jLo * dw, 0), W - 1);
        search: for (let i = iLo; i < iHi; i++) {
          const row = (hs + i * dh) * W;
          for (let j = jLo; j < jHi; j++) {
            const idx = row + ws + j * dw;
            const v = xd[base + idx];
            if (v > best) {
              best = v;
              bestIdx = idx;
            } else if (v !== v) {
              bestIdx = idx;
              break search;
            }
          }
        }
        if (od) od[o] = bestIdx;
        vd[o] = xd[base + bestIdx];
      }
    }
  }
}

/** First tap t in [0, k) with start + t·d ≥ 0 (k when none). */
export function tapsLo(start: number, k: number, d: number): number {
  return start >= 0 ? 0 : Math.min(k, Math.ceil(-start / d));
}
/** One past the last tap t < k with start + t·d < L, at least lo. */
export function tapsHi(start: number, k: number, d: number, L: number, lo: number): number {
  return start >= L ? lo : Math.max(lo, Math.min(k, Math.floor((L - 1 - start) / d) + 1));
}

/** maxPool2d's 2×2 stride-2 unpadded windows, all inside the planes; taps in the order a b / c d. */
function maxPool2x2(xd: Float32Array, xOff: number, vd: Float32Array, od: Int32Array, planes: number, H: number, W: number, Ho: number, Wo: number): void {
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = xOff + plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      let i = 2 * oh * W;
      for (let ow = 0; ow < Wo; ow++, o++, i += 2) {
        const a = xd[base + i],
          b = xd[base + i + 1],
          c = xd[base + i + W],
          d = xd[base + i + W + 1];
        let best = a,
          k = i;
        // a NaN wins at once; otherwise only a strictly greater tap replaces the best
        if (a === a) {
          if (b > best || b !== b) {
            best = b;
            k = i + 1;
          }
          if (best === best) {
            if (c > best || c !== c) {
              best = c;
              k = i + W;
            }
            if (best === best && (d > best || d !== d)) {
              best = d;
              k = i + W + 1;
            }
          }
        }
        vd[o] = best;
        od[o] = k;
      }
    }
  }
}

/** Gradient of maxPool2d: out [N, C, H, W] (`outShape`) gets zeros plus each gy at its window's index. */
export function maxPool2dBackward(gy: View, indices: View, out: Storage, outShape: Shape): void {
  const [N, C, H, W] = outShape;
  const [, , Ho, Wo] = gy.shape;
  const gd = dataOf(gy) as Float32Array,
    id = dataOf(indices) as Int32Array,
    dx = outData(out) as Float32Array;
  const HW = H * W,
    P = Ho * Wo;
  const wasm = maxPoolWasm(),
    at = [heapAddress(gy), heapAddress(indices), heapAddress(out)];
  // on the threads, each chunk zeroes its planes (a multiple of 4 floats, but the last) and scatters into them
  const zeroAndScatter = (p: number, k: number) => [
    [heapFn(0, 'z_fill'), at[2] + p * HW * 4, (k * HW + 3) & ~3],
    [heapFn(1, 'scatter'), at[0] + p * P * 4, at[1] + p * P * 4, at[2] + p * HW * 4, k, HW * 4, P],
  ];
  if (wasm && at.every((a) => a >= 0) && byPlanes(N * C, HW, 4 / gcd4(HW), zeroAndScatter)) return;
  settlePool(); // runs here: a job left running finishes first (deferred, ./threads.ts deferSettle)
  dx.fill(0, 0, N * C * HW);
  if (wasm && at.every((a) => a >= 0)) {
    wasm.scatter(at[0], at[1], at[2], N * C, HW * 4, P);
    return;
  }
  let g = gy.offset,
    k = indices.offset;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * HW;
    for (let q = 0; q < P; q++, g++, k++) dx[base + id[k]] += gd[g];
  }
}

const gcd4 = (n: number) => (n % 4 === 0 ? 4 : n % 2 === 0 ? 2 : 1);

/**
 * Runs a max-pool kernel over `planes` planes of `area` floats on the worker threads, split into
 * runs of whole planes (a multiple of `unit` planes each, but the last): `calls(first, count)` gives
 * a run's calls (one, or a list run in order). False (nothing done) when there is one thread or too
 * little work; which thread runs a run never changes its result.
 */
function byPlanes(planes: number, area: number, unit: number, calls: (first: number, count: number) => number[] | number[][]): boolean {
  if (planes * area < 2 * MIN_PIECE || planes < 2) return false;
  const pool = heapPool();
  if (!pool) return false;
  const chunks = Math.min(chunkCount(planes * area, pool.size), Math.ceil(planes / unit));
  if (chunks < 2) return false;
  const per = Math.ceil(planes / chunks / unit) * unit;
  const list: number[][] = [];
  let rows = 1;
  for (let p = 0; p < planes; p += per) {
    const c = calls(p, Math.min(per, planes - p));
    const run = typeof c[0] === 'number' ? [c as number[]] : (c as number[][]);
    rows = run.length;
    list.push(...run);
  }
  runCalls(pool, list, rows, true);
  return true;
}

/**
 * One axis of the pooling windows: for output index o, the clipped input range [start[o], end[o])
 * and that axis' factor of the divisor (before clipping when padding counts).
 */
interface Axis {
  start: Int32Array;
  end: Int32Array;
  size: Int32Array;
}

function fixedAxis(L: number, Lo: number, k: number, s: number, pad: number, includePad: boolean): Axis {
  const start = new Int32Array(Lo),
    end = new Int32Array(Lo),
    size = new Int32Array(Lo);
  for (let o = 0; o < Lo; o++) {
    const a = o * s - pad;
    const b = Math.min(a + k, L + pad);
    const ca = Math.max(a, 0),
      cb = Math.min(b, L);
    start[o] = ca;
    end[o] = Math.max(ca, cb);
    size[o] = includePad ? b - a : end[o] - ca;
  }
  return { start, end, size };
}

function adaptiveAxis(L: number, Lo: number): Axis {
  const start = new Int32Array(Lo),
    end = new Int32Array(Lo),
    size = new Int32Array(Lo);
  for (let o = 0; o < Lo; o++) {
    start[o] = Math.floor((o * L) / Lo);
    end[o] = Math.ceil(((o + 1) * L) / Lo);
    size[o] = end[o] - start[o];
  }
  return { start, end, size };
}

/**
 * Window geometry for avg pooling over input [H, W] and output [Ho, Wo]. The divisor is the
 * product of per-axis sizes, matching PyTorch's pool_size = (he − hs)·(we − ws).
 */
function avgAxes(H: number, W: number, Ho: number, Wo: number, p: AvgPool2dParams): [Axis, Axis] {
  const win = p.window;
  if (!win) return [adaptiveAxis(H, Ho), adaptiveAxis(W, Wo)];
  // Average pooling has no dilation (as in PyTorch); win.dilation is ignored.
  return [
    fixedAxis(H, Ho, win.kernel[0], win.stride[0], win.padding[0], win.countIncludePad),
    fixedAxis(W, Wo, win.kernel[1], win.stride[1], win.padding[1], win.countIncludePad),
  ];
}

/** Window means of x [N, C, H, W] → out [N, C, Ho, Wo]; an empty window gives 0. */
export function avgPool2d(x: View, out: Storage, outShape: Shape, p: AvgPool2dParams): void {
  const [, , H, W] = x.shape;
  const [N, C, Ho, Wo] = outShape;
  const xd = dataOf(x),
    od = dataOf(out);
  const [ah, aw] = avgAxes(H, W, Ho, Wo, p);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = x.offset + plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = ah.start[oh],
        h1 = ah.end[oh],
        szh = ah.size[oh];
      for (let ow = 0; ow < Wo; ow++, o++) {
        const w0 = aw.start[ow],
          w1 = aw.end[ow],
          div = szh * aw.size[ow];
        let s = 0;
        for (let ih = h0; ih < h1; ih++) {
          const row = base + ih * W;
          for (let iw = w0; iw < w1; iw++) s += xd[row + iw];
        }
        od[o] = div > 0 ? s / div : 0;
      }
    }
  }
}

/** Gradient of avgPool2d: gy [N, C, Ho, Wo] → out [N, C, H, W]; each gy spreads evenly over its window. */
export function avgPool2dBackward(gy: View, out: Storage, outShape: Shape, p: AvgPool2dParams): void {
  const [, , Ho, Wo] = gy.shape;
  const [N, C, H, W] = outShape;
  const gd = dataOf(gy),
    od = dataOf(out);
  od.fill(0, 0, N * C * H * W);
  const [ah, aw] = avgAxes(H, W, Ho, Wo, p);
  let o = gy.offset;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = ah.start[oh],
        h1 = ah.end[oh],
        szh = ah.size[oh];
      for (let ow = 0; ow < Wo; ow++, o++) {
        const div = szh * aw.size[ow];
        if (div <= 0) continue;
        const w0 = aw.start[ow],
          w1 = aw.end[ow],
          g = gd[o] / div;
        for (let ih = h0; ih < h1; ih++) {
          const row = base + ih * W;
          for (let iw = w0; iw < w1; iw++) od[row + iw] += g;
        }
      }
    }
  }
}
