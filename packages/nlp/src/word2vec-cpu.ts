// The word2vec training loop on the CPU: gensim's word2vec_inner (fast_sentence_sg_neg/_hs,
// fast_sentence_cbow_neg/_hs) over plain Float32Arrays, row-sparse (each step touches the rows of
// the words it involves and nothing else). The same code runs in the main thread and in every
// Hogwild worker, on shared memory.
import { EXP_TABLE_SIZE, jobAlpha, MAX_EXP, sigmoidTable } from './word2vec-tables';

/** Everything a training thread reads (typed arrays on SharedArrayBuffers when threads share them). */
export interface Word2VecSetup {
  dim: number;
  window: number;
  negative: number;
  hs: boolean;
  sg: boolean;
  cbowMean: boolean;
  /** Downsampling on (sample > 0). */
  sample: boolean;
  alpha: number;
  minAlpha: number;
  epochs: number;
  /** Input vectors (V × dim), the result. */
  syn0: Float32Array;
  /** Output vectors of the negative-sampling model (V × dim, zeros at the start); empty when negative = 0. */
  syn1neg: Float32Array;
  /** Output vectors of the Huffman tree's inner nodes (V × dim, zeros at the start); empty without hs. */
  syn1: Float32Array;
  tokens: Int32Array;
  docStarts: Int32Array;
  /** First document of each job; the document count last. */
  jobs: Int32Array;
  /** Raw words before each job (prefix sums, jobs + 1 entries). */
  jobWords: Float64Array;
  sampleInt: Uint32Array;
  cum: Uint32Array;
  guide: Int32Array;
  guideShift: number;
  cumScale: number;
  codes: Uint8Array;
  points: Int32Array;
  codeStarts: Int32Array;
  /** [next job to claim, raw words done] of the running epoch (threads claim jobs atomically). */
  control: Int32Array;
  /** The running epoch's per-job random seeds (drawn from the run's Generator). */
  seeds: Uint32Array;
  maxDocLength: number;
}

const SIG = sigmoidTable();
const SIG_SCALE = EXP_TABLE_SIZE / MAX_EXP / 2;

/** Per-thread scratch: the error vector, CBOW's context mean and one document's kept ids. */
export class Word2VecScratch {
  readonly work: Float64Array;
  readonly neu1: Float64Array;
  readonly sent: Int32Array;
  constructor(s: Word2VecSetup) {
    this.work = new Float64Array(s.dim);
    this.neu1 = new Float64Array(s.dim);
    this.sent = new Int32Array(Math.max(1, s.maxDocLength));
  }
}

/**
 * Runs the jobs of one epoch that this thread claims (all of them in a single thread): returns
 * the effective words trained (tokens kept by downsampling). `shared` claims with Atomics.
 */
export function trainEpoch(s: Word2VecSetup, scratch: Word2VecScratch, epoch: number, shared: boolean, onJob?: () => void): number {
  const nJobs = s.jobs.length - 1;
  const totalDocs = s.jobs[nJobs];
  let effective = 0;
  for (;;) {
    const j = shared ? Atomics.add(s.control, 0, 1) : s.control[0]++;
    if (j >= nJobs) break;
    const alpha = jobAlpha(s.alpha, s.minAlpha, s.epochs, epoch, s.jobs[j], totalDocs);
    effective += trainJob(s, scratch, j, alpha, s.seeds[j]);
    const words = s.jobWords[j + 1] - s.jobWords[j];
    if (shared) Atomics.add(s.control, 1, words);
    else s.control[1] += words;
    onJob?.();
  }
  return effective;
}

/** One job: its documents, downsampled, each centre word with a reduced window b ~ U{0 … window−1}. */
export function trainJob(s: Word2VecSetup, scratch: Word2VecScratch, job: number, alpha: number, seed: number): number {
  const { tokens, docStarts, sampleInt, window, sg, dim } = s;
  const sent = scratch.sent;
  // xorshift32 state (never 0)
  let rng = seed | 0 || 0x2545f491;
  let effective = 0;
  for (let d = s.jobs[job]; d < s.jobs[job + 1]; d++) {
    let n = 0;
    for (let p = docStarts[d]; p < docStarts[d + 1]; p++) {
      const w = tokens[p];
      if (s.sample) {
        rng ^= rng << 13;
        rng ^= rng >>> 17;
        rng ^= rng << 5;
        if (sampleInt[w] < rng >>> 0) continue;
      }
      sent[n++] = w;
    }
    effective += n;
    for (let i = 0; i < n; i++) {
      rng ^= rng << 13;
      rng ^= rng >>> 17;
      rng ^= rng << 5;
      const b = (rng >>> 0) % window;
      const lo = Math.max(0, i - window + b);
      const hi = Math.min(n, i + window + 1 - b);
      const w = sent[i];
      if (sg) {
        for (let j = lo; j < hi; j++) {
          if (j === i) continue;
          const l1 = sent[j] * dim;
          if (s.hs) sgHs(s, scratch, l1, w, alpha);
          if (s.negative > 0) rng = sgNeg(s, scratch, l1, w, alpha, rng);
        }
      } else if (hi - lo > 1) {
        if (s.hs) cbow(s, scratch, sent, i, lo, hi, alpha, 0, true);
        if (s.negative > 0) rng = cbow(s, scratch, sent, i, lo, hi, alpha, rng, false);
      }
    }
  }
  return effective;
}

