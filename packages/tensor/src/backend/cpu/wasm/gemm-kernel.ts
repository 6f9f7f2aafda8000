/**
 * WebAssembly SIMD (f32x4) GEMM: a run-time-emitted macro-kernel plus the JS driver that copies
 * float32 blocks into its linear memory (memcpy per row) and packs them there with emitted SIMD
 * routines (./pack.ts) — same GotoBLAS loop nest as ../matmul.ts:
 *
 *   for i0 in M by MS:                C stage  MS×NC  (float32, in wasm memory, rows ldS apart)
 *     for j0 in N by NC:
 *       for k0 in K by KC:            B block  KC×NC  → NR-wide panels, [panel][k][NR]
 *         for i1 in ms by MC:         A block  MC×KC  → MR-tall panels, [panel][k][MR]
 *           kernel (in wasm):         for each NR panel, for each MR panel: MR×NR tile in
 *                                     f32x4 locals over kc, then stored (or added) into the stage
 *       copy (or add) the stage into C
 *
 * The whole macro-kernel runs in one wasm call, so the JS↔wasm boundary is crossed once per
 * A block, not per tile. Sums are float32 within a KC block and the stage is float32 between
 * blocks (the JS path also rounds C to float32 between K blocks). Packing pads rows/columns to
 * MR/NR and k to a multiple of 4 and of the unroll factor with zeros, so the kernel has no edge
 * cases. The int8 gemm (./int8-gemm.ts) runs this kernel emitted with i32x4.dot_i16x8_s.
 */
import { Code, ValType, encodeModule } from './encoder';
import { copyIn, emitPackModule } from './pack';

/** Micro-tile and unroll of an emitted kernel (NR a multiple of 4). */
export interface KernelShape {
  mr: number;
  nr: number;
  unroll: number;
}

/**
 * Emits the macro-kernel module: `gemm(pa, pb, c, mPanels, nPanels, kc, ldc, beta)`, byte
 * pointers into the imported memory `env.mem`; kc is a positive multiple of `unroll`, ldc is
 * in bytes. Computes C[tile] (= or +=, per beta) for mPanels×nPanels tiles of mr×nr.
 *
 * With `int8`, every 4-byte packed element is a pair of sign-extended int16 values (two
 * consecutive k), kc counts those pairs, C is int32, and each step is `i32x4.dot_i16x8_s` +
 * `i32x4.add` instead of `f32x4.mul` + `f32x4.add` (see ./int8-gemm.ts): the same addressing.
 */
export function emitGemmKernel({ mr, nr, unroll }: KernelShape, int8 = false): Uint8Array<ArrayBuffer> {
  const nv = nr / 4; // f32x4 vectors per tile row
  const [pa, pb, c, mPanels, nPanels, kc, ldc, beta] = [0, 1, 2, 3, 4, 5, 6, 7];
  // i32 locals, then v128 locals: accumulators (row-major), B vectors, the splatted A value.
  const [jn, im, k, x, y, aPanel, bPanel, cRow, cCol, cp, aStride] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const acc = (r: number, v: number) => 19 + r * nv + v;
  const bv = (v: number) => 19 + mr * nv + v;
  const av = 19 + mr * nv + nv;
  const f = new Code();
  f.get(kc)
    .i32Const(mr * 4)
    .i32Mul()
    .set(aStride);
  f.get(pb).set(bPanel).get(c).set(cCol).get(nPanels).set(jn);
  f.loop(); // over NR-wide B panels: the kc×NR micro-panel stays in L1 across the A panels
  f.get(pa).set(aPanel).get(cCol).set(cRow).get(mPanels).set(im);
  f.loop(); // over MR-tall A panels
  for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) f.v128Zero().set(acc(r, v));
  f.get(aPanel).set(x).get(bPanel).set(y).get(kc).set(k);
  f.loop(); // over k, `unroll` steps per trip; all offsets are immediates
  for (let u = 0; u < unroll; u++) {
    for (let v = 0; v < nv; v++)
      f.get(y)
        .v128Load((u * nr + v * 4) * 4)
        .set(bv(v));
    for (let r = 0; r < mr; r++) {
      f.get(x)
        .v128Load32Splat((u * mr + r) * 4)
        .set(av);
      for (let v = 0; v < nv; v++) {
        f.get(acc(r, v)).get(av).get(bv(v));
        if (int8) f.i32x4DotI16x8S().i32x4Add();
        else f.f32x4Mul().f32x4Add();
        f.set(acc(r, v));
      }
    }
  }
  f.get(x)
    .i32Const(mr * unroll * 4)
    .i32Add()
    .set(x);
  f.get(y)
    .i32Const(nr * unroll * 4)
    .i32Add()
    .set(y);
  f.get(k).i32Const(unroll).i32Sub().tee(k).brIf(0);
  f.end();
  f.get(beta).if(); // add the stage's current tile (later K blocks)
  f.get(cRow).set(cp);
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++) {
      f.get(acc(r, v))
        .get(cp)
        .v128Load(v * 16);
      if (int8) f.i32x4Add();
      else f.f32x4Add();
      f.set(acc(r, v));
    }
    if (r < mr - 1) f.get(cp).get(ldc).i32Add().set(cp);
  }
  f.end();
  f.get(cRow).set(cp);
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++)
      f.get(cp)
        .get(acc(r, v))
        .v128Store(v * 16);
    if (r < mr - 1) f.get(cp).get(ldc).i32Add().set(cp);
  }
  f.get(aPanel).get(aStride).i32Add().set(aPanel);
  f.get(cRow).get(ldc).i32Const(mr).i32Mul().i32Add().set(cRow);
  f.get(im).i32Const(1).i32Sub().tee(im).brIf(0);
  f.end();
  f.get(bPanel)
    .get(kc)
    .i32Const(nr * 4)
    .i32Mul()
    .i32Add()
    .set(bPanel);
  f.get(cCol)
    .i32Const(nr * 4)
    .i32Add()
    .set(cCol);
  f.get(jn).i32Const(1).i32Sub().tee(jn).brIf(0);
  f.end();
  return encodeModule({
    memory: { import: { module: 'env', field: 'mem' }, minPages: 1 },
    funcs: [
      {
        params: new Array<ValType>(8).fill(ValType.i32),
        results: [],
        locals: [...new Array<ValType>(11).fill(ValType.i32), ...new Array<ValType>(mr * nv + nv + 1).fill(ValType.v128)],
        body: f,
        export: 'gemm',
      },
    ],
  });
}

