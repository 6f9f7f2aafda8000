/**
 * CPU matrix multiply: a cache-blocked, packed GEMM in plain JS (GotoBLAS-style loop nest).
 *
 *   for j0 in N by NC:                      B block  KC×NC  → packed into NR-wide column panels
 *     for k0 in K by KC:                      (k-major inside a panel: [panel][k][NR])
 *       for i0 in M by MC:                  A block  MC×KC  → packed into MR-tall row panels
 *         for jr in nc by NR:                 ([panel][k][MR]); the B micro-panel stays in L1
 *           for ir in mc by MR:             4×4 micro-kernel: 16 local double accumulators,
 *             for k < kc: C_tile += a·bᵀ      4 + 4 loads and 32 flops per k step
 *
 * Packing converts to Float64Array once, pads edge panels with zeros (so the micro-kernel only
 * ever computes full tiles; edge tiles are stored through a small scratch tile) and makes any
 * input strides (transposed, broadcast stride 0) cost nothing in the hot loop. Sums are kept in
 * doubles within a KC block; C is rounded to float32 between K blocks.
 *
 * Tile choice: 4×4, 4×6, 6×4, 8×4, 4×8, 2×8, 3×4 (Float32 and Float64 packing, k-unrolling, other
 * MC/KC/NC) were measured; on this 2-core AMD EPYC box (Node 20) they all land within noise of
 * each other, the hot loop being instruction-bound (V8 index/bounds checks and register spills),
 * so 4×4 was kept for its cheap edges. Measured single-threaded (2·M·N·K / s, median of 7–21
 * runs after warm-up) when the box is quiet: ≈4.4 GFLOP/s at 256, ≈4.4 at 512, ≈4.3 at 1024;
 * when other jobs load the box, 2.5–3.9. (Naive triple loop: 0.5–0.8.) Skinny products (M or
 * N < 3, e.g. matrix·vector) skip packing and use direct loops.
 *
 * Where WebAssembly SIMD is available, gemm hands all but the smallest products to the f32x4
 * kernel in ./wasm/gemm-kernel.ts (float32 sums within a K block): ≈20–30 GFLOP/s at 256–1024
 * on the same box when quiet, 7–9× this file's loops side by side under load; since operand
 * blocks are copied by memcpy and packed in wasm too (./wasm/pack.ts), 34/42/45/45/44 GFLOP/s at
 * 64/128/256/512/1024 (best of 14 runs, 2-core Xeon under load; JS packing gave 16/23/31/37/38,
 * 57% of the time at 128 was JS packing). int8 operands go to ./matmul-int8.ts. Crossover, measured
 * again with wasm packing: wasm is ahead from M·N·K ≈ 1000 whatever the shape, matrix·vector
 * included (1×784×256: 76–104 µs against 276–371 µs for the JS loops; 1024×1024×1: 0.9 against
 * 1.8 ms), so the switch below is at M·N·K ≥ 1000 alone. Matrix·vector products (M or N = 1)
 * take ./wasm/gemv.ts instead: one pass over the copied matrix, no packing, no padded tiles.
 */
import type { Storage, View } from '../backend';
import { dataOf, outData } from './storage';
import type { WasmGemm } from './wasm/gemm-driver';
import { type GemmFn, threadedGemm, wasmGemm } from './wasm/gemm-kernel';
import { packBlock, splits } from './wasm/gemm-driver';
import { cpuThreads, settlePool } from './threads';
import { denseMatmul } from './dense';
import { wasmGemv } from './wasm/gemv';
import { type GemmPath, int8Gemm } from './matmul-int8';
import { wasmInt8Gemm } from './wasm/int8-gemm';

const MR = 4;
const NR = 4;
const MC = 128; // multiple of MR
const KC = 256;
const NC = 512; // multiple of NR

// Scratch, allocated on first use and reused (gemm is synchronous, so one set suffices).
let packedA: Float64Array | undefined;
let packedB: Float64Array | undefined;
let tile: Float64Array | undefined;
let rowAcc: Float64Array | undefined;

