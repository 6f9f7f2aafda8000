import { ArgumentError, type DeviceName, Generator, ShapeError } from '@aimodel/tensor';
import { checkBool, checkFunction, checkInt, checkKeys, checkNumber, describe } from './checks';
import { Cooccurrence, cooccurrence } from './cooccurrence';
import type { Corpus } from './corpus';
import { type GloVeArray, type GloVeEntries, gatherEntries, glovePass, gloveWeight, interleavedLayout, separateLayout } from './glove-cpu';
import { GloVeModel } from './glove-model';
import { progressLine } from './progress';
import { sharedMemoryAvailable, startHogwildPool } from './glove-threads';
import { GLOVE_DEFAULT_BATCH, trainOnWebGpu } from './glove-webgpu';
import type { Tokenizer } from './tokenize';
import { Vocabulary } from './vocabulary';
import { WordVectors } from './word-vectors';

/**
 * What {@link trainGloVe}'s `onEpoch` receives after each pass.
 * @example
 * ```ts
 * const X = Cooccurrence.fromArrays(2, { rows: Int32Array.of(0, 1), cols: Int32Array.of(1, 0), values: Float64Array.of(3, 3) });
 * const log: string[] = [];
 * const { model } = await trainGloVe(X, { dim: 2, epochs: 2, onEpoch: (i: GloVeEpochInfo) => log.push(`${i.epoch}: ${i.cost.toFixed(4)}`) });
 * log.length; // 2
 * model.dispose();
 * ```
 */
export interface GloVeEpochInfo {
  /** 1-based pass number (counting from the resumed model's passes is up to the caller). */
  epoch: number;
  /** The pass's cost Σ ½·f(X)·diff² / N, each term taken just before its entry's update (as the reference prints it). */
  cost: number;
  /** Seconds the pass took. */
  seconds: number;
}

/**
 * Options of {@link trainGloVe}.
 * @example
 * ```ts
 * const X = Cooccurrence.fromArrays(2, { rows: Int32Array.of(0, 1), cols: Int32Array.of(1, 0), values: Float64Array.of(3, 3) });
 * const opts: GloVeOptions = { dim: 4, epochs: 3, xMax: 10, shuffle: 'once', precision: 'float64', output: 'word' };
 * const { vectors, model } = await trainGloVe(X, opts);
 * vectors.dim; // 4
 * model.dispose();
 * ```
 */
export interface GloVeOptions {
  /** The words: built from a corpus input with `minCount` when absent; for a Cooccurrence input, its rows' words (absent: words are the ids as strings). */
  vocab?: Vocabulary;
  /** Vector size d (default 50). */
  dim?: number;
  /** Co-occurrence window for a corpus input (default 15, as the reference's demo). */
  window?: number;
  /** Minimum count of a word for a corpus input without `vocab` (default 5). */
  minCount?: number;
  /** Tokenizer for a corpus input (tokenize's options or a function). */
  tokenizer?: Tokenizer;
  /** Count at which the weight f(X) = (X / xMax)^α reaches 1 (default 100). */
  xMax?: number;
  /** Exponent α of the weight (default 0.75). */
  alpha?: number;
  /** η of the AdaGrad vector steps (default 0.05; bias steps use none, as the reference). */
  learningRate?: number;
  /** Passes over the entries (default 25). */
  epochs?: number;
  /** Seed of the initial parameters and of the shuffles (default 0). */
  seed?: number;
  /** Worker threads (default 1): Hogwild over shared memory, each thread a contiguous slice of the shuffled entries. */
  threads?: number;
  /**
   * 'cpu' (default) or 'webgpu' (WebGPU must be initialised: `await init({ device: 'webgpu' })`):
   * parameters, accumulators and entries stay on the device; each pass runs in batches whose
   * entries share no word or context row (split on the host), updated concurrently without
   * races, so a pass computes what the sequential pass over the same order computes; the
   * model's tensors are WebGPU tensors. float32 only, one "thread".
   */
  device?: DeviceName;
  /**
   * WebGPU only: the most entries of one dispatch (default 65,536). A pass needs at least as
   * many batches as the most frequent row has entries, whatever this cap.
   */
  batchSize?: number;
  /** Vectors returned: W + W̃ ('sum', the default, the reference's model 2) or W alone ('word'). */
  output?: 'sum' | 'word';
  /** Parameter storage on the CPU: 'float32' (default) or 'float64' (the reference's `real`). */
  precision?: 'float32' | 'float64';
  /**
   * Order of the entries: 'epoch' (default) shuffles them before every pass; 'once' shuffles them
   * before the first pass only, as the reference's `shuffle` tool does (no per-pass cost: about
   * 0.15–0.3 µs per entry on one thread); 'none' visits them in (i, j) order.
   */
  shuffle?: 'epoch' | 'once' | 'none';
  /** Clip of the vector gradient fdiff·w before η (default 100, as the reference). */
  gradClip?: number;
  /** Continue from this model (its parameters and AdaGrad accumulators) instead of a random start. */
  init?: GloVeModel;
  /** Called after each pass. */
  onEpoch?: (info: GloVeEpochInfo) => void;
  /** A progress line per pass on stdout (default: when stdout is a terminal). */
  progress?: boolean;
}

