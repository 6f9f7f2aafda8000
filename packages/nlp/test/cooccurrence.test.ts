import { ArgumentError } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';
import { PairCounter, sortPairs } from '../src/cooccurrence-counter';
import { Cooccurrence, cooccurrence } from '../src/cooccurrence';
import { Vocabulary } from '../src/vocabulary';
import { randomCorpus } from './helpers/random';

type Entry = [number, number, number];

// ids (no specials): a 0, b 1, c 2, d 3; 'rare' (count 1) is below minCount 2, so it is removed
// before windowing. Line 4 is empty.
const vocab = Vocabulary.fromCounts(
  [
    ['a', 5],
    ['b', 4],
    ['c', 3],
    ['d', 2],
    ['rare', 1],
  ],
  { minCount: 2 },
);
const corpus = 'a b rare c\nd a\nc\n\nb b d a c\n';
const [a, b, c, d] = [0, 1, 2, 3];

// By hand, window 2: the pairs (earlier, later, distance) of each line after OOV removal:
//   line 1 "a b c":      (a,b,1) (b,c,1) (a,c,2)    — with 'rare' kept, (a,c) would be 3 apart
//   line 2 "d a":        (d,a,1)                     — never (c,d): line 1 ends where line 2 starts
//   line 3 "c", line 4 "": nothing
//   line 5 "b b d a c":  (b,b,1) (b,d,1) (b,d,2) (d,a,1) (b,a,2) (a,c,1) (d,c,2)
//                        and not (b,a,3) (b,c,3) (b,c,4): beyond the window
const asymmetric: Entry[] = [
  [a, b, 1],
  [a, c, 0.5 + 1],
  [b, a, 0.5],
  [b, b, 1],
  [b, c, 1],
  [b, d, 1 + 0.5],
  [d, a, 1 + 1],
  [d, c, 0.5],
];

