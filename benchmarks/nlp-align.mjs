// Cross-corpus alignment on real text: GloVe trained separately on the two halves of the
// SpamAssassin corpus (even and odd mails), then the first space mapped onto the second by
// orthogonal Procrustes on a seed dictionary of shared words (the identity pairs), and translation
// precision measured on held-out words by nearest neighbour and by CSLS.
// Usage: node benchmarks/nlp-align.mjs [--epochs 15] [--dim 50] [--threads 2] [--seed-size 4000] [--test-size 1000]
// (after `npm run build`).
import os from 'node:os';
import { alignProcrustes, cooccurrence, evaluateTranslation, trainGloVe, Vocabulary } from '@aimodel/nlp';
import { loadMails, mailDocuments } from '../examples/glove-spam/mail.mjs';
import { machine } from './harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const epochs = arg('epochs', 15);
const dim = arg('dim', 50);
const threads = arg('threads', 2);
const seedSize = arg('seed-size', 4000);
const testSize = arg('test-size', 1000);

const t0 = performance.now();
const mails = loadMails();
const halves = [0, 1].map((h) => mails.filter((_, i) => i % 2 === h).flatMap((m) => mailDocuments(m.text)));
const spaces = [];
for (const [h, docs] of halves.entries()) {
  const vocab = await Vocabulary.build(docs, { minCount: 5 });
  const X = await cooccurrence(docs, { vocab, window: 10 });
  const { vectors } = await trainGloVe(X, { vocab, dim, epochs, threads, seed: 1 + h, progress: false });
  console.log(`half ${h}: ${docs.length} paragraphs, ${vocab.size} words, ${X.nnz} entries, trained (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  spaces.push(vectors);
}
// shared words, most frequent first in half 0 (its vocabulary is sorted by count)
const shared = spaces[0].words.filter((w) => spaces[1].has(w));
const seed = shared.slice(0, seedSize).map((w) => [w, w]);
const test = shared.slice(seedSize, seedSize + testSize).map((w) => [w, w]);
// unit-length rows before aligning (cosine retrieval is unchanged by it, so the target needs no step)
const alignment = alignProcrustes(spaces[0], spaces[1], seed, { normalize: ['unit'] });
const mapped = alignment.apply(spaces[0]);
const target = spaces[1];
const unaligned = evaluateTranslation(spaces[0], target, test, { method: 'nn' });
const nn = evaluateTranslation(mapped, target, test, { method: 'nn' });
const csls = evaluateTranslation(mapped, target, test, { method: 'csls' });
console.log(`\n${machine()}; load average ${os.loadavg()[0].toFixed(1)}; ${new Date().toISOString()}`);
console.log(`GloVe ${dim}-d, ${epochs} passes per half; seed dictionary ${seed.length} shared words (most frequent), held out ${test.length} (the next ones)`);
console.log('| retrieval | P@1 | P@5 | queries |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, e] of [
  ['no mapping (the two spaces as they come)', unaligned],
  ['Procrustes + nearest neighbour', nn],
  ['Procrustes + CSLS (k = 10)', csls],
])
  console.log(`| ${name} | ${(100 * e.precisionAt1).toFixed(1)}% | ${(100 * e.precisionAt5).toFixed(1)}% | ${e.queries} |`);
