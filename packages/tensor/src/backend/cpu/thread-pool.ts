// Over ~450 lines: one claim protocol in one file, the worker's source (a string kept in step with
// the caller's `help`) beside the pool that publishes, claims, waits and wakes.
/**
 * A pool of worker threads running WebAssembly functions over one shared memory, for kernels
 * that split their work into independent chunks (the float GEMM's tiles: ./wasm/gemm-driver.ts).
 *
 * Workers are started from a small self-contained source string (Node: `worker_threads` with
 * `eval`; browsers: a Blob URL), so no extra file has to be resolved from the package. Each one
 * receives the compiled modules and the shared `WebAssembly.Memory` once, instantiates them, and
 * then waits on a control block (an Int32Array over a SharedArrayBuffer):
 *
 *   [0] CLAIM  from the back (bit 31) | job generation (bits 24–30) | end of the unclaimed
 *              chunks (bits 12–23) | next chunk from the front (bits 0–11)
 *   [1] DONE   chunks finished in this job          [2] READY  workers started
 *   [3] STOP   set when the pool closes             [4] ERROR  first failure's chunk + 1
 *   [5] WORKED chunks run by workers (statistics)     [6] ROWS   calls per chunk in this job
 *   [7] SLEEP  workers blocked (or about to block) in Atomics.wait on CLAIM
 *   [8] WAITER the calling thread blocks (or is about to) in Atomics.wait on DONE
 *   [9] TOTAL  chunks in this job                  [10] SPREAD bytes between the threads' scratch areas
 *   [11 …]     call table: per call a function index (−1: none) and 12 i32 arguments; chunk i
 *              is calls i·ROWS … i·ROWS + ROWS − 1, run in order by one thread. Bits 16–23 of
 *              the index mark which of the first 8 arguments are addresses in a scratch area of
 *              the calling thread's: participant p (the caller 0, the workers 1, 2, …) adds
 *              p·SPREAD to them, so each thread reuses an area of its own, warm in its core's
 *              cache, whichever chunks it claims (`addIn`)
 *
 * A job is published by writing the table and storing CLAIM = (back, generation, n, 0), then
 * `Atomics.notify`. Every participant — the workers and the calling thread, which takes its share
 * too — claims chunks one at a time with a compare-and-swap on CLAIM, runs them, and counts them
 * in DONE. The caller takes chunks from the front; in a job marked `back`, the workers take them
 * from the end, so each thread works on one end of the data, the same end in every job (the next
 * kernel finds its part of the data in its own core's cache). Chunks are claimed dynamically, so a
 * worker that is descheduled (a loaded machine) or still asleep costs at most the chunk it holds:
 * the caller takes the rest. Which thread runs a chunk never changes what the chunk computes, so
 * results do not depend on the thread count. Because both ends share one word with the
 * generation, a worker cannot claim a chunk of a job it has not seen: a successful swap proves the
 * job is still open and its table intact.
 *
 * Workers never keep a Node process alive (`unref`); a closed pool terminates them.
 */

/** The control block's word numbers (see above), and the words per call in the table. */
const WORD = { CLAIM: 0, DONE: 1, READY: 2, STOP: 3, ERROR: 4, WORKED: 5, ROWS: 6, SLEEP: 7, WAITER: 8, TOTAL: 9, SPREAD: 10, TABLE: 11, WORDS: 13 };
const { CLAIM, DONE, READY, STOP, ERROR, WORKED, ROWS, SLEEP, WAITER, TOTAL, SPREAD, TABLE, WORDS } = WORD;

/** Most chunks one job can hold, and most calls. */
export const MAX_CHUNKS = 1024;
export const MAX_CALLS = 8192;

/**
 * How long (ms) a thread polls a control word before sleeping on it. A sleeping thread costs a
 * system call to wake and, on an idle machine (a virtual CPU halted), ~300 µs until it runs — as
 * long as a small job. A training step's jobs come up to a few hundred µs apart (its serial work
 * between them: the loss, autograd), so the workers keep polling across those gaps — not much
 * longer: on a loaded machine a polling worker takes time from the other threads (the small-CNN
 * step on 2 threads under load: 0.5× its 1-thread speed polling 1 ms, ~0.7–1× polling 0.1–0.3 ms).
 * The time is checked every SPIN_CHECK loads.
 */
