/** CPU int8 × int8 → int32 matrix multiply: the WebAssembly SIMD kernel, or a JS loop. */
import { type Int8GemmFn, wasmInt8Gemm } from './wasm/int8-gemm';

/** Which implementation a gemm uses: 'auto' picks by shape and availability. */
export type GemmPath = 'js' | 'wasm' | 'auto';

/**
 * int8 × int8 → int32 C[cOff + i·ldc + j] = Σ_k A[…]·B[…] (any strides, as `gemm` in ./matmul.ts):
 * the WebAssembly SIMD kernel of ./wasm/int8-gemm.ts where available (it packs whole operands, so
 * the JS loop keeps the products too small to repay that), else the JS loop. Both are exact and
 * wrap past 2³¹ identically.
 */
export function int8Gemm(...args: [...Parameters<Int8GemmFn>, GemmPath?]): void {
  const [M, N, K] = args;
  const path = args[14] ?? 'auto';
  const simd = path === 'wasm' || (path === 'auto' && M * N * K >= INT8_WASM_MIN) ? wasmInt8Gemm() : null;
  // the operands only: a 15th argument of the wasm gemm would be its hooks
  (simd ?? intGemm)(...(args.slice(0, 14) as Parameters<Int8GemmFn>));
}

const INT8_WASM_MIN = 1000;

/**
 * C[cOff + i·ldc + j] = Σ_k A[…]·B[…] for int8 operands (any strides) into int32:
 * exact products, and an Int32Array row that wraps past 2³¹ as int32 hardware (and the WebGPU
 * kernel) does. Row-at-a-time (i, k, j order) so B's rows stream when they are contiguous.
 */
function intGemm(...[M, N, K, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, c, cOff, ldc]: Parameters<Int8GemmFn>): void {
  for (let i = 0; i < M; i++) {
    const row = c.subarray(cOff + i * ldc, cOff + i * ldc + N);
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const av = a[aOff + i * aRowStride + k * aColStride];
      if (av === 0) continue;
      const bk = bOff + k * bRowStride;
      for (let j = 0; j < N; j++) row[j] += av * b[bk + j * bColStride];
    }
  }
}
