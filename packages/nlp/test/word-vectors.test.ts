import { AimodelError, ArgumentError, memory, ShapeError } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';
import { averageRanks, spearman } from '../src/evaluate';
import { dotScores, topIndices } from '../src/nearest';
import { WordVectors } from '../src/index';
import { hasWebGpu } from '../../nn/test/webgpu-available';

// 2-D space with hand-checkable cosines (norms 2, 5, 3, 1):
// cos(a,b) = 8/10 = 0.8, cos(a,c) = 0, cos(a,d) = −1, cos(b,c) = 0.6, cos(b,d) = −0.8, cos(c,d) = 0
const plane = () => new WordVectors(['a', 'b', 'c', 'd'], new Float32Array([2, 0, 4, 3, 0, 3, -1, 0]), 2);
// 3-D space where 3CosAdd and 3CosMul disagree on "a is to b as c is to ?" (checked with numpy:
// 3CosAdd scores x 0.64695, y 0.525606, z 0.959458; 3CosMul (ε = 0.001) x 1.49258, y 0.843501, z 1.3836)
const SPACE = [
  [-1, 1, 1],
  [-1, -2, 1],
  [-3, 1, 2],
  [1, -3, 0],
  [-1, 0, 1],
  [-2, -3, 0],
];
const space = (extra: [string, number[]][] = []) =>
  new WordVectors(['a', 'b', 'c', 'x', 'y', 'z', ...extra.map((e) => e[0])], new Float32Array([...SPACE, ...extra.map((e) => e[1])].flat()), 3);

const pairsOf = (r: [string, number][]) => r.map(([w]) => w);

const webgpu = await hasWebGpu();

describe('WordVectors: construction and lookups', () => {
  it('stores words, rows and sizes; get copies a row; has / indexOf', () => {
    const wv = plane();
    expect(wv.size).toBe(4);
    expect(wv.dim).toBe(2);
    expect(wv.words).toEqual(['a', 'b', 'c', 'd']);
    expect([...wv.get('b')]).toEqual([4, 3]);
    wv.get('b')[0] = 99; // a copy: the table is unchanged
    expect(wv.vectors[2]).toBe(4);
    expect(wv.has('c')).toBe(true);
    expect(wv.has('e')).toBe(false);
    expect(wv.indexOf('d')).toBe(3);
    expect(wv.indexOf('e')).toBe(-1);
  });

  it('rejects bad arguments with typed errors', () => {
    expect(() => new WordVectors(['a', 'b'], new Float32Array(3), 2)).toThrow(ShapeError);
    expect(() => new WordVectors(['a', 'b'], new Float32Array(3), 2)).toThrow(/3 values, expected words.length × dim = 2 × 2 = 4/);
    expect(() => new WordVectors(['a', 'a'], new Float32Array(2), 1)).toThrow(/duplicate word 'a' at rows 0 and 1/);
    expect(() => new WordVectors(['a'], new Float32Array(1), 0)).toThrow(/dim must be a positive integer, got 0/);
    expect(() => new WordVectors(['a'], [1] as unknown as Float32Array, 1)).toThrow(/must be a Float32Array/);
    expect(() => plane().get('zz')).toThrow(ArgumentError);
    expect(() => plane().get('zz')).toThrow("WordVectors.get: word 'zz' not in vocabulary (4 words)");
    expect(() => plane().similarity('a', 'zz')).toThrow(/'zz' not in vocabulary/);
  });
});

