import { ArgumentError } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';
import { trainWord2Vec, Vocabulary, type Word2VecEpochInfo, type Word2VecOptions, type WordVectors } from '../src/index';

/** Seeded xorshift32 in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Two topics that share no word: documents of 12 words drawn from one topic's 8 words. */
function twoTopics(docs: number): string[] {
  const rand = random(5);
  const topics = [
    ['apple', 'banana', 'cherry', 'grape', 'lemon', 'mango', 'peach', 'plum'],
    ['cpu', 'disk', 'kernel', 'memory', 'network', 'router', 'server', 'socket'],
  ];
  return Array.from({ length: docs }, (_, d) => Array.from({ length: 12 }, () => topics[d % 2][Math.floor(rand() * 8)]).join(' '));
}

/** Fraction of each word's top-3 neighbours from its own topic. */
function clusterPurity(v: WordVectors): number {
  const fruit = new Set(['apple', 'banana', 'cherry', 'grape', 'lemon', 'mango', 'peach', 'plum']);
  let same = 0;
  let all = 0;
  for (const w of v.words) {
    for (const [n] of v.mostSimilar(w, { topN: 3 })) {
      all++;
      if (fruit.has(w) === fruit.has(n)) same++;
    }
  }
  return same / all;
}

const corpus = twoTopics(300);

