/**
 * im2col and col2im in WebAssembly. One `row` call fills one row (c, i, j) of a convolution's
 * column matrix for `rows` output rows, reading an input plane already copied into the same
 * memory; one `colRow` call adds such a row back into the plane (the input gradient). Runs of
 * valid taps move four floats at a time when the stride is 1 (the last vector of a run may
 * read up to 3 floats past it: callers leave 16 bytes of room after the input planes); taps
 * outside the input are zeros, written four at a time (so a write may spill up to 3 floats past
 * a row, into places written later or meant to be zero: callers leave 16 bytes of room after
 * the matrix, and `row` stores 4 zeros there last).
 */
import { Code, ValType, encodeModule, isSharedMemory, memoryImport, uleb128 } from './encoder';
import { wasmModule } from './modules';

/**
 * `row(dst, plane, rows, wo, lo, hi, sw4, ih, sh, h, w4, col4)`, byte addresses and byte strides:
 * for t < rows, input row ih + t·sh of the plane (zeros when outside [0, h)) → wo floats at
 * dst + t·wo·4: lo zeros, hi − lo taps from byte col4 of the input row, sw4 bytes apart, zeros.
 */
export function emitIm2colModule(mem?: WebAssembly.Memory): Uint8Array<ArrayBuffer> {
  const [dst, plane, rows, wo, lo, hi, sw4, ih, sh, h, w4, col4] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [t, p, src, n, x, tail] = [12, 13, 14, 15, 16, 17];
  const f = new Code();
  /** Zeros `count` floats from p on (in 16-byte stores) and moves p past them. */
  const zeros = (count: number) => {
    f.get(p).set(x).get(count).set(n);
    f.get(p).get(count).i32Const(4).i32Mul().i32Add().set(p);
    f.block().loop();
    f.get(n).i32Eqz().brIf(1);
    f.get(x).v128Zero().v128Store(0, 0);
    f.get(n).i32Const(4).i32LtU().brIf(1);
    f.get(n).i32Const(4).i32Sub().set(n);
    f.get(x).i32Const(16).i32Add().set(x);
    f.br(0).end().end();
  };
  f.get(rows).set(t);
  f.loop();
  f.get(dst).set(p);
  f.get(ih).get(h).i32LtU().if();
  zeros(lo);
  f.get(plane).get(ih).get(w4).i32Mul().i32Add().get(col4).i32Add().set(src);
  f.get(hi).get(lo).i32Sub().set(n);
  f.get(sw4).i32Const(4).i32Sub().i32Eqz().if(); // stride 1: whole vectors first
  f.block().loop();
  f.get(n).i32Const(4).i32LtU().brIf(1);
  f.get(p).get(src).v128Load(0, 0).v128Store(0, 0);
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(src).i32Const(16).i32Add().set(src);
  f.get(n).i32Const(4).i32Sub().set(n);
  f.br(0).end().end();
  // 1–3 taps left: one more whole vector. Its 1–3 extra floats are overwritten by the tail's
  // zeros, the next output row, or the zero vector stored after the last row.
  f.get(n).if();
  f.get(p).get(src).v128Load(0, 0).v128Store(0, 0);
  f.get(dst).get(hi).i32Const(4).i32Mul().i32Add().set(p);
  f.i32Const(0).set(n);
  f.end();
  f.end();
  f.block().loop();
  f.get(n).i32Eqz().brIf(1);
  f.get(p).get(src).f32Load(0, 0).f32Store(0, 0);
  f.get(p).i32Const(4).i32Add().set(p);
  f.get(src).get(sw4).i32Add().set(src);
  f.get(n).i32Const(1).i32Sub().set(n);
  f.br(0).end().end();
  f.get(wo).get(hi).i32Sub().set(tail);
  zeros(tail);
  f.else();
  zeros(wo);
  f.end();
  f.get(dst).get(wo).i32Const(4).i32Mul().i32Add().set(dst);
  f.get(ih).get(sh).i32Add().set(ih);
  f.get(t).i32Const(1).i32Sub().tee(t).brIf(0);
  f.end();
  f.get(dst).v128Zero().v128Store(0, 0); // after the last row (within the callers' 16 bytes of room)
  const i32s = (n: number) => new Array<ValType>(n).fill(ValType.i32);
  return encodeModule({
    memory: memoryImport(mem), // shared when the gemm's memory is (threads)
    funcs: [
      { params: i32s(12), results: [], locals: i32s(6), body: f, export: 'row' },
      { params: i32s(12), results: [], locals: i32s(4), body: emitCol2imRow(), export: 'colRow' },
      { params: i32s(3), results: [], locals: i32s(ALL_LOCALS), body: emitAllRows(0), export: 'rows' },
      { params: i32s(3), results: [], locals: i32s(ALL_LOCALS), body: emitAllRows(1), export: 'colRows' },
    ],
  });
}

/** Words of the geometry table `rows` / `colRows` read, before kw entries of (lo, hi, col4). */
export const ROWS_TABLE = 13;
const ALL_LOCALS = 17;

