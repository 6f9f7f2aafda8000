import { describe, it, expect, afterEach } from 'vitest';
import type { View } from '../../src/backend/backend';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import { normalize, normalizeBackward } from '../../src/backend/cpu/norm';
import { setSimdPath } from '../../src/backend/cpu/wasm/simd-driver';
import { contiguous, firstDifference, numel, rand, storage, view } from './simd-helpers';

// The WebAssembly SIMD layer normalization against the JS loop it replaces (same views, forced
// with setSimdPath): x̂ is computed the same way (float64 statistics, one rounding), so the
// results agree to the last bit or nearly.

afterEach(() => setSimdPath('auto'));

interface Case {
  x: View;
  w: View | null;
  b: View | null;
  rowDims: number;
}

function run(c: Case, path: 'js' | 'wasm') {
  expect(setSimdPath(path)).toBe(true);
  const rows = numel(c.x.shape.slice(0, c.rowDims));
  const out = view(new Float32Array(numel(c.x.shape)), [...c.x.shape]);
  const mean = storage(new Float32Array(rows));
  const variance = storage(new Float32Array(rows));
  normalize(c.x, c.w, c.b, out, mean, variance, { rowDims: c.rowDims, eps: 1e-5 });
  setSimdPath('auto');
  return { y: (out.storage as CpuStorage).data, mean: mean.data, variance: variance.data };
}

/** A layerNorm case: x [...rows, ...cols] with weight / bias over the cols, broadcast over the rows. */
function layerNorm(rows: number[], cols: number[], seed: number, affine: 'none' | 'w' | 'b' | 'wb', lo = -3, hi = 3): Case {
  const shape = [...rows, ...cols];
  const k = numel(cols);
  const affineView = (d: Float32Array) => view(d, shape, [...rows.map(() => 0), ...contiguous(cols)]);
  return {
    x: view(rand(numel(shape), seed, lo, hi), shape),
    w: affine.includes('w') ? affineView(rand(k, seed + 1, 0.5, 2)) : null,
    b: affine.includes('b') ? affineView(rand(k, seed + 2)) : null,
    rowDims: rows.length,
  };
}

function expectSame(c: Case, what: string) {
  const [js, wasm] = [run(c, 'js'), run(c, 'wasm')];
  expect(wasm.y, `${what}: y`).toBeAllClose(js.y, { rtol: 1e-6, atol: 1e-6 });
  expect(wasm.mean, `${what}: mean`).toBeAllClose(js.mean, { rtol: 1e-6, atol: 1e-7 });
  expect(wasm.variance, `${what}: variance`).toBeAllClose(js.variance, { rtol: 1e-6, atol: 1e-7 });
}

