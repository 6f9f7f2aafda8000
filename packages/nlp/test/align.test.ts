import { ArgumentError, linalg, manualSeed, randn, ShapeError, scope } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';
import { alignProcrustes, cslsNeighbors, evaluateTranslation, WordVectors } from '../src/index';

/** A random d×d orthogonal matrix (Q of a Gaussian matrix's QR) and n random vectors, as typed arrays. */
function rotationProblem(n: number, d: number, seed: number): { q: Float32Array; x: Float32Array } {
  manualSeed(seed);
  return scope(() => ({ q: linalg.qr(randn([d, d])).Q.dataSync() as Float32Array, x: randn([n, d]).dataSync() as Float32Array }));
}

function times(x: Float32Array, n: number, w: Float32Array | Float64Array, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < d; k++) {
      const xk = x[i * d + k];
      for (let j = 0; j < d; j++) out[i * d + j] += xk * w[k * d + j];
    }
  return out;
}

const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('alignProcrustes', () => {
  it('recovers a random 50×50 rotation to 1e-6 from 1,000 noiseless pairs', () => {
    const [n, d] = [1000, 50];
    const { q, x } = rotationProblem(n, d, 11);
    const source = new WordVectors(words('s', n), x, d);
    const target = new WordVectors(words('t', n), times(x, n, q, d), d);
    const dict = words('s', n).map((w, i) => [w, `t${i}`] as [string, string]);
    const a = alignProcrustes(source, target, dict);
    expect(a.pairs).toBe(n);
    let worst = 0;
    for (let i = 0; i < d * d; i++) worst = Math.max(worst, Math.abs(a.matrix[i] - q[i]));
    expect(worst).toBeLessThan(1e-6);
    // and the map sends each source vector onto its target
    const mapped = a.apply(source);
    expect(evaluateTranslation(mapped, target, dict.slice(0, 200), { method: 'nn' }).precisionAt1).toBe(1);
  });

  it('recovers it within the noise from noisy pairs', () => {
    const [n, d] = [1000, 20];
    const { q, x } = rotationProblem(n, d, 12);
    manualSeed(13);
    const noise = scope(() => randn([n, d]).mul(0.01).dataSync());
    const y = times(x, n, q, d).map((v, i) => v + noise[i]);
    const a = alignProcrustes(
      new WordVectors(words('s', n), x, d),
      new WordVectors(words('t', n), y, d),
      words('s', n).map((w, i) => [w, `t${i}`] as [string, string]),
    );
    let worst = 0;
    for (let i = 0; i < d * d; i++) worst = Math.max(worst, Math.abs(a.matrix[i] - q[i]));
    // noise σ = 0.01 over 1,000 pairs: the estimate's error is about σ/√n per entry
    expect(worst).toBeLessThan(2e-3);
    expect(worst).toBeGreaterThan(0);
  });

  it('a 90° rotation by hand, normalisation steps, and W is orthogonal', () => {
    const src = new WordVectors(['a', 'b', 'c'], new Float32Array([2, 0, 0, 3, 1, 1]), 2);
    const tgt = new WordVectors(['x', 'y', 'z'], new Float32Array([0, 2, -3, 0, -1, 1]), 2);
    const a = alignProcrustes(src, tgt, 'a x\nb y\n');
    // x ↦ xW with W = [[0, 1], [−1, 0]] turns (2, 0) into (0, 2)
    Array.from(a.matrix).forEach((v, i) => expect(v).toBeCloseTo([0, 1, -1, 0][i], 6));
    const m = a.apply(src);
    Array.from(m.get('c')).forEach((v, i) => expect(v).toBeCloseTo([-1, 1][i], 6));
    const unit = alignProcrustes(
      src,
      tgt,
      [
        ['a', 'x'],
        ['b', 'y'],
      ],
      { normalize: ['unit'] },
    );
    expect(unit.apply(src).get('a')[1]).toBeCloseTo(1, 6); // unit-normalised, then rotated
  });

  it('rejects bad input with typed errors', () => {
    const src = new WordVectors(['a'], new Float32Array([1, 0]), 2);
    const tgt = new WordVectors(['x'], new Float32Array([0, 1]), 2);
    const small = new WordVectors(['x'], new Float32Array([1]), 1);
    expect(() => alignProcrustes(src, small, [['a', 'x']])).toThrow(ShapeError);
    expect(() => alignProcrustes(src, tgt, [])).toThrow('alignProcrustes: the dictionary has no usable pairs');
    expect(() => alignProcrustes(src, tgt, [['a', 'nope']])).toThrow("alignProcrustes: target word 'nope' of the dictionary is not in its space");
    expect(
      alignProcrustes(
        src,
        tgt,
        [
          ['a', 'x'],
          ['zz', 'x'],
        ],
        { skipMissing: true },
      ).pairs,
    ).toBe(1);
    expect(() => alignProcrustes(src, tgt, 'a x y')).toThrow('alignProcrustes: dictionary line 1 has 3 fields');
    expect(() => alignProcrustes(src, tgt, [['a', 'x']], { normalise: [] } as never)).toThrow(/unknown option 'normalise'/);
    expect(() => alignProcrustes(src, tgt, [['a', 'x']], { normalize: ['l2' as never] })).toThrow(ArgumentError);
    expect(() => alignProcrustes(src, tgt, [['a', 'x']]).apply(small)).toThrow(ShapeError);
  });
});

