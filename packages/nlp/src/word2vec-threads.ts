import type { Word2VecSetup } from './word2vec-cpu';
import { WorkerPool } from './worker-threads';

/** Messages to a word2vec worker: its setup once, then "run epoch e". */
export type ToWord2VecWorker = { type: 'setup'; setup: Word2VecSetup; slot: number } | { type: 'epoch'; epoch: number };

/**
 * Starts `count` worker threads that train word2vec epochs Hogwild-style: in each round (one
 * `{ type: 'epoch' }` message) every worker claims the epoch's jobs from a shared atomic counter
 * (gensim's job queue), updates the shared vectors without locks and answers with the effective
 * words it trained. `setup`'s arrays and memory must be shared; worker t uses scratch slot t.
 */
export function startWord2VecPool(op: string, count: number, setup: Word2VecSetup): Promise<WorkerPool<ToWord2VecWorker>> {
  return WorkerPool.start<ToWord2VecWorker>(op, 'word2vec-worker', count, (slot) => ({ type: 'setup', setup, slot }));
}