/** Same contract as `gemm` in ../matmul.ts. */
export type GemmFn = (
  M: number,
  N: number,
  K: number,
  a: Float32Array,
  aOff: number,
  aRowStride: number,
  aColStride: number,
  b: Float32Array,
  bOff: number,
  bRowStride: number,
  bColStride: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
) => void;

/** Blocking of the driver (rounded down to multiples of mr, nr, unroll; MS to a multiple of MC). */
export interface Blocking {
  mc: number;
  kc: number;
  nc: number;
  ms: number;
}

// Measured on a 2-core AMD EPYC (Zen 4, Node 20), 512³ and 1024³, interleaved medians: 4×8 with no
// k-unrolling was best (≈23–30 GFLOP/s); 3×8, 6×8, 8×8, 4×12, 4×16 and unroll 2 or 4 were 10–30%
// slower (8 accumulators + 2 B vectors + 1 splat fit V8's 15 usable xmm registers; bigger tiles or
// unrolled bodies spill). Blocking (MC 64–256, KC 128–512, NC 256–1024) was within noise.
const TILE: KernelShape = { mr: 4, nr: 8, unroll: 1 };
const BLOCKING: Blocking = { mc: 128, kc: 256, nc: 512, ms: 1024 };

/**
 * Compiles and instantiates a kernel (synchronously: the module is a few KB, under the 4 KB
 * browsers allow on the main thread) and returns a gemm driving it, or null when WebAssembly
 * or its SIMD proposal is unavailable or anything fails, so callers fall back to JS.
 */
export function createWasmGemm(tile: KernelShape = TILE, blocking: Blocking = BLOCKING): GemmFn | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = emitGemmKernel(tile);
    // Packing in wasm SIMD needs tiles of whole vectors; other shapes (tuning) pack in JS.
    const packBytes = tile.mr % 4 === 0 && tile.nr % 4 === 0 ? emitPackModule(tile.mr, tile.nr, 'f32') : null;
    if (!WebAssembly.validate(bytes) || (packBytes && !WebAssembly.validate(packBytes))) return null;
    const mem = new WebAssembly.Memory({ initial: 1 });
    const env = { env: { mem } };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), env);
    const kernel = instance.exports.gemm as (...args: number[]) => void;
    const pack = packBytes ? (new WebAssembly.Instance(new WebAssembly.Module(packBytes), env).exports as Record<string, Fn>) : null;
    return makeDriver(kernel, pack, mem, tile, blocking);
  } catch {
    return null;
  }
}

type Fn = (...args: number[]) => void;
let cached: GemmFn | null | undefined;

