/**
 * The parameter words of the GEMM kernels (the float generator in `matmul.wgsl.ts` and the int8
 * one in `matmul-int8.wgsl.ts`), written by {@link gemmParams} and read by {@link GEMM_PARAMS_WGSL}:
 * M, N, K, A's row and k strides, B's k and column strides, the first batch entry of the dispatch,
 * then from word {@link GEMM_PARAM_BASE} the batch layout of A and B (`stridedIndexWgsl` order).
 */
import { type ParamWriter, params } from '../wgsl/params';
import { collapseDims, MAX_STRIDED_RANK } from '../wgsl/strided';

/** The word where the batch layout starts. */
export const GEMM_PARAM_BASE = 8;

/** The batch dims of A and B collapsed; a dummy size-1 dim when none is left. */
export interface GemmBatch {
  shape: number[];
  strides: number[][];
}

/** Collapse the batch dims of A (strides `aStrides`) and B for the batch layout. */
export function gemmBatch(batchShape: readonly number[], aStrides: readonly number[], bStrides: readonly number[]): GemmBatch {
  const c = collapseDims(batchShape, [aStrides, bStrides]);
  if (c.shape.length === 0) {
    c.shape.push(1);
    for (const s of c.strides) s.push(0);
  }
  if (c.shape.length > MAX_STRIDED_RANK) throw new Error(`webgpu matmul: batch rank ${c.shape.length} > ${MAX_STRIDED_RANK} after collapsing`);
  return c;
}

/** One operand's geometry: element offset, stride between rows (M for A, N for B) and along K. */
export interface GemmStrides {
  offset: number;
  rowStride: number;
  kStride: number;
}

/** The words of the dispatch whose first batch entry is `z0`. */
export function gemmParams(M: number, N: number, K: number, a: GemmStrides, b: GemmStrides, z0: number, c: GemmBatch): ParamWriter {
  return params()
    .u32s([M, N, K])
    .i32s([a.rowStride, a.kStride, b.kStride, b.rowStride])
    .u32(z0)
    .u32s(c.shape)
    .u32(a.offset)
    .i32s(c.strides[0])
    .u32(b.offset)
    .i32s(c.strides[1]);
}

/** The head of a GEMM kernel's main: the words as M, N, K, strides, the batch entry z and the bases of A and B (needs `p`, `wg` and `batchOffset`). */
export const GEMM_PARAMS_WGSL = `let M = p[0]; let N = p[1]; let K = p[2];
  let aSm = bitcast<i32>(p[3]); let aSk = bitcast<i32>(p[4]);
  let bSk = bitcast<i32>(p[5]); let bSn = bitcast<i32>(p[6]);
  let z = wg.z + p[7];
  let aBase = bitcast<i32>(batchOffset(z, 0u));
  let bBase = bitcast<i32>(batchOffset(z, 1u));`;