let gemmPath: GemmPath = 'auto';

/**
 * Forces the float and int8 gemms' implementation ('auto', the default, picks by shape and
 * availability), so tests can run every case on both paths. Returns false when 'wasm' is asked
 * for but unavailable.
 * @internal
 */
export function setGemmPath(path: GemmPath): boolean {
  gemmPath = path;
  return path !== 'wasm' || (wasmGemm() !== null && wasmInt8Gemm() !== null);
}

/**
 * The wasm gemm when gemm would use it for an M×N×K product and it can take B built in its own
 * memory (`resident`, see ./wasm/gemm-driver.ts), else null: the convolutions write im2col
 * there directly instead of into a JS buffer that gemm would copy again.
 */
export function residentGemm(M: number, N: number, K: number): ResidentGemm | null {
  if (gemmPath === 'js' || (gemmPath === 'auto' && M * N * K < 1000)) return null;
  const g = floatGemm(M, N, K);
  return g?.resident && g.scratch && g.memory ? (g as ResidentGemm) : null;
}

/**
 * Starts the float gemm's worker threads (when more than one thread is configured) and resolves
 * once they are up: true, or false when products run on one thread.
 */
export async function warmGemmThreads(): Promise<boolean> {
  const g = threadedGemm();
  return g?.warm ? g.warm() : false;
}

/**
 * The wasm gemm for an M×N×K product: the threaded one (shared memory) when more than one thread
 * is configured and the product is large enough to split, else the plain one.
 */
function floatGemm(M: number, N: number, K: number): WasmGemm | null {
  return (cpuThreads() > 1 && splits(M, N, K) && threadedGemm()) || wasmGemm();
}

type ResidentGemm = WasmGemm & Required<Pick<WasmGemm, 'resident' | 'scratch' | 'memory'>>;

/**
 * C[cOff + i·ldc + j] (= or +=, per `accumulate`) Σ_k A[aOff + i·aRowStride + k·aColStride] ·
 * B[bOff + k·bRowStride + j·bColStride], for i < M, j < N. A and B may have any strides
 * (transposed, 0 for broadcast); C rows are `ldc` apart with unit column stride.
 */
export const gemm: GemmFn = (M, N, K, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, c, cOff, ldc, accumulate) => {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
    return;
  }
  if ((M === 1 || N === 1) && (gemmPath === 'wasm' || (gemmPath === 'auto' && M * N * K >= 1000))) {
    const gemv = wasmGemv();
    if (gemv) {
      if (M === 1) gemv(N, K, a, aOff, aColStride, b, bOff, bColStride, bRowStride, c, cOff, 1, accumulate);
      else gemv(M, K, b, bOff, bRowStride, a, aOff, aRowStride, aColStride, c, cOff, ldc, accumulate);
      return;
    }
  }
  if (gemmPath === 'wasm' || (gemmPath === 'auto' && M * N * K >= 1000)) {
    const simd = floatGemm(M, N, K);
    if (simd) {
      simd(M, N, K, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, c, cOff, ldc, accumulate);
      return;
    }
  }
  if (M < 3 || N < 3) {
    gemmSmall(M, N, K, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, c, cOff, ldc, accumulate);
    return;
  }
  const pa = (packedA ??= new Float64Array(MC * KC));
  const pb = (packedB ??= new Float64Array(KC * NC));
  const t = (tile ??= new Float64Array(MR * NR));
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = Math.min(NC, N - j0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = Math.min(KC, K - k0);
      const beta = accumulate || k0 > 0;
      packBlock(nc, kc, kc, NR, b, bOff + k0 * bRowStride + j0 * bColStride, bColStride, bRowStride, pb, 0); // B: NR-wide column panels
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        packBlock(mc, kc, kc, MR, a, aOff + i0 * aRowStride + k0 * aColStride, aRowStride, aColStride, pa, 0); // A: MR-tall row panels
        macroKernel(mc, nc, kc, pa, pb, c, cOff + i0 * ldc + j0, ldc, beta, t);
      }
    }
  }
};

