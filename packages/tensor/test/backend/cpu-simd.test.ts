import { describe, it, expect, afterEach } from 'vitest';
import type { BinaryOp, UnaryOp, View } from '../../src/backend/backend';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import { binary, jsUnary, unary, where } from '../../src/backend/cpu/elementwise';
import { setSimdPath } from '../../src/backend/cpu/wasm/simd-driver';
import { SIMD_BINARY, SIMD_UNARY } from '../../src/backend/cpu/wasm/simd-kernels';
import { allocArray, type DType, type TypedArray } from '../../src/dtype';
import { firstDifference, numel, on, rand, storage, view } from './simd-helpers';

// The WebAssembly SIMD elementwise kernels against Math.* (accuracy in ulps) and against the
// plain-JS loops they replace (same views, forced with setSimdPath); softmax and reductions are in
// cpu-simd-rows.test.ts, normalization in cpu-simd-norm.test.ts.

afterEach(() => setSimdPath('auto'));

function runUnary(op: UnaryOp, x: View, path: 'js' | 'wasm'): Float32Array {
  const out = storage(new Float32Array(numel(x.shape)));
  on(path, () => unary(op, x, out));
  return out.data as Float32Array;
}

/** Distance in units in the last place between two float32 values (0 for equal, NaN=NaN, ±∞=±∞). */
function ulps(a: number, b: number): number {
  if (Object.is(a, b) || (a !== a && b !== b)) return 0;
  if (a === b) return 0; // ±0
  if (!Number.isFinite(a) || !Number.isFinite(b) || a !== a || b !== b) return Infinity;
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  const key = (v: number) => (v < 0 ? -2147483648 - v : v); // ordered integer line through ±0
  return Math.abs(key(i[0]) - key(i[1]));
}

const F32 = (v: number) => Math.fround(v);

const DENORMALS = [1e-45, -1e-45, 1.2e-38, -1.1e-39, 3e-42];
const SPECIALS = [0, -0, 1, -1, Number.NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-30, -1e-30, ...DENORMALS];

/** Inputs sweeping [lo, hi] geometrically and linearly, plus the specials. */
function sweep(lo: number, hi: number): Float32Array {
  const xs: number[] = [...SPECIALS];
  for (let i = 0; i <= 4000; i++) xs.push(lo + ((hi - lo) * i) / 4000);
  for (let e = -40; e <= 38; e += 0.25) xs.push(10 ** e, -(10 ** e));
  return Float32Array.from(xs);
}

const SIGMOID = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
/** erfc(z), z ≥ 0, by the fit the JS path's erf uses (Numerical Recipes §6.2), without forming 1 − erf. */
function erfcFit(z: number): number {
  const t = 1 / (1 + 0.5 * z);
  const c = [1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
  const p = c.reduceRight((acc, ci) => ci + t * acc, 0);
  return t * Math.exp(-z * z - 1.26551223 + t * p);
}
/** erf by its Maclaurin series (20 terms: exact in float64 below 0.5). */
function erfSeries(x: number): number {
  let sum = 0;
  let term = x; // (−1)ᵏ x^(2k+1) / k!
  for (let k = 0; k < 20; k++, term *= (-x * x) / k) sum += term / (2 * k + 1);
  return (2 / Math.sqrt(Math.PI)) * sum;
}
/** float64 references without the cancellation of 1 + erf(x) (or 1 + tanh u) for x ≪ 0. */
const REFERENCE = {
  erf: (x: number) => (Math.abs(x) < 0.5 ? erfSeries(x) : jsUnary.erf(x)),
  gelu: (x: number) => (x >= 0 ? 0.5 * x * (2 - erfcFit(x * Math.SQRT1_2)) : 0.5 * x * erfcFit(-x * Math.SQRT1_2)),
  geluTanh: (x: number) => x * SIGMOID(2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)),
};

