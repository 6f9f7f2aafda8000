/**
 * How many threads the CPU backend uses, and the worker pools that provide them.
 *
 * The count is `init({ threads })`'s, else the `AIMODEL_THREADS` environment variable (Node), else
 * the available cores (Node: `os.availableParallelism()`; browsers: `navigator.hardwareConcurrency`
 * when the page is cross-origin isolated, else 1). Where worker threads over shared memory cannot
 * run, it is 1. A pool is started lazily by the first kernel large enough to split (so importing
 * the library or running small models starts no thread) and runs that kernel on one thread until
 * its workers are up; `init({ threads })` starts it at once and waits for it. Split kernels
 * compute every output element exactly as on one thread, so results never depend on the count.
 */
import { ArgumentError } from '../../errors';
import { ThreadPool, threadsSupported } from './thread-pool';

/** Most threads `init({ threads })` accepts. */
export const MAX_THREADS = 256;

let requested: number | undefined;
/** A pool failed to start here (workers refused or crashed): run on one thread from then on. */
let unavailable = false;
/** Chunks run by workers of pools closed since (statistics). */
let closedChunks = 0;
let resolved: number | undefined;
const pools = new Map<WebAssembly.Memory, ThreadPool | null>();

/** `n` if it is a valid thread count, else an ArgumentError naming `what` (the option or variable). */
export function checkThreads(op: string, what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    const got = typeof n === 'string' ? `'${n}'` : typeof n === 'number' ? String(n) : typeof n;
    throw new ArgumentError(op, `${what} must be an integer from 1 to ${MAX_THREADS}, got ${got}`);
  }
  return n;
}

/** The number of threads this environment offers, before any setting: see the file header. */
export function availableThreads(): number {
  if (!threadsSupported()) return 1;
  const g = globalThis as {
    process?: { versions?: { node?: string }; env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown };
    navigator?: { hardwareConcurrency?: number };
  };
  const env = g.process?.env?.AIMODEL_THREADS;
  if (env !== undefined && env !== '') return checkThreads('threads', 'the AIMODEL_THREADS environment variable', /^\d+$/.test(env) ? Number(env) : env);
  if (g.process?.versions?.node) {
    const os = g.process.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
    if (os) return Math.min(MAX_THREADS, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  }
  return Math.min(MAX_THREADS, Math.max(1, g.navigator?.hardwareConcurrency ?? 1));
}

/** Threads the CPU backend uses (resolving the default on first call). */
export function cpuThreads(): number {
  resolved ??= threadsSupported() && !unavailable ? (requested ?? availableThreads()) : 1;
  return resolved;
}

/** Sets the thread count (validated by the caller); closes pools of another size. */
export function setCpuThreads(n: number): number {
  requested = n;
  resolved = undefined;
  const t = cpuThreads();
  for (const [mem, pool] of pools) {
    if (pool?.size === t) continue;
    closedChunks += pool?.workerChunks ?? 0;
    pool?.close();
    pools.delete(mem);
  }
  return t;
}

/**
 * The pool over `memory` (created on first call with `modules`, which later calls must repeat),
 * when more than one thread is configured and it is ready; null otherwise (run on this thread).
 * A pool that fails to start is not retried: the backend stays on one thread.
 */
export function poolFor(memory: WebAssembly.Memory, modules: readonly WebAssembly.Module[]): ThreadPool | null {
  let pool = pools.get(memory);
  if (pool === undefined) {
    pool = startPool(memory, modules);
    pools.set(memory, pool);
  }
  if (pool?.failed) giveUp(memory, pool);
  return pool?.ready ? pool : null;
}

/** Closes a pool that failed and falls back to one thread (reported by `getThreads()`). */
function giveUp(memory: WebAssembly.Memory, pool: ThreadPool): void {
  pool.close();
  pools.set(memory, null);
  unavailable = true;
  resolved = 1;
}

function startPool(memory: WebAssembly.Memory, modules: readonly WebAssembly.Module[]): ThreadPool | null {
  const t = cpuThreads();
  if (t < 2) return null;
  try {
    return new ThreadPool(t, memory, modules);
  } catch {
    unavailable = true;
    resolved = 1;
    return null;
  }
}

/** Starts the pool over `memory` now and resolves once its workers are up (false: one thread). */
export async function warmPool(memory: WebAssembly.Memory, modules: readonly WebAssembly.Module[]): Promise<boolean> {
  poolFor(memory, modules);
  const pool = pools.get(memory);
  if (!pool) return false;
  if (await pool.whenReady()) return true;
  if (pools.get(memory) === pool) giveUp(memory, pool);
  return false;
}

/** Chunks run by worker threads since the process started (tests check the threaded path ran). @internal */
export function workerChunks(): number {
  let n = closedChunks;
  for (const pool of pools.values()) n += pool?.workerChunks ?? 0;
  return n;
}

/** Closes every pool (tests; a later kernel starts a new one). */
export function closePools(): void {
  for (const pool of pools.values()) {
    closedChunks += pool?.workerChunks ?? 0;
    pool?.close();
  }
  pools.clear();
}
