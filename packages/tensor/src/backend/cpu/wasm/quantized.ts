/**
 * The JS side of the int8 inference module (its kernels, emitted by ./quantized-kernels.ts, are
 * described there): one instance on its own memory for the streamed passes, one per shared heap
 * memory for the in-heap ones (./quantized-heap.ts, ./quantized-conv.ts), and the functions that
 * stream a tensor's values through it, each returning false where SIMD does not apply (off, too
 * few elements) so that the caller runs the JS loop, which gives the same bits.
 * `AIMODEL_CPU_SIMD=0` in the environment forces the JS loops.
 */
import { isSharedMemory } from './encoder';
import { wasmModule } from './modules';

/** Elements per streamed chunk. */
const CHUNK = 16384;
/** First byte used. */
const A = 64;
/** Below this many elements the JS loop is as fast. */
const MIN_ELEMENTS = 1024;
const PAGE = 65536;

type Kernel = (...args: number[]) => void;
export interface Module {
  mem: WebAssembly.Memory;
  quantize: Kernel;
  quantizeU8: Kernel;
  requant: Kernel;
  requantF: Kernel;
  requantRow: Kernel;
  requantRowQ: Kernel;
  requantRowQU: Kernel;
  maxPool2x2: Kernel;
  maxPool2x2U: Kernel;
  requantBlock: Kernel;
  im2colI8: Kernel;
  lookUp: Kernel;
  quantizeAt: Kernel;
  requantAt: Kernel;
}

/**
 * 2×2 stride-2 max pooling of `planes` int8 or uint8 planes (h·w bytes from `xo`) into `out`
 * (ho·wo bytes each, from 0), streamed through the module's memory by runs of planes; false when
 * SIMD does not apply (off, too few windows, or a plane too large for a chunk).
 */
export function simdMaxPool2x2(
  x: Int8Array | Uint8Array,
  xo: number,
  out: Int8Array | Uint8Array,
  planes: number,
  h: number,
  w: number,
  ho: number,
  wo: number,
): boolean {
  const inPlane = h * w,
    outPlane = ho * wo;
  const per = Math.floor((CHUNK * 4) / inPlane); // planes a chunk
  if (per < 1) return false;
  const B = A + per * inPlane + 64; // the outputs, after the inputs and their slack
  const s = module(planes * outPlane, B + per * outPlane + 16);
  if (!s) return false;
  const bytes = x instanceof Uint8Array ? new Uint8Array(s.mem.buffer) : new Int8Array(s.mem.buffer);
  const kernel = x instanceof Uint8Array ? s.maxPool2x2U : s.maxPool2x2;
  const g16 = Math.ceil(wo / 16);
  for (let p = 0; p < planes; p += per) {
    const n = Math.min(per, planes - p);
    bytes.set(x.subarray(xo + p * inPlane, xo + (p + n) * inPlane), A);
    kernel(A, B, n, h, w, ho, g16, 16 * g16 - wo, 0);
    out.set(bytes.subarray(B, B + n * outPlane), p * outPlane);
  }
  return true;
}

function create(): Module | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = wasmModule('quantized', false);
    if (!WebAssembly.validate(bytes)) return null;
    const mem = new WebAssembly.Memory({ initial: 2 });
    const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } }).exports as Record<string, Kernel>;
    return { mem, ...kernelsOf(e) };
  } catch {
    return null;
  }
}

const kernelsOf = (e: Record<string, Kernel>): Omit<Module, 'mem'> => ({
  quantize: e.quantize,
  quantizeU8: e.quantizeU8,
  requant: e.requant,
  requantF: e.requantF,
  requantRow: e.requantRow,
  requantRowQ: e.requantRowQ,
  requantRowQU: e.requantRowQU,
  maxPool2x2: e.maxPool2x2,
  maxPool2x2U: e.maxPool2x2U,
  requantBlock: e.requantBlock,
  im2colI8: e.im2colI8,
  lookUp: e.lookUp,
  quantizeAt: e.quantizeAt,
  requantAt: e.requantAt,
});

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
let enabled = env?.AIMODEL_CPU_SIMD !== '0';
let cached: Module | null | undefined;

