/**
 * WebAssembly SIMD for the int8 inference passes (../quantized.ts), the JS loops' results bit for
 * bit: f32x4 arithmetic is IEEE float32 (correctly rounded, as each Math.fround of the JS path),
 * `f32x4.nearest` rounds ties to even, and every clamped value is a small integer held exactly.
 * The module (emitted at run time with ./encoder.ts, its own memory) streams chunks through
 * fixed addresses:
 *
 *   quantize / quantizeU8(n16, src, dst, inv, zp, qmin, qmax)
 *     x → clamp(nearest(x·inv) + zp) (NaN → zp), written as int8 / uint8 bytes
 *   requant(rows, n, col, bias, mult, acc, dst, zp, qmin, qmax, scale)
 *     acc [rows, n] int32 → (clamp(nearest((f32(acc + col[j]) + bias[j])·mult[j]) + zp) − zp)·scale,
 *     float32 at dst (which may equal acc: in place)
 *   requantF(rows, n, col, bias, mult, acc, dst, xs)
 *     acc [rows, n] int32 → f32(acc + col[j])·xs·mult[j] + bias[j] (each step rounded) at dst
 *     (the dynamic Linear's float output)
 *   requantAt(float, rows, n, col, bias, mult, src, dst, params): either, its scalars read at
 *     `params` (every argument an i32, for the worker pool)
 *   requantRow(n4, src, dst, consts, zp, qmin, qmax, scale)
 *     the same for one channel's run (int32 at src → float32 at dst, which may equal src), its
 *     column term, bias term and multiplier at `consts`
 *   requantRowQ / requantRowQU(n4, src, dst, consts, zp, qmin, qmax)
 *     the same run's clamped integers, written as int8 / uint8 bytes (dst ≤ src: in place too);
 *     two unexported twins skip the NaN lanes' zeroing, for a finite bias term and multiplier
 *   requantBlock(kind, rows, images, n4, src, ld, dst, consts, params)
 *     one of those row kernels over a gemm block of rows × images runs, written in NCHW order
 *   im2colI8(src, dst, tab): one image's int8 im2col, column stride 1 (./int8-conv.ts)
 *   quantizeAt(unsigned, n16, src, dst, params): quantize / quantizeU8 with inv, zp, qmin, qmax
 *     read as float32 at `params` (every argument an i32, as the worker pool passes them)
 *   maxPool2x2 / maxPool2x2U(src, dst, planes, h, w, ho, g16, back, tail)
 *     2×2 stride-2 max pooling of int8 / uint8 planes (h·w bytes each) into ho rows of wo bytes
 *     (g16 = ⌈wo/16⌉ groups of 16 windows, back = 16·g16 − wo): a row's last group reads up to 32
 *     bytes past it and writes up to 15 past it (the next row's, rewritten next; slack at the end),
 *     but with `tail` (16 bytes of scratch) each store is checked: one that would reach past the
 *     call's output goes there and only its bytes before that end are copied, so nothing is written
 *     past the call's output (threads' ranges; callers pass a run's last planes so) and every byte
 *     ends as the plain stores leave it
 *
 * The requantizing kernels clamp with pmax/pmin (one instruction each where max/min take several):
 * with the value as first operand a NaN passes through, as in the JS loops, and no −0 reaches
 * them (the zero point's +0 is added first), so they give the same values as max/min.
 * quantize narrows in wasm (trunc_sat, then saturating narrows of values already in range), so the
 * bytes come back with one memcpy.
 * `AIMODEL_CPU_SIMD=0` in the environment forces the JS loops.
 */
import { Code, type FuncDef, encodeModule, memoryImport, ValType } from './encoder';
import { int8Im2colKernel, requantBlockKernel } from './int8-conv';
import { lookUp16Kernel, poolRequantKernel } from './int8-epilogue';

const { i32, f32, v128 } = ValType;

