/**
 * CPU 2-D convolution as im2col + gemm. With the wasm gemm, small images run as one chunk of wasm
 * calls each, split across the worker threads by image (./conv-batch.ts); otherwise every
 * (image, group) pair is one GEMM over a column buffer (split by tiles when large), output rows
 * processed in chunks so the column buffer stays bounded.
 */
import type { Conv2dParams, Storage, View } from '../backend';
import type { Shape } from '../../shape';
import { dataOf, heapAddress, outData } from './storage';
import { gemm, residentGemm } from './matmul';
import { type Im2col, im2colWasm } from './wasm/im2col';
import type { Resident } from './wasm/gemm-driver';
import { forwardImages, inputGradImages, weightGradImages } from './conv-batch';
import { settlePool } from './threads';
import { heapPooled } from './wasm/heap-pool';
import { reduce } from './reduce';

/** Column-buffer cap in floats (16 MiB); a single output row may exceed it. */
const SCRATCH_CAP = 4 * 1024 * 1024;
let scratch = /* @__PURE__ */ new Float32Array(0);

function getScratch(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(Math.max(n, Math.min(SCRATCH_CAP, scratch.length * 2)));
  return scratch;
}

/** A column matrix (and the input planes) in the wasm gemm's memory: see `residentCol`. */
interface ResidentCol {
  f32: Float32Array;
  base: number;
  pitch: number;
  xBase: number;
  fns: Im2col | null;
  /** Runs im2col rows across the gemm's worker threads (false: none are up; run them here). */
  parallel?: (name: string, calls: readonly (readonly number[])[]) => boolean;
}

/**
 * Room in the wasm gemm's memory for a K×(rowsPerChunk·Wo) column matrix usable as its B
 * either way round — rows `pitch` (rounded up to 8) apart, zero rows up to K rounded up to 8
 * (im2col zeroes the row tails), 16 floats of slack — followed by the Cg input planes at
 * `xBase` when the wasm im2col is available: a copy of xd's at xOff, or zeros (xd null: col2im
 * sums into them).
 */
function residentCol(rg: NonNullable<ReturnType<typeof residentGemm>>, g: Geom, xd: Float32Array | null, xOff: number): ResidentCol {
  const pitch = Math.ceil((g.rowsPerChunk * g.Wo + 4) / 8) * 8, // + 4: a row's trailing zero vector stays in its own padding (rows may be written in parallel)
    rows = Math.ceil(g.K / 8) * 8,
    colFloats = rows * pitch + 16,
    planes = g.Cg * g.H * g.W;
  const fns = im2colWasm(rg.memory);
  const { f32, base } = rg.scratch(colFloats + (fns ? planes + 4 : 0)); // + 4: the stride-1 im2col reads whole vectors
  f32.fill(0, base + g.K * pitch, base + colFloats);
  if (fns) {
    if (xd) f32.set(xd.subarray(xOff, xOff + planes), base + colFloats);
    else f32.fill(0, base + colFloats, base + colFloats + planes);
  }
  return { f32, base, pitch, xBase: base + colFloats, fns, parallel: rg.parallel };
}

/**
 * Each column-matrix row r = (c·kh + i)·kw + j (channel c, kernel tap (i, j)): `each(r, c, i, j,
 * lo, hi)`, [lo, hi) the output columns whose tap lies inside the input.
 */
function colRows(g: Geom, each: (r: number, c: number, i: number, j: number, lo: number, hi: number) => void): void {
  let r = 0;
  for (let c = 0; c < g.Cg; c++) for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++, r++) each(r, c, i, j, g.colLo[j], g.colHi[j]);
}

/**
 * The arguments of the wasm `row` / `colRow` call (./wasm/im2col.ts) of each column-matrix row of
 * output rows [oh0, oh0 + rows), with the matrix and the input planes at `res`: `each(args)`.
 */
