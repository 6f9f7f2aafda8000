import { ArgumentError } from '@aimodel/tensor';
import { type Corpus, forEachDocument } from './corpus';
import { type Tokenizer, tokenizerOf } from './tokenize';
import { Vocabulary } from './vocabulary';

/**
 * A corpus as word ids, read once and kept for every epoch (4 bytes per in-vocabulary token):
 * out-of-vocabulary tokens are dropped before windowing (they take no window slot, as in gensim
 * and word2vec.c); document d's ids are tokens[docStarts[d] … docStarts[d+1]).
 */
export interface EncodedCorpus {
  vocab: Vocabulary;
  tokens: Int32Array;
  docStarts: Int32Array;
  /** Raw tokens of each document, out-of-vocabulary ones included (gensim's job sizes). */
  rawLengths: Int32Array;
  /** Raw tokens of the whole corpus. */
  rawTotal: number;
}

/** A growable Int32Array. */
class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  array(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Reads the corpus once: tokenizes every document, counts the words and keeps the ids. Without a
 * `vocab`, the vocabulary is built from these counts (words with count ≥ minCount, count
 * descending, ties in byte order, as `Vocabulary.build`), so a one-shot iterable works.
 */
export async function encodeCorpus(op: string, corpus: Corpus, opts: { vocab?: Vocabulary; minCount: number; tokenizer?: Tokenizer }): Promise<EncodedCorpus> {
  const tokenize = tokenizerOf(opts.tokenizer);
  const given = opts.vocab;
  const ids = new IntList();
  const starts = new IntList();
  const raw = new IntList();
  const seen = new Map<string, number>();
  const counts: number[] = [];
  let rawTotal = 0;
  await forEachDocument(corpus, (doc) => {
    starts.push(ids.length);
    const tokens = tokenize(doc);
    raw.push(tokens.length);
    rawTotal += tokens.length;
    for (const t of tokens) {
      if (given) {
        const id = given.indexOf(t);
        if (id >= 0) ids.push(id);
        continue;
      }
      let id = seen.get(t);
      if (id === undefined) {
        id = counts.length;
        seen.set(t, id);
        counts.push(0);
      }
      counts[id]++;
      ids.push(id);
    }
  });
  starts.push(ids.length);
  if (rawTotal === 0) throw new ArgumentError(op, 'the corpus has no tokens (it is empty, or the tokenizer removed every token)');
  if (given) {
    if (ids.length === 0) throw new ArgumentError(op, `no token of the corpus is in the vocabulary (${given.size} words, ${rawTotal} tokens)`);
    return { vocab: given, tokens: ids.array(), docStarts: starts.array(), rawLengths: raw.array(), rawTotal };
  }
  const top = counts.reduce((m, c) => Math.max(m, c), 0);
  if (top < opts.minCount) throw new ArgumentError(op, `no word occurs at least minCount = ${opts.minCount} times (the most frequent occurs ${top} times)`);
  const words = [...seen.keys()];
  const vocab = Vocabulary.fromCounts(
    words.map((w, i): [string, number] => [w, counts[i]]),
    { minCount: opts.minCount },
  );
  // Temporary ids → vocabulary ids (−1: dropped), then the kept tokens, documents re-delimited.
  const remap = Int32Array.from(words, (w) => vocab.indexOf(w));
  const tmp = ids.data;
  const tokens = new Int32Array(ids.length);
  const docStarts = new Int32Array(starts.length);
  let n = 0;
  for (let d = 0; d + 1 < starts.length; d++) {
    docStarts[d] = n;
    for (let p = starts.data[d]; p < starts.data[d + 1]; p++) {
      const id = remap[tmp[p]];
      if (id >= 0) tokens[n++] = id;
    }
  }
  docStarts[starts.length - 1] = n;
  return { vocab, tokens: tokens.slice(0, n), docStarts, rawLengths: raw.array(), rawTotal };
}

/** Maximum raw words of a job (gensim's MAX_WORDS_IN_BATCH). */
export const BATCH_WORDS = 10_000;

/**
 * gensim's jobs: consecutive documents grouped while their raw words fit in `batchWords` (a longer
 * document is a job alone). Returns the first document of each job, and the document count last.
 */
export function jobStarts(rawLengths: Int32Array, batchWords = BATCH_WORDS): Int32Array {
  const starts = new IntList();
  let size = 0;
  for (let d = 0; d < rawLengths.length; d++) {
    const n = rawLengths[d];
    if (d === 0 || size + n > batchWords) {
      starts.push(d);
      size = n;
    } else size += n;
  }
  starts.push(rawLengths.length);
  return starts.array();
}
