/**
 * The int8 convolution's epilogue steps after its requantization or instead of it (part of
 * ./quantized.ts's module; ../quantized-conv-threads.ts calls them image by image): lookUp16 maps
 * bytes through a 256-byte table (the requantization to the next layer's qparams), poolRequant
 * max-pools the int32 accumulators over 2×2 windows and requantizes the pooled values.
 */
import { Code, type FuncDef, uleb128, ValType } from './encoder';

const { i32, v128 } = ValType;

/**
 * lookUp16(src, dst, n, table): dst[i] = table[src[i]] for n bytes (src = dst allowed), sixteen
 * at a time: the 256-byte table as sixteen 16-byte vectors T_t, each byte's result the OR over t of
 * swizzle(T_t, b − 16t) (swizzle gives 0 for an index ≥ 16, so only the t with 16t ≤ b < 16t + 16
 * contributes); the last n mod 16 bytes one at a time (no store past dst + n).
 */
export function lookUp16Kernel(): FuncDef {
  const [src, dst, n, table] = [0, 1, 2, 3];
  const [end, v, r, sixteen] = [4, 5, 6, 7];
  const T = Array.from({ length: 16 }, (_, t) => 8 + t);
  const c = new Code();
  const simd = (op: number) => c.bytes.push(0xfd, op);
  const and = () => c.bytes.push(0x71); // i32.and
  for (const [t, l] of T.entries())
    c.get(table)
      .v128Load(16 * t, 0)
      .set(l);
  c.i32Const(16);
  simd(0x0f); // i8x16.splat
  c.set(sixteen);
  c.get(n).i32Const(-16);
  and();
  c.get(src).i32Add().set(end);
  c.block().loop().get(src).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(src).v128Load(0, 0).set(v);
  c.get(T[0]).get(v);
  simd(0x0e); // i8x16.swizzle
  c.set(r);
  for (let t = 1; t < 16; t++) {
    c.get(v).get(sixteen);
    simd(0x71); // i8x16.sub
    c.set(v);
    c.get(r).get(T[t]).get(v);
    simd(0x0e);
    c.v128Or().set(r);
  }
  c.get(dst).get(r).v128Store(0, 0);
  c.get(src).i32Const(16).i32Add().set(src).get(dst).i32Const(16).i32Add().set(dst).br(0).end().end();
  // the tail, a byte at a time
  c.get(n).i32Const(15);
  and();
  c.get(src).i32Add().set(end);
  c.block().loop().get(src).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(dst).get(table).get(src);
  c.bytes.push(0x2d, 0, 0); // i32.load8_u
  c.i32Add();
  c.bytes.push(0x2d, 0, 0);
  c.bytes.push(0x3a, 0, 0); // i32.store8
  c.get(src).i32Const(1).i32Add().set(src).get(dst).i32Const(1).i32Add().set(dst).br(0).end().end();
  return {
    params: [i32, i32, i32, i32],
    results: [],
    locals: [i32, v128, v128, v128, ...new Array<ValType>(16).fill(v128)],
    body: c,
    export: 'lookUp16',
  };
}

/** Byte lanes of the even (0, 2) and odd (1, 3) int32 lanes of two vectors a, b: a0 a2 b0 b2 and a1 a3 b1 b3. */
const EVEN_I32 = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD_I32 = EVEN_I32.map((b) => b + 4);

/**
 * poolRequant(src, ld, dst, rows, Wo, ho, wo, consts, params): the int32 accumulators of `rows`
 * channels (row r at src + r·ld bytes: Ho·Wo values, Wo a row) max-pooled over 2×2 windows with
 * stride 2, then requantized as requantRowQ / requantRowQU's twins for finite constants
 * (`unsigned`: uint8), the same operations lane for lane, into bytes: channel r's ho × wo plane at
 * dst + r·ho·wo. Pooling first gives the bytes of pooling the requantized ones: with a finite bias
 * term and a multiplier ≥ 0 the requantization is monotone (acc + column term cannot wrap: |acc| <
 * 2²⁴). Four outputs a step, stored as one word: up to 3 bytes past each row, rewritten by the next
 * row or past the last plane (callers leave the slack); loads reach 8 int32 past a row.
 * Constants: channel r's at consts + 12·r (column term, bias term, multiplier), the float32 zp,
 * qmin, qmax at `params`; `magic` and `magicBits` as requantRowBytesKernel's.
 */
