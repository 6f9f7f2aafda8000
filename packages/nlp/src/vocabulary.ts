import { ArgumentError, ShapeError, Tensor, tensor } from '@aimodel/tensor';
import { checkBool, checkInt, checkKeys, describe } from './checks';
import { type Corpus, forEachDocument } from './corpus';
import { type Tokenizer, tokenizerOf } from './tokenize';

/** The order of two strings' UTF-8 bytes (= code point order), which differs from JS's UTF-16 `<` above U+FFFF. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800–DFFF, code points ≥ U+10000) sort after E000–FFFF in code point order.
    if (x >= 0xd800) x += x < 0xe000 ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y < 0xe000 ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/** Count descending, ties by UTF-8 byte order (as the GloVe reference's vocab_count sorts). */
const byCount = (a: [string, number], b: [string, number]): number => b[1] - a[1] || compareUtf8(a[0], b[0]);

function checkSpecials(op: string, specials: unknown): string[] {
  if (specials === undefined) return [];
  if (!Array.isArray(specials)) throw new ArgumentError(op, `specials must be an array of strings, got ${describe(specials)}`);
  const seen = new Set<string>();
  for (const s of specials) {
    if (typeof s !== 'string' || s.length === 0) throw new ArgumentError(op, `specials must be non-empty strings, got ${describe(s)}`);
    if (seen.has(s)) throw new ArgumentError(op, `special token '${s}' is given twice`);
    seen.add(s);
  }
  return [...specials];
}

interface Selection {
  minCount?: number;
  maxSize?: number;
  specials?: string[];
}

/**
 * A word ↔ id mapping with corpus counts. Special tokens come first (ids 0…k−1, count 0), then
 * the corpus words by count descending, ties in UTF-8 byte order (the GloVe reference's order).
 * Two specials have a meaning: `'<unk>'` is what `encode` maps unknown words to, `'<pad>'` what it
 * pads with.
 *
 * @example
 * ```ts
 * const vocab = await Vocabulary.build('the cat sat on the mat', { specials: ['<pad>', '<unk>'] });
 * vocab.words.join(' '); // '<pad> <unk> the cat mat on sat'
 * vocab.indexOf('the'); // 2
 * vocab.count('the'); // 2
 * vocab.encode(['the', 'dog']); // [2, 1]
 * vocab.decode([3, 4]).join(' '); // 'cat mat'
 * ```
 */
export class Vocabulary {
  /** Number of ids, specials included. */
  readonly size: number;
  /** The words by id (specials first). */
  readonly words: readonly string[];
  /** The special tokens (ids 0…k−1). */
  readonly specials: readonly string[];
  readonly #counts: readonly number[];
  readonly #ids = new Map<string, number>();

  private constructor(specials: readonly string[], entries: readonly [string, number][]) {
    this.specials = Object.freeze([...specials]);
    this.words = Object.freeze([...specials, ...entries.map((e) => e[0])]);
    this.#counts = Object.freeze([...specials.map(() => 0), ...entries.map((e) => e[1])]);
    this.size = this.words.length;
    this.words.forEach((w, i) => this.#ids.set(w, i));
  }

  /** Keeps the entries with count ≥ minCount (specials excluded), sorted, at most maxSize ids in all. */
  static #select(op: string, entries: [string, number][], opts: Selection): Vocabulary {
    const { minCount = 1, maxSize } = opts;
    checkInt(op, 'minCount', minCount, 1);
    const specials = checkSpecials(op, opts.specials);
    checkInt(op, 'maxSize', maxSize, specials.length + 1);
    const special = new Set(specials);
    let top = 0;
    const kept = entries.filter(([w, c]) => {
      if (special.has(w)) return false;
      top = Math.max(top, c);
      return c >= minCount;
    });
    if (kept.length === 0) throw new ArgumentError(op, `no word occurs at least minCount = ${minCount} times (the most frequent occurs ${top} times)`);
    kept.sort(byCount);
    if (maxSize !== undefined) kept.length = Math.min(kept.length, maxSize - specials.length);
    return new Vocabulary(specials, kept);
  }