const SPIN_MS = 0.5;
const SPIN_CHECK = 256;

/**
 * When waking sleeping workers takes more than WAKE_SHARE of the calling thread's time over a
 * window of WINDOW_MS, the caller keeps losing its core to the workers it wakes (other threads want
 * the cores: a busy machine), and the workers are left asleep, the caller running the jobs alone,
 * for QUIET_MS — doubled after each window that is as bad (at most QUIET_MS·2^QUIET_LEVELS, 512 ms),
 * halved again after each good one. A busy machine then costs about one thread's speed, not much more.
 * Measured on the 2-core VM (the small-CNN step on 2 threads, 2026-12-03), the share of 20 ms
 * windows spent waking: idle, median 0.1–0.6%, 10–19% of windows over 15% (most in the first
 * seconds, while V8 compiles the step's code on background threads); beside one busy process,
 * median 30%, 80% of windows over 15%. A false alarm costs a 4 ms pause. Mean step time over 400–600
 * steps from a cold start, against the rule this replaced (two wakes over 0.5 ms nearly in a row;
 * it fired on the idle machine too — 6% of its wakes are that slow, in bursts, 43% of those ending
 * a pause — and each pause made the next likelier, so idle steps came out bimodal, ~3.5 or ~7 ms):
 * idle 4.86–5.00 ms against 5.13–5.19; beside one busy process 7.8–8.4 ms against 8.3–9.0 (one
 * thread: 8.0).
 */
const WAKE_SHARE = 0.15;
const WINDOW_MS = 20;
const QUIET_MS = 4;
const QUIET_LEVELS = 7;

/**
 * The rule above over the times of the wakes (performance.now(), ms): `note` each wake, and leave
 * sleeping workers asleep until `quietUntil`. @internal
 */
export class WakeGauge {
  /** Until when sleeping workers are not woken. */
  quietUntil = 0;
  /** The next pause is QUIET_MS·2^level; time spent waking workers since `windowStart`. */
  private level = 0;
  private wakeMs = 0;
  private windowStart: number;

  constructor(now: number) {
    this.windowStart = now;
  }

  /** A wake that started at `t` and returned at `end`. */
  note(t: number, end: number): void {
    this.wakeMs += end - t;
    const span = end - this.windowStart;
    if (span < WINDOW_MS) return;
    if (this.wakeMs > WAKE_SHARE * span) {
      this.quietUntil = end + QUIET_MS * 2 ** this.level;
      this.level = Math.min(this.level + 1, QUIET_LEVELS);
    } else this.level = Math.max(this.level - 1, 0);
    this.windowStart = Math.max(end, this.quietUntil);
    this.wakeMs = 0;
  }

  /** Forgets what was seen: wakes from now on. */
  reset(now: number): void {
    this.quietUntil = 0;
    this.level = 0;
    this.wakeMs = 0;
    this.windowStart = now;
  }
}

/**
 * The worker's source: plain script, no imports; `start(data)` runs the claim loop forever.
 * Kept in step with `help` below (same constants, same claim protocol). A worker claims from the
 * back (bit 31 of CLAIM set: v < 0) or, in a job that may grow (`extend`), from the front. It
 * announces a sleep (SLEEP) before checking CLAIM again: a publisher that stores CLAIM and then
 * reads SLEEP either sees the sleeper or the sleeper sees its job. (No comments inside: the string
 * ships as it is.)
 */
