/**
 * Convolution image by image on the worker threads (for ./conv.ts), on the tensors where they lie
 * in the CPU heap: each image is one chunk of wasm calls (./wasm/heap-pool.ts) — im2col straight
 * from the input planes, packing, the gemm's macro-kernel, then the result copied (or col2im'd)
 * straight into the output — in that image's own area of a heap scratch block, so a thread does
 * whole images, their column matrix stays in its core's cache, and the calling thread copies
 * nothing. A small network's per-image products (8×784×9, 16×196×72) are far too small to split
 * by tiles; a batch of them splits by image. On one thread the same chunks run here, one image at
 * a time in one area: the same calls, so the same bits for any thread count.
 *
 * Each product is one K block (whole reduction per kernel call), the weight is packed once per
 * call in JS; the weight gradient's per-image products are summed in image order here (while the
 * workers run the next images).
 *
 * Per image area (floats): col, K rows (zero up to a multiple of 8) of `pitch` ≥ P + 4 (the
 * wasm im2col may write one vector past a row's P columns); packed B; the C stage; a raw A/B
 * copy; packed A (weight gradient).
 */
import type { Geom } from './conv';
import { residentGemm } from './matmul';
import { MAX_CALLS } from './thread-pool';
import { cpuThreads } from './threads';
import { TILE } from './wasm/gemm-kernel';
import { type HeapCall, heapChunks, heapChunksAvailable, heapPooled, heapScratch, heapZero } from './wasm/heap-pool';
import { ROWS_TABLE } from './wasm/im2col';
import { heapMemory } from './heap';

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

interface Layout {
  mr: number;
  nr: number;
  pitch: number;
  /** Packed k of the forward (K), weight-gradient (P) and input-gradient (Og) products. */
  kcK: number;
  kcP: number;
  kcO: number;
  /** Offsets in an area. */
  col: number;
  pb: number;
  st: number;
  raw: number;
  pa: number;
  area: number;
  /** The geometry table's offset (after the shared packed weight), and the floats before the first area. */
  tab: number;
  shared: number;
}

