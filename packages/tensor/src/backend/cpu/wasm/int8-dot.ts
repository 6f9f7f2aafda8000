/**
 * The int8 GEMM's relaxed-SIMD variant (./int8-gemm.ts drives it): 16 multiply-adds and the
 * accumulation per `i32x4.relaxed_dot_i8x16_i7x16_add_s` where the standard kernel's
 * `i32x4.dot_i16x8_s` + `i32x4.add` do 8.
 *
 *   packed element: a word of 4 consecutive k (int8, as stored), panels [panel][k/4][w] words
 *   kernel step (one word of k): acc = relaxed_dot_i8x16_i7x16_add_s(s, u, acc)
 *     s the signed operand (any int8), u the "i7" operand (every value in [0, 127])
 *
 * Exactness: the relaxed dot is implementation-defined only where a byte of its second operand
 * has the top bit set or an intermediate pair sum s₀u₀ + s₁u₁ leaves int16; with u in [0, 127]
 * every engine computes the exact sums (|pair| ≤ 2·128·127 < 2¹⁵) of 4 products per lane,
 * added to the int32 lane with wrapping — so results equal the standard kernel's and the JS
 * loop's, bit for bit, on every implementation. The driver makes one operand u: an operand whose values all lie
 * in [−128, −1] is stored +128 (xor 0x80) and the product corrected by −128·Σₖ of the other
 * operand, which the kernel takes as the accumulators' starting values.
 *
 * On x64 V8 lowers it to one `vpdpbusd` where the CPU has AVX-VNNI (1 instruction per 16
 * multiply-adds: about 2× the standard kernel on a Sapphire Rapids core), else `pmaddubsw` +
 * `pmaddwd` (with ones) + `paddd` (3 per 16, the standard kernel's 4).
 */
import { Code, encodeModule, memoryImport, ValType } from './encoder';
import { emitNextBPanel, emitTileStore, type KernelShape } from './gemm-kernel';
import { emitPackLines } from './pack';
import { emitPackLoopEnds } from './pack-loops';

const { i32, v128 } = ValType;

/**
 * The macro-kernel: `gemmA` (A is the i7 operand) and `gemmB` (B is), each
 * `(pa, pb, c, mPanels, nPanels, kw, ldc, beta, corr)` — kw words of k (> 0), ldc in bytes, C
 * int32 = (beta ? C : start) + A·B per mr×nr tile, where `start` is the int32 at `corr`: one per
 * column (gemmA: corr + 4·j, columns of this call) or per row (gemmB: corr + 4·i). `gemmA3` and
 * `gemmB3` do the same with `i16x8.relaxed_dot_i8x16_i7x16_s` + `i32x4.dot_i16x8_s` (with ones) +
 * `i32x4.add`, for engines whose fused instruction fails {@link relaxedDotAddWorks} (Node 20's
 * V8 behind its flag drops the accumulator). `probe(at)`: the fused instruction on the three
 * vectors at `at`, its result stored at at + 48.
 */