function residentRows(g: Geom, res: ResidentCol, oh0: number, rows: number, each: (a: readonly number[]) => void): void {
  const { H, W, Wo, sh, sw, ph, pw, dh, dw } = g;
  colRows(g, (r, c, i, j, lo, hi) =>
    each([
      (res.base + r * res.pitch) * 4,
      (res.xBase + c * H * W) * 4,
      rows,
      Wo,
      lo,
      hi,
      sw * 4,
      oh0 * sh - ph + i * dh,
      sh,
      H,
      W * 4,
      (lo * sw - pw + j * dw) * 4,
    ]),
  );
}

/** im2col into the wasm memory (one wasm call per column-matrix row), else the JS im2col there. */
function im2colResident(g: Geom, res: ResidentCol, xd: Float32Array, xOff: number, oh0: number, rows: number): void {
  const { Wo, K } = g;
  const { f32, base, pitch, fns } = res;
  if (!fns) {
    im2col(g, xd, xOff, oh0, rows, f32, base, pitch);
    return;
  }
  const cp = rows * Wo;
  if (pitch > cp) for (let q = 0; q < K; q++) f32.fill(0, base + q * pitch + cp, base + (q + 1) * pitch);
  const row = (a: readonly number[]) => fns.row(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
  // the rows are independent (each call writes its row and that row's padding): a large matrix's
  // rows are collected and split across the gemm's threads, when it has some
  if (!(K * cp >= 1 << 16 && res.parallel)) {
    residentRows(g, res, oh0, rows, row);
    return;
  }
  const calls: (readonly number[])[] = [];
  residentRows(g, res, oh0, rows, (a) => calls.push(a));
  if (!res.parallel('im2colRow', calls)) for (const a of calls) row(a);
}

/** col2im from a column matrix in the wasm memory into the zeroed planes at res.xBase (needs res.fns). */
function col2imResident(g: Geom, fns: Im2col, res: ResidentCol, oh0: number, rows: number): void {
  residentRows(g, res, oh0, rows, (a) => fns.colRow(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]));
}

/** Everything the three kernels derive from the shapes and params. */
export interface Geom {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  Ho: number;
  Wo: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  G: number;
  Cg: number;
  Og: number;
  /** Rows of the column matrix: Cg·kh·kw. */
  K: number;
  /** Output positions per image: Ho·Wo. */
  P: number;
  /** Output rows per im2col chunk. */
  rowsPerChunk: number;
  /** 1×1, stride 1, no padding, same size: the input plane already is the column matrix. */
  direct: boolean;
  /** Per kernel column j, the output columns whose tap lies inside the input: [colLo[j], colHi[j]). */
  colLo: Int32Array;
  colHi: Int32Array;
}