describe('WordVectors: similarity and neighbours', () => {
  it('similarity is the cosine', () => {
    const wv = plane();
    expect(wv.similarity('a', 'b')).toBeCloseTo(0.8, 6);
    expect(wv.similarity('b', 'c')).toBeCloseTo(0.6, 6);
    expect(wv.similarity('a', 'd')).toBeCloseTo(-1, 6);
    expect(wv.similarity('a', 'c')).toBeCloseTo(0, 6);
    expect(wv.similarity('b', 'b')).toBeCloseTo(1, 6);
  });

  it('a zero vector has cosine 0 with everything', () => {
    const wv = new WordVectors(['o', 'a'], new Float32Array([0, 0, 1, 0]), 2);
    expect(wv.similarity('o', 'a')).toBe(0);
    expect(wv.mostSimilar('a')).toEqual([['o', 0]]);
  });

  it('mostSimilar orders neighbours by cosine, leaves the query out, honours topN', () => {
    const wv = plane();
    const r = wv.mostSimilar('a');
    expect(pairsOf(r)).toEqual(['b', 'c', 'd']);
    expect(r.map((p) => p[1])).toEqual([expect.closeTo(0.8, 6), expect.closeTo(0, 6), expect.closeTo(-1, 6)]);
    expect(pairsOf(wv.mostSimilar('a', { topN: 2 }))).toEqual(['b', 'c']);
  });

  it('mostSimilar with several positives: cosine to the mean of unit vectors', () => {
    // unit(a) + unit(c) = (1, 1)/√2 → b: (0.8 + 0.6)/√2 = 0.989949, d: −1/√2 = −0.707107
    const r = plane().mostSimilar(['a', 'c']);
    expect(pairsOf(r)).toEqual(['b', 'd']);
    expect(r[0][1]).toBeCloseTo(0.989949, 5);
    expect(r[1][1]).toBeCloseTo(-Math.SQRT1_2, 5);
  });

  it('mostSimilar with negatives: unit(b) − unit(a) = (−0.2, 0.6), normalised (−0.316228, 0.948683)', () => {
    const r = plane().mostSimilar('b', { negative: ['a'] });
    expect(pairsOf(r)).toEqual(['c', 'd']);
    expect(r[0][1]).toBeCloseTo(0.948683, 5);
    expect(r[1][1]).toBeCloseTo(0.316228, 5);
  });

  it('ties keep the earlier (more frequent) word first; restrictVocab limits the search', () => {
    const wv = new WordVectors(['q', 'u', 'v', 'w'], new Float32Array([1, 0, 0, 1, 0, 2, 1, 1]), 2);
    expect(pairsOf(wv.mostSimilar('q'))).toEqual(['w', 'u', 'v']);
    expect(pairsOf(wv.mostSimilar('q', { restrictVocab: 3 }))).toEqual(['u', 'v']);
  });

  it('mostSimilar rejects unknown words and options', () => {
    const wv = plane();
    expect(() => wv.mostSimilar('zz')).toThrow("WordVectors.mostSimilar: word 'zz' not in vocabulary (4 words)");
    expect(() => wv.mostSimilar('a', { negative: ['zz'] })).toThrow(/'zz' not in vocabulary/);
    expect(() => wv.mostSimilar('a', { topN: 0 })).toThrow(/topN must be a positive integer, got 0/);
    expect(() => wv.mostSimilar('a', { topn: 3 } as never)).toThrow(/unknown option 'topn'/);
    expect(() => wv.mostSimilar([])).toThrow(/no query words/);
  });
});