export function emitInt8DotKernel({ mr, nr }: KernelShape, shared = false): Uint8Array<ArrayBuffer> {
  const variant = (i7IsA: boolean, fused: boolean) => {
    const nv = nr / 4;
    const [pa, pb, c, mPanels, nPanels, kw, ldc, beta, corr] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const [jn, im, k, x, y, aPanel, bPanel, cRow, cCol, cp, aStride, cc] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
    const acc = (r: number, v: number) => 21 + r * nv + v;
    const bv = (v: number) => 21 + mr * nv + v;
    const av = 21 + mr * nv + nv;
    const ones = av + 1;
    const f = new Code();
    if (!fused) f.i32x4Const(0x00010001).set(ones);
    f.get(kw)
      .i32Const(mr * 4)
      .i32Mul()
      .set(aStride);
    f.get(pb).set(bPanel).get(c).set(cCol).get(nPanels).set(jn);
    f.get(corr).set(cc);
    f.loop(); // over NR-wide B panels
    f.get(pa).set(aPanel).get(cCol).set(cRow).get(mPanels).set(im);
    if (!i7IsA) f.get(corr).set(cc);
    f.loop(); // over MR-tall A panels
    f.get(beta).if();
    for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) f.v128Zero().set(acc(r, v));
    f.else();
    for (let r = 0; r < mr; r++)
      for (let v = 0; v < nv; v++) {
        if (i7IsA) f.get(cc).v128Load(v * 16, 2);
        else f.get(cc).v128Load32Splat(r * 4);
        f.set(acc(r, v));
      }
    f.end();
    f.get(aPanel).set(x).get(bPanel).set(y).get(kw).set(k);
    f.loop(); // over words of k
    for (let v = 0; v < nv; v++)
      f.get(y)
        .v128Load(v * 16)
        .set(bv(v));
    for (let r = 0; r < mr; r++) {
      f.get(x)
        .v128Load32Splat(r * 4)
        .set(av);
      for (let v = 0; v < nv; v++) {
        if (i7IsA) f.get(bv(v)).get(av);
        else f.get(av).get(bv(v));
        if (fused) f.get(acc(r, v)).i32x4RelaxedDotI8x16I7x16AddS();
        else f.i16x8RelaxedDotI8x16I7x16S().get(ones).i32x4DotI16x8S().get(acc(r, v)).i32x4Add();
        f.set(acc(r, v));
      }
    }
    f.get(x)
      .i32Const(mr * 4)
      .i32Add()
      .set(x);
    f.get(y)
      .i32Const(nr * 4)
      .i32Add()
      .set(y);
    f.get(k).i32Const(1).i32Sub().tee(k).brIf(0);
    f.end();
    emitTileStore(f, { mr, nv, acc, beta, cRow, cp, ldc }, true);
    if (!i7IsA)
      f.get(cc)
        .i32Const(mr * 4)
        .i32Add()
        .set(cc);
    f.get(aPanel).get(aStride).i32Add().set(aPanel);
    f.get(cRow).get(ldc).i32Const(mr).i32Mul().i32Add().set(cRow);
    f.get(im).i32Const(1).i32Sub().tee(im).brIf(0);
    f.end();
    if (i7IsA)
      f.get(cc)
        .i32Const(nr * 4)
        .i32Add()
        .set(cc);
    emitNextBPanel(f, { bPanel, kc: kw, nr, cCol, jn });
    return {
      params: new Array<ValType>(9).fill(i32),
      results: [],
      locals: [...new Array<ValType>(12).fill(i32), ...new Array<ValType>(mr * nv + nv + 2).fill(v128)],
      body: f,
      export: `gemm${i7IsA ? 'A' : 'B'}${fused ? '' : '3'}`,
    };
  };
  const probe = new Code().get(0).get(0).v128Load(0).get(0).v128Load(16).get(0).v128Load(32).i32x4RelaxedDotI8x16I7x16AddS().v128Store(48);
  return encodeModule({
    memory: memoryImport(shared),
    funcs: [
      variant(true, true),
      variant(false, true),
      variant(true, false),
      variant(false, false),
      { params: [i32], results: [], locals: [], body: probe, export: 'probe' },
    ],
  });
}

/**
 * Whether the module's `probe` (see {@link emitInt8DotKernel}) computes the fused relaxed dot
 * exactly — signed bytes in [−128, 127], 7-bit ones in [7, 127], the accumulator added, lane 3
 * wrapping past 2³¹ — on bytes `at`…`at + 63` of `mem` (scratch, overwritten). The expected lanes
 * are Σ of 4 products plus 2³⁰, −7, 0 and 2³¹ − 1.
 */
export function relaxedDotAddWorks(probe: (at: number) => void, mem: WebAssembly.Memory, at: number): boolean {
  const b = new Int8Array(mem.buffer, at, 32),
    w = new Int32Array(mem.buffer, at, 16);
  for (let i = 0; i < 16; i++) [b[i], b[16 + i]] = [i * 17 - 128, 127 - i * 8];
  w.set([1 << 30, -7, 0, 2 ** 31 - 1], 8);
  probe(at);
  return `${w.subarray(12)}` === '1073693994,-12141,6154,-2147476615';
}

