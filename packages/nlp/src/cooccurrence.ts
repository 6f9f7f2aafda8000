import { ArgumentError } from '@aimodel/tensor';
import { checkBool, checkInt, checkKeys, checkNumber, describe } from './checks';
import { type Corpus, forEachDocument } from './corpus';
import { MemoryRuns, PairCounter, type RunStore } from './cooccurrence-counter';
import { DiskRuns, checkSpillSupported } from './cooccurrence-spill';
import { type CooccurrenceArrays, decodeRecords, encodeRecords } from './formats/cooccurrence-binary';
import { type Tokenizer, tokenizerOf } from './tokenize';
import { Vocabulary } from './vocabulary';

/**
 * Options of {@link cooccurrence}.
 * @example
 * ```ts
 * const vocab = Vocabulary.fromCounts([['the', 3], ['cat', 1], ['sat', 1]]);
 * const opts: CooccurrenceOptions = { vocab, window: 2, symmetric: false, distanceWeighting: false };
 * const X = await cooccurrence('the cat sat', opts);
 * X.get(vocab.indexOf('the'), vocab.indexOf('cat')); // 1
 * X.get(vocab.indexOf('cat'), vocab.indexOf('the')); // 0
 * ```
 */
export interface CooccurrenceOptions {
  /** The words to count; other tokens are removed before windowing. Specials never count. */
  vocab: Vocabulary;
  /** How many previous in-vocabulary tokens of the same line pair with each token. Default 15. */
  window?: number;
  /** Also add each count to the transposed entry X[later][earlier]. Default true. */
  symmetric?: boolean;
  /** Add 1/d for a pair d tokens apart (true, the default) or 1 for every pair. */
  distanceWeighting?: boolean;
  /** How lines are split into tokens: tokenize options or a function (default: `tokenize`'s defaults, as `Vocabulary.build`). */
  tokenizer?: Tokenizer;
  /**
   * Memory for the counts in progress, in MiB (default 256): a quarter for a dense table of the
   * frequent words' pairs, the rest for a hash table that is sorted into a compact run (16 bytes
   * per entry; kept in memory, or written to `tempDir`) whenever it fills. The result does not
   * depend on it beyond the rounding of float64 sums added in another order.
   */
  maxMemoryMB?: number;
  /**
   * Node.js only: a directory (which must exist) for the sorted runs, as the reference's
   * `cooccur -memory` spills them: each run is written to a file in a new subdirectory, the files
   * are merged (64 at a time) at the end, and the subdirectory is removed afterwards, on errors
   * too. Counting then holds only `maxMemoryMB` and the merged result (16 bytes per entry). The
   * counts are the in-memory ones up to the rounding of float64 sums added in another order.
   * Default: runs stay in memory.
   */
  tempDir?: string;
}

const OPTION_KEYS = ['vocab', 'window', 'symmetric', 'distanceWeighting', 'tokenizer', 'maxMemoryMB', 'tempDir'] as const;

/**
 * Counts word co-occurrences as the GloVe reference's `cooccur` defines them. Each line (document)
 * is separate: windows never cross lines. Tokens that are not words of `vocab` are removed
 * *before* windowing, so they take no window slot (a token equal to a special of the vocabulary,
 * such as `<unk>`, is not a word and is removed too). Then, for the token at each position p, each
 * of the `window` previous tokens, at distance d ≤ `window`, adds 1/d (1 without
 * `distanceWeighting`) to X[earlier][later] and, when `symmetric`, to X[later][earlier]. Sums are
 * float64. Row and column indices are the vocabulary's ids.
 *
 * Memory stays bounded by `maxMemoryMB` plus the compact sorted runs (16 bytes per entry), so a
 * corpus read line by line from a file can be larger than memory; with `tempDir` (Node.js) the
 * runs go to disk and only the merged result is held.
 *
 * @throws ArgumentError for bad options (`tempDir` outside Node.js or not a writable directory
 * included), or a corpus that yields no co-occurrence at all (empty, or no two vocabulary words
 * within `window` on one line).
 *
 * @example
 * ```ts
 * const vocab = Vocabulary.fromCounts([['the', 3], ['cat', 1], ['sat', 1]]);
 * const X = await cooccurrence('the cat sat\nthe', { vocab, window: 2 });
 * X.get(vocab.indexOf('the'), vocab.indexOf('cat')); // 1
 * X.get(vocab.indexOf('the'), vocab.indexOf('sat')); // 0.5
 * X.get(vocab.indexOf('sat'), vocab.indexOf('the')); // 0.5
 * X.nnz; // 6
 * ```
 */