function module(n: number, bytes: number): Module | null {
  if (!enabled || n < MIN_ELEMENTS) return null;
  if (cached === undefined) cached = create();
  if (cached && cached.mem.buffer.byteLength < bytes) cached.mem.grow(Math.ceil((bytes - cached.mem.buffer.byteLength) / PAGE));
  return cached;
}

const onMemory = new WeakMap<WebAssembly.Memory, Module | null>();

/** Whether the SIMD kernels are on (see {@link setQuantizedSimd}). */
export const quantizedSimdEnabled = (): boolean => enabled;

/**
 * The kernels instantiated over another module's memory `mem` (≥ 2 pages; e.g. the int8 gemm's,
 * so an epilogue requantizes its int32 results where they lie), cached per memory; null when the
 * SIMD kernels are off or unavailable.
 */
export function quantizedKernelsOn(mem: WebAssembly.Memory): Module | null {
  if (!enabled) return null;
  let m = onMemory.get(mem);
  if (m === undefined) {
    try {
      const e = new WebAssembly.Instance(new WebAssembly.Module(wasmModule('quantized', isSharedMemory(mem))), { env: { mem } }).exports as Record<
        string,
        Kernel
      >;
      m = { mem, ...kernelsOf(e) };
    } catch {
      m = null;
    }
    onMemory.set(mem, m);
  }
  return m;
}

/**
 * Turns the SIMD kernels off (false) or back on (true), so tests run every case on both paths.
 * Returns whether the kernels are available.
 * @internal
 */
export function setQuantizedSimd(on: boolean): boolean {
  enabled = on;
  cached ??= create();
  return cached !== null;
}

/** Quantize n contiguous floats of `x` from `xo` into `out` (from 0); false when SIMD does not apply. */
export function simdQuantize(
  x: Float32Array,
  xo: number,
  n: number,
  out: Int8Array | Uint8Array,
  inv: number,
  zp: number,
  qmin: number,
  qmax: number,
): boolean {
  const B = A + CHUNK * 4; // the bytes
  const s = module(n, B + CHUNK + 16);
  if (!s) return false;
  const w = new Float32Array(s.mem.buffer);
  const bytes = out instanceof Uint8Array ? new Uint8Array(s.mem.buffer) : new Int8Array(s.mem.buffer);
  const kernel = out instanceof Uint8Array ? s.quantizeU8 : s.quantize;
  for (let i = 0; i < n; i += CHUNK) {
    const len = Math.min(CHUNK, n - i);
    w.set(x.subarray(xo + i, xo + i + len), A / 4);
    kernel((len + 15) >> 4, A, B, inv, zp, qmin, qmax);
    out.set(bytes.subarray(B, B + len), i);
  }
  return true;
}

/** Per-channel constants of a requantization, each array read from its offset. */
export interface RequantConstants {
  columnTerm: Int32Array;
  co: number;
  multiplier: Float32Array;
  mo: number;
  bias: Float32Array | null;
  bo: number;
}

/** The 'dequantize' output's zero point, clamp range and scale (float32). */
export interface DequantizeOut {
  out: Float32Array;
  zp: number;
  qmin: number;
  qmax: number;
  scale: number;
}

/**
 * The 'dequantize' requantization of acc [m, n] (contiguous from `ao`, n a multiple of 4) into
 * `o.out`, with per-column constants `k`; false when SIMD does not apply.
 */
export function simdRequantize(acc: Int32Array, ao: number, m: number, n: number, k: RequantConstants, o: DequantizeOut): boolean {
  return streamRequant(acc, ao, m, n, k, o.out, (s, rows, at) => s.requant(rows, n, at.col, at.bias, at.mult, at.acc, at.acc, o.zp, o.qmin, o.qmax, o.scale));
}

/**
 * The 'float' requantization (no output qparams: the dynamic Linear) of acc [m, n] (contiguous
 * from `ao`, n a multiple of 4) into `out`: f32(acc + col[j])·xs·mult[j] + bias[j], each step
 * rounded to float32 as the JS loop; false when SIMD does not apply.
 */