/**
 * Whether the module's `probe` computes the fused relaxed dot exactly with full 8-bit unsigned
 * bytes in its second operand (top bit set): true where the engine lowers it to a plain u8 × s8
 * dot-add (x64 `vpdpbusd`, AVX-VNNI), false where it reads those bytes as signed or saturates a
 * pair of products to int16 (`pmaddubsw`). The relaxed-SIMD spec allows only those behaviours, and
 * an engine keeps to one, so an exact result on these lanes — both extremes of the pair sums, and
 * bytes read as unsigned — means exact for every input: the driver may then feed the kernel any
 * int8 operand stored +128 (bytes 0…255). Bytes `at`…`at + 63` of `mem`: scratch.
 */
export function relaxedDotU8Works(probe: (at: number) => void, mem: WebAssembly.Memory, at: number): boolean {
  const s = new Int8Array(mem.buffer, at, 16),
    u = new Uint8Array(mem.buffer, at + 16, 16),
    w = new Int32Array(mem.buffer, at, 16);
  // lane 0: 4 × 255·(−128) (a pair leaves int16); lane 1: 4 × 255·127; lanes 2, 3: mixed bytes
  const sv = [-128, -128, -128, -128, 127, 127, 127, 127, -1, 5, -77, 100, 3, -128, 64, -2];
  const uv = [255, 255, 255, 255, 255, 255, 255, 255, 128, 200, 129, 7, 254, 131, 0, 255];
  s.set(sv);
  u.set(uv);
  w.set([5, -5, 1 << 30, -(2 ** 31)], 8);
  probe(at);
  const want = [0, 1, 2, 3].map((l) => {
    let sum = w[8 + l];
    for (let i = 4 * l; i < 4 * l + 4; i++) sum += sv[i] * uv[i];
    return sum | 0;
  });
  return `${w.subarray(12)}` === `${want}`;
}

/**
 * Whether the relaxed kernel `dot` (kernelStep 4: a step is 4 k) beats the standard one `std`
 * (kernelStep 2), both of mr×nr `tile`, on this engine, timed on one 64×256 · 256×256 block in `mem` from byte `at` (the
 * memory grows to hold it; the bytes there are scratch, and integer kernels take the same time
 * whatever the values). An engine may accept relaxed SIMD yet lower its dot to a slow sequence:
 * Node 22 (V8 12.4) ran the relaxed kernel 1.38× slower than the standard one on AVX-512 VNNI,
 * where Node 20 with the flag ran it 1.25× and Node 24 1.8× faster (2026-12-03). Both kernels
 * give the same products, so the choice changes speed only. Best of 5 runs each, interleaved.
 */
export function relaxedKernelFaster(
  std: (...args: number[]) => void,
  dot: (...args: number[]) => void,
  tile: { mr: number; nr: number },
  mem: WebAssembly.Memory,
  at: number,
): boolean {
  const [rows, cols, k] = [64, 256, 256];
  const [pa, pb, c, corr] = [at, at + rows * k * 2, at + (rows + cols) * k * 2, at + (rows + cols) * k * 2 + rows * cols * 4];
  const end = corr + cols * 4;
  if (mem.buffer.byteLength < end) mem.grow(Math.ceil((end - mem.buffer.byteLength) / 65536));
  const [mp, np] = [rows / tile.mr, cols / tile.nr];
  const time = (run: () => void) => {
    const t = performance.now();
    run();
    return performance.now() - t;
  };
  let [s, d] = [Infinity, Infinity];
  for (let r = 0; r < 5; r++) {
    s = Math.min(
      s,
      time(() => std(pa, pb, c, mp, np, k / 2, cols * 4, 0)),
    );
    d = Math.min(
      d,
      time(() => dot(pa, pb, c, mp, np, k / 4, cols * 4, 0, corr)),
    );
  }
  return d < s;
}

/**
 * `packRows(src, ld, dst, panels, kw)` for int8 words: the source holds rows of k (w-wide line
 * runs contiguous, rows `ld` bytes apart); per word of k, 8 bytes of each of 4 rows are
 * interleaved by shuffles into w words (line l: rows 0…3 of column l). 8 bytes are read per row
 * whatever w (the driver leaves slack after the raw operands).
 */
