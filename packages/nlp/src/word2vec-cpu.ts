// The word2vec training loop: gensim's word2vec_inner (fast_sentence_sg_neg/_hs,
// fast_sentence_cbow_neg/_hs), row-sparse — each step touches the rows of the words it involves
// and nothing else. JS walks the documents, draws windows, downsampling and negatives; the vector
// arithmetic runs in WebAssembly SIMD (`steps`, word2vec-wasm.ts) on one memory that holds the
// vectors, the σ table and each thread's scratch — shared by the Hogwild workers.
import { jobAlpha, sigmoidTable } from './word2vec-tables';
import { instantiateSteps, type StepsFn } from './word2vec-wasm';

/** Byte offsets of the regions of the training memory (all 16-byte aligned). */
export interface Word2VecLayout {
  sig: number;
  syn0: number;
  syn1neg: number;
  syn1: number;
  /** Start of thread 0's scratch; thread t's is at scratch + t·scratchBytes. */
  scratch: number;
  scratchBytes: number;
  /** Rows (and labels) one call of `steps` takes at most. */
  capacity: number;
  pages: number;
}

/** Everything a training thread reads (typed arrays on SharedArrayBuffers when threads share them). */
export interface Word2VecSetup {
  dim: number;
  /** Floats per row: dim rounded up to a multiple of 4 (the padding stays 0). */
  stride: number;
  vocabSize: number;
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
  /** The vectors, σ table and scratch (shared when workers train). */
  memory: WebAssembly.Memory;
  shared: boolean;
  layout: Word2VecLayout;
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

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** The memory layout for V words of `stride` floats, `threads` scratch areas, `capacity` rows per call. */
export function word2vecLayout(V: number, stride: number, negative: number, hs: boolean, threads: number, capacity: number): Word2VecLayout {
  const matrix = V * stride * 4;
  const sig = 0;
  const syn0 = align16(4000);
  const syn1neg = syn0 + matrix;
  const syn1 = syn1neg + (negative > 0 ? matrix : 0);
  const scratch = syn1 + (hs ? matrix : 0);
  const scratchBytes = 2 * stride * 4 + align16(capacity * 8);
  const bytes = scratch + threads * scratchBytes;
  return { sig, syn0, syn1neg, syn1, scratch, scratchBytes, capacity, pages: Math.max(1, Math.ceil(bytes / 65536)) };
}

/** Fills the σ table of a fresh training memory. */
export function writeSigmoid(s: Word2VecSetup): void {
  new Float32Array(s.memory.buffer, s.layout.sig, 1000).set(sigmoidTable());
}

/** One thread's views of the training memory, its scratch and its instance of the kernel. */
export class Word2VecThread {
  readonly syn0: Float32Array;
  readonly v: Float32Array;
  readonly work: Float32Array;
  readonly rows: Int32Array;
  readonly labels: Float32Array;
  readonly sent: Int32Array;
  readonly steps: StepsFn;
  readonly vAt: number;
  readonly workAt: number;
  readonly rowsAt: number;
  readonly labelsAt: number;
  /** Rows listed for the next call of `steps`. */
  count = 0;