/**
 * What {@link trainGloVe} returns.
 * @example
 * ```ts
 * const X = Cooccurrence.fromArrays(2, { rows: Int32Array.of(0, 1), cols: Int32Array.of(1, 0), values: Float64Array.of(3, 3) });
 * const r: GloVeResult = await trainGloVe(X, { dim: 2, epochs: 3 });
 * r.costHistory.length; // 3
 * r.threads; // 1
 * r.model.dispose();
 * ```
 */
export interface GloVeResult {
  /** The word vectors (W + W̃ or W, see `output`), one per vocabulary word. */
  vectors: WordVectors;
  /** W, W̃, b, b̃ and their AdaGrad accumulators as tensors (owned by the caller). */
  model: GloVeModel;
  /** The cost of each pass. */
  costHistory: number[];
  /** Threads that trained (1 where shared memory or worker threads are unavailable). */
  threads: number;
}

const OPTION_KEYS = [
  'vocab',
  'dim',
  'window',
  'minCount',
  'tokenizer',
  'xMax',
  'alpha',
  'learningRate',
  'epochs',
  'seed',
  'threads',
  'device',
  'batchSize',
  'output',
  'precision',
  'shuffle',
  'gradClip',
  'init',
  'onEpoch',
  'progress',
] as const;

/**
 * Trains GloVe vectors (Pennington et al., 2014) with the reference C implementation's semantics.
 * Every parameter (W, W̃, b, b̃) starts U(−0.5, 0.5)/d and every AdaGrad accumulator at 1. Each
 * pass visits the entries (shuffled with a seeded {@link Generator} before every pass; the
 * reference shuffles once with its `shuffle` tool, which `shuffle: 'once'` reproduces) and, per
 * entry, with diff = wᵢ·w̃ⱼ + bᵢ + b̃ⱼ − log Xᵢⱼ and fdiff = f(X)·diff, adds ½·fdiff·diff to the
 * cost, then steps g = clip(fdiff·w̃ⱼ, ±100)·η; wᵢ −= g/√G; G += g² (the accumulator holds
 * η-scaled gradients, as the reference's — not textbook AdaGrad), w̃ⱼ likewise from the
 * pre-update wᵢ, and the biases by fdiff/√G_b without η or clipping. Entries with a non-finite
 * diff are skipped, and vector steps whose sum is not finite are not applied. The cost of a pass
 * is Σ ½·f(X)·diff² / N.
 *
 * A corpus input is counted first: `vocab` (built with `minCount` when absent) and
 * `cooccurrence(corpus, { vocab, window })`.
 *
 * @throws ArgumentError for bad options (unknown keys, dim ≤ 0, …) or an empty co-occurrence;
 * ShapeError when `vocab` or `init` disagrees with the matrix; BackendUnavailableError for
 * `device: 'webgpu'` before `await init({ device: 'webgpu' })`; DeviceError for threads that cannot start.
 * @example
 * ```ts
 * const X = Cooccurrence.fromArrays(3, {
 *   rows: Int32Array.of(0, 0, 1, 1, 2, 2), cols: Int32Array.of(1, 2, 0, 2, 0, 1),
 *   values: Float64Array.of(4, 1, 4, 2, 1, 2),
 * });
 * const vocab = Vocabulary.fromCounts([['a', 3], ['b', 2], ['c', 1]]);
 * const { vectors, costHistory, model } = await trainGloVe(X, { vocab, dim: 8, epochs: 10, seed: 1 });
 * vectors.get('a').length; // 8
 * costHistory[9] < costHistory[0]; // true
 * model.dispose();
 * ```
 */
