/**
 * WebAssembly SIMD int8 × int8 → int32 GEMM. Widening multiply-add: operands are sign-extended
 * to int16 and multiplied in pairs by `i32x4.dot_i16x8_s` (lane l = a₂ₗ·b₂ₗ + a₂ₗ₊₁·b₂ₗ₊₁), so
 * each instruction does 8 multiplies and 4 adds where the float kernel's f32x4.mul does 4.
 *
 *   copy A, B (int8, any strides) → wasm memory, zero-padded: lines (rows of A, columns of B)
 *                                   to the tile, K to a multiple of 8; kept in whichever
 *                                   orientation the source is contiguous in (one memcpy per line)
 *   for i0 in M by MS, j0 in N by NC, k0 in K by KC, i1 in M by MC  (as ./gemm-kernel.ts)
 *     pack (in wasm SIMD): B block → NR-wide panels, A block → MR-tall panels, each element a
 *       pair (x[k], x[k+1]) of int16: [panel][k/2][NR or MR][2]
 *     kernel (in wasm): the float kernel's loop with dot_i16x8_s + i32x4.add, int32 stage
 *
 * Exactness: |a·b| ≤ 128·128 = 2¹⁴ and a dot lane sums two of them (≤ 2¹⁵), so nothing
 * overflows before the i32 accumulation; sums of up to K = 131,071 products are exact for any
 * int8 values. Beyond that the int32 sums wrap modulo 2³² (i32x4.add), exactly as the JS path's
 * Int32Array and the WebGPU kernel do, so every path returns the same int32 for any K.
 */
import type { Blocking, KernelShape } from './gemm-kernel';
import { wasmModule } from './modules';
import { copyIn } from './pack';

/** C[cOff + i·ldc + j] = Σ_k A[aOff + i·ars + k·acs]·B[bOff + k·brs + j·bcs] (int32, wrapping). */
export type Int8GemmFn = (
  M: number,
  N: number,
  K: number,
  a: Int8Array,
  aOff: number,
  aRowStride: number,
  aColStride: number,
  b: Int8Array,
  bOff: number,
  bRowStride: number,
  bColStride: number,
  c: Int32Array,
  cOff: number,
  ldc: number,
) => void;

/** {@link Int8GemmFn} with {@link Int8GemmHooks} last. */
export type Int8GemmFusedFn = (...args: [...Parameters<Int8GemmFn>, Int8GemmHooks?]) => void;

/**
 * Optional fusions of an int8 gemm call, for callers that build B or consume C themselves:
 * - `fillB(mem, base, ld)`: write B (int8 [K, N], row k at byte base + k·ld, ld ≥ N) straight into
 *   the module's memory instead of copying it from `b` (which is then ignored); the driver zeroes
 *   the padding (columns N…ld, rows K…K rounded up to 8) afterwards;
 * - `epilogue(mem, i0, j0, rows, cols, at, ld, spare)`: called for each finished block of C —
 *   rows i0…i0+rows, columns j0…j0+cols as int32 at byte `at` of `mem`, row pitch `ld` int32s —
 *   instead of copying it to `c` (then ignored). It may overwrite the block in place (up to the
 *   row pitch) and use the block-sized area at byte `spare` and bytes 0…63 as scratch;
 * - `columnAlign`: make the column blocks (but the last) a multiple of this many columns where
 *   the blocking allows it (e.g. whole images of a convolution).
 * With hooks, K must be > 0.
 */
export interface Int8GemmHooks {
  fillB?: (mem: Int8Array, base: number, ld: number) => void;
  epilogue?: (mem: WebAssembly.Memory, i0: number, j0: number, rows: number, cols: number, at: number, ld: number, spare: number) => void;
  columnAlign?: number;
}

export const INT8_TILE: KernelShape = { mr: 4, nr: 8, unroll: 1 };
// KC counts k (int8), a multiple of 8; packed blocks take 2 bytes per element.
const INT8_BLOCKING: Blocking = { mc: 128, kc: 512, nc: 512, ms: 1024 };

/**
 * Compiles the kernel and packing modules over one shared memory and returns the int8 gemm,
 * or null when WebAssembly SIMD is unavailable or anything fails (callers fall back to JS).
 * Tiles: mr and nr 4 or 8, unroll 1, 2 or 4 (k pairs per kernel step: blocks hold 8·n k).
 */
export function createWasmInt8Gemm(blocking: Blocking = INT8_BLOCKING, tile: KernelShape = INT8_TILE): Int8GemmFn | null {
  const { mr, nr, unroll } = tile;
  if (![4, 8].includes(mr) || ![4, 8].includes(nr) || ![1, 2, 4].includes(unroll))
    throw new RangeError(`createWasmInt8Gemm: tile ${mr}×${nr}, unroll ${unroll}`);
  try {
    if (typeof WebAssembly !== 'object') return null;
    const kernelBytes = wasmModule('gemm', tile, true),
      packBytes = wasmModule('pack', mr, nr, 'i8');
    if (!WebAssembly.validate(kernelBytes) || !WebAssembly.validate(packBytes)) return null;
    const mem = new WebAssembly.Memory({ initial: 2 }); // 2 pages: what ./quantized.ts's module imports, for epilogues
    const env = { env: { mem } };
    const kernel = new WebAssembly.Instance(new WebAssembly.Module(kernelBytes), env).exports.gemm as Fn;
    const pack = new WebAssembly.Instance(new WebAssembly.Module(packBytes), env).exports as Record<string, Fn>;
    return makeInt8Driver(kernel, pack, mem, blocking, tile);
  } catch {
    return null;
  }
}