/** 1.5·2²³ (adding it rounds a float32 below 2²² to an integer, half to even) and its bits. */
const MAGIC = 12582912;
const MAGIC_BITS = 0x4b400000;

/**
 * Sixteen values stored as bytes at the address on the stack: `four(0)` … `four(48)` each leave
 * four int32 lanes (values already in the 8-bit range), narrowed to int8 or uint8.
 */
function storeSixteen(c: Code, four: (at: number) => void, unsigned: boolean): void {
  four(0);
  four(16);
  c.i16x8NarrowI32x4S();
  four(32);
  four(48);
  c.i16x8NarrowI32x4S();
  if (unsigned) c.i8x16NarrowI16x8U();
  else c.i8x16NarrowI16x8S();
  c.v128Store(0);
}

/**
 * quantize / quantizeU8(n16, src, dst, inv, zp, qmin, qmax): groups of 16 floats at src →
 * clamp(nearest(x·inv) + zp) (NaN → zp), truncated to integers and narrowed (saturating, the values
 * already in range) to 16 int8 or uint8 bytes at dst.
 */
function quantizeKernel(unsigned: boolean): FuncDef {
  const [n16, src, dst, inv, zp, lo, hi] = [0, 1, 2, 3, 4, 5, 6];
  const [end, p, d, vInv, vZp, vLo, vHi, v] = [7, 8, 9, 10, 11, 12, 13, 14];
  const c = new Code();
  c.get(inv).f32x4Splat().set(vInv).get(zp).f32x4Splat().set(vZp).get(lo).f32x4Splat().set(vLo).get(hi).f32x4Splat().set(vHi);
  c.get(src).set(p).get(dst).set(d).get(src).get(n16).i32Const(64).i32Mul().i32Add().set(end);
  c.block().loop().get(p).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(d);
  const four = (at: number) => {
    c.get(p).v128Load(at).get(vInv).f32x4Mul().set(v);
    c.get(v).f32x4Nearest().get(vZp).f32x4Add().get(vLo).f32x4Max().get(vHi).f32x4Min(); // clamped (NaN stays NaN)
    c.get(vZp);
    c.get(v).get(v).f32x4Eq(); // lanes that are not NaN
    c.v128Bitselect().i32x4TruncSatF32x4S();
  };
  storeSixteen(c, four, unsigned);
  c.get(p).i32Const(64).i32Add().set(p).get(d).i32Const(16).i32Add().set(d).br(0).end().end();
  return {
    params: [i32, i32, i32, f32, f32, f32, f32],
    results: [],
    locals: [i32, i32, i32, v128, v128, v128, v128, v128],
    body: c,
    export: unsigned ? 'quantizeU8' : 'quantize',
  };
}

function requantKernel(): FuncDef {
  const [rows, n, col, bias, mult, acc, dst, zp, lo, hi, scale] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [end, p, j, nb, vZp, vLo, vHi, vSc, d] = [11, 12, 13, 14, 15, 16, 17, 18, 19];
  const c = new Code();
  c.get(zp).f32x4Splat().set(vZp).get(lo).f32x4Splat().set(vLo).get(hi).f32x4Splat().set(vHi).get(scale).f32x4Splat().set(vSc);
  c.get(n).i32Const(4).i32Mul().set(nb).get(dst).set(d);
  c.get(acc).set(p).get(acc).get(rows).get(nb).i32Mul().i32Add().set(end).i32Const(0).set(j);
  c.block().loop().get(p).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(d);
  c.get(p).v128Load(0).get(col).get(j).i32Add().v128Load(0).i32x4Add().f32x4ConvertI32x4S(); //  f32(acc + col)
  c.get(bias).get(j).i32Add().v128Load(0).f32x4Add(); //                                            + bias term
  c.get(mult).get(j).i32Add().v128Load(0).f32x4Mul().f32x4Nearest(); //                               round(·mult)
  c.get(vZp).f32x4Add().get(vLo).f32x4Pmax().get(vHi).f32x4Pmin(); //                                clamp(· + zp)
  c.get(vZp).f32x4Sub().get(vSc).f32x4Mul().v128Store(0); //                                          (q − zp)·scale
  c.get(p).i32Const(16).i32Add().set(p).get(d).i32Const(16).i32Add().set(d);
  c.get(j).i32Const(16).i32Add().set(j);
  c.get(j).get(nb).i32LtU().i32Eqz().if().i32Const(0).set(j).end();
  c.br(0).end().end();
  return {
    params: [i32, i32, i32, i32, i32, i32, i32, f32, f32, f32, f32],
    results: [],
    locals: [i32, i32, i32, i32, v128, v128, v128, v128, i32],
    body: c,
    export: 'requant',
  };
}

