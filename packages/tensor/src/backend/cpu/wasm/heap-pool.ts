/**
 * The worker pool's group over the CPU heap (../heap.ts): the SIMD module (./simd-kernels.ts) and
 * the max-pool module (./max-pool.ts), compiled once here for both the calling thread and the
 * workers, so large elementwise and pooling calls on heap tensors can be split across threads by
 * output ranges (../threads.ts runs one pool for this group and the gemm's).
 */
import { heapMemory } from '../heap';
import { functionIndex, MAX_CALLS, MAX_CHUNKS, type ThreadPool } from '../thread-pool';
import { cpuThreads, poolFor, registerPoolGroup } from '../threads';
import { wasmModule } from './modules';

interface HeapModules {
  simd: WebAssembly.Module;
  maxPool: WebAssembly.Module;
  list: readonly WebAssembly.Module[];
}
let compiled: HeapModules | null | undefined;

/** The heap group's modules (shared memory imports), or null without a shared heap or WebAssembly SIMD. */
export function heapModules(): HeapModules | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly !== 'object' || !heapMemory()) return null;
    const [a, b] = [wasmModule('simd', true), wasmModule('maxPool', true)];
    if (!WebAssembly.validate(a) || !WebAssembly.validate(b)) return null;
    const simd = new WebAssembly.Module(a),
      maxPool = new WebAssembly.Module(b);
    compiled = { simd, maxPool, list: [simd, maxPool] };
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
/** The pool's number (within the heap group) of function `name` of the SIMD (0) or max-pool (1) module. */
export function heapFn(module: 0 | 1, name: string): number {
  const key = `${module}:${name}`;
  let id = ids.get(key);
  if (id === undefined) {
    id = functionIndex(heapModules()!.list, module, name);
    ids.set(key, id);
  }
  return id;
}

/** The pool, numbering functions as the heap group does, when more than one thread runs and it is ready; else null. */
export function heapPool(): ThreadPool | null {
  if (cpuThreads() < 2) return null;
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
 * Runs `calls` (function number in the heap group, then up to 12 i32 arguments each; independent
 * of each other) on the pool, `per` consecutive calls per chunk, as few jobs as the table allows.
 */
export function runCalls(pool: ThreadPool, calls: readonly (readonly number[])[], per: number): void {
  const rows = Math.max(1, Math.min(per, MAX_CALLS));
  const batch = Math.max(rows, Math.floor(Math.min(MAX_CALLS, MAX_CHUNKS * rows) / rows) * rows);
  for (let i0 = 0; i0 < calls.length; i0 += batch) {
    pool.begin(rows);
    for (let i = i0; i < Math.min(calls.length, i0 + batch); i++) {
      const c = calls[i];
      pool.add(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12]);
    }
    pool.publish();
    if (heapSplit.callerHelps) pool.help();
    pool.wait();
  }
}
