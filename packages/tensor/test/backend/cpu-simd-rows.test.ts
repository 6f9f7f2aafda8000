import { describe, it, expect, afterEach } from 'vitest';
import type { ReduceOp, View } from '../../src/backend/backend';
import { softmax } from '../../src/backend/cpu/softmax';
import { reduce } from '../../src/backend/cpu/reduce';
import { setSimdPath } from '../../src/backend/cpu/wasm/simd-driver';
import { contiguous, firstDifference, numel, on, rand, storage, view } from './simd-helpers';

// The WebAssembly SIMD softmax and reductions against the plain-JS loops they replace (same
// views, forced with setSimdPath): row lengths around the padding and batching edges, strided
// rows, NaN and ±∞.

afterEach(() => setSimdPath('auto'));

function runSoftmax(x: View, log: boolean, path: 'js' | 'wasm'): Float32Array {
  const out = storage(new Float32Array(numel(x.shape)));
  on(path, () => softmax(x, x.shape.length - 1, log, out));
  return out.data as Float32Array;
}

describe('cpu SIMD softmax / logSoftmax = the JS loop', () => {
  it.each([false, true])('log %s: row lengths 1 to 20000, offsets and strided rows', (log) => {
    for (const [m, n] of [
      [1, 1],
      [4, 3],
      [3, 8],
      [5, 9],
      [2, 1023],
      [6, 37], // padded to 40: one unrolled trip of 32, then two single vectors
      [7, 1024],
      [3, 1004], // zero copy: unrolled trips, then three single vectors
      [40, 1024], // dense rows over three batches
      [2, 20000], // one row per call
    ] as const) {
      const data = rand(m * n * 2 + 3, m + n, -20, 20);
      for (const x of [view(data, [m, n]), view(data, [m, n], [2 * n, 1], 3)])
        expect(runSoftmax(x, log, 'wasm'), `${m}×${n}`).toBeAllClose(runSoftmax(x, log, 'js'), { rtol: 2e-6, atol: 1e-7 });
    }
  });

  it.each([false, true])('log %s: e^(x − max) within a few float32 ulp down to x − max = −87', (log) => {
    // one 0 and 68 values spread over [−87, 0): the sum is ≈ 1.4, the outputs span 10⁻³⁸ to 0.7
    const n = 69;
    const data = Float32Array.from({ length: n }, (_, i) => (i === 0 ? 0 : -87 + (87 * (i - 1)) / (n - 1) + 0.1234));
    const x = view(data, [1, n]);
    const wasm = runSoftmax(x, log, 'wasm');
    const js = runSoftmax(x, log, 'js');
    for (let i = 0; i < n; i++) expect(Math.abs(wasm[i] - js[i]), `x = ${data[i]}`).toBeLessThanOrEqual(3e-7 * Math.abs(js[i]));
  });

  it('gives NaN for all −∞ rows and rows with NaN or +∞, as the JS loop', () => {
    const rows = [Array(9).fill(-Infinity), [1, 2, Number.NaN, 4, 5, 6, 7, 8, 9], [1, Infinity, 3, 4, 5, 6, 7, 8, 9], [-Infinity, 0, 0, 0, 0, 0, 0, 0, 0]];
    const x = view(Float32Array.from(rows.flat()), [4, 9]);
    for (const log of [false, true]) expect(Array.from(runSoftmax(x, log, 'wasm'))).toEqual(Array.from(runSoftmax(x, log, 'js')));
    expect(runSoftmax(x, false, 'wasm')[27]).toBe(0);
    expect(runSoftmax(x, false, 'wasm')[28]).toBeCloseTo(1 / 8, 7);
  });
});

function runReduce(op: ReduceOp, x: View, dims: number[], path: 'js' | 'wasm'): Float32Array {
  const kept = x.shape.filter((_, i) => !dims.includes(i));
  const out = storage(new Float32Array(numel(kept)));
  on(path, () => reduce(op, x, dims, out));
  return out.data as Float32Array;
}