describe('WordVectors: analogies and doesntMatch', () => {
  it('3CosAdd answers z, 3CosMul answers x (values as computed with numpy)', () => {
    const wv = space();
    const add = wv.analogy('a', 'b', 'c');
    expect(pairsOf(add)).toEqual(['z', 'x', 'y']);
    expect(add.map((p) => p[1])).toEqual([expect.closeTo(0.959458, 5), expect.closeTo(0.64695, 5), expect.closeTo(0.525606, 5)]);
    const mul = wv.analogy('a', 'b', 'c', { method: '3cosmul' });
    expect(pairsOf(mul)).toEqual(['x', 'z', 'y']);
    expect(mul.map((p) => p[1])).toEqual([expect.closeTo(1.49258, 4), expect.closeTo(1.3836, 4), expect.closeTo(0.843501, 5)]);
    // gensim's most_similar_cosmul uses ε = 1e-6
    const gensim = wv.analogy('a', 'b', 'c', { method: '3cosmul', epsilon: 1e-6, topN: 1 });
    expect(gensim).toEqual([['x', expect.closeTo(1.503637, 4)]]);
  });

  it('3CosAdd is mostSimilar(positive [b, c], negative [a]) and a 2-D king/queen case', () => {
    const wv = space();
    expect(wv.analogy('a', 'b', 'c')).toEqual(wv.mostSimilar(['b', 'c'], { negative: ['a'] }));
    const royal = new WordVectors(['man', 'king', 'woman', 'queen', 'apple'], new Float32Array([1, 0, 1, 1, 0, 1, 0.1, 1.1, 1, -1]), 2);
    // b − a + c = (−0.292893, 1.707107) → unit (−0.169102, 0.985599); queen (0.090536, 0.995893) → 0.966241
    expect(royal.analogy('man', 'king', 'woman', { topN: 1 })).toEqual([['queen', expect.closeTo(0.966241, 5)]]);
  });

  it('analogy checks its options and words', () => {
    const wv = space();
    expect(() => wv.analogy('a', 'b', 'c', { method: 'cos' as never })).toThrow(/method must be '3cosadd' or '3cosmul', got 'cos'/);
    expect(() => wv.analogy('a', 'b', 'nope', { method: '3cosmul' })).toThrow(/'nope' not in vocabulary/);
    expect(() => wv.analogy('a', 'b', 'c', { method: '3cosmul', epsilon: 0 })).toThrow(/epsilon must be > 0/);
  });

  it("doesntMatch: lowest cosine to the mean of unit vectors (gensim's doesnt_match)", () => {
    const wv = space();
    // cosines to the normalised mean (numpy): a 0.792081, c 0.930504, y 0.999067, x −0.181482
    expect(wv.doesntMatch(['a', 'c', 'y', 'x'])).toBe('x');
    // a 0.470361, b 0.877787, c 0.739958, x 0.202796, y 0.890839, z 0.755426
    expect(wv.doesntMatch(['a', 'b', 'c', 'x', 'y', 'z'])).toBe('x');
    expect(wv.doesntMatch(['a', 'c', 'y'])).toBe('a'); // 0.947631 < 0.954228 < 0.992006
    expect(() => wv.doesntMatch([])).toThrow(/non-empty array/);
    expect(() => wv.doesntMatch(['a', 'zz'])).toThrow(/'zz' not in vocabulary/);
  });

  it('normalize returns unit rows in a new instance', () => {
    const wv = plane();
    const n = wv.normalize();
    expect(n).not.toBe(wv);
    expect([...n.vectors]).toEqual([1, 0, 0.8, 0.6, 0, 1, -1, 0].map((v) => expect.closeTo(v, 6)));
    expect([...wv.get('a')]).toEqual([2, 0]);
    expect(n.similarity('a', 'b')).toBeCloseTo(0.8, 6);
  });
});