  constructor(
    readonly s: Word2VecSetup,
    slot: number,
  ) {
    const L = s.layout;
    const steps = instantiateSteps(s.memory, L.pages, s.shared);
    if (!steps) throw new Error('WebAssembly SIMD is not available');
    this.steps = steps;
    const buf = s.memory.buffer;
    this.syn0 = new Float32Array(buf, L.syn0, s.vocabSize * s.stride);
    this.vAt = L.scratch + slot * L.scratchBytes;
    this.workAt = this.vAt + s.stride * 4;
    this.rowsAt = this.workAt + s.stride * 4;
    this.labelsAt = this.rowsAt + L.capacity * 4;
    this.v = new Float32Array(buf, this.vAt, s.stride);
    this.work = new Float32Array(buf, this.workAt, s.stride);
    this.rows = new Int32Array(buf, this.rowsAt, L.capacity);
    this.labels = new Float32Array(buf, this.labelsAt, L.capacity);
    this.sent = new Int32Array(Math.max(1, s.maxDocLength));
  }
}

/**
 * Runs the jobs of one epoch that this thread claims (all of them in a single thread): returns
 * the effective words trained (tokens kept by downsampling). `shared` claims with Atomics.
 */
export function trainEpoch(th: Word2VecThread, epoch: number, shared: boolean, onJob?: () => void): number {
  const s = th.s;
  const nJobs = s.jobs.length - 1;
  const totalDocs = s.jobs[nJobs];
  let effective = 0;
  for (;;) {
    const j = shared ? Atomics.add(s.control, 0, 1) : s.control[0]++;
    if (j >= nJobs) break;
    const alpha = jobAlpha(s.alpha, s.minAlpha, s.epochs, epoch, s.jobs[j], totalDocs);
    effective += trainJob(th, j, alpha, s.seeds[j]);
    const words = s.jobWords[j + 1] - s.jobWords[j];
    if (shared) Atomics.add(s.control, 1, words);
    else s.control[1] += words;
    onJob?.();
  }
  return effective;
}

/** One job: its documents, downsampled, each centre word with a reduced window b ~ U{0 … window−1}. */
export function trainJob(th: Word2VecThread, job: number, alpha: number, seed: number): number {
  const s = th.s;
  const { tokens, docStarts, sampleInt, window, sg, stride } = s;
  const sent = th.sent;
  let rng = seed | 0 || 0x2545f491; // xorshift32 state, never 0
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
        // each context word's vector predicts the centre word (gensim's and word2vec.c's order)
        for (let j = lo; j < hi; j++) {
          if (j === i) continue;
          const l1 = sent[j] * stride;
          if (s.hs) {
            huffman(th, w);
            sgStep(th, l1, s.layout.syn1, alpha);
          }
          if (s.negative > 0) {
            rng = negatives(th, w, rng);
            sgStep(th, l1, s.layout.syn1neg, alpha);
          }
        }
      } else if (hi - lo > 1) {
        if (s.hs) {
          huffman(th, w);
          cbowStep(th, sent, i, lo, hi, s.layout.syn1, alpha);
        }
        if (s.negative > 0) {
          rng = negatives(th, w, rng);
          cbowStep(th, sent, i, lo, hi, s.layout.syn1neg, alpha);
        }
      }
    }
  }
  return effective;
}

/** Lists word w's Huffman path: inner-node rows, labels 1 − code. */
function huffman(th: Word2VecThread, w: number): void {
  const { codes, points, codeStarts, stride } = th.s;
  let n = 0;
  for (let c = codeStarts[w]; c < codeStarts[w + 1]; c++, n++) {
    th.rows[n] = points[c] * stride * 4;
    th.labels[n] = 1 - codes[c];
  }
  th.count = n;
}

/** Lists word w (label 1) and `negative` draws from the cumulative table (label 0; draws of w itself are skipped, as gensim). */
function negatives(th: Word2VecThread, w: number, rng: number): number {
  const { cum, guide, guideShift, cumScale, negative, stride } = th.s;
  const { rows, labels } = th;
  rows[0] = w * stride * 4;
  labels[0] = 1;
  let n = 1;
  for (let d = 0; d < negative; d++) {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    const u = rng >>> 0;
    const r = Math.floor(u * cumScale);
    let t = guide[u >>> guideShift];
    while (cum[t] < r) t++;
    if (t === w) continue;
    rows[n] = t * stride * 4;
    labels[n++] = 0;
  }
  th.count = n;
  return rng;
}

/** Skip-gram: input row l1 against the listed output rows; then row l1 += work. */
function sgStep(th: Word2VecThread, l1: number, out: number, alpha: number): void {
  const { syn0, v, work } = th;
  const stride = th.s.stride;
  for (let k = 0; k < stride; k++) {
    v[k] = syn0[l1 + k];
    work[k] = 0;
  }
  th.steps(th.vAt, th.workAt, out, th.rowsAt, th.labelsAt, th.count, alpha, stride * 4, th.s.layout.sig);
  for (let k = 0; k < stride; k++) syn0[l1 + k] += work[k];
}

/**
 * CBOW: the mean (cbowMean) or sum of the context rows sent[lo … hi) except i against the listed
 * output rows; the error goes back to every context row (divided by the context size when
 * summing, as gensim).
 */
function cbowStep(th: Word2VecThread, sent: Int32Array, i: number, lo: number, hi: number, out: number, alpha: number): void {
  const { syn0, v, work } = th;
  const { stride, cbowMean } = th.s;
  for (let k = 0; k < stride; k++) {
    v[k] = 0;
    work[k] = 0;
  }
  for (let m = lo; m < hi; m++) {
    if (m === i) continue;
    const r = sent[m] * stride;
    for (let k = 0; k < stride; k++) v[k] += syn0[r + k];
  }
  const inv = 1 / (hi - lo - 1);
  if (cbowMean) for (let k = 0; k < stride; k++) v[k] *= inv;
  th.steps(th.vAt, th.workAt, out, th.rowsAt, th.labelsAt, th.count, alpha, stride * 4, th.s.layout.sig);
  if (!cbowMean) for (let k = 0; k < stride; k++) work[k] *= inv;
  for (let m = lo; m < hi; m++) {
    if (m === i) continue;
    const r = sent[m] * stride;
    for (let k = 0; k < stride; k++) syn0[r + k] += work[k];
  }
}
