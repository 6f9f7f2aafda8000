/**
 * Convolution image by image on the worker threads (for ./conv.ts), on the tensors where they lie
 * in the CPU heap: an image is a few wasm calls (./wasm/heap-pool.ts) — im2col straight from the
 * input planes (one call walks every column row), packing, the gemm's macro-kernel, then the
 * result copied (or col2im'd) straight into the output — so the calling thread copies nothing. A
 * small network's per-image products (8×784×9, 16×196×72) are far too small to split by tiles; a
 * batch of them splits by image: a chunk is a run of images done one after another in the chunk's
 * own area of a heap scratch block (it stays in that core's cache), the runs shrinking from both
 * ends of the batch toward the middle ({@link runStarts}), in one job; each thread runs its runs in a
 * work area of its own (the pool's SPREAD: ./thread-pool.ts), reused whichever runs it claims, so
 * it stays in that core's cache (an area per run ran a 32×32 image's convolution ~10% slower). On
 * one thread the same calls run here, so the same bits for any thread count.
 *
 * Each product is one K block (whole reduction per kernel call), the weight is packed once per
 * call in JS; the weight gradient's per-image products land in a stage per image and are summed in
 * image order here.
 *
 * Per area (floats): col, K rows (zero up to a multiple of 8) of `pitch` ≥ P + 4 (the wasm im2col
 * may write one vector past a row's P columns); packed B; the C stage (forward); a raw A/B copy;
 * packed A (weight gradient).
 */
import type { Geom } from './conv';
import { residentGemm } from './matmul';
import { MAX_CALLS } from './thread-pool';
import { cpuThreads, settleIfWritten, settlePool } from './threads';
import { TILE } from './wasm/gemm-kernel';
import { chunkStarts, type EmitIn, heapChunks, heapChunksAvailable, heapPooled, heapScratch, heapThreads, onThisThread } from './wasm/heap-pool';
import { packBlock } from './wasm/gemm-driver';
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
/** Longest reduction one kernel call takes (its B micro-panel, 8 columns, stays in L1/L2). */
const MAX_RED = 2048;

const up = (n: number, m: number) => Math.ceil(n / m) * m;

/** Where the runs of N images start (then N) on `threads` threads: {@link chunkStarts}' runs, none over `most` images. */
export function runStarts(N: number, threads: number, most: number): number[] {
  const out = [0];
  const s = chunkStarts(N, threads, 1);
  for (let c = 1; c < s.length; c++) for (let n = s[c - 1]; n < s[c]; n = Math.min(s[c], n + most)) out.push(Math.min(s[c], n + most));
  return out;
}

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
  /** The geometry table's offset (after the shared packed weight), the bias values' (forward: Og floats after the table), and the floats before the first area. */
  tab: number;
  bias: number;
  shared: number;
  /** Floats of a per-image stage of results taken on the calling thread (the weight gradient's products). */
  stage: number;
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
    st: kind === 'forward' ? mO * nP : 0,
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
  // the packed weight, then the im2col geometry table (and the forward's bias values)
  const tab = up(shared, 16),
    bias = tab + ROWS_TABLE + 3 * g.kw;
  return {
    mr,
    nr,
    pitch,
    kcK,
    kcP,
    kcO,
    ...at,
    area: o,
    tab,
    bias,
    shared: up(bias + (kind === 'forward' ? Og : 0), 16),
    stage: kind === 'weight' ? up(mO * rowsK, 16) : 0,
  };
}

/** The geometry fields a layout (and the calls' key) depends on. */
const GEOMETRY = ['N', 'C', 'H', 'W', 'O', 'Ho', 'Wo', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'G'] as const;
/** The last layouts made, by kind and geometry (a training step asks for the same few, again and again), with the geometry's part of the calls' key. */
const made: { kind: Kind; g: Geom; L: Layout | null; geo: string }[] = [];