export async function cooccurrence(corpus: Corpus, opts: CooccurrenceOptions): Promise<Cooccurrence> {
  const op = 'cooccurrence';
  if (opts === undefined) throw new ArgumentError(op, 'expected an options object with a vocab, got undefined');
  checkKeys(op, opts, OPTION_KEYS);
  const { vocab, window = 15, symmetric = true, distanceWeighting = true, maxMemoryMB = 256 } = opts;
  if (!(vocab instanceof Vocabulary)) throw new ArgumentError(op, `vocab must be a Vocabulary, got ${describe(vocab)}`);
  checkInt(op, 'window', window, 1);
  checkBool(op, 'symmetric', symmetric);
  checkBool(op, 'distanceWeighting', distanceWeighting);
  checkNumber(op, 'maxMemoryMB', maxMemoryMB, (x) => x > 0, 'a finite number > 0');
  const tempDir = opts.tempDir;
  if (tempDir !== undefined) {
    if (typeof tempDir !== 'string' || tempDir === '') throw new ArgumentError(op, `tempDir must be a non-empty directory path, got ${describe(tempDir)}`);
    checkSpillSupported(op);
  }
  const tokenize = tokenizerOf(opts.tokenizer);

  // Ranks: the counted words (every id that is not a special), in id order.
  const rankOf = new Map<string, number>();
  const specials = new Set(vocab.specials);
  const ids: number[] = [];
  vocab.words.forEach((w, id) => {
    if (specials.has(w)) return;
    rankOf.set(w, ids.length);
    ids.push(id);
  });
  const n = ids.length; // ≥ 1: a Vocabulary always keeps a word
  // Pairs are packed into one float64 key a·n + b, exact while n² ≤ 2^53.
  if (n > 94_906_265) throw new ArgumentError(op, `the vocabulary has ${n} words; at most 94906265 (pairs are packed into float64 keys)`);

  const store: RunStore = tempDir === undefined ? new MemoryRuns() : await DiskRuns.create(op, tempDir);
  try {
    return await count(op, corpus, { vocab, ids, rankOf, window, symmetric, distanceWeighting, tokenize, budget: maxMemoryMB * 2 ** 20, store });
  } finally {
    if (store instanceof DiskRuns) store.dispose();
  }
}

/** The counting itself (see {@link cooccurrence}), its runs in `store`. */
async function count(
  op: string,
  corpus: Corpus,
  o: {
    vocab: Vocabulary;
    ids: number[];
    rankOf: Map<string, number>;
    window: number;
    symmetric: boolean;
    distanceWeighting: boolean;
    tokenize: (text: string) => string[];
    budget: number;
    store: RunStore;
  },
): Promise<Cooccurrence> {
  const { vocab, ids, rankOf, window, symmetric, distanceWeighting, tokenize } = o;
  const n = ids.length;
  const counter = new PairCounter(n, o.budget, 0.25, o.store);
  const weights = new Float64Array(window + 1);
  for (let d = 1; d <= window; d++) weights[d] = distanceWeighting ? 1 / d : 1;
  let line = new Int32Array(1024);
  let docs = 0;
  let tokens = 0;
  let kept = 0;
  await forEachDocument(corpus, (doc) => {
    const toks = tokenize(doc);
    let len = 0;
    for (let t = 0; t < toks.length; t++) {
      const r = rankOf.get(toks[t]);
      if (r === undefined) continue;
      if (len === line.length) {
        const bigger = new Int32Array(2 * len);
        bigger.set(line);
        line = bigger;
      }
      line[len++] = r;
    }
    docs++;
    tokens += toks.length;
    kept += len;
    counter.addDocument(line, len, window, weights, symmetric);
  });
  const run = await counter.finish();
  const nnz = run.keys.length;
  if (nnz === 0) {
    throw new ArgumentError(
      op,
      `the corpus yields no co-occurrence (${docs} documents, ${tokens} tokens, ${kept} of them vocabulary words): expected at least two vocabulary words within window ${window} on one line`,
    );
  }
  const rows = new Int32Array(nnz);
  const cols = new Int32Array(nnz);
  for (let r = 0; r < nnz; r++) {
    const key = run.keys[r];
    const a = Math.floor(key / n);
    rows[r] = ids[a];
    cols[r] = ids[key - a * n];
  }
  return Cooccurrence.fromTrusted(vocab.size, { rows, cols, values: run.values });
}