const WORKER_SOURCE = `'use strict';
const ${Object.entries({ ...WORD, SPIN_MS, SPIN_CHECK })
  .map(([k, v]) => `${k} = ${v}`)
  .join(', ')};
function start(d) {
  const c = new Int32Array(d.control), d0 = d.id;
  const fns = [];
  for (const g of d.groups)
    for (const m of g.modules) {
      const ex = new WebAssembly.Instance(m, { env: { mem: g.memory } }).exports;
      for (const e of WebAssembly.Module.exports(m)) if (e.kind === 'function') fns.push(ex[e.name]);
    }
  Atomics.add(c, READY, 1);
  Atomics.notify(c, READY);
  for (;;) {
    const v = Atomics.load(c, CLAIM);
    if (Atomics.load(c, STOP) !== 0) return;
    const n = (v >>> 12) & 0xfff, front = v & 0xfff;
    if (front < n) {
      if (Atomics.compareExchange(c, CLAIM, v, v < 0 ? v - 4096 : v + 1) !== v) continue;
      const i = v < 0 ? n - 1 : front, rows = c[ROWS], d = d0 * c[SPREAD];
      for (let r = 0; r < rows; r++) {
        const o = TABLE + (i * rows + r) * WORDS, f = c[o];
        if (f < 0) continue;
        const m = f >>> 16;
        try { fns[f & 0xffff](c[o + 1] + (m & 1) * d, c[o + 2] + ((m >> 1) & 1) * d, c[o + 3] + ((m >> 2) & 1) * d, c[o + 4] + ((m >> 3) & 1) * d, c[o + 5] + ((m >> 4) & 1) * d, c[o + 6] + ((m >> 5) & 1) * d, c[o + 7] + ((m >> 6) & 1) * d, c[o + 8] + ((m >> 7) & 1) * d, c[o + 9], c[o + 10], c[o + 11], c[o + 12]); }
        catch (e) { Atomics.compareExchange(c, ERROR, 0, i + 1); }
      }
      Atomics.add(c, WORKED, 1);
      if (Atomics.add(c, DONE, 1) + 1 >= Atomics.load(c, TOTAL) && Atomics.load(c, WAITER) !== 0) Atomics.notify(c, DONE);
      continue;
    }
    for (let s = 1, end = performance.now() + SPIN_MS; Atomics.load(c, CLAIM) === v; s++) if (s % SPIN_CHECK === 0 && performance.now() > end) break;
    Atomics.add(c, SLEEP, 1);
    if (Atomics.load(c, CLAIM) === v) Atomics.wait(c, CLAIM, v);
    Atomics.sub(c, SLEEP, 1);
  }
}
if (typeof require === 'function') start(require('node:worker_threads').workerData);
else self.onmessage = (e) => start(e.data);
`;

type Fn = (...args: number[]) => void;

/**
 * Blocks the calling thread until DONE moves from `d` (or 50 ms pass). Announced first: a worker
 * that counts the last chunk then reads WAITER either wakes us or we see its count. A function of
 * its own, not a branch of `wait`: the branch runs rarely (the caller finished its chunks more than
 * SPIN_MS before a worker), so V8 optimized `wait` without feedback for it and deoptimized it each
 * time it ran — up to once a training step (`--trace-deopt`, the small CNN on 2 threads).
 */
function blockOnDone(c: Int32Array, d: number): void {
  Atomics.store(c, WAITER, 1);
  Atomics.wait(c, DONE, d, 50);
  Atomics.store(c, WAITER, 0);
}

/** The part of Node's and browsers' Worker the pool uses. */
interface AnyWorker {
  terminate(): unknown;
  unref?: () => void;
  on?: (event: 'error', listener: (e: unknown) => void) => void;
  addEventListener?: (event: 'error', listener: (e: unknown) => void) => void;
}

/** Node's `worker_threads`, when this is Node and it can be loaded synchronously. */
function nodeWorkerThreads(): { Worker: new (code: string, opts: object) => AnyWorker } | null {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return null;
  return proc.getBuiltinModule('node:worker_threads') as { Worker: new (code: string, opts: object) => AnyWorker } | null;
}

/** Whether this thread may block in `Atomics.wait` (Node's main thread and workers may; a browser's main thread may not). */
let blockable: boolean | undefined;
function canBlock(): boolean {
  if (blockable === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockable = true;
    } catch {
      blockable = false;
    }
  }
  return blockable;
}

/**
 * Whether worker threads over shared memory can run here: SharedArrayBuffer exists (browsers:
 * only when cross-origin isolated) and Node's `worker_threads` or the Worker, Blob and URL APIs
 * are available.
 */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  if (nodeWorkerThreads()) return true;
  const g = globalThis as { Worker?: unknown; Blob?: unknown; URL?: { createObjectURL?: unknown }; crossOriginIsolated?: boolean };
  return typeof g.Worker === 'function' && typeof g.Blob === 'function' && typeof g.URL?.createObjectURL === 'function' && g.crossOriginIsolated === true;
}

