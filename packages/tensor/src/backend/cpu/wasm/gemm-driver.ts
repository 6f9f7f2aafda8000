/**
 * The JS side of the WebAssembly float GEMM (./gemm-kernel.ts): blocking, copying operand blocks
 * into wasm memory (memcpy per row, ./pack.ts), packing them there with the emitted SIMD
 * routines, calling the macro-kernel, and copying the C stage out. Tile shapes whose sides are
 * not multiples of 4 (tuning only) pack in JS instead.
 *
 * A caller may also build B directly in the gemm's memory (`scratch`, then `resident`), e.g. a
 * convolution's im2col matrix, which then skips the copy: rows of k (`lines` false, ld ≥ N
 * floats, rows K…roundUp(K, 4) zero) or lines of k (`lines` true, ld ≥ roundUp(K, 4) floats,
 * zero past K), readable up to whole 8-column panels (what lies there only feeds padding).
 */
import type { Blocking, GemmFn, KernelShape } from './gemm-kernel';
import { MAX_CHUNKS, type ThreadPool } from '../thread-pool';
import { poolFor, warmPool } from '../threads';
import { heapSplit, registerHeapGroup } from './heap-pool';
import { copyIn } from './pack';

export type Fn = (...args: number[]) => void;

/** A B operand already in the gemm's memory: float offsets from the start of its scratch view. */
export interface Resident {
  base: number;
  ld: number;
  lines: boolean;
}

type BSource = Resident | { data: Float32Array; off: number; rs: number; cs: number };

/** A gemm (as `GemmFn`) whose B operand is given as a `B`. */
type GemmOf<B> = (
  M: number,
  N: number,
  K: number,
  a: Float32Array,
  aOff: number,
  ars: number,
  acs: number,
  b: B,
  c: Float32Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
) => void;

/** The float gemm, plus (when it packs in wasm) B operands resident in its memory. */
export type WasmGemm = GemmFn & {
  /** `gemm` with B = `b` in this gemm's memory (laid out as the file's header says). */
  resident?: GemmOf<Resident>;
  /** The gemm's memory (for other emitted routines that fill the scratch area). */
  memory?: WebAssembly.Memory;
  /** Room for `n` floats at `base` in `f32` (a view of the gemm's memory, valid until the next call). */
  scratch?: (n: number) => { f32: Float32Array; base: number };
  /** Starts the worker pool (threaded gemms only); resolves to whether it runs. */
  warm?: () => Promise<boolean>;
  /**
   * Runs independent calls of function `name` of the threaded gemm's pool (`im2colRow`: the
   * im2col `row` over this gemm's memory; up to 12 i32 arguments each) across the threads and
   * returns true; false, having run nothing, when no pool is up (the caller runs them itself).
   */
  parallel?: (name: string, calls: readonly (readonly number[])[]) => boolean;
};

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Threading of a driver: the modules a pool runs (the kernel's and the packing's) and their functions' numbers there. */
export interface Threading {
  modules: readonly WebAssembly.Module[];
  kernel: number;
  pack: Record<PackName, number>;
  /** Other functions callers may run across the threads (`WasmGemm.parallel`), by name. */
  extra?: Record<string, number>;
}

type PackName = 'packLinesA' | 'packRowsA' | 'packLinesB' | 'packRowsB';

/** How a step's B block is to be packed: from `src` (bytes), lines or rows `ld` bytes apart. */
interface BPack {
  name: 'packLinesB' | 'packRowsB';
  src: number;
  ld: number;
}

/** Packing chunks hold about this many floats. */
const PACK_CHUNK = 1 << 15;

/** Chunks per thread per step (dynamic claiming evens out the threads' speeds). */
const CHUNKS_PER_THREAD = 16;
/**
 * When products are split across threads: products of fewer multiply-adds than `minWork` stay
 * on one thread (waking a worker costs more than it saves); a chunk holds at least `minChunk`
 * multiply-adds; `callerHelps` false leaves every chunk to the workers (tests: so that a worker
 * surely runs some, however loaded the machine).
 */
export interface SplitSettings {
  minWork: number;
  minChunk: number;
  callerHelps: boolean;
}
const split: SplitSettings = { minWork: 1 << 21, minChunk: 1 << 17, callerHelps: true };

/** Whether an M×N×K product is large enough to split across threads. */
export function splits(M: number, N: number, K: number): boolean {
  return M * N * K >= split.minWork;
}

/** Changes when products are split (tests); returns the previous settings. @internal */
export function setSplitSettings(next: Partial<SplitSettings>): SplitSettings {
  const prev = { ...split };
  Object.assign(split, next);
  heapSplit.callerHelps = split.callerHelps; // the heap's chunks (convolutions image by image) too
  return prev;
}

