/**
 * The worker pool's group over the CPU heap (../heap.ts): the SIMD module (./simd-kernels.ts), the
 * max-pool module (./max-pool.ts) and the gemm's kernel, packing and im2col modules, compiled once
 * here for both the calling thread and the workers, so large elementwise and pooling calls on heap
 * tensors split across threads by output ranges, and small convolutions run image by image on the
 * tensors where they lie (../conv-batch.ts). ../threads.ts runs one pool for this group and the
 * gemm's own memory.
 */
import { heapAlloc, heapFree, heapMemory } from '../heap';
import { functionIndex, MAX_CALLS, MAX_CHUNKS, type ThreadPool } from '../thread-pool';
import { cpuThreads, poolFor, registerPoolGroup, settlePool } from '../threads';
import { TILE } from './gemm-kernel';
import { INT8_TILE } from './int8-gemm';
import { wasmModule } from './modules';

interface HeapModules {
  simd: WebAssembly.Module;
  maxPool: WebAssembly.Module;
  /** simd, maxPool, gemm, pack, im2col, then int8 gemm, int8 pack, quantized: the pool's numbering. */
  list: readonly WebAssembly.Module[];
}
let compiled: HeapModules | null | undefined;

/** The heap group's modules (shared memory imports), or null without a shared heap or WebAssembly SIMD. */
export function heapModules(): HeapModules | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly !== 'object' || !heapMemory()) return null;
    const bytes = [
      wasmModule('simd', true),
      wasmModule('maxPool', true),
      wasmModule('gemm', TILE, false, true),
      wasmModule('pack', TILE.mr, TILE.nr, 'f32', true),
      wasmModule('im2col', true),
      // the int8 convolution's, image by image (../quantized-conv-threads.ts): kernel, packing, im2col and requantization
      wasmModule('gemm', INT8_TILE, true, true),
      wasmModule('pack', INT8_TILE.mr, INT8_TILE.nr, 'i8', true),
      wasmModule('quantized', true),
    ];
    if (!bytes.every((b) => WebAssembly.validate(b))) return null;
    const list = bytes.map((b) => new WebAssembly.Module(b));
    compiled = { simd: list[0], maxPool: list[1], list };
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Registers the heap group with the pool to come (a threaded gemm calls this before starting one). */
export function registerHeapGroup(): void {
  const mem = heapMemory(),
    m = heapModules();
  if (mem && m) registerPoolGroup(mem, m.list);
}

const ids = new Map<string, number>();
/** The pool's number (within the heap group) of function `name` of module `module` (0 SIMD, 1 max-pool, 2 gemm, 3 packing, 4 im2col, 5–7 int8: gemm, packing, quantized). */
export function heapFn(module: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7, name: string): number {
  const key = `${module}:${name}`;
  let id = ids.get(key);
  if (id === undefined) {
    id = functionIndex(heapModules()!.list, module, name);
    ids.set(key, id);
  }
  return id;
}

let alone = false;
/**
 * Runs `f` with the heap kernels on this thread only (heapPool() null): work done beside a job left
 * running on the workers, which it must not touch (its table stays theirs until it settles).
 */
export function onThisThread<T>(f: () => T): T {
  alone = true;
  try {
    return f();
  } finally {
    alone = false;
  }
}

/** The pool, numbering functions as the heap group does, when more than one thread runs and it is ready; else null. */
export function heapPool(): ThreadPool | null {
  if (cpuThreads() < 2 || alone) return null;
  const mem = heapMemory(),
    m = heapModules();
  return mem && m ? poolFor(mem, m.list) : null;
}

/** Whether the calling thread runs chunks too (tests set false, so that a worker surely runs some). @internal */
export const heapSplit = { callerHelps: true };

/** Work (elements) a chunk gets at least, and how many chunks per thread a job aims at. */
export const MIN_PIECE = 1 << 14;
const CHUNKS_PER_THREAD = 4;

/** How many chunks `work` elements split into (1: not worth splitting) for a pool of `size`. */
export function chunkCount(work: number, size: number): number {
  return Math.max(1, Math.min(size * CHUNKS_PER_THREAD, Math.floor(work / MIN_PIECE), MAX_CHUNKS));
}

/**
 * Where the chunks of n units start (then n) with `threads` threads: from both ends toward the
 * middle, each ⌈R / (2·threads)⌉ of the R units left (at least `least`: at most n / least + 2
 * chunks), so the calling thread (claiming from the front) and the workers (from the back) meet on
 * the smallest chunks and the one that finishes first waits the least (e.g. 16, 8, 4, 2, 1, 1 |
 * 1, 1, 2, 4, 8, 16 for 64 units, 2 threads, least 1).
 */