/**
 * A sparse co-occurrence matrix X (float64), as {@link cooccurrence} counts it: entries (i, j, X)
 * with 0-based vocabulary ids, kept sorted by (i, j). Immutable.
 *
 * @example
 * ```ts
 * const X = Cooccurrence.fromArrays(3, {
 *   rows: Int32Array.of(0, 0, 2), cols: Int32Array.of(1, 2, 0), values: Float64Array.of(1, 0.5, 0.5),
 * });
 * X.nnz; // 3
 * X.get(0, 2); // 0.5
 * [...X.entries()]; // [[0, 1, 1], [0, 2, 0.5], [2, 0, 0.5]]
 * ```
 */
export class Cooccurrence {
  /** Size of the id space (the vocabulary's size, specials included). */
  readonly vocabSize: number;
  /** Number of stored (non-zero) entries. */
  readonly nnz: number;
  private readonly rowStart: Float64Array;
  private readonly rows: Int32Array;
  private readonly cols: Int32Array;
  private readonly values: Float64Array;

  private constructor(vocabSize: number, a: CooccurrenceArrays) {
    this.vocabSize = vocabSize;
    this.nnz = a.values.length;
    this.rows = a.rows;
    this.cols = a.cols;
    this.values = a.values;
    this.rowStart = new Float64Array(vocabSize + 1);
    for (let r = 0; r < this.nnz; r++) this.rowStart[a.rows[r] + 1]++;
    for (let i = 0; i < vocabSize; i++) this.rowStart[i + 1] += this.rowStart[i];
  }

  /** @internal Wraps arrays that are already valid and owned (no checks, no copies). */
  static fromTrusted(vocabSize: number, a: CooccurrenceArrays): Cooccurrence {
    return new Cooccurrence(vocabSize, a);
  }

  /**
   * X[i][j]: the summed weight of word j following word i (and, symmetric, preceding it); 0 for
   * a pair that never co-occurs.
   *
   * @throws ArgumentError when i or j is not an id in 0 … vocabSize − 1.
   * @example
   * ```ts
   * const X = Cooccurrence.fromArrays(2, { rows: Int32Array.of(0), cols: Int32Array.of(1), values: Float64Array.of(2.5) });
   * X.get(0, 1); // 2.5
   * X.get(1, 0); // 0
   * ```
   */
  get(i: number, j: number): number {
    for (const [name, v] of [
      ['i', i],
      ['j', j],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= this.vocabSize) {
        throw new ArgumentError('Cooccurrence.get', `${name} must be an integer id in 0 … ${this.vocabSize - 1}, got ${describe(v)}`);
      }
    }
    let lo = this.rowStart[i];
    let hi = this.rowStart[i + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.cols[mid];
      if (c === j) return this.values[mid];
      if (c < j) lo = mid + 1;
      else hi = mid;
    }
    return 0;
  }

  /**
   * The entries `[i, j, X]`, sorted by (i, j).
   * @example
   * ```ts
   * const X = Cooccurrence.fromArrays(2, { rows: Int32Array.of(0, 1), cols: Int32Array.of(1, 0), values: Float64Array.of(1, 1) });
   * [...X.entries()]; // [[0, 1, 1], [1, 0, 1]]
   * ```
   */
  *entries(): IterableIterator<[number, number, number]> {
    for (let r = 0; r < this.nnz; r++) yield [this.rows[r], this.cols[r], this.values[r]];
  }

  /**
   * The entries as new typed arrays (0-based ids, sorted by (i, j)): the input of training code.
   * @example
   * ```ts
   * const X = Cooccurrence.fromArrays(2, { rows: Int32Array.of(1), cols: Int32Array.of(0), values: Float64Array.of(3) });
   * X.toArrays().values; // [3]
   * ```
   */
  toArrays(): CooccurrenceArrays {
    return { rows: this.rows.slice(), cols: this.cols.slice(), values: this.values.slice() };
  }

