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
import { Code, ValType, encodeModule } from './encoder';
import { emitGemmKernel, type Blocking, type KernelShape } from './gemm-kernel';

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

const { i32, v128 } = ValType;
const lanes32 = (ls: number[]) => ls.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]);
const lanes16 = (ls: number[]) => ls.flatMap((l) => [l * 2, l * 2 + 1]);

/**
 * `packLines(src, ld, dst, panels, k8)`: the source holds lines (k contiguous, `ld` bytes apart);
 * writes `panels` panels of `w` lines × 8·k8 k as int16 pairs [panel][k/2][w]. Per 8 k and 4
 * lines: four sign-extending 8-byte loads (each 4 pairs) and a 4×4 transpose of 32-bit lanes.
 */
function emitPackLines(w: number): Code {
  const [src, ld, dst, panels, k8] = [0, 1, 2, 3, 4];
  const kk = 5,
    line = (i: number) => 6 + i,
    base = 6 + w;
  const v = (i: number) => 7 + w + i,
    t = (i: number) => 11 + w + i;
  const f = new Code();
  f.get(src).set(base);
  f.loop();
  for (let i = 0; i < w; i++) {
    f.get(base);
    if (i > 0) f.get(ld).i32Const(i).i32Mul().i32Add();
    f.set(line(i));
  }
  f.get(k8).set(kk);
  f.loop();
  for (let g = 0; g < w / 4; g++) {
    for (let i = 0; i < 4; i++)
      f.get(line(4 * g + i))
        .v128Load8x8S()
        .set(v(i));
    // v_i = pairs 0..3 of line i → t → o_q = pair q of lines 0..3
    f.get(v(0))
      .get(v(1))
      .i8x16Shuffle(lanes32([0, 4, 1, 5]))
      .set(t(0));
    f.get(v(2))
      .get(v(3))
      .i8x16Shuffle(lanes32([0, 4, 1, 5]))
      .set(t(1));
    f.get(v(0))
      .get(v(1))
      .i8x16Shuffle(lanes32([2, 6, 3, 7]))
      .set(t(2));
    f.get(v(2))
      .get(v(3))
      .i8x16Shuffle(lanes32([2, 6, 3, 7]))
      .set(t(3));
    for (let q = 0; q < 4; q++) {
      const [x, y] = q < 2 ? [t(0), t(1)] : [t(2), t(3)];
      f.get(dst)
        .get(x)
        .get(y)
        .i8x16Shuffle(lanes32(q % 2 === 0 ? [0, 1, 4, 5] : [2, 3, 6, 7]))
        .v128Store((q * w + 4 * g) * 4);
    }
  }
  for (let i = 0; i < w; i++) f.get(line(i)).i32Const(8).i32Add().set(line(i));
  f.get(dst)
    .i32Const(16 * w)
    .i32Add()
    .set(dst);
  f.get(kk).i32Const(1).i32Sub().tee(kk).brIf(0);
  f.end();
  f.get(base).get(ld).i32Const(w).i32Mul().i32Add().set(base);
  f.get(panels).i32Const(1).i32Sub().tee(panels).brIf(0);
  f.end();
  return f;
}

/**
 * `packRows(src, ld, dst, panels, kp)`: the source holds rows of k (lines contiguous, `ld`
 * bytes apart); writes `panels` panels of `w` lines × 2·kp k as [panel][k/2][w] int16 pairs.
 * Per pair of rows: two sign-extending loads, interleaved by a shuffle.
 */
function emitPackRows(w: number): Code {
  const [src, ld, dst, panels, kp] = [0, 1, 2, 3, 4];
  const [q, r, base, a, b] = [5, 6, 7, 8, 9];
  const f = new Code();
  f.get(src).set(base);
  f.loop();
  f.get(base).set(r).get(kp).set(q);
  f.loop();
  f.get(r).v128Load8x8S().set(a);
  f.get(r).get(ld).i32Add().v128Load8x8S().set(b);
  f.get(dst)
    .get(a)
    .get(b)
    .i8x16Shuffle(lanes16([0, 8, 1, 9, 2, 10, 3, 11]))
    .v128Store(0);
  if (w === 8)
    f.get(dst)
      .get(a)
      .get(b)
      .i8x16Shuffle(lanes16([4, 12, 5, 13, 6, 14, 7, 15]))
      .v128Store(16);
  f.get(dst)
    .i32Const(4 * w)
    .i32Add()
    .set(dst);
  f.get(r).get(ld).i32Const(2).i32Mul().i32Add().set(r);
  f.get(q).i32Const(1).i32Sub().tee(q).brIf(0);
  f.end();
  f.get(base).i32Const(w).i32Add().set(base);
  f.get(panels).i32Const(1).i32Sub().tee(panels).brIf(0);
  f.end();
  return f;
}

/** The packing module: packLines/packRows for A (width mr) and B (width nr), each 4 or 8. */
export function emitInt8PackModule(mr: number, nr: number): Uint8Array<ArrayBuffer> {
  const fn = (body: Code, w: number, name: string, lines: boolean) => ({
    params: new Array<ValType>(5).fill(i32),
    results: [],
    locals: lines ? [...new Array<ValType>(w + 2).fill(i32), ...new Array<ValType>(8).fill(v128)] : [i32, i32, i32, v128, v128],
    body,
    export: name,
  });
  return encodeModule({
    memory: { import: { module: 'env', field: 'mem' }, minPages: 1 },
    funcs: [
      fn(emitPackLines(mr), mr, 'packLinesA', true),
      fn(emitPackRows(mr), mr, 'packRowsA', false),
      fn(emitPackLines(nr), nr, 'packLinesB', true),
      fn(emitPackRows(nr), nr, 'packRowsB', false),
    ],
  });
}

