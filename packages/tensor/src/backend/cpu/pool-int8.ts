/**
 * CPU max pooling of 8-bit integer tensors (int8 / uint8, quantized activations: PyTorch's
 * quantized::max_pool2d), values only (no indices: integer tensors carry no gradient). Inputs are
 * contiguous [N, C, H, W] views (any offset); padding never wins; a window entirely in the padding
 * takes the nearest in-plane value, as the float kernel in ./pool.ts, so for any monotone map f
 * (dequantization) maxPool(f(q)) = f(maxPool(q)).
 */
import type { Pool2dParams, Storage, View } from '../backend';
import type { Shape } from '../../shape';
import { tapsHi, tapsLo } from './pool';
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
  // 2×2 stride-2 windows inside the planes: WebAssembly SIMD where available, else the loop below
  if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && ph === 0 && pw === 0 && dh === 1 && dw === 1 && 2 * Ho <= H && 2 * Wo <= W) {
    if (simdMaxPool2x2(xd, x.offset, vd, N * C, H, W, Ho, Wo)) return;
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
