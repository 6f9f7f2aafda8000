// The public surface of gensim's KeyedVectors in one class (over ~400 lines for its TSDoc): the
// methods are short; scoring lives in nearest.ts, evaluations in word-vectors-evaluate.ts, file
// formats in formats/.
import { Embedding } from '@aimodel/nn';
import { ArgumentError, type DeviceName, ShapeError, scope, tensor } from '@aimodel/tensor';
import { checkKeys } from './checks';
import { evaluateAnalogies, type AnalogyEvaluation, type EvaluateOptions, evaluateSimilarity, type SimilarityEvaluation } from './word-vectors-evaluate';
import { formatWord2VecBinary, parseWord2VecBinary } from './formats/vectors-word2vec-binary';
import { checkWritableWords, formatVectorsText, parseVectorsText, type ReadVectorsOptions, shortestFloat32 } from './formats/vectors-text';
import { dotScores, dotScoresOnDevice, topIndices, unitRows } from './nearest';

/** Options of {@link WordVectors.mostSimilar}. @example `const wv = new WordVectors(['a', 'b', 'c'], new Float32Array([1, 0, 1, 1, 0, 1]), 2); wv.mostSimilar('b', { negative: ['a'], topN: 1 }) // [['c', ≈0.9239]]` */
export interface MostSimilarOptions {
  /** Words whose unit vectors are subtracted from the query (default none). */
  negative?: readonly string[];
  /** How many neighbours to return (default 10). */
  topN?: number;
  /** Search only the first `restrictVocab` words (the most frequent, in the usual file order). */
  restrictVocab?: number;
}

/** Options of {@link WordVectors.mostSimilarMany}. @example `await new WordVectors(['a', 'b'], new Float32Array([1, 2]), 1).mostSimilarMany(['a'], { topN: 1, device: 'cpu' }) // [[['b', 1]]]` */
export interface MostSimilarManyOptions {
  /** Neighbours per query (default 10). */
  topN?: number;
  /** Search only the first `restrictVocab` words. */
  restrictVocab?: number;
  /** Device of the matmul (default: the default device). */
  device?: DeviceName;
}

/** Options of {@link WordVectors.analogy}. @example `const wv = new WordVectors(['a', 'b', 'c'], new Float32Array([1, 0, 1, 1, 0, 1]), 2); wv.analogy('a', 'b', 'c', { method: '3cosmul', topN: 1 }) // [] (no fourth word)` */
export interface AnalogyOptions {
  /** '3cosadd' (default): cos(d, b − a + c); '3cosmul': Levy & Goldberg's multiplicative objective. */
  method?: '3cosadd' | '3cosmul';
  /** How many answers (default 10). */
  topN?: number;
  /** ε of 3CosMul (default 0.001, Levy & Goldberg 2014; gensim's most_similar_cosmul uses 1e-6). */
  epsilon?: number;
}

/** Options of {@link WordVectors.toGloVeText}. @example `new WordVectors(['a'], new Float32Array([0.5]), 1).toGloVeText({ header: true, decimals: 2 }) // '1 1\na 0.50\n'` */
export interface GloVeTextOptions {
  /** Write a `count dim` first line (default false, as the reference `glove` tool). */
  header?: boolean;
  /** Digits after the decimal point (default 6, the reference's `%lf`). */
  decimals?: number;
}

/** Options of {@link WordVectors.toEmbedding}. @example `new WordVectors(['a'], new Float32Array([0.5]), 1).toEmbedding({ freeze: false }).weight.requiresGrad // true` */
export interface ToEmbeddingOptions {
  /** Keep the weight fixed during training (default true). */
  freeze?: boolean;
  /** A row whose gradient is always zero (default none). */
  paddingIdx?: number | null;
}

