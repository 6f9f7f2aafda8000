/**
 * CPU max pooling of 8-bit integer tensors (int8 / uint8, quantized activations: PyTorch's
 * quantized::max_pool2d), values only (no indices: integer tensors carry no gradient). Inputs are
 * contiguous [N, C, H, W] views (any offset); padding never wins; a window entirely in the padding
 * takes the nearest in-plane value, as the float kernel in ./pool.ts, so for any monotone map f
 * (dequantization) maxPool(f(q)) = f(maxPool(q)).
 */
import type { Pool2dParams, Storage, View } from '../backend';
import type { Shape } from '../../shape';
import { dataOf, outData } from './storage';
import { simdMaxPool2x2 } from './wasm/quantized';

type Bytes = Int8Array | Uint8Array;

/** Window maxima of x (int8 or uint8) → out (same dtype) [N, C, Ho, Wo] (`outShape`). */
export function maxPool2dInt8(x: View, out: Storage, outShape: Shape, p: Pool2dParams): void {
  const [, , H, W] = x.shape;
  const [N, C, Ho, Wo] = outShape;
  const xd = dataOf(x) as Bytes,
    vd = outData(out) as Bytes;
  const [kh, kw] = p.kernel,
    [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && ph === 0 && pw === 0 && dh === 1 && dw === 1 && 2 * Ho <= H && 2 * Wo <= W) {
    if (simdMaxPool2x2(xd, x.offset, vd, N * C, H, W, Ho, Wo)) return;
    // element access to the heap's memory is several times slower than to a plain array: pool a
    // plain copy into a plain array, then copy the result in (two memcpys)
    const plain = new (vd.constructor as Int8ArrayConstructor)(N * C * Ho * Wo);
    pool2x2(xd.slice(x.offset, x.offset + N * C * H * W), 0, plain, N * C, H, W, Ho, Wo);
    vd.set(plain);
    return;
  }
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = x.offset + plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      const iLo = tapsLo(hs, kh, dh),
        iHi = tapsHi(hs, kh, dh, H, iLo);
      for (let ow = 0; ow < Wo; ow++, o++) {
        const ws = ow * sw - pw;
        const jLo = tapsLo(ws, kw, dw),
          jHi = tapsHi(ws, kw, dw, W, jLo);
        // an all-padding window: the nearest in-plane value (as the float kernel's index)
        let best = iLo < iHi && jLo < jHi ? -256 : xd[base + Math.min(Math.max(hs + iLo * dh, 0), H - 1) * W + Math.min(Math.max(ws + jLo * dw, 0), W - 1)];
        for (let i = iLo; i < iHi; i++) {
          const row = base + (hs + i * dh) * W + ws;
          for (let j = jLo; j < jHi; j++) {
            const v = xd[row + j * dw];
            if (v > best) best = v;
          }
        }
        vd[o] = best;
      }
    }
  }
}

/** First tap t in [0, k) with start + t·d ≥ 0 (k when none). */
function tapsLo(start: number, k: number, d: number): number {
  return start >= 0 ? 0 : Math.min(k, Math.ceil(-start / d));
}
/** One past the last tap t < k with start + t·d < L, at least lo. */
function tapsHi(start: number, k: number, d: number, L: number, lo: number): number {
  return start >= L ? lo : Math.max(lo, Math.min(k, Math.floor((L - 1 - start) / d) + 1));
}

/** 2×2 stride-2 unpadded windows, all inside the planes. */
function pool2x2(xd: Bytes, xOff: number, vd: Bytes, planes: number, H: number, W: number, Ho: number, Wo: number): void {
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = xOff + plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      let i = base + 2 * oh * W;
      for (let ow = 0; ow < Wo; ow++, o++, i += 2) {
        const a = xd[i],
          b = xd[i + 1],
          c = xd[i + W],
          d = xd[i + W + 1];
        // branch-free maxima (random data would mispredict every other compare): t & (t >> 31) is min(t, 0)
        const t = a - b,
          u = c - d;
        const ab = a - (t & (t >> 31)),
          cd = c - (u & (u >> 31));
        const v = ab - cd;
        vd[o] = ab - (v & (v >> 31));
      }
    }
  }
}
