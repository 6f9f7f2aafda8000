// GloVe on the SpamAssassin public corpus: raw mails → text → vocabulary → co-occurrence →
// 50-dimensional vectors → nearest neighbours. See README.md.
// Usage: node examples/glove-spam/index.mjs [--prep paragraphs|reference] [--threads N] [--epochs N] [--dim N] [--save vectors.txt]
// (after `npm run build`; `npm run example:glove-spam` does both).
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Vocabulary, cooccurrence, tokenize, trainGloVe } from '@aimodel/nlp';
import { letterTokens, loadMails, mailDocuments, referenceDocuments } from './mail.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const threads = Number(arg('threads', Math.min(2, availableParallelism())));
const epochs = Number(arg('epochs', 25));
const dim = Number(arg('dim', 50));
const save = arg('save', undefined);
// paragraphs (default): one document per paragraph, the default tokenizer. reference: one document
// per mail, repeated paragraphs removed, letter-only tokens (closest to the C reference's corpus
// statistics; see README.md).
const prep = arg('prep', 'paragraphs');
if (prep !== 'paragraphs' && prep !== 'reference') throw new Error(`--prep must be paragraphs or reference, got ${prep}`);
const tokenizer = prep === 'reference' ? letterTokens : {};
const seconds = (t) => ((performance.now() - t) / 1000).toFixed(1);

// 1. Raw mails → documents (one per paragraph, the subject one too; or one per mail with --prep reference).
let t = performance.now();
const mails = loadMails();
const docs = prep === 'reference' ? referenceDocuments(mails) : mails.flatMap((m) => mailDocuments(m.text));
let tokens = 0;
for (const d of docs) tokens += (typeof tokenizer === 'function' ? tokenizer(d) : tokenize(d)).length;
console.log(
  `${mails.length} mails → ${docs.length} ${prep === 'reference' ? 'documents (one per mail, repeated paragraphs removed)' : 'paragraphs'}, ${tokens} tokens (${seconds(t)} s)`,
);

// 2. Vocabulary (min count 5) and co-occurrence counts (window 10, symmetric, 1/distance).
t = performance.now();
const vocab = await Vocabulary.build(docs, { minCount: 5, tokenizer });
const X = await cooccurrence(docs, { vocab, window: 10, tokenizer });
console.log(`vocabulary: ${vocab.size} words at min count 5; co-occurrence: ${X.nnz} non-zero entries at window 10 (${seconds(t)} s)`);

// 3. GloVe: 50 dimensions, 25 passes, the reference's defaults (xMax 100, α 0.75, η 0.05).
t = performance.now();
console.log(`training ${dim}-dimensional vectors, ${epochs} passes, ${threads} thread(s):`);
const { vectors, model, costHistory } = await trainGloVe(X, {
  vocab,
  dim,
  epochs,
  threads,
  seed: 1,
  progress: false,
  onEpoch: ({ epoch, cost, seconds: s }) =>
    console.log(`  pass ${String(epoch).padStart(2)}  cost ${cost.toFixed(6)}  ${s.toFixed(2)} s  (${((s * 1e6) / X.nnz).toFixed(2)} µs/entry)`),
});
console.log(`trained in ${seconds(t)} s; cost curve: ${costHistory.map((c) => c.toFixed(4)).join(' ')}`);

// 4. The exact objective of the returned model: J/(2N) = Σ f(X)(wᵢ·w̃ⱼ + bᵢ + b̃ⱼ − log X)² / (2N).
const W = model.tensors.W.dataSync();
const Wc = model.tensors.W_context.dataSync();
const b = model.tensors.b.dataSync();
const bc = model.tensors.b_context.dataSync();
let J = 0;
for (const [i, j, x] of X.entries()) {
  let dot = b[i] + bc[j] - Math.log(x);
  for (let k = 0; k < dim; k++) dot += W[i * dim + k] * Wc[j * dim + k];
  J += (x < 100 ? (x / 100) ** 0.75 : 1) * dot * dot;
}
console.log(`final objective J/(2N) = ${(J / (2 * X.nnz)).toFixed(6)} (N = ${X.nnz})`);
model.dispose();

// 5. Nearest neighbours (cosine, on W + W̃).
for (const word of ['money', 'free', 'linux', 'windows', 'click', 'email']) {
  if (!vectors.has(word)) continue;
  const near = vectors.mostSimilar(word, { topN: 8 });
  console.log(`${word.padEnd(8)} → ${near.map(([w, s]) => `${w} ${s.toFixed(2)}`).join(', ')}`);
}
if (save) {
  writeFileSync(save, vectors.toGloVeText());
  console.log(`vectors written to ${save}`);
}
