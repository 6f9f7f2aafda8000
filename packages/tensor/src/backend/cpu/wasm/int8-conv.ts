/**
 * The int8 convolution's per-image steps in WebAssembly (part of ./quantized.ts's module;
 * ../quantized-conv-threads.ts runs them image by image, across the worker pool):
 *
 * int8 im2col for column stride 1: one image's channels [c, c + cg) unfolded into rows (c, i, j)
 * of Ho·Wo bytes, `ld` apart, the padding taken as the input's zero point.
 *
 *   im2colI8(src, dst, tab): for each row (c, i, j) and output row oh, input row
 *     ih = oh·sh − ph + i·dh: outside [0, H) every byte is the zero point; else 16-byte groups g
 *     of plane + ih·W + (j·dw − pw) + 16·g are loaded and the lanes outside the valid columns
 *     [lo_j, hi_j) replaced by the zero point (a bitselect with a mask per (j, g) from the table).
 *
 * A group's store may run up to 15 bytes past its row's Wo bytes (into the next output row, written
 * next, or past the row's Ho·Wo, inside its ld pitch or the next row), and loads may read up to
 * 16 + W bytes either side of the planes: callers leave that slack. The table (int32 words, then
 * 16-byte vectors at `IM2COL_VECTORS` bytes): see {@link im2colTable}.
 *
 * requantBlock: a gemm block's requantization into NCHW order (the steps after it: ./int8-epilogue.ts).
 */
import { Code, type FuncDef, ValType } from './encoder';

const { i32, v128 } = ValType;

/** Words of the table before the vectors. */
const WORDS = ['cg', 'kh', 'kw', 'H', 'W', 'Ho', 'Wo', 'groups', 'sh', 'ph', 'dh', 'dw', 'pw', 'ld', 'HW', 'flat', 's16'] as const;
/** Byte offset of the vectors in the table: the zero point splat, then the masks [j][g] (flat: [j][r]). */
export const IM2COL_VECTORS = 80;
/** Widest plane unfolded flat (its masks: W vectors per kernel column). */
const FLAT_W = 64;

/**
 * Whether an image unfolds flat: with Wo = W and row stride 1, a row (c, i, j) is the plane shifted
 * by (i·dh − ph)·W + j·dw − pw, so its valid output rows [lo, hi) are one run of bytes, copied in
 * 16-byte groups whose column masks repeat with the position modulo W (mask r: lanes l with
 * (r + l) mod W in the valid columns); the rows above and below are the zero point.
 */
const isFlat = (g: Im2colGeometry): boolean => g.Wo === g.W && g.sh === 1 && g.W <= FLAT_W;

/** Geometry of one image's unfolding (stride 1 along columns). */
export interface Im2colGeometry {
  cg: number;
  kh: number;
  kw: number;
  H: number;
  W: number;
  Ho: number;
  Wo: number;
  sh: number;
  ph: number;
  dh: number;
  dw: number;
  pw: number;
  /** Row pitch of the output, bytes. */
  ld: number;
  zp: number;
}

/** Bytes of {@link im2colTable} for a geometry. */
export const im2colTableBytes = (g: Im2colGeometry): number => IM2COL_VECTORS + 16 + g.kw * (isFlat(g) ? g.W : Math.ceil(g.Wo / 16)) * 16;

/** Writes im2colI8's table for `g` at byte `at` (a multiple of 16) of `mem`. */
export function im2colTable(mem: ArrayBuffer | SharedArrayBuffer, at: number, g: Im2colGeometry): void {
  const flat = isFlat(g);
  const groups = Math.ceil(g.Wo / 16);
  const per = flat ? g.W : groups; // mask vectors per kernel column
  const words = { ...g, groups, HW: g.H * g.W, flat: flat ? 1 : 0, s16: 16 % g.W };
  new Int32Array(mem, at, WORDS.length).set(WORDS.map((k) => words[k]));
  const bytes = new Int8Array(mem, at + IM2COL_VECTORS, 16 + g.kw * per * 16);
  bytes.fill(g.zp, 0, 16);
  for (let j = 0; j < g.kw; j++) {
    const off = j * g.dw - g.pw;
    // output columns whose input column ow + off lies in [0, W)
    const lo = Math.min(g.Wo, Math.max(0, -off));
    const hi = Math.max(lo, Math.min(g.Wo, g.W - off));
    for (let t = 0; t < per * 16; t++) {
      const ow = flat ? ((t >> 4) + (t & 15)) % g.W : t;
      bytes[16 + j * per * 16 + t] = ow >= lo && ow < hi ? -1 : 0;
    }
  }
}