export function chunkStarts(n: number, threads: number, least: number): number[] {
  const front = [0],
    back = [n];
  for (let lo = 0, hi = n; lo < hi; ) {
    const s = Math.max(least, Math.ceil((hi - lo) / (2 * threads)));
    lo = Math.min(hi, lo + s);
    if (lo < hi) hi = Math.max(lo, hi - s);
    front.push(lo);
    back.push(hi);
  }
  return [...new Set([...front, ...back.reverse()])];
}

/**
 * Finishes a published job: the calling thread helps (unless tests say not) and waits; or, when
 * `detach` (the kernel's last job, whose results it does not read), leaves it to the workers while
 * the caller goes on — the next CPU primitive settles it (../threads.ts `settlePool`).
 */
function finish(pool: ThreadPool, detach: boolean, scratchJob = false): void {
  jobTurn = scratchJob ? turn : -1;
  if (detach) {
    pool.detach(heapSplit.callerHelps);
    return;
  }
  if (heapSplit.callerHelps) pool.help();
  pool.wait();
}

/**
 * Runs `calls` (function number in the heap group, then up to 12 i32 arguments each; independent
 * of each other) on the pool, `per` consecutive calls per chunk, as few jobs as the table allows;
 * `detach`: the last job is left running (see `finish`).
 */
export function runCalls(pool: ThreadPool, calls: readonly (readonly number[])[], per: number, detach = false): void {
  const rows = Math.max(1, Math.min(per, MAX_CALLS));
  const batch = Math.max(rows, Math.floor(Math.min(MAX_CALLS, MAX_CHUNKS * rows) / rows) * rows);
  for (let i0 = 0; i0 < calls.length; i0 += batch) {
    pool.begin(rows);
    for (let i = i0; i < Math.min(calls.length, i0 + batch); i++) {
      const c = calls[i];
      pool.add(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12]);
    }
    pool.publish();
    finish(pool, detach && i0 + batch >= calls.length);
  }
}

/** A function heap chunks call: the gemm's macro-kernel, a packing routine, im2col / col2im rows, or an exact copy (plus a value per row) / zeroing. */
export type HeapFn =
  | 'gemm'
  | 'packLinesA'
  | 'packRowsA'
  | 'packLinesB'
  | 'packRowsB'
  | 'im2colRows'
  | 'col2imRows'
  | 'copy_rows'
  | 'copy_rows_add'
  | 'zero'
  | 'sum_stages';
/**
 * Writes one heap call of a chunk: the function and up to 8 i32 arguments (byte addresses in the
 * heap, counts).
 */
export type Emit = (fn: HeapFn, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number, a6?: number, a7?: number) => void;
/**
 * `Emit` for calls that use the thread's scratch area (`heapChunks`' `spread`): bit j of `mask` set
 * when argument j is an address in the area of thread 0 (the thread that runs the call uses its own).
 */
export type EmitIn = (mask: number, fn: HeapFn, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number, a6?: number, a7?: number) => void;

const WHERE: Record<HeapFn, [0 | 2 | 3 | 4, string]> = {
  gemm: [2, 'gemm'],
  packLinesA: [3, 'packLinesA'],
  packRowsA: [3, 'packRowsA'],
  packLinesB: [3, 'packLinesB'],
  packRowsB: [3, 'packRowsB'],
  im2colRows: [4, 'rows'],
  col2imRows: [4, 'colRows'],
  copy_rows: [0, 'copy_rows'],
  copy_rows_add: [0, 'copy_rows_add'],
  zero: [0, 'zero'],
  sum_stages: [0, 'sum_stages'],
};
type Fn = (...args: number[]) => void;
let local: Record<HeapFn, Fn> | null | undefined;
/** The pool's numbers (within the heap group) of the chunk functions. */
let ID: Record<HeapFn, number> | undefined;

/** This thread's instances of the chunk functions over the heap, or null without a heap or its modules. */
function localFns(): Record<HeapFn, Fn> | null {
  if (local !== undefined) return local;
  local = null;
  const mem = heapMemory(),
    m = heapModules();
  if (!mem || !m) return null;
  const ex = m.list.map((mod) => new WebAssembly.Instance(mod, { env: { mem } }).exports);
  local = Object.fromEntries(Object.entries(WHERE).map(([k, [mod, name]]) => [k, ex[mod][name] as Fn])) as Record<HeapFn, Fn>;
  return local;
}

/** Runs one heap call on this thread. */
export const heapCall: Emit = (fn, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0) => localFns()![fn](a0, a1, a2, a3, a4, a5, a6, a7);
/** Runs one heap call on this thread, in thread 0's scratch area. */
const heapCallIn: EmitIn = (_mask, fn, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0) => localFns()![fn](a0, a1, a2, a3, a4, a5, a6, a7);

/** Whether heap chunks can run here (a shared heap and the modules compiled). */
export function heapChunksAvailable(): boolean {
  return localFns() !== null;
}

