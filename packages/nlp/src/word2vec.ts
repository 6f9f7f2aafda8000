import { ArgumentError, DeviceError, Generator } from '@aimodel/tensor';
import { checkBool, checkFunction, checkInt, checkKeys, checkNumber, describe } from './checks';
import type { Corpus } from './corpus';
import { sharedMemoryAvailable } from './worker-threads';
import type { Tokenizer } from './tokenize';
import { Vocabulary } from './vocabulary';
import { trainEpoch, type Word2VecSetup, Word2VecThread, word2vecLayout, writeSigmoid } from './word2vec-cpu';
import { encodeCorpus, jobStarts } from './word2vec-corpus';
import { word2vecProgressLine } from './progress';
import { huffmanCodes, jobAlpha, negativeTable, sampleInts } from './word2vec-tables';
import { startWord2VecPool } from './word2vec-threads';
import { WordVectors } from './word-vectors';

/**
 * What {@link trainWord2Vec}'s `onEpoch` receives after each epoch.
 * @example
 * ```ts
 * const seen: number[] = [];
 * await trainWord2Vec('a b c a b c a b', { dim: 4, minCount: 1, epochs: 2, onEpoch: (i: Word2VecEpochInfo) => seen.push(i.epoch) });
 * seen; // [1, 2]
 * ```
 */
export interface Word2VecEpochInfo {
  /** 1-based epoch number. */
  epoch: number;
  /** Seconds the epoch took. */
  seconds: number;
  /** Raw tokens of the corpus (out-of-vocabulary ones included) processed in the epoch. */
  rawWords: number;
  /** Tokens trained on: in-vocabulary tokens kept by downsampling (gensim's "effective words"). */
  effectiveWords: number;
  /** The learning rate of the epoch's last job. */
  alpha: number;
}

/**
 * Options of {@link trainWord2Vec}: gensim 4's `Word2Vec` parameters (camelCase) and defaults.
 * @example
 * ```ts
 * const opts: Word2VecOptions = { dim: 8, window: 2, minCount: 1, sg: 1, negative: 3, epochs: 3, seed: 7 };
 * const vectors = await trainWord2Vec(['the cat sat', 'the dog sat'], opts);
 * vectors.dim; // 8
 * ```
 */
export interface Word2VecOptions {
  /** The words (default: built from the corpus with `minCount`, count descending, ties in byte order). Their counts drive downsampling, negative sampling and the Huffman tree. */
  vocab?: Vocabulary;
  /** How documents become tokens (tokenize's options or a function; default tokenize's defaults). */
  tokenizer?: Tokenizer;
  /** Vector size (gensim's vector_size, default 100). */
  dim?: number;
  /** Largest distance between the centre word and a context word (default 5); each centre word draws a reduced window window − b, b ~ U{0 … window − 1}. */
  window?: number;
  /** Minimum count of a word kept in the vocabulary built from the corpus (default 5). */
  minCount?: number;
  /** 1 (or true): skip-gram; 0 (or false, the default): CBOW. */
  sg?: 0 | 1 | boolean;
  /** Noise words drawn per positive example (default 5; 0: no negative sampling). */
  negative?: number;
  /** 1 (or true): hierarchical softmax as well (default 0). `negative: 0, hs: 1` is pure hierarchical softmax. */
  hs?: 0 | 1 | boolean;
  /** Downsampling threshold (default 1e-3; 0: off; ≥ 1: gensim's shorthand, see {@link trainWord2Vec}). */
  sample?: number;
  /** Initial learning rate (default 0.025). */
  alpha?: number;
  /** Final learning rate (default 0.0001); the rate decays linearly from alpha over all epochs. */
  minAlpha?: number;
  /** Passes over the corpus (default 5). */
  epochs?: number;
  /** Seed of the initial vectors and of every random draw (default 1, as gensim). */
  seed?: number;
  /** Training threads (default 1; gensim's default is 3): Hogwild worker threads over shared memory. */
  workers?: number;
  /** CBOW: the mean (true, the default) or the sum of the context vectors. */
  cbowMean?: boolean;
  /** Exponent of the counts in the noise distribution (default 0.75). */
  nsExponent?: number;
  /** Called after each epoch. */
  onEpoch?: (info: Word2VecEpochInfo) => void;
  /** A progress line (words/s, learning rate, ETA) on stdout (default: when stdout is a terminal). */
  progress?: boolean;
}

