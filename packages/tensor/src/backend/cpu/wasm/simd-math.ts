/**
 * Vectorised float32 math for the emitted elementwise kernels: each emitter reads its input from
 * a v128 local, takes temporaries from the function's local allocator and leaves the four
 * results on the stack. Accuracy (measured against Math.* over sweeps in
 * test/backend/cpu-simd.test.ts): exp, log, sigmoid, tanh within a few ulp over the whole float32
 * range (denormal results and inputs included); erf/GELU within rtol 1e-5.
 *
 * Algorithms (the published Cephes single-precision ones, rewritten for f32x4 lanes):
 * - exp: n = round(x·log₂e), r = x − n·ln2 (two-part ln2, so n·C1 is exact), e^r by a degree-6
 *   polynomial, times 2ⁿ built in the exponent bits in two halves (so denormal results round once).
 * - log: x = m·2ᵉ with m in [√½, √2), log(1 + f) by a degree-9 polynomial, plus e·ln2 in two parts;
 *   denormal inputs are scaled by 2²³ first.
 * - tanh: odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above; sign restored by bits.
 * - sigmoid: e = e^{−|x|}, then 1/(1 + e) or e/(1 + e), accurate in both tails.
 * - erfc (for erf and GELU): the Numerical Recipes Chebyshev fit the JS path uses (erf in ../elementwise.ts).
 */
import { Code, type FuncDef, ValType } from './encoder';

/**
 * Code whose vector constants are read from locals set once in the function's prologue: V8 builds
 * a v128.const with several instructions at every use, and the kernels use a dozen per loop trip.
 */
class PooledCode extends Code {
  constructor(private readonly pool: (bits: string, emit: (c: Code) => void) => number) {
    super();
  }
  override f32x4Const(v: number): this {
    return this.get(this.pool(`f${Math.fround(v)}`, (c) => c.f32x4Const(v)));
  }
  override i32x4Const(v: number): this {
    return this.get(this.pool(`i${v | 0}`, (c) => c.i32x4Const(v)));
  }
}

/** One function under construction: its code and a local allocator (parameters first). */
export class Fn {
  private readonly locals: ValType[] = [];
  private readonly prologue = new Code();
  private readonly consts = new Map<string, number>();
  readonly f: Code = new PooledCode((key, emit) => {
    let local = this.consts.get(key);
    if (local === undefined) {
      local = this.v128();
      this.consts.set(key, local);
      emit(this.prologue);
      this.prologue.set(local);
    }
    return local;
  });
  constructor(
    private readonly params: ValType[],
    private readonly results: ValType[] = [],
  ) {}
  /** A new v128 local's index. */
  v128(): number {
    this.locals.push(ValType.v128);
    return this.params.length + this.locals.length - 1;
  }
  /** A new i32 local's index. */
  i32(): number {
    this.locals.push(ValType.i32);
    return this.params.length + this.locals.length - 1;
  }
  /** A new f64 local's index. */
  f64(): number {
    this.locals.push(ValType.f64);
    return this.params.length + this.locals.length - 1;
  }
  def(name: string): FuncDef {
    const body = new Code();
    body.bytes.push(...this.prologue.bytes, ...this.f.bytes);
    return { params: this.params, results: this.results, locals: this.locals, body, export: name };
  }
}

const SIGN = -0x80000000;

/** Pushes `c0·xᵏ + … + ck` by Horner's rule over the local `x`, first coefficient highest. */
function horner(f: Code, x: number, coeffs: readonly number[]): void {
  f.f32x4Const(coeffs[0]);
  for (const c of coeffs.slice(1)) f.get(x).f32x4Mul().f32x4Const(c).f32x4Add();
}