/** op, reference in float64, input range, max ulps where the reference is ≥ `floor` in size. */
const ACCURACY: [UnaryOp, (v: number) => number, number, number, number][] = [
  ['exp', Math.exp, -110, 95, 2],
  ['log', Math.log, 0, 100, 2],
  ['tanh', Math.tanh, -12, 12, 3],
  ['sigmoid', SIGMOID, -110, 110, 3],
];

describe('cpu SIMD math vs Math.*', () => {
  it.each(ACCURACY)('%s within a few ulp over the float32 range', (op, ref, lo, hi, maxUlps) => {
    const xs = sweep(lo, hi);
    const got = runUnary(op, view(xs, [xs.length]), 'wasm');
    let worst = 0;
    let at = 0;
    xs.forEach((x, i) => {
      const want = F32(ref(x));
      const d = ulps(got[i], want);
      if (d > worst) [worst, at] = [d, x];
    });
    expect(worst, `${op}(${at}) = ${got[Array.from(xs).indexOf(at)]}, want ${F32(ref(at))}`).toBeLessThanOrEqual(maxUlps);
  });

  it('gets the special values exactly', () => {
    const xs = Float32Array.from([0, -0, Infinity, -Infinity, Number.NaN, -1, 1e-45]);
    const e = runUnary('exp', view(xs, [7]), 'wasm');
    expect(Array.from(e)).toEqual([1, 1, Infinity, 0, Number.NaN, F32(Math.exp(-1)), 1]);
    const l = runUnary('log', view(xs, [7]), 'wasm');
    expect(Array.from(l)).toEqual([-Infinity, -Infinity, Infinity, Number.NaN, Number.NaN, Number.NaN, F32(Math.log(F32(1e-45)))]);
    const t = runUnary('tanh', view(xs, [7]), 'wasm');
    expect(Object.is(t[1], -0)).toBe(true);
    expect(Array.from(t.slice(2, 5))).toEqual([1, -1, Number.NaN]);
    // the SIMD GELU keeps x·Φ(x) where the JS formula's 1 + erf cancels to 0 (so this also shows the wasm path ran)
    const g = runUnary('gelu', view(Float32Array.of(-12, -12, -12, -12), [4]), 'wasm');
    expect(g[0]).toBeCloseTo(-2.1318e-32, 35);
    expect(runUnary('gelu', view(Float32Array.of(-12), [1]), 'js')[0]).toBe(-0);
    const s = runUnary('sigmoid', view(xs, [7]), 'wasm');
    expect(Array.from(s.slice(0, 5))).toEqual([0.5, 0.5, 1, 0, Number.NaN]);
  });

  it.each(['erf', 'gelu', 'geluTanh'] as const)('%s matches the float64 formula to rtol 1e-5', (op) => {
    const xs = sweep(-12, 12);
    const got = runUnary(op, view(xs, [xs.length]), 'wasm');
    xs.forEach((x, i) => {
      const want = F32(REFERENCE[op](x));
      if (want !== want) expect(got[i]).toBeNaN();
      else if (!Number.isFinite(want)) expect(got[i]).toBe(want);
      else expect(Math.abs(got[i] - want), `${op}(${x}) = ${got[i]}, want ${want}`).toBeLessThanOrEqual(1e-5 * Math.abs(want) + 1e-37);
    });
  });
});

/** Operand layouts, as views broadcast to `shape` (what ops/elementwise.ts hands the backend). */
function layouts(shape: [number, number], seed: number): [string, View][] {
  const [m, n] = shape;
  const t = rand(m * n + 5, seed);
  return [
    ['contiguous', view(t, shape)],
    ['offset', view(t, shape, [n, 1], 5)],
    ['transposed', view(t, shape, [1, m])],
    ['row broadcast', view(rand(n, seed + 1), shape, [0, 1])],
    ['column broadcast', view(rand(m, seed + 2), shape, [1, 0])],
    ['scalar', view(Float32Array.of(-1.5), shape, [0, 0])],
    ['strided', view(rand(m * n * 2, seed + 3), shape, [2 * n, 2])],
  ];
}

