/** CPU int8 × int8 → int32 matrix multiply: the WebAssembly SIMD kernel, or a JS loop. */
import type { View } from '../backend';
import { dataOf, readData } from './storage';
import { type Int8GemmFn, type Int8GemmOperands, wasmInt8Gemm } from './wasm/int8-gemm';

/** Which implementation a gemm uses: 'auto' picks by shape and availability. */
export type GemmPath = 'js' | 'wasm' | 'auto';

/**
 * int8 × int8 → int32 C[cOff + i·ldc + j] = Σ_k A[…]·B[…] (any strides, as `gemm` in ./matmul.ts):
 * the WebAssembly SIMD kernel of ./wasm/int8-gemm.ts where available (it packs whole operands, so
 * the JS loop keeps the products too small to repay that), else the JS loop. Both are exact and
 * wrap past 2³¹ identically. B given as a view (a matmul's operand): its values are read only when
 * needed, so the wasm gemm may keep it packed from one call to the next (a layer's weight;
 * ./wasm/int8-packed-b.ts).
 */
export function int8Gemm(...args: [...Int8GemmArgs, GemmPath?]): void {
  const [M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc] = args;
  const path = args[14] ?? 'auto';
  const simd = path === 'wasm' || (path === 'auto' && M * N * K >= INT8_WASM_MIN) ? wasmInt8Gemm() : null;
  if (b instanceof Int8Array) {
    (simd ?? intGemm)(M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc);
    return;
  }
  if (!simd) {
    intGemm(M, N, K, a, aOff, ars, acs, dataOf(b) as Int8Array, bOff, brs, bcs, c, cOff, ldc);
    return;
  }
  simd(M, N, K, a, aOff, ars, acs, NO_B, bOff, brs, bcs, c, cOff, ldc, { constantB: { storage: b.storage, data: () => readData(b) as Int8Array } });
}

/** {@link Int8GemmFn}'s operands, B an Int8Array or a view of an int8 storage (its values then read through `readData`). */
type Int8GemmArgs = Int8GemmOperands<Int8Array | View>;

/** The `b` of a call whose B is read through `constantB` instead. */
const NO_B = new Int8Array(0);

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
