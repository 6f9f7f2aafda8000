// Tang or Song? A character-level Transformer classifier of classical Chinese poems from the
// `chinese-poetry` package (全唐詩 and 全宋詩, traditional characters as the package ships them),
// written as plain @aimodel/nn code: Embedding (characters) + learned positions + a Transformer
// encoder with a key-padding mask + attention pooling over the real characters → 2 logits.
// A balanced sample (the same number of poems of each dynasty, drawn from files spread over both
// collections so that no few poets dominate), stratified 80/20 split, fit with AdamW and early
// stopping; prints the classification report, the confusion matrix, the majority-class baseline,
// and the attention-pooling weights of one held-out poem (which characters the model looks at).
// Run from the repository root:  npm run example:poetry-dynasty   (or, after `npm run build`:
// node examples/poetry-dynasty/index.mjs [--small] [--per-class N])
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Embedding, Generator, cat, randn, zeros, classificationReport, confusionMatrix, init, manualSeed, noGrad, scope } from '@aimodel/nn';
import { Vocabulary, padBatch, tokenize } from '@aimodel/nlp';
import { AttentionPoolClassifier, fitClassifier, stratifiedSplit } from '../spam-filter/index.mjs';

const NAMES = ['Tang', 'Song'];

/**
 * Up to `perClass` poems of each dynasty, from `files` files spread evenly over each collection
 * (the files are ordered by poet), shuffled with a fixed seed; Han characters only.
 */
function loadPoems(perClass, files, seed) {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('chinese-poetry/package.json')), 'dist', 'quantangshi');
  const gen = new Generator({ seed });
  const poems = [];
  for (const [label, prefix] of [
    [0, 'poet.tang.'],
    [1, 'poet.song.'],
  ]) {
    const all = readdirSync(dir)
      .filter((f) => f.startsWith(prefix))
      .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
    const texts = [];
    for (let k = 0; k < files; k++) {
      const file = all[Math.floor(((k + 0.5) * all.length) / files)];
      for (const poem of JSON.parse(readFileSync(join(dir, file), 'utf8'))) {
        // editorial notes in brackets, punctuation and Latin text dropped
        const text = poem.paragraphs
          .join('')
          .replace(/[（(][^）)]*[）)]/g, '')
          .replace(/[^\p{Script=Han}]/gu, '');
        if (text.length >= 10) texts.push(text);
      }
    }
    // a seeded random order, then the first perClass
    const order = gen.permutation(texts.length).slice(0, perClass);
    for (const i of order) poems.push({ text: texts[i], label });
  }
  return poems;
}

/**
 * Train and evaluate; resolves to the accuracy, the majority baseline and the report.
 * `small`: 600 poems a class cut to 32 characters, 32-d, at most 8 epochs (the test's slice).
 */