  /**
   * Counts the tokens of a corpus (streamed: one document in memory at a time) and keeps the
   * words occurring at least `minCount` times (default 1), most frequent first, at most `maxSize`
   * ids in all (specials included), after the `specials` (none by default). `tokenizer` is
   * tokenize's options or a function (default: tokenize's defaults).
   *
   * @throws ArgumentError for an empty corpus (no tokens), when no word reaches minCount, bad options.
   *
   * @example
   * ```ts
   * const vocab = await Vocabulary.build(['a b b c c c', 'c d'], { minCount: 2, specials: ['<unk>'] });
   * vocab.words.join(' '); // '<unk> c b'
   * ```
   */
  static async build(corpus: Corpus, opts: Selection & { tokenizer?: Tokenizer } = {}): Promise<Vocabulary> {
    const op = 'Vocabulary.build';
    checkKeys(op, opts, ['minCount', 'maxSize', 'specials', 'tokenizer']);
    checkInt(op, 'minCount', opts.minCount, 1);
    checkSpecials(op, opts.specials);
    const tokenize = tokenizerOf(opts.tokenizer);
    const counts = new Map<string, number>();
    await forEachDocument(corpus, (doc) => {
      for (const t of tokenize(doc)) counts.set(t, (counts.get(t) ?? 0) + 1);
    });
    if (counts.size === 0) throw new ArgumentError(op, 'the corpus has no tokens (it is empty, or the tokenizer removed every token)');
    return Vocabulary.#select(op, [...counts], opts);
  }

  /**
   * A vocabulary from (word, count) pairs, e.g. counts made elsewhere; same selection and order
   * as {@link Vocabulary.build}.
   *
   * @example
   * ```ts
   * const vocab = Vocabulary.fromCounts([['b', 2], ['a', 2], ['c', 5]]);
   * vocab.words.join(' '); // 'c a b'
   * Vocabulary.fromCounts([['a', 1], ['a', 2]]); // ArgumentError: Vocabulary.fromCounts: word 'a' is given twice
   * ```
   */
  static fromCounts(counts: Iterable<[string, number]>, opts: Selection = {}): Vocabulary {
    const op = 'Vocabulary.fromCounts';
    checkKeys(op, opts, ['minCount', 'maxSize', 'specials']);
    if (counts === null || typeof counts !== 'object' || typeof (counts as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ArgumentError(op, `expected an iterable of [word, count] pairs (an array or a Map), got ${describe(counts)}`);
    }
    const entries: [string, number][] = [];
    const seen = new Set<string>();
    for (const e of counts as Iterable<unknown>) {
      const [w, c] = Array.isArray(e) ? e : [];
      if (!Array.isArray(e) || e.length !== 2 || typeof w !== 'string' || w.length === 0)
        throw new ArgumentError(op, `expected [word, count] pairs with a non-empty word, got ${JSON.stringify(e)}`);
      if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0)
        throw new ArgumentError(op, `the count of '${w}' must be a non-negative integer, got ${describe(c)}`);
      if (seen.has(w)) throw new ArgumentError(op, `word '${w}' is given twice`);
      seen.add(w);
      entries.push([w, c]);
    }
    return Vocabulary.#select(op, entries, opts);
  }

  /**
   * The corpus count of a word (0 for specials and absent words).
   * @example
   * ```ts
   * Vocabulary.fromCounts([['a', 3]]).count('a'); // 3
   * ```
   */
  count(word: string): number {
    const i = this.#ids.get(word);
    return i === undefined ? 0 : this.#counts[i];
  }

  /**
   * The id of a word, −1 when absent.
   * @example
   * ```ts
   * Vocabulary.fromCounts([['a', 3]], { specials: ['<pad>'] }).indexOf('a'); // 1
   * ```
   */
  indexOf(word: string): number {
    return this.#ids.get(word) ?? -1;
  }

  /**
   * Whether a word (or special) has an id.
   * @example
   * ```ts
   * Vocabulary.fromCounts([['a', 3]]).has('b'); // false
   * ```
   */
  has(word: string): boolean {
    return this.#ids.has(word);
  }