/**
 * Direct loops for skinny products (M or N below a tile), where packing and padded tiles cost
 * more than they save. Walks B along whichever of its axes is closer to contiguous.
 */
const gemmSmall: GemmFn = (M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, accumulate) => {
  if (N < 8 || Math.abs(bcs) > Math.abs(brs)) {
    // Dot products: C[i,j] = A[i,:]·B[:,j], each down a column of B.
    for (let i = 0; i < M; i++) {
      const ai = aOff + i * ars;
      const ci = cOff + i * ldc;
      for (let j = 0; j < N; j++) {
        let s = 0;
        let pa = ai;
        let pb = bOff + j * bcs;
        for (let k = 0; k < K; k++) {
          s += a[pa] * b[pb];
          pa += acs;
          pb += brs;
        }
        c[ci + j] = accumulate ? c[ci + j] + s : s;
      }
    }
    return;
  }
  // Row updates: C[i,:] = Σ_k A[i,k]·B[k,:], summed in doubles along rows of B.
  if (!rowAcc || rowAcc.length < N) rowAcc = new Float64Array(Math.max(N, 256));
  const acc = rowAcc;
  for (let i = 0; i < M; i++) {
    acc.fill(0, 0, N);
    for (let k = 0; k < K; k++) {
      const av = a[aOff + i * ars + k * acs];
      let pb = bOff + k * brs;
      for (let j = 0; j < N; j++) {
        acc[j] += av * b[pb];
        pb += bcs;
      }
    }
    const ci = cOff + i * ldc;
    if (accumulate) for (let j = 0; j < N; j++) c[ci + j] += acc[j];
    else for (let j = 0; j < N; j++) c[ci + j] = acc[j];
  }
};

/** All MR×NR tiles of one packed A block × one packed B block; `beta` adds to C instead of overwriting. */
function macroKernel(
  mc: number,
  nc: number,
  kc: number,
  pa: Float64Array,
  pb: Float64Array,
  c: Float32Array,
  cOff: number,
  ldc: number,
  beta: boolean,
  t: Float64Array,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      let ia = ir * kc;
      let ib = jr * kc;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let k = 0; k < kc; k++) {
        const a0 = pa[ia],
          a1 = pa[ia + 1],
          a2 = pa[ia + 2],
          a3 = pa[ia + 3];
        const b0 = pb[ib],
          b1 = pb[ib + 1],
          b2 = pb[ib + 2],
          b3 = pb[ib + 3];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
        ia += MR;
        ib += NR;
      }
      t[0] = c00;
      t[1] = c01;
      t[2] = c02;
      t[3] = c03;
      t[4] = c10;
      t[5] = c11;
      t[6] = c12;
      t[7] = c13;
      t[8] = c20;
      t[9] = c21;
      t[10] = c22;
      t[11] = c23;
      t[12] = c30;
      t[13] = c31;
      t[14] = c32;
      t[15] = c33;
      // One store path for full and edge tiles keeps the kernel free of rarely-taken branches.
      const ci = cOff + ir * ldc + jr;
      if (beta) {
        for (let i = 0; i < mr; i++) {
          const r = ci + i * ldc,
            s = i * NR;
          for (let j = 0; j < nr; j++) c[r + j] += t[s + j];
        }
      } else {
        for (let i = 0; i < mr; i++) {
          const r = ci + i * ldc,
            s = i * NR;
          for (let j = 0; j < nr; j++) c[r + j] = t[s + j];
        }
      }
    }
  }
}

/**
 * a: [...batch, M, K], b: [...batch, K, N] (same batch shape; broadcast batch dims have stride 0)
 * → out: fresh contiguous float32 [...batch, M, N]. One gemm per batch index (odometer walk),
 * or, when every batch shares one B and A's rows continue evenly across batches (x [B, T, C] @
 * Wᵀ), one gemm of batches·M rows, so that B is packed once.
 */
