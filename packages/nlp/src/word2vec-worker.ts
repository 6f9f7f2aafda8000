// Entry of a word2vec training thread (built by tsup as dist/word2vec-worker.js and .cjs): trains
// the jobs it claims from the shared counter whenever the main thread starts an epoch.
import { parentPort } from 'node:worker_threads';
import { trainEpoch, type Word2VecSetup, Word2VecScratch } from './word2vec-cpu';
import type { FromWord2VecWorker, ToWord2VecWorker } from './word2vec-threads';

let setup: Word2VecSetup | undefined;
let scratch: Word2VecScratch | undefined;

function reply(m: FromWord2VecWorker): void {
  parentPort?.postMessage(m);
}

parentPort?.on('message', (m: ToWord2VecWorker) => {
  try {
    if (m.type === 'setup') {
      setup = m.setup;
      scratch = new Word2VecScratch(m.setup);
      return;
    }
    if (!setup || !scratch) throw new Error('epoch before setup');
    reply({ type: 'done', words: trainEpoch(setup, scratch, m.epoch, true) });
  } catch (e) {
    reply({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
