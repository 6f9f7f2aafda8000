import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { heapEnabled, setHeapEnabled } from '../../src/backend/cpu/heap';
import { setSimdPath, zeroCopy } from '../../src/backend/cpu/wasm/simd-driver';
import { keep, memory, relu, scope, type Tensor, tensor } from '../../src/index';
import { firstDifference, rand } from './simd-helpers';

// Comparisons writing bool bytes and float32 × bool products on heap tensors (zero copy,
// ./simd-driver.ts: c_<op> and m_mul), bit for bit against the JS loops — the ReLU gradient
// (gy · (x > 0)) is made of these two.

let wasOn = true;
beforeAll(() => {
  wasOn = heapEnabled();
  setHeapEnabled(true);
});
afterAll(() => setHeapEnabled(wasOn));
afterEach(() => setSimdPath('auto'));

const SPECIALS = [0, -0, 1, -1, Number.NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38];
/** n values: the specials, then seeded uniforms in [−2, 2) with some exact repeats of 0.5. */
function values(n: number, seed: number): Float32Array {
  const v = rand(n, seed, -2, 2);
  for (let i = 0; i < n; i++) if (i < SPECIALS.length) v[i] = SPECIALS[i];
  for (let i = SPECIALS.length; i < n; i += 7) v[i] = 0.5;
  return v;
}

/** A heap tensor of `shape` holding `data` (the flat tensor it is reshaped from is freed). */
const shaped = (data: Float32Array, shape: number[]) => scope(() => keep(tensor(data).reshape(shape)));

/** f() on the JS and the SIMD path: both results' data, and how many zero-copy calls the SIMD run made. */
function both(f: () => Tensor): { js: ArrayLike<number>; wasm: ArrayLike<number>; direct: number } {
  const run = (path: 'js' | 'wasm') => {
    expect(setSimdPath(path)).toBe(true);
    const before = zeroCopy.calls;
    const t = f();
    const d = t.dataSync();
    t.dispose();
    return { d, calls: zeroCopy.calls - before };
  };
  const js = run('js');
  const wasm = run('wasm');
  return { js: js.d, wasm: wasm.d, direct: wasm.calls };
}

const CMP = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
// shapes: whole multiples of 4, a tail of 1–3, lines of 17 (each line's 3-byte overshoot is overwritten by the next), a single element
const SHAPES = [[64], [37], [6, 17], [3, 5, 19], [1]];

describe('cpu SIMD comparisons into bool bytes (heap, zero copy)', () => {
  it.each(CMP)('%s: tensor op tensor, tensor op scalar, scalar op tensor', (op) => {
    const m0 = memory().tensors;
    for (const shape of SHAPES) {
      const n = shape.reduce((p, d) => p * d, 1);
      const a = shaped(values(n, 1), shape);
      const b = shaped(
        values(n, 2).map((v, i) => (i % 3 === 0 ? values(n, 1)[i] : v)),
        shape,
      ); // a third equal
      for (const f of [() => a[op](b), () => a[op](0.5), () => tensor(0.5)[op](a)]) {
        const r = scope(() => both(f));
        expect(r.wasm).toBeInstanceOf(Uint8Array);
        expect(firstDifference(r.wasm, r.js)).toBe(-1);
        if (n >= 32) expect(r.direct).toBeGreaterThan(0);
      }
      a.dispose();
      b.dispose();
    }
    expect(memory().tensors).toBe(m0);
  });

  it('hand values: NaN compares false except ne, −0 equals 0', () => {
    const x = tensor([Number.NaN, -0, 0, 1, -1, Infinity, ...new Array(58).fill(2)]);
    setSimdPath('wasm');
    const gt = x.gt(0);
    const eq = x.eq(0);
    const ne = x.ne(0);
    expect(Array.from(gt.dataSync().slice(0, 6))).toEqual([0, 0, 0, 1, 0, 1]);
    expect(Array.from(eq.dataSync().slice(0, 6))).toEqual([0, 1, 1, 0, 0, 0]);
    expect(Array.from(ne.dataSync().slice(0, 6))).toEqual([1, 0, 0, 1, 1, 1]);
    for (const t of [x, gt, eq, ne]) t.dispose();
  });
});

describe('cpu SIMD float32 × bool (heap, zero copy)', () => {
  it('x · mask and mask · x match the JS loop (NaN·0 = NaN, −x·0 = −0, ∞·0 = NaN)', () => {
    const m0 = memory().tensors;
    for (const shape of SHAPES) {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = shaped(values(n, 3), shape);
      const xm = shaped(values(n, 4), shape);
      const mask = xm.gt(0);
      xm.dispose();
      for (const f of [() => x.mul(mask), () => mask.mul(x)]) {
        const r = scope(() => both(f));
        expect(firstDifference(r.wasm, r.js)).toBe(-1);
        if (n >= 32) expect(r.direct).toBeGreaterThan(0);
      }
      x.dispose();
      mask.dispose();
    }
    expect(memory().tensors).toBe(m0);
  });

  it('hand values', () => {
    setSimdPath('wasm');
    const x = tensor([Number.NaN, Infinity, -3, 2, ...new Array(60).fill(1.5)]);
    const mask = scope(() => keep(tensor([1, 1, 0, 0, ...new Array(60).fill(1)]).gt(0)));
    const y = x.mul(mask);
    expect(Array.from(y.dataSync().slice(0, 5))).toEqual([Number.NaN, Infinity, -0, 0, 1.5]);
    for (const t of [x, mask, y]) t.dispose();
  });

  it('a mask broadcast along rows is read line by line; one broadcast along lines takes the chunked path', () => {
    const x = shaped(values(6 * 40, 5), [6, 40]);
    const mask = scope(() => keep(tensor(values(40, 6)).gt(0)));
    const r = scope(() => both(() => x.mul(mask)));
    expect(firstDifference(r.wasm, r.js)).toBe(-1);
    expect(r.direct).toBe(1);
    const xc = shaped(values(6, 9), [6, 1]);
    const col = xc.gt(0);
    xc.dispose();
    const c = scope(() => both(() => x.mul(col)));
    expect(firstDifference(c.wasm, c.js)).toBe(-1);
    expect(c.direct).toBe(0);
    for (const t of [x, mask, col]) t.dispose();
  });

  it('the ReLU gradient is the same on both paths', () => {
    const x = shaped(values(8 * 28 * 28, 7), [8, 28, 28]);
    const gy = shaped(values(8 * 28 * 28, 8), [8, 28, 28]);
    const grad = () => {
      const xx = x.detach();
      xx.requiresGrad = true;
      relu(xx).backward(gy);
      return xx.grad!;
    };
    const r = scope(() => both(grad));
    expect(firstDifference(r.wasm, r.js)).toBe(-1);
    x.dispose();
    gy.dispose();
  });
});