/**
 * One row (c, i, j) unfolded flat (see {@link isFlat}): valid output rows [lo, hi) with
 * lo = clamp(ph − i·dh, 0, Ho), hi = clamp(H + ph − i·dh, lo, Ho) (ih0 = i·dh − ph); the zero point
 * in groups over [0, lo·Wo), the masked copy over [lo·Wo, hi·Wo) (mask r = t mod W, 0 at lo·Wo),
 * the zero point over [hi·Wo, Ho·Wo), each phase's last store (≤ 15 bytes past its end) rewritten
 * by the next phase or past the row, as the row-by-row path's.
 */
function flatRow(
  f: Code,
  L: Record<(typeof WORDS)[number], number>,
  v: Record<'tab' | 'j' | 'ih0' | 'row' | 'off' | 'oh' | 'd' | 's' | 'm' | 'g' | 'vz' | 'mask' | 'ih', number>,
): void {
  const { tab, j, ih0, row, off, oh, d, s, m, g, vz, mask, ih } = v;
  const [lo, hi, end, r, masks] = [oh, g, m, mask, ih]; // the row-by-row path's locals, free here
  const ltS = () => f.bytes.push(0x48); // i32.lt_s
  const select = () => f.bytes.push(0x1b); // a b c → c ? a : b
  /** x = c ? a : b, the operands pushed by the three callbacks' locals. */
  const pick = (x: number, a: number, b: number, cl: number, cr: number) => {
    f.get(a).get(b).get(cl).get(cr);
    ltS();
    select();
    f.set(x);
  };
  f.i32Const(0).get(ih0).i32Sub().set(lo); // lo = −ih0, clamped to [0, Ho]
  f.i32Const(0).set(s);
  pick(lo, s, lo, lo, s); // lo < 0 ? 0 : lo
  pick(lo, L.Ho, lo, L.Ho, lo); // Ho < lo ? Ho : lo
  f.get(L.H).get(ih0).i32Sub().set(hi); // hi = H − ih0, clamped to [lo, Ho]
  pick(hi, L.Ho, hi, L.Ho, hi);
  pick(hi, lo, hi, hi, lo);
  const zeros = (from: number, to: number) => {
    f.get(row).get(from).get(L.Wo).i32Mul().i32Add().set(d);
    f.get(row).get(to).get(L.Wo).i32Mul().i32Add().set(end);
    f.block().loop().get(d).get(end).i32LtU().i32Eqz().brIf(1);
    f.get(d).get(vz).v128Store(0, 0);
    f.get(d).i32Const(16).i32Add().set(d).br(0).end().end();
  };
  zeros(s, lo); // s is 0 here
  // the copy: d from row + lo·Wo, s from plane + off + (lo + ih0)·W (off holds plane + j·dw − pw), mask r = 0 first
  f.get(row).get(lo).get(L.Wo).i32Mul().i32Add().set(d);
  f.get(row).get(hi).get(L.Wo).i32Mul().i32Add().set(end);
  f.get(off).get(lo).get(ih0).i32Add().get(L.W).i32Mul().i32Add().set(s);
  f.get(tab)
    .i32Const(IM2COL_VECTORS + 16)
    .i32Add()
    .get(j)
    .get(L.W)
    .i32Mul()
    .i32Const(16)
    .i32Mul()
    .i32Add()
    .set(masks);
  f.i32Const(0).set(r);
  f.block().loop().get(d).get(end).i32LtU().i32Eqz().brIf(1);
  f.get(d).get(s).v128Load(0, 0).get(vz).get(masks).get(r).i32Const(16).i32Mul().i32Add().v128Load(0, 0).v128Bitselect().v128Store(0, 0);
  f.get(d).i32Const(16).i32Add().set(d).get(s).i32Const(16).i32Add().set(s);
  // r = (r + 16) mod W, one subtraction (16 mod W < W): r < W ? r : r − W
  f.get(r).get(L.s16).i32Add().set(r);
  f.get(r).get(r).get(L.W).i32Sub().get(r).get(L.W);
  ltS();
  select();
  f.set(r);
  f.br(0).end().end();
  zeros(hi, L.Ho);
}