/**
 * Words with one float32 vector each, modelled on gensim's `KeyedVectors`: lookups, cosine
 * similarities, nearest neighbours, analogies, evaluation on the standard benchmarks, and the
 * GloVe / word2vec file formats. Row i of `vectors` (row-major [size, dim]) belongs to `words[i]`;
 * files usually list words by descending frequency, which `restrictVocab` options rely on.
 * Unknown words in queries throw an `ArgumentError` naming the word.
 * @example
 * ```ts
 * const wv = new WordVectors(['cat', 'dog', 'car'], new Float32Array([1, 0, 0.8, 0.6, 0, 1]), 2);
 * wv.similarity('cat', 'dog'); // 0.8
 * wv.mostSimilar('cat', { topN: 1 }); // [['dog', 0.8]]
 * ```
 */
export class WordVectors {
  /** Words by row. @example `new WordVectors(['a'], new Float32Array([1]), 1).words // ['a']` */
  readonly words: readonly string[];
  /** The vectors, row-major [size, dim]. @example `new WordVectors(['a'], new Float32Array([1]), 1).vectors // Float32Array [1]` */
  readonly vectors: Float32Array;
  /** Length of each vector. @example `new WordVectors(['a'], new Float32Array([1, 2]), 2).dim // 2` */
  readonly dim: number;
  /** Number of words. @example `new WordVectors(['a', 'b'], new Float32Array([1, 2]), 1).size // 2` */
  readonly size: number;
  private readonly index = new Map<string, number>();
  private unit: Float32Array | null = null;