function sorted(entries: Entry[]): Entry[] {
  return [...entries].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

describe('cooccurrence: every entry of a hand-made corpus', () => {
  it('asymmetric, 1/d weights, window 2', async () => {
    const X = await cooccurrence(corpus, { vocab, window: 2, symmetric: false });
    expect([...X.entries()]).toEqual(asymmetric);
    expect(X.nnz).toBe(8);
    expect(X.vocabSize).toBe(4);
    expect(X.get(c, d)).toBe(0); // line boundary
    expect(X.get(a, d)).toBe(0);
  });

  it('symmetric (the default): X[i][j] = asymmetric[i][j] + asymmetric[j][i]', async () => {
    const X = await cooccurrence(corpus, { vocab, window: 2 });
    const expected = sorted([
      [a, b, 1.5],
      [b, a, 1.5],
      [b, c, 1],
      [c, b, 1],
      [a, c, 1.5],
      [c, a, 1.5],
      [d, a, 2],
      [a, d, 2],
      [b, b, 2],
      [b, d, 1.5],
      [d, b, 1.5],
      [d, c, 0.5],
      [c, d, 0.5],
    ]);
    expect([...X.entries()]).toEqual(expected);
    expect(X.nnz).toBe(13);
  });

  it('distanceWeighting false adds 1 per pair', async () => {
    const X = await cooccurrence(corpus, { vocab, window: 2, symmetric: false, distanceWeighting: false });
    expect([...X.entries()]).toEqual([
      [a, b, 1],
      [a, c, 2],
      [b, a, 1],
      [b, b, 1],
      [b, c, 1],
      [b, d, 2],
      [d, a, 2],
      [d, c, 1],
    ]);
  });

  it('window edges: window 1 keeps only neighbours, a window past the longest line keeps every pair', async () => {
    const X1 = await cooccurrence(corpus, { vocab, window: 1, symmetric: false });
    // line 1: (a,b) (b,c); line 2: (d,a); line 5: (b,b) (b,d) (d,a) (a,c)
    expect([...X1.entries()]).toEqual([
      [a, b, 1],
      [a, c, 1],
      [b, b, 1],
      [b, c, 1],
      [b, d, 1],
      [d, a, 2],
    ]);
    const X9 = await cooccurrence(corpus, { vocab, window: 9, symmetric: false });
    // window 2's entries plus line 5's (b@0,a,3) (b@1,c,3) (b@0,c,4)
    expect([...X9.entries()]).toEqual([
      [a, b, 1],
      [a, c, 1.5],
      [b, a, 0.5 + 1 / 3],
      [b, b, 1],
      [b, c, 1 + 1 / 3 + 1 / 4],
      [b, d, 1.5],
      [d, a, 2],
      [d, c, 0.5],
    ]);
  });

  it('specials take ids but never count, even when their text occurs as a token', async () => {
    const v = Vocabulary.fromCounts(
      [
        ['x', 2],
        ['y', 2],
      ],
      { specials: ['<unk>', '<pad>'] },
    );
    const [x, y] = [v.indexOf('x'), v.indexOf('y')];
    expect([x, y]).toEqual([2, 3]);
    const split = (s: string) => s.split(' ').filter(Boolean);
    const X = await cooccurrence('x <unk> y <pad> x', { vocab: v, window: 1, symmetric: false, tokenizer: split });
    expect([...X.entries()]).toEqual([
      [x, y, 1],
      [y, x, 1],
    ]);
    expect(X.vocabSize).toBe(4);
    expect(X.get(0, x)).toBe(0);
  });

  it('counts the same from an array, a sync iterable and an async iterable of lines', async () => {
    const lines = corpus.split('\n');
    async function* gen() {
      yield* lines;
    }
    const want = [...(await cooccurrence(corpus, { vocab, window: 2 })).entries()];
    expect([...(await cooccurrence(lines, { vocab, window: 2 })).entries()]).toEqual(want);
    expect([...(await cooccurrence(new Set(lines), { vocab, window: 2 })).entries()]).toEqual(want);
    expect([...(await cooccurrence(gen(), { vocab, window: 2 })).entries()]).toEqual(want);
    // the default tokenizer lowercases and drops punctuation, as Vocabulary.build's
    expect([...(await cooccurrence('A, B rare C!\nD A\nC\n\nB b D a c', { vocab, window: 2 })).entries()]).toEqual(want);
  });
});

/** The definition, written as plainly as possible (a Map of pair → sum). */
function naive(lines: string[], v: Vocabulary, window: number, symmetric: boolean): Entry[] {
  const sums = new Map<string, number>();
  const add = (i: number, j: number, x: number) => sums.set(`${i},${j}`, (sums.get(`${i},${j}`) ?? 0) + x);
  for (const line of lines) {
    const ids = line
      .split(' ')
      .filter((w) => w && v.has(w))
      .map((w) => v.indexOf(w));
    for (let p = 0; p < ids.length; p++) {
      for (let q = Math.max(0, p - window); q < p; q++) {
        add(ids[q], ids[p], 1 / (p - q));
        if (symmetric) add(ids[p], ids[q], 1 / (p - q));
      }
    }
  }
  return sorted([...sums].map(([k, x]) => [...k.split(',').map(Number), x] as Entry));
}

describe('cooccurrence: bounded memory', () => {
  const lines = randomCorpus(1500, 800, 7);
  const counts = new Map<string, number>();
  for (const w of lines.join(' ').split(' ').filter(Boolean)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const v = Vocabulary.fromCounts(counts, { minCount: 3 });

  it('matches the definition on a random corpus, with any memory budget (many runs merged)', async () => {
    const want = naive(lines, v, 5, true);
    const big = await cooccurrence(lines, { vocab: v, window: 5 });
    const tiny = await cooccurrence(lines, { vocab: v, window: 5, maxMemoryMB: 0.0005 });
    expect(want.length).toBeGreaterThan(50_000);
    for (const X of [big, tiny]) {
      const { rows, cols, values } = X.toArrays();
      expect(X.nnz).toBe(want.length);
      let wrongPairs = 0;
      let worst = 0;
      want.forEach(([i, j, x], r) => {
        if (rows[r] !== i || cols[r] !== j) wrongPairs++;
        worst = Math.max(worst, Math.abs(values[r] - x) / x);
      });
      expect(wrongPairs).toBe(0);
      expect(worst).toBeLessThanOrEqual(1e-12);
    }
    const A = big.toArrays();
    const B = tiny.toArrays();
    expect(B.rows).toEqual(A.rows);
    expect(B.cols).toEqual(A.cols);
  });

  it('a tiny budget spills many sorted runs (and the dense table takes the frequent pairs of a big one)', () => {
    const ids = Int32Array.from({ length: 3000 }, (_, k) => (k * 7919) % 997);
    const weights = Float64Array.from({ length: 11 }, (_, d) => (d ? 1 / d : 0));
    const tiny = new PairCounter(997, 2048);
    tiny.addDocument(ids, ids.length, 10, weights, true);
    const big = new PairCounter(997, 64 * 2 ** 20);
    big.addDocument(ids, ids.length, 10, weights, true);
    expect(tiny.spills).toBeGreaterThan(100);
    expect(big.spills).toBe(0);
    const t = tiny.finish();
    const g = big.finish();
    expect(t.keys).toEqual(g.keys);
    expect(Math.max(...t.values.map((x, r) => Math.abs(x - g.values[r]) / x))).toBeLessThanOrEqual(1e-12);
  });
});

describe('sortPairs (the radix sort of spilled runs)', () => {
  it('sorts distinct keys below 2^53 with their values, as a comparison sort does', () => {
    for (const maxKey of [20_000, 2 ** 31 + 5, 2 ** 40, 2 ** 53 - 1]) {
      const keys = new Set<number>();
      let s = 12345;
      while (keys.size < 5000) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        const t = (Math.imul(s, 2654435761) >>> 0) / 2 ** 32;
        keys.add(Math.floor(((s / 2 ** 32 + t * 2 ** -26) % 1) * (maxKey + 1)));
      }
      const k = Float64Array.from(keys);
      const v = k.map((x) => x / 7 + 1);
      const want = [...k].sort((x, y) => x - y);
      sortPairs(k, v, maxKey);
      expect([...k]).toEqual(want);
      expect([...v]).toEqual(want.map((x) => x / 7 + 1));
    }
  });
});

describe('Cooccurrence: the reference binary format', () => {
  it('lays one record out as int32 w1, int32 w2, float64 X, little-endian, 1-based', () => {
    const X = Cooccurrence.fromArrays(3, { rows: Int32Array.of(0), cols: Int32Array.of(2), values: Float64Array.of(0.5) });
    expect([...X.toBinary()]).toEqual([1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f]);
    const Y = Cooccurrence.fromArrays(70000, { rows: Int32Array.of(65537), cols: Int32Array.of(257), values: Float64Array.of(-(-3.25)) });
    // 65538 = 0x00010002, 258 = 0x0102, 3.25 = 0x400A000000000000
    expect([...Y.toBinary()]).toEqual([2, 0, 1, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x40]);
  });

  it('round-trips a counted matrix exactly', async () => {
    const X = await cooccurrence(corpus, { vocab, window: 2 });
    const bytes = X.toBinary();
    expect(bytes.length).toBe(16 * X.nnz);
    const Y = Cooccurrence.fromBinary(bytes, vocab.size);
    expect([...Y.entries()]).toEqual([...X.entries()]);
    expect(Y.vocabSize).toBe(4);
    // without a vocabulary size, the largest id is the size; a view at an odd offset reads the same
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect([...Cooccurrence.fromBinary(shifted.subarray(3)).entries()]).toEqual([...X.entries()]);
  });

  it('accepts records in any order (the shuffle output) and sorts them', () => {
    const X = Cooccurrence.fromArrays(3, { rows: Int32Array.of(0, 1, 2), cols: Int32Array.of(1, 2, 0), values: Float64Array.of(1, 2, 3) });
    const bytes = X.toBinary();
    const shuffled = new Uint8Array([...bytes.subarray(32, 48), ...bytes.subarray(0, 16), ...bytes.subarray(16, 32)]);
    expect([...Cooccurrence.fromBinary(shuffled, 3).entries()]).toEqual([
      [0, 1, 1],
      [1, 2, 2],
      [2, 0, 3],
    ]);
  });

  it('rejects truncated and corrupt files with a typed error naming the problem', () => {
    const X = Cooccurrence.fromArrays(3, { rows: Int32Array.of(0, 1), cols: Int32Array.of(1, 2), values: Float64Array.of(1, 2) });
    const good = X.toBinary();
    const record = (w1: number, w2: number, x: number) => {
      const r = new Uint8Array(16);
      const v = new DataView(r.buffer);
      v.setInt32(0, w1, true);
      v.setInt32(4, w2, true);
      v.setFloat64(8, x, true);
      return new Uint8Array([...good.subarray(0, 16), ...r]);
    };
    const cases: [Uint8Array, number | undefined, string][] = [
      [good.subarray(0, 31), 3, '31 bytes is not a multiple of the 16-byte record'],
      [new Uint8Array(0), undefined, 'no records'],
      [record(0, 1, 1), 3, 'record 1 (byte 16) has word ids (0, 1); expected ids in 1 … 3'],
      [record(2, 4, 1), 3, 'record 1 (byte 16) has word ids (2, 4); expected ids in 1 … 3'],
      [record(-5, 1, 1), undefined, 'has word ids (-5, 1); expected ids ≥ 1'],
      [record(2, 3, Number.NaN), 3, 'record 1 (byte 16) has X = NaN; expected a finite value > 0'],
      [record(2, 3, Number.POSITIVE_INFINITY), 3, 'has X = Infinity'],
      [record(2, 3, 0), 3, 'has X = 0'],
      [record(2, 3, -1), 3, 'has X = -1'],
      [record(1, 2, 5), 3, 'the pair (1, 2) occurs in more than one record'],
    ];
    for (const [bytes, size, message] of cases) {
      expect(() => Cooccurrence.fromBinary(bytes, size)).toThrow(ArgumentError);
      expect(() => Cooccurrence.fromBinary(bytes, size)).toThrow(message);
    }
    expect(() => Cooccurrence.fromBinary(good, 0)).toThrow('vocabSize must be a positive integer, got 0');
    expect(() => Cooccurrence.fromBinary([1, 2] as unknown as Uint8Array)).toThrow('expected a Uint8Array');
  });
});

describe('Cooccurrence: arrays and lookups', () => {
  const X = Cooccurrence.fromArrays(5, {
    rows: Int32Array.of(0, 0, 3, 4),
    cols: Int32Array.of(2, 4, 3, 0),
    values: Float64Array.of(1, 0.25, 2, 0.5),
  });

  it('get finds stored entries and returns 0 for absent pairs; toArrays copies', () => {
    expect([X.get(0, 2), X.get(0, 4), X.get(3, 3), X.get(4, 0)]).toEqual([1, 0.25, 2, 0.5]);
    expect([X.get(0, 0), X.get(0, 3), X.get(1, 1), X.get(2, 0), X.get(4, 4)]).toEqual([0, 0, 0, 0, 0]);
    const arrays = X.toArrays();
    expect([...arrays.rows, ...arrays.cols, ...arrays.values]).toEqual([0, 0, 3, 4, 2, 4, 3, 0, 1, 0.25, 2, 0.5]);
    arrays.values[0] = 99;
    expect(X.get(0, 2)).toBe(1);
  });

  it('rejects bad ids and bad arrays', () => {
    expect(() => X.get(5, 0)).toThrow('Cooccurrence.get: i must be an integer id in 0 … 4, got a number (5)');
    expect(() => X.get(0, 1.5)).toThrow('j must be an integer id in 0 … 4');
    const arr = (rows: number[], cols: number[], values: number[]) => ({
      rows: Int32Array.from(rows),
      cols: Int32Array.from(cols),
      values: Float64Array.from(values),
    });
    expect(() => Cooccurrence.fromArrays(3, arr([0, 0], [1, 1], [1, 1]))).toThrow('entry 1 (0, 1) does not come after entry 0 (0, 1)');
    expect(() => Cooccurrence.fromArrays(3, arr([1, 0], [0, 1], [1, 1]))).toThrow('expected entries strictly sorted by (i, j)');
    expect(() => Cooccurrence.fromArrays(3, arr([0], [3], [1]))).toThrow('entry 0 has ids (0, 3); expected ids in 0 … 2');
    expect(() => Cooccurrence.fromArrays(3, arr([0], [1], [0]))).toThrow('entry 0 has value 0; expected a finite value > 0');
    expect(() => Cooccurrence.fromArrays(3, arr([0], [1, 2], [1]))).toThrow('must have one length, got 1, 2, 1');
    expect(() => Cooccurrence.fromArrays(3, { rows: [0], cols: [1], values: [1] } as never)).toThrow('expected rows and cols as Int32Array');
    expect(() => Cooccurrence.fromArrays(0, arr([], [], []))).toThrow(ArgumentError);
  });
});

describe('cooccurrence: errors', () => {
  it('an empty corpus, or one without two vocabulary words on a line, is a typed error', async () => {
    await expect(cooccurrence('', { vocab })).rejects.toThrow(ArgumentError);
    await expect(cooccurrence('', { vocab })).rejects.toThrow('the corpus yields no co-occurrence (0 documents, 0 tokens, 0 of them vocabulary words)');
    await expect(cooccurrence([], { vocab })).rejects.toThrow('0 documents');
    await expect(cooccurrence('a\nb rare\nzzz', { vocab })).rejects.toThrow('(3 documents, 4 tokens, 2 of them vocabulary words)');
    await expect(cooccurrence('a x x\nb', { vocab, window: 2, tokenizer: (s) => s.split(' ') })).rejects.toThrow(
      'expected at least two vocabulary words within window 2 on one line',
    );
  });

  it('checks its options', async () => {
    await expect(cooccurrence(corpus, { vocab, windw: 3 } as never)).rejects.toThrow("unknown option 'windw'");
    await expect(cooccurrence(corpus, undefined as never)).rejects.toThrow('expected an options object with a vocab');
    await expect(cooccurrence(corpus, { vocab: ['a'] } as never)).rejects.toThrow('vocab must be a Vocabulary, got an array');
    await expect(cooccurrence(corpus, { vocab, window: 0 })).rejects.toThrow('window must be an integer >= 1, got a number (0)');
    await expect(cooccurrence(corpus, { vocab, window: 2.5 })).rejects.toThrow('window must be an integer >= 1');
    await expect(cooccurrence(corpus, { vocab, symmetric: 1 } as never)).rejects.toThrow('symmetric must be a boolean');
    await expect(cooccurrence(corpus, { vocab, distanceWeighting: 'no' } as never)).rejects.toThrow('distanceWeighting must be a boolean');
    await expect(cooccurrence(corpus, { vocab, maxMemoryMB: 0 })).rejects.toThrow('maxMemoryMB must be a finite number > 0, got a number (0)');
    await expect(cooccurrence(corpus, { vocab, maxMemoryMB: Number.POSITIVE_INFINITY })).rejects.toThrow('maxMemoryMB must be a finite number > 0');
    await expect(cooccurrence(42 as never, { vocab })).rejects.toThrow(ArgumentError);
  });
});
