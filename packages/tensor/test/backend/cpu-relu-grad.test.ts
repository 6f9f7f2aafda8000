import { afterEach, describe, expect, it } from 'vitest';
import { binary } from '../../src/backend/cpu/elementwise';
import { setSimdPath } from '../../src/backend/cpu/wasm/simd-driver';
import { memory, randn, relu, scope, tensor } from '../../src/index';
import { on, rand, storage, view } from './simd-helpers';

// relu's gradient as one kernel (binary 'reluGrad': a where b > 0, else a·0) against the
// composition it replaces, gy·(x > 0): same bits on the JS and SIMD paths, specials included.

afterEach(() => setSimdPath('auto'));

const SPECIALS = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3.4e38, -2.5, 7];
/** gy·(x > 0) in float32, as mul(gy, gt(x, 0)) computes it. */
const reference = (a: Float32Array, b: Float32Array) => Float32Array.from(a, (v, i) => v * (b[i] > 0 ? 1 : 0));
/** Values with −0 and NaN spelled out (NaN payloads may differ between paths: both are NaN). */
const bits = (x: Float32Array) => Array.from(x, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v));

describe('cpu reluGrad', () => {
  it('every pair of specials, on both paths, keeps the sign of zero and NaN/∞ · 0 = NaN', () => {
    const n = SPECIALS.length ** 2;
    const a = Float32Array.from({ length: n }, (_, i) => SPECIALS[i % SPECIALS.length]);
    const b = Float32Array.from({ length: n }, (_, i) => SPECIALS[Math.floor(i / SPECIALS.length)]);
    for (const path of ['js', 'wasm'] as const) {
      const out = storage(new Float32Array(n));
      on(path, () => binary('reluGrad', view(a, [n]), view(b, [n]), out));
      expect(bits(out.data as Float32Array), path).toEqual(bits(reference(a, b)));
    }
    // hand-checked corners: gy −3 masked gives −0; NaN gy masked stays NaN; x = 0 and x = NaN mask
    const out = storage(new Float32Array(4));
    on('wasm', () => binary('reluGrad', view(Float32Array.of(-3, Number.NaN, 5, 5), [4]), view(Float32Array.of(-1, -1, 0, Number.NaN), [4]), out));
    expect(Object.is(out.data[0], -0)).toBe(true);
    expect(Number.isNaN(out.data[1])).toBe(true);
    expect(Array.from(out.data.subarray(2))).toEqual([0, 0]);
  });

  it('lengths 1…37 (vector tails), a scalar and a row-broadcast mask, strided views: SIMD equals JS', () => {
    for (let n = 1; n <= 37; n++) {
      const a = rand(n, n),
        b = rand(n, 100 + n);
      const run = (path: 'js' | 'wasm') => {
        const out = storage(new Float32Array(n));
        on(path, () => binary('reluGrad', view(a, [n]), view(b, [n]), out));
        return bits(out.data as Float32Array);
      };
      expect(run('wasm'), `n ${n}`).toEqual(bits(reference(a, b)));
      expect(run('js'), `n ${n}`).toEqual(run('wasm'));
    }
    const [rows, cols] = [9, 40];
    const a = rand(rows * cols * 2, 5),
      b = rand(cols, 6);
    const cases = [
      // every other element of a (strided), b one row broadcast down the rows, a scalar b
      [view(a, [rows, cols], [2 * cols, 2]), view(b, [rows, cols], [0, 1])],
      [view(a, [rows, cols]), view(Float32Array.of(0.5), [rows, cols], [0, 0])],
      [view(a, [rows, cols]), view(Float32Array.of(-0.5), [rows, cols], [0, 0])],
    ];
    for (const [i, [va, vb]] of cases.entries()) {
      const run = (path: 'js' | 'wasm') => {
        const out = storage(new Float32Array(rows * cols));
        on(path, () => binary('reluGrad', va, vb, out));
        return bits(out.data as Float32Array);
      };
      expect(run('wasm'), `case ${i}`).toEqual(run('js'));
    }
  });

  it("relu's gradient equals gy·(x > 0) bit for bit, on both paths, small and large (the heap's zero-copy path, split across the threads when they run), without leaks", () => {
    for (const path of ['js', 'wasm'] as const)
      for (const shape of [[6], [64, 8, 28, 28]]) {
        expect(setSimdPath(path)).toBe(true);
        const before = memory().tensors;
        const [got, want] = scope(() => {
          const x = randn(shape);
          const gy = randn(shape);
          if (shape.length === 1) {
            x.assign(tensor([-1, 0, Number.NaN, 2, -0, Infinity]));
            gy.assign(tensor([Number.NaN, -3, 4, Infinity, 5, -2]));
          }
          const xx = x.detach();
          xx.requiresGrad = true;
          relu(xx).backward(gy);
          return [xx.grad!.dataSync() as Float32Array, gy.mul(x.gt(0)).dataSync() as Float32Array];
        });
        expect(bits(got), `${path} ${shape}`).toEqual(bits(want));
        if (shape.length === 1) expect(Array.from(got)).toEqual([Number.NaN, -0, 0, Infinity, 0, -2]);
        expect(memory().tensors, `${path} ${shape}`).toBe(before);
      }
  });
});
