/**
 * WebAssembly SIMD (f32x4) GEMM: a run-time-emitted macro-kernel plus the JS driver
 * (./gemm-driver.ts) that copies float32 blocks into its linear memory (memcpy per row) and
 * packs them there with emitted SIMD routines (./pack.ts) — same GotoBLAS loop nest as
 * ../matmul.ts:
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
import { Code, ValType, encodeModule, isSharedMemory, memoryImport } from './encoder';
import { functionIndex } from '../thread-pool';
import { type Fn, makeDriver, type Threading, type WasmGemm } from './gemm-driver';
import { wasmModule } from './modules';

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
export function emitGemmKernel({ mr, nr, unroll }: KernelShape, int8 = false, shared = false): Uint8Array<ArrayBuffer> {
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
  emitTileStore(f, { mr, nv, acc, beta, cRow, cp, ldc }, int8);
  f.get(aPanel).get(aStride).i32Add().set(aPanel);
  f.get(cRow).get(ldc).i32Const(mr).i32Mul().i32Add().set(cRow);
  f.get(im).i32Const(1).i32Sub().tee(im).brIf(0);
  f.end();
  emitNextBPanel(f, { bPanel, kc, nr, cCol, jn });
  return encodeModule({
    memory: memoryImport(shared),
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

/**
 * The end of a micro-kernel's loop over NR-wide B panels: the next panel (kc·NR words on), the next
 * NR columns of C, and the loop's back-edge while panels remain.
 */
export function emitNextBPanel(f: Code, { bPanel, kc, nr, cCol, jn }: { bPanel: number; kc: number; nr: number; cCol: number; jn: number }): void {
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
}

/** Locals of a micro-kernel's tile write-back (see {@link emitTileStore}). */
export interface TileLocals {
  mr: number;
  /** v128 vectors per tile row. */
  nv: number;
  acc: (r: number, v: number) => number;
  beta: number;
  cRow: number;
  cp: number;
  ldc: number;
}

/**
 * A micro-kernel's tile write-back: when `beta` is set (later K blocks) the tile C holds is added
 * to the accumulators (i32x4 lanes when `int32`, else f32x4), then the accumulators are stored to
 * C's `mr` rows, `ldc` bytes apart from `cRow`. Shared by the float/int8 kernel and the relaxed int8 one.
 */
export function emitTileStore(f: Code, { mr, nv, acc, beta, cRow, cp, ldc }: TileLocals, int32: boolean): void {
  f.get(beta).if();
  f.get(cRow).set(cp);
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++) {
      f.get(acc(r, v))
        .get(cp)
        .v128Load(v * 16);
      if (int32) f.i32x4Add();
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
export const TILE: KernelShape = { mr: 4, nr: 8, unroll: 1 };
export const BLOCKING: Blocking = { mc: 128, kc: 256, nc: 512, ms: 1024 };

/**
 * Compiles and instantiates a kernel (synchronously: the module is a few KB, under the 4 KB
 * browsers allow on the main thread) and returns a gemm driving it, or null when WebAssembly
 * or its SIMD proposal is unavailable or anything fails, so callers fall back to JS.
 */
export function createWasmGemm(tile: KernelShape = TILE, blocking: Blocking = BLOCKING, threaded = false): WasmGemm | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const mem = threaded ? sharedMemory() : new WebAssembly.Memory({ initial: 1 });
    if (!mem) return null;
    const shared = isSharedMemory(mem);
    const bytes = wasmModule('gemm', tile, false, shared);
    // Packing in wasm SIMD needs tiles of whole vectors; other shapes (tuning) pack in JS.
    const packBytes = tile.mr % 4 === 0 && tile.nr % 4 === 0 ? wasmModule('pack', tile.mr, tile.nr, 'f32', shared) : null;
    if (!WebAssembly.validate(bytes) || (packBytes && !WebAssembly.validate(packBytes))) return null;
    const env = { env: { mem } };
    const module = new WebAssembly.Module(bytes);
    const kernel = new WebAssembly.Instance(module, env).exports.gemm as (...args: number[]) => void;
    const packModule = packBytes ? new WebAssembly.Module(packBytes) : null;
    const pack = packModule ? (new WebAssembly.Instance(packModule, env).exports as Record<string, Fn>) : null;
    // Workers run the kernel and the packing over the same memory.
    return makeDriver(
      kernel,
      pack,
      mem,
      tile,
      blocking,
      shared && packModule ? threading([module, packModule, new WebAssembly.Module(wasmModule('im2col', true))]) : undefined,
    );
  } catch {
    return null;
  }
}

/** The pool's numbering of the kernel's and the packing's functions, and of the im2col `row` and `colRow` (convolutions: ../conv.ts). */
function threading(modules: WebAssembly.Module[]): Threading {
  const pack = (name: string) => functionIndex(modules, 1, name);
  return {
    modules,
    kernel: functionIndex(modules, 0, 'gemm'),
    pack: { packLinesA: pack('packLinesA'), packRowsA: pack('packRowsA'), packLinesB: pack('packLinesB'), packRowsB: pack('packRowsB') },
    extra: { im2colRow: functionIndex(modules, 2, 'row'), col2imRow: functionIndex(modules, 2, 'colRow') },
  };
}

/**
 * A shared memory for the threaded gemm (worker threads compute in it; see ../threads.ts), or
 * null where there is none. It needs a maximum, reserved up front as address space: 4 GiB, else
 * 1 GiB where that much cannot be reserved (32-bit browsers).
 */
export function sharedMemory(): WebAssembly.Memory | null {
  if (typeof SharedArrayBuffer !== 'function') return null;
  for (const maximum of [65536, 16384]) {
    try {
      return new WebAssembly.Memory({ initial: 1, maximum, shared: true });
    } catch {
      // try a smaller reservation, then give up
    }
  }
  return null;
}

let cached: WasmGemm | null | undefined;
let cachedThreaded: WasmGemm | null | undefined;

/** The default wasm gemm (a plain memory), created on first use; null when unavailable (then never retried). */
export function wasmGemm(): WasmGemm | null {
  if (cached === undefined) cached = createWasmGemm();
  return cached;
}

/**
 * The same gemm over a shared memory, splitting large products across worker threads; null where
 * shared memory is unavailable. Single-threaded products stay on `wasmGemm`: JS copies into a
 * SharedArrayBuffer are a few percent slower. Both compute every element identically.
 */
export function threadedGemm(): WasmGemm | null {
  if (cachedThreaded === undefined) cachedThreaded = createWasmGemm(TILE, BLOCKING, true);
  return cachedThreaded;
}