describe('cpu SIMD reductions = the JS loops', () => {
  it.each(['sum', 'max', 'min'] as const)('%s over the last dim, trailing dims and all, any length', (op) => {
    for (const shape of [
      [3, 16],
      [4, 17],
      [2, 3, 33],
      [5, 4099],
      [40, 1024],
      [1, 40000],
      [2, 0],
    ]) {
      const data = rand(numel(shape) + 2, numel(shape));
      const x = view(data, shape);
      const dimsList = [[shape.length - 1], shape.map((_, i) => i)];
      if (shape.length === 3) dimsList.push([1, 2], [2, 1]);
      for (const dims of dimsList)
        expect(runReduce(op, x, dims, 'wasm'), `${op} ${shape} over ${dims}`).toBeAllClose(runReduce(op, x, dims, 'js'), { rtol: 1e-6, atol: 1e-6 });
      const offset = view(data, shape, contiguous(shape), 2);
      expect(runReduce(op, offset, [shape.length - 1], 'wasm')).toBeAllClose(runReduce(op, offset, [shape.length - 1], 'js'), { rtol: 1e-6, atol: 1e-6 });
    }
  });

  it.each(['sum', 'max', 'min'] as const)('%s over leading dims (bias gradients): column pieces, row batches, strided rows', (op) => {
    for (const [shape, dims] of [
      [[2, 8], [0]],
      [[3, 9], [0]],
      [[40, 2049], [0]], // two column pieces
      [[3000, 9], [0]], // three row batches
      [
        [4, 5, 7],
        [0, 1],
      ],
      [[3, 2, 4, 5], [0]],
    ] as [number[], number[]][]) {
      const x = view(rand(numel(shape) + 1, numel(shape)), shape, contiguous(shape), 1);
      expect(runReduce(op, x, dims, 'wasm'), `${op} ${shape} over ${dims}`).toBeAllClose(runReduce(op, x, dims, 'js'), { rtol: 1e-6, atol: 1e-6 });
    }
    const data = rand(10 * 2 * 12, 9);
    data[5 * 24 + 3] = Number.NaN;
    const everyOther = view(data, [10, 12], [24, 1]); // rows 0, 2, 4, … of a [20, 12] tensor
    const [w, j] = [runReduce(op, everyOther, [0], 'wasm'), runReduce(op, everyOther, [0], 'js')];
    expect(firstDifference(w, j)).toBe(-1);
    expect(w[3]).toBeNaN();
  });

  it.each(['sum', 'max', 'min'] as const)('%s over scattered dims with a unit-stride inner one (conv bias gradients)', (op) => {
    for (const [shape, dims] of [
      [
        [2, 3, 4, 5],
        [0, 2, 3],
      ],
      [
        [3, 4, 9],
        [0, 2],
      ],
      [
        [8, 3, 64, 64],
        [0, 2, 3],
      ], // 32768 values per output: two kernel calls each
      [
        [2, 3, 10000],
        [0, 2],
      ], // a line split across two kernel calls
      [
        [2, 5, 3, 1],
        [0, 2, 3],
      ], // the inner reduced dims of size 1 skipped
      [[3, 4, 9], [1]], // inner reduced dim strided: the JS loop
    ] as [number[], number[]][]) {
      const data = rand(numel(shape), numel(shape) + 3);
      data[7] = Number.NaN;
      const x = view(data, shape);
      const [w, j] = [runReduce(op, x, dims, 'wasm'), runReduce(op, x, dims, 'js')];
      if (op === 'sum') expect(w, `${op} ${shape} over ${dims}`).toBeAllClose(j, { rtol: 1e-6, atol: 1e-6 });
      else expect(firstDifference(w, j), `${op} ${shape} over ${dims}`).toBe(-1);
      expect(w.some((v) => v !== v)).toBe(true); // the NaN reached its output
    }
  });

  it('lets NaN win max/min and sums ±∞, as the JS loops', () => {
    const data = rand(3 * 20000, 5);
    data[2 * 20000 + 17000] = Number.NaN; // in the second piece of the last row
    data[7] = Infinity;
    const x = view(data, [3, 20000]);
    for (const op of ['sum', 'max', 'min'] as const) expect(Array.from(runReduce(op, x, [1], 'wasm')), op).toEqual(Array.from(runReduce(op, x, [1], 'js')));
    expect(runReduce('max', x, [1], 'wasm')[2]).toBeNaN();
  });
});