/** Starts one worker on `data`, calling `onError` if it fails; throws when workers cannot be created here. */
function spawn(data: object, onError: () => void): AnyWorker {
  const node = nodeWorkerThreads();
  if (node) {
    const w = new node.Worker(WORKER_SOURCE, { eval: true, workerData: data, name: 'aimodel-cpu' });
    w.on?.('error', onError);
    w.unref?.();
    return w;
  }
  const g = globalThis as unknown as {
    Worker: new (url: string, opts?: object) => AnyWorker & { postMessage(d: unknown): void };
    URL: { createObjectURL(b: unknown): string; revokeObjectURL(u: string): void };
    Blob: new (parts: string[], opts: object) => unknown;
  };
  const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  try {
    const w = new g.Worker(url, { name: 'aimodel-cpu' });
    w.addEventListener?.('error', onError);
    w.postMessage(data);
    return w;
  } finally {
    g.URL.revokeObjectURL(url);
  }
}

/** The pool's number of export `name` of `modules[module]` (see ThreadPool). */
export function functionIndex(modules: readonly WebAssembly.Module[], module: number, name: string): number {
  let i = 0;
  for (let m = 0; m < modules.length; m++)
    for (const e of WebAssembly.Module.exports(modules[m])) {
      if (e.kind !== 'function') continue;
      if (m === module && e.name === name) return i;
      i++;
    }
  throw new RangeError(`ThreadPool: module ${module} exports no function '${name}'`);
}

/** Modules instantiated over one memory in a pool. */
export interface PoolGroup {
  memory: WebAssembly.Memory;
  modules: readonly WebAssembly.Module[];
}

/**
 * `size − 1` workers plus the calling thread over `memory`, each able to call every exported
 * function of `modules` (numbered in order: module by module, exports in declaration order), then
 * those of the `more` groups' modules over their own memories (numbered on from there).
 * Workers start asynchronously; until `ready` the pool must not be given jobs (callers then run
 * their chunks themselves, which computes the same result).
 */
export class ThreadPool {
  /** Participants: the workers and the calling thread. */
  readonly size: number;
  private readonly ctrl: Int32Array;
  private readonly workers: AnyWorker[] = [];
  private readonly fns: Fn[] = [];
  private gen = 0;
  /** Chunks written to the table, how many of them the current job shows, calls per chunk, calls written. */
  private n = 0;
  private visible = 0;
  private rows = 1;
  private calls = 0;
  private closed = false;
  /** A worker failed to start or crashed (e.g. a page whose CSP forbids blob: workers). */
  failed = false;