  /**
   * The ids of some tokens as an int32 tensor. Absent words become `'<unk>'` when it is a special
   * (else an ArgumentError names the word); `maxLength` truncates, and `padding: true` pads up to
   * `maxLength` with `'<pad>'` (which must be a special).
   *
   * @example
   * ```ts
   * const vocab = Vocabulary.fromCounts([['a', 2], ['b', 1]], { specials: ['<pad>', '<unk>'] });
   * vocab.encode(['a', 'x', 'b'], { maxLength: 2 }); // [2, 1]
   * vocab.encode(['b'], { maxLength: 3, padding: true }); // [3, 0, 0]
   * Vocabulary.fromCounts([['a', 1]]).encode(['x']); // ArgumentError: Vocabulary.encode: word 'x' is not in the vocabulary
   * ```
   */
  encode(tokens: readonly string[], opts: { maxLength?: number; padding?: boolean } = {}): Tensor {
    const op = 'Vocabulary.encode';
    checkKeys(op, opts, ['maxLength', 'padding']);
    const { maxLength, padding = false } = opts;
    checkInt(op, 'maxLength', maxLength, 1);
    checkBool(op, 'padding', padding);
    if (!Array.isArray(tokens)) throw new ArgumentError(op, `expected an array of tokens, got ${describe(tokens)}`);
    const unk = this.#ids.get('<unk>');
    const pad = this.#ids.get('<pad>');
    if (padding && maxLength === undefined) throw new ArgumentError(op, 'padding: true needs maxLength (the length to pad to)');
    if (padding && pad === undefined) throw new ArgumentError(op, "padding: true needs '<pad>' among the specials");
    const n = maxLength === undefined ? tokens.length : Math.min(tokens.length, maxLength);
    const ids = new Int32Array(padding ? (maxLength as number) : n);
    for (let i = 0; i < n; i++) {
      const t = tokens[i];
      if (typeof t !== 'string') throw new ArgumentError(op, `token ${i} is ${describe(t)}, expected a string`);
      const id = this.#ids.get(t) ?? unk;
      if (id === undefined) throw new ArgumentError(op, `word '${t}' is not in the vocabulary (add '<unk>' to the specials to map unknown words to it)`);
      ids[i] = id;
    }
    if (padding) ids.fill(pad as number, n);
    return tensor(ids);
  }

