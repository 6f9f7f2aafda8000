import { ArgumentError } from '@aimodel/tensor';

// The GloVe reference's co-occurrence record format: a sequence of 16-byte records
// { int32 word1, int32 word2, float64 X }, little-endian, 1-based word ids. `cooccur` writes them
// sorted by (word1, word2); `shuffle` writes the same records in random order.

/** Bytes per record. */
export const RECORD_BYTES = 16;

/**
 * Sparse entries, 0-based, sorted by (row, col): what {@link Cooccurrence.toArrays} returns and
 * {@link Cooccurrence.fromArrays} takes.
 * @example
 * ```ts
 * const a: CooccurrenceArrays = { rows: Int32Array.of(0, 1), cols: Int32Array.of(1, 0), values: Float64Array.of(2, 2) };
 * Cooccurrence.fromArrays(2, a).get(1, 0); // 2
 * ```
 */
export interface CooccurrenceArrays {
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
}

/** Writes entries (0-based, sorted) as reference records (1-based). */
export function encodeRecords(a: CooccurrenceArrays): Uint8Array {
  const n = a.values.length;
  const bytes = new Uint8Array(n * RECORD_BYTES);
  const view = new DataView(bytes.buffer);
  for (let r = 0, o = 0; r < n; r++, o += RECORD_BYTES) {
    view.setInt32(o, a.rows[r] + 1, true);
    view.setInt32(o + 4, a.cols[r] + 1, true);
    view.setFloat64(o + 8, a.values[r], true);
  }
  return bytes;
}

/**
 * Reads reference records into 0-based entries sorted by (row, col), validating everything first:
 * a length that is not a whole number of records, ids outside 1 … `vocabSize` (when given),
 * values that are not finite and positive, or a pair that occurs twice throws an `ArgumentError`
 * naming the record. Records in any order are accepted (the reference `shuffle` output).
 * Without `vocabSize`, the vocabulary size is the largest id.
 */
export function decodeRecords(op: string, bytes: Uint8Array, vocabSize?: number): { vocabSize: number; arrays: CooccurrenceArrays } {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(op, `expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  if (vocabSize !== undefined && (!Number.isInteger(vocabSize) || vocabSize < 1)) {
    throw new ArgumentError(op, `vocabSize must be a positive integer, got ${vocabSize}`);
  }
  if (bytes.length % RECORD_BYTES !== 0) {
    throw new ArgumentError(
      op,
      `truncated or corrupt co-occurrence file: ${bytes.length} bytes is not a multiple of the ${RECORD_BYTES}-byte record (int32 word1, int32 word2, float64 X); ${bytes.length % RECORD_BYTES} trailing bytes`,
    );
  }
  const n = bytes.length / RECORD_BYTES;
  if (n === 0) throw new ArgumentError(op, 'empty co-occurrence file: no records');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows = new Int32Array(n);
  const cols = new Int32Array(n);
  const values = new Float64Array(n);
  const limit = vocabSize ?? 0x7fffffff;
  let maxId = 0;
  let sorted = true;
  for (let r = 0, o = 0; r < n; r++, o += RECORD_BYTES) {
    const w1 = view.getInt32(o, true);
    const w2 = view.getInt32(o + 4, true);
    const x = view.getFloat64(o + 8, true);
    if (w1 < 1 || w1 > limit || w2 < 1 || w2 > limit) {
      const expected = vocabSize === undefined ? 'ids ≥ 1' : `ids in 1 … ${vocabSize}`;
      throw new ArgumentError(op, `corrupt co-occurrence file: record ${r} (byte ${o}) has word ids (${w1}, ${w2}); expected ${expected}`);
    }
    if (!(x > 0 && x < Number.POSITIVE_INFINITY)) {
      throw new ArgumentError(op, `corrupt co-occurrence file: record ${r} (byte ${o}) has X = ${x}; expected a finite value > 0`);
    }
    rows[r] = w1 - 1;
    cols[r] = w2 - 1;
    values[r] = x;
    if (w1 > maxId) maxId = w1;
    if (w2 > maxId) maxId = w2;
    if (r > 0 && sorted && (rows[r] < rows[r - 1] || (rows[r] === rows[r - 1] && cols[r] <= cols[r - 1]))) sorted = false;
  }
  const size = vocabSize ?? maxId;
  const arrays = sorted ? { rows, cols, values } : sortEntries(rows, cols, values);
  for (let r = 1; r < n; r++) {
    if (arrays.rows[r] === arrays.rows[r - 1] && arrays.cols[r] === arrays.cols[r - 1]) {
      throw new ArgumentError(op, `corrupt co-occurrence file: the pair (${arrays.rows[r] + 1}, ${arrays.cols[r] + 1}) occurs in more than one record`);
    }
  }
  return { vocabSize: size, arrays };
}

/** Entries sorted by (row, col) (a stable order of the records for equal pairs). */
function sortEntries(rows: Int32Array, cols: Int32Array, values: Float64Array): CooccurrenceArrays {
  const n = rows.length;
  const order = new Uint32Array(n);
  for (let r = 0; r < n; r++) order[r] = r;
  order.sort((x, y) => rows[x] - rows[y] || cols[x] - cols[y] || x - y);
  const out = { rows: new Int32Array(n), cols: new Int32Array(n), values: new Float64Array(n) };
  for (let r = 0; r < n; r++) {
    const s = order[r];
    out.rows[r] = rows[s];
    out.cols[r] = cols[s];
    out.values[r] = values[s];
  }
  return out;
}