  constructor(size: number, memory: WebAssembly.Memory, modules: readonly WebAssembly.Module[], more: readonly PoolGroup[] = []) {
    this.size = size;
    this.ctrl = new Int32Array(new SharedArrayBuffer((TABLE + MAX_CALLS * WORDS) * 4));
    const groups = [{ memory, modules }, ...more];
    for (const g of groups)
      for (const m of g.modules) {
        const ex = new WebAssembly.Instance(m, { env: { mem: g.memory } }).exports;
        for (const e of WebAssembly.Module.exports(m)) if (e.kind === 'function') this.fns.push(ex[e.name] as Fn);
      }
    try {
      for (let i = 1; i < size; i++) this.workers.push(spawn({ control: this.ctrl.buffer, groups, id: i }, () => (this.failed = true)));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Whether every worker has started (jobs may be given). */
  get ready(): boolean {
    return !this.closed && !this.failed && Atomics.load(this.ctrl, READY) === this.workers.length;
  }

  /** Chunks the workers (not the calling thread) have run since the pool started. */
  get workerChunks(): number {
    return Atomics.load(this.ctrl, WORKED);
  }

  /**
   * Resolves to true once every worker has started, or to false when one failed or `timeoutMs`
   * passed first (polls: a waiting promise would need `Atomics.waitAsync`).
   */
  async whenReady(timeoutMs = 30_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!this.ready && !this.closed && !this.failed && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
    return this.ready && !this.failed;
  }

  /**
   * Starts a job whose chunks are `rows` calls each (run in order by one thread): calls are added
   * with `add`, then `run` (or `publish`, `help`, `wait`) executes them.
   */
  begin(rows = 1): void {
    this.settle();
    this.n = 0;
    this.visible = 0;
    this.rows = rows;
    this.calls = 0;
    this.chunkStart = 0;
    this.spread = 0;
  }

  /** A copy of the calls added since `begin` (whole chunks), for `replay`. */
  record(): Int32Array {
    this.pad();
    return this.ctrl.slice(TABLE, TABLE + this.calls * WORDS);
  }

  /** `begin(rows)` and the calls of a `record` made with the same rows by this pool (then `publish`). */
  replay(calls: Int32Array, rows: number): void {
    this.begin(rows);
    this.ctrl.set(calls, TABLE);
    this.calls = calls.length / WORDS;
    this.n = this.calls / rows;
    this.chunkStart = this.calls;
  }

  /** Added to every function number `add` is given (≥ 0): the first function of the group whose numbering the caller uses (see threads.ts `poolFor`). */
  base = 0;

  /** Appends a call of function `fn` (numbered within the caller's group, −1: none) with up to 12 i32 arguments (missing ones 0); every `rows` calls make a chunk. */
  add(fn: number, ...args: number[]): void {
    if (this.calls >= MAX_CALLS || this.n >= MAX_CHUNKS) throw new RangeError(`ThreadPool: more than ${MAX_CHUNKS} chunks or ${MAX_CALLS} calls in one job`);
    if (fn + this.base > 0xffff) throw new RangeError(`ThreadPool: function number ${fn + this.base} over 65535 (the table keeps bits 16–23 for addIn's mask)`);
    const c = this.ctrl,
      o = TABLE + this.calls++ * WORDS;
    if (this.calls % this.rows === 0) this.n++;
    c[o] = fn < 0 ? -1 : fn + this.base;
    for (let k = 1; k < WORDS; k++) c[o + k] = args[k - 1] ?? 0;
  }

  /**
   * `add`, with bit j of `mask` set when argument j (of the first 8) is an address in the calling
   * thread's scratch area: participant p runs the call with `spread`·p added to it (see the table).
   */
  addIn(mask: number, fn: number, ...args: number[]): void {
    this.add(fn, ...args);
    if (fn >= 0) this.ctrl[TABLE + (this.calls - 1) * WORDS] |= (mask & 0xff) << 16;
  }

  /** Bytes between the participants' scratch areas in the job being written (`addIn`; 0 from `begin`). */
  spread = 0;

  /** Ends a partly filled chunk with empty calls. */
  private pad(): void {
    while (this.calls % this.rows !== 0) this.add(-1);
  }

  /** Ends the chunk whose calls were just added (padded with empty calls; at most `rows` calls, see `begin`). */
  endChunk(): void {
    if (this.calls - this.chunkStart > this.rows) throw new RangeError(`ThreadPool: a chunk of more than ${this.rows} calls`);
    this.pad();
    this.chunkStart = this.calls;
  }

  /** Where the chunk `endChunk` ends began (a call number). */
  private chunkStart = 0;

  /**
   * Publishes the chunks added since `begin` to the workers (they start at once). The workers take
   * them from the back, unless `back` is false: a job that `extend` will grow.
   */
  publish(back = true): void {
    this.pad();
    const c = this.ctrl;
    c[ROWS] = this.rows;
    c[SPREAD] = this.spread;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, ERROR, 0);
    Atomics.store(c, TOTAL, this.n);
    this.gen = (this.gen + 1) & 0x7f;
    this.back = back;
    Atomics.store(c, CLAIM, (back ? 1 << 31 : 0) | (this.gen << 24) | (this.n << 12));
    this.visible = this.n;
    this.jobs++;
    this.wake();
  }

  /** Whether sleeping workers are woken now (see WAKE_SHARE; tests set its `quietUntil`). @internal */
  readonly gauge = new WakeGauge(performance.now());

  /** Forgets the slow wakes seen so far and wakes workers again from the next job (tests that need the workers to take part). @internal */
  resetQuiet(): void {
    this.gauge.reset(performance.now());
  }

  /** Wakes sleeping workers for the job just published (a system call: skipped while every worker spins), unless the machine was found busy (see WAKE_SHARE). */
  private wake(): void {
    const c = this.ctrl;
    if (Atomics.load(c, SLEEP) === 0) return;
    const t = performance.now();
    if (t < this.gauge.quietUntil) return;
    Atomics.notify(c, CLAIM);
    this.gauge.note(t, performance.now());
  }

  /** Whether the workers take the published job's chunks from the back. */
  private back = false;

  /**
   * Adds the chunks written since `publish(false)` (or the last `extend`) to the published job,
   * which may be running: they must not depend on its other chunks.
   */
  extend(): void {
    if (this.back) throw new RangeError('ThreadPool: extend needs a job published with publish(false)');
    this.pad();
    const c = this.ctrl,
      k = this.n - this.visible;
    if (k === 0) return;
    Atomics.add(c, TOTAL, k);
    for (;;) {
      const v = Atomics.load(c, CLAIM);
      if (Atomics.compareExchange(c, CLAIM, v, v + (k << 12)) === v) break;
    }
    this.visible = this.n;
    this.wake();
  }

  /** Runs the published job's unclaimed chunks on the calling thread, until none is left to claim. */
  help(): void {
    const c = this.ctrl,
      fns = this.fns;
    for (;;) {
      const v = Atomics.load(c, CLAIM);
      const n = (v >>> 12) & 0xfff,
        i = v & 0xfff;
      if (i >= n) return;
      if (Atomics.compareExchange(c, CLAIM, v, v + 1) !== v) continue;
      const rows = this.rows;
      for (let r = 0; r < rows; r++) {
        const o = TABLE + (i * rows + r) * WORDS,
          f = c[o];
        if (f < 0) continue;
        try {
          fns[f & 0xffff](c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5], c[o + 6], c[o + 7], c[o + 8], c[o + 9], c[o + 10], c[o + 11], c[o + 12]);
        } catch {
          Atomics.compareExchange(c, ERROR, 0, i + 1);
        }
      }
      Atomics.add(c, DONE, 1);
    }
  }