function requantFloatKernel(): FuncDef {
  const [rows, n, col, bias, mult, acc, dst, xs] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [end, p, j, nb, vXs, d] = [8, 9, 10, 11, 12, 13];
  const c = new Code();
  c.get(xs).f32x4Splat().set(vXs);
  c.get(n).i32Const(4).i32Mul().set(nb).get(dst).set(d);
  c.get(acc).set(p).get(acc).get(rows).get(nb).i32Mul().i32Add().set(end).i32Const(0).set(j);
  c.block().loop().get(p).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(d);
  c.get(p).v128Load(0).get(col).get(j).i32Add().v128Load(0).i32x4Add().f32x4ConvertI32x4S(); // f32(acc + col)
  c.get(vXs).f32x4Mul().get(mult).get(j).i32Add().v128Load(0).f32x4Mul(); //                   ·xs ·mult
  c.get(bias).get(j).i32Add().v128Load(0).f32x4Add().v128Store(0); //                           + bias
  c.get(p).i32Const(16).i32Add().set(p).get(d).i32Const(16).i32Add().set(d);
  c.get(j).i32Const(16).i32Add().set(j);
  c.get(j).get(nb).i32LtU().i32Eqz().if().i32Const(0).set(j).end();
  c.br(0).end().end();
  return { params: [i32, i32, i32, i32, i32, i32, i32, f32], results: [], locals: [i32, i32, i32, i32, v128, i32], body: c, export: 'requantF' };
}

/**
 * requantAt(float, rows, n, col, bias, mult, src, dst, params): requant (float 0; its zp, qmin,
 * qmax and scale read as float32 at `params`) or requantF (float 1; xs at `params`), every
 * argument an i32 (as the worker pool passes them).
 */
function requantAtKernel(): FuncDef {
  const [float, rows, n, col, bias, mult, src, dst, params] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const c = new Code();
  const head = () => c.get(rows).get(n).get(col).get(bias).get(mult).get(src).get(dst);
  c.get(float).if();
  head();
  c.get(params).f32Load(0);
  c.bytes.push(0x10, REQUANT_F); // call requantF
  c.else();
  head();
  c.get(params).f32Load(0).get(params).f32Load(4).get(params).f32Load(8).get(params).f32Load(12);
  c.bytes.push(0x10, REQUANT); // call requant
  c.end();
  return { params: [i32, i32, i32, i32, i32, i32, i32, i32, i32], results: [], locals: [], body: c, export: 'requantAt' };
}

