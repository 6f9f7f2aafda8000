/**
 * The int8 convolution (./quantized-conv.ts) image by image on the tensors where they lie in the CPU
 * heap (../heap.ts), across the worker pool with more than one thread: a chunk is a run of images,
 * each image (and group) four wasm calls of the heap group's int8 modules (./wasm/heap-pool.ts) in
 * the chunk's own area — im2col (./wasm/int8-conv.ts), packing the columns, the int8 kernel over the
 * packed weight (packed once and kept as a derived copy of the weight's storage), and the requantization (requantBlock) straight into the output's
 * NCHW place — so no thread copies a tensor. Every output is the same integer arithmetic as the
 * fused path's, so the bits depend neither on the path nor on the thread count. With `pool` (finite
 * constants) the int32 sums are max-pooled and requantized into the area (poolRequant), then
 * copied to the output through `table` or an identity table (lookUp16); with `table` alone the
 * output bytes are mapped in place: the separate passes' bytes, with no unpooled tensor.
 *
 * Taken for column stride 1, P = Ho·Wo a multiple of 4 and K ≤ KMAX (one block of k per image);
 * other convolutions, and tensors outside the heap, keep the fused path.
 */
import type { QuantizedConv2dParams, Storage, View } from '../backend';
import { heapAlloc, heapFree, heapMemory } from './heap';
import { heapAddress, keepDerived } from './storage';
import { MAX_CALLS, type ThreadPool } from './thread-pool';
import { cpuThreads } from './threads';
import { chunkStarts, heapFn, heapModules, heapPool, heapSplit } from './wasm/heap-pool';
import { INT8_TILE, wasmInt8Gemm } from './wasm/int8-gemm';
import { type Im2colGeometry, im2colTable, im2colTableBytes } from './wasm/int8-conv';

/** Longest reduction taken (k, padded to 8): the packed panels of an image stay in L2. */
const KMAX = 512;
/** Slack after an area's columns for the im2col's 16-byte stores past their rows. */
const SLACK = 256;

const up = (n: number, m: number) => Math.ceil(n / m) * m;

/** What the requantization needs beside the geometry: each channel's constants, and the output. */
export interface ThreadedConvOutput {
  /** Writes channel ch's column term, bias term and multiplier at word `at` (requantRow's layout). */
  setChannel: (wi: Int32Array, wf: Float32Array, at: number, ch: number) => void;
  /** 0 float32 out, 1 int8, 2 uint8, 3 and 4 int8 and uint8 with finite constants (requantBlock's kind). */
  kind: 0 | 1 | 2 | 3 | 4;
  out: Storage;
  /**
   * With workers: return once no image is left to claim, the workers finishing theirs while the
   * caller goes on (ThreadPool.detach; the next CPU primitive settles the job). Only for a call whose
   * output nothing reads before then.
   */
  detach?: boolean;
}

type Fn = (...args: number[]) => void;
type Step = 'im2colI8' | 'packRowsB' | 'kernel' | 'requantBlock' | 'lookUp16' | 'poolRequant' | 'poolRequantU';
/** The heap group's numbers of the image calls, and this thread's instances of them (run here without a pool). */
let steps: (Record<Step, number> & { local: Record<number, Fn> }) | undefined;
/** Work space in the heap, kept (and grown) from call to call. */
let space = { at: 0, bytes: 0 };

/**
 * Weights packed as the kernel reads them, with their im2col table, each in a heap block kept as a
 * derived copy of the weight's storage (./storage.ts): reused under the same geometry until any
 * access to the weight's values or its freeing releases it (counted by `memory().packed`).
 */
const packed = new WeakMap<Storage, Map<string, { at: number }>>();
/** Call tables of recent single-job convolutions by their calls' key (at most KEEP), for the pool they were written for. */
let tables: { pool: ThreadPool | null; jobs: Map<string, Int32Array> } = { pool: null, jobs: new Map() };
const KEEP = 32;

/** The weight's packed block for this geometry, packed now (`pack` writes it) if it is not held; null: no heap room. */
function packedWeight(storage: Storage, key: string, bytes: number, pack: (at: number) => void): number | null {
  const hit = packed.get(storage)?.get(key);
  if (hit) return hit.at;
  const at = heapAlloc(bytes, true);
  if (at === null) return null;
  pack(at);
  let byKey = packed.get(storage);
  if (!byKey) packed.set(storage, (byKey = new Map()));
  byKey.set(key, { at });
  keepDerived(storage, {
    bytes,
    release: () => {
      heapFree(at, bytes);
      byKey.delete(key);
    },
  });
  return at;
}

/**
 * Runs the convolution image by image when its shape is taken and its input and output lie in the
 * CPU heap (see the file comment): across the pool with more than one thread, else here; false:
 * nothing was done (run the fused path).
 */
