import { ArgumentError, ShapeError } from '@aimodel/tensor';
import type { ReadVectorsOptions, VectorsData } from './vectors-text';
import { checkWritableWords } from './vectors-text';

const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * Read the word2vec binary format (the C tool's `-binary 1` and gensim's `binary=True`): an ASCII
 * header line `count dim\n`, then per word its UTF-8 bytes, one space, and dim little-endian
 * float32 values. Newlines before a word are skipped (the C tool writes one after each vector,
 * gensim none); trailing newlines are ignored. Errors name the byte offset; nothing is half-loaded.
 */
export function parseWord2VecBinary(op: string, bytes: Uint8Array, opts: ReadVectorsOptions = {}): VectorsData {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(op, `expected the file's bytes as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const duplicates = opts.duplicates ?? 'error';
  if (duplicates !== 'error' && duplicates !== 'keepFirst')
    throw new ArgumentError(op, `duplicates must be 'error' or 'keepFirst', got '${String(duplicates)}'`);
  if (bytes.length === 0) throw new ArgumentError(op, 'empty file: expected a header line `count dim`');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const headerEnd = bytes.indexOf(NEWLINE);
  if (headerEnd < 0 || headerEnd > 64) throw new ArgumentError(op, 'byte 0: expected a header line `count dim` ending in a newline');
  const header = new TextDecoder('latin1').decode(bytes.subarray(0, headerEnd)).trim();
  const m = /^(\d+)[ \t]+(\d+)$/.exec(header);
  if (!m) throw new ArgumentError(op, `byte 0: expected a header 'count dim' (two non-negative integers), got '${header}'`);
  const count = Number(m[1]);
  const dim = Number(m[2]);
  if (count < 1 || dim < 1) throw new ArgumentError(op, `byte 0: header declares ${count} vectors of dimension ${dim} (expected both ≥ 1)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vectors = new Float32Array(count * dim);
  const words: string[] = [];
  const seen = new Map<string, number>();
  let pos = headerEnd + 1;
  for (let i = 0; i < count; i++) {
    while (pos < bytes.length && bytes[pos] === NEWLINE) pos++;
    const start = pos;
    const space = bytes.indexOf(SPACE, start);
    if (space < 0) throw new ShapeError(op, `byte ${start}: file ends inside word ${i + 1} of ${count} (truncated)`);
    if (space === start) throw new ArgumentError(op, `byte ${start}: empty word (word ${i + 1} of ${count})`);
    let word: string;
    try {
      word = decoder.decode(bytes.subarray(start, space));
    } catch {
      throw new ArgumentError(op, `byte ${start}: word ${i + 1} of ${count} is not valid UTF-8`);
    }
    pos = space + 1;
    if (pos + dim * 4 > bytes.length) {
      throw new ShapeError(
        op,
        `byte ${pos}: file ends inside the vector of '${word}' (word ${i + 1} of ${count}): ${bytes.length - pos} bytes left, ${dim * 4} needed (truncated)`,
      );
    }
    const prev = seen.get(word);
    if (prev !== undefined && duplicates === 'error') {
      throw new ArgumentError(op, `byte ${start}: duplicate word '${word}' (first at byte ${prev}); pass { duplicates: 'keepFirst' } to keep the first`);
    }
    if (prev === undefined) {
      seen.set(word, start);
      const base = words.length * dim;
      for (let k = 0; k < dim; k++) {
        const v = view.getFloat32(pos + 4 * k, true);
        if (!Number.isFinite(v)) throw new ArgumentError(op, `byte ${pos + 4 * k}: value ${k + 1} of '${word}' is ${v} (expected a finite number)`);
        vectors[base + k] = v;
      }
      words.push(word);
    }
    pos += dim * 4;
  }
  while (pos < bytes.length && (bytes[pos] === NEWLINE || bytes[pos] === 0x0d)) pos++;
  if (pos < bytes.length) throw new ShapeError(op, `byte ${pos}: ${bytes.length - pos} bytes after the ${count} vectors the header declares`);
  return { words, vectors: words.length === count ? vectors : vectors.slice(0, words.length * dim), dim };
}

/** Write the word2vec binary format as the C tool does: header `count dim\n`, then `word ` + dim float32 LE + `\n` per word. */
export function formatWord2VecBinary(op: string, data: VectorsData): Uint8Array {
  const { words, vectors, dim } = data;
  checkWritableWords(op, words);
  const encoder = new TextEncoder();
  const header = encoder.encode(`${words.length} ${dim}\n`);
  const encoded = words.map((w) => encoder.encode(w));
  let total = header.length;
  for (const e of encoded) total += e.length + 1 + dim * 4 + 1;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(header, 0);
  let pos = header.length;
  for (let i = 0; i < words.length; i++) {
    out.set(encoded[i], pos);
    pos += encoded[i].length;
    out[pos++] = SPACE;
    for (let k = 0; k < dim; k++, pos += 4) view.setFloat32(pos, vectors[i * dim + k], true);
    out[pos++] = NEWLINE;
  }
  return out;
}