function requantRowKernel(): FuncDef {
  const [n4, ptr, dst, cst, zp, lo, hi, scale] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [end, p, vCt, vB, vMu, vZp, vLo, vHi, vSc, d] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const c = new Code();
  c.get(cst).v128Load32Splat(0).set(vCt).get(cst).v128Load32Splat(4).set(vB).get(cst).v128Load32Splat(8).set(vMu);
  c.get(zp).f32x4Splat().set(vZp).get(lo).f32x4Splat().set(vLo).get(hi).f32x4Splat().set(vHi).get(scale).f32x4Splat().set(vSc);
  c.get(ptr).set(p).get(dst).set(d).get(ptr).get(n4).i32Const(16).i32Mul().i32Add().set(end);
  c.block().loop().get(p).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(d);
  c.get(p).v128Load(0).get(vCt).i32x4Add().f32x4ConvertI32x4S().get(vB).f32x4Add(); //  f32(acc + col) + bias term
  c.get(vMu).f32x4Mul().f32x4Nearest().get(vZp).f32x4Add().get(vLo).f32x4Pmax().get(vHi).f32x4Pmin(); // clamp(round(·mult) + zp)
  c.get(vZp).f32x4Sub().get(vSc).f32x4Mul().v128Store(0); //                                        (q − zp)·scale
  c.get(p).i32Const(16).i32Add().set(p).get(d).i32Const(16).i32Add().set(d).br(0).end().end();
  return {
    params: [i32, i32, i32, i32, f32, f32, f32, f32],
    results: [],
    locals: [i32, i32, v128, v128, v128, v128, v128, v128, v128, i32],
    body: c,
    export: 'requantRow',
  };
}

/**
 * requantRow's clamped integers as bytes: four per step, narrowed (the values already in range) and
 * stored as one word. Rounded by adding 1.5·2²³ (the float32 sum's ulp is 1: y rounded half to even
 * for |y| < 2²²; larger |y| stay beyond the clamp bounds, which are shifted as well), clamped there,
 * and read back from the float's bits: q = bits − (bits of 1.5·2²³) + zp, NaN → 0 — the same
 * integers as clamp(nearest(y) + zp) truncated, in fewer instructions than the saturating truncation.
 */
function requantRowBytesKernel(unsigned: boolean, finite = false): FuncDef {
  const [n4, ptr, dst, cst, zp, lo, hi] = [0, 1, 2, 3, 4, 5, 6];
  const [end, p, vCt, vB, vMu, vOff, vLo, vHi, d, v, vMagic] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const c = new Code();
  c.get(cst).v128Load32Splat(0).set(vCt).get(cst).v128Load32Splat(4).set(vB).get(cst).v128Load32Splat(8).set(vMu);
  c.f32x4Const(MAGIC).set(vMagic);
  c.get(lo).f32x4Splat().get(zp).f32x4Splat().f32x4Sub().get(vMagic).f32x4Add().set(vLo); // 1.5·2²³ + (qmin − zp), exact
  c.get(hi).f32x4Splat().get(zp).f32x4Splat().f32x4Sub().get(vMagic).f32x4Add().set(vHi);
  c.i32x4Const(MAGIC_BITS).get(zp).f32x4Splat().i32x4TruncSatF32x4S().i32x4Sub().set(vOff); // bits of 1.5·2²³, − zp
  c.get(ptr).set(p).get(dst).set(d).get(ptr).get(n4).i32Const(16).i32Mul().i32Add().set(end);
  /** Four int32 at p + at → the clamped integers as int32 lanes, left on the stack. */
  const four = (at: number) => {
    c.get(p).v128Load(at).get(vCt).i32x4Add().f32x4ConvertI32x4S().get(vB).f32x4Add(); //  f32(acc + col) + bias term
    c.get(vMu).f32x4Mul().get(vMagic).f32x4Add().get(vLo).f32x4Pmax().get(vHi).f32x4Pmin(); // clamp(round(·mult) + zp), shifted
    if (finite)
      c.get(vOff).i32x4Sub(); // the integers from the bits (no NaN: a finite bias term and multiplier)
    else c.set(v).get(v).get(vOff).i32x4Sub().get(v).get(v).f32x4Eq().v128And(); // the integers from the bits; NaN lanes 0
  };
  const narrow8 = () => (unsigned ? c.i8x16NarrowI16x8U() : c.i8x16NarrowI16x8S());
  // sixteen a step (three narrows and one store for four groups), while 64 bytes of int32 remain
  c.block().loop().get(end).get(p).i32Sub().i32Const(64).i32LtU().brIf(1);
  c.get(d);
  storeSixteen(c, four, unsigned);
  c.get(p).i32Const(64).i32Add().set(p).get(d).i32Const(16).i32Add().set(d).br(0).end().end();
  // then four a step
  c.block().loop().get(p).get(end).i32LtU().i32Eqz().brIf(1);
  four(0);
  c.set(v).get(v).get(v).i16x8NarrowI32x4S().set(v);
  c.get(d).get(v).get(v);
  narrow8();
  c.f32x4ExtractLane(0).f32Store(0, 0); // the four bytes, moved as a float's bits
  c.get(p).i32Const(16).i32Add().set(p).get(d).i32Const(4).i32Add().set(d).br(0).end().end();
  return {
    params: [i32, i32, i32, i32, f32, f32, f32],
    results: [],
    locals: [i32, i32, v128, v128, v128, v128, v128, v128, i32, v128, v128],
    body: c,
    export: finite ? undefined : unsigned ? 'requantRowQU' : 'requantRowQ',
  };
}