export function poolRequantKernel(unsigned: boolean, magic: number, magicBits: number): FuncDef {
  const [src, ld, dst, rows, Wo, ho, wo, cst, params] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, oh, j, g4, sA, sB, d, plane, rowIn] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
  const [vCt, vB, vMu, vLo, vHi, vOff, vMagic, a0, v] = [18, 19, 20, 21, 22, 23, 24, 25, 26];
  const c = new Code();
  const simd = (op: number, ...imm: number[]) => c.bytes.push(0xfd, ...uleb128(op), ...imm);
  const maxS = () => simd(0xb8); // i32x4.max_s
  // the clamp bounds and offset as requantRowBytesKernel computes them
  c.f32x4Const(magic).set(vMagic);
  c.get(params).f32Load(4).f32x4Splat().get(params).f32Load(0).f32x4Splat().f32x4Sub().get(vMagic).f32x4Add().set(vLo);
  c.get(params).f32Load(8).f32x4Splat().get(params).f32Load(0).f32x4Splat().f32x4Sub().get(vMagic).f32x4Add().set(vHi);
  c.i32x4Const(magicBits).get(params).f32Load(0).f32x4Splat().i32x4TruncSatF32x4S().i32x4Sub().set(vOff);
  c.get(wo).i32Const(3).i32Add().i32Const(4);
  c.bytes.push(0x6e); // i32.div_u: g4 = ⌈wo / 4⌉
  c.set(g4);
  c.get(ho).get(wo).i32Mul().set(plane);
  c.i32Const(0).set(r);
  c.block().loop().get(r).get(rows).i32LtU().i32Eqz().brIf(1);
  c.get(cst).v128Load32Splat(0).set(vCt).get(cst).v128Load32Splat(4).set(vB).get(cst).v128Load32Splat(8).set(vMu);
  c.get(src).get(r).get(ld).i32Mul().i32Add().set(rowIn);
  c.get(dst).get(r).get(plane).i32Mul().i32Add().set(d);
  c.i32Const(0).set(oh);
  c.block().loop().get(oh).get(ho).i32LtU().i32Eqz().brIf(1);
  // input rows 2·oh and 2·oh + 1; d at output row oh
  c.get(rowIn).get(oh).get(Wo).i32Mul().i32Const(8).i32Mul().i32Add().set(sA);
  c.get(sA).get(Wo).i32Const(4).i32Mul().i32Add().set(sB);
  c.get(dst).get(r).get(plane).i32Mul().i32Add().get(oh).get(wo).i32Mul().i32Add().set(d);
  c.get(g4).set(j);
  c.block().loop().get(j).i32Eqz().brIf(1);
  c.get(sA).v128Load(0, 0).get(sB).v128Load(0, 0);
  maxS();
  c.set(a0);
  c.get(sA).v128Load(16, 0).get(sB).v128Load(16, 0);
  maxS();
  c.set(v);
  c.get(a0).get(v).i8x16Shuffle(EVEN_I32).get(a0).get(v).i8x16Shuffle(ODD_I32);
  maxS();
  // requantRowBytesKernel's four lanes (finite constants)
  c.get(vCt).i32x4Add().f32x4ConvertI32x4S().get(vB).f32x4Add();
  c.get(vMu).f32x4Mul().get(vMagic).f32x4Add().get(vLo).f32x4Pmax().get(vHi).f32x4Pmin();
  c.get(vOff).i32x4Sub().set(v);
  c.get(d);
  c.get(v).get(v).i16x8NarrowI32x4S().set(v);
  c.get(v).get(v);
  if (unsigned) c.i8x16NarrowI16x8U();
  else c.i8x16NarrowI16x8S();
  simd(0x1b, 0); // i32x4.extract_lane 0
  c.bytes.push(0x36, 0, 0); // i32.store (align 1)
  c.get(sA).i32Const(32).i32Add().set(sA).get(sB).i32Const(32).i32Add().set(sB).get(d).i32Const(4).i32Add().set(d);
  c.get(j).i32Const(1).i32Sub().set(j).br(0).end().end();
  c.get(oh).i32Const(1).i32Add().set(oh).br(0).end().end();
  c.get(cst).i32Const(12).i32Add().set(cst);
  c.get(r).i32Const(1).i32Add().set(r).br(0).end().end();
  return {
    params: new Array<ValType>(9).fill(i32),
    results: [],
    locals: [...new Array<ValType>(9).fill(i32), ...new Array<ValType>(9).fill(v128)],
    body: c,
    export: unsigned ? 'poolRequantU' : 'poolRequant',
  };
}
