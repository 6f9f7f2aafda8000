// Entry of a GloVe training thread (built by tsup as dist/glove-worker.js and .cjs): runs the CPU
// pass over its slice of the shared entries whenever the main thread asks, Hogwild-style.
import { parentPort } from 'node:worker_threads';
import { gatherEntries, glovePass } from './glove-cpu';
import type { HogwildSetup, ToWorker } from './glove-threads';
import type { FromPoolWorker } from './worker-threads';

let setup: HogwildSetup | undefined;
let start = 0;
let end = 0;

function reply(m: FromPoolWorker): void {
  parentPort?.postMessage(m);
}

parentPort?.on('message', (m: ToWorker) => {
  try {
    if (m.type === 'setup') {
      setup = m.setup;
      start = m.start;
      end = m.end;
      return;
    }
    if (!setup) throw new Error('pass before setup');
    const s = setup;
    if (m.gather) {
      if (!s.base || !s.perm) throw new Error('gather without a permutation');
      gatherEntries(s.entries, s.base, s.perm, start, end);
    }
    reply({ type: 'done', value: glovePass(s.P, s.dim, s.vocabSize, s.entries, start, end, s.eta, s.clip) });
  } catch (e) {
    reply({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
