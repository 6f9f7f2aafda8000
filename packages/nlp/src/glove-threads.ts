import { ArgumentError, DeviceError } from '@aimodel/tensor';
import type { GloVeArray, GloVeEntries } from './glove-cpu';
import { type NodeWorker as Worker, startWorkers } from './worker-threads';

/** What every worker gets once: shared parameters, accumulators and entry arrays, and its slice. */
export interface HogwildSetup {
  /** Parameters and accumulators, interleaved (see glove-cpu). */
  P: GloVeArray;
  /** The entries a pass visits, in the pass's order. */
  entries: GloVeEntries;
  /**
   * For shuffled passes: the entries in sorted order and the pass's permutation; before a pass
   * that asks for it, each worker gathers its own slice of `entries` from them
   * (entries[k] = base[perm[k]]), so the gather runs in parallel rather than on the main thread.
   */
  base?: GloVeEntries;
  perm?: Int32Array;
  dim: number;
  vocabSize: number;
  eta: number;
  clip: number;
}

/** Messages to a worker: its setup and slice, or "run one pass" (after gathering its slice through `perm` when `gather`). */
export type ToWorker = { type: 'setup'; setup: HogwildSetup; start: number; end: number } | { type: 'pass'; gather: boolean };
/** Messages from a worker: the summed cost of its slice for one pass, or a failure. */
export type FromWorker = { type: 'cost'; cost: number } | { type: 'error'; message: string };

type NodeWorker = Worker<ToWorker, FromWorker>;

export { sharedMemoryAvailable } from './worker-threads';

/**
 * A set of worker threads that each run {@link glovePass} over a fixed contiguous slice of the
 * shared entries, lock-free on the shared parameters (Hogwild, as the reference's pthreads).
 */
export class HogwildPool {
  private readonly workers: NodeWorker[];
  private pending: { costs: number[]; left: number; resolve: (c: number) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(workers: NodeWorker[]) {
    this.workers = workers;
  }

  /** Starts `threads` workers on `setup`; the entries are split into equal contiguous slices. */
  static async start(op: string, threads: number, setup: HogwildSetup): Promise<HogwildPool> {
    if (!(setup.P.buffer instanceof SharedArrayBuffer)) throw new ArgumentError(op, 'internal: Hogwild parameters must live in a SharedArrayBuffer');
    const N = setup.entries.rows.length;
    const workers: NodeWorker[] = await startWorkers<ToWorker, FromWorker>(op, 'glove-worker', threads);
    const pool = new HogwildPool(workers);
    workers.forEach((w, t) => {
      w.on('message', (m) => pool.onMessage(m));
      w.on('error', (e) => pool.fail(new DeviceError(op, `a training thread failed: ${e.message}`)));
      const start = Math.floor((N * t) / threads);
      const end = Math.floor((N * (t + 1)) / threads);
      w.postMessage({ type: 'setup', setup, start, end });
    });
    return pool;
  }

  /**
   * Runs one pass on every worker (each first gathering its slice through the setup's `perm` when
   * `gather`); resolves with the summed cost of all entries.
   */
  pass(gather = false): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { costs: [], left: this.workers.length, resolve, reject };
      for (const w of this.workers) w.postMessage({ type: 'pass', gather });
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'error') {
      this.fail(new DeviceError('trainGloVe', `a training thread failed: ${m.message}`));
      return;
    }
    const p = this.pending;
    if (!p) return;
    p.costs.push(m.cost);
    if (--p.left === 0) {
      this.pending = undefined;
      p.resolve(p.costs.reduce((s, c) => s + c, 0));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
