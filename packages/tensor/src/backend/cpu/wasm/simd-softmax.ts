/**
 * Softmax and log-softmax rows in f32x4 lanes: the kernel `softmax_rows` of ./simd-kernels.ts.
 *
 *   softmax_rows(p, rows, n4, log, o)   each row of n4 floats from p into the row at o (o may equal p)
 *
 * Three passes over each row (a few KB, which stays in L1 between them), each unrolled eight
 * vectors deep with independent accumulators so the loop-carried latencies overlap:
 * 1. m = max x, by pseudo-max lanes (a NaN is skipped here and reaches every output through the
 *    sum instead); m = 0 when it is −∞, so an all −∞ row gives 0/0 = NaN like PyTorch.
 * 2. s = Σ e^{x−m} (the exp for x ≤ 0 below): each trip's eight exponentials
 *    added pairwise in f32 (each term rounded at most three times, ≤ 3·2⁻²⁴ of the sum), that
 *    partial sum into f64x2 lanes; softmax stores the exponentials in o.
 * 3. softmax: e·(1/s) (1/s in f64, rounded once); log-softmax: (x − m) − ln s.
 */
import { type FuncDef, ValType } from './encoder';
import { accumulate64, Fn, forRows, log, SWAP_HALVES, SWAP_PAIRS, total64 } from './simd-math';

const { i32 } = ValType;

/** Vectors per trip of the unrolled loops (a power of 2; 8 measured ~5% faster than 4, 4 ~15% faster than 2). */
const UNROLL = 8;

/**
 * e^r ≈ 1 + r·P(r) on |r| ≤ ln2/2, P's coefficients highest first: a minimax fit of relative
 * error 7.4·10⁻⁸ (our own, by linear programming over 4001 points). With the rounding of its
 * float32 evaluation e^x stays within 3 ulp (2.1·10⁻⁷) of float64 exp over [−87.5, 0], as the
 * general exp's degree-7 Cephes polynomial does within a few; one degree less is ~10% faster.
 */
const EXP_POLY = [8.325664062364986e-3, 4.190804478324873e-2, 1.666693949935534e-1, 4.999904330144857e-1, 1.0000000516630947];

/**
 * Pushes e^x for x ≤ 0 (softmax's x − max; NaN stays NaN). n = round(x·log₂e), r = x − n·ln2
 * (two-part ln2, so n·C1 is exact), e^x = 2ⁿ + 2ⁿ·r·P(r). The rounding constant carries the
 * exponent bias, so 2ⁿ is one shift of its bits; x is first raised to −88 (pseudo-max, x first:
 * NaN kept), where n = −127 puts 0 in the exponent field and the result is exactly 0, as it is for
 * x = −∞ (the true value, below 2⁻¹²⁶·0.7, is lost to an absolute 10⁻³⁸).
 */