export function int8Im2colKernel(): FuncDef {
  const [src, dst, tab] = [0, 1, 2];
  // the table's words in locals 3…, then the loop state
  const L = Object.fromEntries(WORDS.map((k, i) => [k, 3 + i])) as Record<(typeof WORDS)[number], number>;
  const [c, i, j, oh, g, ih, s, d, row, plane, mask, m, off, ih0] = Array.from({ length: 14 }, (_, t) => 3 + WORDS.length + t);
  const vz = 3 + WORDS.length + 14;
  const f = new Code();
  // i32.load (align 4) of each table word: offsets < 128 are one LEB byte
  for (const [t, k] of WORDS.entries()) {
    f.get(tab);
    f.bytes.push(0x28, 0x02, 4 * t);
    f.set(L[k]);
  }
  f.get(tab).v128Load(IM2COL_VECTORS, 0).set(vz);
  f.get(src).set(plane).get(dst).set(row).i32Const(0).set(c);
  f.block().loop(); // channels
  f.get(c).get(L.cg).i32LtU().i32Eqz().brIf(1);
  f.i32Const(0).set(i);
  f.block().loop(); // kernel rows
  f.get(i).get(L.kh).i32LtU().i32Eqz().brIf(1);
  f.get(i).get(L.dh).i32Mul().get(L.ph).i32Sub().set(ih0); // ih at oh = 0
  f.i32Const(0).set(j);
  f.block().loop(); // kernel columns: one output row (c, i, j)
  f.get(j).get(L.kw).i32LtU().i32Eqz().brIf(1);
  // masks of j at tab + vectors + 16 + j·groups·16; input column offset j·dw − pw
  f.get(tab)
    .i32Const(IM2COL_VECTORS + 16)
    .i32Add()
    .get(j)
    .get(L.groups)
    .i32Mul()
    .i32Const(16)
    .i32Mul()
    .i32Add()
    .set(mask);
  f.get(plane).get(j).get(L.dw).i32Mul().i32Add().get(L.pw).i32Sub().set(off);
  f.get(L.flat).if();
  flatRow(f, L, { tab, j, ih0, row, off, oh, d, s, m, g, vz, mask, ih });
  f.else();
  f.get(row).set(d).get(ih0).set(ih).i32Const(0).set(oh);
  f.block().loop(); // output rows
  f.get(oh).get(L.Ho).i32LtU().i32Eqz().brIf(1);
  f.get(L.groups).set(g);
  f.get(ih).get(L.H).i32LtU().if();
  f.get(off).get(ih).get(L.W).i32Mul().i32Add().set(s);
  f.get(mask).set(m);
  f.loop();
  f.get(d).get(s).v128Load(0, 0).get(vz).get(m).v128Load(0, 0).v128Bitselect().v128Store(0, 0);
  f.get(d).i32Const(16).i32Add().set(d).get(s).i32Const(16).i32Add().set(s).get(m).i32Const(16).i32Add().set(m);
  f.get(g).i32Const(1).i32Sub().tee(g).brIf(0);
  f.end();
  f.else();
  f.loop();
  f.get(d).get(vz).v128Store(0, 0);
  f.get(d).i32Const(16).i32Add().set(d);
  f.get(g).i32Const(1).i32Sub().tee(g).brIf(0);
  f.end();
  f.end();
  // back from the groups' end to the next output row: d += Wo − 16·groups
  f.get(d).get(L.Wo).i32Add().get(L.groups).i32Const(16).i32Mul().i32Sub().set(d);
  f.get(ih).get(L.sh).i32Add().set(ih);
  f.get(oh).i32Const(1).i32Add().set(oh).br(0).end().end();
  f.end();
  f.get(row).get(L.ld).i32Add().set(row);
  f.get(j).i32Const(1).i32Add().set(j).br(0).end().end();
  f.get(i).i32Const(1).i32Add().set(i).br(0).end().end();
  f.get(plane).get(L.HW).i32Add().set(plane);
  f.get(c).i32Const(1).i32Add().set(c).br(0).end().end();
  return { params: [i32, i32, i32], results: [], locals: [...new Array<ValType>(WORDS.length + 14).fill(i32), v128], body: f, export: 'im2colI8' };
}

