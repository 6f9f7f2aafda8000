/**
 * The fused int8 convolution (./quantized-conv.ts) image by image across the worker pool: in the
 * shared memory of the threaded int8 gemm (./wasm/int8-gemm.ts `pooledInt8Gemm`), a chunk is a run
 * of images, each image (and group) four wasm calls in the chunk's own area — im2col
 * (./wasm/int8-conv.ts), packing the columns, the gemm's kernel over the weight packed once per
 * call, and the requantization (./wasm/quantized.ts requantBlock) straight into the output's NCHW
 * place. The calling thread copies the input in and the output out once; the workers copy nothing.
 * Every output is the same integer arithmetic as the one-thread path, so the bits never depend on
 * the thread count.
 *
 * Taken for column stride 1, P = Ho·Wo a multiple of 4 and K ≤ KMAX (one block of k per image);
 * other convolutions keep the one-thread path.
 */
import type { QuantizedConv2dParams, View } from '../backend';
import { numel } from '../../shape';
import { MAX_CALLS } from './thread-pool';
import { cpuThreads, poolFor } from './threads';
import { heapSplit } from './wasm/heap-pool';
import { INT8_TILE, pooledInt8Gemm } from './wasm/int8-gemm';
import { im2colTable, im2colTableBytes } from './wasm/int8-conv';
import { quantizedKernelsOn } from './wasm/quantized';

/** Longest reduction taken (k, padded to 8): the packed panels of an image stay in L2. */
const KMAX = 512;
/** Chunks per thread in a job (claimed dynamically, so uneven threads even out). */
const CHUNKS_PER_THREAD = 4;
/** Slack around the input copy and after each area for the 16-byte loads and stores past their rows. */
const SLACK = 256;

const up = (n: number, m: number) => Math.ceil(n / m) * m;

/** What the requantization needs beside the geometry: each channel's constants, and the output. */
export interface ThreadedConvOutput {
  /** Writes channel ch's column term, bias term and multiplier at word `at` (requantRow's layout). */
  setChannel: (wi: Int32Array, wf: Float32Array, at: number, ch: number) => void;
  /** 0 float32 out, 1 int8, 2 uint8 (requantBlock's kind). */
  kind: 0 | 1 | 2;
  od: Float32Array | Int8Array | Uint8Array;
}

/**
 * Runs the convolution across the pool when more than one thread is configured and the shape is
 * taken (see the file comment); false: nothing was done (run the one-thread path).
 */
