// Over ~650 lines: one blocking driver for the standard and the relaxed-SIMD int8 kernels, on the
// calling thread and split across the worker pool, with B packed per call or held (./int8-packed-b.ts
// keeps the blocks); the variants share its copy/pack/stage steps, so they stay in one closure.
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
 *
 * Threads: with more than one CPU thread, the default gemm hands plain products large enough to
 * split (../wasm/gemm-driver.ts `splits`) to a twin over a shared memory, whose kernel calls (tiles
 * × groups of B panels, per block; packing stays on the calling thread) run as chunks of the
 * worker pool (../thread-pool.ts); with B held (a layer's weight), A is packed for every block of k
 * first and one job's chunks each run all the blocks of k of their columns (one join a product).
 * Each chunk computes whole tiles, so the bytes never change.
 */
import { functionIndex, MAX_CALLS, MAX_CHUNKS, type ThreadPool } from '../thread-pool';
import { cpuThreads, poolFor, registerPoolGroup } from '../threads';
import { isSharedMemory } from './encoder';
import { type Blocking, type KernelShape, sharedMemory } from './gemm-kernel';
import { splits } from './gemm-driver';
import { chunkStarts, heapSplit } from './heap-pool';
import { wasmModule } from './modules';
import { relaxedDotAddWorks, relaxedDotU8Works, relaxedKernelFaster } from './int8-dot';
import { copyIn, type Raw } from './pack';
import { HeldOperands, type HeldB } from './int8-packed-b';
import type { Storage } from '../../backend';
import { dropDerived, type CpuStorage } from '../storage';

/** The operands of an int8 gemm, its B given as `B` (an Int8Array here; ../matmul-int8.ts also takes a view). */
export type Int8GemmOperands<B> = [
  M: number,
  N: number,
  K: number,
  a: Int8Array,
  aOff: number,
  aRowStride: number,
  aColStride: number,
  b: B,
  bOff: number,
  bRowStride: number,
  bColStride: number,
  c: Int32Array,
  cOff: number,
  ldc: number,
];

/** C[cOff + i·ldc + j] = Σ_k A[aOff + i·ars + k·acs]·B[bOff + k·brs + j·bcs] (int32, wrapping). */
export type Int8GemmFn = (...args: Int8GemmOperands<Int8Array>) => void;

/** {@link Int8GemmFn} with {@link Int8GemmHooks} last. */
export type Int8GemmFusedFn = (...args: [...Parameters<Int8GemmFn>, Int8GemmHooks?]) => void;

/**
 * Optional fusions of an int8 gemm call, for callers that build B or consume C themselves:
 * - `fillB(mem, base, ld)`: write B (int8 [K, N], row k at byte base + k·ld, ld ≥ N) straight into
 *   the module's memory instead of copying it from `b` (which is then ignored); the driver zeroes
 *   the padding (columns N…ld, rows K…K rounded up to 8) afterwards;
 * - `epilogue(mem, i0, j0, rows, cols, at, ld, spare, table)`: called for each finished block of C —
 *   rows i0…i0+rows, columns j0…j0+cols as int32 at byte `at` of `mem`, row pitch `ld` int32s —
 *   instead of copying it to `c` (then ignored). It may overwrite the block in place (up to the
 *   row pitch) and use the block-sized area at byte `spare`, 16 bytes a row at byte `table` and
 *   bytes 0…63 as scratch;
 * - `bShift`: with `fillB`, B was written shifted into [0, 127] (see {@link sevenBitShift}), so the
 *   relaxed kernel may run; the result is the unshifted product all the same;
 * - `columnAlign`: make the column blocks (but the last) a multiple of this many columns where
 *   the blocking allows it (e.g. whole images of a convolution);
 * - `constantB`: B (`b` then ignored) is the int8 storage `storage`, its values `data()` (read
 *   only when the gemm packs them): from its second use with the same geometry the gemm keeps it
 *   packed between calls (./int8-packed-b.ts) until its values are accessed or it is freed.
 *   Alone, it lets a large product split across threads as a plain call does.
 * With hooks, K must be > 0 (but with `constantB` alone).
 */
export interface Int8GemmHooks {
  fillB?: (mem: Int8Array, base: number, ld: number) => void;
  /** With `fillB`: it wrote B + bShift (mod 256), every value in [0, 127] — the relaxed kernel's operand where available. */
  bShift?: 0 | 128;
  epilogue?: (mem: WebAssembly.Memory, i0: number, j0: number, rows: number, cols: number, at: number, ld: number, spare: number, table: number) => void;
  columnAlign?: number;
  constantB?: { storage: Storage; data: () => Int8Array };
}

export const INT8_TILE: KernelShape = { mr: 4, nr: 8, unroll: 1 };
/** Tile of the relaxed-SIMD kernel (./int8-dot.ts): 4×8 measured as fast as 3×12, 6×8 and 4×12 (±3%). */
export const INT8_DOT_TILE: KernelShape = { mr: 4, nr: 8, unroll: 1 };
// KC counts k (int8), a multiple of 16.
const INT8_BLOCKING: Blocking = { mc: 128, kc: 512, nc: 512, ms: 1024 };

type Fn = (...args: number[]) => void;

/** A kernel with its packing: K padded to `kAlign`; `packed` bytes per element; pack/kernel step sizes in k. */
interface Scheme {
  kAlign: number;
  packed: number;
  lineStep: number;
  rowStep: number;
  kernelStep: number;
  pack: Record<string, Fn>;
}

/** The relaxed kernel: both variants (which operand is the [0, 127] one) and its packing. */
interface DotScheme extends Scheme {
  gemmA: Fn;
  gemmB: Fn;
  /** '' with the fused dot-add kernels, '3' with the three-instruction ones. */
  fused: '' | '3';
  /** Whether the fused kernel is exact with any unsigned byte as its 7-bit operand ({@link relaxedDotU8Works}): then any int8 operand, stored +128, may take it. */
  wide: boolean;
}

/** An {@link Int8GemmFusedFn} with how many calls each kernel served (tests read them). */
export type Int8Gemm = Int8GemmFusedFn & {
  readonly relaxed: boolean;
  /** Whether the relaxed kernel takes any int8 operand (stored +128), not only 7-bit ones (see `relaxedDotU8Works` in ./int8-dot.ts). */
  readonly wide: boolean;
  readonly calls: { standard: number; relaxed: number };
};

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;

/**
 * Compiles the kernel and packing modules over one shared memory and returns the int8 gemm,
 * or null when WebAssembly SIMD is unavailable or anything fails (callers fall back to JS).
 * Tiles: mr and nr 4 or 8, unroll 1, 2 or 4 (k pairs per kernel step: blocks hold 8·n k).
 * With `relaxed` and an engine with relaxed SIMD, products whose first or second operand lies in
 * [0, 127] or in [−128, −1] run the relaxed kernel of ./int8-dot.ts (the same results): `true`
 * always, `'auto'` (the default) where a start-up timing finds it faster than the standard kernel
 * (`relaxedKernelFaster`), `false` never; `AIMODEL_CPU_RELAXED=1` or `=0` in the environment sets
 * the default to `true` or `false`. `threading`: see {@link Int8Split}.
 */
export function createWasmInt8Gemm(
  blocking: Blocking = INT8_BLOCKING,
  tile: KernelShape = INT8_TILE,
  relaxed: boolean | 'auto' = env?.AIMODEL_CPU_RELAXED === '0' ? false : env?.AIMODEL_CPU_RELAXED === '1' || 'auto',
  threading: Int8Split = {},
): Int8Gemm | null {
  const { mr, nr, unroll } = tile;
  if (![4, 8].includes(mr) || ![4, 8].includes(nr) || ![1, 2, 4].includes(unroll))
    throw new RangeError(`createWasmInt8Gemm: tile ${mr}×${nr}, unroll ${unroll}`);
  try {
    if (typeof WebAssembly !== 'object') return null;
    // 2 pages: what ./quantized.ts's module imports, for epilogues (which shared twins never run)
    const mem = threading.shared ? sharedMemory() : new WebAssembly.Memory({ initial: 2 });
    if (!mem) return null;
    const shared = isSharedMemory(mem);
    const kernelBytes = wasmModule('gemm', tile, true, shared),
      packBytes = wasmModule('pack', mr, nr, 'i8', shared);
    if (!WebAssembly.validate(kernelBytes) || !WebAssembly.validate(packBytes)) return null;
    const env = { env: { mem } };
    const modules: WebAssembly.Module[] = [new WebAssembly.Module(kernelBytes)];
    const instance = (bytes: Uint8Array<ArrayBuffer> | WebAssembly.Module) =>
      new WebAssembly.Instance(bytes instanceof WebAssembly.Module ? bytes : new WebAssembly.Module(bytes), env).exports as Record<string, Fn>;
    const std: Scheme & { kernel: Fn } = {
      kAlign: 8,
      packed: 2,
      lineStep: 8,
      rowStep: 2,
      kernelStep: 2,
      pack: instance(packBytes),
      kernel: instance(modules[0]).gemm,
    };
    let dot: DotScheme | null = null;
    if (relaxed !== false && mr === INT8_DOT_TILE.mr && nr === INT8_DOT_TILE.nr) {
      const dk = wasmModule('int8Dot', INT8_DOT_TILE, shared),
        dp = wasmModule('int8DotPack', INT8_DOT_TILE.mr, INT8_DOT_TILE.nr, shared);
      if (WebAssembly.validate(dk) && WebAssembly.validate(dp)) {
        modules.push(new WebAssembly.Module(dk));
        const k = instance(modules[1]);
        // the fused dot where the engine computes it exactly (bytes 0…63: scratch)
        const fused = relaxedDotAddWorks(k.probe, mem, 0) ? '' : '3';
        // and the relaxed kernel at all only where it is the faster one (memory from byte 64: scratch)
        if (relaxed === true || relaxedKernelFaster(std.kernel, k[`gemmA${fused}`], INT8_DOT_TILE, mem, 64))
          dot = {
            kAlign: 16,
            packed: 1,
            lineStep: 16,
            rowStep: 4,
            kernelStep: 4,
            pack: instance(dp),
            gemmA: k[`gemmA${fused}`],
            gemmB: k[`gemmB${fused}`],
            fused,
            wide: fused === '' && relaxedDotU8Works(k.probe, mem, 0),
          };
      }
    }
    let threads: Int8Threading | null = null;
    if (shared) {
      // workers run the kernels (packing stays on the calling thread); a pool started later includes them
      registerPoolGroup(mem, modules);
      threads = {
        modules,
        kernel: functionIndex(modules, 0, 'gemm'),
        gemmA: dot ? functionIndex(modules, 1, `gemmA${dot.fused}`) : -1,
        gemmB: dot ? functionIndex(modules, 1, `gemmB${dot.fused}`) : -1,
      };
    }
    return makeInt8Driver(std, dot, mem, blocking, tile, threads, threading);
  } catch {
    return null;
  }
}

/**
 * How an int8 gemm uses the worker pool: `shared`, it lives in a shared memory and splits large
 * products itself (plain calls only: JS copies into a SharedArrayBuffer, as fused B fills and
 * epilogues make, are slower); else `split` (if given) is the shared gemm that its large plain
 * calls go to when more than one thread is configured; `calls` counts its kernels' calls too.
 */
export interface Int8Split {
  shared?: boolean;
  split?: () => Int8Gemm | null;
  calls?: { standard: number; relaxed: number };
}

/** The modules a pool runs for a threaded int8 gemm, and its kernels' numbers there (−1: no relaxed kernel). */
interface Int8Threading {
  modules: readonly WebAssembly.Module[];
  kernel: number;
  gemmA: number;
  gemmB: number;
}

let cached: Int8Gemm | null | undefined;
let cachedShared: Int8Gemm | null | undefined;

/** The shared-memory twin of the default gemm (its large plain products on several threads), counting into its `calls`. */
function sharedInt8Gemm(): Int8Gemm | null {
  if (cachedShared === undefined)
    cachedShared = cached ? createWasmInt8Gemm(undefined, undefined, cached.relaxed, { shared: true, calls: cached.calls }) : null;
  return cachedShared;
}

/** The default wasm int8 gemm with hooks (the same function), or null when unavailable. */
export function wasmInt8GemmFused(): Int8GemmFusedFn | null {
  return wasmInt8Gemm() as Int8GemmFusedFn | null;
}

/** The default wasm int8 gemm, created on first use; null when unavailable (then never retried). */
export function wasmInt8Gemm(): Int8Gemm | null {
  if (cached === undefined) {
    cached = createWasmInt8Gemm(undefined, undefined, undefined, { split: sharedInt8Gemm });
    if (cpuThreads() > 1) sharedInt8Gemm(); // its group joins the pool when that starts (not a restart later)
  }
  return cached;
}

let relaxedOn = true;
/** Whether B operands marked constant are kept packed between calls (`AIMODEL_CPU_HOLD=0`: never, for comparisons). */
const holdB = env?.AIMODEL_CPU_HOLD !== '0';

/** Whether the default int8 gemm runs the relaxed-SIMD kernel where the operands allow it. */
export const int8RelaxedAvailable = (): boolean => relaxedOn && wasmInt8Gemm()?.relaxed === true;

/**
 * Lets the int8 gemms use their relaxed-SIMD kernel (true, the default) or not (false), so tests
 * compare the two paths; returns whether the default gemm has one. @internal
 */
export function setInt8Relaxed(on: boolean): boolean {
  relaxedOn = on;
  return wasmInt8Gemm()?.relaxed === true;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;
const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;
/** Bytes reserved at the start of the memory for the hooks' scratch. */
const SCRATCH = 64;
/** Largest int32 stage a widened column block may take. */
const STAGE_BYTES = 1 << 21;
/** The top bit of each byte of an int32 word. */
const TOP = 0x80808080 | 0;
/** Below this many lines on the other side, scanning an operand for the relaxed kernel does not repay. */
const SCAN_MIN = 16;
/** Below this many lines of its own, an operand stored +128 does not repay the other's sums. */
const SHIFT_MIN = 8;

/**
 * Whether the n int8 values d[from…from+n) all lie in [0, 127] (0), all in [−128, −1] (128), or
 * neither (null): the top bits of the bytes, ANDed and ORed four at a time.
 */
export function sevenBitShift(d: Int8Array, from: number, n: number): 0 | 128 | null {
  let and = -1,
    or = 0,
    i = from;
  const end = from + n;
  for (; i < end && (d.byteOffset + i) % 4 !== 0; i++) {
    and &= d[i];
    or |= d[i];
  }
  const words = (end - i) >> 2;
  if (words > 0) {
    const w = new Int32Array(d.buffer, d.byteOffset + i, words);
    let wa = -1,
      wo = 0;
    for (let t = 0; t < words; t++) {
      wa &= w[t];
      wo |= w[t];
      if ((t & 1023) === 1023 && wo & TOP && (wa & TOP) !== TOP) return null; // mixed already
    }
    and &= (wa & TOP) === TOP ? -1 : 0;
    or |= wo & TOP ? 0x80 : 0;
    i += words * 4;
  }
  for (; i < end; i++) {
    and &= d[i];
    or |= d[i];
  }
  if ((or & 0x80) === 0) return 0;
  return and & 0x80 ? 128 : null;
}

/** {@link sevenBitShift} of an L×K operand (element (l, k) at off + l·ls + k·ks) when it is one contiguous run, else null. */
function operandShift(d: Int8Array, off: number, ls: number, ks: number, L: number, K: number): 0 | 128 | null {
  const contiguous = (ks === 1 && (ls === K || L === 1)) || (ls === 1 && (ks === L || K === 1));
  return contiguous ? sevenBitShift(d, off, L * K) : null;
}

/** Chunks per thread per block (claimed dynamically, so uneven threads even out), and fewest multiply-adds per chunk. */
const CHUNKS_PER_THREAD = 8;
const MIN_CHUNK = 1 << 17;

function makeInt8Driver(
  std: Scheme & { kernel: Fn },
  dot: DotScheme | null,
  mem: WebAssembly.Memory,
  blocking: Blocking,
  { mr, nr }: KernelShape,
  threads: Int8Threading | null,
  { split, calls = { standard: 0, relaxed: 0 } }: Int8Split,
): Int8Gemm {
  let i8 = new Int8Array(mem.buffer),
    i32v = new Int32Array(mem.buffer);
  const heldB = new HeldOperands();
  const gemm: Int8GemmFusedFn = (M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, hooks) => {
    if (M <= 0 || N <= 0) return;
    if (hooks?.constantB && !holdB) [b, hooks] = [hooks.constantB.data(), undefined];
    const keep = hooks?.constantB;
    const plain = !hooks || (keep && !hooks.fillB && !hooks.epilogue && !hooks.columnAlign);
    const twin = split && plain && cpuThreads() > 1 && splits(M, N, K) ? split() : null;
    if (twin) return twin(M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, keep ? { constantB: keep } : undefined);
    if (K <= 0) {
      for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
      return;
    }
    // the relaxed kernel when one operand fits 7 bits (stored +128 when all negative), or any
    // operand stored +128 where the engine's kernel is exact on full bytes (`wide`)
    // (+128 costs a pass over the other operand for its sums: worth it for a few lines of this one,
    // or at once where those sums are held with B)
    const usable = (s: 0 | 128 | null, lines: number, sumsHeld: boolean): 0 | 128 | null =>
      s === 0 ? 0 : (s === 128 || (dot as DotScheme).wide) && (lines >= SHIFT_MIN || sumsHeld) ? 128 : null;
    let i7: 'a' | 'b' | null = null;
    let shift: 0 | 128 | null = null;
    // a held B (packed on an earlier call): the standard kernel's, or the relaxed one's while A fits 7 bits
    const key = keep ? HeldOperands.key(bOff, brs, bcs, N, K) : '';
    let held: HeldB | undefined;
    if (keep && dot && relaxedOn && N >= SCAN_MIN && (held = heldB.find(keep.storage, key, 'dot'))) {
      const s = usable(operandShift(a, aOff, ars, acs, M, K), M, true);
      if (s !== null) [i7, shift] = ['a', s];
      else held = undefined;
    }
    if (keep && !held) held = heldB.find(keep.storage, key, 'std'); // (also where A would fit 7 bits: no second copy)
    if (keep && !held) b = keep.data();
    if (held) {
      // decided
    } else if (dot && relaxedOn) {
      if (hooks?.fillB) {
        if (hooks.bShift !== undefined) [i7, shift] = ['b', hooks.bShift];
      } else {
        if (N >= SCAN_MIN) shift = usable(operandShift(a, aOff, ars, acs, M, K), M, keep !== undefined);
        if (shift !== null) i7 = 'a';
        else if (M >= SCAN_MIN) {
          shift = usable(operandShift(b, bOff, bcs, brs, N, K), N, false);
          if (shift !== null) i7 = 'b';
        }
      }
    }
    const sc: Scheme = i7 ? (dot as DotScheme) : std;
    // hold B from its second use, where the kernel takes it signed as stored (not when it is the 7-bit operand)
    const packB = keep && !held && i7 !== 'b' && heldB.wanted(keep.storage, key);
    const pool = threads && cpuThreads() > 1 && splits(M, N, K) ? poolFor(mem, threads.modules) : null;
    if (i7) calls.relaxed++;
    else calls.standard++;
    const MC = Math.max(mr, blocking.mc - (blocking.mc % mr)),
      MS = Math.max(MC, blocking.ms - (blocking.ms % MC));
    const NC = Math.max(nr, blocking.nc - (blocking.nc % nr)),
      KC = Math.max(sc.kAlign, blocking.kc - (blocking.kc % sc.kAlign));
    const Kp = roundUp(K, sc.kAlign),
      Mp = roundUp(M, mr),
      Np = roundUp(N, nr);
    const ms = Math.min(MS, Mp),
      kcMax = Math.min(KC, Kp),
      mcMax = Math.min(MC, ms);
    // short K: wider column blocks, as long as the packed B block stays within NC·KC's bytes and
    // the stage within STAGE_BYTES (fewer blocks: fewer kernel calls and epilogue runs)
    // (a held B is not packed per block: as wide as the stage allows, fewer blocks and thread joins)
    const wide = Math.floor(Math.min(held || packB ? Np : (NC * KC) / kcMax, STAGE_BYTES / (4 * ms)) / nr) * nr;
    let ncMax = Math.max(NC, wide);
    const align = hooks?.columnAlign ? lcm(hooks.columnAlign, nr) : 0;
    if (align && ncMax >= align) ncMax -= ncMax % align;
    const nc = Math.min(ncMax, Np);
    // Byte layout: [held Bs | raw A | raw B | packed A block | packed B block | int32 stage | (spare) | (corrections)],
    // 64-aligned; 8 bytes of slack after raw A/B for the 8-byte loads of 4-wide row packing; with a
    // held B no raw B (unless packing it now) and no packed B block.
    const al = (n: number) => roundUp(n, 64);
    // a held B for the relaxed kernel: its packed panels, then −128·Σₖ of each column (A stored +128)
    const panelBytes = Kp * Np * sc.packed;
    if (packB) held = heldB.hold(keep.storage, key, i7 ? 'dot' : 'std', panelBytes + (i7 ? Np * 4 : 0));
    const rawA = SCRATCH + heldB.end,
      rawB = rawA + al(Mp * Kp + 8),
      pA = rawB + (held && !packB ? 0 : al(Np * Kp + 8)),
      pB = pA + al((pool ? roundUp(ms, mr) * (held ? Kp : kcMax) : mcMax * kcMax) * sc.packed),
      stage = pB + (held ? 0 : al(kcMax * nc * sc.packed));
    const spare = stage + ms * nc * 4;
    const table = spare + ms * nc * 4;
    const corr = al(hooks?.epilogue ? table + ms * 16 : spare);
    const bytes = i7 ? corr + Math.max(Mp, Np) * 20 + 64 : corr;
    if (bytes > mem.buffer.byteLength) {
      try {
        mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
      } catch (e) {
        if (!packB) throw e;
        dropDerived(keep.storage as CpuStorage); // no room to hold B: pack it per call
        return gemm(M, N, K, a, aOff, ars, acs, keep.data(), bOff, brs, bcs, c, cOff, ldc);
      }
      i8 = new Int8Array(mem.buffer); // growing detaches the old buffer
      i32v = new Int32Array(mem.buffer);
    }
    const ra = copyIn(a, aOff, ars, acs, M, K, Mp, Kp, i8, rawA);
    let rb: { base: number; ld: number; lines: boolean };
    const { pack } = sc;
    const heldAt = held ? SCRATCH + held.at : 0;
    if (held && !packB)
      rb = { base: rawB, ld: 0, lines: true }; // not read: B's panels are held
    else if (hooks?.fillB) {
      hooks.fillB(i8, rawB, Np);
      if (hooks.bShift === 128 && !i7) flipRuns(rawB, Np, K, N); // back to B for the standard kernel
      for (let k = 0; k < K; k++) i8.fill(0, rawB + k * Np + N, rawB + (k + 1) * Np);
      i8.fill(0, rawB + K * Np, rawB + Kp * Np);
      rb = { base: rawB, ld: Np, lines: false };
    } else rb = copyIn(b, bOff, bcs, brs, N, K, Np, Kp, i8, rawB);
    if (packB)
      for (let k0 = 0; k0 < Kp; k0 += KC) {
        const kc = Math.min(KC, Kp - k0),
          dst = heldAt + k0 * Np * sc.packed;
        if (rb.lines) pack.packLinesB(rb.base + k0, rb.ld, dst, Np / nr, kc / sc.lineStep);
        else pack.packRowsB(rb.base + k0 * rb.ld, rb.ld, dst, Np / nr, kc / sc.rowStep);
      }
    const sums = held && i7 === 'a' ? { sums: heldAt + panelBytes, fresh: packB === true } : undefined;
    if (i7) corrections(i7 === 'a' ? [ra, M, rb, N] : [rb, N, ra, M], K, shift === 128 && !hooks?.fillB, shift === 128, corr, sums);
    const ldS = nc; // stage row pitch, in int32s
    for (let i0 = 0; i0 < M; i0 += MS) {
      const mRows = Math.min(MS, M - i0);
      for (let j0 = 0; j0 < N; j0 += ncMax) {
        const nCols = Math.min(ncMax, N - j0),
          nPanels = Math.ceil(nCols / nr);
        if (pool && held && Math.ceil(Kp / KC) * Math.ceil(mRows / MC) <= MAX_CALLS) {
          // B's panels held for every k: the row range's A panels for every block of k here (once
          // for all column blocks), then one job whose chunks run all their blocks of k
          const mPanels = Math.ceil(mRows / mr);
          if (j0 === 0)
            for (let k0 = 0; k0 < Kp; k0 += KC) {
              const kc = Math.min(KC, Kp - k0),
                at = pA + mPanels * mr * k0 * sc.packed;
              if (ra.lines) pack.packLinesA(ra.base + i0 * ra.ld + k0, ra.ld, at, mPanels, kc / sc.lineStep);
              else pack.packRowsA(ra.base + k0 * ra.ld + i0, ra.ld, at, mPanels, kc / sc.rowStep);
            }
          heldJob(pool, i7, mRows, nCols, nPanels, mPanels, Kp, KC, sc, pA, heldAt, j0, Np, stage, ldS, i7 === 'a' ? corr + 4 * j0 : corr + 4 * i0);
        } else
          for (let k0 = 0; k0 < Kp; k0 += KC) {
            const kc = Math.min(KC, Kp - k0);
            // this block's B panels: in the held B, or packed now
            const bp = held ? heldAt + (k0 * Np + j0 * kc) * sc.packed : pB;
            if (held) {
              // packed already
            } else if (rb.lines) pack.packLinesB(rb.base + j0 * rb.ld + k0, rb.ld, pB, nPanels, kc / sc.lineStep);
            else pack.packRowsB(rb.base + k0 * rb.ld + j0, rb.ld, pB, nPanels, kc / sc.rowStep);
            if (pool) {
              // the whole row range's A panels here, then tiles × groups of B panels as chunks
              const mPanels = Math.ceil(mRows / mr),
                steps = kc / sc.kernelStep,
                beta = k0 > 0 ? 1 : 0;
              if (ra.lines) pack.packLinesA(ra.base + i0 * ra.ld + k0, ra.ld, pA, mPanels, kc / sc.lineStep);
              else pack.packRowsA(ra.base + k0 * ra.ld + i0, ra.ld, pA, mPanels, kc / sc.rowStep);
              const rowBlocks = Math.ceil(mRows / MC),
                wanted = Math.min(pool.size * CHUNKS_PER_THREAD, Math.floor((mRows * nCols * kc) / MIN_CHUNK)),
                groups = Math.max(1, Math.min(nPanels, Math.floor(wanted / rowBlocks)));
              const fn = poolKernel(i7);
              pool.begin(1);
              for (let i1 = 0; i1 < mRows; i1 += MC) {
                const mp = Math.ceil(Math.min(MC, mRows - i1) / mr);
                for (let g = 0; g < groups; g++) {
                  const c0 = Math.floor((g * nPanels) / groups),
                    np = Math.floor(((g + 1) * nPanels) / groups) - c0;
                  const at = stage + (i1 * ldS + c0 * nr) * 4,
                    a0 = pA + (i1 / mr) * mr * kc * sc.packed,
                    b0 = bp + c0 * nr * kc * sc.packed,
                    start = i7 === 'a' ? corr + 4 * (j0 + c0 * nr) : corr + 4 * (i0 + i1);
                  pool.add(fn, a0, b0, at, mp, np, steps, ldS * 4, beta, start);
                }
              }
              runJob(pool);
              continue;
            }
            for (let i1 = 0; i1 < mRows; i1 += MC) {
              const rows = Math.min(MC, mRows - i1),
                mPanels = Math.ceil(rows / mr),
                i = i0 + i1;
              if (ra.lines) pack.packLinesA(ra.base + i * ra.ld + k0, ra.ld, pA, mPanels, kc / sc.lineStep);
              else pack.packRowsA(ra.base + k0 * ra.ld + i, ra.ld, pA, mPanels, kc / sc.rowStep);
              const at = stage + i1 * ldS * 4,
                steps = kc / sc.kernelStep,
                beta = k0 > 0 ? 1 : 0;
              if (i7 === 'a') (dot as DotScheme).gemmA(pA, bp, at, mPanels, nPanels, steps, ldS * 4, beta, corr + 4 * j0);
              else if (i7 === 'b') (dot as DotScheme).gemmB(pA, bp, at, mPanels, nPanels, steps, ldS * 4, beta, corr + 4 * i);
              else std.kernel(pA, bp, at, mPanels, nPanels, steps, ldS * 4, beta);
            }
          }
        if (hooks?.epilogue) {
          hooks.epilogue(mem, i0, j0, mRows, nCols, stage, ldS, spare, table);
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

  /**
   * One pool job for a row range × column block with B held: chunks of (MC rows × a group of B
   * panels), each running its kernel calls over every block of k (A's panels for block k0 at
   * pA + mPanels·mr·k0·packed, B's at bHeld + (k0·Np + column·kc)·packed, as held), so the job needs no
   * packing between blocks and the threads join once.
   */
  function heldJob(
    pool: ThreadPool,
    i7: 'a' | 'b' | null,
    mRows: number,
    nCols: number,
    nPanels: number,
    mPanels: number,
    Kp: number,
    KC: number,
    sc: Scheme,
    pA: number,
    bHeld: number,
    j0: number,
    Np: number,
    stage: number,
    ldS: number,
    start: number,
  ): void {
    const MC = Math.max(mr, blocking.mc - (blocking.mc % mr));
    const kBlocks = Math.ceil(Kp / KC),
      rowBlocks = Math.ceil(mRows / MC),
      wanted = Math.min(pool.size * CHUNKS_PER_THREAD, Math.floor((mRows * nCols * Kp) / MIN_CHUNK)),
      room = Math.min(MAX_CHUNKS, Math.floor(MAX_CALLS / kBlocks)),
      groups = Math.max(1, Math.min(nPanels, Math.floor(wanted / rowBlocks), Math.floor(room / rowBlocks)));
    // one row block (a batch of ≤ MC rows): groups of panels shrinking from both ends toward the
    // middle, where the caller (from the front) and the workers (from the back) meet, so the one
    // that finishes first waits for at most a panel; each thread keeps its end of B (its cache) from call to call
    const least = Math.max(1, Math.ceil(MIN_CHUNK / (mRows * nr * Kp)));
    const starts =
      rowBlocks === 1 && Math.ceil(nPanels / least) + 2 <= room
        ? chunkStarts(nPanels, pool.size, least)
        : Array.from({ length: groups + 1 }, (_, g) => Math.floor((g * nPanels) / groups));
    const fn = poolKernel(i7);
    pool.begin(kBlocks);
    for (let i1 = 0; i1 < mRows; i1 += MC) {
      const mp = Math.ceil(Math.min(MC, mRows - i1) / mr);
      for (let g = 0; g + 1 < starts.length; g++) {
        const c0 = starts[g],
          np = starts[g + 1] - c0;
        const at = stage + (i1 * ldS + c0 * nr) * 4,
          s0 = i7 === 'a' ? start + 4 * c0 * nr : start + 4 * i1;
        for (let k0 = 0; k0 < Kp; k0 += KC) {
          const kc = Math.min(KC, Kp - k0);
          const a0 = pA + (mPanels * mr * k0 + (i1 / mr) * mr * kc) * sc.packed,
            b0 = bHeld + (k0 * Np + (j0 + c0 * nr) * kc) * sc.packed;
          pool.add(fn, a0, b0, at, mp, np, kc / sc.kernelStep, ldS * 4, k0 > 0 ? 1 : 0, s0);
        }
        pool.endChunk();
      }
    }
    runJob(pool);
  }

  /** The pool's number of the kernel for `i7` (relaxed with A or B the 7-bit operand, else standard). */
  function poolKernel(i7: 'a' | 'b' | null): number {
    return i7 === 'a' ? threads!.gemmA : i7 === 'b' ? threads!.gemmB : threads!.kernel;
  }

  /** Publishes the job written and waits for it, the calling thread helping (tests: every chunk to the workers). */
  function runJob(pool: ThreadPool): void {
    pool.publish();
    if (heapSplit.callerHelps) pool.help();
    pool.wait();
  }

  /**
   * For the relaxed kernel: flip the 7-bit operand's real values +128 (`flip`: xor 0x80) and write
   * the kernel's starting values at `at`, one int32 per line of the other operand: −128·Σₖ of
   * that line when the 7-bit operand is stored +128 (`shifted`), else 0. With a held B (the other
   * operand), its −128·Σₖ live at `held.sums`: read from there, or, when B is being packed now
   * (`held.fresh`), computed and stored there.
   */
  function corrections(
    [u, uLines, s, sLines]: [Raw, number, Raw, number],
    K: number,
    flip: boolean,
    shifted: boolean,
    at: number,
    held?: { sums: number; fresh: boolean },
  ): void {
    if (flip) {
      // runs of real values: uLines lines of K (lines layout) or K rows of uLines
      if (u.lines) flipRuns(u.base, u.ld, uLines, K);
      else flipRuns(u.base, u.ld, K, uLines);
    }
    const c0 = at >> 2;
    if (held) {
      const h0 = held.sums >> 2;
      if (held.fresh) {
        lineSums(s, sLines, K, at);
        i32v.copyWithin(h0, c0, c0 + sLines);
      } else if (shifted) i32v.copyWithin(c0, h0, h0 + sLines);
      if (!shifted) i32v.fill(0, c0, c0 + sLines);
      return;
    }
    if (!shifted) {
      i32v.fill(0, c0, c0 + sLines);
      return;
    }
    lineSums(s, sLines, K, at);
  }

  /** −128·Σₖ of each of the `sLines` lines of `s`, as int32 at `at` (scratch after them). */
  function lineSums(s: Raw, sLines: number, K: number, at: number): void {
    const c0 = at >> 2;
    if (s.lines) {
      const tmp = at + roundUp(sLines * 4, 64);
      (dot as DotScheme).pack.lineSums(s.base, s.ld, sLines, s.ld / 16, tmp);
      for (let l = 0, t = tmp >> 2; l < sLines; l++, t += 4) i32v[c0 + l] = Math.imul(-128, (i32v[t] + i32v[t + 1] + i32v[t + 2] + i32v[t + 3]) | 0);
      return;
    }
    for (let l = 0; l < sLines; l++) {
      let sum = 0;
      for (let k = 0, p = s.base + l; k < K; k++, p += s.ld) sum += i8[p];
      i32v[c0 + l] = Math.imul(-128, sum);
    }
  }

  /** xor 0x80 (±128) on `runs` runs of `len` bytes, `ld` apart from `base` (a multiple of 4, as `ld`). */
  function flipRuns(base: number, ld: number, runs: number, len: number): void {
    const words = len >> 2;
    for (let r = 0; r < runs; r++) {
      const p = base + r * ld;
      for (let t = p >> 2, e = (p >> 2) + words; t < e; t++) i32v[t] ^= TOP;
      for (let t = p + words * 4; t < p + len; t++) i8[t] ^= 0x80;
    }
  }

  return Object.assign(gemm, { relaxed: dot !== null, wide: dot?.wide === true, calls });
}
