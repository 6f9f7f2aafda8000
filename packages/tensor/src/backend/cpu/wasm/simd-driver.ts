/**
 * JS side of the SIMD elementwise and softmax kernels (./simd-kernels.ts; reductions in
 * ./simd-reduce-driver.ts, normalization in ./simd-norm-driver.ts, both built on this). Tensors live
 * in JS typed arrays, so each call streams its operands through the module's memory in chunks
 * that stay in cache: gather a chunk of every operand (one `set` per contiguous run, a `fill` for
 * a broadcast one, a loop for other strides), run the kernel in place, copy the chunk out.
 * Scalar operands travel as a kernel parameter. Each entry point returns false when it does not
 * apply (dtype, op, size, or WebAssembly SIMD missing), and the caller runs its JS loop.
 *
 * `AIMODEL_CPU_SIMD=0` in the environment (or `setSimdPath('js')`) forces the JS paths, so the
 * same tests run on both. The module (~18 KB) is compiled synchronously on first use: browsers
 * allow that on the main thread (Chrome since ~v115 up to 8 MB; older Chrome only up to 4 KB,
 * where `create` fails and the JS paths run, consistently). The memory grows for long rows and is
 * kept for the process.
 */
import type { BinaryOp, Storage, UnaryOp, View } from '../../backend';
import type { TypedArray } from '../../../dtype';
import { numel } from '../../../shape';
import { dataOf } from '../storage';
import { forEachLine, forEachPosition } from '../strided';
import { emitSimdModule, SIMD_BINARY, SIMD_UNARY, type SimdBinaryOp, type SimdUnaryOp } from './simd-kernels';

type Kernel = (...args: number[]) => number;

export interface Simd {
  mem: WebAssembly.Memory;
  /** A float32 view of all of `mem` (renewed when it grows). */
  w: Float32Array;
  fns: Record<string, Kernel>;
}

/** Floats per operand chunk (16 KB: three operands stay in L1/L2). */
const CHUNK = 4096;
/** Byte address of operand 0's chunk (and of a row); operand j's is A + j·CHUNK·4. */
export const A = 64;
/** Floats of rows handled per kernel call (longer softmax rows get a call each; longer reduced rows go in pieces). */
export const BATCH = 16384;
/** Below these sizes the JS loops are as fast ('auto' only: 'wasm' takes every size, for tests). */
const MIN_ELEMENTS = 32;
export const MIN_ROW = 8;
export const tooSmall = (n: number, min: number) => n === 0 || (simdPath === 'auto' && n < min);

type SimdPath = 'js' | 'wasm' | 'auto';
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
let simdPath: SimdPath = env?.AIMODEL_CPU_SIMD === '0' ? 'js' : 'auto';
let cached: Simd | null | undefined;

function create(): Simd | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = emitSimdModule();
    if (!WebAssembly.validate(bytes)) return null;
    const mem = new WebAssembly.Memory({ initial: 2 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } });
    return { mem, w: new Float32Array(mem.buffer), fns: instance.exports as Record<string, Kernel> };
  } catch {
    return null;
  }
}

/** The kernels, or null on the JS path (forced, or no WebAssembly SIMD). */
export function simd(): Simd | null {
  if (simdPath === 'js') return null;
  if (cached === undefined) cached = create();
  return cached;
}

/**
 * Forces the elementwise / softmax / reduction implementation ('auto', the default, uses SIMD
 * where available), so tests can run every case on both paths. Returns false when 'wasm' is
 * asked for but unavailable.
 * @internal
 */
export function setSimdPath(path: SimdPath): boolean {
  simdPath = path;
  return path !== 'wasm' || simd() !== null;
}

/** Grows the memory so that `floats` floats fit from address A. */
export function ensure(s: Simd, floats: number): void {
  const need = A + floats * 4;
  if (s.mem.buffer.byteLength < need) {
    s.mem.grow(Math.ceil((need - s.mem.buffer.byteLength) / 65536));
    s.w = new Float32Array(s.mem.buffer);
  }
}

