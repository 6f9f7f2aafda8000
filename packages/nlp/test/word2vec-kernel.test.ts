import { describe, expect, it } from 'vitest';
import { sigmoidTable } from '../src/word2vec-tables';
import { instantiateSteps } from '../src/word2vec-wasm';

// The WebAssembly SIMD step against gensim's update, by hand: for each listed row r with label ℓ,
// f = v·r; skipped when |f| ≥ 6; else g = (ℓ − σ_table(f))·α, work += g·r, r += g·v.
describe('word2vec kernel (WebAssembly SIMD steps)', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const steps = instantiateSteps(memory, 1, false);
  const f32 = (at: number, n: number) => new Float32Array(memory.buffer, at, n);
  const [SIG, V, WORK, OUT, ROWS, LABELS] = [0, 4096, 4160, 4224, 4480, 4496];

  it('updates rows in order, skips |f| ≥ 6, accumulates work', () => {
    expect(steps).toBeDefined();
    f32(SIG, 1000).set(sigmoidTable());
    const v = [0.5, -1, 0.25, 2, 1, 0, 0, -0.5]; // dim 8: two f32x4 lanes per row
    f32(V, 8).set(v);
    f32(WORK, 8).fill(0);
    const rows = [
      [1, 0.5, -2, 0.25, 0, 0, 0, 0], // f = 0.5 − 0.5 − 0.5 + 0.5 = 0 → σ = table[500] = 0.5
      [4, -4, 0, 2, 0, 0, 0, 0], // f = 2 + 4 + 4 = 10 → skipped
      [1, 0, 0, 0.4, 0, 0, 0, 0], // f = 0.5 + 0.8 = 1.3 → table[⌊7.3·1000/12⌋] = table[608]
    ];
    f32(OUT, 24).set(rows.flat());
    new Int32Array(memory.buffer, ROWS, 3).set([0, 32, 64]); // byte offsets of the rows
    f32(LABELS, 3).set([1, 0, 0]);
    const alpha = 0.1;
    (steps as NonNullable<typeof steps>)(V, WORK, OUT, ROWS, LABELS, 3, alpha, 32, SIG);
    const sig = sigmoidTable();
    expect(sig[500]).toBe(0.5);
    const g0 = (1 - 0.5) * alpha;
    const g2 = (0 - sig[608]) * alpha;
    const out = Array.from(f32(OUT, 24));
    const work = Array.from(f32(WORK, 8));
    for (let k = 0; k < 8; k++) {
      expect(out[k]).toBeCloseTo(rows[0][k] + g0 * v[k], 6);
      expect(out[8 + k]).toBe(rows[1][k]);
      expect(out[16 + k]).toBeCloseTo(rows[2][k] + g2 * v[k], 6);
      expect(work[k]).toBeCloseTo(g0 * rows[0][k] + g2 * rows[2][k], 6);
    }
  });

  it('n = 0 changes nothing; a shared memory works too', () => {
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const s = instantiateSteps(shared, 1, true);
    expect(s).toBeDefined();
    const work = new Float32Array(shared.buffer, WORK, 8).fill(3);
    (s as NonNullable<typeof s>)(V, WORK, OUT, ROWS, LABELS, 0, 0.1, 32, SIG);
    expect(Array.from(work)).toEqual([3, 3, 3, 3, 3, 3, 3, 3]);
  });
});