export function makeDriver(
  kernel: Fn,
  pack: Record<string, Fn> | null,
  mem: WebAssembly.Memory,
  { mr, nr, unroll }: KernelShape,
  blocking: Blocking,
  threading?: Threading,
): WasmGemm {
  // Block edges must fall on tile edges (the stage holds whole tiles); wasm packing steps 4 k.
  const kq = pack ? lcm(4, unroll) : unroll;
  const MC = Math.max(mr, blocking.mc - (blocking.mc % mr)),
    MS = Math.max(MC, blocking.ms - (blocking.ms % MC));
  const NC = Math.max(nr, blocking.nc - (blocking.nc % nr)),
    KC = Math.max(kq, blocking.kc - (blocking.kc % kq));
  // one pool serves this gemm and the heap's elementwise and pooling kernels: start it with both
  if (threading) registerHeapGroup();
  let f32 = new Float32Array(mem.buffer);
  // Per buffer set (two when threaded: one is filled while the other is in use), in floats:
  // [packed A | packed B | raw A | raw B]; then one C stage per set.
  const setFloats = (ms: number, nc: number, kc: number) => roundUp(2 * ms * kc + 2 * kc * nc, 16);
  // Scratch for callers (resident B) lies above everything a call of at most these blocks uses.
  const scratchBase = 2 * setFloats(MS, NC, KC) + 2 * roundUp(MS * NC, 16);
  const grow = (bytes: number) => {
    if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    if (f32.buffer !== mem.buffer) f32 = new Float32Array(mem.buffer); // growing replaces the buffer
  };
  const run: GemmOf<BSource> = (M, N, K, a, aOff, ars, acs, src, c, cOff, ldc, accumulate) => {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
      if (!accumulate) for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
      return;
    }
    const pool = threading && pack && splits(M, N, K) ? poolFor(mem, threading.modules) : null;
    const sets = pool ? 2 : 1;
    const ms = Math.min(MS, roundUp(M, mr)),
      nc = Math.min(NC, roundUp(N, nr)),
      kcMax = Math.min(KC, roundUp(K, kq));
    const setSize = setFloats(ms, nc, kcMax),
      stageBase = sets * setSize,
      stageSize = roundUp(ms * nc, 16);
    grow((stageBase + sets * stageSize) * 4);
    const ldS = nc; // stage row pitch, in floats
    const nI = Math.ceil(M / MS),
      nJ = Math.ceil(N / NC),
      nK = Math.ceil(K / KC);
    const steps = nI * nJ * nK;
    // Threaded products of at most one A block (e.g. a convolution's filters × its im2col
    // matrix, where B is the big operand) pack each group of B panels in the chunk that then
    // multiplies it: the panels stay in that thread's cache.
    const fused = pool !== null && M <= MC;
    const pendingB: (BPack | null)[] = [null, null];
    /**
     * `pack[name]` over `panels` panels of width w (lines `ld` bytes apart, k contiguous; or rows
     * of k, panels side by side): here, or as chunks added to the pool's job when `into` is given.
     */
    const packPanels = (name: PackName, src: number, ld: number, dst: number, panels: number, kcp: number, w: number, into: ThreadPool | null) => {
      const lines = name === 'packLinesA' || name === 'packLinesB',
        steps = lines ? kcp / 4 : kcp;
      if (!into) {
        pack![name](src, ld, dst, panels, steps);
        return;
      }
      const groups = Math.max(1, Math.min(panels, Math.ceil((panels * w * kcp) / PACK_CHUNK), MAX_CHUNKS / 4));
      for (let g = 0; g < groups; g++) {
        const p0 = Math.floor((g * panels) / groups),
          np = Math.floor(((g + 1) * panels) / groups) - p0;
        into.add(threading!.pack[name], src + p0 * w * (lines ? ld : 4), ld, dst + p0 * w * kcp * 4, np, steps);
      }
    };
    /** Step s's block: K offset k0 (depth kc, padded kcp), C tile at (i0, j0) of mRows × nCols, and its A/B panel counts. */
    const geometry = (s: number) => {
      const k0 = (s % nK) * KC,
        t = Math.floor(s / nK),
        j0 = (t % nJ) * NC,
        i0 = Math.floor(t / nJ) * MS;
      const mRows = Math.min(MS, M - i0),
        nCols = Math.min(NC, N - j0),
        kc = Math.min(KC, K - k0);
      return { k0, j0, i0, mRows, nCols, kc, kcp: roundUp(kc, kq), mPanels: Math.ceil(mRows / mr), nPanels: Math.ceil(nCols / nr) };
    };
    /** Copies step s's A and B blocks into buffer set q and packs them (as chunks of `into`'s job when given). */
    const prep = (s: number, q: number, into: ThreadPool | null = null) => {
      const { k0, j0, i0, mRows, nCols, kc, kcp, mPanels, nPanels } = geometry(s);
      const aBase = q * setSize,
        bBase = aBase + ms * kcMax,
        rawA = bBase + kcMax * nc,
        rawB = rawA + ms * kcMax;
      let bp: BPack | null = null;
      if ('data' in src) {
        const bo = src.off + k0 * src.rs + j0 * src.cs;
        if (pack) {
          const r = copyIn(src.data, bo, src.cs, src.rs, nCols, kc, nPanels * nr, kcp, f32, rawB);
          bp = { name: r.lines ? 'packLinesB' : 'packRowsB', src: r.base * 4, ld: r.ld * 4 };
        } else packBlock(nCols, kc, kcp, nr, src.data, bo, src.cs, src.rs, f32, bBase);
      } else if (src.lines) bp = { name: 'packLinesB', src: (src.base + j0 * src.ld + k0) * 4, ld: src.ld * 4 };
      else bp = { name: 'packRowsB', src: (src.base + k0 * src.ld + j0) * 4, ld: src.ld * 4 };
      if (fused) pendingB[q] = bp;
      else if (bp) packPanels(bp.name, bp.src, bp.ld, bBase * 4, nPanels, kcp, nr, into);
      const ao = aOff + i0 * ars + k0 * acs;
      if (pack) {
        const r = copyIn(a, ao, ars, acs, mRows, kc, mPanels * mr, kcp, f32, rawA);
        packPanels(r.lines ? 'packLinesA' : 'packRowsA', r.base * 4, r.ld * 4, aBase * 4, mPanels, kcp, mr, into);
      } else packBlock(mRows, kc, kcp, mr, a, ao, ars, acs, f32, aBase);
    };
    /**
     * Step s's tiles over buffer set q into stage `st`, as chunks: row blocks of ≤ MC rows (the
     * A block stays in L2 while the kernel sweeps B panels) × groups of B panels. Each chunk
     * computes its tiles completely, so the split does not change a single bit of C.
     */
    const compute = (s: number, q: number, st: number) => {
      const { k0, kcp, mPanels, nPanels } = geometry(s);
      const blockPanels = MC / mr,
        rb = Math.ceil(mPanels / blockPanels);
      const aBase = q * setSize,
        bBase = aBase + ms * kcMax,
        cBase = stageBase + st * stageSize,
        beta = k0 > 0 ? 1 : 0;
      const work = mPanels * mr * nPanels * nr * kcp;
      const wanted = pool ? Math.min(pool.size * CHUNKS_PER_THREAD, Math.floor(work / split.minChunk), MAX_CHUNKS / 2) : 1;
      const groups = Math.max(1, Math.min(nPanels, Math.floor(wanted / rb)));
      const bp = fused ? pendingB[q] : null;
      if (pool) pool.begin(bp ? 2 : 1);
      for (let r = 0; r < rb; r++) {
        const p0 = r * blockPanels,
          mp = Math.min(blockPanels, mPanels - p0);
        for (let g = 0; g < groups; g++) {
          const c0 = Math.floor((g * nPanels) / groups),
            np = Math.floor(((g + 1) * nPanels) / groups) - c0;
          const args = [(aBase + p0 * mr * kcp) * 4, (bBase + c0 * nr * kcp) * 4, (cBase + p0 * mr * ldS + c0 * nr) * 4, mp, np, kcp, ldS * 4, beta] as const;
          if (bp) {
            const lines = bp.name === 'packLinesB';
            pool!.add(threading!.pack[bp.name], bp.src + c0 * nr * (lines ? bp.ld : 4), bp.ld, args[1], np, lines ? kcp / 4 : kcp);
          }
          if (pool) pool.add(threading!.kernel, ...args);
          else kernel(...args);
        }
      }
    };
    /** Stage st → C for the tile of step s (only the real rows and columns; the padding is scratch). */
    const copyOut = (s: number, st: number) => {
      const { j0, i0, mRows, nCols } = geometry(s);
      const cBase = stageBase + st * stageSize;
      for (let i = 0; i < mRows; i++) {
        const s0 = cBase + i * ldS,
          d = cOff + (i0 + i) * ldc + j0;
        if (accumulate) for (let j = 0; j < nCols; j++) c[d + j] += f32[s0 + j];
        // short rows (a dense layer's 10 outputs) by a loop: a subarray and set per row cost more
        else if (nCols < 64) for (let j = 0; j < nCols; j++) c[d + j] = f32[s0 + j];
        else c.set(f32.subarray(s0, s0 + nCols), d);
      }
    };
    const stageOf = (s: number) => (sets === 2 ? Math.floor(s / nK) % 2 : 0);
    prep(0, 0);
    if (pool) {
      // Pipelined: once step s is published, this thread copies step s + 1's blocks into the
      // other buffer set and adds their packing to s's job, copies out the tile finished before
      // s (the workers start on s meanwhile), then joins in on the chunks; the last chunks
      // balance the threads.
      compute(0, 0, stageOf(0));
      pool.publish(false); // grown by extend below
      let finished = -1; // a step whose tile is complete and not yet copied out
      for (let s = 0; s < steps; s++) {
        if (s + 1 < steps) {
          prep(s + 1, (s + 1) % 2, pool);
          pool.extend();
        }
        if (finished >= 0) copyOut(finished, stageOf(finished));
        finished = -1;
        if (split.callerHelps) pool.help();
        pool.wait();
        if (s % nK === nK - 1) finished = s;
        if (s + 1 < steps) {
          compute(s + 1, (s + 1) % 2, stageOf(s + 1));
          pool.publish(false);
        }
      }
      copyOut(finished, stageOf(finished));
      return;
    }
    for (let s = 0; s < steps; s++) {
      compute(s, 0, 0);
      if (s % nK === nK - 1) copyOut(s, 0);
      if (s + 1 < steps) prep(s + 1, 0);
    }
  };
  const gemm: GemmFn = (M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, accumulate) =>
    run(M, N, K, a, aOff, ars, acs, { data: b, off: bOff, rs: brs, cs: bcs }, c, cOff, ldc, accumulate);
  const parallel = (name: string, calls: readonly (readonly number[])[]): boolean => {
    const id = threading?.extra?.[name];
    const pool = id === undefined || calls.length < 2 ? null : poolFor(mem, threading!.modules);
    if (!pool || id === undefined) return false;
    const per = Math.max(1, Math.ceil(calls.length / (pool.size * CHUNKS_PER_THREAD)));
    const batch = Math.floor(MAX_CHUNKS / per) * per;
    for (let i0 = 0; i0 < calls.length; i0 += batch) {
      pool.begin(per);
      for (let i = i0; i < Math.min(calls.length, i0 + batch); i++) pool.add(id, ...calls[i]);
      pool.run();
    }
    return true;
  };
  const warm = threading ? { warm: () => warmPool(mem, threading.modules), parallel } : {};
  if (!pack) return Object.assign(gemm, warm);
  return Object.assign(gemm, warm, {
    memory: mem,
    resident: ((M, N, K, a, aOff, ars, acs, b, c, cOff, ldc, accumulate) => {
      if (b.base < scratchBase) throw new RangeError('gemm.resident: B must lie in the scratch area');
      run(M, N, K, a, aOff, ars, acs, b, c, cOff, ldc, accumulate);
    }) satisfies GemmOf<Resident>,
    scratch: (n: number) => {
      grow((scratchBase + n) * 4);
      return { f32, base: scratchBase };
    },
  });
}

const lcm = (x: number, y: number): number => {
  let [p, q] = [x, y];
  while (q) [p, q] = [q, p % q];
  return (x / p) * y;
};

/**
 * Packs `lines` lines of `kc` elements (line i, element k at src[off + i·ls + k·ks]) into panels of
 * `w` lines, [panel][k][w], zero-padded to w lines and kcp elements, at f[base…]: an A block (lines
 * = rows) or a B block (lines = columns), any strides (transposed, broadcast).
 */
export function packBlock(
  lines: number,
  kc: number,
  kcp: number,
  w: number,
  src: Float32Array,
  off: number,
  ls: number,
  ks: number,
  f: Float32Array | Float64Array,
  base: number,
): void {
  let p = base;
  for (let i0 = 0; i0 < lines; i0 += w) {
    const n = Math.min(w, lines - i0);
    const line = off + i0 * ls;
    for (let k = 0; k < kc; k++) {
      const at = line + k * ks;
      let i = 0;
      for (; i < n; i++) f[p++] = src[at + i * ls];
      for (; i < w; i++) f[p++] = 0;
    }
    const pad = (kcp - kc) * w;
    f.fill(0, p, p + pad);
    p += pad;
  }
}