describe('cpu SIMD layer normalization = the JS loop', () => {
  it.each(['none', 'w', 'b', 'wb'] as const)('affine %s: row lengths 1 to 20000, batches of rows, 2 row dims', (affine) => {
    for (const [rows, cols] of [
      [[1], [1]],
      [[3], [3]],
      [[5], [8]],
      [[4], [9]],
      [[40], [1024]], // dense rows over three batches
      [[3], [4099]],
      [[2], [20000]], // one row per call
      [
        [2, 3],
        [4, 5],
      ],
      [[2], [3, 7]],
    ] as [number[], number[]][])
      expectSame(layerNorm(rows, cols, rows[0] + cols[0], affine), `${rows}|${cols}`);
  });

  it('keeps a large mean from swamping a small variance (float64 statistics)', () => {
    const c = layerNorm([6], [37], 5, 'wb', 999.99, 1000.01);
    expectSame(c, 'offset rows');
    const js = run(c, 'js');
    expect(Math.max(...Array.from(js.variance))).toBeGreaterThan(0);
  });

  it('gathers strided rows: a transposed x, per-row weight and bias, a weight varying along both (JS)', () => {
    const base = layerNorm([4], [64], 9, 'wb');
    const t = view(rand(64 * 4, 3), [4, 64], [1, 4]); // transposed x
    expectSame({ ...base, x: t }, 'transposed');
    const perRow = view(rand(4, 4, 0.5, 2), [4, 64], [1, 0]);
    expectSame({ ...base, w: perRow, b: null }, 'per-row weight');
    expectSame({ ...base, w: perRow, b: view(rand(4, 5), [4, 64], [1, 0]) }, 'per-row weight and bias');
    expectSame({ ...base, w: view(rand(256, 6), [4, 64]) }, 'full weight (JS loop)');
    expectSame({ ...base, w: perRow }, 'per-row weight, shared bias (JS loop)');
  });

  it.each([
    [2, 3, 5, 7],
    [4, 8, 16, 16],
    [1, 2, 1, 3],
  ])('batchNorm layout: x [%i, %i, %i, %i] as [C, N, H, W] rows, per-channel weight and bias, permuted out', (n, c, h, w) => {
    const shape = [c, n, h, w];
    const strides = [h * w, c * h * w, w, 1]; // NCHW memory, channel rows
    const x = view(rand(n * c * h * w, n + c, -2, 5), shape, strides);
    const perChannel = (seed: number) => view(rand(c, seed, 0.5, 2), shape, [1, 0, 0, 0]);
    for (const [wv, bv] of [
      [null, null],
      [perChannel(1), null],
      [perChannel(2), perChannel(3)],
    ] as const) {
      const c0: Case = { x, w: wv, b: bv, rowDims: 1 };
      const go = (path: 'js' | 'wasm') => {
        expect(setSimdPath(path)).toBe(true);
        const out = view(new Float32Array(n * c * h * w), shape, strides);
        const [mean, variance] = [storage(new Float32Array(c)), storage(new Float32Array(c))];
        normalize(c0.x, c0.w, c0.b, out, mean, variance, { rowDims: 1, eps: 1e-5 });
        setSimdPath('auto');
        return [(out.storage as CpuStorage).data, mean.data, variance.data];
      };
      const [js, wasm] = [go('js'), go('wasm')];
      for (let i = 0; i < 3; i++) expect(wasm[i], `${!!wv} ${!!bv} output ${i}`).toBeAllClose(js[i], { rtol: 1e-6, atol: 1e-6 });
    }
  });

  it('batchNorm1d layout: x [N, C] as [C, N] rows, strided in and out', () => {
    const [n, c] = [37, 6];
    const x = view(rand(n * c, 12), [c, n], [1, c]);
    const perChannel = view(rand(c, 13, 0.5, 2), [c, n], [1, 0]);
    const go = (path: 'js' | 'wasm') => {
      expect(setSimdPath(path)).toBe(true);
      const out = view(new Float32Array(n * c), [c, n], [1, c]);
      const [mean, variance] = [storage(new Float32Array(c)), storage(new Float32Array(c))];
      normalize(x, perChannel, perChannel, out, mean, variance, { rowDims: 1, eps: 1e-5 });
      setSimdPath('auto');
      return [(out.storage as CpuStorage).data, mean.data, variance.data];
    };
    const [js, wasm] = [go('js'), go('wasm')];
    for (let i = 0; i < 3; i++) expect(wasm[i], `output ${i}`).toBeAllClose(js[i], { rtol: 1e-6, atol: 1e-6 });
  });

  it('computes the statistics and output by hand on a tiny row', () => {
    const c: Case = { x: view(Float32Array.from([1, 2, 3, 4, 10]), [1, 5]), w: null, b: null, rowDims: 1 };
    const got = run(c, 'wasm');
    expect(got.mean[0]).toBeCloseTo(4, 6);
    expect(got.variance[0]).toBeCloseTo(10, 5); // (9 + 4 + 1 + 0 + 36) / 5
    expect(Array.from(got.y)).toBeAllClose(
      [-3, -2, -1, 0, 6].map((d) => d / Math.sqrt(10 + 1e-5)),
      { rtol: 1e-6, atol: 1e-7 },
    );
  });

  it.each([
    [false, false],
    [true, false],
    [true, true],
    [false, true],
  ])('backward (weight %s, gy·x̂ %s) = the JS loop: row lengths 3 to 20000, batches, strided gy rows', (withW, withH) => {
    for (const [rows, k] of [
      [3, 3],
      [4, 9],
      [40, 1024],
      [5, 4099],
      [2, 20000],
    ]) {
      const c = layerNorm([rows], [k], rows + k, withW ? 'w' : 'none');
      const { mean, variance } = run(c, 'js');
      const gyData = rand(rows * k * 2, 77);
      const gy = view(gyData, [rows, k], [2 * k, 1], k); // every other row of a bigger tensor
      const go = (path: 'js' | 'wasm') => {
        expect(setSimdPath(path)).toBe(true);
        const gx = view(new Float32Array(rows * k), [rows, k]);
        const h = withH ? view(new Float32Array(rows * k), [rows, k]) : null;
        const stat = (d: Float32Array) => view(d, [rows]);
        normalizeBackward(c.x, c.w, gy, stat(mean as Float32Array), stat(variance as Float32Array), gx, h, { rowDims: 1, eps: 1e-5 });
        setSimdPath('auto');
        return [(gx.storage as CpuStorage).data, h ? (h.storage as CpuStorage).data : new Float32Array(0)];
      };
      const [js, wasm] = [go('js'), go('wasm')];
      expect(wasm[0], `∂x ${rows}×${k}`).toBeAllClose(js[0], { rtol: 1e-6, atol: 1e-7 });
      expect(firstDifference(wasm[1], js[1]), `gy·x̂ ${rows}×${k}`).toBe(-1);
    }
  });
});