/** Dot product of a (Float64Array, from offset 0) and row `o` of b, four partial sums (no serial add chain). */
function dot(a: Float64Array, b: Float32Array, o: number, dim: number): number {
  let f0 = 0;
  let f1 = 0;
  let f2 = 0;
  let f3 = 0;
  let k = 0;
  for (; k + 3 < dim; k += 4) {
    f0 += a[k] * b[o + k];
    f1 += a[k + 1] * b[o + k + 1];
    f2 += a[k + 2] * b[o + k + 2];
    f3 += a[k + 3] * b[o + k + 3];
  }
  for (; k < dim; k++) f0 += a[k] * b[o + k];
  return f0 + f1 + (f2 + f3);
}

/** work += g·b[o…]; b[o…] += g·a (a is the step's input, read before its own update, as gensim). */
function step(work: Float64Array, a: Float64Array, b: Float32Array, o: number, g: number, dim: number): void {
  for (let k = 0; k < dim; k++) {
    const y = b[o + k];
    work[k] += g * y;
    b[o + k] = y + g * a[k];
  }
}

/** Skip-gram, negative sampling: input row l1 (a context word) predicts word w against `negative` draws. */
function sgNeg(s: Word2VecSetup, scratch: Word2VecScratch, l1: number, w: number, alpha: number, rng: number): number {
  const { syn0, syn1neg, cum, guide, guideShift, cumScale, negative, dim } = s;
  const { work, neu1: v } = scratch;
  for (let k = 0; k < dim; k++) {
    v[k] = syn0[l1 + k];
    work[k] = 0;
  }
  for (let d = 0; d <= negative; d++) {
    let target = w;
    let label = 1;
    if (d > 0) {
      rng ^= rng << 13;
      rng ^= rng >>> 17;
      rng ^= rng << 5;
      const u = rng >>> 0;
      const r = Math.floor(u * cumScale);
      target = guide[u >>> guideShift];
      while (cum[target] < r) target++;
      if (target === w) continue;
      label = 0;
    }
    const l2 = target * dim;
    const f = dot(v, syn1neg, l2, dim);
    if (f <= -MAX_EXP || f >= MAX_EXP) continue;
    step(work, v, syn1neg, l2, (label - SIG[((f + MAX_EXP) * SIG_SCALE) | 0]) * alpha, dim);
  }
  for (let k = 0; k < dim; k++) syn0[l1 + k] += work[k];
  return rng;
}

/** Skip-gram, hierarchical softmax: input row l1 walks word w's Huffman path. */
function sgHs(s: Word2VecSetup, scratch: Word2VecScratch, l1: number, w: number, alpha: number): void {
  const { syn0, syn1, codes, points, codeStarts, dim } = s;
  const { work, neu1: v } = scratch;
  for (let k = 0; k < dim; k++) {
    v[k] = syn0[l1 + k];
    work[k] = 0;
  }
  for (let c = codeStarts[w]; c < codeStarts[w + 1]; c++) {
    const l2 = points[c] * dim;
    const f = dot(v, syn1, l2, dim);
    if (f <= -MAX_EXP || f >= MAX_EXP) continue;
    step(work, v, syn1, l2, (1 - codes[c] - SIG[((f + MAX_EXP) * SIG_SCALE) | 0]) * alpha, dim);
  }
  for (let k = 0; k < dim; k++) syn0[l1 + k] += work[k];
}

/**
 * CBOW: the mean (cbowMean) or sum of the context rows sent[lo … hi) except i predicts sent[i]
 * (Huffman path when `hs`, else negative sampling); the error goes back to every context row
 * (divided by the context size when summing, as gensim).
 */
function cbow(
  s: Word2VecSetup,
  scratch: Word2VecScratch,
  sent: Int32Array,
  i: number,
  lo: number,
  hi: number,
  alpha: number,
  rng: number,
  hs: boolean,
): number {
  const { syn0, dim, negative } = s;
  const { neu1, work } = scratch;
  const w = sent[i];
  neu1.fill(0);
  for (let m = lo; m < hi; m++) {
    if (m === i) continue;
    const r = sent[m] * dim;
    for (let k = 0; k < dim; k++) neu1[k] += syn0[r + k];
  }
  const inv = 1 / (hi - lo - 1);
  if (s.cbowMean) for (let k = 0; k < dim; k++) neu1[k] *= inv;
  work.fill(0);
  const syn1 = hs ? s.syn1 : s.syn1neg;
  const end = hs ? s.codeStarts[w + 1] : negative + 1;
  for (let d = hs ? s.codeStarts[w] : 0; d < end; d++) {
    let target = w;
    let label = 1;
    if (hs) {
      target = s.points[d];
      label = 1 - s.codes[d];
    } else if (d > 0) {
      rng ^= rng << 13;
      rng ^= rng >>> 17;
      rng ^= rng << 5;
      const u = rng >>> 0;
      const r = Math.floor(u * s.cumScale);
      target = s.guide[u >>> s.guideShift];
      while (s.cum[target] < r) target++;
      if (target === w) continue;
      label = 0;
    }
    const l2 = target * dim;
    const f = dot(neu1, syn1, l2, dim);
    if (f <= -MAX_EXP || f >= MAX_EXP) continue;
    step(work, neu1, syn1, l2, (label - SIG[((f + MAX_EXP) * SIG_SCALE) | 0]) * alpha, dim);
  }
  if (!s.cbowMean) for (let k = 0; k < dim; k++) work[k] *= inv;
  for (let m = lo; m < hi; m++) {
    if (m === i) continue;
    const r = sent[m] * dim;
    for (let k = 0; k < dim; k++) syn0[r + k] += work[k];
  }
  return rng;
}