  /** Waits until every chunk of the published job has finished; throws if one failed. */
  wait(): void {
    const c = this.ctrl,
      n = this.visible,
      block = canBlock();
    for (let s = 1, end = performance.now() + SPIN_MS; Atomics.load(c, DONE) < n; s++) if (s % SPIN_CHECK === 0 && performance.now() > end) break;
    // chunks nobody claimed (the caller did not help) need the workers, even those left asleep
    const v = Atomics.load(c, CLAIM);
    if ((v & 0xfff) < ((v >>> 12) & 0xfff)) Atomics.notify(c, CLAIM);
    for (let d = Atomics.load(c, DONE); d < n; d = Atomics.load(c, DONE)) if (block) blockOnDone(c, d);
    const err = Atomics.load(c, ERROR);
    if (err !== 0) throw new RangeError(`ThreadPool: chunk ${err - 1} failed in a worker`);
  }

  /** publish + help + wait. */
  run(): void {
    this.publish();
    this.help();
    this.wait();
  }

  /** Whether a published job was left to the workers (`detach`) and the calling thread joins in when it settles. */
  private pending: 'help' | 'wait' | null = null;

  /** Jobs published since the pool started. */
  jobs = 0;

  /** Whether a job left running (`detach`) has not been settled yet. */
  get detached(): boolean {
    return this.pending !== null;
  }

  /**
   * Leaves the published job running on the workers and returns at once: the calling thread goes
   * on with its own work (an op's bookkeeping) while they compute. The job must be the last thing
   * its kernel does (nothing here reads its results); the next `begin`, `settle` or `close` joins
   * in on its unclaimed chunks (when `help`) and waits for it.
   */
  detach(help = true): void {
    this.pending = help ? 'help' : 'wait';
  }

  /** Finishes a detached job (helping with its unclaimed chunks) and waits for it; throws if a chunk failed. */
  settle(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    if (p === 'help') this.help();
    this.wait();
  }

  /** Stops and terminates the workers (idempotent), after finishing a detached job. */
  close(): void {
    if (this.closed) return;
    if (!this.failed) this.settle();
    this.closed = true;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.store(this.ctrl, CLAIM, 0);
    Atomics.notify(this.ctrl, CLAIM);
    for (const w of this.workers) w.terminate();
  }
}
