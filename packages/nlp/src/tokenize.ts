import { ArgumentError } from '@aimodel/tensor';
import { checkBool, checkInt, checkKeys, describe } from './checks';

/**
 * Options of {@link tokenize}.
 *
 * - `lowercase` (default true): lowercase every token (with `toLocaleLowerCase(locale)` when a
 *   locale is given, else `toLowerCase()`).
 * - `pattern`: a RegExp whose matches are the tokens (default: runs of Unicode letters, digits and
 *   marks, `[\p{L}\p{N}][\p{L}\p{M}\p{N}]*`, joined by an apostrophe `'` or `’` inside a word, as in
 *   `don't` or `l'homme`). It is used with the `g` flag added (your RegExp is not modified).
 * - `mode` (default 'words'): 'characters' gives grapheme clusters (emoji and combining marks stay
 *   whole), whitespace dropped, punctuation kept: the units of character-level models.
 * - `locale`: the locale of `Intl.Segmenter` for scripts written without spaces (see {@link tokenize}).
 * - `stopWords`: tokens to drop (compared after lowercasing, which applies to the stop words too).
 * - `minLength` / `maxLength`: drop tokens shorter / longer than this many code points (words mode).
 *
 * @example
 * ```ts
 * const opts: TokenizeOptions = { lowercase: false, stopWords: ['a'], minLength: 2 };
 * tokenize('A Cat and a Dog', opts).join(' '); // 'Cat and Dog'
 * ```
 */
export interface TokenizeOptions {
  lowercase?: boolean;
  pattern?: RegExp;
  mode?: 'words' | 'characters';
  locale?: string;
  stopWords?: Iterable<string>;
  minLength?: number;
  maxLength?: number;
}

/**
 * How text becomes tokens: tokenize's options, or a function of your own (one document in, its
 * tokens out). `Vocabulary.build` and co-occurrence counting take one.
 *
 * @example
 * ```ts
 * const byWhitespace: Tokenizer = (text) => text.split(/\s+/).filter(Boolean);
 * const vocab = await Vocabulary.build('New York is big', { tokenizer: byWhitespace });
 * vocab.has('New'); // true
 * ```
 */
export type Tokenizer = TokenizeOptions | ((text: string) => string[]);

const KEYS = ['lowercase', 'pattern', 'mode', 'locale', 'stopWords', 'minLength', 'maxLength'] as const;
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:['’][\p{L}\p{N}][\p{L}\p{M}\p{N}]*)*/gu;
/** Scripts written without spaces between words, and the locale their segmentation defaults to. */
const WHITE_RUNS = /\s+/u;
const NO_SPACES = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const SCRIPT_LOCALES: [RegExp, string][] = [
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/u, 'ja'],
  [/\p{Script=Han}/u, 'zh'],
  [/\p{Script=Thai}/u, 'th'],
  [/\p{Script=Lao}/u, 'lo'],
  [/\p{Script=Khmer}/u, 'km'],
  [/\p{Script=Myanmar}/u, 'my'],
];
const WHITESPACE = /^\s+$/u;

const segmenters = new Map<string, Intl.Segmenter>();
function segmenter(locale: string | undefined, granularity: 'word' | 'grapheme'): Intl.Segmenter {
  const key = `${granularity} ${locale ?? ''}`;
  let s = segmenters.get(key);
  if (!s) {
    s = new Intl.Segmenter(locale, { granularity });
    segmenters.set(key, s);
  }
  return s;
}

/** Number of code points of a string (a surrogate pair counts once). */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff) n--;
  }
  return n;
}