/**
 * `rows(col, plane, tab)` / `colRows(col, plane, tab)`: every row (c, i, j) of an image's column
 * matrix — `row` (or `colRow`) called for c < cg, i < kh, j < kw in that order, rows `pitch4` bytes
 * apart from col, input plane c at plane + c·hw4 — one call instead of cg·kh·kw. The i32 table at
 * tab: pitch4, hw4, cg, kh, kw, ho, wo, sw4, sh, h, w4, ih0 (−padding), dh, then per j: lo, hi, col4.
 */
function emitAllRows(fn: 0 | 1): Code {
  const [col, plane, tab] = [0, 1, 2];
  const [pitch4, hw4, c, kh, kw, ho, wo, sw4, sh, h, w4, ih0, dh] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const [ki, kj, ih, e] = [16, 17, 18, 19];
  const f = new Code();
  const load = (offset: number) => f.bytes.push(0x28, 2, ...uleb128(offset)); // i32.load
  [pitch4, hw4, c, kh, kw, ho, wo, sw4, sh, h, w4, ih0, dh].forEach((local, i) => {
    f.get(tab);
    load(i * 4);
    f.set(local);
  });
  f.loop(); // c
  f.i32Const(0).set(ki).get(ih0).set(ih);
  f.loop(); // ki
  f.i32Const(0)
    .set(kj)
    .get(tab)
    .i32Const(ROWS_TABLE * 4)
    .i32Add()
    .set(e);
  f.loop(); // kj
  f.get(col).get(plane).get(ho).get(wo);
  f.get(e);
  load(0);
  f.get(e);
  load(4);
  f.get(sw4).get(ih).get(sh).get(h).get(w4);
  f.get(e);
  load(8);
  f.bytes.push(0x10, fn); // call row / colRow
  f.get(col).get(pitch4).i32Add().set(col);
  f.get(e).i32Const(12).i32Add().set(e);
  f.get(kj).i32Const(1).i32Add().tee(kj).get(kw).i32LtU().brIf(0);
  f.end();
  f.get(ih).get(dh).i32Add().set(ih);
  f.get(ki).i32Const(1).i32Add().tee(ki).get(kh).i32LtU().brIf(0);
  f.end();
  f.get(plane).get(hw4).i32Add().set(plane);
  f.get(c).i32Const(1).i32Sub().tee(c).brIf(0);
  f.end();
  return f;
}

/**
 * `colRow(col, plane, rows, wo, lo, hi, sw4, ih, sh, h, w4, col4)`, the adjoint of `row` (same
 * arguments, `col` where `row` has `dst`): for t < rows with input row ih + t·sh inside [0, h),
 * adds the hi − lo floats at col + (t·wo + lo)·4 to that input row from byte col4 on, sw4 apart.
 */
function emitCol2imRow(): Code {
  const [col, plane, rows, wo, lo, hi, sw4, ih, sh, h, w4, col4] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [t, p, dst, n] = [12, 13, 14, 15];
  const f = new Code();
  f.get(rows).set(t);
  f.loop();
  f.get(ih).get(h).i32LtU().if();
  f.get(col).get(lo).i32Const(4).i32Mul().i32Add().set(p);
  f.get(plane).get(ih).get(w4).i32Mul().i32Add().get(col4).i32Add().set(dst);
  f.get(hi).get(lo).i32Sub().set(n);
  f.get(sw4).i32Const(4).i32Sub().i32Eqz().if();
  f.block().loop();
  f.get(n).i32Const(4).i32LtU().brIf(1);
  f.get(dst).get(dst).v128Load(0, 0).get(p).v128Load(0, 0).f32x4Add().v128Store(0, 0);
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(dst).i32Const(16).i32Add().set(dst);
  f.get(n).i32Const(4).i32Sub().set(n);
  f.br(0).end().end();
  f.end();
  f.block().loop();
  f.get(n).i32Eqz().brIf(1);
  f.get(dst).get(dst).f32Load(0, 0).get(p).f32Load(0, 0).f32Add().f32Store(0, 0);
  f.get(p).i32Const(4).i32Add().set(p);
  f.get(dst).get(sw4).i32Add().set(dst);
  f.get(n).i32Const(1).i32Sub().set(n);
  f.br(0).end().end();
  f.end();
  f.get(col).get(wo).i32Const(4).i32Mul().i32Add().set(col);
  f.get(ih).get(sh).i32Add().set(ih);
  f.get(t).i32Const(1).i32Sub().tee(t).brIf(0);
  f.end();
  return f;
}

type RowFn = (
  dst: number,
  plane: number,
  rows: number,
  wo: number,
  lo: number,
  hi: number,
  sw4: number,
  ih: number,
  sh: number,
  h: number,
  w4: number,
  col4: number,
) => void;
/** The im2col (`row`) and col2im (`colRow`) row functions. */
export interface Im2col {
  row: RowFn;
  colRow: RowFn;
}
const instances = new WeakMap<WebAssembly.Memory, Im2col | null>();

/** The im2col/col2im functions over `mem` (compiled once per memory), or null if they cannot be. */
export function im2colWasm(mem: WebAssembly.Memory): Im2col | null {
  let fns = instances.get(mem);
  if (fns === undefined) {
    try {
      const bytes = wasmModule('im2col', isSharedMemory(mem));
      fns = WebAssembly.validate(bytes) ? (new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } }).exports as unknown as Im2col) : null;
    } catch {
      fns = null;
    }
    instances.set(mem, fns);
  }
  return fns;
}
