// Over ~450 lines: every kernel of the one SIMD module is emitted here, in one module with one
// memory layout that the driver (./simd-driver.ts) and the worker threads address alike.
/**
 * The f32x4 elementwise / row kernels, emitted at run time into one module (no .wasm file is
 * committed). Every kernel works in place on float32 buffers inside the module's memory; lengths
 * are in floats, positive multiples of 4 (the driver in ./simd-driver.ts pads), so there is no
 * scalar tail code. Most kernels take an output address `o`: the driver's chunks pass o = p (in
 * place), its zero-copy calls on heap tensors the output tensor's address.
 *
 *   u_<op>(p, n, o)                   o[i] = op(p[i]); also u_square for pow(x, 2)
 *   b_<op>(a, b, n, s, mode, o)       mode 0: o[i] = a[i] op b[i]; 1: a[i] op s; 2: s op a[i];
 *                                     3, 4: as 1, 2 with s the float32 at address b (worker calls pass i32s only)
 *   c_<op>(a, b, n, s, mode, o)       the comparisons into bool bytes, same modes; m_mul(a, m, n, o) a[i]·bool m[i]
 *   z_fill(o, n)                      o[i] = 0
 *   zero(o, n), copy_rows(src, sld, dst, dld, rows, n)  exact (n any count: no write past the end)
 *   copy_rows_add(src, sld, dst, dld, rows, n, vals)  as copy_rows, row r plus the float at vals + 4r
 *   t_where(c, a, b, n)               a[i] = c[i] ≠ 0 ? a[i] : b[i]
 *   rows_max / rows_min(p, rows, n, out)  per row of n: max/min (NaN wins) → f32 at out[r]
 *   rows_sum(p, rows, n, out)         per row: sum in f64 → f64 at out[r]
 *   cols_<op>(p, rows, n, acc)        across rows: acc[j] op= row[j] (sum: f64 acc; max/min: f32)
 *   softmax_rows(p, rows, n, log, o)  per row, into the row at o: softmax, or log-softmax when `log` (./simd-softmax.ts)
 *   norm_rows[_w][_b](…)              per row, into the rows at o: layer normalization (./simd-norm.ts)
 *   normback_rows[_w][_h](…)          per row, into the rows at ox (and oh): its backward (./simd-norm.ts)
 *
 * Rows lie n floats apart from p (the driver pads each with the op's identity).
 */
import type { BinaryOp, UnaryOp } from '../../backend';
import { type FuncDef, ValType, encodeModule } from './encoder';
import { accumulate64, erf, exp, Fn, forRows, gelu, geluTanh, log as log_, SWAP_HALVES, SWAP_PAIRS, scan, sigmoid, sign, tanh, total64 } from './simd-math';
import { normBackRows, normRows } from './simd-norm';
import { softmaxRows } from './simd-softmax';

const { i32, f32 } = ValType;

/** The unary ops with a SIMD kernel: each pushes op(x) for the v128 local x. */
export const SIMD_UNARY = {
  neg: (fn, x) => fn.f.get(x).f32x4Neg(),
  abs: (fn, x) => fn.f.get(x).f32x4Abs(),
  sign,
  exp,
  log: log_,
  sqrt: (fn, x) => fn.f.get(x).f32x4Sqrt(),
  rsqrt: (fn, x) => fn.f.f32x4Const(1).get(x).f32x4Sqrt().f32x4Div(),
  relu: (fn, x) => fn.f.get(x).f32x4Const(0).f32x4Max(), // max keeps NaN and turns −0 into 0
  sigmoid,
  tanh,
  erf,
  gelu,
  geluTanh,
  floor: (fn, x) => fn.f.get(x).f32x4Floor(),
  ceil: (fn, x) => fn.f.get(x).f32x4Ceil(),
  round: (fn, x) => fn.f.get(x).f32x4Nearest(), // ties to even, as torch.round
} satisfies Partial<Record<UnaryOp, (fn: Fn, x: number) => unknown>>;
export type SimdUnaryOp = keyof typeof SIMD_UNARY;