describe('WordVectors: evaluations', () => {
  it('average ranks and Spearman with ties match the hand computation (and scipy)', () => {
    expect([...averageRanks([10, 5, 1, 5, 2, 7])]).toEqual([6, 3.5, 1, 3.5, 2, 5]);
    // ranks x = [6, 3.5, 1, 5, 2, 3.5], y = [6, 3.5, 1, 3.5, 2, 5]: Σdxdy = 14.75, Σdx² = Σdy² = 17 → 0.867647
    // (the no-ties formula 1 − 6Σd²/(n(n²−1)) would give 0.871429)
    expect(spearman([0.8, 0, -1, 0.6, -0.8, 0], [10, 5, 1, 5, 2, 7])).toBeCloseTo(14.75 / 17, 12);
  });

  it('evaluateSimilarity from text (comments, tabs, OOV pairs) and from an array', () => {
    const text = '# word1 word2 score\na\tb\t10\na c 5\na  d 1\n\nb c 5\nb\td 2\nc d 7\na zz 3\n';
    const r = plane().evaluateSimilarity(text);
    expect(r.spearman).toBeCloseTo(14.75 / 17, 6);
    expect(r.pearson).toBeCloseTo(0.875465538611916, 5); // scipy.stats.pearsonr
    expect(r.pairs).toBe(6);
    expect(r.oov).toBe(1);
    const arr = plane().evaluateSimilarity([
      ['A', 'b', 10],
      ['a', 'c', 5],
      ['a', 'd', 1],
      ['b', 'c', 5],
      ['b', 'd', 2],
      ['c', 'd', 7],
    ]);
    expect(arr).toEqual({ spearman: expect.closeTo(14.75 / 17, 6), pearson: expect.closeTo(0.875466, 5), pairs: 6, oov: 0 });
    expect(
      plane().evaluateSimilarity(
        [
          ['A', 'b', 1],
          ['a', 'c', 2],
          ['b', 'c', 3],
        ],
        { caseInsensitive: false },
      ).oov,
    ).toBe(1);
  });

  it('evaluateSimilarity errors name the line or pair', () => {
    expect(() => plane().evaluateSimilarity('a b 1\na c\n')).toThrow(
      "WordVectors.evaluateSimilarity: line 2: expected 'word1 word2 score', got 2 fields ('a c')",
    );
    expect(() => plane().evaluateSimilarity('a b x\n')).toThrow(/line 1, score: expected a finite number, got 'x'/);
    expect(() => plane().evaluateSimilarity('a b 1\na zz 2\n')).toThrow(/only 1 of 2 pairs/);
    expect(() =>
      plane().evaluateSimilarity([
        ['a', 'b', 1],
        ['a', 'c', 1],
      ]),
    ).toThrow(/all equal/);
    expect(() => plane().evaluateSimilarity([['a', 'b']] as never)).toThrow(/pair 0: expected \[word1, word2, finite score\]/);
  });

  // rows 0–5 the 3-D space, row 6 'C' = the 3CosAdd query of "a b c" (cos ≈ 1): a legitimate answer
  // when case matters, a query word (skipped) when it does not, unknown beyond restrictVocab 6
  const Q = [-0.471179, -0.839005, 0.272141];
  const QUESTIONS = ': first\na b c z\nA B C Z\na b c x\na b c qq\n\n: second\nx z a c\nz y x a\n';

  it("evaluateAnalogies follows gensim's rules (case folding, OOV, query words never answers, restrictVocab)", () => {
    const wv = space([['C', Q]]);
    const r = wv.evaluateAnalogies(QUESTIONS);
    expect(r).toEqual({
      accuracy: 3 / 5,
      correct: 3,
      total: 5,
      oov: 1,
      sections: [
        { section: 'first', correct: 2, total: 3, accuracy: 2 / 3, oov: 1 },
        { section: 'second', correct: 1, total: 2, accuracy: 0.5, oov: 0 },
      ],
    });
    const cs = wv.evaluateAnalogies(QUESTIONS, { caseInsensitive: false });
    expect([cs.correct, cs.total, cs.oov]).toEqual([1, 4, 2]); // 'C' wins "a b c", A B C Z is unknown
    const cs6 = wv.evaluateAnalogies(QUESTIONS, { caseInsensitive: false, restrictVocab: 6 });
    expect([cs6.correct, cs6.total, cs6.oov]).toEqual([2, 4, 2]);
    expect(cs6.sections[0]).toEqual({ section: 'first', correct: 1, total: 2, accuracy: 0.5, oov: 2 });
  });

  it('evaluateAnalogies: no known question gives NaN accuracy; malformed files name the line', () => {
    const r = space().evaluateAnalogies(': s\nq r s t\n');
    expect(r).toEqual({ accuracy: Number.NaN, correct: 0, total: 0, oov: 1, sections: [{ section: 's', correct: 0, total: 0, accuracy: Number.NaN, oov: 1 }] });
    expect(() => space().evaluateAnalogies('a b c z\n')).toThrow("WordVectors.evaluateAnalogies: line 1: question before any ': section' header");
    expect(() => space().evaluateAnalogies(': s\na b c\n')).toThrow(/line 2: expected 4 words 'a b c d', got 3/);
    expect(() => space().evaluateAnalogies('')).toThrow(/no questions/);
    expect(() => space().evaluateAnalogies(': s\n', { restrictVocab: 0 })).toThrow(/restrictVocab must be a positive integer/);
  });

  it('batched evaluation (matmul path) agrees with one-by-one analogy queries, and frees its tensors', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
    const n = 2000;
    const d = 64;
    const words = Array.from({ length: n }, (_, i) => `w${i}`);
    const wv = new WordVectors(words, Float32Array.from({ length: n * d }, rand), d);
    const lines: string[] = [': random'];
    let expectedCorrect = 0;
    for (let q = 0; q < 40; q++) {
      const [a, b, c] = [q * 3, q * 3 + 1, q * 3 + 2].map((i) => words[i]);
      const best = wv.analogy(a, b, c, { topN: 1 })[0][0];
      const answer = q % 2 === 0 ? best : words[1999 - q];
      if (answer === best) expectedCorrect++;
      lines.push(`${a} ${b} ${c} ${answer}`);
    }
    const before = memory().tensors;
    const r = wv.evaluateAnalogies(lines.join('\n'));
    expect(memory().tensors).toBe(before);
    expect([r.correct, r.total, r.oov]).toEqual([expectedCorrect, 40, 0]);
    expect(expectedCorrect).toBeGreaterThanOrEqual(20);
  });

  it('dotScores: the matmul and loop paths give the same scores; topIndices orders and excludes', () => {
    const unit = Float32Array.from({ length: 300 * 8 }, (_, i) => Math.sin(i));
    const queries = Float32Array.from({ length: 20 * 8 }, (_, i) => Math.cos(i));
    const loop = dotScores(unit, 300, 8, queries, false);
    const mm = dotScores(unit, 300, 8, queries, true);
    expect(mm.length).toBe(20 * 300);
    for (let i = 0; i < mm.length; i++) expect(mm[i]).toBeCloseTo(loop[i], 4);
    expect(topIndices([0.5, 0.9, 0.5, 0.1, 0.9], 0, 5, 3, new Set([1]))).toEqual([4, 0, 2]);
    expect(topIndices([0.5, 0.9, 0.5], 0, 3, 10, new Set())).toEqual([1, 0, 2]);
  });
});

