import { ArgumentError } from '@aimodel/tensor';
import { describe } from './checks';

/**
 * A corpus: a string (split into lines), an array of documents, or a (sync or async) iterable of
 * lines, such as `readline` over a file stream, so corpora larger than memory work. One line (one
 * array element, one item of the iterable) is one document: co-occurrence windows never cross it.
 *
 * @example
 * ```ts
 * const a: Corpus = 'the cat sat\nthe dog ran\n';
 * const b: Corpus = ['the cat sat', 'the dog ran'];
 * const va = await Vocabulary.build(a);
 * va.size; // 5
 * const vb = await Vocabulary.build(b);
 * vb.words[0]; // 'the'
 * ```
 */
export type Corpus = string | readonly string[] | Iterable<string> | AsyncIterable<string>;

/** The lines of a string, split on \n and \r\n, without building an array of them. */
function* lines(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    yield text.slice(start, stop);
    start = end + 1;
  }
}

function notAString(what: string, v: unknown): ArgumentError {
  return new ArgumentError('documents', `${what} is ${describe(v)}, expected a string (one document per line)`);
}

/**
 * The documents of a corpus, in order, one at a time. A string is split on `\n` and `\r\n` (a
 * trailing newline gives no empty extra document; empty lines in between are empty documents);
 * each element of an array and each item of an iterable is one document. Iterables are consumed
 * lazily, so a file read line by line is never held in memory as a whole.
 *
 * @throws ArgumentError when the corpus is not one of these, or an element or line is not a string.
 *
 * @example
 * ```ts
 * const docs: string[] = [];
 * for await (const d of documents('first line\r\nsecond line\n')) docs.push(d);
 * docs.length; // 2
 * docs[1]; // 'second line'
 * ```
 * Reading a large file line by line:
 * ```ts no-run: needs a text file on disk
 * import { createReadStream } from 'node:fs';
 * import { createInterface } from 'node:readline';
 * const lines = createInterface({ input: createReadStream('corpus.txt'), crlfDelay: Infinity });
 * const vocab = await Vocabulary.build(lines, { minCount: 5 });
 * ```
 */
export function documents(corpus: Corpus): AsyncIterable<string> {
  if (typeof corpus === 'string') return fromSync(lines(corpus), 'line');
  if (Array.isArray(corpus)) return fromSync(corpus, 'document');
  if (corpus !== null && typeof corpus === 'object') {
    if (typeof (corpus as AsyncIterable<string>)[Symbol.asyncIterator] === 'function') return fromAsync(corpus as AsyncIterable<string>);
    if (typeof (corpus as Iterable<string>)[Symbol.iterator] === 'function') return fromSync(corpus as Iterable<string>, 'line');
  }
  throw new ArgumentError('documents', `expected a string, an array of strings or a (sync or async) iterable of lines, got ${describe(corpus)}`);
}

async function* fromSync(items: Iterable<unknown>, what: string): AsyncGenerator<string> {
  let i = 0;
  for (const item of items) {
    i++;
    if (typeof item !== 'string') throw notAString(`${what} ${i}`, item);
    yield item;
  }
}

async function* fromAsync(items: AsyncIterable<unknown>): AsyncGenerator<string> {
  let i = 0;
  for await (const item of items) {
    i++;
    if (typeof item !== 'string') throw notAString(`line ${i}`, item);
    yield item;
  }
}

/**
 * Calls `fn` for every document of a corpus, synchronously for strings, arrays and sync
 * iterables (no promise per line), awaiting only async iterables. Internal: the fast path behind
 * `Vocabulary.build` and co-occurrence counting; `documents` is the public form.
 */
export async function forEachDocument(corpus: Corpus, fn: (doc: string) => void): Promise<void> {
  let items: Iterable<unknown> | undefined;
  let what = 'line';
  if (typeof corpus === 'string') items = lines(corpus);
  else if (Array.isArray(corpus)) [items, what] = [corpus, 'document'];
  else if (
    corpus !== null &&
    typeof corpus === 'object' &&
    typeof (corpus as AsyncIterable<string>)[Symbol.asyncIterator] !== 'function' &&
    typeof (corpus as Iterable<string>)[Symbol.iterator] === 'function'
  )
    items = corpus as Iterable<string>;
  if (items === undefined) {
    for await (const doc of documents(corpus)) fn(doc);
    return;
  }
  let i = 0;
  for (const item of items) {
    i++;
    if (typeof item !== 'string') throw notAString(`${what} ${i}`, item);
    fn(item);
  }
}
