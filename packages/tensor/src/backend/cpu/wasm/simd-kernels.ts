/**
 * The f32x4 elementwise / row kernels, emitted at run time into one module (no .wasm file is
 * committed). Every kernel works in place on float32 buffers inside the module's memory; lengths
 * are in floats, positive multiples of 4 (the driver in ./simd-driver.ts pads), so there is no
 * scalar tail code.
 *
 *   u_<op>(p, n)                    p[i] = op(p[i])
 *   b_<op>(a, b, n, s, mode)        mode 0: a[i] = a[i] op b[i]; 1: a[i] op s; 2: s op a[i]
 *   r_max / r_min(p, n) → f32       lane-wise max/min (NaN wins), then across the lanes
 *   r_sum(p, n) → f64               sum in two f64x2 accumulators
 *   expsum(p, n, m, store) → f64    Σ e^{p[i] − m} in f64; stores the exponentials when `store`
 *   logfinish(p, n, m, ls)          p[i] = (p[i] − m) − ls (log-softmax)
 */
import type { BinaryOp, UnaryOp } from '../../backend';
import { type FuncDef, ValType, encodeModule } from './encoder';
import { erf, exp, Fn, gelu, geluTanh, log, sigmoid, sign, tanh } from './simd-math';

const { i32, f32, f64 } = ValType;

/** The unary ops with a SIMD kernel: each pushes op(x) for the v128 local x. */
export const SIMD_UNARY = {
  neg: (fn, x) => fn.f.get(x).f32x4Neg(),
  abs: (fn, x) => fn.f.get(x).f32x4Abs(),
  sign,
  exp,
  log,
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

/** The binary ops with a SIMD kernel (comparisons write bool and stay in JS). */
export const SIMD_BINARY = {
  add: (fn) => fn.f.f32x4Add(),
  sub: (fn) => fn.f.f32x4Sub(),
  mul: (fn) => fn.f.f32x4Mul(),
  div: (fn) => fn.f.f32x4Div(),
  maximum: (fn) => fn.f.f32x4Max(), // NaN propagates, as torch.maximum
  minimum: (fn) => fn.f.f32x4Min(),
} satisfies Partial<Record<BinaryOp, (fn: Fn) => unknown>>;
export type SimdBinaryOp = keyof typeof SIMD_BINARY;

/** Emits `loop { body(x = p[0..4)) → store; p += 16; n −= 4 } while n`. */
function inPlaceLoop(fn: Fn, p: number, n: number, body: (x: number) => void): void {
  const x = fn.v128();
  const f = fn.f;
  f.loop();
  f.get(p);
  f.get(p).v128Load().set(x);
  body(x);
  f.v128Store();
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end();
}

function unaryKernel(op: SimdUnaryOp): FuncDef {
  const fn = new Fn([i32, i32]);
  inPlaceLoop(fn, 0, 1, (x) => SIMD_UNARY[op](fn, x));
  return fn.def(`u_${op}`);
}

function binaryKernel(op: SimdBinaryOp): FuncDef {
  const fn = new Fn([i32, i32, i32, f32, i32]);
  const [a, b, n, s, mode] = [0, 1, 2, 3, 4];
  const sv = fn.v128();
  const f = fn.f;
  const emit = SIMD_BINARY[op];
  f.get(s).f32x4Splat().set(sv);
  f.get(mode).i32Eqz().if();
  f.loop();
  f.get(a);
  f.get(a).v128Load().get(b).v128Load();
  emit(fn);
  f.v128Store();
  f.get(a).i32Const(16).i32Add().set(a);
  f.get(b).i32Const(16).i32Add().set(b);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end();
  f.else().get(mode).i32Const(1).i32Sub().i32Eqz().if();
  inPlaceLoop(fn, a, n, (x) => {
    f.get(x).get(sv);
    emit(fn);
  });
  f.else();
  inPlaceLoop(fn, a, n, (x) => {
    f.get(sv).get(x);
    emit(fn);
  });
  f.end().end();
  return fn.def(`b_${op}`);
}

/** Horizontal max/min: lanes folded by two shuffles, then lane 0. */
function rowExtreme(name: 'r_max' | 'r_min'): FuncDef {
  const fn = new Fn([i32, i32], [f32]);
  const [p, n] = [0, 1];
  const acc = fn.v128();
  const f = fn.f;
  const op = () => (name === 'r_max' ? f.f32x4Max() : f.f32x4Min());
  f.get(p).v128Load().set(acc);
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(n).i32Const(4).i32Sub().tee(n).if();
  f.loop();
  f.get(acc).get(p).v128Load();
  op();
  f.set(acc);
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end().end();
  f.get(acc).get(acc).get(acc).i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
  op();
  f.set(acc);
  f.get(acc).get(acc).get(acc).i8x16Shuffle([4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11]);
  op();
  f.f32x4ExtractLane(0);
  return fn.def(name);
}

/** Adds the four f32 lanes on the stack into the f64x2 accumulators a0 (lanes 0, 1) and a1 (2, 3). */
function accumulate64(fn: Fn, a0: number, a1: number): void {
  const v = fn.v128();
  const f = fn.f;
  f.set(v);
  f.get(a0).get(v).f64x2PromoteLowF32x4().f64x2Add().set(a0);
  f.get(a1).get(v).get(v).i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]).f64x2PromoteLowF32x4().f64x2Add().set(a1);
}

