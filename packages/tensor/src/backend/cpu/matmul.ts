/**
 * CPU matrix multiply (simple version; blocked version to follow).
 */
import type { Storage, View } from '../backend';
import { dataOf } from './storage';

/**
 * C[cOff + i·ldc + j] (= or +=) Σ_k A[aOff + i·aRowStride + k·aColStride] · B[bOff + k·bRowStride + j·bColStride].
 * A and B may have any strides (transposed, 0 for broadcast).
 */
export function gemm(
  M: number, N: number, K: number,
  a: Float32Array, aOff: number, aRowStride: number, aColStride: number,
  b: Float32Array, bOff: number, bRowStride: number, bColStride: number,
  c: Float32Array, cOff: number, ldc: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        s += a[aOff + i * aRowStride + k * aColStride] * b[bOff + k * bRowStride + j * bColStride];
      }
      const ci = cOff + i * ldc + j;
      c[ci] = accumulate ? c[ci] + s : s;
    }
  }
}

/** a: [...batch, M, K], b: [...batch, K, N] → out [...batch, M, N] (contiguous). */
export function matmul(a: View, b: View, out: Storage): void {
  const r = a.shape.length;
  const M = a.shape[r - 2], K = a.shape[r - 1], N = b.shape[b.shape.length - 1];
  const ad = dataOf(a) as Float32Array, bd = dataOf(b) as Float32Array, od = dataOf(out) as Float32Array;
  const nb = r - 2;
  let batches = 1;
  for (let d = 0; d < nb; d++) batches *= a.shape[d];
  const idx = new Array<number>(nb).fill(0);
  let aOff = a.offset, bOff = b.offset;
  const as = a.strides, bs = b.strides, br = b.shape.length;
  for (let t = 0; t < batches; t++) {
    gemm(M, N, K, ad, aOff, as[r - 2], as[r - 1], bd, bOff, bs[br - 2], bs[br - 1], od, t * M * N, N, false);
    for (let d = nb - 1; d >= 0; d--) {
      idx[d]++;
      aOff += as[d];
      bOff += bs[br - r + d];
      if (idx[d] < a.shape[d]) break;
      aOff -= as[d] * idx[d];
      bOff -= bs[br - r + d] * idx[d];
      idx[d] = 0;
    }
  }
}
