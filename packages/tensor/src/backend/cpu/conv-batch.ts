/**
 * Convolution image by image on the worker threads (for ./conv.ts): each image is one chunk of
 * wasm calls — im2col, packing, the gemm's macro-kernel, col2im — over that image's own area of
 * the gemm's memory, so a thread does whole images and their column matrix stays in its core's
 * cache. A small network's per-image products (8×784×9, 16×196×72) are far too small to split
 * by tiles; a batch of them splits by image. On one thread the same chunks run here, one image
 * at a time in one area: the same calls, so the same bits for any thread count.
 *
 * Each product is one K block (whole reduction per kernel call), the weight is packed once per
 * call in JS; the weight gradient's per-image products are summed in image order here.
 *
 * Per image area (floats): col, K rows (zero up to a multiple of 8) of `pitch` ≥ P + 4 (the
 * wasm im2col may write one vector past a row's P columns); the input planes; packed B; the C
 * stage; a raw A/B copy; packed A (weight gradient).
 */
import type { Geom } from './conv';
import { residentGemm } from './matmul';
import type { Call, WasmGemm } from './wasm/gemm-driver';
import { MAX_CALLS } from './thread-pool';
import { cpuThreads } from './threads';

/**
 * Largest image area taken this way (floats): up to SMALL_AREA always, up to AREA_CAP from
 * MIN_IMAGES images on (fewer large images split better by tiles); larger ones go through the
 * tiled gemm. By shape alone, so the path (and the bits) never depends on the thread count.
 */
const SMALL_AREA = 1 << 18;
const AREA_CAP = 1 << 21;
const MIN_IMAGES = 4;
/** Most floats of areas one job uses. */
const JOB_CAP = 1 << 18;
/** Longest reduction one kernel call takes (its B micro-panel, 8 columns, stays in L1/L2). */
const MAX_RED = 2048;

const up = (n: number, m: number) => Math.ceil(n / m) * m;

type Kind = 'forward' | 'input' | 'weight';
type Gemm = WasmGemm & Required<Pick<WasmGemm, 'chunks' | 'pooled' | 'tile' | 'scratch' | 'memory'>>;

interface Layout {
  rg: Gemm;
  mr: number;
  nr: number;
  pitch: number;
  /** Packed k of the forward (K), weight-gradient (P) and input-gradient (Og) products. */
  kcK: number;
  kcP: number;
  kcO: number;
  /** Offsets in an area. */
  col: number;
  planes: number;
  pb: number;
  st: number;
  raw: number;
  pa: number;
  area: number;
  /** Shared packed weight, then the first area. */
  shared: number;
}

/** The layout for g (null: not taken this way — no wasm gemm with chunks, a 1×1 direct conv, or too large). */
function layout(g: Geom, kind: Kind): Layout | null {
  const { K, P, Og, Cg, H, W, N } = g;
  if (g.direct || K === 0 || P === 0 || Og === 0 || N === 0) return null;
  const rg = residentGemm(Og, N * P, K) as Gemm | null;
  if (!rg?.chunks || !rg.tile || !rg.pooled) return null;
  const { mr, nr, kq } = rg.tile;
  const pitch = up(P + 4, 8),
    rowsK = up(K, 8),
    nP = up(P, nr),
    mO = up(Og, mr),
    kcK = up(K, kq),
    kcP = up(P, kq),
    kcO = up(Og, kq);
  if (Math.max(kcK, kcP, kcO) > MAX_RED || K + 3 > MAX_CALLS) return null;
  const sizes = {
    col: rowsK * pitch + 16,
    planes: Cg * H * W + 8,
    pb: kind === 'forward' ? kcK * nP : kind === 'weight' ? kcP * rowsK : kcO * nP,
    st: kind === 'forward' ? mO * nP : kind === 'weight' ? mO * rowsK : 0,
    raw: kind === 'weight' ? mO * kcP : kind === 'input' ? kcO * P + 8 : 0,
    pa: kind === 'weight' ? mO * kcP : 0,
  };
  let o = 0;
  const at = {} as Record<keyof typeof sizes, number>;
  for (const k of Object.keys(sizes) as (keyof typeof sizes)[]) {
    at[k] = o;
    o += up(sizes[k], 16);
  }
  if (o > AREA_CAP || (o > SMALL_AREA && N < MIN_IMAGES)) return null;
  const shared = kind === 'forward' ? mO * kcK : kind === 'input' ? up(K, mr) * kcO : 0;
  return { rg, mr, nr, pitch, kcK, kcP, kcO, ...at, area: o, shared: up(shared, 16) };
}