/** The binary ops with a SIMD kernel (all but pow). */
export const SIMD_BINARY = {
  add: (fn) => fn.f.f32x4Add(),
  sub: (fn) => fn.f.f32x4Sub(),
  mul: (fn) => fn.f.f32x4Mul(),
  div: (fn) => fn.f.f32x4Div(),
  maximum: (fn) => fn.f.f32x4Max(), // NaN propagates, as torch.maximum
  minimum: (fn) => fn.f.f32x4Min(),
  // comparisons: lane masks → 1.0 / 0.0 (the driver's copy-out turns them into bool bytes)
  eq: (fn) => COMPARE.eq(fn).f32x4Const(1).v128And(),
  ne: (fn) => COMPARE.ne(fn).f32x4Const(1).v128And(),
  lt: (fn) => COMPARE.lt(fn).f32x4Const(1).v128And(),
  le: (fn) => COMPARE.le(fn).f32x4Const(1).v128And(),
  gt: (fn) => COMPARE.gt(fn).f32x4Const(1).v128And(),
  ge: (fn) => COMPARE.ge(fn).f32x4Const(1).v128And(),
  reluGrad: (fn) => fn.f.f32x4Const(0).f32x4Gt().f32x4Const(1).v128And().f32x4Mul(), // a·(b > 0 ? 1 : 0)
} satisfies Partial<Record<BinaryOp, (fn: Fn) => unknown>>;
export type SimdBinaryOp = keyof typeof SIMD_BINARY;

/** The comparisons as lane masks (all ones / zero). */
const COMPARE = {
  eq: (fn: Fn) => fn.f.f32x4Eq(),
  ne: (fn: Fn) => fn.f.f32x4Ne(),
  lt: (fn: Fn) => fn.f.f32x4Lt(),
  le: (fn: Fn) => fn.f.f32x4Le(),
  gt: (fn: Fn) => fn.f.f32x4Gt(),
  ge: (fn: Fn) => fn.f.f32x4Ge(),
};
export type CompareOp = keyof typeof COMPARE;
/** Byte 0 of each i32 lane into bytes 0–3 (the rest: zero bytes of the second operand). */
const LANE_BYTES = [0, 4, 8, 12, ...new Array<number>(12).fill(16)];
/** Bytes 0–3 into byte 0 of each i32 lane, zero-extended (second operand zero). */
const BYTE_LANES = [0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 3, 16, 16, 16];

/**
 * c_<op>(a, b, n, s, mode, o): bool bytes o[i] = a[i] op b[i] ? 1 : 0 (mode 0), a[i] op s (1),
 * s op a[i] (2), modes 3 and 4 as 1 and 2 with s read at address b; n a multiple of 4, 4 bytes stored per 4 floats.
 */
function compareKernel(op: CompareOp): FuncDef {
  const fn = new Fn([i32, i32, i32, f32, i32, i32]);
  const [a, b, n, s, mode, o] = [0, 1, 2, 3, 4, 5];
  const [sv, x, y] = [fn.v128(), fn.v128(), fn.v128()];
  const f = fn.f;
  f.get(s).f32x4Splat().set(sv);
  scalarAt(fn, b, mode, sv);
  f.loop();
  f.get(a).v128Load().set(x).get(sv).set(y);
  f.get(mode).i32Eqz().if().get(b).v128Load().set(y).get(b).i32Const(16).i32Add().set(b).end();
  f.get(mode).i32Const(2).i32Sub().i32Eqz().if().get(x).set(y).get(sv).set(x).end();
  f.get(o).get(x).get(y);
  COMPARE[op](fn);
  f.i32x4Const(1).v128And().v128Zero().i8x16Shuffle(LANE_BYTES).f32x4ExtractLane(0).f32Store(0, 0);
  f.get(a).i32Const(16).i32Add().set(a);
  f.get(o).i32Const(4).i32Add().set(o);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end();
  return fn.def(`c_${op}`);
}

/** m_mul(a, m, n, o): o[i] = a[i] · m[i] for bool bytes m (0 or 1), as the JS loop multiplies; n a multiple of 4. */
function maskMulKernel(): FuncDef {
  const fn = new Fn([i32, i32, i32, i32]);
  const [a, m, n, o] = [0, 1, 2, 3];
  const f = fn.f;
  f.loop();
  f.get(o).get(a).v128Load();
  f.get(m).v128Load32Splat(0, 0).v128Zero().i8x16Shuffle(BYTE_LANES).f32x4ConvertI32x4S();
  f.f32x4Mul().v128Store();
  f.get(a).i32Const(16).i32Add().set(a);
  f.get(m).i32Const(4).i32Add().set(m);
  f.get(o).i32Const(16).i32Add().set(o);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end();
  return fn.def('m_mul');
}