function geom(xShape: Shape, wShape: Shape, yShape: Shape, p: Conv2dParams): Geom {
  const [N, C, H, W] = xShape;
  const [O, , kh, kw] = wShape;
  const Ho = yShape[2],
    Wo = yShape[3];
  const [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  const G = p.groups,
    Cg = C / G,
    Og = O / G,
    K = Cg * kh * kw,
    P = Ho * Wo;
  const rowsPerChunk = Math.max(1, Math.min(Ho, Math.floor(SCRATCH_CAP / Math.max(1, K * Wo))));
  const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && ph === 0 && pw === 0 && Ho === H && Wo === W;
  const colLo = new Int32Array(kw),
    colHi = new Int32Array(kw);
  for (let j = 0; j < kw; j++) [colLo[j], colHi[j]] = validCols(j * dw, sw, pw, W, Wo);
  return { N, C, H, W, O, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, G, Cg, Og, K, P, rowsPerChunk, direct, colLo, colHi };
}

/** First output column ow whose input column ow·s − p + off is ≥ 0, and one past the last that is < W. */
function validCols(off: number, s: number, p: number, W: number, Wo: number): [number, number] {
  const lo = Math.max(0, Math.ceil((p - off) / s));
  const hi = Math.min(Wo, Math.floor((W - 1 + p - off) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Fill col[K, rows·Wo] (row r at colOff + r·pitch, pitch ≥ rows·Wo, zeros after the row) for
 * output rows [oh0, oh0+rows) from the Cg channels starting at xOff. Out-of-range taps are zeros.
 */
function im2col(g: Geom, x: Float32Array, xOff: number, oh0: number, rows: number, col: Float32Array, colOff = 0, pitch = rows * g.Wo): void {
  const { H, W, Wo, sh, sw, ph, pw, dh, dw } = g;
  const cp = rows * Wo;
  if (pitch > cp) for (let q = 0; q < g.K; q++) col.fill(0, colOff + q * pitch + cp, colOff + (q + 1) * pitch);
  colRows(g, (r, c, i, j, lo, hi) => {
    const plane = xOff + c * H * W,
      colBase = colOff + r * pitch;
    for (let t = 0; t < rows; t++) {
      const ih = (oh0 + t) * sh - ph + i * dh;
      const dst = colBase + t * Wo;
      if (ih < 0 || ih >= H) {
        col.fill(0, dst, dst + Wo);
        continue;
      }
      for (let ow = 0; ow < lo; ow++) col[dst + ow] = 0;
      let src = plane + ih * W + lo * sw - pw + j * dw;
      for (let ow = lo; ow < hi; ow++, src += sw) col[dst + ow] = x[src];
      for (let ow = hi; ow < Wo; ow++) col[dst + ow] = 0;
    }
  });
}

/** Scatter-add col[K, rows·Wo] back into the Cg channel planes starting at dxOff (inverse of im2col). */
function col2im(g: Geom, col: Float32Array, oh0: number, rows: number, dx: Float32Array, dxOff: number): void {
  const { H, W, Wo, sh, sw, ph, pw, dh, dw } = g;
  colRows(g, (r, c, i, j, lo, hi) => {
    const plane = dxOff + c * H * W,
      colBase = r * rows * Wo;
    for (let t = 0; t < rows; t++) {
      const ih = (oh0 + t) * sh - ph + i * dh;
      if (ih < 0 || ih >= H) continue;
      const srcRow = colBase + t * Wo;
      let dst = plane + ih * W + lo * sw - pw + j * dw;
      for (let ow = lo; ow < hi; ow++, dst += sw) dx[dst] += col[srcRow + ow];
    }
  });
}

/**
 * The column matrix of the Cg input planes at xd[xOff…], output rows chunk by chunk: `use(oh0, cp,
 * b)` with b its K rows of cp columns in the wasm gemm's memory (`rg`; B read as rows, or as lines
 * when `lines`) or, without rg, in a JS buffer.
 */
function columnChunks(
  g: Geom,
  rg: ReturnType<typeof residentGemm>,
  xd: Float32Array,
  xOff: number,
  lines: boolean,
  use: (oh0: number, cp: number, b: Resident | { col: Float32Array }) => void,
): void {
  const res = rg && residentCol(rg, g, xd, xOff);
  for (let oh0 = 0; oh0 < g.Ho; oh0 += g.rowsPerChunk) {
    const rows = Math.min(g.rowsPerChunk, g.Ho - oh0),
      cp = rows * g.Wo;
    if (res) {
      im2colResident(g, res, xd, xOff, oh0, rows);
      use(oh0, cp, { base: res.base, ld: res.pitch, lines });
      continue;
    }
    const col = getScratch(g.K * cp);
    im2col(g, xd, xOff, oh0, rows, col);
    use(oh0, cp, { col });
  }
}

/** x [N, C, H, W], w [O, C/groups, kh, kw] (+ bias [O] per output channel) → out [N, O, Ho, Wo]. */
export function conv2d(x: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams, bias: View | null = null): void {
  const g = geom(x.shape, w.shape, outShape, p);
  const xd = dataOf(x) as Float32Array,
    wd = dataOf(w) as Float32Array,
    bd = bias && (dataOf(bias) as Float32Array),
    bOff = bias?.offset ?? 0,
    yd = outData(out) as Float32Array; // every element is written below
  const xAt = heapAddress(x),
    yAt = heapAddress(out);
  const { N, C, H, W, O, Wo, G, Cg, Og, K, P } = g;
  if (N * O * P === 0) return;
  if (K === 0) {
    settlePool();
    yd.fill(0, 0, N * O * P);
    if (bd) addBias(yd, bd, bOff, N, 0, O, O, P);
    return;
  }
  for (let gi = 0; gi < G; gi++) {
    // small images as chunks of wasm calls, split across threads by image (./conv-batch.ts), the bias added as they are copied out
    if (xAt >= 0 && yAt >= 0 && forwardImages(g, xAt, wd, w.offset, yAt, gi, bd, bOff)) continue;
    settlePool(); // runs here: a job left running finishes first (deferred, ./threads.ts deferSettle)
    for (let n = 0; n < N; n++) {
      const xOff = x.offset + (n * C + gi * Cg) * H * W;
      const wOff = w.offset + gi * Og * K;
      const yOff = (n * O + gi * Og) * P;
      if (g.direct) {
        gemm(Og, P, K, wd, wOff, K, 1, xd, xOff, H * W, 1, yd, yOff, P, false);
        continue;
      }
      const rg = residentGemm(Og, g.rowsPerChunk * Wo, K);
      columnChunks(g, rg, xd, xOff, false, (oh0, cp, b) => {
        if (rg && 'base' in b) rg.resident(Og, cp, K, wd, wOff, K, 1, b, yd, yOff + oh0 * Wo, P, false);
        else if ('col' in b) gemm(Og, cp, K, wd, wOff, K, 1, b.col, 0, cp, 1, yd, yOff + oh0 * Wo, P, false);
      });
    }
    if (bd) {
      settlePool(); // the gemm's last job may still write y
      addBias(yd, bd, bOff + gi * Og, N, gi * Og, Og, O, P);
    }
  }
}

/** y[n, o, ·] += b[o] for the output channels o0 … o0 + count − 1 of every image (P values each; float32 additions, as a separate add). */
function addBias(yd: Float32Array, bd: Float32Array, bOff: number, N: number, o0: number, count: number, O: number, P: number): void {
  for (let n = 0; n < N; n++)
    for (let o = 0; o < count; o++) {
      const v = bd[bOff + o],
        at = (n * O + o0 + o) * P;
      for (let q = at; q < at + P; q++) yd[q] += v;
    }
}

/** ∂L/∂x of conv2d: gy [N, O, Ho, Wo], w → out [N, C, H, W]. */
export function conv2dBackwardInput(gy: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams): void {
  const g = geom(outShape, w.shape, gy.shape, p);
  const gd = dataOf(gy) as Float32Array,
    wd = dataOf(w) as Float32Array,
    dx = outData(out) as Float32Array; // written whole (gemm, or zeros then col2im)
  const gyAt = heapAddress(gy),
    dxAt = heapAddress(out);
  const { N, C, H, W, O, Wo, Ho, G, Cg, Og, K, P } = g;
  const total = N * C * H * W;
  if (total === 0) return;
  if (Og === 0 || P === 0) {
    dx.fill(0, 0, total);
    return;
  }
  if (g.direct) {
    settlePool(); // runs here: a job left running finishes first (deferred, ./threads.ts deferSettle)
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < G; gi++) {
        // dx_g [Cg, HW] = w_gᵀ [Cg, Og] · gy_g [Og, HW]
        gemm(Cg, P, Og, wd, w.offset + gi * Og * K, 1, K, gd, gy.offset + (n * O + gi * Og) * P, P, 1, dx, (n * C + gi * Cg) * H * W, P, false);
      }
    }
    return;
  }
  for (let gi = 0; gi < G; gi++) {
    if (gyAt >= 0 && dxAt >= 0 && inputGradImages(g, gyAt, wd, w.offset, dxAt, gi)) continue;
    settlePool(); // runs here: a job left running finishes first (deferred, ./threads.ts deferSettle)
    for (let n = 0; n < N; n++) {
      const dxOff = (n * C + gi * Cg) * H * W;
      dx.fill(0, dxOff, dxOff + Cg * H * W);
      const wOff = w.offset + gi * Og * K;
      const gOff = gy.offset + (n * O + gi * Og) * P;
      // With the wasm gemm, the column matrix stays in its memory and col2im runs there too.
      const rg = residentGemm(K, g.rowsPerChunk * Wo, Og);
      const res = rg && residentCol(rg, g, null, 0);
      for (let oh0 = 0; oh0 < Ho; oh0 += g.rowsPerChunk) {
        const rows = Math.min(g.rowsPerChunk, Ho - oh0),
          cp = rows * Wo;
        if (rg && res?.fns) {
          rg(K, cp, Og, wd, wOff, 1, K, gd, gOff + oh0 * Wo, P, 1, res.f32, res.base, res.pitch, false);
          col2imResident(g, res.fns, res, oh0, rows);
          continue;
        }
        const col = getScratch(K * cp);
        gemm(K, cp, Og, wd, wOff, 1, K, gd, gOff + oh0 * Wo, P, 1, col, 0, cp, false);
        col2im(g, col, oh0, rows, dx, dxOff);
      }
      if (res?.fns) dx.set(res.f32.subarray(res.xBase, res.xBase + Cg * H * W), dxOff);
    }
  }
}

/**
 * ∂L/∂w of conv2d: x [N, C, H, W], gy [N, O, Ho, Wo] → out [O, C/groups, kh, kw], summed over the
 * batch; with `bias`, then the bias gradient by the reduce primitive itself (its bits, no op between).
 */
export function conv2dBackwardWeight(
  x: View,
  gy: View,
  out: Storage,
  outShape: Shape,
  p: Conv2dParams,
  bias: { out: Storage; dims: readonly number[] } | null = null,
): void {
  // the bias gradient beside the weight gradient's last job (./conv-batch.ts), else after it: its own bits either way
  let sum = bias ? () => reduce('sum', gy, bias.dims, bias.out) : undefined;
  if (sum && !heapPooled()) {
    sum(); // one thread: first, while gy is in cache from the op before
    sum = undefined;
  }
  if (weightGrad(x, gy, out, outShape, p, sum) || !sum) return;
  settlePool();
  sum();
}

/** dw of conv2d (see above), running `beside` beside its last image-by-image job: whether it did. */
function weightGrad(x: View, gy: View, out: Storage, outShape: Shape, p: Conv2dParams, beside?: () => void): boolean {
  const g = geom(x.shape, outShape, gy.shape, p);
  const xd = dataOf(x) as Float32Array,
    gd = dataOf(gy) as Float32Array,
    dw = outData(out) as Float32Array; // zeroed below
  const xAt = heapAddress(x),
    gyAt = heapAddress(gy),
    dwAt = heapAddress(out);
  const { N, C, H, W, O, Wo, G, Cg, Og, K, P } = g;
  const total = O * K;
  if (total === 0) return false;
  dw.fill(0, 0, total);
  if (P === 0) return false;
  let ran = false;
  for (let gi = 0; gi < G; gi++) {
    const last = gi === G - 1 ? beside : undefined;
    if (xAt >= 0 && gyAt >= 0 && dwAt >= 0 && weightGradImages(g, xAt, gyAt, dwAt, gi, last)) {
      if (last) ran = true;
      continue;
    }
    settlePool(); // runs here: a job left running finishes first (deferred, ./threads.ts deferSettle)
    for (let n = 0; n < N; n++) {
      const xOff = x.offset + (n * C + gi * Cg) * H * W;
      const gOff = gy.offset + (n * O + gi * Og) * P;
      const dwOff = gi * Og * K;
      if (g.direct) {
        // dw_g [Og, Cg] += gy_g [Og, HW] · x_gᵀ [HW, Cg]
        gemm(Og, K, P, gd, gOff, P, 1, xd, xOff, 1, H * W, dw, dwOff, K, true);
        continue;
      }
      const rg = residentGemm(Og, K, g.rowsPerChunk * Wo);
      columnChunks(g, rg, xd, xOff, true, (oh0, cp, b) => {
        if (rg && 'base' in b) rg.resident(Og, K, cp, gd, gOff + oh0 * Wo, P, 1, b, dw, dwOff, K, true);
        else if ('col' in b) gemm(Og, K, cp, gd, gOff + oh0 * Wo, P, 1, b.col, 0, 1, cp, dw, dwOff, K, true);
      });
    }
  }
  return ran;
}