/** Packs A (M×Kr, element (i, k) = get(i, k)) into mr-tall panels [panel][k][mr], zero-padded to kcp, at f[at…]. */
function packA(f: Float32Array, at: number, M: number, Kr: number, kcp: number, mr: number, get: (i: number, k: number) => number): void {
  for (let i0 = 0; i0 < M; i0 += mr) for (let k = 0; k < kcp; k++) for (let r = 0; r < mr; r++) f[at++] = i0 + r < M && k < Kr ? get(i0 + r, k) : 0;
}

/** The K im2col (`im2colRow`) or col2im (`col2imRow`) calls of one image whose area starts at `a` (floats). */
function rowCalls(g: Geom, L: Layout, a: number, fn: 'im2colRow' | 'col2imRow', out: Call[]): void {
  const { H, W, Wo, Ho, kh, kw, sh, sw, ph, pw, dh, dw, Cg } = g;
  for (let c = 0, r = 0; c < Cg; c++)
    for (let ki = 0; ki < kh; ki++)
      for (let kj = 0; kj < kw; kj++, r++) {
        const lo = g.colLo[kj];
        out.push([
          fn,
          (a + L.col + r * L.pitch) * 4,
          (a + L.planes + c * H * W) * 4,
          Ho,
          Wo,
          lo,
          g.colHi[kj],
          sw * 4,
          ki * dh - ph,
          sh,
          H,
          W * 4,
          (lo * sw - pw + kj * dw) * 4,
        ]);
      }
}

/**
 * Runs `kind` for group gi over all images: `prep(f, a, n)` fills image n's area at a, `chunk`
 * lists its calls, `done(f, a, n)` takes its result. Returns false (nothing done) when g is not
 * taken this way.
 */
function images(
  g: Geom,
  kind: Kind,
  sharedA: (f: Float32Array, at: number, L: Layout) => void,
  prep: (f: Float32Array, a: number, n: number, L: Layout) => void,
  chunk: (a: number, L: Layout, shared: number) => Call[],
  done: (f: Float32Array, a: number, n: number, L: Layout) => void,
): boolean {
  const L = layout(g, kind);
  if (!L) return false;
  // a job of about JOB_CAP floats of areas (they stay in cache), at least an image per thread
  const slots = L.rg.pooled() ? Math.min(g.N, Math.max(cpuThreads(), Math.min(Math.floor(JOB_CAP / L.area), Math.floor(MAX_CALLS / (g.K + 3))))) : 1;
  const { f32: f, base } = L.rg.scratch(L.shared + slots * L.area);
  sharedA(f, base, L);
  const first = base + L.shared;
  // rows K… of every column matrix stay zero (packing reads them as k or line padding)
  for (let s = 0; s < slots; s++) {
    const a = first + s * L.area;
    f.fill(0, a + L.col + g.K * L.pitch, a + L.col + up(g.K, 8) * L.pitch + 16);
  }
  // every full job runs the same calls (the same areas): built once, and the pool's table reused
  const full = Array.from({ length: slots }, (_, s) => chunk(first + s * L.area, L, base));
  let again: (() => void) | null = null;
  for (let n0 = 0; n0 < g.N; n0 += slots) {
    const k = Math.min(slots, g.N - n0);
    for (let s = 0; s < k; s++) prep(f, first + s * L.area, n0 + s, L);
    if (k < slots) L.rg.chunks(full.slice(0, k));
    else if (again) again();
    else again = L.rg.chunks(full);
    for (let s = 0; s < k; s++) done(f, first + s * L.area, n0 + s, L);
  }
  return true;
}

/** Copies image n's group-gi input planes into the area at a. */
function planesIn(g: Geom, f: Float32Array, a: number, L: Layout, xd: Float32Array, xOffset: number, n: number, gi: number): void {
  const o = xOffset + (n * g.C + gi * g.Cg) * g.H * g.W;
  f.set(xd.subarray(o, o + g.Cg * g.H * g.W), a + L.planes);
}

/** Forward of group gi, image by image; false when g is not taken this way. */
export function forwardImages(g: Geom, xd: Float32Array, xOffset: number, wd: Float32Array, wOffset: number, yd: Float32Array, gi: number): boolean {
  const { O, Og, K, P } = g;
  const w0 = wOffset + gi * Og * K;
  return images(
    g,
    'forward',
    (f, at, L) => packA(f, at, Og, K, L.kcK, L.mr, (i, k) => wd[w0 + i * K + k]),
    (f, a, n, L) => planesIn(g, f, a, L, xd, xOffset, n, gi),
    (a, L, pa) => {
      const calls: Call[] = [];
      rowCalls(g, L, a, 'im2colRow', calls);
      const nP = Math.ceil(P / L.nr);
      calls.push(['packRowsB', (a + L.col) * 4, L.pitch * 4, (a + L.pb) * 4, nP, L.kcK]);
      calls.push(['gemm', pa * 4, (a + L.pb) * 4, (a + L.st) * 4, Math.ceil(Og / L.mr), nP, L.kcK, nP * L.nr * 4, 0]);
      return calls;
    },
    (f, a, n, L) => {
      const ld = Math.ceil(P / L.nr) * L.nr;
      for (let o = 0; o < Og; o++) yd.set(f.subarray(a + L.st + o * ld, a + L.st + o * ld + P), (n * O + gi * Og + o) * P);
    },
  );
}

