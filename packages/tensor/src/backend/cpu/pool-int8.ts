/**
 * CPU max pooling of 8-bit integer tensors (int8 / uint8, quantized activations: PyTorch's
 * quantized::max_pool2d), values only (no indices: integer tensors carry no gradient). Inputs are
 * contiguous [N, C, H, W] views (any offset); padding never wins; a window entirely in the padding
 * takes the nearest in-plane value, as the float kernel in ./pool.ts, so for any monotone map f
 * (dequantization) maxPool(f(q)) = f(maxPool(q)).
 */
import type { Pool2dParams, Storage, View } from '../backend';
import type { Shape } from '../../shape';
import { maxPoolWindows } from './pool';
import { heapMaxPool2x2 } from './quantized-heap';
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
  // 2×2 stride-2 windows inside the planes: WebAssembly SIMD where available, else the general loop
  if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && ph === 0 && pw === 0 && dh === 1 && dw === 1 && 2 * Ho <= H && 2 * Wo <= W) {
    if (heapMaxPool2x2(x, out, N * C, H, W, Ho, Wo) || simdMaxPool2x2(xd, x.offset, vd, N * C, H, W, Ho, Wo)) return;
  }
  maxPoolWindows(xd, x.offset, vd, null, N * C, H, W, Ho, Wo, p);
}