export async function trainGloVe(input: Corpus | Cooccurrence, opts: GloVeOptions = {}): Promise<GloVeResult> {
  const op = 'trainGloVe';
  checkKeys(op, opts, OPTION_KEYS);
  checkInt(op, 'dim', opts.dim, 1);
  checkInt(op, 'epochs', opts.epochs, 0);
  checkInt(op, 'threads', opts.threads, 1);
  checkInt(op, 'seed', opts.seed, 0);
  for (const k of ['xMax', 'alpha', 'learningRate', 'gradClip'] as const) checkNumber(op, k, opts[k], (x) => x > 0, 'a finite number > 0');
  const oneOf = (k: 'output' | 'precision' | 'device' | 'shuffle', allowed: readonly string[]): void => {
    const v = opts[k];
    if (v !== undefined && !allowed.includes(v as string))
      throw new ArgumentError(op, `${k} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describe(v)}`);
  };
  oneOf('output', ['sum', 'word']);
  oneOf('precision', ['float32', 'float64']);
  oneOf('device', ['cpu', 'webgpu']);
  oneOf('shuffle', ['epoch', 'once', 'none']);
  checkBool(op, 'progress', opts.progress);
  checkFunction(op, 'onEpoch', opts.onEpoch);
  if (opts.init !== undefined && !(opts.init instanceof GloVeModel)) throw new ArgumentError(op, `init must be a GloVeModel, got ${describe(opts.init)}`);
  if (opts.vocab !== undefined && !(opts.vocab instanceof Vocabulary)) throw new ArgumentError(op, `vocab must be a Vocabulary, got ${describe(opts.vocab)}`);
  checkInt(op, 'batchSize', opts.batchSize, 1);
  if (opts.device === 'webgpu') {
    if (opts.precision === 'float64') throw new ArgumentError(op, "precision 'float64' needs device 'cpu' (WebGPU stores float32)");
    if ((opts.threads ?? 1) > 1) throw new ArgumentError(op, `threads apply to device 'cpu', got ${opts.threads} with device 'webgpu'`);
  } else if (opts.batchSize !== undefined) throw new ArgumentError(op, "batchSize applies to device 'webgpu'");

  const { X, words } = await prepareInput(op, input, opts);
  const dim = opts.init?.dim ?? opts.dim ?? 50;
  if (opts.init) {
    if (opts.dim !== undefined && opts.dim !== opts.init.dim) throw new ShapeError(op, `dim ${opts.dim} differs from the init model's ${opts.init.dim}`);
    if (opts.init.size !== words.length) throw new ShapeError(op, `the init model has ${opts.init.size} words, the co-occurrence matrix ${words.length}`);
  }
  const V = words.length;
  const xMax = opts.xMax ?? 100;
  const alpha = opts.alpha ?? 0.75;
  const eta = opts.learningRate ?? 0.05;
  const clip = opts.gradClip ?? 100;
  const epochs = opts.epochs ?? 25;
  const gen = new Generator({ seed: opts.seed ?? 0 });
  const wanted = opts.threads ?? 1;
  const threads = wanted > 1 && sharedMemoryAvailable() ? wanted : 1;
  const f64 = opts.precision === 'float64';

  // Parameters and accumulators: shared memory when threads work on them. On the CPU one array,
  // each row's accumulators right after its parameters (see glove-cpu); WebGPU takes two arrays.
  const gpu = opts.device === 'webgpu';
  const layout = gpu ? separateLayout(dim) : interleavedLayout(dim);
  const size = 2 * V * (dim + 1);
  const alloc = (n: number, bytes: number): ArrayBuffer | SharedArrayBuffer => (threads > 1 ? new SharedArrayBuffer(n * bytes) : new ArrayBuffer(n * bytes));
  const array = (n: number): GloVeArray => (f64 ? new Float64Array(alloc(n, 8)) : new Float32Array(alloc(n, 4)));
  const Wp = array(gpu ? size : 2 * size);
  const Gp = gpu ? array(size) : Wp;
  if (opts.init) await opts.init.pack(Wp, Gp, layout);
  else {
    // The draws in the order of the reference's rows of d + 1, whatever the layout.
    const u = gen.uniform(size);
    const { stride, gOff } = layout;
    for (let r = 0; r < 2 * V; r++) {
      for (let k = 0; k <= dim; k++) {
        Wp[r * stride + k] = (u[r * (dim + 1) + k] - 0.5) / dim;
        Gp[r * stride + gOff + k] = 1;
      }
    }
  }

  // Entries: sorted base arrays, and the per-pass (shuffled) arrays the kernel reads.
  const a = X.toArrays();
  const N = a.values.length;
  // With threads, the sorted entries live in shared memory too: the workers gather each pass's
  // order from them in parallel (the main thread only draws the permutation).
  const share = (x: Int32Array): Int32Array => {
    if (threads === 1) return x;
    const y = new Int32Array(alloc(x.length, 4));
    y.set(x);
    return y;
  };
  const base: GloVeEntries = { rows: share(a.rows), cols: share(a.cols), logX: new Float64Array(alloc(N, 8)), weight: new Float64Array(alloc(N, 8)) };
  for (let k = 0; k < N; k++) {
    base.logX[k] = Math.log(a.values[k]);
    base.weight[k] = gloveWeight(a.values[k], xMax, alpha);
  }
  const shuffle = opts.shuffle ?? 'epoch';
  const costHistory: number[] = [];
  const showProgress = opts.progress ?? isTerminal();
  const started = performance.now();
  const report = (epoch: number, cost: number, seconds: number): void => {
    costHistory.push(cost);
    if (showProgress) process.stdout.write(progressLine(epoch, epochs, cost, seconds, (performance.now() - started) / 1000));
    opts.onEpoch?.({ epoch, cost, seconds });
  };
  const gpuModel =
    opts.device === 'webgpu'
      ? await trainOnWebGpu(
          {
            words,
            dim,
            W: Wp as Float32Array,
            G: Gp as Float32Array,
            entries: base,
            eta,
            clip,
            epochs,
            shuffle,
            gen,
            batchSize: opts.batchSize ?? GLOVE_DEFAULT_BATCH,
          },
          report,
        )
      : undefined;
  const pass: GloVeEntries =
    (shuffle === 'none' && threads === 1) || gpuModel
      ? base
      : {
          rows: new Int32Array(alloc(N, 4)),
          cols: new Int32Array(alloc(N, 4)),
          logX: new Float64Array(alloc(N, 8)),
          weight: new Float64Array(alloc(N, 8)),
        };
  if (pass !== base && shuffle === 'none') gatherEntries(pass, base, undefined, 0, N);
  let perm = shuffle === 'none' || epochs === 0 || gpuModel ? undefined : gen.permutation(N);

  // Threads: each gathers its slice of a shuffled pass's order through the shared permutation.
  const sharedPerm = threads > 1 && shuffle !== 'none' ? new Int32Array(alloc(N, 4)) : undefined;
  const pool =
    threads > 1 && !gpuModel ? await startHogwildPool(op, threads, { P: Wp, entries: pass, base, perm: sharedPerm, dim, vocabSize: V, eta, clip }) : undefined;
  try {
    for (let epoch = 1; epoch <= (gpuModel ? 0 : epochs); epoch++) {
      const t0 = performance.now();
      if (perm && sharedPerm) sharedPerm.set(perm);
      else if (perm) gatherEntries(pass, base, perm, 0, N);
      // The next pass's order is drawn while the threads run this one (the same draws either way).
      const running = pool ? pool.round({ type: 'pass', gather: perm !== undefined }) : undefined;
      const total = running ? undefined : glovePass(Wp, dim, V, pass, 0, N, eta, clip);
      perm = shuffle === 'epoch' && epoch < epochs ? gen.permutation(N) : undefined;
      report(epoch, (running ? await running : (total as number)) / N, (performance.now() - t0) / 1000);
    }
  } finally {
    await pool?.close();
  }
  if (showProgress && epochs > 0) process.stdout.write('\n');

  const out = new Float32Array(V * dim);
  const sum = (opts.output ?? 'sum') === 'sum';
  for (let i = 0; i < V; i++) {
    const w = i * layout.stride;
    const c = (V + i) * layout.stride;
    for (let k = 0; k < dim; k++) out[i * dim + k] = sum ? Wp[w + k] + Wp[c + k] : Wp[w + k];
  }
  return { vectors: new WordVectors(words, out, dim), model: gpuModel ?? GloVeModel.fromPacked(words, dim, Wp, Gp, layout), costHistory, threads };
}