const OPTION_KEYS = [
  'vocab',
  'tokenizer',
  'dim',
  'window',
  'minCount',
  'sg',
  'negative',
  'hs',
  'sample',
  'alpha',
  'minAlpha',
  'epochs',
  'seed',
  'workers',
  'cbowMean',
  'nsExponent',
  'onEpoch',
  'progress',
] as const;

function checkFlag(op: string, name: string, v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 0 || v === 1 || typeof v === 'boolean') return v === 1 || v === true;
  throw new ArgumentError(op, `${name} must be 0, 1 or a boolean, got ${describe(v)}`);
}

/**
 * Trains word2vec vectors (Mikolov et al., 2013) with gensim 4's semantics: skip-gram (`sg: 1`:
 * each context word's vector predicts the centre word) or CBOW (the mean of the context vectors
 * predicts it), by negative sampling (`negative` noise words drawn from counts^0.75 through
 * gensim's cumulative table) and/or hierarchical softmax (`hs: 1`, the Huffman tree of the counts,
 * built as gensim builds it).
 *
 * - Windows: out-of-vocabulary tokens are dropped first; frequent words are then downsampled (a
 *   token of a word of count c is kept with probability (√(c/t) + 1)·t/c, t = sample·Σ counts);
 *   every kept centre word draws b ~ U{0 … window − 1} and uses the window − b words on each side,
 *   within its document (a corpus line).
 * - Steps: σ is read from gensim's 1000-entry table over (−6, 6); a step whose dot product is
 *   outside (−6, 6) is skipped, as gensim does. Updates are row-sparse: each step touches only the
 *   rows of the words involved. The vector arithmetic runs in WebAssembly SIMD, in float32 as
 *   gensim's BLAS calls; the vectors live in one WebAssembly memory (at most 4 GiB).
 * - Learning rate: documents are grouped into gensim's jobs (≤ 10 000 raw words); a job's rate is
 *   alpha − (alpha − minAlpha)·(epoch + documents before the job / all documents)/epochs, as
 *   gensim's `Word2Vec(sentences, …)` (progress by documents, since it knows their count).
 * - Start: input vectors U[−1, 1)/dim from a seeded {@link Generator} (gensim 4's `prep_vectors`),
 *   output weights zero. One worker is deterministic for a seed; several race (Hogwild), as gensim.
 * - Unlike gensim, documents longer than 10 000 words are not truncated.
 *
 * The corpus is read once (so a one-shot iterable works) and kept as word ids (4 bytes per
 * in-vocabulary token) for every epoch.
 *
 * @throws ArgumentError for bad options (unknown keys, dim < 1, negative = 0 without hs, …), an
 * empty corpus, a vocabulary that keeps no word, or no corpus token in a given vocabulary;
 * DeviceError when worker threads, WebAssembly SIMD or the memory are unavailable.
 * @example
 * ```ts
 * const docs = ['the cat chased the mouse', 'the dog chased the cat', 'a dog and a cat'];
 * const vectors = await trainWord2Vec(docs, { dim: 10, window: 2, minCount: 1, sg: 1, epochs: 20, seed: 3 });
 * vectors.words.length; // 7
 * vectors.get('cat').length; // 10
 * vectors.mostSimilar('dog', { topN: 3 }).length; // 3
 * ```
 */