export async function main({ small = false, perClass, device, seed = 0, log = console.log } = {}) {
  const used = await init(device ? { device } : {});
  manualSeed(seed);
  const seconds = (t) => ((performance.now() - t) / 1000).toFixed(1);
  const maxLength = small ? 32 : 64; // characters: a jueju has 20 or 28, a lüshi 40 or 56
  const dim = small ? 32 : 64;
  const n = perClass ?? (small ? 600 : 2000);
  let t = performance.now();

  // 1. A balanced sample, characters as tokens.
  const poems = loadPoems(n, small ? 4 : 12, 1);
  const chars = poems.map((p) => tokenize(p.text, { mode: 'characters' }).slice(0, maxLength));
  const labels = poems.map((p) => p.label);
  log(`${poems.length} poems (${n} Tang, ${n} Song), first ${maxLength} characters of each, on ${used} (${seconds(t)} s)`);

  // 2. Stratified 80/20 split, fixed seed; vocabulary from the training poems only.
  const { trainIdx, testIdx, yTrain, yTest } = stratifiedSplit(labels);
  const vocab = await Vocabulary.build(
    trainIdx.map((i) => chars[i].join(' ')),
    { minCount: 2, specials: ['<pad>', '<unk>'] },
  );
  const unk = vocab.indexOf('<unk>');
  const batchOf = (idx) =>
    padBatch(
      idx.map((i) => chars[i].map((c) => (vocab.indexOf(c) < 0 ? unk : vocab.indexOf(c)))),
      { maxLength, padId: 0 },
    );
  const train = batchOf(trainIdx);
  const test = batchOf(testIdx);
  log(`split: ${trainIdx.length} training poems, ${testIdx.length} held out; vocabulary ${vocab.size} characters (min count 2, with <pad> and <unk>)`);

  // 3. Embedding (random; 64-d, 32-d in the small run) + positions + 1 Transformer layer + attention pooling.
  t = performance.now();
  // N(0, 0.1²) rows (small next to what AdamW's steps move them by), the padding row zero
  const table = scope(() => cat([zeros([1, dim]), randn([vocab.size - 1, dim]).mul(0.1)]));
  const embedding = Embedding.fromPretrained(table, { freeze: false, paddingIdx: 0 });
  table.dispose();
  const model = new AttentionPoolClassifier(embedding, { numClasses: 2, nhead: small ? 2 : 4, dimFeedforward: 2 * dim, dropout: 0.1, maxLength });
  const { history, optimizer } = await fitClassifier(model, train.ids, yTrain, { epochs: small ? 8 : 10, lr: small ? 3e-3 : 2e-3, patience: 3, log });
  log(`trained in ${seconds(t)} s`);

  // 4. Held-out report, confusion matrix, majority baseline.
  model.eval();
  const logits = model.predict(test.ids, { batchSize: 256 });
  const pred = logits.argmax(-1).to('int32');
  const report = await classificationReport(pred, yTest, { targetNames: NAMES, digits: 3 });
  const confusion = await confusionMatrix(pred, yTest, { numClasses: 2 });
  const accuracy = (confusion[0][0] + confusion[1][1]) / testIdx.length;
  const testSong = testIdx.filter((i) => labels[i] === 1).length;
  const majority = Math.max(testSong, testIdx.length - testSong) / testIdx.length;
  log(`\n${report}`);
  log('confusion matrix (rows: true, columns: predicted)');
  log('        Tang  Song');
  confusion.forEach((row, i) => log(`${NAMES[i].padStart(6)}  ${row.map((v) => String(v).padStart(4)).join('  ')}`));
  log(`held-out accuracy ${(100 * accuracy).toFixed(1)}% vs majority-class baseline ${(100 * majority).toFixed(1)}%`);

  // 5. Which characters does the pooling attend to? The first held-out poem.
  const one = test.ids.narrow(0, 0, 1);
  const weights = scope(() => noGrad(() => model.encode(one).weights)); // the hidden states are freed here
  const w = Array.from(weights.dataSync()).slice(0, chars[testIdx[0]].length);
  const p = Array.from(scope(() => logits.narrow(0, 0, 1).softmax(-1).dataSync()));
  log(`\nattention pooling of held-out poem 1 (${NAMES[labels[testIdx[0]]]}; predicted ${NAMES[p[1] > p[0] ? 1 : 0]}, P(Song) ${p[1].toFixed(3)}):`);
  log(chars[testIdx[0]].join(''));
  const top = w.map((v, i) => [chars[testIdx[0]][i], v, i]).sort((a, b) => b[1] - a[1]);
  log(
    `most attended: ${top
      .slice(0, 8)
      .map(([c, v, i]) => `${c}@${i} ${v.toFixed(3)}`)
      .join('  ')}  (uniform would be ${(1 / w.length).toFixed(3)})`,
  );

  for (const x of [train.ids, train.mask, test.ids, test.mask, yTrain, yTest, logits, pred, one, weights]) x.dispose();
  model.dispose();
  optimizer.dispose(); // AdamW's moment tensors
  return { accuracy, majority, report, confusion, attention: top.map(([c, v, i]) => ({ char: c, weight: v, position: i })), epochs: history.epoch.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--per-class');
  await main({ small: process.argv.includes('--small'), perClass: i > 0 ? Number(process.argv[i + 1]) : undefined });
}