/** Modes 3 and 4 (the scalar operand at address `b`): sv = that float in every lane, mode −= 2. */
function scalarAt(fn: Fn, b: number, mode: number, sv: number): void {
  fn.f.i32Const(2).get(mode).i32LtU().if().get(b).v128Load32Splat(0, 0).set(sv).get(mode).i32Const(2).i32Sub().set(mode).end();
}

/** z_fill(o, n): n floats (a multiple of 4) of zeros at o. */
function fillKernel(): FuncDef {
  const fn = new Fn([i32, i32]);
  const [o, n] = [0, 1];
  const f = fn.f;
  f.loop();
  f.get(o).v128Zero().v128Store(0, 0);
  f.get(o).i32Const(16).i32Add().set(o);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end();
  return fn.def('z_fill');
}

/**
 * Emits a copy (or, without `src`, zeroing) of exactly `n` floats: 4 at a time, then one by one;
 * moves the pointers. With `add` (a v128 local holding one value in every lane), src + that value.
 */
function exactRun(fn: Fn, src: number | null, dst: number, n: number, add: number | null = null): void {
  const f = fn.f;
  const step = (bytes: number) => {
    if (src !== null) f.get(src).i32Const(bytes).i32Add().set(src);
    f.get(dst).i32Const(bytes).i32Add().set(dst);
    f.get(n)
      .i32Const(bytes / 4)
      .i32Sub()
      .set(n);
  };
  f.block().loop();
  f.get(n).i32Const(4).i32LtU().brIf(1);
  f.get(dst);
  if (src !== null) f.get(src).v128Load(0, 0);
  else f.v128Zero();
  if (add !== null) f.get(add).f32x4Add();
  f.v128Store(0, 0);
  step(16);
  f.br(0).end().end();
  f.block().loop();
  f.get(n).i32Eqz().brIf(1);
  f.get(dst);
  if (src !== null) f.get(src).f32Load(0, 0);
  else f.f32x4Const(0).f32x4ExtractLane(0);
  if (add !== null) f.get(add).f32x4ExtractLane(0).f32Add();
  f.f32Store(0, 0);
  step(4);
  f.br(0).end().end();
}

/**
 * sum_stages(dst, dld, src, sld, sstride, count, rows, n): for `rows` rows of n floats (dst rows
 * dld bytes apart, src rows sld apart), dst[i] += src[i] + src[i + sstride] + … (`count` stages,
 * sstride bytes apart, added one after another in f32 in that order; count ≥ 1).
 */