export async function trainWord2Vec(corpus: Corpus, opts: Word2VecOptions = {}): Promise<WordVectors> {
  const op = 'trainWord2Vec';
  checkKeys(op, opts, OPTION_KEYS);
  checkInt(op, 'dim', opts.dim, 1);
  checkInt(op, 'window', opts.window, 1);
  checkInt(op, 'minCount', opts.minCount, 1);
  checkInt(op, 'negative', opts.negative, 0);
  checkInt(op, 'epochs', opts.epochs, 1);
  checkInt(op, 'seed', opts.seed, 0);
  checkInt(op, 'workers', opts.workers, 1);
  const sg = checkFlag(op, 'sg', opts.sg) ?? false;
  const hs = checkFlag(op, 'hs', opts.hs) ?? false;
  checkNumber(op, 'sample', opts.sample, (x) => x >= 0, 'a finite number >= 0');
  checkNumber(op, 'alpha', opts.alpha, (x) => x > 0, 'a finite number > 0');
  checkNumber(op, 'minAlpha', opts.minAlpha, (x) => x >= 0, 'a finite number >= 0');
  checkNumber(op, 'nsExponent', opts.nsExponent, () => true, 'a finite number');
  checkBool(op, 'cbowMean', opts.cbowMean);
  checkBool(op, 'progress', opts.progress);
  checkFunction(op, 'onEpoch', opts.onEpoch);
  if (opts.vocab !== undefined && !(opts.vocab instanceof Vocabulary)) throw new ArgumentError(op, `vocab must be a Vocabulary, got ${describe(opts.vocab)}`);
  if (opts.vocab !== undefined && opts.minCount !== undefined)
    throw new ArgumentError(op, 'minCount applies when the vocabulary is built from the corpus, not with vocab');
  const negative = opts.negative ?? 5;
  if (negative === 0 && !hs) throw new ArgumentError(op, 'negative = 0 and hs = 0 leave nothing to train (use negative > 0, hs: 1, or both)');
  const alpha = opts.alpha ?? 0.025;
  const minAlpha = opts.minAlpha ?? 0.0001;
  if (minAlpha > alpha) throw new ArgumentError(op, `minAlpha (${minAlpha}) must not exceed alpha (${alpha})`);

  const enc = await encodeCorpus(op, corpus, { vocab: opts.vocab, minCount: opts.minCount ?? 5, tokenizer: opts.tokenizer });
  const { vocab } = enc;
  const V = vocab.size;
  const counts = Float64Array.from(vocab.words, (w) => vocab.count(w));
  if (counts.every((c) => c === 0))
    throw new ArgumentError(op, 'every word of the vocabulary has count 0 (the counts drive sampling; build it with Vocabulary.build or fromCounts)');
  const dim = opts.dim ?? 100;
  const epochs = opts.epochs ?? 5;
  const sample = opts.sample ?? 1e-3;
  const wanted = opts.workers ?? 1;
  const workers = wanted > 1 && sharedMemoryAvailable() ? wanted : 1;
  const gen = new Generator({ seed: opts.seed ?? 1 });

  // Shared memory when threads train on it; plain buffers otherwise.
  const place = <T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(src: T): T => {
    if (workers === 1) return src;
    const out = new (src.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(src.byteLength));
    out.set(src);
    return out;
  };
  const neg = negative > 0 ? negativeTable(counts, opts.nsExponent ?? 0.75) : undefined;
  const tree = hs ? huffmanCodes(counts) : undefined;
  const stride = Math.ceil(dim / 4) * 4;
  let capacity = negative + 1;
  if (tree) for (let w = 0; w < V; w++) capacity = Math.max(capacity, tree.starts[w + 1] - tree.starts[w]);
  const layout = word2vecLayout(V, stride, negative, hs, workers, capacity);
  if (layout.pages > 65536)
    throw new ArgumentError(op, `${V} words × ${dim} dimensions need ${(layout.pages / 16384).toFixed(1)} GiB of training memory, over WebAssembly's 4 GiB`);
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory(workers > 1 ? { initial: layout.pages, maximum: layout.pages, shared: true } : { initial: layout.pages });
  } catch (e) {
    throw new DeviceError(op, `cannot allocate ${(layout.pages / 16).toFixed(0)} MiB of WebAssembly memory: ${(e as Error).message}`);
  }
  // gensim 4's prep_vectors: U[−1, 1)/dim; the row padding and the output weights stay 0
  const syn0 = new Float32Array(memory.buffer, layout.syn0, V * stride);
  const u = gen.uniform(V * dim);
  for (let w = 0; w < V; w++) for (let k = 0; k < dim; k++) syn0[w * stride + k] = (u[w * dim + k] * 2 - 1) / dim;
  const jobs = jobStarts(enc.rawLengths);
  const nJobs = jobs.length - 1;
  const jobWords = new Float64Array(nJobs + 1);
  for (let j = 0; j < nJobs; j++) {
    let w = 0;
    for (let d = jobs[j]; d < jobs[j + 1]; d++) w += enc.rawLengths[d];
    jobWords[j + 1] = jobWords[j] + w;
  }
  let maxDocLength = 0;
  for (let d = 0; d + 1 < enc.docStarts.length; d++) maxDocLength = Math.max(maxDocLength, enc.docStarts[d + 1] - enc.docStarts[d]);
  const setup: Word2VecSetup = {
    dim,
    window: opts.window ?? 5,
    negative,
    hs,
    sg,
    cbowMean: opts.cbowMean ?? true,
    sample: sample > 0,
    alpha,
    minAlpha,
    epochs,
    stride,
    vocabSize: V,
    memory,
    shared: workers > 1,
    layout,
    tokens: place(enc.tokens),
    docStarts: place(enc.docStarts),
    jobs: place(jobs),
    jobWords: place(jobWords),
    sampleInt: place(sampleInts(counts, sample)),
    cum: place(neg?.cum ?? new Uint32Array(0)),
    guide: place(neg?.guide ?? new Int32Array(0)),
    guideShift: neg?.shift ?? 0,
    cumScale: neg?.scale ?? 0,
    codes: place(tree?.codes ?? new Uint8Array(0)),
    points: place(tree?.points ?? new Int32Array(0)),
    codeStarts: place(tree?.starts ?? new Int32Array(0)),
    control: place(new Int32Array(2)),
    seeds: place(new Uint32Array(nJobs)),
    maxDocLength,
  };

  const showProgress = opts.progress ?? (typeof process !== 'undefined' && process.stdout?.isTTY === true);
  const started = performance.now();
  let rawDone = 0;
  const print = (epoch: number): void => {
    const words = workers > 1 ? Atomics.load(setup.control, 1) : setup.control[1];
    const claimed = Math.min(nJobs - 1, workers > 1 ? Atomics.load(setup.control, 0) : setup.control[0]);
    const elapsed = (performance.now() - started) / 1000;
    const lr = jobAlpha(alpha, minAlpha, epochs, epoch - 1, jobs[Math.max(0, claimed)], jobs[nJobs]);
    process.stdout.write(word2vecProgressLine(epoch, epochs, words / enc.rawTotal, (rawDone + words) / Math.max(elapsed, 1e-9), lr, elapsed));
  };
  writeSigmoid(setup);
  const pool = workers > 1 ? await startWord2VecPool(op, workers, setup) : undefined;
  const thread = pool ? undefined : mainThread(op, setup);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const t0 = performance.now();
      setup.seeds.set(gen.randomBits(nJobs));
      setup.control[0] = 0;
      setup.control[1] = 0;
      let effective: number;
      if (pool) {
        const timer = showProgress ? setInterval(() => print(epoch + 1), 500) : undefined;
        try {
          effective = await pool.round({ type: 'epoch', epoch });
        } finally {
          if (timer) clearInterval(timer);
        }
      } else {
        let last = t0;
        const onJob = showProgress
          ? () => {
              const now = performance.now();
              if (now - last > 250) {
                last = now;
                print(epoch + 1);
              }
            }
          : undefined;
        effective = trainEpoch(thread as Word2VecThread, epoch, false, onJob);
      }
      if (showProgress) print(epoch + 1);
      rawDone += enc.rawTotal;
      opts.onEpoch?.({
        epoch: epoch + 1,
        seconds: (performance.now() - t0) / 1000,
        rawWords: enc.rawTotal,
        effectiveWords: effective,
        alpha: jobAlpha(alpha, minAlpha, epochs, epoch, jobs[nJobs - 1], jobs[nJobs]),
      });
    }
  } finally {
    await pool?.close();
  }
  if (showProgress) process.stdout.write('\n');
  const out = new Float32Array(V * dim);
  for (let w = 0; w < V; w++) out.set(syn0.subarray(w * stride, w * stride + dim), w * dim);
  return new WordVectors(vocab.words, out, dim);
}

function mainThread(op: string, setup: Word2VecSetup): Word2VecThread {
  try {
    return new Word2VecThread(setup, 0);
  } catch (e) {
    throw new DeviceError(op, `cannot start the training kernel: ${(e as Error).message}`);
  }
}
