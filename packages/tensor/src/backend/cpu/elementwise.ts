import type { BinaryOp, Storage, UnaryOp, View } from '../backend';
import { contiguousStrides } from '../../shape';
import { dataOf } from './storage';
import { forEachLine } from './strided';
import { settlePool } from './threads';
import { simdBinary, simdUnary, simdWhere } from './wasm/simd-driver';

/**
 * erf(x) through the Chebyshev-fitted erfc approximation published in Numerical Recipes (2nd ed.,
 * §6.2; fractional error < 1.2e-7 everywhere), which is below float32 resolution.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

const SQRT_2_OVER_PI = /* @__PURE__ */ Math.sqrt(2 / Math.PI);

/** x rounded to the nearest integer, ties to the even one (as torch.round); keeps ±0, ±∞ and NaN. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties toward +∞, and −0 for v in [−0.5, −0]
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const jsUnary = {
  neg: (v: number) => -v,
  abs: Math.abs,
  sign: (v: number) => (v > 0 ? 1 : v < 0 ? -1 : v), // keeps 0 and NaN
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (v: number) => 1 / Math.sqrt(v),
  relu: (v: number) => (v > 0 ? v : v === v ? 0 : v),
  sigmoid: (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
  tanh: Math.tanh,
  sin: Math.sin,
  cos: Math.cos,
  erf,
  gelu: (v: number) => 0.5 * v * (1 + erf(v * Math.SQRT1_2)),
  geluTanh: (v: number) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))),
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  trunc: Math.trunc,
  log1p: Math.log1p,
  expm1: Math.expm1,
  log2: Math.log2,
  exp2: (v: number) => 2 ** v,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
} satisfies Record<UnaryOp, (v: number) => number>;

export const jsBinary = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
  div: (a: number, b: number) => a / b,
  // C's pow, as torch.pow: JS `**` except 1 ** y = 1 for every y (NaN too) and (−1) ** ±∞ = 1
  pow: (a: number, b: number) => (a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : a ** b),
  maximum: (a: number, b: number) => (a > b || a !== a ? a : b), // NaN propagates, as torch.maximum
  minimum: (a: number, b: number) => (a < b || a !== a ? a : b),
  eq: (a: number, b: number) => (a === b ? 1 : 0),
  ne: (a: number, b: number) => (a !== b ? 1 : 0),
  lt: (a: number, b: number) => (a < b ? 1 : 0),
  le: (a: number, b: number) => (a <= b ? 1 : 0),
  gt: (a: number, b: number) => (a > b ? 1 : 0),
  ge: (a: number, b: number) => (a >= b ? 1 : 0),
  atan2: Math.atan2,
  // C's fmod (sign of the dividend), exact; on integers a zero divisor gives NaN, stored as 0
  fmod: (a: number, b: number) => a % b,
  // Python's/torch.remainder (sign of the divisor): fmod, moved by b when the signs differ
  remainder: (a: number, b: number) => {
    const m = a % b;
    return m !== 0 && b < 0 !== m < 0 ? m + b : m;
  },
  reluGrad: (a: number, b: number) => (b > 0 ? a : a * 0),
} satisfies Record<BinaryOp, (a: number, b: number) => number>;

// The table functions above define every op; the hottest ops also get a specialised loop below,
// because one call site shared by all ops turns megamorphic in V8 and costs ~5× per element.
type Data = ArrayLike<number> & { [i: number]: number };

function unaryLine(op: UnaryOp, xd: Data, xi: number, xs: number, od: Data, oi: number, os: number, n: number): void {
  switch (op) {
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = xd[xi + i * xs];
        od[oi + i * os] = v > 0 ? v : v === v ? 0 : v;
      }
      return;
    case 'neg':
      for (let i = 0; i < n; i++) od[oi + i * os] = -xd[xi + i * xs];
      return;
    case 'exp':
      for (let i = 0; i < n; i++) od[oi + i * os] = Math.exp(xd[xi + i * xs]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) od[oi + i * os] = Math.log(xd[xi + i * xs]);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) od[oi + i * os] = Math.sqrt(xd[xi + i * xs]);
      return;
    default: {
      const f = jsUnary[op];
      for (let i = 0; i < n; i++) od[oi + i * os] = f(xd[xi + i * xs]);
    }
  }
}

export function unary(op: UnaryOp, x: View, out: Storage): void {
  if (simdUnary(op, x, out)) return;
  settlePool(); // deferred (./threads.ts deferSettle)
  const xd = dataOf(x);
  const od = dataOf(out);
  forEachLine(x.shape, [x.strides, contiguousStrides(x.shape)], [x.offset, 0], ([xi, oi], n, [xs, os]) => unaryLine(op, xd, xi, xs, od, oi, os, n));
}

function binaryLine(op: BinaryOp, ad: Data, ai: number, as: number, bd: Data, bi: number, bs: number, od: Data, oi: number, os: number, n: number): void {
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++) od[oi + i * os] = ad[ai + i * as] + bd[bi + i * bs];
      return;
    case 'sub':
      for (let i = 0; i < n; i++) od[oi + i * os] = ad[ai + i * as] - bd[bi + i * bs];
      return;
    case 'mul':
      for (let i = 0; i < n; i++) od[oi + i * os] = ad[ai + i * as] * bd[bi + i * bs];
      return;
    case 'div':
      for (let i = 0; i < n; i++) od[oi + i * os] = ad[ai + i * as] / bd[bi + i * bs];
      return;
    case 'gt':
      for (let i = 0; i < n; i++) od[oi + i * os] = ad[ai + i * as] > bd[bi + i * bs] ? 1 : 0;
      return;
    default: {
      const f = jsBinary[op];
      for (let i = 0; i < n; i++) od[oi + i * os] = f(ad[ai + i * as], bd[bi + i * bs]);
    }
  }
}

export function binary(op: BinaryOp, a: View, b: View, out: Storage): void {
  if (simdBinary(op, a, b, out)) return;
  settlePool(); // deferred (./threads.ts deferSettle)
  const ad = dataOf(a);
  const bd = dataOf(b);
  const od = dataOf(out);
  const shape = a.shape;
  forEachLine(shape, [a.strides, b.strides, contiguousStrides(shape)], [a.offset, b.offset, 0], ([ai, bi, oi], n, [as, bs, os]) =>
    binaryLine(op, ad, ai, as, bd, bi, bs, od, oi, os, n),
  );
}

export function where(cond: View, a: View, b: View, out: Storage): void {
  if (simdWhere(cond, a, b, out)) return;
  const cd = dataOf(cond);
  const ad = dataOf(a);
  const bd = dataOf(b);
  const od = dataOf(out);
  const shape = cond.shape;
  forEachLine(
    shape,
    [cond.strides, a.strides, b.strides, contiguousStrides(shape)],
    [cond.offset, a.offset, b.offset, 0],
    ([ci, ai, bi, oi], n, [cs, as, bs, os]) => {
      for (let i = 0; i < n; i++) od[oi + i * os] = cd[ci + i * cs] ? ad[ai + i * as] : bd[bi + i * bs];
    },
  );
}