/**
 * requantBlock(kind, rows, images, n4, src, ld, dst, consts, params): a finished gemm block of
 * `rows` channels × `images` runs of P = 4·n4 int32s (row r at src + r·ld bytes, run n at
 * + 16·n4·n) through the row kernel `kind` (0 requantRow, 1 requantRowQ, 2 requantRowQU of
 * ./quantized.ts, 3 and 4 their twins for finite bias terms and multipliers, called
 * by the function numbers given) into
 * NCHW order: run (r, n) → dst + (n·rows + r)·P·eb (eb = 4 for kind 0, else 1), channel r's constants at
 * consts + 12·r, the float32 zp, qmin, qmax, scale at `params` (so every argument is an i32, as
 * the worker pool passes them).
 */
export function requantBlockKernel(ROW_KERNEL: { float: number; int8: number; uint8: number; int8Finite: number; uint8Finite: number }): FuncDef {
  const [kind, rows, images, n4, src, ld, dst, cst, params] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, n, s, d, runOut, imgOut] = [9, 10, 11, 12, 13, 14];
  const c = new Code();
  // bytes of one output run (P·eb) and of one image's rows (rows·P·eb)
  c.get(n4).i32Const(4).i32Mul().set(runOut);
  c.get(kind).i32Eqz().if().get(runOut).i32Const(4).i32Mul().set(runOut).end();
  c.get(runOut).get(rows).i32Mul().set(imgOut);
  c.i32Const(0).set(r);
  c.block().loop().get(r).get(rows).i32LtU().i32Eqz().brIf(1);
  c.get(src).get(r).get(ld).i32Mul().i32Add().set(s);
  c.get(dst).get(r).get(runOut).i32Mul().i32Add().set(d);
  c.i32Const(0).set(n);
  c.block().loop().get(n).get(images).i32LtU().i32Eqz().brIf(1);
  const call = (f: number, withScale: boolean) => {
    c.get(n4).get(s).get(d).get(cst).get(params).f32Load(0).get(params).f32Load(4).get(params).f32Load(8);
    if (withScale) c.get(params).f32Load(12);
    c.bytes.push(0x10, f); // call
  };
  const ne = (k: number) => c.get(kind).i32Const(k).i32Ne().if();
  c.get(kind).i32Eqz().if();
  call(ROW_KERNEL.float, true);
  c.else();
  ne(1);
  ne(2);
  ne(3);
  call(ROW_KERNEL.uint8Finite, false);
  c.else();
  call(ROW_KERNEL.int8Finite, false);
  c.end().else();
  call(ROW_KERNEL.uint8, false);
  c.end().else();
  call(ROW_KERNEL.int8, false);
  c.end().end();
  c.get(s).get(n4).i32Const(16).i32Mul().i32Add().set(s);
  c.get(d).get(imgOut).i32Add().set(d);
  c.get(n).i32Const(1).i32Add().set(n).br(0).end().end();
  c.get(cst).i32Const(12).i32Add().set(cst);
  c.get(r).i32Const(1).i32Add().set(r).br(0).end().end();
  return {
    params: new Array<ValType>(9).fill(i32),
    results: [],
    locals: new Array<ValType>(6).fill(i32),
    body: c,
    export: 'requantBlock',
  };
}