export const up4 = (n: number) => (n + 3) & ~3;

/** w[at, at + len) = d[start + i·stride] (converted to float32). */
export function put(w: Float32Array, at: number, d: TypedArray, start: number, stride: number, len: number): void {
  if (stride === 1) {
    if (len > 16) w.set(d.subarray(start, start + len), at);
    else for (let i = 0; i < len; i++) w[at + i] = d[start + i];
  } else if (stride === 0) w.fill(d[start], at, at + len);
  else for (let i = 0; i < len; i++) w[at + i] = d[start + i * stride];
}

/** Streams `ops` (views of `shape`) through the chunks; `compute(n4)` leaves results in chunk 0. */
function chunked(s: Simd, shape: readonly number[], ops: View[], od: TypedArray, compute: (n4: number) => void): void {
  const w = s.w;
  const data = ops.map(dataOf);
  const base = ops.map((_, j) => (A >> 2) + j * CHUNK);
  let fill = 0;
  let outPos = 0;
  const flush = () => {
    compute(up4(fill));
    od.set(w.subarray(A >> 2, (A >> 2) + fill), outPos);
    outPos += fill;
    fill = 0;
  };
  forEachLine(
    shape,
    ops.map((v) => v.strides),
    ops.map((v) => v.offset),
    (pos, n, inner) => {
      for (let done = 0; done < n; ) {
        const len = Math.min(n - done, CHUNK - fill);
        for (let j = 0; j < data.length; j++) put(w, base[j] + fill, data[j], pos[j] + done * inner[j], inner[j], len);
        fill += len;
        done += len;
        if (fill === CHUNK) flush();
      }
    },
  );
  if (fill) flush();
}

const dtypeOf = (v: View | Storage) => ('storage' in v ? v.storage : v).dtype;
export const isFloat = (v: View | Storage) => dtypeOf(v) === 'float32';
/** Operands whose every value float32 holds exactly (int32 may not: it stays on the JS path). */
const exactIn = (v: View) => dtypeOf(v) !== 'int32';
const isScalar = (v: View) => v.strides.every((s) => s === 0);
const COMPARISON = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/** out = op(x) on the SIMD path; false when it does not apply. */
export function simdUnary(op: UnaryOp, x: View, out: Storage): boolean {
  if (!(op in SIMD_UNARY) || !exactIn(x) || !isFloat(out) || tooSmall(numel(x.shape), MIN_ELEMENTS)) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns[`u_${op as SimdUnaryOp}`];
  chunked(s, x.shape, [x], dataOf(out), (n4) => kernel(A, n4));
  return true;
}

/** out = a op b (views broadcast to one shape) on the SIMD path; false when it does not apply. */
export function simdBinary(op: BinaryOp, a: View, b: View, out: Storage): boolean {
  if (op === 'pow') return simdSquare(a, b, out);
  const outOk = COMPARISON.has(op) ? dtypeOf(out) === 'bool' : isFloat(out);
  if (!(op in SIMD_BINARY) || !exactIn(a) || !exactIn(b) || !outOk || tooSmall(numel(a.shape), MIN_ELEMENTS)) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns[`b_${op as SimdBinaryOp}`];
  const od = dataOf(out);
  if (isScalar(b)) {
    const v = dataOf(b)[b.offset];
    chunked(s, a.shape, [a], od, (n4) => kernel(A, 0, n4, v, 1));
  } else if (isScalar(a)) {
    const v = dataOf(a)[a.offset];
    chunked(s, b.shape, [b], od, (n4) => kernel(A, 0, n4, v, 2));
  } else chunked(s, a.shape, [a, b], od, (n4) => kernel(A, A + CHUNK * 4, n4, 0, 0));
  return true;
}

/** pow(a, 2) with a scalar 2 (x·x, exactly what pow gives); false for every other pow. */
function simdSquare(a: View, b: View, out: Storage): boolean {
  if (!isScalar(b) || dataOf(b)[b.offset] !== 2 || !isFloat(a) || !isFloat(out) || tooSmall(numel(a.shape), MIN_ELEMENTS)) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns.u_square;
  chunked(s, a.shape, [a], dataOf(out), (n4) => kernel(A, n4));
  return true;
}