export function simdRequantizeFloat(acc: Int32Array, ao: number, m: number, n: number, k: RequantConstants, xs: number, out: Float32Array): boolean {
  // no bias: + 0 (no −0 arises: f32(integer)·xs·mult with xs, mult > 0)
  return streamRequant(acc, ao, m, n, k, out, (s, rows, at) => s.requantF(rows, n, at.col, at.bias, at.mult, at.acc, at.acc, xs));
}

/** Addresses of a streamed requantization's column terms, bias, multipliers and accumulator rows in the module's memory. */
interface RequantAddresses {
  col: number;
  bias: number;
  mult: number;
  acc: number;
}

/**
 * Streams acc [m, n] (n a multiple of 4) through the module by runs of rows, with the per-column
 * constants placed once (a missing bias as zeros): `run` requantizes a run in place, which is
 * then copied to `out`; false when SIMD does not apply.
 */
function streamRequant(
  acc: Int32Array,
  ao: number,
  m: number,
  n: number,
  k: RequantConstants,
  out: Float32Array,
  run: (s: Module, rows: number, at: RequantAddresses) => void,
): boolean {
  if (n % 4 !== 0) return false;
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK / n));
  const at: RequantAddresses = { col: A, bias: A + n * 4, mult: A + 2 * n * 4, acc: A + 3 * n * 4 };
  const s = module(m * n, at.acc + rowsPerChunk * n * 4);
  if (!s) return false;
  const wi = new Int32Array(s.mem.buffer);
  const wf = new Float32Array(s.mem.buffer);
  wi.set(k.columnTerm.subarray(k.co, k.co + n), at.col / 4);
  if (k.bias) wf.set(k.bias.subarray(k.bo, k.bo + n), at.bias / 4);
  else wf.fill(0, at.bias / 4, at.bias / 4 + n);
  wf.set(k.multiplier.subarray(k.mo, k.mo + n), at.mult / 4);
  for (let r = 0; r < m; r += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, m - r);
    wi.set(acc.subarray(ao + r * n, ao + (r + rows) * n), at.acc / 4);
    run(s, rows, at);
    out.set(wf.subarray(at.acc / 4, at.acc / 4 + rows * n), r * n);
  }
  return true;
}

/** A block of int32 products with the output channel along rows: acc [rows, N·P], row r channel c0 + r of C. */
export interface ChannelRows {
  acc: Int32Array;
  rows: number;
  N: number;
  P: number;
  c0: number;
  C: number;
}

/**
 * The 'dequantize' requantization with the channel along rows (see `requantizeRows` in
 * ../quantized.ts, which this matches bit for bit): acc [rows, N·P], row r (channel c0 + r) → out
 * runs of P at (n·C + c0 + r)·P. False when SIMD does not apply.
 */
export function simdRequantizeRows({ acc, rows, N, P, c0, C }: ChannelRows, k: RequantConstants, o: DequantizeOut): boolean {
  const NP = N * P;
  const at = A + 16;
  const s = module(rows * NP, at + (NP + 4) * 4);
  if (!s) return false;
  const wi = new Int32Array(s.mem.buffer);
  const wf = new Float32Array(s.mem.buffer);
  const base = at / 4;
  for (let r = 0; r < rows; r++) {
    const ch = c0 + r;
    wi[A / 4] = k.columnTerm[k.co + ch];
    wf[A / 4 + 1] = k.bias ? k.bias[k.bo + ch] : 0;
    wf[A / 4 + 2] = k.multiplier[k.mo + ch];
    wi.set(acc.subarray(r * NP, (r + 1) * NP), base);
    s.requantRow((NP + 3) >> 2, at, at, A, o.zp, o.qmin, o.qmax, o.scale);
    for (let n = 0; n < N; n++) o.out.set(wf.subarray(base + n * P, base + (n + 1) * P), (n * C + ch) * P);
  }
  return true;
}
