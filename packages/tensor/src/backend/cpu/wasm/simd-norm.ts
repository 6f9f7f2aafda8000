/**
 * Layer normalization rows in f32x4 lanes, matching the JS loop in ../norm.ts operation for
 * operation: the mean and Σ(x − μ)² in float64, x̂ = (x − μ)·r in float64 rounded once to
 * float32, then ·w and +b in float32.
 *
 *   norm_rows[_w][_b](p, rows, n4, invN, padN, eps, w, b, stats)
 *
 * Rows of n4 floats lie back to back from p, each holding n real values then zero padding (padN =
 * n4 − n of them, whose (0 − μ)² the variance takes back out); invN = 1/n. Each row is
 * normalized in place; w and b point at n4 floats of weight and bias (read when the variant has
 * them); stats receives (μ, σ²) per row as two f32.
 */
import { type FuncDef, ValType } from './encoder';
import { accumulate64, Fn, forRows, SWAP_HALVES, scan, total64 } from './simd-math';

const { i32, f64 } = ValType;

/** Bytes 0–7 of the first vector, then bytes 0–7 of the second. */
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

export function normRows(hasW: boolean, hasB: boolean): FuncDef {
  const fn = new Fn([i32, i32, i32, f64, f64, f64, i32, i32, i32]);
  const [p, rows, n4, invN, padN, eps, w, b, stats] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [mu, r] = [fn.f64(), fn.f64()];
  const [a0, a1, muv, rv, lo] = [fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const [q, wq, bq] = [fn.i32(), fn.i32(), fn.i32()];
  const f = fn.f;
  /** Pushes (promote(half of v) − μ) for the low (lanes 0, 1) or high (2, 3) half of v. */
  const centered = (v: number, high: boolean) => {
    f.get(v);
    if (high) f.get(v).i8x16Shuffle(SWAP_HALVES);
    f.f64x2PromoteLowF32x4().get(muv).f64x2Sub();
  };
  forRows(fn, p, rows, n4, () => {
    // μ = Σx / n
    f.v128Zero().set(a0).v128Zero().set(a1);
    scan(fn, p, n4, (v) => {
      f.get(v);
      accumulate64(fn, a0, a1);
    });
    total64(fn, a0, a1);
    f.get(invN).f64Mul().set(mu);
    f.get(mu).f64x2Splat().set(muv);
    // σ² = (Σ(x − μ)² − padN·μ²) / n
    f.v128Zero().set(a0).v128Zero().set(a1);
    scan(fn, p, n4, (v) => {
      for (const [high, acc] of [
        [false, a0],
        [true, a1],
      ] as const) {
        centered(v, high);
        f.set(lo).get(acc).get(lo).get(lo).f64x2Mul().f64x2Add().set(acc);
      }
    });
    total64(fn, a0, a1);
    f.get(padN).get(mu).f64Mul().get(mu).f64Mul().f64Sub().get(invN).f64Mul().set(r);
    f.get(stats).get(mu).f32DemoteF64().f32Store(0);
    f.get(stats).get(r).f32DemoteF64().f32Store(4);
    f.get(stats).i32Const(8).i32Add().set(stats);
    // r = 1/√(σ² + eps)
    f.f64Const(1).get(r).get(eps).f64Add().f64Sqrt().f64Div().set(r);
    f.get(r).f64x2Splat().set(rv);
    // x̂ = (x − μ)·r in f64, one rounding; then ·w, +b in f32
    f.get(p).set(q).get(w).set(wq).get(b).set(bq);
    scan(fn, p, n4, (v) => {
      f.get(q);
      centered(v, false);
      f.get(rv).f64x2Mul().f32x4DemoteF64x2Zero();
      centered(v, true);
      f.get(rv).f64x2Mul().f32x4DemoteF64x2Zero();
      f.i8x16Shuffle(LOW_HALVES);
      if (hasW) f.get(wq).v128Load().f32x4Mul();
      if (hasB) f.get(bq).v128Load().f32x4Add();
      f.v128Store();
      f.get(q).i32Const(16).i32Add().set(q);
      if (hasW) f.get(wq).i32Const(16).i32Add().set(wq);
      if (hasB) f.get(bq).i32Const(16).i32Add().set(bq);
    });
  });
  return fn.def(`norm_rows${hasW ? '_w' : ''}${hasB ? '_b' : ''}`);
}