/** The tokenizer that `opts` describe, checked once (the fast form for many documents). */
function compile(op: string, opts: TokenizeOptions = {}): (text: string) => string[] {
  checkKeys(op, opts, KEYS);
  const { lowercase = true, pattern, mode = 'words', locale, stopWords, minLength, maxLength } = opts;
  checkBool(op, 'lowercase', lowercase);
  if (mode !== 'words' && mode !== 'characters') throw new ArgumentError(op, `mode must be 'words' or 'characters', got ${describe(mode)}`);
  if (pattern !== undefined && !(pattern instanceof RegExp)) throw new ArgumentError(op, `pattern must be a RegExp, got ${describe(pattern)}`);
  if (locale !== undefined) {
    if (typeof locale !== 'string') throw new ArgumentError(op, `locale must be a string (a BCP 47 tag such as 'zh' or 'ja'), got ${describe(locale)}`);
    try {
      segmenter(locale, 'word');
    } catch {
      throw new ArgumentError(op, `locale '${locale}' is not a valid BCP 47 language tag`);
    }
  }
  checkInt(op, 'minLength', minLength, 0);
  checkInt(op, 'maxLength', maxLength, 1);
  if (minLength !== undefined && maxLength !== undefined && minLength > maxLength)
    throw new ArgumentError(op, `minLength (${minLength}) is greater than maxLength (${maxLength})`);
  if (mode === 'characters') {
    for (const [name, v] of [
      ['pattern', pattern],
      ['minLength', minLength],
      ['maxLength', maxLength],
    ] as const) {
      if (v !== undefined) throw new ArgumentError(op, `${name} applies to mode 'words' only (mode 'characters' gives single grapheme clusters)`);
    }
  }
  const lower = !lowercase ? (s: string) => s : locale !== undefined ? (s: string) => s.toLocaleLowerCase(locale) : (s: string) => s.toLowerCase();
  let stop: Set<string> | undefined;
  if (stopWords !== undefined) {
    if (typeof stopWords === 'string' || stopWords === null || typeof (stopWords as Iterable<string>)[Symbol.iterator] !== 'function') {
      throw new ArgumentError(op, `stopWords must be an iterable of strings (an array or a Set), got ${describe(stopWords)}`);
    }
    stop = new Set();
    for (const w of stopWords) {
      if (typeof w !== 'string') throw new ArgumentError(op, `stopWords must contain strings only, got ${describe(w)}`);
      stop.add(lower(w));
    }
  }
  const keep = (t: string): boolean => {
    if (stop?.has(t)) return false;
    if (minLength === undefined && maxLength === undefined) return true;
    const n = codePoints(t);
    return n >= (minLength ?? 0) && n <= (maxLength ?? Number.POSITIVE_INFINITY);
  };

  if (mode === 'characters') {
    const graphemes = segmenter(locale, 'grapheme');
    return (text) => {
      const out: string[] = [];
      for (const { segment } of graphemes.segment(text)) {
        if (WHITESPACE.test(segment)) continue;
        const t = lower(segment);
        if (keep(t)) out.push(t);
      }
      return out;
    };
  }

  const re = pattern === undefined ? new RegExp(WORD.source, WORD.flags) : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '') + 'g');
  const matchInto = (s: string, out: string[]): void => {
    re.lastIndex = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      const t = m[0];
      if (t.length === 0) {
        re.lastIndex++;
        continue;
      }
      const low = lower(t);
      if (keep(low)) out.push(low);
    }
  };
  return (text) => {
    const out: string[] = [];
    if (!NO_SPACES.test(text)) {
      matchInto(text, out);
      return out;
    }
    const words = segmenter(locale ?? SCRIPT_LOCALES.find(([r]) => r.test(text))?.[1], 'word');
    // A word boundary always falls at white space, so the segmenter sees only the runs between
    // white space that hold one of those scripts; the pattern reads the others directly, as it reads
    // text without them. (ICU segmenting a whole long text can take seconds: 1.8 s for one
    // 126,000-character SpamAssassin mail with 30 Han characters.)
    for (const run of text.split(WHITE_RUNS)) {
      if (!NO_SPACES.test(run)) matchInto(run, out);
      else for (const s of words.segment(run)) if (s.isWordLike) matchInto(s.segment, out);
    }
    return out;
  };
}

const defaultTokenizer = compile('tokenize');

/**
 * Splits text into tokens. By default: words made of Unicode letters, digits and combining marks
 * (`\p{L}\p{N}\p{M}`), apostrophes inside words kept (`don't`, `l'homme`), everything else a
 * separator, lowercased.
 *
 * Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) go through
 * `Intl.Segmenter` (word granularity, word-like segments only): each run of text between white
 * space that contains one of their characters is segmented into words first and the pattern then
 * applies inside each word-like segment (so mixed text such as '机器学习 model' and '学习model'
 * works); the other runs are read by the pattern directly. The segmenter's locale is `locale` when
 * given, else guessed from the whole text's scripts: 'ja' when there is kana, else 'zh' for Han,
 * 'th', 'lo', 'km' or 'my'. Segmentation is ICU's dictionary-based one (Node ≥ 20 with full ICU,
 * and browsers).
 *
 * `mode: 'characters'` gives grapheme clusters instead (whitespace dropped, punctuation kept).
 *
 * @throws ArgumentError for a text that is not a string, an unknown option or a bad option value.
 *
 * @example
 * ```ts
 * tokenize('Hello, World! 42 times').join(' '); // 'hello world 42 times'
 * tokenize("Don't panic: it's l'heure!").length; // 4
 * tokenize('机器学习模型').join(' / '); // '机器 / 学习 / 模型'
 * tokenize('Hi 👋🏽!', { mode: 'characters' }).length; // 4
 * const fromConfig = JSON.parse('{ "keepCase": true }'); // options read at run time are checked too
 * tokenize('The cat', fromConfig); // ArgumentError: tokenize: unknown option 'keepCase'
 * ```
 */
export function tokenize(text: string, opts?: TokenizeOptions): string[] {
  if (typeof text !== 'string') throw new ArgumentError('tokenize', `expected a string, got ${describe(text)}`);
  return (opts === undefined ? defaultTokenizer : compile('tokenize', opts))(text);
}

/**
 * The tokenizer function that `t` describes: tokenize's default for undefined, tokenize with
 * those options (checked once, here) for an options object, or your own function (whose results
 * are checked to be arrays of strings).
 *
 * @example
 * ```ts
 * const tok = tokenizerOf({ stopWords: ['the'] });
 * tok('The cat and the hat').join(' '); // 'cat and hat'
 * tokenizerOf((s) => s.split(' '))('a b').length; // 2
 * ```
 */
export function tokenizerOf(t: Tokenizer | undefined): (text: string) => string[] {
  if (t === undefined) return defaultTokenizer;
  if (typeof t === 'function') {
    return (text) => {
      const out = t(text);
      if (!Array.isArray(out)) throw new ArgumentError('tokenizer', `a tokenizer function must return an array of strings, got ${describe(out)}`);
      for (const x of out) if (typeof x !== 'string') throw new ArgumentError('tokenizer', `a tokenizer function must return strings only, got ${describe(x)}`);
      return out;
    };
  }
  if (t === null || typeof t !== 'object' || Array.isArray(t))
    throw new ArgumentError('tokenizer', `expected tokenize options or a function, got ${describe(t)}`);
  return compile('tokenizer', t);
}
