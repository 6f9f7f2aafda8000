import { describe, expect, it } from 'vitest';
import { jobStarts } from '../src/word2vec-corpus';
import { word2vecProgressLine } from '../src/progress';
import { bisectLeft, cumTable, drawNegative, huffmanCodes, jobAlpha, negativeTable, sampleInts, sigmoidTable } from '../src/word2vec-tables';

/** Word w's [codes, points] from the flattened tree. */
function paths(counts: number[]): [number[], number[]][] {
  const t = huffmanCodes(counts);
  return counts.map((_, w) => [Array.from(t.codes.subarray(t.starts[w], t.starts[w + 1])), Array.from(t.points.subarray(t.starts[w], t.starts[w + 1]))]);
}

describe('word2vec Huffman tree (gensim: heapq by count, left = 0, right = 1, points = inner nodes)', () => {
  // Expected paths: gensim's _build_heap/_assign_binary_codes run with CPython's heapq.
  it('counts 5 3 2 2 1', () => {
    // merges: (1:w4 + 2:w2) → node 0 (3); (2:w3 + 3:w1) → node 1 (5); (3:n0 + 5:w0) → node 2 (8);
    // (5:n1 + 8:n2) → root 3 (13).
    expect(paths([5, 3, 2, 2, 1])).toEqual([
      [
        [1, 1],
        [3, 2],
      ],
      [
        [0, 1],
        [3, 1],
      ],
      [
        [1, 0, 1],
        [3, 2, 0],
      ],
      [
        [0, 0],
        [3, 1],
      ],
      [
        [1, 0, 0],
        [3, 2, 0],
      ],
    ]);
  });
  it('ties: four equal counts fall where heapq puts them', () => {
    expect(paths([4, 4, 4, 4])).toEqual([
      [
        [0, 1],
        [2, 0],
      ],
      [
        [1, 1],
        [2, 1],
      ],
      [
        [0, 0],
        [2, 0],
      ],
      [
        [1, 0],
        [2, 1],
      ],
    ]);
  });
  it('a dominant word gets a 1-bit code; the tree is a valid prefix code with Kraft sum 1', () => {
    const counts = [10, 1, 1, 1, 1, 1, 1];
    const p = paths(counts);
    expect(p[0]).toEqual([[1], [5]]);
    expect(p[2]).toEqual([
      [0, 1, 0, 1],
      [5, 4, 3, 0],
    ]);
    expect(p.reduce((s, [c]) => s + 2 ** -c.length, 0)).toBe(1);
    const strings = p.map(([c]) => c.join(''));
    for (const a of strings) for (const b of strings) if (a !== b) expect(b.startsWith(a)).toBe(false);
    // every path starts at the root, inner node V − 2
    for (const [, pts] of p) expect(pts[0]).toBe(counts.length - 2);
  });
  it('one word: an empty path', () => {
    expect(paths([7])).toEqual([[[], []]]);
  });
});

describe('word2vec negative-sampling table (gensim: cumulative counts^0.75 to 2^31 − 1, bisect_left)', () => {
  const counts = [5, 3, 2, 2, 1];
  it('cum table values', () => {
    // round(Σ_{j≤i} c^0.75 / Σ c^0.75 · (2^31 − 1)), as make_cum_table (numbers from Python)
    expect(Array.from(cumTable(counts, 0.75))).toEqual([719003934, 1209171650, 1570811483, 1932451316, 2147483647]);
    expect(Array.from(cumTable([1, 1], 0))).toEqual([1073741824, 2147483647]);
  });
  it('the guide table finds the same word as the bisection for every draw', () => {
    const t = negativeTable(counts, 0.75);
    let s = 1;
    for (let n = 0; n < 20000; n++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      expect(drawNegative(t, s)).toBe(bisectLeft(t.cum, Math.floor(s * t.scale)));
    }
    for (const u of [0, 1, 2 ** 31, 2 ** 32 - 1]) expect(drawNegative(t, u)).toBe(bisectLeft(t.cum, Math.floor(u * t.scale)));
  });
  it('draws follow counts^0.75 / Z', () => {
    const t = negativeTable(counts, 0.75);
    const hits = new Array(counts.length).fill(0);
    const N = 200000;
    let s = 7;
    for (let n = 0; n < N; n++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      hits[drawNegative(t, s >>> 0)]++;
    }
    const z = counts.reduce((a, c) => a + c ** 0.75, 0);
    // binomial standard deviation ≤ √(N/4) ≈ 224 draws: 4σ ≈ 0.0045 in frequency
    counts.forEach((c, i) => expect(Math.abs(hits[i] / N - c ** 0.75 / z)).toBeLessThan(0.0045));
  });
  it('a word of count 0 is never drawn', () => {
    const t = negativeTable([3, 0, 1], 0.75);
    for (let u = 0; u < 2 ** 32; u += 2 ** 20 + 12345) expect(drawNegative(t, u)).not.toBe(1);
  });
});