/** `layout(g, kind)` (null: not taken this way), remembered for the geometry; the gates that depend on settings (gemm path, heap kernels) checked each time. */
function layoutOf(g: Geom, kind: Kind): { L: Layout; geo: string } | null {
  if (!residentGemm(g.Og, g.N * g.P, g.K) || !heapChunksAvailable()) return null;
  let m = made.find((e) => e.kind === kind && GEOMETRY.every((k) => e.g[k] === g[k]));
  if (!m) {
    m = { kind, g, L: layout(g, kind), geo: GEOMETRY.map((k) => g[k]).join() };
    made.unshift(m);
    if (made.length > 8) made.pop();
  }
  return m.L ? (m as { L: Layout; geo: string }) : null;
}

/** Zeroes floats [from, to) of the thread's work area (from < to). */
const zeros = (emit: EmitIn, from: number, to: number) => emit(1, 'zero', from * 4, to - from);

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
 * Runs `kind` for group gi over all images (`key`: the kind's tensors' addresses and group, which
 * with the geometry determine every call): `sharedA(f, at, L)` packs the weight once, `setup`
 * emits an area's preparation (`calls` calls), `image` emits image n's calls (`perImage`) in the
 * area at a (each call marking which arguments are addresses in the area: each thread has its own),
 * `done(stage0, count, L)` takes their results (the calling thread, in image order).
 * `beside` (run once when this returns true) is other work of the kernel's, independent of these
 * jobs and touching none of their memory: on threads it runs on this thread, heap kernels unsplit,
 * while the workers run the last job (this thread joins in after). Returns false (nothing done)
 * when g is not taken this way.
 */
function images(
  g: Geom,
  kind: Kind,
  key: string,
  sharedA: (f: Float32Array, at: number, L: Layout) => void,
  setup: { calls: number; emit: (emit: EmitIn, a: number, L: Layout) => void },
  perImage: number,
  image: (emit: EmitIn, a: number, n: number, L: Layout, shared: number, tab: number, st: number) => void,
  done: ((stage0: number, count: number, L: Layout) => void) | null,
  beside?: () => void,
): boolean {
  const m = layoutOf(g, kind);
  if (!m) return false;
  const L = m.L;
  // a job left running (deferred settle, ./threads.ts deferSettle) may still run: the scratch block
  // is not the one it uses (./wasm/heap-pool.ts heapScratch), the weight is read once it is written
  const { N } = g;
  // on threads, runs of images shrinking from both ends toward the middle (the calling thread claims
  // from the front, the workers from the back: they meet on the smallest, so the first done waits
  // the least), each thread's in its own area; at most MAX_RUN images a run (the call table), all in
  // one job when the table allows. One thread: one run of every image.
  const rows0 = 1 + setup.calls;
  const starts = heapPooled() ? runStarts(N, cpuThreads(), Math.max(1, Math.floor((MAX_CALLS - rows0) / perImage))) : [0, N];
  let most = 0;
  for (let c = 1; c < starts.length; c++) most = Math.max(most, starts[c] - starts[c - 1]);
  const rows = rows0 + most * perImage;
  const perJob = Math.max(1, Math.floor(MAX_CALLS / rows));
  const areas = heapThreads();
  // results this thread takes (the weight gradient's products, summed in image order) get a stage per image
  const stage = done ? L.stage : 0;
  const at = heapScratch(L.shared + areas * L.area + N * stage);
  if (at === null) return false;
  const f = new Float32Array(heapMemory()!.buffer);
  const base = at >> 2,
    tab = (base + L.tab) * 4;
  sharedA(f, base, L);
  rowsTable(g, L, new Int32Array(f.buffer), base + L.tab);
  const first = base + L.shared,
    stages = first + areas * L.area;
  for (let c0 = 0; c0 + 1 < starts.length; c0 += perJob) {
    const c1 = Math.min(starts.length - 1, c0 + perJob),
      n0 = starts[c0],
      end = starts[c1];
    const write = (_: unknown, c: number, emit: EmitIn) => {
      const a = first;
      // each chunk first clears its area's padding: rows K… of the column matrix (packing reads them as k or line padding), then the kind's
      zeros(emit, a + L.col + g.K * L.pitch, a + L.col + up(g.K, 8) * L.pitch + 16);
      setup.emit(emit, a, L);
      for (let n = starts[c0 + c]; n < starts[c0 + c + 1]; n++) image(emit, a, n, L, base, tab, done ? stages + n * stage : a + L.st);
    };
    // the last job of a kernel whose results this thread does not take is left to the workers
    const calls = `${key};${base};${starts.length};${c0};${m.geo}`;
    // `beside` runs here while the workers run the last job, then this thread joins it
    const last = end >= N,
      left = heapChunks(c1 - c0, rows, write, (!done || beside !== undefined) && last, calls, L.area * 4) && last && beside !== undefined;
    if (left && beside) {
      onThisThread(beside);
      settlePool();
      beside = undefined;
    }
    if (done) done(stages + n0 * stage, end - n0, L);
  }
  beside?.();
  return true;
}