  /**
   * @param words distinct words, one per row
   * @param vectors row-major [words.length, dim] float32 values (kept, not copied)
   * @param dim vector length (positive integer)
   * @example
   * ```ts
   * new WordVectors(['a', 'b'], new Float32Array([1, 0, 0, 1]), 2).size; // 2
   * ```
   */
  constructor(words: readonly string[], vectors: Float32Array, dim: number) {
    const op = 'WordVectors';
    if (!Array.isArray(words)) throw new ArgumentError(op, `words must be an array of strings, got ${typeof words}`);
    if (!(vectors instanceof Float32Array))
      throw new ArgumentError(
        op,
        `vectors must be a Float32Array, got ${vectors === null ? 'null' : ((vectors as object)?.constructor?.name ?? typeof vectors)}`,
      );
    if (!Number.isInteger(dim) || dim < 1) throw new ArgumentError(op, `dim must be a positive integer, got ${dim}`);
    if (vectors.length !== words.length * dim) {
      throw new ShapeError(op, `vectors has ${vectors.length} values, expected words.length × dim = ${words.length} × ${dim} = ${words.length * dim}`);
    }
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (typeof w !== 'string') throw new ArgumentError(op, `words[${i}] is ${typeof w}, expected a string`);
      const prev = this.index.get(w);
      if (prev !== undefined) throw new ArgumentError(op, `duplicate word '${w}' at rows ${prev} and ${i}`);
      this.index.set(w, i);
    }
    this.words = Object.freeze([...words]);
    this.vectors = vectors;
    this.dim = dim;
    this.size = words.length;
  }

  /** Row of `word`, or -1. @example `new WordVectors(['a', 'b'], new Float32Array([1, 2]), 1).indexOf('b') // 1` */
  indexOf(word: string): number {
    return this.index.get(word) ?? -1;
  }

  /** Whether `word` has a vector. @example `new WordVectors(['a'], new Float32Array([1]), 1).has('b') // false` */
  has(word: string): boolean {
    return this.index.has(word);
  }

  /** A copy of the vector of `word`; throws for unknown words. @example `new WordVectors(['a'], new Float32Array([1, 2]), 2).get('a') // Float32Array [1, 2]` */
  get(word: string): Float32Array {
    const i = this.rowOf('WordVectors.get', word);
    return this.vectors.slice(i * this.dim, (i + 1) * this.dim);
  }

  /**
   * Cosine similarity a·b / (‖a‖ ‖b‖) (0 when either vector is zero).
   * @example
   * ```ts
   * new WordVectors(['x', 'y'], new Float32Array([1, 0, 1, 1]), 2).similarity('x', 'y'); // ≈ 0.7071
   * ```
   */
  similarity(a: string, b: string): number {
    const u = this.unitVectors();
    const i = this.rowOf('WordVectors.similarity', a) * this.dim;
    const j = this.rowOf('WordVectors.similarity', b) * this.dim;
    let s = 0;
    for (let k = 0; k < this.dim; k++) s += u[i + k] * u[j + k];
    return s;
  }

  /**
   * Nearest neighbours by cosine, as gensim's `most_similar`: the mean of the unit vectors of
   * `positive` minus those of `negative`, compared with every word; the query words are left out.
   * Returns [word, cosine] pairs, best first (ties: the earlier row first).
   * @example
   * ```ts
   * const wv = new WordVectors(['a', 'b', 'c'], new Float32Array([1, 0, 1, 1, 0, 1]), 2);
   * wv.mostSimilar('a'); // [['b', ≈0.7071], ['c', 0]]
   * ```
   */
  mostSimilar(positive: string | readonly string[], opts: MostSimilarOptions = {}): [string, number][] {
    const op = 'WordVectors.mostSimilar';
    checkKeys(op, opts, ['negative', 'topN', 'restrictVocab']);
    const pos = typeof positive === 'string' ? [positive] : [...positive];
    const neg = [...(opts.negative ?? [])];
    if (pos.length + neg.length === 0) throw new ArgumentError(op, 'no query words (positive and negative are both empty)');
    const topN = checkCount(op, 'topN', opts.topN ?? 10);
    const rows = Math.min(this.size, checkCount(op, 'restrictVocab', opts.restrictVocab ?? this.size));
    const query = this.combine(op, pos, neg);
    const exclude = new Set([...pos, ...neg].map((w) => this.index.get(w) as number));
    return this.ranked(dotScores(this.unitVectors(), rows, this.dim, query), rows, topN, exclude);
  }

  /**
   * {@link mostSimilar} for many queries at once (each a word or a list of positive words), the
   * scores computed by one matmul on the default device (WebGPU after `init()`) and read back
   * asynchronously: what large vocabularies and query batches should use.
   * @example
   * ```ts
   * const wv = new WordVectors(['a', 'b', 'c'], new Float32Array([1, 0, 1, 1, 0, 1]), 2);
   * const [ofA, ofC] = await wv.mostSimilarMany(['a', 'c'], { topN: 1 });
   * ofA[0][0]; // 'b'
   * ```
   */
  async mostSimilarMany(queries: readonly (string | readonly string[])[], opts: MostSimilarManyOptions = {}): Promise<[string, number][][]> {
    const op = 'WordVectors.mostSimilarMany';
    checkKeys(op, opts, ['topN', 'restrictVocab', 'device']);
    if (!Array.isArray(queries)) throw new ArgumentError(op, `expected an array of queries, got ${typeof queries}`);
    const topN = checkCount(op, 'topN', opts.topN ?? 10);
    const rows = Math.min(this.size, checkCount(op, 'restrictVocab', opts.restrictVocab ?? this.size));
    const lists = queries.map((q) => (typeof q === 'string' ? [q] : [...q]));
    const combined = new Float32Array(lists.length * this.dim);
    lists.forEach((words, q) => {
      if (words.length === 0) throw new ArgumentError(op, `query ${q} has no words`);
      combined.set(this.combine(op, words, []), q * this.dim);
    });
    if (lists.length === 0) return [];
    const scores = await dotScoresOnDevice(this.unitVectors(), rows, this.dim, combined, opts.device);
    return lists.map((words, q) => {
      const exclude = new Set(words.map((w) => this.index.get(w) as number));
      return topIndices(scores, q * rows, rows, topN, exclude).map((i): [string, number] => [this.words[i], scores[q * rows + i]]);
    });
  }

  /**
   * "a is to b as c is to ?". '3cosadd': argmax cos(d, b − a + c) over unit vectors (gensim's
   * `most_similar(positive=[b, c], negative=[a])`); '3cosmul' (Levy & Goldberg 2014): argmax
   * cos′(d, b)·cos′(d, c) / (cos′(d, a) + ε) with cos′ = (cos + 1)/2 ∈ [0, 1] (gensim's
   * `most_similar_cosmul`). a, b and c are never answers.
   * @example
   * ```ts
   * const wv = new WordVectors(['man', 'king', 'woman', 'queen'], new Float32Array([1, 0, 1, 1, 0, 1, 0.1, 1.1]), 2);
   * wv.analogy('man', 'king', 'woman', { topN: 1 })[0][0]; // 'queen'
   * ```
   */
  analogy(a: string, b: string, c: string, opts: AnalogyOptions = {}): [string, number][] {
    const op = 'WordVectors.analogy';
    checkKeys(op, opts, ['method', 'topN', 'epsilon']);
    const method = opts.method ?? '3cosadd';
    const topN = checkCount(op, 'topN', opts.topN ?? 10);
    if (method === '3cosadd') return this.mostSimilar([b, c], { negative: [a], topN });
    if (method !== '3cosmul') throw new ArgumentError(op, `method must be '3cosadd' or '3cosmul', got '${String(method)}'`);
    const epsilon = opts.epsilon ?? 0.001;
    if (!(epsilon > 0)) throw new ArgumentError(op, `epsilon must be > 0, got ${epsilon}`);
    const u = this.unitVectors();
    const d = this.dim;
    const rows = [a, b, c].map((w) => this.rowOf(op, w));
    const queries = new Float32Array(3 * d);
    for (let q = 0; q < 3; q++) queries.set(u.subarray(rows[q] * d, (rows[q] + 1) * d), q * d);
    const cos = dotScores(u, this.size, d, queries);
    const n = this.size;
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const shift = (x: number): number => (x + 1) / 2;
      scores[i] = (shift(cos[n + i]) * shift(cos[2 * n + i])) / (shift(cos[i]) + epsilon);
    }
    return this.ranked(scores, n, topN, new Set(rows));
  }

  /**
   * The word least like the others, as gensim's `doesnt_match`: the lowest cosine to the
   * (normalised) mean of the words' unit vectors (ties: the alphabetically first).
   * @example
   * ```ts
   * const wv = new WordVectors(['a', 'b', 'c'], new Float32Array([1, 0, 0.9, 0.1, 0, 1]), 2);
   * wv.doesntMatch(['a', 'b', 'c']); // 'c'
   * ```
   */
  doesntMatch(words: readonly string[]): string {
    const op = 'WordVectors.doesntMatch';
    if (!Array.isArray(words) || words.length === 0) throw new ArgumentError(op, 'expected a non-empty array of words');
    const mean = this.combine(op, words, []);
    const u = this.unitVectors();
    let best: [number, string] | null = null;
    for (const w of words) {
      const base = (this.index.get(w) as number) * this.dim;
      let s = 0;
      for (let k = 0; k < this.dim; k++) s += u[base + k] * mean[k];
      if (best === null || s < best[0] || (s === best[0] && w < best[1])) best = [s, w];
    }
    return (best as [number, string])[1];
  }

  /**
   * A new instance whose rows have unit L2 norm (zero rows stay zero).
   * @example
   * ```ts
   * new WordVectors(['a'], new Float32Array([3, 4]), 2).normalize().get('a'); // Float32Array [0.6, 0.8]
   * ```
   */
  normalize(): WordVectors {
    return new WordVectors(this.words, this.unitVectors().slice(), this.dim);
  }

  /**
   * Spearman's ρ (ties: average ranks) between human scores and cosine similarities, as gensim's
   * `evaluate_word_pairs`: `pairs` is the usual text (`word1 word2 score` per line, tab or space
   * separated, `#` comments) or an array; pairs with a word outside the (first `restrictVocab`)
   * words are skipped and counted in `oov`. Case-insensitive by default (a word matches the most
   * frequent of its casings). Also returns Pearson's r.
   * @example
   * ```ts
   * const wv = new WordVectors(['a', 'b', 'c'], new Float32Array([1, 0, 1, 1, 0, 1]), 2);
   * wv.evaluateSimilarity('a b 9\na c 1\nb c 5\na zz 3'); // { spearman: ≈0.866, pearson: ≈0.866, pairs: 3, oov: 1 }
   * ```
   */
  evaluateSimilarity(pairs: string | readonly (readonly [string, string, number])[], opts: EvaluateOptions = {}): SimilarityEvaluation {
    return evaluateSimilarity(this, pairs, opts);
  }

  /**
   * Accuracy on analogy questions in the questions-words.txt format (`: section` lines, then
   * `a b c d` per line), with gensim's `evaluate_word_analogies` rules: case-insensitive by
   * default, only the first `restrictVocab` (300 000) words are searched and known, questions with
   * an unknown word are skipped and counted in `oov`, and the answer is the best 3CosAdd
   * candidate that is none of a, b, c.
   * @example
   * ```ts
   * const wv = new WordVectors(['man', 'king', 'woman', 'queen'], new Float32Array([1, 0, 1, 1, 0, 1, 0.1, 1.1]), 2);
   * wv.evaluateAnalogies(': royal\nman king woman queen\nman king woman prince').accuracy; // 1 (the second is OOV)
   * ```
   */
  evaluateAnalogies(questionsText: string, opts: EvaluateOptions = {}): AnalogyEvaluation {
    return evaluateAnalogies(this, questionsText, opts);
  }

  /**
   * Read GloVe text: `word v1 … vd` per line, with or without a `count dim` first line (detected:
   * two integers whose count matches the rows that follow). Rows of another length, non-numeric
   * or non-finite values, duplicate words (unless `{ duplicates: 'keepFirst' }`) and empty files
   * throw a typed error naming the line.
   * @example
   * ```ts
   * WordVectors.fromGloVeText('the 0.1 0.2\nof 0.3 0.4\n').get('of'); // Float32Array [0.3, 0.4]
   * ```
   */
  static fromGloVeText(text: string, opts: ReadVectorsOptions = {}): WordVectors {
    checkKeys('WordVectors.fromGloVeText', opts, ['duplicates']);
    const d = parseVectorsText('WordVectors.fromGloVeText', text, 'detect', opts);
    return new WordVectors(d.words, d.vectors, d.dim);
  }

  /**
   * GloVe text as the reference `glove` tool writes it: `word v1 … vd`, values with 6 decimals
   * (C's `%lf`), no header unless `{ header: true }`.
   * @example
   * ```ts
   * new WordVectors(['a'], new Float32Array([0.5, -1]), 2).toGloVeText(); // 'a 0.500000 -1.000000\n'
   * ```
   */
  toGloVeText(opts: GloVeTextOptions = {}): string {
    const op = 'WordVectors.toGloVeText';
    checkKeys(op, opts, ['header', 'decimals']);
    const decimals = opts.decimals ?? 6;
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 20) throw new ArgumentError(op, `decimals must be an integer in [0, 20], got ${decimals}`);
    checkWritableWords(op, this.words);
    return formatVectorsText(this.data(), opts.header ?? false, (v) => v.toFixed(decimals));
  }

  /**
   * Read word2vec text (the C tool's and gensim's `binary=False`): a `count dim` header, then
   * `word v1 … vd` per line. The count must match the rows; errors name the line.
   * @example
   * ```ts
   * WordVectors.fromWord2VecText('2 2\nthe 0.1 0.2\nof 0.3 0.4\n').size; // 2
   * ```
   */
  static fromWord2VecText(text: string, opts: ReadVectorsOptions = {}): WordVectors {
    checkKeys('WordVectors.fromWord2VecText', opts, ['duplicates']);
    const d = parseVectorsText('WordVectors.fromWord2VecText', text, 'required', opts);
    return new WordVectors(d.words, d.vectors, d.dim);
  }

  /**
   * word2vec text as gensim writes it: `count dim`, then each value as the shortest decimal that
   * reads back as the same float32 (Python's repr of a float32).
   * @example
   * ```ts
   * new WordVectors(['a'], new Float32Array([0.1, 2]), 2).toWord2VecText(); // '1 2\na 0.1 2\n'
   * ```
   */
  toWord2VecText(): string {
    checkWritableWords('WordVectors.toWord2VecText', this.words);
    return formatVectorsText(this.data(), true, shortestFloat32);
  }

  /**
   * Read the word2vec binary format (C tool `-binary 1`, gensim `binary=True`): header line
   * `count dim`, then per word its UTF-8 bytes, a space and dim little-endian float32 values
   * (a newline after each vector is optional). Truncated or corrupt files throw naming the byte offset.
   * @example
   * ```ts
   * const wv = new WordVectors(['a'], new Float32Array([1, 2]), 2);
   * WordVectors.fromWord2VecBinary(wv.toWord2VecBinary()).get('a'); // Float32Array [1, 2]
   * ```
   */
  static fromWord2VecBinary(bytes: Uint8Array, opts: ReadVectorsOptions = {}): WordVectors {
    checkKeys('WordVectors.fromWord2VecBinary', opts, ['duplicates']);
    const d = parseWord2VecBinary('WordVectors.fromWord2VecBinary', bytes, opts);
    return new WordVectors(d.words, d.vectors, d.dim);
  }

  /**
   * The word2vec binary format as the C tool writes it (a newline after each vector, which
   * gensim's reader also accepts).
   * @example
   * ```ts
   * new WordVectors(['a'], new Float32Array([1]), 1).toWord2VecBinary().length; // 4 + 2 + 4 + 1 = 11
   * ```
   */
  toWord2VecBinary(): Uint8Array {
    return formatWord2VecBinary('WordVectors.toWord2VecBinary', this.data());
  }

  /**
   * An `nn.Embedding` [size, dim] initialised from the vectors (row i = words[i]), frozen unless
   * `{ freeze: false }`, on the default device.
   * @example
   * ```ts
   * const emb = new WordVectors(['a', 'b'], new Float32Array([1, 2, 3, 4]), 2).toEmbedding();
   * emb.forward(tensor([1], { dtype: 'int32' })); // [[3, 4]]
   * emb.dispose();
   * ```
   */
  toEmbedding(opts: ToEmbeddingOptions = {}): Embedding {
    checkKeys('WordVectors.toEmbedding', opts, ['freeze', 'paddingIdx']);
    if (this.size === 0) throw new ArgumentError('WordVectors.toEmbedding', 'no words: an embedding needs at least one row');
    const weights = scope(() => tensor(this.vectors).reshape([this.size, this.dim]).contiguous());
    try {
      return Embedding.fromPretrained(weights, { freeze: opts.freeze ?? true, paddingIdx: opts.paddingIdx ?? null });
    } finally {
      weights.dispose(); // the embedding holds its own alias of the storage
    }
  }

  /** @internal Unit-norm rows, computed once (the vectors are treated as immutable). */
  unitVectors(): Float32Array {
    if (!this.unit) this.unit = unitRows(this.vectors, this.size, this.dim);
    return this.unit;
  }

  /** @internal Row of a known word; unknown words throw naming the word. */
  rowOf(op: string, word: string): number {
    const i = this.index.get(word);
    if (i === undefined) throw new ArgumentError(op, `word '${String(word)}' not in vocabulary (${this.size} words)`);
    return i;
  }

  /** @internal Unit vector of the mean of unit(pos) minus unit(neg) (zero when they cancel). */
  combine(op: string, pos: readonly string[], neg: readonly string[]): Float32Array {
    const u = this.unitVectors();
    const d = this.dim;
    const acc = new Float64Array(d);
    for (const [words, sign] of [
      [pos, 1],
      [neg, -1],
    ] as const) {
      for (const w of words) {
        const base = this.rowOf(op, w) * d;
        for (let k = 0; k < d; k++) acc[k] += sign * u[base + k];
      }
    }
    let s = 0;
    for (let k = 0; k < d; k++) s += acc[k] * acc[k];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    return Float32Array.from(acc, (v) => v * inv);
  }

  /** @internal The best `topN` of `scores[0..rows)` as [word, score] pairs. */
  ranked(scores: ArrayLike<number>, rows: number, topN: number, exclude: ReadonlySet<number>): [string, number][] {
    return topIndices(scores, 0, rows, topN, exclude).map((i) => [this.words[i], scores[i]]);
  }

  private data(): { words: string[]; vectors: Float32Array; dim: number } {
    return { words: [...this.words], vectors: this.vectors, dim: this.dim };
  }
}

function checkCount(op: string, name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new ArgumentError(op, `${name} must be a positive integer, got ${v}`);
  return v;
}
