/**
 * CPU 2-D pooling kernels. Inputs are contiguous [N, C, H, W] views (any offset); each (n, c)
 * plane is pooled independently.
 */
import type { AvgPool2dParams, Pool2dParams, Storage, View } from '../backend';
import type { Shape } from '../../shape';
import { dataOf } from './storage';

/** Taps t in [0, k) whose position start + t·d lies in [0, L), as [first, end). */
function validTaps(start: number, k: number, d: number, L: number): [number, number] {
  const lo = start >= 0 ? 0 : Math.ceil(-start / d);
  const hi = start >= L ? 0 : Math.min(k, Math.floor((L - 1 - start) / d) + 1);
  return [Math.min(lo, k), Math.max(Math.min(lo, k), hi)];
}

/** Flat index h·W + w of each window's max; padding is −∞, the first max (or first NaN) wins. */
export function maxPool2dIndices(x: View, out: Storage, outShape: Shape, p: Pool2dParams): void {
  const [, , H, W] = x.shape;
  const [N, C, Ho, Wo] = outShape;
  const [kh, kw] = p.kernel,
    [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  const xd = dataOf(x),
    od = dataOf(out) as Int32Array;
  // Per output column, the valid tap range depends only on ow: compute it once.
  const colLo = new Int32Array(Wo),
    colHi = new Int32Array(Wo);
  for (let ow = 0; ow < Wo; ow++) [colLo[ow], colHi[ow]] = validTaps(ow * sw - pw, kw, dw, W);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = x.offset + plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      const [iLo, iHi] = validTaps(hs, kh, dh, H);
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
        od[o] = bestIdx;
      }
    }
  }
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