/** The layout for g (null: not taken this way — no heap kernels, a 1×1 direct conv, or too large). */
function layout(g: Geom, kind: Kind): Layout | null {
  const { K, P, Og, N } = g;
  if (g.direct || K === 0 || P === 0 || Og === 0 || N === 0) return null;
  // the wasm gemm's gate (the JS path forced, or a product too small for wasm), then the heap's kernels
  if (!residentGemm(Og, N * P, K) || !heapChunksAvailable()) return null;
  const { mr, nr } = TILE,
    kq = TILE.unroll % 4 === 0 ? TILE.unroll : TILE.unroll % 2 === 0 ? 2 * TILE.unroll : 4 * TILE.unroll; // lcm(4, unroll)
  const pitch = up(P + 4, 8),
    rowsK = up(K, 8),
    nP = up(P, nr),
    mO = up(Og, mr),
    kcK = up(K, kq),
    kcP = up(P, kq),
    kcO = up(Og, kq);
  if (Math.max(kcK, kcP, kcO) > MAX_RED) return null;
  const sizes = {
    col: rowsK * pitch + 16,
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
  const planes = g.Cg * g.H * g.W;
  if (o + planes > AREA_CAP || (o + planes > SMALL_AREA && N < MIN_IMAGES)) return null;
  const shared = kind === 'forward' ? mO * kcK : kind === 'input' ? up(K, mr) * kcO : 0;
  // the packed weight, then the im2col geometry table
  const tab = up(shared, 16);
  return { mr, nr, pitch, kcK, kcP, kcO, ...at, area: o, tab, shared: up(tab + ROWS_TABLE + 3 * g.kw, 16) };
}

/** Zeros floats [from, to) of the heap (in wasm: a JS fill of shared memory goes element by element). */
const zeroFloats = (_f: Float32Array, from: number, to: number) => {
  if (to > from) heapZero(from * 4, to - from);
};

/** Packs A (M×Kr, element (i, k) = get(i, k)) into mr-tall panels [panel][k][mr], zero-padded to kcp, at f[at…]. */
function packA(f: Float32Array, at: number, M: number, Kr: number, kcp: number, mr: number, get: (i: number, k: number) => number): void {
  for (let i0 = 0; i0 < M; i0 += mr) for (let k = 0; k < kcp; k++) for (let r = 0; r < mr; r++) f[at++] = i0 + r < M && k < Kr ? get(i0 + r, k) : 0;
}

/** Writes the geometry table of `rows` / `colRows` (./wasm/im2col.ts) at word `at` of `i`. */
function rowsTable(g: Geom, L: Layout, i: Int32Array, at: number): void {
  const { H, W, Wo, Ho, kh, kw, sw, ph, pw, dh, dw, sh, Cg } = g;
  i.set([L.pitch * 4, H * W * 4, Cg, kh, kw, Ho, Wo, sw * 4, sh, H, W * 4, -ph, dh], at);
  for (let kj = 0; kj < kw; kj++) {
    const lo = g.colLo[kj];
    i.set([lo, g.colHi[kj], (lo * sw - pw + kj * dw) * 4], at + ROWS_TABLE + 3 * kj);
  }
}

/**
 * Runs `kind` for group gi over all images: `setup(f, a)` readies an area at a once, `chunk` lists
 * image n's calls in the area at a, `done(f, a, n)` takes its result (the calling thread, in image
 * order). Returns false (nothing done) when g is not taken this way.
 */
function images(
  g: Geom,
  kind: Kind,
  sharedA: (f: Float32Array, at: number, L: Layout) => void,
  setup: (f: Float32Array, a: number, L: Layout) => void,
  chunk: (a: number, n: number, L: Layout, shared: number, tab: number) => HeapCall[],
  done: ((f: Float32Array, a: number, n: number, L: Layout) => void) | null,
): boolean {
  const L = layout(g, kind);
  if (!L) return false;
  const pooled = heapPooled();
  // a job of about JOB_CAP floats of areas (they stay in cache), at least an image per thread
  const slots = pooled ? Math.min(g.N, Math.max(cpuThreads(), Math.min(Math.floor(JOB_CAP / L.area), Math.floor(MAX_CALLS / 5)))) : 1;
  // with results to take on this thread, two sets of areas: it takes one job's while the workers run the next
  const sets = done && pooled && slots < g.N ? 2 : 1;
  const at = heapScratch(L.shared + sets * slots * L.area);
  if (at === null) return false;
  const f = new Float32Array(heapMemory()!.buffer);
  const base = at >> 2;
  sharedA(f, base, L);
  rowsTable(g, L, new Int32Array(f.buffer), base + L.tab);
  const first = base + L.shared;
  for (let s = 0; s < sets * slots; s++) {
    const a = first + s * L.area;
    // rows K… of every column matrix stay zero (packing reads them as k or line padding)
    zeroFloats(f, a + L.col + g.K * L.pitch, a + L.col + up(g.K, 8) * L.pitch + 16);
    setup(f, a, L);
  }
  const area = (job: number, s: number) => first + ((job % sets) * slots + s) * L.area;
  const count = (job: number) => Math.min(slots, g.N - job * slots);
  const jobs = Math.ceil(g.N / slots);
  const take = (job: number) => {
    if (done) for (let s = 0; s < count(job); s++) done(f, area(job, s), job * slots + s, L);
  };
  for (let j = 0; j < jobs; j++) {
    const list = Array.from({ length: count(j) }, (_, s) => chunk(area(j, s), j * slots + s, L, base, (base + L.tab) * 4));
    if (sets === 2) heapChunks(list, j > 0 ? () => take(j - 1) : undefined);
    else {
      heapChunks(list);
      take(j);
    }
  }
  if (sets === 2) take(jobs - 1);
  return true;
}

/** Forward of group gi, image by image, from x (heap byte address `xAt`) into y (at `yAt`); false when g is not taken this way. */
export function forwardImages(g: Geom, xAt: number, wd: Float32Array, wOffset: number, yAt: number, gi: number): boolean {
  const { C, O, Og, K, P, H, W, Cg } = g;
  const w0 = wOffset + gi * Og * K;
  return images(
    g,
    'forward',
    (f, at, L) => packA(f, at, Og, K, L.kcK, L.mr, (i, k) => wd[w0 + i * K + k]),
    () => {},
    (a, n, L, pa, tab) => {
      const calls: HeapCall[] = [['im2colRows', (a + L.col) * 4, xAt + (n * C + gi * Cg) * H * W * 4, tab]];
      const nP = Math.ceil(P / L.nr);
      calls.push(['packRowsB', (a + L.col) * 4, L.pitch * 4, (a + L.pb) * 4, nP, L.kcK]);
      calls.push(['gemm', pa * 4, (a + L.pb) * 4, (a + L.st) * 4, Math.ceil(Og / L.mr), nP, L.kcK, nP * L.nr * 4, 0]);
      calls.push(['copy_rows', (a + L.st) * 4, nP * L.nr * 4, yAt + (n * O + gi * Og) * P * 4, P * 4, Og, P]);
      return calls;
    },
    null,
  );
}

/** Input gradient of group gi (dx, at `dxAt`, written whole for it) from gy (at `gyAt`), image by image; false when g is not taken this way. */
export function inputGradImages(g: Geom, gyAt: number, wd: Float32Array, wOffset: number, dxAt: number, gi: number): boolean {
  const { C, O, Og, Cg, H, W, K, P } = g;
  const w0 = wOffset + gi * Og * K,
    plane = Cg * H * W;
  return images(
    g,
    'input',
    // A = w_gᵀ [K, Og]
    (f, at, L) => packA(f, at, K, Og, L.kcO, L.mr, (i, k) => wd[w0 + k * K + i]),
    // B's rows Og… (up to kcO) stay zero
    (f, a, L) => zeroFloats(f, a + L.raw + Og * P, a + L.raw + L.kcO * P + 8),
    (a, n, L, pa, tab) => {
      const nP = Math.ceil(P / L.nr);
      const dx0 = dxAt + (n * C + gi * Cg) * H * W * 4;
      const calls: HeapCall[] = [
        // B = gy_g [Og, P] as rows of k
        ['copy_rows', gyAt + (n * O + gi * Og) * P * 4, 0, (a + L.raw) * 4, 0, 1, Og * P],
        ['packRowsB', (a + L.raw) * 4, P * 4, (a + L.pb) * 4, nP, L.kcO],
        // col [K, P] straight into the column rows (pitch apart; tiles past P land in the row's room)
        ['gemm', pa * 4, (a + L.pb) * 4, (a + L.col) * 4, Math.ceil(K / L.mr), nP, L.kcO, L.pitch * 4, 0],
        ['zero', dx0, plane],
        ['col2imRows', (a + L.col) * 4, dx0, tab],
      ];
      return calls;
    },
    null,
  );
}

/** Adds group gi's weight gradient into dw (zeroed by the caller) from x (at `xAt`) and gy (at `gyAt`), image by image in order; false when g is not taken this way. */
export function weightGradImages(g: Geom, xAt: number, gyAt: number, dw: Float32Array, gi: number): boolean {
  const { C, O, Og, K, P, H, W, Cg } = g;
  const d0 = gi * Og * K;
  return images(
    g,
    'weight',
    () => {},
    // A = gy_g [Og, P] as lines of k, kcP apart: zero past P and in the rows up to whole panels
    (f, a, L) => zeroFloats(f, a + L.raw, a + L.raw + up(Og, L.mr) * L.kcP),
    (a, n, L, _pa, tab) => {
      const calls: HeapCall[] = [['im2colRows', (a + L.col) * 4, xAt + (n * C + gi * Cg) * H * W * 4, tab]];
      const nK = Math.ceil(K / L.nr),
        mP = Math.ceil(Og / L.mr);
      calls.push(['copy_rows', gyAt + (n * O + gi * Og) * P * 4, P * 4, (a + L.raw) * 4, L.kcP * 4, Og, P]);
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
