// Character vectors of classical Chinese poetry: all Tang poems (全唐詩) and the first Song poems
// (全宋詩) of the `chinese-poetry` package, in traditional characters as that package ships them.
// Each line of a poem (usually a couplet, "床前明月光，疑是地上霜。") is one document; its
// punctuation is removed and `tokenize(…, { mode: 'characters' })` makes every character a token.
// Usage: node examples/glove-poetry/index.mjs [--song-files N] [--threads N] [--epochs N]
// (after `npm run build`; `npm run example:glove-poetry` does both).
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Vocabulary, cooccurrence, trainGloVe } from '@aimodel/nlp';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const songFiles = arg('song-files', 20); // 1000 poems a file; 254 files in all
const threads = arg('threads', Math.min(2, availableParallelism()));
const epochs = arg('epochs', 25);
const seconds = (t) => ((performance.now() - t) / 1000).toFixed(1);

// 1. The poems: poet.tang.0.json … poet.tang.57000.json and poet.song.0.json … (in numeric order).
let t = performance.now();
const require = createRequire(import.meta.url);
const dir = join(dirname(require.resolve('chinese-poetry/package.json')), 'dist', 'quantangshi');
const byNumber = (prefix) =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
const files = [...byNumber('poet.tang.'), ...byNumber('poet.song.').slice(0, songFiles)];
const lines = [];
let poems = 0;
for (const f of files) {
  for (const poem of JSON.parse(readFileSync(join(dir, f), 'utf8'))) {
    poems++;
    for (const p of poem.paragraphs) {
      // Han characters only: punctuation, brackets of editorial notes and Latin text dropped.
      const line = p.replace(/[（(][^）)]*[）)]/g, '').replace(/[^\p{Script=Han}]/gu, '');
      if (line) lines.push(line);
    }
  }
}
const chars = lines.reduce((n, l) => n + [...l].length, 0);
console.log(`${files.length} files, ${poems} poems → ${lines.length} lines, ${chars} characters (${seconds(t)} s)`);

// 2. Characters as tokens; window 5 stays mostly inside a couplet's two halves.
t = performance.now();
const tokenizer = { mode: 'characters' };
const vocab = await Vocabulary.build(lines, { minCount: 5, tokenizer });
const X = await cooccurrence(lines, { vocab, window: 5, tokenizer });
console.log(`vocabulary: ${vocab.size} characters at min count 5; co-occurrence: ${X.nnz} non-zero entries at window 5 (${seconds(t)} s)`);
console.log(`most frequent: ${vocab.words.slice(0, 30).join('')}`);

// 3. 50-dimensional character vectors.
t = performance.now();
console.log(`training 50-dimensional vectors, ${epochs} passes, ${threads} thread(s):`);
const { vectors, model, costHistory } = await trainGloVe(X, {
  vocab,
  dim: 50,
  epochs,
  threads,
  seed: 1,
  progress: false,
  onEpoch: ({ epoch, cost, seconds: s }) => {
    if (epoch === 1 || epoch % 5 === 0) console.log(`  pass ${String(epoch).padStart(2)}  cost ${cost.toFixed(6)}  ${s.toFixed(2)} s`);
  },
});
model.dispose();
console.log(`trained in ${seconds(t)} s; cost curve: ${costHistory.map((c) => c.toFixed(4)).join(' ')}`);

// 4. Neighbours (cosine on W + W̃).
for (const ch of ['月', '山', '酒', '花', '春', '雲']) {
  const near = vectors.mostSimilar(ch, { topN: 10 });
  console.log(`${ch} → ${near.map(([w, s]) => `${w} ${s.toFixed(2)}`).join('  ')}`);
}
