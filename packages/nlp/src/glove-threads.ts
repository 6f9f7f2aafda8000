import { ArgumentError } from '@aimodel/tensor';
import type { GloVeArray, GloVeEntries } from './glove-cpu';
import { WorkerPool } from './worker-threads';

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

export { sharedMemoryAvailable } from './worker-threads';

/**
 * Starts `threads` workers that each run {@link glovePass} over a fixed contiguous slice of the
 * shared entries (equal slices), lock-free on the shared parameters (Hogwild, as the reference's
 * pthreads). Each round (one `{ type: 'pass', gather }` message) resolves with the summed cost of all entries.
 */
export function startHogwildPool(op: string, threads: number, setup: HogwildSetup): Promise<WorkerPool<ToWorker>> {
  if (!(setup.P.buffer instanceof SharedArrayBuffer)) throw new ArgumentError(op, 'internal: Hogwild parameters must live in a SharedArrayBuffer');
  const N = setup.entries.rows.length;
  return WorkerPool.start<ToWorker>(op, 'glove-worker', threads, (t) => ({
    type: 'setup',
    setup,
    start: Math.floor((N * t) / threads),
    end: Math.floor((N * (t + 1)) / threads),
  }));
}
