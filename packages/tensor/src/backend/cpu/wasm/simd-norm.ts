/**
 * Layer normalization rows in f32x4 lanes, matching the JS loop in ../norm.ts operation for
 * operation: the mean and Σ(x − μ)² in float64, x̂ = (x − μ)·r in float64 rounded once to
 * float32, then ·w and +b in float32.
 *
 *   norm_rows[_w][_b](p, rows, n4, n, padN, eps, w, b, stats, o)
 *
 * Rows of n4 floats lie back to back from p, each holding n real values then zero padding (padN =
 * n4 − n of them, whose (0 − μ)² the variance takes back out); n and padN come as f64. Each row is
 * normalized into the row at o (o may equal p); w and b point at n4 floats of weight and bias (read when the variant has
 * them); stats receives (μ, σ²) per row as two f32.
 */
import { type FuncDef, ValType } from './encoder';
import { accumulate64, Fn, forRows, SWAP_HALVES, scan, total64 } from './simd-math';

const { i32, f64 } = ValType;

/** Bytes 0–7 of the first vector, then bytes 0–7 of the second. */
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

export function normRows(hasW: boolean, hasB: boolean): FuncDef {
  const fn = new Fn([i32, i32, i32, f64, f64, f64, i32, i32, i32, i32]);
  const [p, rows, n4, nF, padN, eps, w, b, stats, o] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
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
    f.get(nF).f64Div().set(mu);
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
    f.get(padN).get(mu).f64Mul().get(mu).f64Mul().f64Sub().get(nF).f64Div().set(r);
    f.get(stats).get(mu).f32DemoteF64().f32Store(0);
    f.get(stats).get(r).f32DemoteF64().f32Store(4);
    f.get(stats).i32Const(8).i32Add().set(stats);
    // r = 1/√(σ² + eps)
    f.f64Const(1).get(r).get(eps).f64Add().f64Sqrt().f64Div().set(r);
    f.get(r).f64x2Splat().set(rv);
    // x̂ = (x − μ)·r in f64, one rounding; then ·w, +b in f32
    f.get(o).set(q).get(w).set(wq).get(b).set(bq);
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
    f.get(o).get(n4).i32Const(4).i32Mul().i32Add().set(o);
  });
  return fn.def(`norm_rows${hasW ? '_w' : ''}${hasB ? '_b' : ''}`);
}

/**
 * normback_rows[_w][_h](px, pg, rows, n4, n, w, stats, ox, oh): the backward of {@link normRows}, as the
 * JS loop computes it (all in float64): per row, from μ and r = 1/√(σ² + eps) (f64 pairs at
 * stats), x̂ = (x − μ)·r and g = gy·w; mg = Σg/n, mgx = Σg·x̂/n; then ∂x = r·(g − mg − x̂·mgx)
 * goes to the rows at ox and, in the _h variant, gy·x̂ to the rows at oh (ox may be px, oh may be
 * pg: in place). Padding lanes of gy (and of w) must be 0.
 */
export function normBackRows(hasW: boolean, hasH: boolean): FuncDef {
  const fn = new Fn([i32, i32, i32, i32, f64, i32, i32, i32, i32]);
  const [px, pg, rows, n4, nF, w, stats, ox, oh] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [muv, rv, mgv, mgxv, s0, s1, t0, t1] = [fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const [gv, xh, g, lo] = [fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const [q, gq, wq, hq] = [fn.i32(), fn.i32(), fn.i32(), fn.i32()];
  const f = fn.f;
  const half = (v: number, high: boolean) => {
    f.get(v);
    if (high) f.get(v).i8x16Shuffle(SWAP_HALVES);
    f.f64x2PromoteLowF32x4();
  };
  /** Sets xh and g (f64x2) for one half of x (v) and gy (gv), with the weight at wq. */
  const xhg = (v: number, high: boolean) => {
    half(v, high);
    f.get(muv).f64x2Sub().get(rv).f64x2Mul().set(xh);
    half(gv, high);
    if (hasW) {
      f.get(wq).v128Load().set(lo);
      half(lo, high);
      f.f64x2Mul();
    }
    f.set(g);
  };
  forRows(fn, px, rows, n4, () => {
    f.get(stats).v128Load64Splat(0).set(muv).get(stats).v128Load64Splat(8).set(rv);
    f.get(stats).i32Const(16).i32Add().set(stats);
    // pass 1: Σg and Σg·x̂
    for (const acc of [s0, s1, t0, t1]) f.v128Zero().set(acc);
    f.get(pg).set(gq).get(w).set(wq);
    scan(fn, px, n4, (v) => {
      f.get(gq).v128Load().set(gv);
      for (const [high, sa, ta] of [
        [false, s0, t0],
        [true, s1, t1],
      ] as const) {
        xhg(v, high);
        f.get(sa).get(g).f64x2Add().set(sa);
        f.get(ta).get(g).get(xh).f64x2Mul().f64x2Add().set(ta);
      }
      f.get(gq).i32Const(16).i32Add().set(gq);
      if (hasW) f.get(wq).i32Const(16).i32Add().set(wq);
    });
    total64(fn, s0, s1);
    f.get(nF).f64Div().f64x2Splat().set(mgv);
    total64(fn, t0, t1);
    f.get(nF).f64Div().f64x2Splat().set(mgxv);
    // pass 2: ∂x = r·(g − mg − x̂·mgx) over x, gy·x̂ over gy
    f.get(ox).set(q).get(pg).set(gq).get(w).set(wq).get(oh).set(hq);
    scan(fn, px, n4, (v) => {
      f.get(gq).v128Load().set(gv);
      f.get(q);
      for (const high of [false, true]) {
        xhg(v, high);
        f.get(g).get(mgv).f64x2Sub().get(xh).get(mgxv).f64x2Mul().f64x2Sub().get(rv).f64x2Mul().f32x4DemoteF64x2Zero();
      }
      f.i8x16Shuffle(LOW_HALVES).v128Store();
      if (hasH) {
        f.get(hq);
        for (const high of [false, true]) {
          xhg(v, high);
          half(gv, high);
          f.get(xh).f64x2Mul().f32x4DemoteF64x2Zero();
        }
        f.i8x16Shuffle(LOW_HALVES).v128Store();
      }
      f.get(q).i32Const(16).i32Add().set(q);
      f.get(gq).i32Const(16).i32Add().set(gq);
      f.get(hq).i32Const(16).i32Add().set(hq);
      if (hasW) f.get(wq).i32Const(16).i32Add().set(wq);
    });
    for (const p of [pg, ox, oh]) f.get(p).get(n4).i32Const(4).i32Mul().i32Add().set(p);
  });
  return fn.def(`normback_rows${hasW ? '_w' : ''}${hasH ? '_h' : ''}`);
}