/** out = cond ? a : b (views broadcast to one shape; cond bool or 8-bit) on the SIMD path; false when it does not apply. */
export function simdWhere(cond: View, a: View, b: View, out: Storage): boolean {
  const d = dtypeOf(cond);
  if ((d !== 'bool' && d !== 'int8' && d !== 'uint8') || !exactIn(a) || !exactIn(b) || !isFloat(out) || tooSmall(numel(a.shape), MIN_ELEMENTS)) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns.t_where;
  chunked(s, a.shape, [a, b, cond], dataOf(out), (n4) => kernel(A + 2 * CHUNK * 4, A, A + CHUNK * 4, n4));
  return true;
}

/**
 * Streams the rows of x (`n` contiguous floats each, starting where `forEachPosition` puts them)
 * through the row buffer in batches, each row padded to a multiple of 4 with `pad`;
 * `compute(rows, n4)` runs on each batch, then `done(rows, n4)` reads its results.
 */
export function batchedRows(
  s: Simd,
  x: View,
  outerDims: number,
  n: number,
  pad: number,
  compute: (rows: number, n4: number) => void,
  done: (rows: number, n4: number) => void,
): void {
  const n4 = up4(n);
  const batch = Math.max(1, Math.floor(BATCH / n4));
  ensure(s, Math.max(BATCH, n4) + 2 * batch); // rows, then (from A + BATCH·4) up to 8 bytes of result per row
  const xd = dataOf(x) as Float32Array;
  const w = s.w;
  let k = 0;
  const flush = () => {
    compute(k, n4);
    done(k, n4);
    k = 0;
  };
  const outer = x.shape.slice(0, outerDims);
  const rowStrides = x.strides.slice(0, outerDims);
  const dense = n4 === n && outer.every((d, i) => d === 1 || x.strides[i] === expected(outer, i) * n);
  if (dense) {
    // rows back to back in x: one copy per batch
    const total = numel(outer);
    for (let r = 0; r < total; r += batch) {
      k = Math.min(batch, total - r);
      w.set(xd.subarray(x.offset + r * n, x.offset + (r + k) * n), A >> 2);
      flush();
    }
    return;
  }
  forEachPosition(outer, [rowStrides], [x.offset], ([start]) => {
    const at = (A >> 2) + k * n4;
    put(w, at, xd, start, 1, n);
    if (n4 > n) w.fill(pad, at + n, at + n4);
    if (++k === batch) flush();
  });
  if (k) flush();
}

/** The row-major stride of dim i of `shape`, in rows. */
function expected(shape: readonly number[], i: number): number {
  let s = 1;
  for (let j = i + 1; j < shape.length; j++) s *= shape[j];
  return s;
}

/** (Log-)softmax over the last dim when it has unit stride; false when it does not apply. */
export function simdSoftmax(x: View, dim: number, log: boolean, out: Storage): boolean {
  const rank = x.shape.length;
  const n = x.shape[dim];
  if (!isFloat(x) || !isFloat(out) || dim !== rank - 1 || (x.strides[dim] !== 1 && n !== 1) || tooSmall(n, MIN_ROW)) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns.softmax_rows;
  const od = dataOf(out) as Float32Array;
  let o = 0;
  // e^−∞ = 0: the padding adds nothing to the sum
  batchedRows(
    s,
    x,
    rank - 1,
    n,
    Number.NEGATIVE_INFINITY,
    (rows, n4) => kernel(A, rows, n4, log ? 1 : 0),
    (rows, n4) => {
      const base = A >> 2;
      if (n4 === n) od.set(s.w.subarray(base, base + rows * n), o);
      else for (let r = 0; r < rows; r++) od.set(s.w.subarray(base + r * n4, base + r * n4 + n), o + r * n);
      o += rows * n;
    },
  );
  return true;
}
