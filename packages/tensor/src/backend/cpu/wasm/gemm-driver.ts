/**
 * The JS side of the WebAssembly float GEMM (./gemm-kernel.ts): blocking, copying operand blocks
 * into wasm memory (memcpy per row, ./pack.ts), packing them there with the emitted SIMD
 * routines, calling the macro-kernel, and copying the C stage out. Tile shapes whose sides are
 * not multiples of 4 (tuning only) pack in JS instead.
 *
 * A caller may also build B directly in the gemm's memory (`scratch`, then `resident`), e.g. a
 * convolution's im2col matrix, which then skips the copy: rows of k (`lines` false, ld ≥ N
 * floats, rows K…roundUp(K, 4) zero) or lines of k (`lines` true, ld ≥ roundUp(K, 4) floats,
 * zero past K), readable up to whole 8-column panels (what lies there only feeds padding).
 */
import type { Blocking, GemmFn, KernelShape } from './gemm-kernel';
import { copyIn } from './pack';

export type Fn = (...args: number[]) => void;

/** A B operand already in the gemm's memory: float offsets from the start of its scratch view. */
export interface Resident {
  base: number;
  ld: number;
  lines: boolean;
}

type BSource = Resident | { data: Float32Array; off: number; rs: number; cs: number };

/** The float gemm, plus (when it packs in wasm) B operands resident in its memory. */
export type WasmGemm = GemmFn & {
  /** `gemm` with B = `b` in this gemm's memory (laid out as the file's header says). */
  resident?: (
    M: number,
    N: number,
    K: number,
    a: Float32Array,
    aOff: number,
    ars: number,
    acs: number,
    b: Resident,
    c: Float32Array,
    cOff: number,
    ldc: number,
    accumulate: boolean,
  ) => void;
  /** The gemm's memory (for other emitted routines that fill the scratch area). */
  memory?: WebAssembly.Memory;
  /** Room for `n` floats at `base` in `f32` (a view of the gemm's memory, valid until the next call). */
  scratch?: (n: number) => { f32: Float32Array; base: number };
};

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

export function makeDriver(
  kernel: Fn,
  pack: Record<string, Fn> | null,
  mem: WebAssembly.Memory,
  { mr, nr, unroll }: KernelShape,
  blocking: Blocking,
): WasmGemm {
  // Block edges must fall on tile edges (the stage holds whole tiles); wasm packing steps 4 k.
  const kq = pack ? lcm(4, unroll) : unroll;
  const MC = Math.max(mr, blocking.mc - (blocking.mc % mr)),
    MS = Math.max(MC, blocking.ms - (blocking.ms % MC));
  const NC = Math.max(nr, blocking.nc - (blocking.nc % nr)),
    KC = Math.max(kq, blocking.kc - (blocking.kc % kq));
  let f32 = new Float32Array(mem.buffer);
  // Scratch for callers (resident B) lies above everything a call of at most these blocks uses.
  const scratchBase = roundUp(2 * MC * KC + 2 * KC * NC + MS * NC, 16);
  const grow = (bytes: number) => {
    if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    if (f32.buffer !== mem.buffer) f32 = new Float32Array(mem.buffer); // growing detaches the old buffer
  };
  const run = (
    M: number,
    N: number,
    K: number,
    a: Float32Array,
    aOff: number,
    ars: number,
    acs: number,
    src: BSource,
    c: Float32Array,
    cOff: number,
    ldc: number,
    accumulate: boolean,
  ) => {
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
    grow((rawB + (pack ? kcMax * nc : 0)) * 4);
    const ldS = nc; // stage row pitch, in floats
    for (let i0 = 0; i0 < M; i0 += MS) {
      const mRows = Math.min(MS, M - i0);
      for (let j0 = 0; j0 < N; j0 += NC) {
        const nCols = Math.min(NC, N - j0);
        const nPanels = Math.ceil(nCols / nr);
        for (let k0 = 0; k0 < K; k0 += KC) {
          const kc = Math.min(KC, K - k0),
            kcp = roundUp(kc, kq);
          if ('data' in src) {
            const bo = src.off + k0 * src.rs + j0 * src.cs;
            if (pack) {
              const r = copyIn(src.data, bo, src.cs, src.rs, nCols, kc, nPanels * nr, kcp, f32, rawB);
              if (r.lines) pack.packLinesB(r.base * 4, r.ld * 4, bBase * 4, nPanels, kcp / 4);
              else pack.packRowsB(r.base * 4, r.ld * 4, bBase * 4, nPanels, kcp);
            } else packB(kc, kcp, nCols, nr, src.data, bo, src.rs, src.cs, f32, bBase);
          } else if (src.lines) pack!.packLinesB((src.base + j0 * src.ld + k0) * 4, src.ld * 4, bBase * 4, nPanels, kcp / 4);
          else pack!.packRowsB((src.base + k0 * src.ld + j0) * 4, src.ld * 4, bBase * 4, nPanels, kcp);
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
  const gemm: GemmFn = (M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, accumulate) =>
    run(M, N, K, a, aOff, ars, acs, { data: b, off: bOff, rs: brs, cs: bcs }, c, cOff, ldc, accumulate);
  if (!pack) return gemm;
  return Object.assign(gemm, {
    memory: mem,
    resident: (
      M: number,
      N: number,
      K: number,
      a: Float32Array,
      aOff: number,
      ars: number,
      acs: number,
      b: Resident,
      c: Float32Array,
      cOff: number,
      ldc: number,
      accumulate: boolean,
    ) => {
      if (b.base < scratchBase) throw new RangeError('gemm.resident: B must lie in the scratch area');
      run(M, N, K, a, aOff, ars, acs, b, c, cOff, ldc, accumulate);
    },
    scratch: (n: number) => {
      grow((scratchBase + n) * 4);
      return { f32, base: scratchBase };
    },
  });
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