describe('word2vec downsampling (gensim 4: keep p = (√(c/t) + 1)·t/c, sample_int = ⌊p·(2³² − 1)⌋)', () => {
  const counts = [1000, 100, 10, 1];
  it('keep probabilities by hand', () => {
    const t = 0.01 * 1111; // sample · Σ counts
    const p0 = (Math.sqrt(1000 / t) + 1) * (t / 1000); // 0.11651…
    const p1 = (Math.sqrt(100 / t) + 1) * (t / 100); // 0.44442…
    expect(p0).toBeCloseTo(0.116514, 5);
    expect(Array.from(sampleInts(counts, 0.01))).toEqual([Math.floor(p0 * (2 ** 32 - 1)), Math.floor(p1 * (2 ** 32 - 1)), 2 ** 32 - 1, 2 ** 32 - 1]);
    // the same integers as gensim's np.uint32(word_probability * (2**32 − 1)) (from Python)
    expect(Array.from(sampleInts(counts, 0.01))).toEqual([500423753, 1908755046, 4294967295, 4294967295]);
    expect(Array.from(sampleInts(counts, 1e-3))).toEqual([147930126, 500423753, 1908755046, 4294967295]);
  });
  it('sample 0 keeps everything; sample ≥ 1 is a count threshold ⌊sample·(3 + √5)/2⌋', () => {
    expect(Array.from(sampleInts(counts, 0))).toEqual([4294967295, 4294967295, 4294967295, 4294967295]);
    const t = Math.floor((10 * (3 + Math.sqrt(5))) / 2); // 26
    expect(t).toBe(26);
    expect(sampleInts(counts, 10)[0]).toBe(Math.floor((Math.sqrt(1000 / 26) + 1) * (26 / 1000) * (2 ** 32 - 1)));
    expect(sampleInts(counts, 10)[2]).toBe(2 ** 32 - 1);
  });
});

describe('word2vec learning rate and jobs (gensim: _get_next_alpha per job of ≤ 10 000 raw words)', () => {
  it('decays linearly over all epochs by documents pushed, floored at minAlpha', () => {
    expect(jobAlpha(0.025, 0.0001, 5, 0, 0, 100)).toBe(0.025);
    expect(jobAlpha(0.025, 0.0001, 5, 2, 50, 100)).toBeCloseTo(0.025 - 0.0249 * (2.5 / 5), 15);
    expect(jobAlpha(0.025, 0.0001, 5, 4, 99, 100)).toBeCloseTo(0.025 - 0.0249 * (4.99 / 5), 15);
    expect(jobAlpha(0.025, 0.0001, 1, 1, 0, 100)).toBeCloseTo(0.0001, 15);
    expect(jobAlpha(0.025, 0.02, 1, 0, 99, 100)).toBeCloseTo(0.02005, 15);
  });
  it('jobs group documents while their raw words fit in 10 000 (a longer document is a job alone)', () => {
    expect(Array.from(jobStarts(Int32Array.of(3000, 4000, 5000, 12000, 1, 9999)))).toEqual([0, 2, 3, 4, 6]);
    expect(Array.from(jobStarts(Int32Array.of(10000, 0, 1)))).toEqual([0, 2, 3]);
    expect(Array.from(jobStarts(Int32Array.of(2, 2, 2), 4))).toEqual([0, 2, 3]);
  });
  it('the sigmoid table: σ at −6 + 12i/1000', () => {
    const t = sigmoidTable();
    expect(t.length).toBe(1000);
    expect(t[0]).toBeCloseTo(1 / (1 + Math.exp(6)), 7);
    expect(t[500]).toBe(0.5);
    expect(t[750]).toBeCloseTo(1 / (1 + Math.exp(-3)), 7);
  });
  it('progress line: epoch, overall bar, words/s, learning rate, ETA', () => {
    expect(word2vecProgressLine(2, 4, 0.5, 123456.4, 0.0125, 30)).toBe(
      '\rword2vec epoch 2/4 [========            ]  38%  123,456 words/s  lr 0.012500  ETA 00:50 ',
    );
  });
});