  /**
   * The words of some ids (a 1-D tensor on the CPU, or an array or typed array of integers).
   * @example
   * ```ts
   * Vocabulary.fromCounts([['a', 2], ['b', 1]]).decode(tensor([1, 0, 1], { dtype: 'int32' })).join(' '); // 'b a b'
   * ```
   */
  decode(ids: Tensor | ArrayLike<number>): string[] {
    const op = 'Vocabulary.decode';
    let values: ArrayLike<number>;
    if (ids instanceof Tensor) {
      if (ids.shape.length !== 1) throw new ShapeError(op, `expected a 1-D tensor of ids, got shape [${ids.shape.join(',')}]`);
      if (ids.dtype === 'bool') throw new ArgumentError(op, 'expected integer ids, got a bool tensor');
      values = ids.dataSync();
    } else if (Array.isArray(ids) || ArrayBuffer.isView(ids)) values = ids as ArrayLike<number>;
    else throw new ArgumentError(op, `expected a Tensor or an array of ids, got ${describe(ids)}`);
    const out = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) {
      const id = values[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.size) throw new ArgumentError(op, `id ${id} at position ${i} is not an integer in [0, ${this.size})`);
      out[i] = this.words[id];
    }
    return out;
  }

  /**
   * A JSON-ready object (`JSON.stringify(vocab)` uses it); {@link Vocabulary.fromJSON} reads it back.
   * @example
   * ```ts
   * const vocab = Vocabulary.fromCounts([['a', 2]], { specials: ['<unk>'] });
   * Vocabulary.fromJSON(JSON.stringify(vocab)).words.join(' '); // '<unk> a'
   * ```
   */
  toJSON(): { format: string; version: number; specials: string[]; words: string[]; counts: number[] } {
    const k = this.specials.length;
    return { format: 'aimodel-vocabulary', version: 1, specials: [...this.specials], words: this.words.slice(k), counts: this.#counts.slice(k) };
  }

  /**
   * A vocabulary from {@link Vocabulary.toJSON}'s object, or its JSON text; ids and order as saved.
   * @throws ArgumentError naming the first problem (nothing is half-loaded).
   * @example
   * ```ts
   * Vocabulary.fromJSON({ format: 'aimodel-vocabulary', version: 1, specials: [], words: ['a'], counts: [1] }).size; // 1
   * Vocabulary.fromJSON('{"words": 3}'); // ArgumentError: Vocabulary.fromJSON
   * ```
   */
  static fromJSON(json: unknown): Vocabulary {
    const op = 'Vocabulary.fromJSON';
    let obj = json;
    if (typeof json === 'string') {
      try {
        obj = JSON.parse(json);
      } catch (e) {
        throw new ArgumentError(op, `not valid JSON: ${(e as Error).message}`);
      }
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ArgumentError(op, `expected a vocabulary object, got ${describe(obj)}`);
    const { format, version, specials, words, counts } = obj as Record<string, unknown>;
    if (format !== 'aimodel-vocabulary' || version !== 1)
      throw new ArgumentError(op, `expected format 'aimodel-vocabulary' version 1, got format ${JSON.stringify(format)} version ${JSON.stringify(version)}`);
    if (!Array.isArray(words) || !Array.isArray(counts)) throw new ArgumentError(op, 'words and counts must be arrays');
    if (words.length !== counts.length) throw new ArgumentError(op, `words and counts differ in length (${words.length} and ${counts.length})`);
    const entries: [string, number][] = words.map((w, i) => {
      if (typeof w !== 'string' || w.length === 0) throw new ArgumentError(op, `words[${i}] must be a non-empty string, got ${describe(w)}`);
      const c = counts[i];
      if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0)
        throw new ArgumentError(op, `counts[${i}] (of '${w}') must be a non-negative integer, got ${describe(c)}`);
      return [w, c];
    });
    return Vocabulary.#exact(op, checkSpecials(op, specials ?? []), entries, (i) => `words[${i}]`);
  }

  /** A vocabulary with exactly these entries in this order (loading), duplicates rejected. */
  static #exact(op: string, specials: string[], entries: [string, number][], where: (i: number) => string): Vocabulary {
    const first = new Map<string, number>(specials.map((s) => [s, -1]));
    entries.forEach(([w], i) => {
      const j = first.get(w);
      if (j !== undefined) throw new ArgumentError(op, `${where(i)}: word '${w}' is already ${j < 0 ? 'a special token' : `at ${where(j)}`}`);
      first.set(w, i);
    });
    if (entries.length === 0) throw new ArgumentError(op, 'the vocabulary has no words');
    return new Vocabulary(specials, entries);
  }

  /**
   * The words (specials excluded) in the GloVe reference's vocabulary format: one `word count`
   * line each, in id order. Words containing whitespace cannot be written.
   * @example
   * ```ts
   * Vocabulary.fromCounts([['b', 1], ['a', 2]]).toCountsText(); // 'a 2\nb 1\n'
   * ```
   */
  toCountsText(): string {
    const k = this.specials.length;
    let out = '';
    for (let i = k; i < this.size; i++) {
      const w = this.words[i];
      if (/\s/u.test(w))
        throw new ArgumentError(
          'Vocabulary.toCountsText',
          `word ${JSON.stringify(w)} contains whitespace, which the 'word count' format cannot hold (use toJSON)`,
        );
      out += `${w} ${this.#counts[i]}\n`;
    }
    return out;
  }

  /**
   * Reads the reference `word count` format (as written by GloVe's vocab_count or
   * {@link Vocabulary.toCountsText}); ids follow the line order, after `specials` if given.
   * @throws ArgumentError naming the line of a missing field, a count that is not a non-negative
   * integer, or a duplicate word (nothing is half-loaded).
   * @example
   * ```ts
   * const vocab = Vocabulary.fromCountsText('the 10\ncat 3\n', { specials: ['<unk>'] });
   * vocab.indexOf('cat'); // 2
   * Vocabulary.fromCountsText('the 10\ncat x\n'); // ArgumentError: Vocabulary.fromCountsText: line 2
   * ```
   */
  static fromCountsText(text: string, opts: { specials?: string[] } = {}): Vocabulary {
    const op = 'Vocabulary.fromCountsText';
    checkKeys(op, opts, ['specials']);
    const specials = checkSpecials(op, opts.specials);
    if (typeof text !== 'string') throw new ArgumentError(op, `expected the text of a 'word count' file, got ${describe(text)}`);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const entries = lines.map((raw, i): [string, number] => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const fields = line.split(/[ \t]+/);
      if (fields.length !== 2 || fields[0] === '') throw new ArgumentError(op, `line ${i + 1}: expected 'word count', got ${JSON.stringify(line)}`);
      if (!/^\d+$/.test(fields[1]) || !Number.isSafeInteger(Number(fields[1])))
        throw new ArgumentError(op, `line ${i + 1}: the count of '${fields[0]}' must be a non-negative integer, got '${fields[1]}'`);
      return [fields[0], Number(fields[1])];
    });
    return Vocabulary.#exact(op, specials, entries, (i) => `line ${i + 1}`);
  }
}
