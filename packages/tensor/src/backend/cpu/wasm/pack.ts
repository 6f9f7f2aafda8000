/**
 * Packing for the WebAssembly GEMMs (./gemm-kernel.ts, ./int8-gemm.ts): the JS driver copies an
 * operand block into wasm memory with memcpy (`copyIn`, zero-padded to whole tiles), then an
 * emitted SIMD routine reorders it into the micro-kernel's panels, [panel][k][w], w the tile's
 * rows (A) or columns (B). Each packed element is 32 bits: a float32, or for int8 a pair
 * (x[k], x[k+1]) of sign-extended int16 (the operands of `i32x4.dot_i16x8_s`).
 */
import { Code, ValType, encodeModule, memoryImport } from './encoder';
import { emitPackLoopEnds } from './pack-loops';

/** Element kind of a pack module: float32, or int8 packed into int16 pairs. */
export type PackKind = 'f32' | 'i8';

const { i32, v128 } = ValType;
const lanes32 = (ls: number[]) => ls.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]);
const lanes16 = (ls: number[]) => ls.flatMap((l) => [l * 2, l * 2 + 1]);

/**
 * `packLines(src, ld, dst, panels, steps)`: the source holds lines (k contiguous, `ld` bytes
 * apart); writes `panels` panels of `w` lines as [panel][k][w] 32-bit elements. Per step and 4
 * lines: four loads of 4 elements each (f32: 4 floats; i8: 8 int8 sign-extended to 4 int16
 * pairs) and a 4×4 transpose of 32-bit lanes. A step covers 4 k (f32) or 8 k (i8).
 */
export function emitPackLines(w: number, kind: PackKind): Code {
  const [src, ld, dst, panels, k8] = [0, 1, 2, 3, 4];
  const kk = 5,
    line = (i: number) => 6 + i,
    base = 6 + w;
  const v = (i: number) => 7 + w + i,
    t = (i: number) => 11 + w + i;
  const f = new Code();
  f.get(src).set(base);
  f.loop();
  for (let i = 0; i < w; i++) {
    f.get(base);
    if (i > 0) f.get(ld).i32Const(i).i32Mul().i32Add();
    f.set(line(i));
  }
  f.get(k8).set(kk);
  f.loop();
  for (let g = 0; g < w / 4; g++) {
    for (let i = 0; i < 4; i++) {
      f.get(line(4 * g + i));
      if (kind === 'i8') f.v128Load8x8S();
      else f.v128Load(0, 2);
      f.set(v(i));
    }
    // v_i = elements 0..3 of line i → t → o_q = element q of lines 0..3
    f.get(v(0))
      .get(v(1))
      .i8x16Shuffle(lanes32([0, 4, 1, 5]))
      .set(t(0));
    f.get(v(2))
      .get(v(3))
      .i8x16Shuffle(lanes32([0, 4, 1, 5]))
      .set(t(1));
    f.get(v(0))
      .get(v(1))
      .i8x16Shuffle(lanes32([2, 6, 3, 7]))
      .set(t(2));
    f.get(v(2))
      .get(v(3))
      .i8x16Shuffle(lanes32([2, 6, 3, 7]))
      .set(t(3));
    for (let q = 0; q < 4; q++) {
      const [x, y] = q < 2 ? [t(0), t(1)] : [t(2), t(3)];
      f.get(dst)
        .get(x)
        .get(y)
        .i8x16Shuffle(lanes32(q % 2 === 0 ? [0, 1, 4, 5] : [2, 3, 6, 7]))
        .v128Store((q * w + 4 * g) * 4);
    }
  }
  for (let i = 0; i < w; i++)
    f.get(line(i))
      .i32Const(kind === 'i8' ? 8 : 16)
      .i32Add()
      .set(line(i));
  f.get(dst)
    .i32Const(16 * w)
    .i32Add()
    .set(dst);
  f.get(kk).i32Const(1).i32Sub().tee(kk).brIf(0);
  f.end();
  f.get(base).get(ld).i32Const(w).i32Mul().i32Add().set(base);
  f.get(panels).i32Const(1).i32Sub().tee(panels).brIf(0);
  f.end();
  return f;
}

/**
 * `packRows(src, ld, dst, panels, steps)`: the source holds rows of k (lines contiguous, `ld`
 * bytes apart); writes `panels` panels of `w` lines as [panel][k][w] 32-bit elements, a step
 * per k (f32: w/4 vector copies) or per pair of k (i8: two sign-extending loads interleaved by
 * a shuffle into int16 pairs).
 */
