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
import { type PoolGroup, ThreadPool, threadsSupported } from './thread-pool';

/** Most threads `init({ threads })` accepts. */
export const MAX_THREADS = 256;

let requested: number | undefined;
/** A pool failed to start here (workers refused or crashed): run on one thread from then on. */
let unavailable = false;
/** Chunks run by workers of pools closed since (statistics). */
let closedChunks = 0;
let resolved: number | undefined;

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

/** Sets the thread count (validated by the caller); closes a pool of another size. */
export function setCpuThreads(n: number): number {
  requested = n;
  resolved = undefined;
  const t = cpuThreads();
  if (pool && pool.size !== t) closePools();
  return t;
}

/**
 * The memories and modules the pool serves: one pool runs the functions of every group (the gemm's
 * memory, the CPU heap), so a core never holds two sets of idle workers.
 */
const groups: PoolGroup[] = [];
/** The pool (undefined: none started; null: one thread), and each group's first function number in it. */
let pool: ThreadPool | null | undefined;
const bases = new Map<WebAssembly.Memory, number>();

/** Adds the group (memory, modules) if it is new; a running pool that lacks it is closed (the next `poolFor` starts one with every group). */
function register(memory: WebAssembly.Memory, modules: readonly WebAssembly.Module[]): void {
  if (groups.some((g) => g.memory === memory)) return;
  groups.push({ memory, modules });
  if (pool) closePools();
}

/**
 * Makes the group (memory, modules) part of the pool when one starts, without starting one (so the
 * pool a kernel starts later need not restart for it).
 */
export function registerPoolGroup(memory: WebAssembly.Memory, modules: readonly WebAssembly.Module[]): void {
  if (!groups.some((g) => g.memory === memory)) groups.push({ memory, modules });
}

/**
 * The pool, set to number functions as `modules` over `memory` do (its `base`, valid until the next
 * call), when more than one thread is configured and it is ready; null otherwise (run on this
 * thread). The first call for a memory registers (memory, modules): later calls must repeat them.
 * A pool that fails to start is not retried: the backend stays on one thread.
 */
export function poolFor(memory: WebAssembly.Memory, modules: readonly WebAssembly.Module[]): ThreadPool | null {
  register(memory, modules);
  if (pool && !bases.has(memory)) closePools(); // a group registered after this pool started
  if (pool === undefined) pool = startPool();
  if (pool?.failed) giveUp(pool);
  if (!pool?.ready) return null;
  pool.base = bases.get(memory) ?? 0;
  return pool;
}

/**
 * Finishes the job a kernel left running on the worker threads (`ThreadPool.detach`), if any:
 * every CPU primitive calls this before it touches tensor memory (see {@link deferSettle}).
 */
export function settlePool(): void {
  pool?.settle();
}

/** The storages the last CPU primitive was given to write (its Storage arguments): the only tensor memory a job it left running writes. */
const NONE: readonly unknown[] = [];
let written = NONE;

/**
 * Runs CPU primitive `f` on `args` with the settle of a job left running deferred (CpuBackend, for
 * the primitives that handle it): such a primitive settles itself before it reads tensor memory
 * or runs a kernel on this thread ({@link settleIfWritten} where only the last primitive's
 * outputs matter), and the pool settles before it writes a new job's table, so the primitive's
 * JS before its own job runs while the workers finish the last one. A primitive that publishes no
 * job settles when it returns. The storages `f` writes are noted for the next one.
 */
export function deferSettle<T>(f: (...a: unknown[]) => T, args: unknown[]): T {
  const jobs = pool?.jobs ?? 0;
  try {
    return f(...args);
  } finally {
    if ((pool?.jobs ?? 0) === jobs) settlePool();
    noteWritten(args);
  }
}

/** Notes the Storage arguments (objects with `device` and no `storage`, or such an `out` of an argument) a primitive was given, while it left a job running: see {@link settleIfWritten}. */
export function noteWritten(args: unknown[]): void {
  if (!pool?.detached) {
    written = NONE;
    return;
  }
  const isStorage = (a: unknown): boolean => typeof a === 'object' && a !== null && 'device' in a && !('storage' in a);
  written = args
    .map((a) => (isStorage(a) ? a : isStorage((a as { out?: unknown } | null)?.out) ? (a as { out: unknown }).out : null))
    .filter((a) => a !== null);
}

/**
 * Settles a job left running when the memory about to be read — a storage's data array, or a
 * byte address in the heap — is one the last primitive was given to write (in a deferred settle).
 */
export function settleIfWritten(x: ArrayLike<number> | number): void {
  if (!pool?.detached) return;
  for (const s of written as { data: ArrayLike<number>; block?: number; bytes: number }[])
    if (typeof x === 'number' ? s.block !== undefined && x >= s.block && x < s.block + s.bytes : s.data === x) {
      settlePool();
      return;
    }
}

/** Closes a pool that failed and falls back to one thread (reported by `getThreads()`). */
function giveUp(p: ThreadPool): void {
  p.close();
  pool = null;
  unavailable = true;
  resolved = 1;
}

function startPool(): ThreadPool | null {
  const t = cpuThreads();
  if (t < 2 || groups.length === 0) return null;
  bases.clear();
  let n = 0;
  for (const g of groups) {
    bases.set(g.memory, n);
    for (const m of g.modules) n += WebAssembly.Module.exports(m).filter((e) => e.kind === 'function').length;
  }
  try {
    return new ThreadPool(t, groups[0].memory, groups[0].modules, groups.slice(1));
  } catch {
    unavailable = true;
    resolved = 1;
    return null;
  }
}

/** Starts the pool (with the group over `memory`) now and resolves once its workers are up (false: one thread). */
export async function warmPool(memory: WebAssembly.Memory, modules: readonly WebAssembly.Module[]): Promise<boolean> {
  poolFor(memory, modules);
  const p = pool;
  if (!p) return false;
  if (await p.whenReady()) return true;
  if (pool === p) giveUp(p);
  return false;
}

/** Chunks run by worker threads since the process started (tests check the threaded path ran). @internal */
export function workerChunks(): number {
  return closedChunks + (pool?.workerChunks ?? 0);
}

/** Wakes the workers again from the next job even if slow wakes had left them asleep (`ThreadPool.resetQuiet`; tests). @internal */
export function resetPoolQuiet(): void {
  pool?.resetQuiet();
}

/** Closes the pool (tests, a new thread count, a new group; a later kernel starts a new one). */
export function closePools(): void {
  closedChunks += pool?.workerChunks ?? 0;
  pool?.close();
  pool = undefined;
}