/** The co-occurrence matrix and the words of its ids, counting a corpus when needed. */
export async function prepareInput(op: string, input: Corpus | Cooccurrence, opts: GloVeOptions): Promise<{ X: Cooccurrence; words: readonly string[] }> {
  let X: Cooccurrence;
  let vocab = opts.vocab;
  if (input instanceof Cooccurrence) {
    if (opts.window !== undefined || opts.minCount !== undefined || opts.tokenizer !== undefined) {
      throw new ArgumentError(op, 'window, minCount and tokenizer apply to a corpus input, not to a Cooccurrence');
    }
    X = input;
  } else {
    checkInt(op, 'window', opts.window, 1);
    checkInt(op, 'minCount', opts.minCount, 1);
    vocab ??= await Vocabulary.build(input, { minCount: opts.minCount ?? 5, ...(opts.tokenizer ? { tokenizer: opts.tokenizer } : {}) });
    X = await cooccurrence(input, { vocab, window: opts.window ?? 15, ...(opts.tokenizer ? { tokenizer: opts.tokenizer } : {}) });
  }
  if (X.nnz === 0) throw new ArgumentError(op, 'the co-occurrence matrix is empty (no entries to train on)');
  if (vocab && vocab.size !== X.vocabSize) throw new ShapeError(op, `the vocabulary has ${vocab.size} words, the co-occurrence matrix ${X.vocabSize}`);
  const words = vocab ? vocab.words : Array.from({ length: X.vocabSize }, (_, i) => String(i));
  return { X, words };
}

function isTerminal(): boolean {
  return typeof process !== 'undefined' && process.stdout?.isTTY === true;
}