/**
 * Forward of group gi, image by image, from x (heap byte address `xAt`) into y (at `yAt`), plus the
 * bias per output channel (bd[bOffset + o], when given: added as the result is copied out, as one
 * float32 addition, the bits of a separate add); false when g is not taken this way.
 */
export function forwardImages(
  g: Geom,
  xAt: number,
  wd: Float32Array,
  wOffset: number,
  yAt: number,
  gi: number,
  bd: Float32Array | null,
  bOffset: number,
): boolean {
  const { C, O, Og, K, P, H, W, Cg } = g;
  return images(
    g,
    'forward',
    `f${gi},${xAt},${yAt},${bd !== null}`,
    // A = w_g [Og, K]; the group's bias values after the geometry table
    (f, at, L) => {
      settleIfWritten(wd);
      if (bd) settleIfWritten(bd);
      packBlock(Og, K, L.kcK, L.mr, wd, wOffset + gi * Og * K, K, 1, f, at);
      if (bd) f.set(bd.subarray(bOffset + gi * Og, bOffset + (gi + 1) * Og), at + L.bias);
    },
    NO_SETUP,
    4,
    (emit, a, n, L, pa, tab, st) => {
      const nP = Math.ceil(P / L.nr),
        y = yAt + (n * O + gi * Og) * P * 4;
      emit(0b1, 'im2colRows', (a + L.col) * 4, xAt + (n * C + gi * Cg) * H * W * 4, tab);
      emit(0b101, 'packRowsB', (a + L.col) * 4, L.pitch * 4, (a + L.pb) * 4, nP, L.kcK);
      emit(0b110, 'gemm', pa * 4, (a + L.pb) * 4, st * 4, Math.ceil(Og / L.mr), nP, L.kcK, nP * L.nr * 4, 0);
      if (bd) emit(0b1, 'copy_rows_add', st * 4, nP * L.nr * 4, y, P * 4, Og, P, (pa + L.bias) * 4);
      else emit(0b1, 'copy_rows', st * 4, nP * L.nr * 4, y, P * 4, Og, P);
    },
    null,
  );
}

const NO_SETUP = { calls: 0, emit: () => {} };

