// Entry of a word2vec training thread (built by tsup as dist/word2vec-worker.js and .cjs): trains
// the jobs it claims from the shared counter whenever the main thread starts an epoch.
import { parentPort } from 'node:worker_threads';
import { trainEpoch, Word2VecThread } from './word2vec-cpu';
import type { FromPoolWorker } from './worker-threads';
import type { ToWord2VecWorker } from './word2vec-threads';

let thread: Word2VecThread | undefined;

function reply(m: FromPoolWorker): void {
  parentPort?.postMessage(m);
}

parentPort?.on('message', (m: ToWord2VecWorker) => {
  try {
    if (m.type === 'setup') {
      thread = new Word2VecThread(m.setup, m.slot);
      return;
    }
    if (!thread) throw new Error('epoch before setup');
    reply({ type: 'done', value: trainEpoch(thread, m.epoch, true) });
  } catch (e) {
    reply({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
