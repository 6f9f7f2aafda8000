// word2vec on the SpamAssassin corpus (the documents of examples/glove-spam): skip-gram, 50
// dimensions, window 5, negative 5, sample 1e-3, 5 epochs — the settings of the gensim
// yardstick (gensim 4.2 on this 2-core machine kind: 63–83 s with 1 worker, 37–45 s with 2; seed-
// to-seed top-10 neighbour overlap of the 1,000 most frequent words 0.535–0.546).
// Measures wall and process CPU time, raw words/s, and the mean top-10 overlap between two seeds.
// Run after building: `npm run build && node benchmarks/nlp-word2vec.mjs [--epochs 5] [--skip-2]`.
import os from 'node:os';
import { trainWord2Vec } from '@aimodel/nlp';
import { loadMails, mailDocuments } from '../examples/glove-spam/mail.mjs';
import { machine } from './harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const EPOCHS = Number(arg('epochs', 5));
const TOP_WORDS = 1000;
const TOP_N = 10;
const settings = { dim: 50, window: 5, negative: 5, sample: 1e-3, sg: 1, minCount: 5, epochs: EPOCHS, progress: false };

const docs = loadMails().flatMap((m) => mailDocuments(m.text));
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function run(workers, seed) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let raw = 0;
  let effective = 0;
  const vectors = await trainWord2Vec(docs, {
    ...settings,
    workers,
    seed,
    onEpoch: (e) => {
      raw += e.rawWords;
      effective += e.effectiveWords;
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  return { vectors, wall, cpu: (used.user + used.system) / 1e6, raw, effective };
}

/** Mean |top-10(a) ∩ top-10(b)| / 10 over the most frequent words (ids are count-ordered). */
function overlap(a, b) {
  let sum = 0;
  const words = a.words.slice(0, TOP_WORDS);
  for (const w of words) {
    const na = new Set(a.mostSimilar(w, { topN: TOP_N }).map(([x]) => x));
    let common = 0;
    for (const [x] of b.mostSimilar(w, { topN: TOP_N })) if (na.has(x)) common++;
    sum += common / TOP_N;
  }
  return sum / words.length;
}

console.log(`word2vec skip-gram on SpamAssassin (${docs.length} documents), ${JSON.stringify(settings)}; ${machine()}`);
const rows = [];
const report = (label, r) => {
  rows.push({ label, ...r });
  console.log(
    `${label}: wall ${r.wall.toFixed(1)} s, CPU ${r.cpu.toFixed(1)} s, ${Math.round(r.raw / r.wall).toLocaleString('en-US')} raw words/s (${Math.round(r.effective / r.wall).toLocaleString('en-US')} effective), load ${load()}`,
  );
};
const one = await run(1, 1);
report('1 worker, seed 1', one);
const two = process.argv.includes('--skip-2') ? undefined : await run(2, 1);
if (two) report('2 workers, seed 1', two);
const other = await run(1, 2);
report('1 worker, seed 2', other);
console.log(
  `vocabulary ${one.vectors.words.length} words; mean top-${TOP_N} overlap of the ${TOP_WORDS} most frequent words, seed 1 vs seed 2: ${overlap(one.vectors, other.vectors).toFixed(3)}`,
);
if (two) console.log(`overlap 1 worker vs 2 workers (seed 1): ${overlap(one.vectors, two.vectors).toFixed(3)}`);