/** Input gradient of group gi (dx, at `dxAt`, written whole for it) from gy (at `gyAt`), image by image; false when g is not taken this way. */
export function inputGradImages(g: Geom, gyAt: number, wd: Float32Array, wOffset: number, dxAt: number, gi: number): boolean {
  const { C, O, Og, Cg, H, W, K, P } = g;
  const plane = Cg * H * W;
  return images(
    g,
    'input',
    `i${gi},${gyAt},${dxAt}`,
    // A = w_gᵀ [K, Og]
    (f, at, L) => {
      settleIfWritten(wd);
      packBlock(K, Og, L.kcO, L.mr, wd, wOffset + gi * Og * K, 1, K, f, at);
    },
    // B's rows Og… (up to kcO) stay zero
    { calls: 1, emit: (emit, a, L) => zeros(emit, a + L.raw + Og * P, a + L.raw + L.kcO * P + 8) },
    5,
    (emit, a, n, L, pa, tab) => {
      const nP = Math.ceil(P / L.nr);
      const dx0 = dxAt + (n * C + gi * Cg) * H * W * 4;
      // B = gy_g [Og, P] as rows of k
      emit(0b100, 'copy_rows', gyAt + (n * O + gi * Og) * P * 4, 0, (a + L.raw) * 4, 0, 1, Og * P);
      emit(0b101, 'packRowsB', (a + L.raw) * 4, P * 4, (a + L.pb) * 4, nP, L.kcO);
      // col [K, P] straight into the column rows (pitch apart; tiles past P land in the row's room)
      emit(0b110, 'gemm', pa * 4, (a + L.pb) * 4, (a + L.col) * 4, Math.ceil(K / L.mr), nP, L.kcO, L.pitch * 4, 0);
      emit(0, 'zero', dx0, plane);
      emit(0b1, 'col2imRows', (a + L.col) * 4, dx0, tab);
    },
    null,
  );
}

/** Adds group gi's weight gradient into dw (at `dwAt`, zeroed by the caller) from x (at `xAt`) and gy (at `gyAt`), image by image in order; false when g is not taken this way. */
export function weightGradImages(g: Geom, xAt: number, gyAt: number, dwAt: number, gi: number, beside?: () => void): boolean {
  const { C, O, Og, K, P, H, W, Cg } = g;
  const d0 = gi * Og * K;
  return images(
    g,
    'weight',
    `w${gi},${xAt},${gyAt},${dwAt}`,
    () => {},
    // A = gy_g [Og, P] as lines of k, kcP apart: zero past P and in the rows up to whole panels
    { calls: 1, emit: (emit, a, L) => zeros(emit, a + L.raw, a + L.raw + up(Og, L.mr) * L.kcP) },
    5,
    (emit, a, n, L, _pa, tab, st) => {
      const nK = Math.ceil(K / L.nr),
        mP = Math.ceil(Og / L.mr);
      emit(0b1, 'im2colRows', (a + L.col) * 4, xAt + (n * C + gi * Cg) * H * W * 4, tab);
      emit(0b100, 'copy_rows', gyAt + (n * O + gi * Og) * P * 4, P * 4, (a + L.raw) * 4, L.kcP * 4, Og, P);
      // dw_n [Og, K] = gy_n [Og, P] · colᵀ [P, K]: the column rows are B's lines of k; the product into the image's stage
      emit(0b101, 'packLinesA', (a + L.raw) * 4, L.kcP * 4, (a + L.pa) * 4, mP, L.kcP / 4);
      emit(0b101, 'packLinesB', (a + L.col) * 4, L.pitch * 4, (a + L.pb) * 4, nK, L.kcP / 4);
      emit(0b011, 'gemm', (a + L.pa) * 4, (a + L.pb) * 4, st * 4, mP, nK, L.kcP, nK * L.nr * 4, 0);
    },
    // dw_g += the images' products, in image order: on threads, halves of the rows left running on
    // the workers (nothing here reads dw; the next job or primitive settles them)
    (stage0, count, L) => {
      const half = Math.ceil(Og / 2),
        sld = Math.ceil(K / L.nr) * L.nr * 4;
      heapChunks(
        Og > 1 ? 2 : 1,
        1,
        (emit, c) =>
          emit(
            'sum_stages',
            dwAt + (d0 + c * half * K) * 4,
            K * 4,
            stage0 * 4 + c * half * sld,
            sld,
            L.stage * 4,
            count,
            c ? Og - half : Og > 1 ? half : Og,
            K,
          ),
        true,
      );
    },
    beside,
  );
}