describe('CSLS and translation precision', () => {
  // 'hub' sits between both mapped words; the hand computation checks CSLS's penalties term by term.
  const mapped = new WordVectors(['a', 'b'], new Float32Array([1, 0, 0, 1]), 2);
  const target = new WordVectors(['hub', 'x', 'y'], new Float32Array([0.71, 0.7, 0.9, -0.44, -0.44, 0.9]), 2);

  it('CSLS = 2cos − r_T − r_S, computed by hand with k = 1', () => {
    const cos = (u: number[], v: number[]) => (u[0] * v[0] + u[1] * v[1]) / Math.hypot(...u) / Math.hypot(...v);
    const t = { hub: [0.71, 0.7], x: [0.9, -0.44], y: [-0.44, 0.9] };
    const a = [1, 0];
    // r_T(a): a's nearest target is hub (cos 0.712) vs x (0.898): x. r_S(y): y's nearest mapped word is b.
    const rTa = Math.max(cos(a, t.hub), cos(a, t.x), cos(a, t.y));
    const rS = (v: number[]) => Math.max(cos(v, [1, 0]), cos(v, [0, 1]));
    const [[best]] = cslsNeighbors(mapped, target, ['a'], { k: 1 });
    expect(best[0]).toBe('x');
    expect(best[1]).toBeCloseTo(2 * cos(a, t.x) - rTa - rS(t.x), 5);
    const all = cslsNeighbors(mapped, target, ['a', 'b'], { k: 2, topN: 3 });
    expect(all.map((r) => r.length)).toEqual([3, 3]);
  });

  it('nearest neighbour and CSLS agree on well-separated translations; skipped pairs are counted', () => {
    const hubby = new WordVectors(['hub', 'x', 'y'], new Float32Array([0.75, 0.66, 0.6, -0.1, -0.1, 0.6]), 2);
    const dict: [string, string][] = [
      ['a', 'x'],
      ['b', 'y'],
    ];
    expect(evaluateTranslation(mapped, hubby, dict, { method: 'nn' }).precisionAt1).toBe(1);
    expect(evaluateTranslation(mapped, hubby, dict, { method: 'csls', k: 2 }).precisionAt1).toBe(1);
    const e = evaluateTranslation(mapped, target, [...dict, ['zz', 'x']], { method: 'csls', k: 1 });
    expect(e).toEqual({ precisionAt1: 1, precisionAt5: 1, queries: 2, skipped: 1 });
  });

  it('counts a hit for any of several translations, and errors are typed', () => {
    const e = evaluateTranslation(
      mapped,
      target,
      [
        ['a', 'y'],
        ['a', 'x'],
      ],
      { method: 'nn' },
    );
    expect(e.queries).toBe(1);
    expect(e.precisionAt1).toBe(1);
    expect(() => evaluateTranslation(mapped, target, [['q', 'x']])).toThrow('evaluateTranslation: no dictionary pair has both words in the spaces (1 skipped)');
    expect(() => evaluateTranslation(mapped, target, [['a', 'x']], { method: 'knn' as never })).toThrow(ArgumentError);
    expect(() => cslsNeighbors(mapped, target, ['nope'])).toThrow("cslsNeighbors: word 'nope' not in vocabulary");
    expect(() => cslsNeighbors(mapped, target, ['a'], { k: 0 })).toThrow('cslsNeighbors: k must be a positive integer');
  });
});