export function threadedQuantizedConv2d(
  x: View,
  weight: View,
  wd: Int8Array,
  p: QuantizedConv2dParams,
  Ho: number,
  Wo: number,
  o: ThreadedConvOutput,
): boolean {
  const [N, C, H, W] = x.shape;
  const [O, cg, kh, kw] = weight.shape;
  const G = p.groups,
    og = O / G,
    P = Ho * Wo,
    K = cg * kh * kw;
  const { mr, nr } = INT8_TILE;
  // k in pairs (the kernel's step), not the 8 the gemm's line packing needs
  const K2 = up(K, 2),
    Np = up(P, nr),
    Mp = up(og, mr);
  const [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  // the im2col's 16-byte loads reach `past` bytes after the input's last row (and pw before its
  // first): within the heap's 64-byte slack after its top block
  const past = (kw - 1) * dw - pw + 16 * Math.ceil(Wo / 16) - W;
  const xAt = heapAddress(x),
    outAt = heapAddress(o.out);
  const mem = heapMemory(),
    m = heapModules();
  if (sw !== 1 || P % 4 !== 0 || K2 > KMAX || xAt < 0 || outAt < 0 || past > 48 || pw > 48 || !mem || !m) return false;
  // the pooling (2×2, stride 2) and the byte table of the epilogue: byte outputs only
  const pool = !!p.pool,
    table = p.table ?? null;
  // pooling needs finite constants (the requantization then monotone: the int32 sums pooled first)
  if ((pool || table) && o.kind === 0) return false;
  if (pool && (Ho < 2 || Wo < 2 || o.kind < 3)) return false;
  const workers = cpuThreads() > 1 ? heapPool() : null;
  if (!workers && cpuThreads() > 1) return false; // its workers are starting
  if (!steps) {
    const [g, pk, q] = [5, 6, 7].map((i) => new WebAssembly.Instance(m.list[i], { env: { mem } }).exports as Record<string, Fn>);
    const byte = ['requantBlock', 'im2colI8', 'lookUp16', 'poolRequant', 'poolRequantU'] as const;
    const ids = { kernel: heapFn(5, 'gemm'), packRowsB: heapFn(6, 'packRowsB'), ...Object.fromEntries(byte.map((k) => [k, heapFn(7, k)])) } as Record<
      Step,
      number
    >;
    steps = { ...ids, local: { [ids.kernel]: g.gemm, [ids.packRowsB]: pk.packRowsB, ...Object.fromEntries(byte.map((k) => [ids[k], q[k]])) } };
  }
  const fn = steps;
  const eb = o.kind === 0 ? 4 : 1;
  const geometry = { cg, kh, kw, H, W, Ho, Wo, sh, ph, dh, dw, pw, ld: Np, zp: p.inputZeroPoint };
  const al = (n: number) => up(n, 64);
  // the packed weight's block: im2col table | packed A per group
  const aBytes = Mp * K2 * 2,
    tabBytes = al(im2colTableBytes(geometry));
  const w = wd.subarray(weight.offset, weight.offset + O * K);
  const key = `${weight.offset}|${JSON.stringify(geometry)}`;
  const pw8 = packedWeight(weight.storage, key, tabBytes + G * aBytes, (at) =>
    packWeight(mem.buffer, at, geometry, w, { G, og, K, K2, Mp, mr, aBytes, tabBytes }),
  );
  if (pw8 === null) return false;
  const tab = pw8,
    packedA = pw8 + tabBytes;
  // layout of the work space (bytes from its block): params | byte table | channel constants | areas
  const params = 0,
    lut = params + 64,
    consts = lut + 256,
    first = consts + al(O * 12);
  // pooling: the int32 sums max-pooled over 2×2 windows before the (monotone) requantization
  // (poolRequant: a quarter of the requantizations) into the area's bytes [og, ho·wo], then copied
  // to the output through the table or an identity one (exact stores: no thread writes past its images)
  const [ho, wo] = pool ? [Ho >> 1, Wo >> 1] : [Ho, Wo];
  // an area: the columns [K2, Np] (bytes), packed B [K2/2][Np][2] int16, the int32 stage [Mp, Np]
  // (pooling's loads reach 8 int32 past its rows), with pooling the bytes (4-byte stores, 3 past)
  const colB = al(K2 * Np + SLACK),
    pbB = al(K2 * Np * 2),
    stB = al(Mp * Np * 4 + 64),
    byB = pool ? al(og * ho * wo + 64) : 0,
    area = colB + pbB + stB + byB;
  const calls = pool ? 5 : table ? 5 : 4; // an image's (and group's)
  const starts = workers ? chunkStarts(N, workers.size, Math.ceil(N / 64)) : [0, N]; // at most 66 chunks
  const nChunks = starts.length - 1;
  let most = 0;
  for (let c = 0; c < nChunks; c++) most = Math.max(most, starts[c + 1] - starts[c]);
  const rows = calls * G * most;
  const per = Math.max(1, Math.floor(MAX_CALLS / rows)); // chunks a job
  // an area per thread, reused by every chunk it claims (the pool's SPREAD: ./thread-pool.ts)
  const bytes = first + (workers?.size ?? 1) * area;
  if (space.bytes < bytes) {
    const size = Math.max(bytes, 2 * space.bytes);
    const at = heapAlloc(size, true);
    if (at === null) return false;
    if (space.bytes) heapFree(space.at, space.bytes);
    space = { at, bytes: size };
  }
  const base = space.at;
  const buf = mem.buffer;
  const wi = new Int32Array(buf),
    wf = new Float32Array(buf);
  wf.set([p.outZeroPoint, p.qmin, p.qmax, Math.fround(p.outScale)], (base + params) / 4);
  if (table) new Uint8Array(buf, base + lut, 256).set(table);
  else if (pool) for (let b = 0, t = new Uint8Array(buf, base + lut, 256); b < 256; b++) t[b] = b;
  for (let ch = 0; ch < O; ch++) o.setChannel(wi, wf, (base + consts) / 4 + 3 * ch, ch);
  const counts = wasmInt8Gemm()?.calls;
  if (counts) counts.standard++; // the standard kernel serves it (tests count)
  // `m`: which arguments are addresses in the area (thread 0's; each thread runs in its own)
  const add = workers
    ? (m: number, f: number, a0: number, a1: number, a2: number, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0) =>
        workers.addIn(m, f, a0, a1, a2, a3, a4, a5, a6, a7, a8)
    : (_m: number, f: number, a0: number, a1: number, a2: number, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0) =>
        fn.local[f](a0, a1, a2, a3, a4, a5, a6, a7, a8);
  // one job with the same calls as a recent one (an inference model's layers, tensors in the same
  // blocks): its table replayed instead of written call by call
  const job = workers && nChunks <= per ? `${key}|${[xAt, outAt, base, pw8, o.kind, N, C, O, G, +pool, +!!table].join()}` : '';
  const recorded = job && tables.pool === workers ? tables.jobs.get(job) : undefined;
  /** Runs the published job: the caller helps, then waits for the workers or (the last job, with `detach`) leaves them finishing. */
  const finish = (pool: ThreadPool, last: boolean) => {
    if (heapSplit.callerHelps) pool.help();
    if (last && o.detach) pool.detach(false);
    else pool.wait();
  };
  if (workers && recorded) {
    workers.replay(recorded, rows);
    workers.spread = area;
    workers.publish();
    finish(workers, true);
    return true;
  }
  const plane = ho * wo;
  // thread 0's area (each thread runs in its own: `add`'s masks)
  const col = base + first,
    pb = col + colB,
    st = pb + pbB,
    by = st + stB;
  for (let c0 = 0; c0 < nChunks; c0 += per) {
    workers?.begin(rows);
    for (let c = c0; c < Math.min(nChunks, c0 + per); c++) {
      for (let n = starts[c]; n < starts[c + 1]; n++)
        for (let g = 0; g < G; g++) {
          const dst = outAt + (n * O + g * og) * plane * eb;
          add(0b10, fn.im2colI8, xAt + (n * C + g * cg) * H * W, col, tab);
          add(0b101, fn.packRowsB, col, Np, pb, Np / nr, K2 / 2);
          add(0b110, fn.kernel, packedA + g * aBytes, pb, st, Mp / mr, Np / nr, K2 / 2, Np * 4, 0);
          if (pool) add(0b101, o.kind === 4 ? fn.poolRequantU : fn.poolRequant, st, Np * 4, by, og, Wo, ho, wo, base + consts + g * og * 12, base + params);
          else add(0b10000, fn.requantBlock, o.kind, og, 1, P / 4, st, Np * 4, dst, base + consts + g * og * 12, base + params);
          if (pool || table) add(pool ? 1 : 0, fn.lookUp16, pool ? by : dst, dst, og * plane, base + lut);
        }
      workers?.endChunk();
    }
    if (workers) {
      if (job) {
        if (tables.pool !== workers || tables.jobs.size >= KEEP) tables = { pool: workers, jobs: new Map() };
        tables.jobs.set(job, workers.record());
      }
      workers.spread = area;
      workers.publish();
      finish(workers, c0 + per >= nChunks);
    }
  }
  return true;
}

/**
 * The im2col table, then each group's weight rows [og, K] as the kernel reads them: mr-row panels
 * of k pairs, [panel][k/2][mr][2] int16, zero past og and K (the columns' rows K… may then hold anything).
 */
function packWeight(
  buf: ArrayBufferLike,
  at: number,
  geometry: Im2colGeometry,
  w: Int8Array,
  { G, og, K, K2, Mp, mr, aBytes, tabBytes }: Record<'G' | 'og' | 'K' | 'K2' | 'Mp' | 'mr' | 'aBytes' | 'tabBytes', number>,
): void {
  im2colTable(buf as ArrayBuffer, at, geometry);
  const a16 = new Int16Array(buf, at + tabBytes, (G * aBytes) / 2);
  for (let g = 0; g < G; g++)
    for (let i0 = 0, t = (g * aBytes) / 2; i0 < Mp; i0 += mr)
      for (let k = 0; k < K2; k += 2)
        for (let r = 0; r < mr; r++, t += 2) {
          const i = i0 + r,
            w0 = (g * og + i) * K + k;
          a16[t] = i < og ? w[w0] : 0;
          a16[t + 1] = i < og && k + 1 < K ? w[w0 + 1] : 0;
        }
}