/** The default wasm gemm, created on first use; null when unavailable (then never retried). */
export function wasmGemm(): GemmFn | null {
  if (cached === undefined) cached = createWasmGemm();
  return cached;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

function makeDriver(kernel: Fn, pack: Record<string, Fn> | null, mem: WebAssembly.Memory, { mr, nr, unroll }: KernelShape, blocking: Blocking): GemmFn {
  // Block edges must fall on tile edges (the stage holds whole tiles); wasm packing steps 4 k.
  const kq = pack ? lcm(4, unroll) : unroll;
  const MC = Math.max(mr, blocking.mc - (blocking.mc % mr)),
    MS = Math.max(MC, blocking.ms - (blocking.ms % MC));
  const NC = Math.max(nr, blocking.nc - (blocking.nc % nr)),
    KC = Math.max(kq, blocking.kc - (blocking.kc % kq));
  let f32 = new Float32Array(mem.buffer);
  return (M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, accumulate) => {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
      if (!accumulate) for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
      return;
    }
    // Memory layout in floats: [A block | B block | C stage | raw A block | raw B block].
    const ms = Math.min(MS, roundUp(M, mr)),
      nc = Math.min(NC, roundUp(N, nr));
    const kcMax = Math.min(KC, roundUp(K, kq)),
      mcMax = Math.min(MC, ms);
    const aBase = 0,
      bBase = mcMax * kcMax,
      cBase = bBase + kcMax * nc,
      rawA = cBase + ms * nc,
      rawB = rawA + (pack ? mcMax * kcMax : 0);
    const bytes = (rawB + (pack ? kcMax * nc : 0)) * 4;
    if (bytes > mem.buffer.byteLength) {
      mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
      f32 = new Float32Array(mem.buffer); // growing detaches the old buffer
    }
    const ldS = nc; // stage row pitch, in floats
    for (let i0 = 0; i0 < M; i0 += MS) {
      const mRows = Math.min(MS, M - i0);
      for (let j0 = 0; j0 < N; j0 += NC) {
        const nCols = Math.min(NC, N - j0);
        const nPanels = Math.ceil(nCols / nr);
        for (let k0 = 0; k0 < K; k0 += KC) {
          const kc = Math.min(KC, K - k0),
            kcp = roundUp(kc, kq);
          const bo = bOff + k0 * brs + j0 * bcs;
          if (pack) {
            const r = copyIn(b, bo, bcs, brs, nCols, kc, nPanels * nr, kcp, f32, rawB);
            if (r.lines) pack.packLinesB(r.base * 4, r.ld * 4, bBase * 4, nPanels, kcp / 4);
            else pack.packRowsB(r.base * 4, r.ld * 4, bBase * 4, nPanels, kcp);
          } else packB(kc, kcp, nCols, nr, b, bo, brs, bcs, f32, bBase);
          for (let i1 = 0; i1 < mRows; i1 += MC) {
            const mcRows = Math.min(MC, mRows - i1),
              mPanels = Math.ceil(mcRows / mr);
            const ao = aOff + (i0 + i1) * ars + k0 * acs;
            if (pack) {
              const r = copyIn(a, ao, ars, acs, mcRows, kc, mPanels * mr, kcp, f32, rawA);
              if (r.lines) pack.packLinesA(r.base * 4, r.ld * 4, aBase * 4, mPanels, kcp / 4);
              else pack.packRowsA(r.base * 4, r.ld * 4, aBase * 4, mPanels, kcp);
            } else packA(mcRows, kc, kcp, mr, a, ao, ars, acs, f32, aBase);
            kernel(aBase * 4, bBase * 4, (cBase + i1 * ldS) * 4, mPanels, nPanels, kcp, ldS * 4, k0 > 0 ? 1 : 0);
          }
        }
        // Stage → C (only the real rows and columns; the padding is scratch).
        for (let i = 0; i < mRows; i++) {
          const s = cBase + i * ldS,
            d = cOff + (i0 + i) * ldc + j0;
          if (accumulate) for (let j = 0; j < nCols; j++) c[d + j] += f32[s + j];
          else c.set(f32.subarray(s, s + nCols), d);
        }
      }
    }
  };
}

const lcm = (x: number, y: number): number => {
  let [p, q] = [x, y];
  while (q) [p, q] = [q, p % q];
  return (x / p) * y;
};

/** A block (mc×kc, any strides) → mr-tall panels [panel][k][mr], zero-padded to mr rows and kcp. */
function packA(mc: number, kc: number, kcp: number, mr: number, a: Float32Array, off: number, rs: number, cs: number, f: Float32Array, base: number): void {
  let p = base;
  for (let i0 = 0; i0 < mc; i0 += mr) {
    const rows = Math.min(mr, mc - i0);
    const row = off + i0 * rs;
    for (let k = 0; k < kc; k++) {
      const src = row + k * cs;
      let i = 0;
      for (; i < rows; i++) f[p++] = a[src + i * rs];
      for (; i < mr; i++) f[p++] = 0;
    }
    const pad = (kcp - kc) * mr;
    f.fill(0, p, p + pad);
    p += pad;
  }
}

/** B block (kc×nc, any strides) → nr-wide panels [panel][k][nr], zero-padded to nr columns and kcp. */
function packB(kc: number, kcp: number, nc: number, nr: number, b: Float32Array, off: number, rs: number, cs: number, f: Float32Array, base: number): void {
  let p = base;
  for (let j0 = 0; j0 < nc; j0 += nr) {
    const cols = Math.min(nr, nc - j0);
    const col = off + j0 * cs;
    for (let k = 0; k < kc; k++) {
      const src = col + k * rs;
      let j = 0;
      for (; j < cols; j++) f[p++] = b[src + j * cs];
      for (; j < nr; j++) f[p++] = 0;
    }
    const pad = (kcp - kc) * nr;
    f.fill(0, p, p + pad);
    p += pad;
  }
}