const EVEN_BYTES = Array.from({ length: 16 }, (_, i) => 2 * i);
const ODD_BYTES = EVEN_BYTES.map((b) => b + 1);

function maxPool2x2Kernel(unsigned: boolean): FuncDef {
  const [src, dst, planes, h, w, ho, g16, back, tail] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [oh, r0, k, v0, v1, end, t] = [9, 10, 11, 12, 13, 14, 15];
  const c = new Code();
  const max = () => c.bytes.push(0xfd, unsigned ? 0x79 : 0x78); // u8x16.max_u / i8x16.max_s
  const [gtU, load8, store8] = [[0x4b], [0x2d, 0, 0], [0x3a, 0, 0]];
  /** A plane's rows; `checked`: a store reaching past `end` goes to the tail buffer, its bytes before `end` copied. */
  const rows = (checked: boolean) => {
    c.i32Const(0).set(oh);
    c.block().loop(); // output rows
    c.get(oh).get(ho).i32LtU().i32Eqz().brIf(1);
    c.get(src).get(oh).get(w).i32Mul().i32Const(2).i32Mul().i32Add().set(r0);
    c.get(g16).set(k);
    c.block().loop(); // groups of 16 windows: the rows' maxima, then the maxima of byte pairs
    c.get(k).i32Eqz().brIf(1);
    c.get(r0).v128Load(0, 0).get(r0).get(w).i32Add().v128Load(0, 0);
    max();
    c.set(v0);
    c.get(r0).v128Load(16, 0).get(r0).get(w).i32Add().v128Load(16, 0);
    max();
    c.set(v1);
    c.get(v0).get(v1).i8x16Shuffle(EVEN_BYTES).get(v0).get(v1).i8x16Shuffle(ODD_BYTES);
    max();
    c.set(v0);
    if (checked) {
      c.get(dst).i32Const(16).i32Add().get(end);
      c.bytes.push(...gtU);
      c.if();
      c.get(tail).get(v0).v128Store(0, 0);
      c.i32Const(0).set(t);
      c.block().loop().get(dst).get(t).i32Add().get(end).i32LtU().i32Eqz().brIf(1);
      c.get(dst).get(t).i32Add().get(tail).get(t).i32Add();
      c.bytes.push(...load8, ...store8);
      c.get(t).i32Const(1).i32Add().set(t).br(0).end().end();
      c.else();
    }
    c.get(dst).get(v0).v128Store(0, 0);
    if (checked) c.end();
    c.get(r0).i32Const(32).i32Add().set(r0).get(dst).i32Const(16).i32Add().set(dst);
    c.get(k).i32Const(1).i32Sub().set(k);
    c.br(0).end().end();
    c.get(dst).get(back).i32Sub().set(dst);
    c.get(oh).i32Const(1).i32Add().set(oh);
    c.br(0).end().end();
  };
  // the end of the call's output: planes·ho rows of wo = 16·g16 − back bytes
  c.get(dst).get(planes).get(ho).i32Mul().get(g16).i32Const(16).i32Mul().get(back).i32Sub().i32Mul().i32Add().set(end);
  c.block().loop(); // planes: with a tail buffer every store checked
  c.get(planes).i32Eqz().brIf(1);
  c.get(tail).if();
  rows(true);
  c.else();
  rows(false);
  c.end();
  c.get(src).get(h).get(w).i32Mul().i32Add().set(src);
  c.get(planes).i32Const(1).i32Sub().set(planes);
  c.br(0).end().end();
  return {
    params: new Array<ValType>(9).fill(i32),
    results: [],
    locals: [i32, i32, i32, v128, v128, i32, i32],
    body: c,
    export: unsigned ? 'maxPool2x2U' : 'maxPool2x2',
  };
}