type Fn = (...args: number[]) => void;
let cached: Int8GemmFn | null | undefined;

/** The default wasm int8 gemm with hooks (the same function), or null when unavailable. */
export function wasmInt8GemmFused(): Int8GemmFusedFn | null {
  return wasmInt8Gemm() as Int8GemmFusedFn | null;
}

/** The default wasm int8 gemm, created on first use; null when unavailable (then never retried). */
export function wasmInt8Gemm(): Int8GemmFn | null {
  if (cached === undefined) cached = createWasmInt8Gemm();
  return cached;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;
const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;
/** Bytes reserved at the start of the memory for the hooks' scratch. */
const SCRATCH = 64;
/** Largest int32 stage a widened column block may take. */
const STAGE_BYTES = 1 << 21;

function makeInt8Driver(kernel: Fn, pack: Record<string, Fn>, mem: WebAssembly.Memory, blocking: Blocking, { mr, nr }: KernelShape): Int8GemmFusedFn {
  const MC = Math.max(mr, blocking.mc - (blocking.mc % mr)),
    MS = Math.max(MC, blocking.ms - (blocking.ms % MC));
  const NC = Math.max(nr, blocking.nc - (blocking.nc % nr)),
    KC = Math.max(8, blocking.kc - (blocking.kc % 8));
  let i8 = new Int8Array(mem.buffer),
    i32v = new Int32Array(mem.buffer);
  return (M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, hooks) => {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
      for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
      return;
    }
    const Kp = roundUp(K, 8),
      Mp = roundUp(M, mr),
      Np = roundUp(N, nr);
    const ms = Math.min(MS, Mp),
      kcMax = Math.min(KC, Kp),
      mcMax = Math.min(MC, ms);
    // short K: wider column blocks, as long as the packed B block stays within NC·KC's bytes and
    // the stage within STAGE_BYTES (fewer blocks: fewer kernel calls and epilogue runs)
    const wide = Math.floor(Math.min((NC * KC) / kcMax, STAGE_BYTES / (4 * ms)) / nr) * nr;
    let ncMax = Math.max(NC, wide);
    const align = hooks?.columnAlign ? lcm(hooks.columnAlign, nr) : 0;
    if (align && ncMax >= align) ncMax -= ncMax % align;
    const nc = Math.min(ncMax, Np);
    // Byte layout: [raw A | raw B | packed A block | packed B block | int32 stage], 64-aligned;
    // 8 bytes of slack after raw A/B for the 8-byte loads of 4-wide row packing.
    const al = (n: number) => roundUp(n, 64);
    const rawA = SCRATCH,
      rawB = rawA + al(Mp * Kp + 8),
      pA = rawB + al(Np * Kp + 8),
      pB = pA + al(mcMax * kcMax * 2),
      stage = pB + al(kcMax * nc * 2);
    const spare = stage + ms * nc * 4;
    const bytes = hooks?.epilogue ? spare + ms * nc * 4 : spare;
    if (bytes > mem.buffer.byteLength) {
      mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
      i8 = new Int8Array(mem.buffer); // growing detaches the old buffer
      i32v = new Int32Array(mem.buffer);
    }
    const ra = copyIn(a, aOff, ars, acs, M, K, Mp, Kp, i8, rawA);
    let rb: { base: number; ld: number; lines: boolean };
    if (hooks?.fillB) {
      hooks.fillB(i8, rawB, Np);
      for (let k = 0; k < K; k++) i8.fill(0, rawB + k * Np + N, rawB + (k + 1) * Np);
      i8.fill(0, rawB + K * Np, rawB + Kp * Np);
      rb = { base: rawB, ld: Np, lines: false };
    } else rb = copyIn(b, bOff, bcs, brs, N, K, Np, Kp, i8, rawB);
    const ldS = nc; // stage row pitch, in int32s
    for (let i0 = 0; i0 < M; i0 += MS) {
      const mRows = Math.min(MS, M - i0);
      for (let j0 = 0; j0 < N; j0 += ncMax) {
        const nCols = Math.min(ncMax, N - j0),
          nPanels = Math.ceil(nCols / nr);
        for (let k0 = 0; k0 < Kp; k0 += KC) {
          const kc = Math.min(KC, Kp - k0);
          if (rb.lines) pack.packLinesB(rb.base + j0 * rb.ld + k0, rb.ld, pB, nPanels, kc / 8);
          else pack.packRowsB(rb.base + k0 * rb.ld + j0, rb.ld, pB, nPanels, kc / 2);
          for (let i1 = 0; i1 < mRows; i1 += MC) {
            const rows = Math.min(MC, mRows - i1),
              mPanels = Math.ceil(rows / mr),
              i = i0 + i1;
            if (ra.lines) pack.packLinesA(ra.base + i * ra.ld + k0, ra.ld, pA, mPanels, kc / 8);
            else pack.packRowsA(ra.base + k0 * ra.ld + i, ra.ld, pA, mPanels, kc / 2);
            kernel(pA, pB, stage + i1 * ldS * 4, mPanels, nPanels, kc / 2, ldS * 4, k0 > 0 ? 1 : 0);
          }
        }
        if (hooks?.epilogue) {
          hooks.epilogue(mem, i0, j0, mRows, nCols, stage, ldS, spare);
          continue;
        }
        const s0 = stage >> 2;
        for (let i = 0; i < mRows; i++) {
          const s = s0 + i * ldS;
          c.set(i32v.subarray(s, s + nCols), cOff + (i0 + i) * ldc + j0);
        }
      }
    }
  };
}