function sumStagesKernel(): FuncDef {
  const fn = new Fn([i32, i32, i32, i32, i32, i32, i32, i32]);
  const [dst, dld, src, sld, sstride, count, rows, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [p, q, c, k] = [fn.i32(), fn.i32(), fn.i32(), fn.i32()];
  const acc = fn.v128();
  const f = fn.f;
  /** acc (v128, or a scalar f32 in its lane 0 via `wide` false) = dst[p] + Σ stages at src + p. */
  const column = (wide: boolean) => {
    f.get(dst).get(p).i32Add();
    if (wide) f.get(dst).get(p).i32Add().v128Load(0, 0).set(acc);
    else f.get(dst).get(p).i32Add().f32Load(0, 0).f32x4Splat().set(acc);
    f.get(src).get(p).i32Add().set(q).get(count).set(c);
    f.loop();
    f.get(acc).get(q);
    if (wide) f.v128Load(0, 0);
    else f.f32Load(0, 0).f32x4Splat();
    f.f32x4Add().set(acc);
    f.get(q).get(sstride).i32Add().set(q);
    f.get(c).i32Const(1).i32Sub().tee(c).brIf(0);
    f.end();
    f.get(acc);
    if (wide) f.v128Store(0, 0);
    else f.f32x4ExtractLane(0).f32Store(0, 0);
  };
  f.loop();
  f.i32Const(0).set(p).get(n).set(k);
  f.block().loop();
  f.get(k).i32Const(4).i32LtU().brIf(1);
  column(true);
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(k).i32Const(4).i32Sub().set(k);
  f.br(0).end().end();
  f.block().loop();
  f.get(k).i32Eqz().brIf(1);
  column(false);
  f.get(p).i32Const(4).i32Add().set(p);
  f.get(k).i32Const(1).i32Sub().set(k);
  f.br(0).end().end();
  f.get(dst).get(dld).i32Add().set(dst);
  f.get(src).get(sld).i32Add().set(src);
  f.get(rows).i32Const(1).i32Sub().tee(rows).brIf(0);
  f.end();
  return fn.def('sum_stages');
}

/** zero(o, n): exactly n floats of zeros at o. */
function zeroKernel(): FuncDef {
  const fn = new Fn([i32, i32]);
  exactRun(fn, null, 0, 1);
  return fn.def('zero');
}

/**
 * copy_rows(src, sld, dst, dld, rows, n): rows of exactly n floats, sld / dld bytes apart (rows ≥ 1).
 * copy_rows_add(…, vals): row r plus the float32 at vals + 4r (a convolution's bias per channel).
 */
function copyRowsKernel(add: boolean): FuncDef {
  const fn = new Fn(add ? [i32, i32, i32, i32, i32, i32, i32] : [i32, i32, i32, i32, i32, i32]);
  const [src, sld, dst, dld, rows, n, vals] = [0, 1, 2, 3, 4, 5, 6];
  const [p, q, k] = [fn.i32(), fn.i32(), fn.i32()];
  const v = add ? fn.v128() : null;
  const f = fn.f;
  f.loop();
  f.get(src).set(p).get(dst).set(q).get(n).set(k);
  if (v !== null) f.get(vals).v128Load32Splat(0, 0).set(v).get(vals).i32Const(4).i32Add().set(vals);
  exactRun(fn, p, q, k, v);
  f.get(src).get(sld).i32Add().set(src);
  f.get(dst).get(dld).i32Add().set(dst);
  f.get(rows).i32Const(1).i32Sub().tee(rows).brIf(0);
  f.end();
  return fn.def(add ? 'copy_rows_add' : 'copy_rows');
}

/** Emits `loop { body(x = p[0..4)) → o[0..4); p += 16; o += 16; n −= 4 } while n` (o may equal p). */
function mapLoop(fn: Fn, p: number, n: number, o: number, body: (x: number) => void): void {
  const x = fn.v128();
  const f = fn.f;
  f.loop();
  f.get(o);
  f.get(p).v128Load().set(x);
  body(x);
  f.v128Store();
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(o).i32Const(16).i32Add().set(o);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end();
}

function unaryKernel(op: SimdUnaryOp): FuncDef {
  const fn = new Fn([i32, i32, i32]);
  mapLoop(fn, 0, 1, 2, (x) => SIMD_UNARY[op](fn, x));
  return fn.def(`u_${op}`);
}

/** u_square(p, n): p[i] = p[i]·p[i], which is pow(x, 2) exactly (the commonest pow: squared errors). */
function squareKernel(): FuncDef {
  const fn = new Fn([i32, i32, i32]);
  mapLoop(fn, 0, 1, 2, (x) => fn.f.get(x).get(x).f32x4Mul());
  return fn.def('u_square');
}

function binaryKernel(op: SimdBinaryOp): FuncDef {
  const fn = new Fn([i32, i32, i32, f32, i32, i32]);
  const [a, b, n, s, mode, o] = [0, 1, 2, 3, 4, 5];
  const sv = fn.v128();
  const f = fn.f;
  const emit = SIMD_BINARY[op];
  f.get(s).f32x4Splat().set(sv);
  scalarAt(fn, b, mode, sv);
  f.get(mode).i32Eqz().if();
  f.loop();
  f.get(o);
  f.get(a).v128Load().get(b).v128Load();
  emit(fn);
  f.v128Store();
  f.get(a).i32Const(16).i32Add().set(a);
  f.get(b).i32Const(16).i32Add().set(b);
  f.get(o).i32Const(16).i32Add().set(o);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end();
  f.else().get(mode).i32Const(1).i32Sub().i32Eqz().if();
  mapLoop(fn, a, n, o, (x) => {
    f.get(x).get(sv);
    emit(fn);
  });
  f.else();
  mapLoop(fn, a, n, o, (x) => {
    f.get(sv).get(x);
    emit(fn);
  });
  f.end().end();
  return fn.def(`b_${op}`);
}

/** The binary ops with a scalar-per-line kernel (`ls_<op>`). */
const LINE_SCALAR = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;

/**
 * ls_<op>(a, slots, n, n4, rows, mode, o): for each of `rows` lines of n floats (back to back from
 * a and from o; n4 = n rounded up to a multiple of 4), with s the float32 at slots + 4·line:
 * o = a op s (mode 1) or s op a (mode 2). A line's last vector may write up to 3 floats past it
 * (the next line overwrites them).
 */
function lineScalarKernel(op: (typeof LINE_SCALAR)[number]): FuncDef {
  const fn = new Fn([i32, i32, i32, i32, i32, i32, i32]);
  const [a, slots, n, n4, rows, mode, o] = [0, 1, 2, 3, 4, 5, 6];
  const [sv, k, q, r] = [fn.v128(), fn.i32(), fn.i32(), fn.i32()];
  const f = fn.f;
  const inner = (scalarFirst: boolean) => {
    f.loop();
    f.get(r);
    if (scalarFirst) f.get(sv).get(q).v128Load(0, 0);
    else f.get(q).v128Load(0, 0).get(sv);
    SIMD_BINARY[op](fn);
    f.v128Store(0, 0);
    f.get(q).i32Const(16).i32Add().set(q);
    f.get(r).i32Const(16).i32Add().set(r);
    f.get(k).i32Const(4).i32Sub().tee(k).brIf(0);
    f.end();
  };
  f.loop();
  f.get(slots).v128Load32Splat(0, 0).set(sv);
  f.get(a).set(q).get(o).set(r).get(n4).set(k);
  f.get(mode).i32Const(1).i32Sub().i32Eqz().if();
  inner(false);
  f.else();
  inner(true);
  f.end();
  f.get(a).get(n).i32Const(4).i32Mul().i32Add().set(a);
  f.get(o).get(n).i32Const(4).i32Mul().i32Add().set(o);
  f.get(slots).i32Const(4).i32Add().set(slots);
  f.get(rows).i32Const(1).i32Sub().tee(rows).brIf(0);
  f.end();
  return fn.def(`ls_${op}`);
}

/** t_where(c, a, b, n): a[i] = c[i] ≠ 0 ? a[i] : b[i]. */
function whereKernel(): FuncDef {
  const fn = new Fn([i32, i32, i32, i32]);
  const [c, a, b, n] = [0, 1, 2, 3];
  const f = fn.f;
  f.loop();
  f.get(a);
  f.get(a).v128Load().get(b).v128Load().get(c).v128Load().f32x4Const(0).f32x4Ne().v128Bitselect();
  f.v128Store();
  for (const p of [c, a, b]) f.get(p).i32Const(16).i32Add().set(p);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end();
  return fn.def('t_where');
}

/**
 * Pushes the max (or min) of the row at `start` in all four lanes, NaN if it holds one: pseudo-max
 * lanes (one instruction each, where wasm's NaN-propagating max costs several) plus a mask of
 * NaNs seen, both folded across the lanes by two shuffles.
 */
function extreme(fn: Fn, start: number, n4: number, isMax: boolean): void {
  const [acc, nan] = [fn.v128(), fn.v128()];
  const f = fn.f;
  const op = () => (isMax ? f.f32x4Pmax() : f.f32x4Pmin());
  f.f32x4Const(isMax ? -Infinity : Infinity)
    .set(acc)
    .v128Zero()
    .set(nan);
  scan(fn, start, n4, (v) => {
    f.get(nan).get(v).get(v).f32x4Ne().v128Or().set(nan);
    f.get(acc).get(v);
    op();
    f.set(acc);
  });
  for (const lanes of [SWAP_HALVES, SWAP_PAIRS]) {
    f.get(acc).get(acc).get(acc).i8x16Shuffle(lanes);
    op();
    f.set(acc);
    f.get(nan).get(nan).get(nan).i8x16Shuffle(lanes).v128Or().set(nan);
  }
  f.f32x4Const(Number.NaN).get(acc).get(nan).v128Bitselect();
}

/** rows_max / rows_min(p, rows, n4, out): f32 results at out, out + 4, … */
function rowsExtreme(isMax: boolean): FuncDef {
  const fn = new Fn([i32, i32, i32, i32]);
  const [p, rows, n4, out] = [0, 1, 2, 3];
  forRows(fn, p, rows, n4, () => {
    fn.f.get(out);
    extreme(fn, p, n4, isMax);
    fn.f.f32x4ExtractLane(0).f32Store();
    fn.f.get(out).i32Const(4).i32Add().set(out);
  });
  return fn.def(isMax ? 'rows_max' : 'rows_min');
}

/**
 * cols_sum / cols_max / cols_min(p, rows, n4, acc): acc[j] op= p[r·n4 + j] over the rows —
 * the sum in f64 (n4 doubles at acc), max/min in f32 with wasm's NaN-propagating max/min.
 */
function colsReduce(op: 'sum' | 'max' | 'min'): FuncDef {
  const fn = new Fn([i32, i32, i32, i32]);
  const [p, rows, n4, acc] = [0, 1, 2, 3];
  const qa = fn.i32();
  const f = fn.f;
  forRows(fn, p, rows, n4, () => {
    f.get(acc).set(qa);
    scan(fn, p, n4, (v) => {
      if (op === 'sum') {
        f.get(qa).get(qa).v128Load().get(v).f64x2PromoteLowF32x4().f64x2Add().v128Store();
        f.get(qa).get(qa).v128Load(16).get(v).get(v).i8x16Shuffle(SWAP_HALVES).f64x2PromoteLowF32x4().f64x2Add().v128Store(16);
        f.get(qa).i32Const(32).i32Add().set(qa);
      } else {
        f.get(qa).get(qa).v128Load().get(v);
        if (op === 'max') f.f32x4Max();
        else f.f32x4Min();
        f.v128Store();
        f.get(qa).i32Const(16).i32Add().set(qa);
      }
    });
  });
  return fn.def(`cols_${op}`);
}

/** strided_sum(p, rows, n4, stride, out): one f64 sum (of the f32 values, in f64) of `rows` rows of n4 floats, `stride` bytes apart, at out. */
function stridedSum(): FuncDef {
  const fn = new Fn([i32, i32, i32, i32, i32]);
  const [p, rows, n4, stride, out] = [0, 1, 2, 3, 4];
  const [a0, a1] = [fn.v128(), fn.v128()];
  const f = fn.f;
  f.v128Zero().set(a0).v128Zero().set(a1);
  f.loop();
  scan(fn, p, n4, (v) => {
    f.get(v);
    accumulate64(fn, a0, a1);
  });
  f.get(p).get(stride).i32Add().set(p);
  f.get(rows).i32Const(1).i32Sub().tee(rows).brIf(0);
  f.end();
  f.get(out);
  total64(fn, a0, a1);
  f.f64Store();
  return fn.def('strided_sum');
}

/** rows_sum(p, rows, n4, out): f64 sums (of the f32 values, in f64) at out, out + 8, … */
function rowsSum(): FuncDef {
  const fn = new Fn([i32, i32, i32, i32]);
  const [p, rows, n4, out] = [0, 1, 2, 3];
  const [a0, a1] = [fn.v128(), fn.v128()];
  const f = fn.f;
  forRows(fn, p, rows, n4, () => {
    f.v128Zero().set(a0).v128Zero().set(a1);
    scan(fn, p, n4, (v) => {
      f.get(v);
      accumulate64(fn, a0, a1);
    });
    f.get(out);
    total64(fn, a0, a1);
    f.f64Store();
    f.get(out).i32Const(8).i32Add().set(out);
  });
  return fn.def('rows_sum');
}

/**
 * The whole module's bytes: every kernel above, over the imported memory `env.mem` (declared
 * shared, up to 4 GiB, when `shared`: the CPU heap).
 */
export function emitSimdModule(shared: boolean): Uint8Array<ArrayBuffer> {
  const funcs: FuncDef[] = [
    ...(Object.keys(SIMD_UNARY) as SimdUnaryOp[]).map(unaryKernel),
    squareKernel(),
    ...(Object.keys(SIMD_BINARY) as SimdBinaryOp[]).map(binaryKernel),
    ...(Object.keys(COMPARE) as CompareOp[]).map(compareKernel),
    maskMulKernel(),
    ...LINE_SCALAR.map(lineScalarKernel),
    fillKernel(),
    zeroKernel(),
    copyRowsKernel(false),
    copyRowsKernel(true),
    sumStagesKernel(),
    whereKernel(),
    rowsExtreme(true),
    rowsExtreme(false),
    rowsSum(),
    stridedSum(),
    colsReduce('sum'),
    colsReduce('max'),
    colsReduce('min'),
    softmaxRows(),
    ...[false, true].flatMap((w) => [false, true].map((b) => normRows(w, b))),
    ...[false, true].flatMap((w) => [false, true].map((h) => normBackRows(w, h))),
  ];
  const mem = { module: 'env', field: 'mem' };
  return encodeModule({ memory: shared ? { import: mem, minPages: 1, maxPages: 65536, shared } : { import: mem, minPages: 1 }, funcs });
}