describe('trainWord2Vec', () => {
  const modes: [string, Word2VecOptions][] = [
    ['skip-gram, negative sampling', { sg: 1 }],
    ['skip-gram, hierarchical softmax', { sg: 1, hs: 1, negative: 0 }],
    ['CBOW, negative sampling', { sg: 0 }],
    ['CBOW, hierarchical softmax', { sg: 0, hs: 1, negative: 0 }],
    ['CBOW (sum), both objectives', { cbowMean: false, hs: true, negative: 3 }],
  ];
  for (const [name, opts] of modes) {
    it(`${name}: neighbours come from the same topic`, async () => {
      const v = await trainWord2Vec(corpus, { dim: 16, window: 3, minCount: 1, epochs: 10, seed: 3, sample: 0, ...opts });
      expect(v.words.length).toBe(16);
      expect(v.dim).toBe(16);
      expect(clusterPurity(v)).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('one worker with a fixed seed is reproducible; another seed differs', async () => {
    const opts: Word2VecOptions = { dim: 8, minCount: 1, epochs: 3, seed: 11, sg: 1 };
    const a = await trainWord2Vec(corpus, opts);
    const b = await trainWord2Vec(corpus, opts);
    const c = await trainWord2Vec(corpus, { ...opts, seed: 12 });
    expect(Array.from(a.get('apple'))).toEqual(Array.from(b.get('apple')));
    expect(Array.from(a.get('apple'))).not.toEqual(Array.from(c.get('apple')));
  });

  it('starts from U[−1, 1)/dim (gensim 4), and a negligible rate leaves the start', async () => {
    const dim = 20;
    const v = await trainWord2Vec(corpus, { dim, minCount: 1, epochs: 1, alpha: 1e-12, minAlpha: 0, seed: 4 });
    const all = v.words.flatMap((w) => Array.from(v.get(w)));
    expect(Math.min(...all)).toBeGreaterThanOrEqual(-1 / dim - 1e-9);
    expect(Math.max(...all)).toBeLessThan(1 / dim + 1e-9);
    expect(Math.max(...all)).toBeGreaterThan(0.9 / dim);
    expect(Math.abs(all.reduce((s, x) => s + x, 0) / all.length)).toBeLessThan(0.1 / dim);
  });

  it('vocabulary: count descending, minCount drops rare words, out-of-vocabulary tokens are skipped', async () => {
    const v = await trainWord2Vec(['a a a b b c', 'a b d'], { dim: 4, minCount: 2, epochs: 1 });
    expect(v.words).toEqual(['a', 'b']);
    const vocab = Vocabulary.fromCounts([
      ['b', 5],
      ['zzz', 1],
    ]);
    const w = await trainWord2Vec(['a a a b b c'], { dim: 4, vocab, epochs: 1 });
    expect(w.words).toEqual(['b', 'zzz']);
  });

  it('onEpoch: raw and effective words, the decaying rate; sample 0 keeps every in-vocabulary token', async () => {
    const infos: Word2VecEpochInfo[] = [];
    const docs = ['a b c d e', 'a b', '', 'x y a'];
    await trainWord2Vec(docs, { dim: 4, minCount: 2, epochs: 4, sample: 0, alpha: 0.1, minAlpha: 0.02, onEpoch: (i) => infos.push(i) });
    expect(infos.map((i) => i.epoch)).toEqual([1, 2, 3, 4]);
    // 10 raw tokens; 'a' (3) and 'b' (2) kept: 5 effective words
    for (const i of infos) {
      expect(i.rawWords).toBe(10);
      expect(i.effectiveWords).toBe(5);
      expect(i.seconds).toBeGreaterThanOrEqual(0);
    }
    // one job per epoch (10 raw words): its rate is set where the epoch starts
    expect(infos.map((i) => i.alpha)).toEqual([0.1, 0.1 - 0.08 * 0.25, 0.1 - 0.08 * 0.5, 0.1 - 0.08 * 0.75].map((x) => expect.closeTo(x, 12)));
    const sampled: number[] = [];
    const many = Array.from({ length: 200 }, () => 'the the the the the the the the cat dog');
    await trainWord2Vec(many, { dim: 4, minCount: 1, epochs: 1, sample: 0.01, onEpoch: (i) => sampled.push(i.effectiveWords) });
    // 'the' (1600 of 2000 tokens, t = 20) is kept with p ≈ 0.124; cat, dog (200 each, p ≈ 0.416)
    const expected = 1600 * (Math.sqrt(1600 / 20) + 1) * (20 / 1600) + 400 * (Math.sqrt(200 / 20) + 1) * (20 / 200);
    expect(Math.abs(sampled[0] - expected)).toBeLessThan(60);
  });

  it('progress: true writes a line with words/s and the learning rate', async () => {
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => {
      out.push(String(s));
      return true;
    }) as typeof process.stdout.write;
    try {
      await trainWord2Vec(corpus, { dim: 4, minCount: 1, epochs: 2, progress: true });
    } finally {
      process.stdout.write = write;
    }
    const text = out.join('');
    expect(text).toMatch(/word2vec epoch 2\/2 \[=+\] 100% {2}[\d,]+ words\/s {2}lr 0\.\d{6} {2}ETA 00:00/);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('bad options and inputs are typed errors', async () => {
    const bad = async (opts: unknown, pattern: RegExp, input: unknown = corpus): Promise<void> => {
      const e = await trainWord2Vec(input as string, opts as Word2VecOptions).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ArgumentError);
      expect(String((e as Error).message)).toMatch(pattern);
    };
    await bad({ size: 10 }, /trainWord2Vec.*size/);
    await bad({ dim: 0 }, /dim must be an integer >= 1, got a number \(0\)/);
    await bad({ window: 1.5 }, /window must be an integer >= 1/);
    await bad({ epochs: 0 }, /epochs must be an integer >= 1/);
    await bad({ negative: -1 }, /negative must be an integer >= 0/);
    await bad({ workers: 0 }, /workers must be an integer >= 1/);
    await bad({ sg: 2 }, /sg must be 0, 1 or a boolean, got a number \(2\)/);
    await bad({ hs: 'yes' }, /hs must be 0, 1 or a boolean/);
    await bad({ sample: -0.1 }, /sample must be a finite number >= 0/);
    await bad({ alpha: 0 }, /alpha must be a finite number > 0/);
    await bad({ alpha: Number.NaN }, /alpha must be a finite number > 0/);
    await bad({ minAlpha: 0.5 }, /minAlpha \(0\.5\) must not exceed alpha \(0\.025\)/);
    await bad({ negative: 0 }, /negative = 0 and hs = 0 leave nothing to train/);
    await bad({ cbowMean: 1 }, /cbowMean must be a boolean/);
    await bad({ onEpoch: 'log' }, /onEpoch must be a function/);
    await bad({ vocab: ['a'] }, /vocab must be a Vocabulary/);
    await bad({ vocab: Vocabulary.fromCounts([['apple', 3]]), minCount: 2 }, /minCount applies when the vocabulary is built from the corpus/);
    await bad({}, /the corpus has no tokens/, '');
    await bad({}, /the corpus has no tokens/, ['', '  ', '!!']);
    await bad({ minCount: 1000 }, /no word occurs at least minCount = 1000 times \(the most frequent occurs \d+ times\)/);
    await bad({ vocab: Vocabulary.fromCounts([['zebra', 2]]) }, /no token of the corpus is in the vocabulary \(1 words, 3600 tokens\)/);
    await bad(
      { vocab: Vocabulary.fromJSON({ format: 'aimodel-vocabulary', version: 1, specials: [], words: ['apple'], counts: [0] }) },
      /every word of the vocabulary has count 0/,
    );
    await bad({}, /documents: expected a string, an array of strings or a \(sync or async\) iterable of lines, got a number/, 42);
  });

  it('a one-shot async iterable corpus is read once', async () => {
    async function* lines(): AsyncGenerator<string> {
      for (const d of corpus.slice(0, 40)) yield d;
    }
    const v = await trainWord2Vec(lines(), { dim: 4, minCount: 1, epochs: 2 });
    expect(v.words.length).toBe(16);
  });

  it('workers from the sources (no built worker beside them) are a DeviceError naming the file', async () => {
    await expect(trainWord2Vec(corpus, { minCount: 1, workers: 2 })).rejects.toThrow(/threads need the worker script .*word2vec-worker\.js, which is missing/);
  });
});

// Workers load dist/word2vec-worker.(c)js beside the built entry, so these tests run the built
// package, as ESM and as CommonJS.
describe('trainWord2Vec: Hogwild workers (built package)', () => {
  const load = async (format: 'esm' | 'cjs'): Promise<typeof import('../src/index')> =>
    format === 'esm' ? import('../dist/index.js' as string) : (await import('node:module')).createRequire(import.meta.url)('../dist/index.cjs');
  for (const format of ['esm', 'cjs'] as const) {
    it(`2 workers (${format}) train every job and keep the topics apart`, async () => {
      const nlp = await load(format);
      const infos: Word2VecEpochInfo[] = [];
      const v = await nlp.trainWord2Vec(twoTopics(2000), {
        dim: 16,
        window: 3,
        minCount: 1,
        epochs: 3,
        seed: 3,
        sg: 1,
        workers: 2,
        sample: 0,
        onEpoch: (i) => infos.push(i),
      });
      // 2000 documents × 12 words = 24 000 raw words (3 jobs) per epoch, all in the vocabulary
      expect(infos.map((i) => [i.rawWords, i.effectiveWords])).toEqual([
        [24000, 24000],
        [24000, 24000],
        [24000, 24000],
      ]);
      expect(clusterPurity(v)).toBeGreaterThanOrEqual(0.95);
    });
  }
});
