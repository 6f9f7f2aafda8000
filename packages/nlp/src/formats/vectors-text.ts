import { ArgumentError, ShapeError } from '@aimodel/tensor';

/** Words and row-major float32 rows, as read from a file (the fields of a WordVectors). */
export interface VectorsData {
  words: string[];
  vectors: Float32Array;
  dim: number;
}

/**
 * What to do with a word that appears twice in a vectors file: `'error'` (default) throws naming
 * both lines; `'keepFirst'` keeps the first row and drops later ones, as gensim does (it logs a
 * warning).
 * @example
 * ```ts
 * WordVectors.fromGloVeText('a 1\nb 2\na 3\n', { duplicates: 'keepFirst' }).get('a'); // Float32Array [1]
 * ```
 */
export type DuplicatePolicy = 'error' | 'keepFirst';

/**
 * Options of the vectors readers ({@link WordVectors.fromGloVeText} and the word2vec ones).
 * @example
 * ```ts
 * const opts: ReadVectorsOptions = { duplicates: 'error' };
 * WordVectors.fromWord2VecText('1 2\nthe 0.5 0.25\n', opts).size; // 1
 * ```
 */
export interface ReadVectorsOptions {
  /** Duplicate words: `'error'` (default) or `'keepFirst'`. */
  duplicates?: DuplicatePolicy;
}

const INT = /^\d+$/;
const FIELD_SEP = /[ \t]+/;

/** Lines of `text` with their 1-based numbers; `\r\n` and `\n` both end a line, spaces/tabs at the ends are dropped. */
function* lines(text: string): Generator<[string, number]> {
  let start = 0;
  let no = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).replace(/^[ \t\r]+|[ \t\r]+$/g, '');
    yield [line, no];
    start = end + 1;
    no++;
  }
}

/** A decimal number of the file (ints, decimals, exponents, as C's `%lf` and Python's repr write them) that must be finite. */
export function parseValue(op: string, token: string, where: string): number {
  const v = Number(token);
  if (!Number.isFinite(v) || token.startsWith('0x') || token.startsWith('0b') || token.startsWith('0o')) {
    throw new ArgumentError(op, `${where}: expected a finite number, got '${token.length > 40 ? `${token.slice(0, 40)}…` : token}'`);
  }
  return v;
}

/**
 * Parse the text vectors formats: one `word v1 … vd` row per line (fields separated by spaces or
 * tabs; blank lines ignored), optionally after a `count dim` header line.
 * `header`: `'required'` (word2vec text), `'detect'` (GloVe text: a first line of two integers
 * `count dim` whose count matches the rows that follow, each of dim + 1 fields, is a header).
 * Every row must have the same number of values (the header's dim, else the first row's).
 * Errors name the line; nothing is returned half-loaded.
 */