function emitPackRowsWords(w: number): Code {
  const [src, ld, dst, panels, kw] = [0, 1, 2, 3, 4];
  const [q, r, base] = [5, 6, 7];
  const row = (i: number) => 8 + i;
  const [t0, t1] = [12, 13];
  const f = new Code();
  const pairs = Array.from({ length: 16 }, (_, i) => (i % 2 ? 16 : 0) + (i >> 1)); // r0[0] r1[0] r0[1] r1[1] …
  const quads = (h: number) => Array.from({ length: 16 }, (_, i) => (i % 4 < 2 ? 0 : 16) + 8 * h + 2 * (i >> 2) + (i % 2));
  f.get(src).set(base);
  f.loop();
  f.get(base).set(r).get(kw).set(q);
  f.loop();
  for (let i = 0; i < 4; i++) {
    f.get(r);
    if (i > 0) f.get(ld).i32Const(i).i32Mul().i32Add();
    f.v128Load64Zero().set(row(i));
  }
  f.get(row(0)).get(row(1)).i8x16Shuffle(pairs).set(t0);
  f.get(row(2)).get(row(3)).i8x16Shuffle(pairs).set(t1);
  for (let h = 0; h < w / 4; h++)
    f.get(dst)
      .get(t0)
      .get(t1)
      .i8x16Shuffle(quads(h))
      .v128Store(16 * h);
  f.get(r).get(ld).i32Const(4).i32Mul().i32Add().set(r);
  return emitPackLoopEnds(f, { dst, q, base, panels }, 4 * w, w);
}

/**
 * `lineSums(src, ld, lines, k16, dst)`: for each of `lines` lines (k contiguous, `ld` bytes apart,
 * 16·k16 bytes each), four int32 partial sums of its bytes at dst + 16·line (their total is Σₖ;
 * relaxed dots with ones, which are exact).
 */
function emitLineSums(): Code {
  const [src, ld, lines, k16, dst] = [0, 1, 2, 3, 4];
  const [p, q, acc, ones8, ones16] = [5, 6, 7, 8, 9];
  const f = new Code();
  f.i32x4Const(0x01010101).set(ones8).i32x4Const(0x00010001).set(ones16);
  f.loop();
  f.get(src).set(p).get(k16).set(q).v128Zero().set(acc);
  f.loop();
  f.get(p).v128Load(0, 0).get(ones8).i16x8RelaxedDotI8x16I7x16S().get(ones16).i32x4DotI16x8S().get(acc).i32x4Add().set(acc);
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(q).i32Const(1).i32Sub().tee(q).brIf(0);
  f.end();
  f.get(dst).get(acc).v128Store(0, 0);
  f.get(dst).i32Const(16).i32Add().set(dst);
  f.get(src).get(ld).i32Add().set(src);
  f.get(lines).i32Const(1).i32Sub().tee(lines).brIf(0);
  f.end();
  return f;
}

/**
 * The packing module of the relaxed kernel: packLinesA/packRowsA (width mr), packLinesB/packRowsB
 * (width nr), widths 4 or 8, words of 4 int8 k (packLines: ./pack.ts's 32-bit transposes, 16 bytes
 * of k per step; packRows: one word of k per step), and lineSums.
 */
export function emitInt8DotPack(mr: number, nr: number, shared = false): Uint8Array<ArrayBuffer> {
  const fn = (body: Code, locals: ValType[], name: string) => ({ params: new Array<ValType>(5).fill(i32), results: [], locals, body, export: name });
  const linesLocals = (w: number) => [...new Array<ValType>(w + 2).fill(i32), ...new Array<ValType>(8).fill(v128)];
  const rowsLocals = [i32, i32, i32, v128, v128, v128, v128, v128, v128];
  return encodeModule({
    memory: memoryImport(shared),
    funcs: [
      fn(emitPackLines(mr, 'f32'), linesLocals(mr), 'packLinesA'),
      fn(emitPackRowsWords(mr), rowsLocals, 'packRowsA'),
      fn(emitPackLines(nr, 'f32'), linesLocals(nr), 'packLinesB'),
      fn(emitPackRowsWords(nr), rowsLocals, 'packRowsB'),
      fn(emitLineSums(), [i32, i32, v128, v128, v128], 'lineSums'),
    ],
  });
}