const INT8_TILE: KernelShape = { mr: 4, nr: 8, unroll: 1 };
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
    const kernelBytes = emitGemmKernel(tile, true),
      packBytes = emitInt8PackModule(mr, nr);
    if (!WebAssembly.validate(kernelBytes) || !WebAssembly.validate(packBytes)) return null;
    const mem = new WebAssembly.Memory({ initial: 1 });
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

/** The default wasm int8 gemm, created on first use; null when unavailable (then never retried). */
export function wasmInt8Gemm(): Int8GemmFn | null {
  if (cached === undefined) cached = createWasmInt8Gemm();
  return cached;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** One operand copied into wasm memory: `lines` (k contiguous) or `rows` (lines contiguous). */
interface Raw {
  base: number;
  ld: number;
  lines: boolean;
}

function makeInt8Driver(kernel: Fn, pack: Record<string, Fn>, mem: WebAssembly.Memory, blocking: Blocking, { mr, nr }: KernelShape): Int8GemmFn {
  const MC = Math.max(mr, blocking.mc - (blocking.mc % mr)),
    MS = Math.max(MC, blocking.ms - (blocking.ms % MC));
  const NC = Math.max(nr, blocking.nc - (blocking.nc % nr)),
    KC = Math.max(8, blocking.kc - (blocking.kc % 8));
  let i8 = new Int8Array(mem.buffer),
    i32v = new Int32Array(mem.buffer);
  return (M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc) => {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
      for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
      return;
    }
    const Kp = roundUp(K, 8),
      Mp = roundUp(M, mr),
      Np = roundUp(N, nr);
    const ms = Math.min(MS, Mp),
      nc = Math.min(NC, Np),
      kcMax = Math.min(KC, Kp),
      mcMax = Math.min(MC, ms);
    // Byte layout: [raw A | raw B | packed A block | packed B block | int32 stage], 64-aligned;
    // 8 bytes of slack after raw A/B for the 8-byte loads of 4-wide row packing.
    const al = (n: number) => roundUp(n, 64);
    const rawA = 0,
      rawB = al(Mp * Kp + 8),
      pA = rawB + al(Np * Kp + 8),
      pB = pA + al(mcMax * kcMax * 2),
      stage = pB + al(kcMax * nc * 2);
    const bytes = stage + ms * nc * 4;
    if (bytes > mem.buffer.byteLength) {
      mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
      i8 = new Int8Array(mem.buffer); // growing detaches the old buffer
      i32v = new Int32Array(mem.buffer);
    }
    const ra = copyIn(a, aOff, ars, acs, M, K, Mp, Kp, i8, rawA);
    const rb = copyIn(b, bOff, bcs, brs, N, K, Np, Kp, i8, rawB);
    const ldS = nc; // stage row pitch, in int32s
    for (let i0 = 0; i0 < M; i0 += MS) {
      const mRows = Math.min(MS, M - i0);
      for (let j0 = 0; j0 < N; j0 += NC) {
        const nCols = Math.min(NC, N - j0),
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
        const s0 = stage >> 2;
        for (let i = 0; i < mRows; i++) {
          const s = s0 + i * ldS;
          c.set(i32v.subarray(s, s + nCols), cOff + (i0 + i) * ldc + j0);
        }
      }
    }
  };
}

/**
 * Copies an operand's L lines × K (element (l, k) at off + l·ls + k·ks) into `dst` at `base`,
 * zero-padded to Lp × Kp: as lines of Kp bytes when k is contiguous (ks = 1) or the source is
 * neither way contiguous, else as Kp rows of Lp bytes (ls = 1). Contiguous runs go by memcpy.
 */
function copyIn(src: Int8Array, off: number, ls: number, ks: number, L: number, K: number, Lp: number, Kp: number, dst: Int8Array, base: number): Raw {
  if (ks === 1 || ls !== 1) {
    if (ks === 1 && ls === K && K === Kp) dst.set(src.subarray(off, off + L * K), base);
    else
      for (let l = 0; l < L; l++) {
        const d = base + l * Kp,
          o = off + l * ls;
        if (ks === 1) dst.set(src.subarray(o, o + K), d);
        else for (let k = 0; k < K; k++) dst[d + k] = src[o + k * ks];
        if (Kp > K) dst.fill(0, d + K, d + Kp);
      }
    dst.fill(0, base + L * Kp, base + Lp * Kp);
    return { base, ld: Kp, lines: true };
  }
  if (ks === L && L === Lp) dst.set(src.subarray(off, off + K * L), base);
  else
    for (let k = 0; k < K; k++) {
      const d = base + k * Lp;
      dst.set(src.subarray(off + k * ks, off + k * ks + L), d);
      if (Lp > L) dst.fill(0, d + L, d + Lp);
    }
  dst.fill(0, base + K * Lp, base + Kp * Lp);
  return { base, ld: Lp, lines: false };
}