export function matmul(a: View, b: View, out: Storage): void {
  const r = a.shape.length;
  const M = a.shape[r - 2],
    K = a.shape[r - 1],
    N = b.shape[b.shape.length - 1];
  const int = a.storage.dtype === 'int8'; // int8 × int8 → int32 (the op allows no other mix)
  const ad = dataOf(a),
    bd = int ? null : dataOf(b), // int8: the gemm reads B only when it packs it (./matmul-int8.ts)
    od = outData(out); // every element is written below (K = 0: zeros), so a reused heap block is not cleared first
  const as = a.strides,
    bs = b.strides,
    br = b.shape.length;
  const aRs = as[r - 2],
    aCs = as[r - 1],
    bRs = bs[br - 2],
    bCs = bs[br - 1];
  const nb = r - 2;
  let batches = 1;
  for (let d = 0; d < nb; d++) batches *= a.shape[d];
  if (batches === 0 || M === 0 || N === 0) return;
  const rowStride = batches > 1 ? foldedRowStride(a, b, M) : null;
  // a small float product in the heap (a dense layer's): split across the worker threads by panels
  if (!int && (batches === 1 || rowStride !== null) && smallProduct(batches * M, N, K) && denseMatmul(batches * M, N, K, a, rowStride ?? aRs, aCs, b, out))
    return;
  settlePool(); // the product runs here: a job left running finishes first (deferred, ./threads.ts deferSettle)
  if (rowStride !== null) {
    const rows = batches * M;
    if (int) int8Gemm(rows, N, K, ad as Int8Array, a.offset, rowStride, aCs, b, b.offset, bRs, bCs, od as Int32Array, 0, N, gemmPath);
    else gemm(rows, N, K, ad as Float32Array, a.offset, rowStride, aCs, bd as Float32Array, b.offset, bRs, bCs, od as Float32Array, 0, N, false);
    return;
  }
  const idx = new Array<number>(nb).fill(0);
  let aOff = a.offset,
    bOff = b.offset;
  const mn = M * N;
  for (let t = 0; t < batches; t++) {
    if (int) int8Gemm(M, N, K, ad as Int8Array, aOff, aRs, aCs, b, bOff, bRs, bCs, od as Int32Array, t * mn, N, gemmPath);
    else gemm(M, N, K, ad as Float32Array, aOff, aRs, aCs, bd as Float32Array, bOff, bRs, bCs, od as Float32Array, t * mn, N, false);
    for (let d = nb - 1; d >= 0; d--) {
      const sb = bs[br - r + d];
      idx[d]++;
      aOff += as[d];
      bOff += sb;
      if (idx[d] < a.shape[d]) break;
      aOff -= as[d] * idx[d];
      bOff -= sb * idx[d];
      idx[d] = 0;
    }
  }
}

/** Whether gemm would take the single-threaded wasm kernel for an M×N×K product (not the JS loops, gemv or the tiled threaded gemm). */
const smallProduct = (M: number, N: number, K: number) => gemmPath === 'auto' && M > 1 && N > 1 && M * N * K >= 1000 && !splits(M, N, K);

/**
 * The row stride of A seen as one (batches·M)×K matrix, when B's batch strides are all 0 and
 * A's batch dims continue its rows evenly (size-1 dims ignored); else null.
 */
function foldedRowStride(a: View, b: View, M: number): number | null {
  const nb = a.shape.length - 2,
    off = b.shape.length - a.shape.length;
  for (let d = 0; d < nb; d++) if (a.shape[d] > 1 && b.strides[off + d] !== 0) return null;
  let stride = M > 1 ? a.strides[nb] : null,
    rows = M;
  for (let d = nb - 1; d >= 0; d--) {
    const n = a.shape[d];
    if (n === 1) continue;
    if (stride === null) stride = a.strides[d];
    else if (a.strides[d] !== stride * rows) return null;
    rows *= n;
  }
  return stride ?? a.strides[nb];
}