export function parseVectorsText(op: string, text: string, header: 'required' | 'detect', opts: ReadVectorsOptions = {}): VectorsData {
  if (typeof text !== 'string') throw new ArgumentError(op, `expected the file's text as a string, got ${text === null ? 'null' : typeof text}`);
  const duplicates = opts.duplicates ?? 'error';
  if (duplicates !== 'error' && duplicates !== 'keepFirst')
    throw new ArgumentError(op, `duplicates must be 'error' or 'keepFirst', got '${String(duplicates)}'`);
  // lines are kept whole and split one at a time: a large file never holds all its fields at once
  const rows: [string, number][] = [];
  for (const [line, no] of lines(text)) if (line !== '') rows.push([line, no]);
  if (rows.length === 0) throw new ArgumentError(op, 'empty file: no vectors (expected lines of `word v1 … vd`)');
  let declared: { count: number; dim: number } | null = null;
  const first = rows[0][0].split(FIELD_SEP);
  const firstNo = rows[0][1];
  const looksLikeHeader = first.length === 2 && INT.test(first[0]) && INT.test(first[1]);
  if (header === 'required') {
    if (!looksLikeHeader)
      throw new ArgumentError(op, `line ${firstNo}: expected a header 'count dim' (two non-negative integers), got '${first.join(' ').slice(0, 60)}'`);
    declared = { count: Number(first[0]), dim: Number(first[1]) };
  } else if (looksLikeHeader) {
    const count = Number(first[0]);
    const dim = Number(first[1]);
    // a one-dimensional vector of a numeric word looks the same: only a consistent header counts as one
    if (count === rows.length - 1 && (rows.length === 1 || rows[1][0].split(FIELD_SEP).length === dim + 1)) declared = { count, dim };
  }
  const body = declared ? rows.slice(1) : rows;
  if (declared) {
    if (declared.dim < 1) throw new ArgumentError(op, `line ${firstNo}: header declares dimension ${declared.dim} (expected ≥ 1)`);
    if (declared.count === 0) throw new ArgumentError(op, `line ${firstNo}: the header declares 0 vectors (an empty vectors file)`);
  }
  const dim = declared ? declared.dim : first.length - 1;
  if (dim < 1) throw new ShapeError(op, `line ${firstNo}: a word with no values ('${first[0]}'); expected 'word v1 … vd'`);
  const vectors = new Float32Array(body.length * dim);
  const words: string[] = [];
  const seen = new Map<string, number>();
  for (let r = 0; r < body.length; r++) {
    const no = body[r][1];
    const fields = body[r][0].split(FIELD_SEP);
    if (declared && r === declared.count) throw new ShapeError(op, `line ${no}: more rows than the ${declared.count} the header (line ${firstNo}) declares`);
    if (fields.length !== dim + 1) {
      const source = declared ? `the header (line ${firstNo})` : `the first row (line ${body[0][1]})`;
      const hint =
        !declared && looksLikeHeader
          ? ` (line ${firstNo} looks like a 'count dim' header, but its count ${first[0]} or dim ${first[1]} does not match the rows that follow)`
          : '';
      throw new ShapeError(op, `line ${no}: '${fields[0]}' has ${fields.length - 1} values, but ${source} gives dimension ${dim}${hint}`);
    }
    const word = fields[0];
    const prev = seen.get(word);
    if (prev !== undefined) {
      if (duplicates === 'error')
        throw new ArgumentError(op, `line ${no}: duplicate word '${word}' (first on line ${prev}); pass { duplicates: 'keepFirst' } to keep the first`);
      continue;
    }
    seen.set(word, no);
    const base = words.length * dim;
    for (let k = 0; k < dim; k++) vectors[base + k] = parseValue(op, fields[k + 1], `line ${no}, value ${k + 1} of '${word}'`);
    words.push(word);
  }
  if (declared && body.length < declared.count) {
    throw new ShapeError(
      op,
      `line ${rows[rows.length - 1][1] + 1}: end of file after ${body.length} rows, fewer than the ${declared.count} the header (line ${firstNo}) declares`,
    );
  }
  return { words, vectors: words.length * dim === vectors.length ? vectors : vectors.slice(0, words.length * dim), dim };
}

/**
 * The shortest decimal that reads back as the same float32 (what Python's `repr` of a numpy
 * float32 prints, which gensim writes), e.g. 0.1 for Math.fround(0.1).
 */
export function shortestFloat32(v: number): string {
  if (v === 0) return '0';
  // 9 significant digits always read back; more digits never read back worse, so bisect 1…9
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(v.toPrecision(mid))) === v) hi = mid;
    else lo = mid + 1;
  }
  return String(Number(v.toPrecision(hi)));
}

/** Check that every word can be written in a whitespace-separated format. */
export function checkWritableWords(op: string, words: readonly string[]): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '' || /[ \t\n\r]/.test(w)) {
      throw new ArgumentError(op, `word ${i} (${JSON.stringify(w)}) is empty or contains whitespace, which the format cannot represent`);
    }
  }
}

/** Rows `word v1 … vd\n`, each value formatted by `format`, after an optional `count dim` header. */
export function formatVectorsText(data: VectorsData, header: boolean, format: (v: number) => string): string {
  const { words, vectors, dim } = data;
  const out: string[] = [];
  if (header) out.push(`${words.length} ${dim}\n`);
  const parts = new Array<string>(dim + 1);
  for (let i = 0; i < words.length; i++) {
    parts[0] = words[i];
    for (let k = 0; k < dim; k++) parts[k + 1] = format(vectors[i * dim + k]);
    out.push(`${parts.join(' ')}\n`);
  }
  return out.join('');
}