  /**
   * A matrix from entries (0-based ids, strictly sorted by (i, j), values finite and > 0); the
   * arrays are copied.
   *
   * @throws ArgumentError for arrays of other types or lengths, ids outside 0 … vocabSize − 1,
   * unsorted or repeated pairs, or values that are not finite and positive.
   * @example
   * ```ts
   * const X = Cooccurrence.fromArrays(4, { rows: Int32Array.of(2), cols: Int32Array.of(3), values: Float64Array.of(0.25) });
   * X.get(2, 3); // 0.25
   * ```
   */
  static fromArrays(vocabSize: number, a: CooccurrenceArrays): Cooccurrence {
    const op = 'Cooccurrence.fromArrays';
    if (!Number.isSafeInteger(vocabSize) || vocabSize < 1) throw new ArgumentError(op, `vocabSize must be a positive integer, got ${describe(vocabSize)}`);
    if (a === null || typeof a !== 'object') throw new ArgumentError(op, `expected { rows, cols, values }, got ${describe(a)}`);
    checkKeys(op, a, ['rows', 'cols', 'values']);
    const { rows, cols, values } = a;
    if (!(rows instanceof Int32Array) || !(cols instanceof Int32Array) || !(values instanceof Float64Array)) {
      throw new ArgumentError(
        op,
        `expected rows and cols as Int32Array and values as Float64Array, got ${describe(rows)}, ${describe(cols)}, ${describe(values)}`,
      );
    }
    if (rows.length !== values.length || cols.length !== values.length) {
      throw new ArgumentError(op, `rows, cols and values must have one length, got ${rows.length}, ${cols.length}, ${values.length}`);
    }
    for (let r = 0; r < values.length; r++) {
      const i = rows[r];
      const j = cols[r];
      const x = values[r];
      if (i < 0 || i >= vocabSize || j < 0 || j >= vocabSize) {
        throw new ArgumentError(op, `entry ${r} has ids (${i}, ${j}); expected ids in 0 … ${vocabSize - 1}`);
      }
      if (!(x > 0 && x < Number.POSITIVE_INFINITY)) throw new ArgumentError(op, `entry ${r} has value ${x}; expected a finite value > 0`);
      if (r > 0 && (i < rows[r - 1] || (i === rows[r - 1] && j <= cols[r - 1]))) {
        throw new ArgumentError(
          op,
          `entry ${r} (${i}, ${j}) does not come after entry ${r - 1} (${rows[r - 1]}, ${cols[r - 1]}); expected entries strictly sorted by (i, j)`,
        );
      }
    }
    return new Cooccurrence(vocabSize, { rows: rows.slice(), cols: cols.slice(), values: values.slice() });
  }

  /**
   * The GloVe reference's binary record format, as its `cooccur` writes it: 16-byte records
   * `{ int32 word1, int32 word2, float64 X }`, little-endian, 1-based ids (id + 1), sorted by
   * (word1, word2). With a vocabulary without specials, ids match the reference's `vocab.txt`
   * ranks, so the file can be fed to the reference's `shuffle` and `glove`.
   * @example
   * ```ts
   * const X = Cooccurrence.fromArrays(3, { rows: Int32Array.of(0), cols: Int32Array.of(2), values: Float64Array.of(0.5) });
   * const bytes = X.toBinary(); // 16 bytes: 01 00 00 00 | 03 00 00 00 | 0.5 as float64 LE
   * Cooccurrence.fromBinary(bytes, 3).get(0, 2); // 0.5
   * ```
   */
  toBinary(): Uint8Array {
    return encodeRecords({ rows: this.rows, cols: this.cols, values: this.values });
  }

  /**
   * Reads the reference's binary record format (see {@link Cooccurrence.toBinary}). Records may
   * come in any order (the reference's `shuffle` output too); they are sorted. Without
   * `vocabSize`, the largest id is the size. Everything is validated before anything is kept.
   *
   * @throws ArgumentError for a length that is not a multiple of 16 bytes (truncated file), no
   * records, ids < 1 or > `vocabSize`, values that are not finite and > 0, or a repeated pair.
   * @example
   * ```ts
   * const X = Cooccurrence.fromArrays(2, { rows: Int32Array.of(0, 1), cols: Int32Array.of(1, 0), values: Float64Array.of(1, 1) });
   * const Y = Cooccurrence.fromBinary(X.toBinary());
   * Y.vocabSize; // 2
   * Cooccurrence.fromBinary(X.toBinary().subarray(0, 20)); // ArgumentError: 20 bytes is not a multiple of the 16-byte record
   * ```
   */
  static fromBinary(bytes: Uint8Array, vocabSize?: number): Cooccurrence {
    const { vocabSize: size, arrays } = decodeRecords('Cooccurrence.fromBinary', bytes, vocabSize);
    return new Cooccurrence(size, arrays);
  }
}