function emitPackRows(w: number, kind: PackKind): Code {
  const [src, ld, dst, panels, kp] = [0, 1, 2, 3, 4];
  const [q, r, base, a, b] = [5, 6, 7, 8, 9];
  const f = new Code();
  f.get(src).set(base);
  f.loop();
  f.get(base).set(r).get(kp).set(q);
  f.loop();
  if (kind === 'f32') {
    for (let v = 0; v < w / 4; v++)
      f.get(dst)
        .get(r)
        .v128Load(16 * v, 2)
        .v128Store(16 * v, 2);
    f.get(r).get(ld).i32Add().set(r);
  } else {
    f.get(r).v128Load8x8S().set(a);
    f.get(r).get(ld).i32Add().v128Load8x8S().set(b);
    f.get(dst)
      .get(a)
      .get(b)
      .i8x16Shuffle(lanes16([0, 8, 1, 9, 2, 10, 3, 11]))
      .v128Store(0);
    if (w === 8)
      f.get(dst)
        .get(a)
        .get(b)
        .i8x16Shuffle(lanes16([4, 12, 5, 13, 6, 14, 7, 15]))
        .v128Store(16);
    f.get(r).get(ld).i32Const(2).i32Mul().i32Add().set(r);
  }
  return emitPackLoopEnds(f, { dst, q, base, panels }, 4 * w, kind === 'f32' ? 4 * w : w);
}

/**
 * The packing module: packLinesA/packRowsA (width mr) and packLinesB/packRowsB (width nr),
 * widths 4 or 8 (packLines: any multiple of 4), over the imported memory `env.mem` (a shared
 * one with `shared`).
 */
export function emitPackModule(mr: number, nr: number, kind: PackKind, shared = false): Uint8Array<ArrayBuffer> {
  const fn = (body: Code, w: number, name: string, lines: boolean) => ({
    params: new Array<ValType>(5).fill(i32),
    results: [],
    locals: lines ? [...new Array<ValType>(w + 2).fill(i32), ...new Array<ValType>(8).fill(v128)] : [i32, i32, i32, v128, v128],
    body,
    export: name,
  });
  return encodeModule({
    memory: memoryImport(shared),
    funcs: [
      fn(emitPackLines(mr, kind), mr, 'packLinesA', true),
      fn(emitPackRows(mr, kind), mr, 'packRowsA', false),
      fn(emitPackLines(nr, kind), nr, 'packLinesB', true),
      fn(emitPackRows(nr, kind), nr, 'packRowsB', false),
    ],
  });
}

/** One operand copied into wasm memory: `lines` (k contiguous) or `rows` (lines contiguous). */
export interface Raw {
  base: number;
  ld: number;
  lines: boolean;
}

/**
 * Copies an operand's L lines × K (element (l, k) at off + l·ls + k·ks) into `dst` at `base`,
 * zero-padded to Lp × Kp: as lines of Kp elements when k is contiguous (ks = 1) or the source is
 * neither way contiguous, else as Kp rows of Lp elements (ls = 1). Contiguous runs go by memcpy.
 * `base` and the returned `base`/`ld` count elements of `dst`.
 */
export function copyIn<T extends Int8Array | Float32Array>(
  src: T,
  off: number,
  ls: number,
  ks: number,
  L: number,
  K: number,
  Lp: number,
  Kp: number,
  dst: T,
  base: number,
): Raw {
  if (ks === 1 || ls !== 1) {
    if (ks === 1 && ls === K && K === Kp) dst.set(src.subarray(off, off + L * K), base);
    else for (let l = 0; l < L; l++) copyRun(src, off + l * ls, ks, K, dst, base + l * Kp, Kp - K);
    dst.fill(0, base + L * Kp, base + Lp * Kp);
    return { base, ld: Kp, lines: true };
  }
  if (ks === L && L === Lp) dst.set(src.subarray(off, off + K * L), base);
  else for (let k = 0; k < K; k++) copyRun(src, off + k * ks, 1, L, dst, base + k * Lp, Lp - L);
  dst.fill(0, base + K * Lp, base + Kp * Lp);
  return { base, ld: Lp, lines: false };
}

/** n elements `step` apart → dst[d…d+n), then `pad` zeros; memcpy for long unit-stride runs. */
function copyRun<T extends Int8Array | Float32Array>(src: T, o: number, step: number, n: number, dst: T, d: number, pad: number): void {
  // A subarray + set costs about as much as copying a few dozen elements one by one.
  if (step === 1 && n >= 48) dst.set(src.subarray(o, o + n), d);
  else for (let i = 0; i < n; i++) dst[d + i] = src[o + i * step];
  for (let i = d + n, e = d + n + pad; i < e; i++) dst[i] = 0;
}