/** Pushes a0 + a1 summed across lanes as one f64. */
function total64(fn: Fn, a0: number, a1: number): void {
  fn.f.get(a0).get(a1).f64x2Add().set(a0).get(a0).f64x2ExtractLane(0).get(a0).f64x2ExtractLane(1).f64Add();
}

function rowSum(): FuncDef {
  const fn = new Fn([i32, i32], [f64]);
  const [p, n] = [0, 1];
  const [a0, a1] = [fn.v128(), fn.v128()];
  const f = fn.f;
  f.loop();
  f.get(p).v128Load();
  accumulate64(fn, a0, a1);
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
  f.end();
  total64(fn, a0, a1);
  return fn.def('r_sum');
}

function expSum(): FuncDef {
  const fn = new Fn([i32, i32, f32, i32], [f64]);
  const [p, n, m, store] = [0, 1, 2, 3];
  const [mv, a0, a1, x] = [fn.v128(), fn.v128(), fn.v128(), fn.v128()];
  const f = fn.f;
  f.get(m).f32x4Splat().set(mv);
  for (const storing of [true, false]) {
    if (storing) f.get(store).if();
    else f.else();
    f.loop();
    f.get(p).v128Load().get(mv).f32x4Sub().set(x);
    if (storing) {
      const e = fn.v128();
      exp(fn, x);
      f.set(e).get(p).get(e).v128Store().get(e);
    } else exp(fn, x);
    accumulate64(fn, a0, a1);
    f.get(p).i32Const(16).i32Add().set(p);
    f.get(n).i32Const(4).i32Sub().tee(n).brIf(0);
    f.end();
  }
  f.end();
  total64(fn, a0, a1);
  return fn.def('expsum');
}

function logFinish(): FuncDef {
  const fn = new Fn([i32, i32, f32, f32]);
  const [p, n, m, ls] = [0, 1, 2, 3];
  const [mv, lv] = [fn.v128(), fn.v128()];
  fn.f.get(m).f32x4Splat().set(mv).get(ls).f32x4Splat().set(lv);
  inPlaceLoop(fn, p, n, (x) => fn.f.get(x).get(mv).f32x4Sub().get(lv).f32x4Sub());
  return fn.def('logfinish');
}

/** The whole module's bytes: every kernel above, over the imported memory `env.mem`. */
export function emitSimdModule(): Uint8Array<ArrayBuffer> {
  const funcs: FuncDef[] = [
    ...(Object.keys(SIMD_UNARY) as SimdUnaryOp[]).map(unaryKernel),
    ...(Object.keys(SIMD_BINARY) as SimdBinaryOp[]).map(binaryKernel),
    rowExtreme('r_max'),
    rowExtreme('r_min'),
    rowSum(),
    expSum(),
    logFinish(),
  ];
  return encodeModule({ memory: { import: { module: 'env', field: 'mem' }, minPages: 1 }, funcs });
}