/** Input gradient of group gi (dx written whole for it), image by image; false when g is not taken this way. */
export function inputGradImages(g: Geom, gd: Float32Array, gyOffset: number, wd: Float32Array, wOffset: number, dx: Float32Array, gi: number): boolean {
  const { C, O, Og, Cg, H, W, K, P } = g;
  const w0 = wOffset + gi * Og * K,
    plane = Cg * H * W;
  return images(
    g,
    'input',
    // A = w_gᵀ [K, Og]
    (f, at, L) => packA(f, at, K, Og, L.kcO, L.mr, (i, k) => wd[w0 + k * K + i]),
    (f, a, n, L) => {
      // B = gy_g [Og, P] as rows of k, rows Og… zero; the planes zeroed for col2im
      const s = gyOffset + (n * O + gi * Og) * P;
      f.set(gd.subarray(s, s + Og * P), a + L.raw);
      f.fill(0, a + L.raw + Og * P, a + L.raw + L.kcO * P + 8);
      f.fill(0, a + L.planes, a + L.planes + plane);
    },
    (a, L, pa) => {
      const nP = Math.ceil(P / L.nr);
      const calls: Call[] = [
        ['packRowsB', (a + L.raw) * 4, P * 4, (a + L.pb) * 4, nP, L.kcO],
        // col [K, P] straight into the column rows (pitch apart; tiles past P land in the row's room)
        ['gemm', pa * 4, (a + L.pb) * 4, (a + L.col) * 4, Math.ceil(K / L.mr), nP, L.kcO, L.pitch * 4, 0],
      ];
      rowCalls(g, L, a, 'col2imRow', calls);
      return calls;
    },
    (f, a, n, L) => dx.set(f.subarray(a + L.planes, a + L.planes + plane), (n * C + gi * Cg) * H * W),
  );
}

/** Adds group gi's weight gradient into dw (zeroed by the caller), image by image in order; false when g is not taken this way. */
export function weightGradImages(g: Geom, xd: Float32Array, xOffset: number, gd: Float32Array, gyOffset: number, dw: Float32Array, gi: number): boolean {
  const { O, Og, K, P } = g;
  const d0 = gi * Og * K;
  return images(
    g,
    'weight',
    () => {},
    (f, a, n, L) => {
      planesIn(g, f, a, L, xd, xOffset, n, gi);
      // A = gy_g [Og, P] as lines of k, kcP apart, zero past P and in the rows up to whole panels
      const s = gyOffset + (n * O + gi * Og) * P;
      for (let o = 0; o < Og; o++) {
        f.set(gd.subarray(s + o * P, s + (o + 1) * P), a + L.raw + o * L.kcP);
        f.fill(0, a + L.raw + o * L.kcP + P, a + L.raw + (o + 1) * L.kcP);
      }
      f.fill(0, a + L.raw + Og * L.kcP, a + L.raw + up(Og, L.mr) * L.kcP);
    },
    (a, L) => {
      const calls: Call[] = [];
      rowCalls(g, L, a, 'im2colRow', calls);
      const nK = Math.ceil(K / L.nr),
        mP = Math.ceil(Og / L.mr);
      // dw_n [Og, K] = gy_n [Og, P] · colᵀ [P, K]: the column rows are B's lines of k
      calls.push(['packLinesA', (a + L.raw) * 4, L.kcP * 4, (a + L.pa) * 4, mP, L.kcP / 4]);
      calls.push(['packLinesB', (a + L.col) * 4, L.pitch * 4, (a + L.pb) * 4, nK, L.kcP / 4]);
      calls.push(['gemm', (a + L.pa) * 4, (a + L.pb) * 4, (a + L.st) * 4, mP, nK, L.kcP, nK * L.nr * 4, 0]);
      return calls;
    },
    (f, a, _n, L) => {
      const ld = Math.ceil(K / L.nr) * L.nr;
      for (let o = 0; o < Og; o++) {
        const s = a + L.st + o * ld,
          d = d0 + o * K;
        for (let r = 0; r < K; r++) dw[d + r] += f[s + r];
      }
    },
  );
}