/** Call tables of jobs by their callers' keys (`heapChunks`), for the pool `recordedFor` they were written for. */
const recorded = new Map<string, Int32Array>();
let recordedFor: ThreadPool | null = null;
const MAX_RECORDED = 64;
/** Jobs replayed from a recorded table (tests check the path is taken). @internal */
export const heapReplays = { count: 0 };

/**
 * Runs `chunks` independent chunks of heap calls, chunk i's calls (at most `rows`, run in order on
 * one thread) listed by `write(emit, i, emitIn)`: written straight into the pool's table when it is
 * up (as few jobs as the table allows; `detach` leaves the last one running, see `finish`), else run
 * here as they are listed. Calls listed with `emitIn` work in a scratch area of their thread's:
 * thread 0's is the one `write` names, thread p's `spread`·p bytes further on (`heapThreads()`
 * areas in all), reused by every chunk the thread claims. With a `key` that determines every call
 * `write` lists (addresses, shapes), the table written is kept and replayed when the same key comes
 * again (a training step's kernels repeat with the same tensors' blocks). Returns whether a pool
 * ran them.
 */
export function heapChunks(
  chunks: number,
  rows: number,
  write: (emit: Emit, chunk: number, emitIn: EmitIn) => void,
  detach = false,
  key?: string,
  spread = 0,
): boolean {
  const pool = chunks > 1 && rows <= MAX_CALLS ? heapPool() : null;
  if (!pool) {
    settlePool(); // run here: a job left running finishes first (deferred, ../threads.ts deferSettle)
    for (let i = 0; i < chunks; i++) write(heapCall, i, heapCallIn);
    return false;
  }
  const id = (ID ??= Object.fromEntries(Object.entries(WHERE).map(([k, [mod, name]]) => [k, heapFn(mod, name)])) as Record<HeapFn, number>);
  const emit: Emit = (fn, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0) => pool.add(id[fn], a0, a1, a2, a3, a4, a5, a6, a7);
  const emitIn: EmitIn = (mask, fn, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0) => pool.addIn(mask, id[fn], a0, a1, a2, a3, a4, a5, a6, a7);
  const per = Math.max(1, Math.min(MAX_CHUNKS, Math.floor(MAX_CALLS / rows)));
  if (recordedFor !== pool) {
    recorded.clear();
    recordedFor = pool;
  }
  for (let i0 = 0; i0 < chunks; i0 += per) {
    const k = key === undefined ? undefined : `${key};${chunks};${rows};${i0}`;
    const calls = k === undefined ? undefined : recorded.get(k);
    if (calls) {
      pool.replay(calls, rows);
      heapReplays.count++;
    } else {
      pool.begin(rows);
      for (let i = i0; i < Math.min(chunks, i0 + per); i++) {
        write(emit, i, emitIn);
        pool.endChunk();
      }
      if (k !== undefined) {
        if (recorded.size >= MAX_RECORDED) recorded.clear();
        recorded.set(k, pool.record());
      }
    }
    pool.spread = spread;
    pool.publish();
    finish(pool, detach && i0 + per >= chunks, true);
  }
  return true;
}

/** Whether heap chunks would run across threads now. */
export function heapPooled(): boolean {
  return heapPool() !== null;
}

/** How many threads may run heap chunks now: the scratch areas `heapChunks` with a `spread` needs. */
export function heapThreads(): number {
  return heapPool()?.size ?? 1;
}

/** Two kept scratch blocks (byte address, bytes); the one handed out, and the one the last job published may use (heapChunks; −1: none). */
const scratch = [
  { at: 0, bytes: 0 },
  { at: 0, bytes: 0 },
];
let turn = 0;
let jobTurn = -1;

/** Most floats of a scratch block taken beside a job left running (a small network's layers need well under 1 MB). */
const BESIDE_FLOATS = 1 << 20;

/**
 * A heap block of at least `floats` floats for the convolutions' and dense products' work areas
 * (kept, grown as needed): its byte address, or null. While a job left running (deferred settle,
 * ../threads.ts deferSettle) may use the block, a small request gets the other one, so a kernel
 * prepares its work beside the job; a large one settles it and reuses the block (two large blocks
 * in turn would not stay in the caches: a 4 MB convolution on 2 threads ran ~5% slower).
 */
export function heapScratch(floats: number): number | null {
  if (turn === jobTurn && heapPool()?.detached) {
    if (floats <= BESIDE_FLOATS) turn ^= 1;
    else settlePool();
  }
  const s = scratch[turn],
    bytes = floats * 4 + 64;
  if (s.bytes >= bytes) return s.at;
  const at = heapAlloc(Math.max(bytes, 2 * s.bytes), true);
  if (at === null) return null;
  if (s.bytes) heapFree(s.at, s.bytes);
  s.at = at;
  s.bytes = Math.max(bytes, 2 * s.bytes);
  return at;
}