/** Pushes e^x. */
export function exp(fn: Fn, x: number): void {
  const [t, n, r, ni] = [fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const f = fn.f;
  const MAGIC = 1.5 * 2 ** 23; // adding it rounds to an integer (ties to even), which lands in the low mantissa bits
  // Past ±(89, 104) the result is ∞ / 0 anyway; the clamp keeps 2ⁿ's halves in range. Pseudo-min/max
  // with x first keep a NaN (and cost one instruction, where wasm's NaN-propagating min/max cost ~8).
  f.get(x).f32x4Const(-104).f32x4Pmax().f32x4Const(89).f32x4Pmin().set(t);
  f.get(t).f32x4Const(Math.LOG2E).f32x4Mul().f32x4Const(MAGIC).f32x4Add().set(n);
  f.get(n).i32x4Const(0x4b400000).i32x4Sub().set(ni); // n as an integer: the bits of n + MAGIC minus MAGIC's
  f.get(n).f32x4Const(MAGIC).f32x4Sub().set(n);
  f.get(t).get(n).f32x4Const(0.693359375).f32x4Mul().f32x4Sub().get(n).f32x4Const(-2.1219444e-4).f32x4Mul().f32x4Sub().set(r);
  horner(f, r, [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]);
  f.get(r).f32x4Mul().get(r).f32x4Mul().get(r).f32x4Add().f32x4Const(1).f32x4Add(); // p·r² + r + 1
  // × 2^(n>>1) × 2^(n − n>>1): both factors normal for n in [−150, 128]
  f.get(ni).i32Const(1).i32x4ShrS().i32x4Const(127).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
  f.get(ni).get(ni).i32Const(1).i32x4ShrS().i32x4Sub().i32x4Const(127).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
}

/** Pushes ln x (NaN below 0, −∞ at ±0, ∞ at ∞). */
export function log(fn: Fn, x: number): void {
  const [small, xs, e, m, mask, z, ef, r] = [fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const f = fn.f;
  f.get(x)
    .f32x4Const(2 ** -126)
    .f32x4Lt()
    .set(small); // denormals (and ≤ 0, fixed up below)
  f.get(x)
    .f32x4Const(2 ** 23)
    .f32x4Mul()
    .get(x)
    .get(small)
    .v128Bitselect()
    .set(xs);
  f.get(xs).i32Const(23).i32x4ShrU().i32x4Const(126).i32x4Sub().get(small).i32x4Const(-23).v128And().i32x4Add().set(e);
  f.get(xs).i32x4Const(0x007fffff).v128And().i32x4Const(0x3f000000).v128Or().set(m); // [0.5, 1)
  f.get(m).f32x4Const(Math.SQRT1_2).f32x4Lt().set(mask);
  f.get(e).get(mask).i32x4Add().f32x4ConvertI32x4S().set(ef); // e − 1 where m < √½ ...
  f.get(m).f32x4Const(1).f32x4Sub().get(m).get(mask).v128And().f32x4Add().set(r); // ... and f = 2m − 1
  f.get(r).get(r).f32x4Mul().set(z);
  horner(
    f,
    r,
    [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1],
  );
  f.get(r).f32x4Mul().get(z).f32x4Mul();
  f.get(ef).f32x4Const(-2.1219444e-4).f32x4Mul().f32x4Add();
  f.get(z).f32x4Const(0.5).f32x4Mul().f32x4Sub();
  f.get(r).f32x4Add().get(ef).f32x4Const(0.693359375).f32x4Mul().f32x4Add().set(r);
  // special cases: ∞ → ∞; below 0 or NaN → NaN; ±0 → −∞
  f.get(x).get(r).get(x).f32x4Const(Infinity).f32x4Eq().v128Bitselect().set(r);
  f.get(r).f32x4Const(Number.NaN).get(x).f32x4Const(0).f32x4Ge().v128Bitselect().set(r);
  f.f32x4Const(-Infinity).get(r).get(x).f32x4Const(0).f32x4Eq().v128Bitselect();
}

/** Pushes tanh x. */
export function tanh(fn: Fn, x: number): void {
  const [a, t, big, s] = [fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const f = fn.f;
  f.get(x).f32x4Abs().set(a);
  f.get(a).get(a).f32x4Add().set(t);
  f.f32x4Const(1).f32x4Const(2);
  exp(fn, t);
  f.f32x4Const(1).f32x4Add().f32x4Div().f32x4Sub().set(big); // 1 − 2/(e^{2a} + 1)
  f.get(a).get(a).f32x4Mul().set(s);
  horner(f, s, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]);
  f.get(s).f32x4Mul().get(a).f32x4Mul().get(a).f32x4Add(); // a + a·s·P(s)
  f.get(big).get(a).f32x4Const(0.625).f32x4Lt().v128Bitselect();
  f.get(x).i32x4Const(SIGN).v128And().v128Or();
}

/** Pushes 1/(1 + e^{−x}). */
export function sigmoid(fn: Fn, x: number): void {
  const [t, e] = [fn.v128(), fn.v128()];
  const f = fn.f;
  f.get(x).f32x4Abs().f32x4Neg().set(t);
  exp(fn, t);
  f.set(e);
  f.f32x4Const(1).get(e).get(x).f32x4Const(0).f32x4Ge().v128Bitselect(); // 1 for x ≥ 0, else e
  f.get(e).f32x4Const(1).f32x4Add().f32x4Div();
}

/**
 * Pushes erfc(z), z = w·scale for the local w ≥ 0 and scale 1 or √½ (GELU's x/√2), by the fit of
 * `erf` in ../elementwise.ts. Its exp argument −z² − 1.2655… + t·P(t) is carried as an exact
 * −scale²·hi² (w split in 12-bit halves) plus a small rest, and the rounding error of their sum
 * (TwoSum) multiplies the result as (1 + err): otherwise z² near 70 costs ~100 ulp in the far tail.
 */
function erfc(fn: Fn, w: number, scale: 1 | typeof Math.SQRT1_2): void {
  const [z, t, hi, lo, a, b, s, bb] = [fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const f = fn.f;
  const k = scale === 1 ? 1 : 0.5; // scale², exact
  f.get(w)
    .f32x4Const(10.5 / scale)
    .f32x4Min()
    .set(z); // erfc(10.5) < 2⁻¹⁴⁹: 0 all the same, and no ∞ − ∞ below
  f.get(z).i32x4Const(-4096).v128And().set(hi);
  f.get(z).get(hi).f32x4Sub().set(lo);
  if (scale !== 1) f.get(z).f32x4Const(scale).f32x4Mul().set(z);
  f.f32x4Const(1).f32x4Const(1).get(z).f32x4Const(0.5).f32x4Mul().f32x4Add().f32x4Div().set(t);
  f.get(hi).get(hi).f32x4Mul().f32x4Const(-k).f32x4Mul().set(a);
  horner(f, t, [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368]);
  f.get(t).f32x4Mul().f32x4Const(-1.26551223).f32x4Add();
  f.get(hi).get(hi).f32x4Add().get(lo).f32x4Mul().get(lo).get(lo).f32x4Mul().f32x4Add().f32x4Const(k).f32x4Mul().f32x4Sub().set(b);
  f.get(a).get(b).f32x4Add().set(s);
  f.get(s).get(a).f32x4Sub().set(bb);
  exp(fn, s);
  f.get(t).f32x4Mul();
  // × (1 + err), err = (a − (s − bb)) + (b − bb)
  f.get(a).get(s).get(bb).f32x4Sub().f32x4Sub().get(b).get(bb).f32x4Sub().f32x4Add();
  f.f32x4Const(1).f32x4Add().f32x4Mul();
}

/** 2/√π · (−1)ᵏ / (k!·(2k + 1)), k = 7 … 0: erf's Maclaurin series in x², to 1e-9 below |x| = 0.5. */
const ERF_SERIES = [7, 6, 5, 4, 3, 2, 1, 0].map((k) => {
  let fact = 1;
  for (let i = 2; i <= k; i++) fact *= i;
  return ((2 / Math.sqrt(Math.PI)) * (-1) ** k) / (fact * (2 * k + 1));
});

/** Pushes erf x: its series below |x| = 0.5 (relative accuracy near 0), ±(1 − erfc|x|) above. */
export function erf(fn: Fn, x: number): void {
  const [z, x2] = [fn.v128(), fn.v128()];
  const f = fn.f;
  f.get(x).f32x4Abs().set(z);
  f.get(x).get(x).f32x4Mul().set(x2);
  horner(f, x2, ERF_SERIES);
  f.get(x).f32x4Mul();
  f.f32x4Const(1);
  erfc(fn, z, 1);
  f.f32x4Sub().get(x).i32x4Const(SIGN).v128And().v128Or();
  f.get(z).f32x4Const(0.5).f32x4Lt().v128Bitselect();
}

/** Pushes x·Φ(x) = ½x·(1 + erf(x/√2)), as ½x·(2 − erfc) above 0 and ½x·erfc below (no cancellation). */
export function gelu(fn: Fn, x: number): void {
  const [z, r] = [fn.v128(), fn.v128()];
  const f = fn.f;
  f.get(x).f32x4Abs().set(z);
  erfc(fn, z, Math.SQRT1_2);
  f.set(r);
  f.get(x).f32x4Const(0.5).f32x4Mul();
  f.f32x4Const(2).get(r).f32x4Sub().get(r).get(x).f32x4Const(0).f32x4Ge().v128Bitselect().f32x4Mul();
}

/** Pushes ½x·(1 + tanh u), u = √(2/π)(x + 0.044715x³), as x·sigmoid(2u) (the same, without cancellation). */
export function geluTanh(fn: Fn, x: number): void {
  const w = fn.v128();
  const f = fn.f;
  f.get(x).get(x).get(x).f32x4Mul().get(x).f32x4Mul().f32x4Const(0.044715).f32x4Mul().f32x4Add();
  f.f32x4Const(2 * Math.sqrt(2 / Math.PI))
    .f32x4Mul()
    .set(w);
  f.get(x);
  sigmoid(fn, w);
  f.f32x4Mul();
}

/** Pushes sign x: 1, −1, or x itself (±0, NaN). */
export function sign(fn: Fn, x: number): void {
  const f = fn.f;
  f.f32x4Const(1).f32x4Const(-1).get(x).get(x).f32x4Const(0).f32x4Lt().v128Bitselect();
  f.get(x).f32x4Const(0).f32x4Gt().v128Bitselect();
}

// ── loop and accumulation helpers shared by the row kernels ──

/** Emits `q = start; k = n4; loop { body(v = q[0..4)); q += 16; k −= 4 } while k` (n4 ≥ 4). */
export function scan(fn: Fn, start: number, n4: number, body: (v: number) => void): void {
  const [q, k, v] = [fn.i32(), fn.i32(), fn.v128()];
  const f = fn.f;
  f.get(start).set(q).get(n4).set(k);
  f.loop();
  f.get(q).v128Load().set(v);
  body(v);
  f.get(q).i32Const(16).i32Add().set(q);
  f.get(k).i32Const(4).i32Sub().tee(k).brIf(0);
  f.end();
}

/** Emits `for (rows ≥ 1 times) { body(); p += n4·4 }`. */
export function forRows(fn: Fn, p: number, rows: number, n4: number, body: () => void): void {
  const f = fn.f;
  f.loop();
  body();
  f.get(p).get(n4).i32Const(4).i32Mul().i32Add().set(p);
  f.get(rows).i32Const(1).i32Sub().tee(rows).brIf(0);
  f.end();
}

export const SWAP_HALVES = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
export const SWAP_PAIRS = [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11];

/** Adds the four f32 lanes on the stack into the f64x2 accumulators a0 (lanes 0, 1) and a1 (2, 3). */
export function accumulate64(fn: Fn, a0: number, a1: number): void {
  const v = fn.v128();
  const f = fn.f;
  f.set(v);
  f.get(a0).get(v).f64x2PromoteLowF32x4().f64x2Add().set(a0);
  f.get(a1).get(v).get(v).i8x16Shuffle(SWAP_HALVES).f64x2PromoteLowF32x4().f64x2Add().set(a1);
}

/** Pushes a0 + a1 summed across lanes as one f64. */
export function total64(fn: Fn, a0: number, a1: number): void {
  fn.f.get(a0).get(a1).f64x2Add().set(a0).get(a0).f64x2ExtractLane(0).get(a0).f64x2ExtractLane(1).f64Add();
}