export function threadedQuantizedConv2d(
  x: View,
  xd: Int8Array,
  weight: View,
  wd: Int8Array,
  p: QuantizedConv2dParams,
  Ho: number,
  Wo: number,
  o: ThreadedConvOutput,
): boolean {
  if (p.stride[1] !== 1) return false;
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
  if (N < 2 || P % 4 !== 0 || K2 > KMAX) return false;
  const gemm = pooledInt8Gemm();
  const t = gemm?.threads;
  if (!gemm || !t) return false;
  const q = quantizedKernelsOn(gemm.memory);
  if (!q) return false;
  const pool = cpuThreads() > 1 ? poolFor(gemm.memory, t.modules) : null;
  if (!pool && cpuThreads() > 1) return false; // its workers are starting: the one-thread path meanwhile
  // on one thread the same calls run here
  const local: Record<number, (...args: number[]) => void> = {
    [t.im2colI8]: q.im2colI8,
    [t.packRowsB]: gemm.pack.packRowsB,
    [t.kernel]: gemm.kernel,
    [t.requantBlock]: q.requantBlock,
  };
  gemm.calls.standard++; // the standard kernel serves it (tests count)
  const eb = o.kind === 0 ? 4 : 1;
  const geometry = {
    cg,
    kh,
    kw,
    H,
    W,
    Ho,
    Wo,
    sh: p.stride[0],
    ph: p.padding[0],
    dh: p.dilation[0],
    dw: p.dilation[1],
    pw: p.padding[1],
    ld: Np,
    zp: p.inputZeroPoint,
  };
  // layout (bytes): params | channel constants | im2col table | packed A per group | input | output | areas
  const al = (n: number) => up(n, 64);
  const params = 64,
    consts = params + 64,
    tab = consts + al(O * 12),
    packedA = tab + al(im2colTableBytes(geometry)),
    aBytes = Mp * K2 * 2,
    xAt = packedA + al(G * aBytes) + SLACK,
    nx = numel(x.shape),
    outAt = al(xAt + nx + SLACK),
    outBytes = N * O * P * eb;
  // an area: the columns [K2, Np] (bytes), packed B [K2/2][Np][2] int16, the int32 stage [Mp, Np]
  const colB = al(K2 * Np + SLACK),
    pbB = al(K2 * Np * 2),
    stB = al(Mp * Np * 4),
    area = colB + pbB + stB;
  const chunks = pool ? Math.min(N, pool.size * CHUNKS_PER_THREAD) : 1;
  const first = al(outAt + outBytes + SLACK);
  const bytes = first + chunks * area;
  const mem = gemm.memory;
  if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
  const buf = mem.buffer;
  const i8 = new Int8Array(buf),
    wi = new Int32Array(buf),
    wf = new Float32Array(buf);
  wf.set([p.outZeroPoint, p.qmin, p.qmax, Math.fround(p.outScale)], params / 4);
  for (let ch = 0; ch < O; ch++) o.setChannel(wi, wf, consts / 4 + 3 * ch, ch);
  im2colTable(buf, tab, geometry);
  i8.set(xd.subarray(x.offset, x.offset + nx), xAt);
  // each group's weight rows [og, K] packed once here as the kernel reads them: mr-row panels of
  // k pairs, [panel][k/2][mr][2] int16, zero past og and K (the columns' rows K… may then hold anything)
  const a16 = new Int16Array(buf, packedA, (G * aBytes) / 2);
  for (let g = 0; g < G; g++)
    for (let i0 = 0, at = (g * aBytes) / 2; i0 < Mp; i0 += mr)
      for (let k = 0; k < K2; k += 2)
        for (let r = 0; r < mr; r++, at += 2) {
          const i = i0 + r,
            w0 = weight.offset + (g * og + i) * K + k;
          a16[at] = i < og ? wd[w0] : 0;
          a16[at + 1] = i < og && k + 1 < K ? wd[w0 + 1] : 0;
        }
  const perChunk = Math.ceil(N / chunks);
  const rows = 4 * G * perChunk;
  const per = Math.max(1, Math.floor(MAX_CALLS / rows));
  const nChunks = Math.ceil(N / perChunk);
  const add = pool
    ? (fn: number, a0: number, a1: number, a2: number, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0) => pool.add(fn, a0, a1, a2, a3, a4, a5, a6, a7, a8)
    : (fn: number, a0: number, a1: number, a2: number, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0) => local[fn](a0, a1, a2, a3, a4, a5, a6, a7, a8);
  for (let c0 = 0; c0 < nChunks; c0 += per) {
    pool?.begin(rows);
    for (let c = c0; c < Math.min(nChunks, c0 + per); c++) {
      const a = first + (c - c0) * area;
      const col = a,
        pb = a + colB,
        st = pb + pbB;
      for (let n = c * perChunk; n < Math.min(N, (c + 1) * perChunk); n++)
        for (let g = 0; g < G; g++) {
          add(t.im2colI8, xAt + (n * C + g * cg) * H * W, col, tab);
          add(t.packRowsB, col, Np, pb, Np / nr, K2 / 2);
          add(t.kernel, packedA + g * aBytes, pb, st, Mp / mr, Np / nr, K2 / 2, Np * 4, 0);
          add(t.requantBlock, o.kind, og, 1, P / 4, st, Np * 4, outAt + (n * O + g * og) * P * eb, consts + g * og * 12, params);
        }
    }
    if (pool) {
      pool.publish();
      if (heapSplit.callerHelps) pool.help();
      pool.wait();
    }
  }
  const view = eb === 4 ? wf : o.od instanceof Uint8Array ? new Uint8Array(buf) : i8;
  o.od.set(view.subarray(outAt / eb, outAt / eb + N * O * P));
  return true;
}