describe('WordVectors.mostSimilarMany', () => {
  it('answers like mostSimilar per query, through one matmul on the default device, without leaks', async () => {
    const wv = space();
    const before = memory().tensors;
    const many = await wv.mostSimilarMany(['a', ['b', 'c'], 'z'], { topN: 3 });
    expect(memory().tensors).toBe(before);
    expect(many).toHaveLength(3);
    const one = [wv.mostSimilar('a', { topN: 3 }), wv.mostSimilar(['b', 'c'], { topN: 3 }), wv.mostSimilar('z', { topN: 3 })];
    many.forEach((r, q) => {
      expect(pairsOf(r)).toEqual(pairsOf(one[q]));
      r.forEach(([, s], k) => expect(s).toBeCloseTo(one[q][k][1], 5));
    });
    expect(pairsOf((await plane().mostSimilarMany(['a'], { restrictVocab: 3, device: 'cpu' }))[0])).toEqual(['b', 'c']);
    expect(await wv.mostSimilarMany([])).toEqual([]);
    await expect(wv.mostSimilarMany(['a', 'nope'])).rejects.toThrow("WordVectors.mostSimilarMany: word 'nope' not in vocabulary (6 words)");
    await expect(wv.mostSimilarMany([[]])).rejects.toThrow(/query 0 has no words/);
    await expect(wv.mostSimilarMany(['a'], { top: 1 } as never)).rejects.toThrow(/unknown option 'top'/);
  });
});

describe.skipIf(!webgpu)('WordVectors.mostSimilarMany on WebGPU', () => {
  it('scores on the device match the CPU', async () => {
    const words = Array.from({ length: 300 }, (_, i) => `w${i}`);
    const wv = new WordVectors(
      words,
      Float32Array.from({ length: 300 * 16 }, (_, i) => Math.sin(i * 0.37)),
      16,
    );
    const queries = ['w0', ['w5', 'w9'], 'w299'];
    const cpu = await wv.mostSimilarMany(queries, { topN: 5, device: 'cpu' });
    const before = memory().devices.webgpu.tensors;
    const gpu = await wv.mostSimilarMany(queries, { topN: 5, device: 'webgpu' });
    expect(memory().devices.webgpu.tensors).toBe(before);
    gpu.forEach((r, q) =>
      r.forEach(([w, s], k) => {
        expect(s).toBeCloseTo(cpu[q][k][1], 4);
        if (Math.abs(cpu[q][k][1] - (cpu[q][k + 1]?.[1] ?? -2)) > 1e-4) expect(w).toBe(cpu[q][k][0]);
      }),
    );
  });
});

describe('WordVectors.toEmbedding', () => {
  it('gives a frozen (or trainable) nn.Embedding whose rows are the vectors, without leaks', async () => {
    const before = memory().tensors;
    const wv = plane();
    const emb = wv.toEmbedding();
    expect(emb.weight.shape).toEqual([4, 2]);
    expect(emb.weight.requiresGrad).toBe(false);
    expect([...(await emb.weight.data())]).toEqual([2, 0, 4, 3, 0, 3, -1, 0]);
    const trainable = wv.toEmbedding({ freeze: false });
    expect(trainable.weight.requiresGrad).toBe(true);
    emb.dispose();
    trainable.dispose();
    expect(memory().tensors).toBe(before);
    expect(() => wv.toEmbedding({ frozen: true } as never)).toThrow(/unknown option 'frozen'/);
    expect(AimodelError.isInstance(new ArgumentError('x', 'y'))).toBe(true);
  });
});