/** lookUp(src, dst, n, table): dst[i] = table[src[i]] for n bytes (unsigned), a byte at a time (no store past dst + n). */
function lookUpKernel(): FuncDef {
  const [src, dst, n, table] = [0, 1, 2, 3];
  const end = 4;
  const c = new Code();
  const load8 = () => c.bytes.push(0x2d, 0, 0); // i32.load8_u
  c.get(src).get(n).i32Add().set(end);
  c.block().loop().get(src).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(dst).get(table).get(src);
  load8();
  c.i32Add();
  load8();
  c.bytes.push(0x3a, 0, 0); // i32.store8
  c.get(src).i32Const(1).i32Add().set(src).get(dst).i32Const(1).i32Add().set(dst).br(0).end().end();
  return { params: [i32, i32, i32, i32], results: [], locals: [i32], body: c, export: 'lookUp' };
}

/** quantizeAt (see the file comment): loads the four float32 parameters and calls quantize (function 0) or quantizeU8 (1). */
function quantizeAtKernel(): FuncDef {
  const [unsigned, n16, src, dst, params] = [0, 1, 2, 3, 4];
  const c = new Code();
  const call = (f: number) => {
    c.get(n16).get(src).get(dst).get(params).f32Load(0).get(params).f32Load(4).get(params).f32Load(8).get(params).f32Load(12);
    c.bytes.push(0x10, f); // call
  };
  c.get(unsigned).if();
  call(1);
  c.else();
  call(0);
  c.end();
  return { params: [i32, i32, i32, i32, i32], results: [], locals: [], body: c, export: 'quantizeAt' };
}

/** Function numbers (the module's order below) of requant and requantF, which requantAt calls. */
const [REQUANT, REQUANT_F] = [2, 12];
/** Function numbers (the module's order below) of the row kernels requantBlock calls. */
const ROW_KERNEL = { float: 3, int8: 4, uint8: 5, int8Finite: 13, uint8Finite: 14 } as const;

/** The module's bytes, its memory import shared or not (./modules.ts precomputes them for the published build). */
export const emitQuantizedModule = (shared = false): Uint8Array<ArrayBuffer> =>
  encodeModule({
    memory: shared ? memoryImport(true) : { import: { module: 'env', field: 'mem' }, minPages: 2 },
    funcs: [
      quantizeKernel(false),
      quantizeKernel(true),
      requantKernel(),
      requantRowKernel(),
      requantRowBytesKernel(false),
      requantRowBytesKernel(true),
      maxPool2x2Kernel(false),
      maxPool2x2Kernel(true),
      requantBlockKernel(ROW_KERNEL),
      int8Im2colKernel(),
      lookUpKernel(),
      quantizeAtKernel(),
      requantFloatKernel(),
      requantRowBytesKernel(false, true),
      requantRowBytesKernel(true, true),
      requantAtKernel(),
      lookUp16Kernel(),
      poolRequantKernel(false, MAGIC, MAGIC_BITS),
      poolRequantKernel(true, MAGIC, MAGIC_BITS),
    ],
  });