// lengths 0, 1, 3, tails past multiples of 4, several chunks (4096 floats each)
const SHAPES: [number, number][] = [
  [0, 5],
  [1, 1],
  [1, 3],
  [3, 11],
  [5, 7],
  [32, 1],
  [33, 1],
  [7, 9],
  [65, 127],
  [3, 4099],
];

describe('cpu SIMD elementwise = the JS loops', () => {
  it.each(Object.keys(SIMD_UNARY) as UnaryOp[])('unary %s on every layout and length', (op) => {
    for (const shape of SHAPES)
      for (const [name, x] of layouts(shape, 7)) {
        const js = runUnary(op, x, 'js');
        const wasm = runUnary(op, x, 'wasm');
        if (['neg', 'abs', 'sign', 'sqrt', 'relu', 'floor', 'ceil', 'round'].includes(op))
          expect(wasm, `${op} ${name} ${shape}`).toEqual(js); // exact ops
        else expect(wasm, `${op} ${name} ${shape}`).toBeAllClose(js, { rtol: 1e-6, atol: 1e-7 });
      }
  });

  it.each(Object.keys(SIMD_BINARY) as BinaryOp[])('binary %s on every pair of layouts and length', (op) => {
    const compare = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op);
    // comparisons on small integers (many ties), writing bool; arithmetic with b away from 0
    const remap = (v: View, f: (x: number) => number): View => ({ ...v, storage: storage((v.storage as CpuStorage).data.map(f)) });
    for (const shape of SHAPES) {
      const as = layouts(shape, 11).map(([n, v]): [string, View] => [n, compare ? remap(v, Math.round) : v]);
      const bs = layouts(shape, 23).map(([n, v]): [string, View] => [n, remap(v, compare ? Math.round : (x) => x + 4)]);
      for (const [an, a] of as)
        for (const [bn, b] of bs) {
          const run = (path: 'js' | 'wasm') => {
            const out = compare ? storage(allocArray('bool', numel(shape)), 'bool') : storage(new Float32Array(numel(shape)));
            on(path, () => binary(op, a, b, out));
            return out.data;
          };
          expect(firstDifference(run('wasm'), run('js')), `${op} ${an} ${bn} ${shape}`).toBe(-1); // f32 + − × ÷ max min are exact
        }
    }
  });

  it('pow(x, 2) as x·x, other exponents in JS, on every layout', () => {
    for (const shape of SHAPES)
      for (const [name, x] of layouts(shape, 43))
        for (const e of [2, 3, 0.5]) {
          const run = (path: 'js' | 'wasm') => {
            const out = storage(new Float32Array(numel(shape)));
            on(path, () => binary('pow', x, view(Float32Array.of(e), shape, [0, 0]), out));
            return out.data;
          };
          expect(firstDifference(run('wasm'), run('js')), `${name} ** ${e} ${shape}`).toBe(-1);
        }
    const special = view(Float32Array.from([Number.NaN, Infinity, -Infinity, -0, 1e30, -3, 1e-30, 0.1]), [8]);
    const out = storage(new Float32Array(8));
    on('wasm', () => binary('pow', special, view(Float32Array.of(2), [8], [0]), out));
    expect(Array.from(out.data)).toEqual([Number.NaN, Infinity, Infinity, 0, Infinity, 9, 0, Math.fround(Math.fround(0.1) ** 2)]);
  });

  it('where on every layout of the condition and operands', () => {
    for (const shape of SHAPES) {
      const conds = layouts(shape, 31).map(([n, v]): [string, View] => [
        n,
        {
          ...v,
          storage: storage(
            Uint8Array.from((v.storage as CpuStorage).data, (x) => (x > 0 ? 1 : 0)),
            'bool',
          ),
        },
      ]);
      const as = layouts(shape, 37);
      const bs = layouts(shape, 41);
      for (let i = 0; i < conds.length; i++)
        for (let j = 0; j < as.length; j++) {
          const [[cn, c], [an, a], [bn, b]] = [conds[i], as[j], bs[(i + j) % bs.length]];
          const run = (path: 'js' | 'wasm') => {
            const out = storage(new Float32Array(numel(shape)));
            on(path, () => where(c, a, b, out));
            return out.data;
          };
          expect(firstDifference(run('wasm'), run('js')), `where ${cn} ${an} ${bn} ${shape}`).toBe(-1);
        }
    }
  });

  it('takes bool, int8 and uint8 operands (exact in float32) with float32 results', () => {
    const n = 45;
    const operands: [DType, TypedArray][] = [
      ['bool', Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0))],
      ['int8', Int8Array.from({ length: n }, (_, i) => (i * 37) % 256)],
      ['uint8', Uint8Array.from({ length: n }, (_, i) => (i * 53) % 256)],
      ['float32', rand(n, 8)],
    ];
    for (const [da, a] of operands)
      for (const [db, b] of operands)
        for (const op of ['add', 'mul', 'div', 'lt', 'eq'] as const) {
          const run = (path: 'js' | 'wasm') => {
            const out = ['lt', 'eq'].includes(op) ? storage(allocArray('bool', n), 'bool') : storage(new Float32Array(n));
            on(path, () => binary(op, view(a, [n], [1], 0, da), view(b, [n], [1], 0, db), out));
            return out.data;
          };
          expect(firstDifference(run('wasm'), run('js')), `${da} ${op} ${db}`).toBe(-1);
        }
    const exp = (path: 'js' | 'wasm') => runUnary('exp', view(operands[1][1], [n], [1], 0, 'int8'), path);
    expect(exp('wasm')).toBeAllClose(exp('js'), { rtol: 1e-6, atol: 0 });
  });

  it('propagates NaN and ∞ like the JS loops', () => {
    const a = view(
      Float32Array.from({ length: 40 }, (_, i) => [Number.NaN, Infinity, -Infinity, 0, 2][i % 5]),
      [40],
    );
    const b = view(
      Float32Array.from({ length: 40 }, (_, i) => [1, Number.NaN, Infinity, -Infinity, 0, -0, 3, 7][i % 8]),
      [40],
    );
    for (const op of Object.keys(SIMD_BINARY) as BinaryOp[]) {
      const run = (path: 'js' | 'wasm') => {
        const out = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op) ? storage(allocArray('bool', 40), 'bool') : storage(new Float32Array(40));
        on(path, () => binary(op, a, b, out));
        return Array.from(out.data, (v) => (v === 0 ? 0 : v)); // ±0 from max(0, −0) may differ in sign
      };
      expect(run('wasm'), op).toEqual(run('js'));
    }
  });

  it('leaves int32 operands and integer results to the JS loops (float32 would round them)', () => {
    const big = Int32Array.from({ length: 50 }, (_, i) => 2 ** 30 + 2 * i + 1);
    const x = view(big, [50], [1], 0, 'int32');
    const sum = storage(allocArray('int32', 50), 'int32');
    on('wasm', () => binary('add', x, x, sum));
    expect(Array.from(sum.data)).toEqual(Array.from(big, (v) => (2 * v) | 0));
    const f = storage(new Float32Array(50));
    on('wasm', () => binary('sub', x, view(Float32Array.of(1), [50], [0]), f)); // int32 − float32 → float32
    expect(Array.from(f.data)).toEqual(Array.from(big, (v) => Math.fround(v - 1)));
    const neg = storage(allocArray('int8', 50), 'int8');
    on('wasm', () =>
      unary(
        'neg',
        view(
          Int8Array.from({ length: 50 }, (_, i) => i - 128),
          [50],
          [1],
          0,
          'int8',
        ),
        neg,
      ),
    );
    expect(Array.from(neg.data)).toEqual(Array.from({ length: 50 }, (_, i) => ((128 - i) << 24) >> 24));
  });
});