export function expNonPositive(fn: Fn, x: number): void {
  const [t, n, s, r] = [fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const f = fn.f;
  const MAGIC = 1.5 * 2 ** 23 + 127; // n + 127 lands in the low mantissa bits; << 23 makes it 2ⁿ's exponent
  f.get(x).f32x4Const(-88).f32x4Pmax().set(t);
  f.get(t).f32x4Const(Math.LOG2E).f32x4Mul().f32x4Const(MAGIC).f32x4Add().set(n);
  f.get(n).i32Const(23).i32x4Shl().set(s); // 2ⁿ
  f.get(n).f32x4Const(MAGIC).f32x4Sub().set(n);
  f.get(t).get(n).f32x4Const(0.693359375).f32x4Mul().f32x4Sub().get(n).f32x4Const(-2.1219444e-4).f32x4Mul().f32x4Sub().set(r);
  f.f32x4Const(EXP_POLY[0]);
  for (const c of EXP_POLY.slice(1)) f.get(r).f32x4Mul().f32x4Const(c).f32x4Add();
  f.get(r).f32x4Mul().get(s).f32x4Mul().get(s).f32x4Add(); // 2ⁿ·r·P + 2ⁿ
}

/**
 * Emits a walk over n4 floats (a multiple of 4) from the pointer locals `ptrs`, which advance
 * together: {@link UNROLL} vectors per trip while that many remain, then one per trip.
 * `body(off, j)` handles the vector `off` bytes past each pointer in slot j (0 in the tail);
 * `trip(count)` follows the bodies of each trip.
 */
function walk(fn: Fn, ptrs: number[], n4: number, body: (off: number, j: number) => void, trip: (count: number) => void = () => {}): void {
  const k = fn.i32();
  const f = fn.f;
  const advance = (vectors: number) => {
    for (const q of ptrs)
      f.get(q)
        .i32Const(16 * vectors)
        .i32Add()
        .set(q);
    f.get(k)
      .i32Const(4 * vectors)
      .i32Sub()
      .tee(k);
  };
  f.get(n4).set(k);
  f.block()
    .get(k)
    .i32Const(4 * UNROLL)
    .i32LtU()
    .brIf(0);
  f.loop();
  for (let j = 0; j < UNROLL; j++) body(16 * j, j);
  trip(UNROLL);
  advance(UNROLL);
  f.i32Const(4 * UNROLL)
    .i32LtU()
    .i32Eqz()
    .brIf(0);
  f.end().end();
  f.block().get(k).i32Eqz().brIf(0);
  f.loop();
  body(0, 0);
  trip(1);
  advance(1);
  f.brIf(0);
  f.end().end();
}

/** Emits m = the row's max (pseudo-max: NaNs skipped), 0 when that is −∞, in all four lanes. */
function rowMax(fn: Fn, p: number, n4: number, m: number): void {
  const acc = Array.from({ length: UNROLL }, () => fn.v128());
  const q = fn.i32();
  const f = fn.f;
  for (const a of acc) f.f32x4Const(-Infinity).set(a);
  f.get(p).set(q);
  walk(fn, [q], n4, (off, j) => f.get(acc[j]).get(q).v128Load(off).f32x4Pmax().set(acc[j]));
  for (let w = UNROLL / 2; w >= 1; w /= 2)
    for (let j = 0; j < w; j++)
      f.get(acc[j])
        .get(acc[j + w])
        .f32x4Pmax()
        .set(acc[j]);
  for (const lanes of [SWAP_HALVES, SWAP_PAIRS]) f.get(acc[0]).get(acc[0]).get(acc[0]).i8x16Shuffle(lanes).f32x4Pmax().set(acc[0]);
  f.v128Zero().get(acc[0]).get(acc[0]).f32x4Const(-Infinity).f32x4Eq().v128Bitselect().set(m);
}

export function softmaxRows(): FuncDef {
  const fn = new Fn([i32, i32, i32, i32, i32]);
  const [p, rows, n4, logFlag, o] = [0, 1, 2, 3, 4];
  const [m, a0, a1, x, sv, ls] = [fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const ev = Array.from({ length: UNROLL }, () => fn.v128());
  const [q, qo] = [fn.i32(), fn.i32()];
  const f = fn.f;
  /** Pushes ev[from] + … + ev[from + count − 1] added pairwise (count a power of 2). */
  const pairwiseSum = (from: number, count: number): void => {
    if (count === 1) f.get(ev[from]);
    else {
      pairwiseSum(from, count / 2);
      pairwiseSum(from + count / 2, count / 2);
      f.f32x4Add();
    }
  };
  forRows(fn, p, rows, n4, () => {
    rowMax(fn, p, n4, m);
    // Σ e^{x−m} into a0, a1; softmax also stores the exponentials at o (one branch per trip:
    // log-softmax's pass 3 reads x again, which o may overwrite)
    f.v128Zero().set(a0).v128Zero().set(a1);
    f.get(p).set(q).get(o).set(qo);
    walk(
      fn,
      [q, qo],
      n4,
      (off, j) => {
        f.get(q).v128Load(off).get(m).f32x4Sub().set(x);
        expNonPositive(fn, x);
        f.set(ev[j]);
      },
      (count) => {
        f.get(logFlag).i32Eqz().if();
        for (let j = 0; j < count; j++)
          f.get(qo)
            .get(ev[j])
            .v128Store(16 * j);
        f.end();
        pairwiseSum(0, count);
        accumulate64(fn, a0, a1);
      },
    );
    f.get(logFlag).if();
    total64(fn, a0, a1);
    f.f32DemoteF64().f32x4Splat().set(sv);
    log(fn, sv);
    f.set(ls);
    f.get(p).set(q).get(o).set(qo);
    walk(fn, [q, qo], n4, (off) => f.get(qo).get(q).v128Load(off).get(m).f32x4Sub().get(ls).f32x4Sub().v128Store(off));
    f.else();
    f.f64Const(1);
    total64(fn, a0, a1);
    f.f64Div().f32DemoteF64().f32x4Splat().set(sv);
    f.get(o).set(q);
    walk(fn, [q], n4, (off) => f.get(q).get(q).v128Load(off).get(sv).f32x4Mul().v128Store(off));
    f.end();
    f.get(o).get(n4).i32Const(4).i32Mul().i32Add().set(o);
  });
  return fn.def('softmax_rows');
}
