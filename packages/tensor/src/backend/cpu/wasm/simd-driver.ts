/**
 * JS side of the SIMD elementwise / softmax / reduction kernels (./simd-kernels.ts). Tensors live
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
import type { BinaryOp, ReduceOp, Storage, UnaryOp, View } from '../../backend';
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

/** The padding that leaves each reduction unchanged. */
const IDENTITY = { sum: 0, max: Number.NEGATIVE_INFINITY, min: Number.POSITIVE_INFINITY } as const;

/**
 * sum / max / min over trailing dims that form one contiguous block (the last dim with unit
 * stride, or all dims of a contiguous tensor); false when it does not apply. Sums are taken in
 * float64, as the JS loop does.
 */
export function simdReduce(op: ReduceOp, x: View, dims: readonly number[], out: Storage): boolean {
  if (op === 'prod' || !isFloat(x) || !isFloat(out)) return false;
  const rank = x.shape.length;
  const r = dims.length;
  const sorted = [...dims].sort((p, q) => p - q);
  if (r > 0 && r < rank && sorted.every((d, i) => d === i)) return simdReduceLeading(op, x, r, out);
  if (r === 0) return false;
  if (sorted.some((d, i) => d !== rank - r + i)) return simdReduceGathered(op, x, sorted, out);
  const red = x.shape.slice(rank - r);
  const k = numel(red);
  if (tooSmall(k, MIN_ROW)) return false;
  for (let i = red.length - 1, step = 1; i >= 0; step *= red[i], i--) if (red[i] !== 1 && x.strides[rank - r + i] !== step) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns[`rows_${op}`];
  const od = dataOf(out);
  const pad = IDENTITY[op];
  let o = 0;
  if (k <= BATCH) {
    batchedRows(
      s,
      x,
      rank - r,
      k,
      pad,
      (rows, n4) => kernel(A, rows, n4, A + BATCH * 4),
      (rows) => {
        const res = op === 'sum' ? new Float64Array(s.mem.buffer, A + BATCH * 4, rows) : new Float32Array(s.mem.buffer, A + BATCH * 4, rows);
        od.set(res, o);
        o += rows;
      },
    );
    return true;
  }
  // long rows: pieces of BATCH floats, combined here
  ensure(s, BATCH + 2);
  const xd = dataOf(x) as Float32Array;
  forEachPosition(x.shape.slice(0, rank - r), [x.strides.slice(0, rank - r)], [x.offset], ([start]) => {
    let acc: number = pad;
    for (let done = 0; done < k; done += BATCH) {
      const len = Math.min(BATCH, k - done);
      const n4 = up4(len);
      s.w.set(xd.subarray(start + done, start + done + len), A >> 2);
      if (n4 > len) s.w.fill(pad, (A >> 2) + len, (A >> 2) + n4);
      kernel(A, 1, n4, A + BATCH * 4);
      const v = op === 'sum' ? new Float64Array(s.mem.buffer, A + BATCH * 4, 1)[0] : s.w[(A >> 2) + BATCH];
      if (op === 'sum') acc += v;
      else acc = fold(op, acc, v);
    }
    od[o++] = acc;
  });
  return true;
}

/** Floats of the kept block accumulated per pass over the rows (the f64 sums: 16 KB). */
const COLS = 2048;

/**
 * sum / max / min over the leading `r` dims (a bias gradient: [batch, C] → [C]) when the kept
 * dims are one contiguous block: rows are added into an accumulator lane by lane, a column piece
 * at a time; false when it does not apply.
 */
function simdReduceLeading(op: 'sum' | 'max' | 'min', x: View, r: number, out: Storage): boolean {
  const kept = x.shape.slice(r);
  const n = numel(kept);
  const rows = numel(x.shape.slice(0, r));
  for (let i = kept.length - 1, step = 1; i >= 0; step *= kept[i], i--) if (kept[i] !== 1 && x.strides[r + i] !== step) return false;
  if (rows === 0 || tooSmall(n, MIN_ROW) || tooSmall(rows, 2)) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns[`cols_${op}`];
  ensure(s, BATCH + 2 * COLS);
  const ACC = A + BATCH * 4;
  const xd = dataOf(x);
  const od = dataOf(out);
  const starts: number[] = [];
  forEachPosition(x.shape.slice(0, r), [x.strides.slice(0, r)], [x.offset], ([start]) => {
    starts.push(start);
  });
  for (let c0 = 0; c0 < n; c0 += COLS) {
    const len = Math.min(COLS, n - c0);
    const len4 = up4(len);
    const batch = Math.floor(BATCH / len4);
    const acc = op === 'sum' ? new Float64Array(s.mem.buffer, ACC, len4) : s.w.subarray(ACC >> 2, (ACC >> 2) + len4);
    acc.fill(IDENTITY[op]);
    for (let r0 = 0; r0 < rows; r0 += batch) {
      const k = Math.min(batch, rows - r0);
      for (let i = 0; i < k; i++) put(s.w, (A >> 2) + i * len4, xd, starts[r0 + i] + c0, 1, len);
      kernel(A, k, len4, ACC);
    }
    od.set(acc.subarray(0, len), c0);
  }
  return true;
}

/** Combines a partial max/min into `acc` as the JS loop does (NaN wins). */
const fold = (op: 'max' | 'min', acc: number, v: number) => (acc === acc && (v !== v || (op === 'max' ? v > acc : v < acc)) ? v : acc);

/**
 * sum / max / min over any dims whose innermost one has unit stride (a conv bias gradient: [N, C,
 * H, W] over (0, 2, 3)): for each kept position the reduced lines are gathered into the row
 * buffer, BATCH floats per kernel call; false when it does not apply.
 */
function simdReduceGathered(op: 'sum' | 'max' | 'min', x: View, dims: readonly number[], out: Storage): boolean {
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const [redShape, redStrides] = [dims.map((i) => x.shape[i]), dims.map((i) => x.strides[i])];
  const k = numel(redShape);
  let inner = redShape.length - 1;
  while (inner >= 0 && redShape[inner] === 1) inner--;
  if (inner < 0 || redStrides[inner] !== 1 || tooSmall(k, MIN_ROW) || tooSmall(redShape[inner], MIN_ROW)) return false;
  const s = simd();
  if (!s) return false;
  ensure(s, BATCH + 2);
  const kernel = s.fns[`rows_${op}`];
  const RES = A + BATCH * 4;
  const pad = IDENTITY[op];
  const [xd, od] = [dataOf(x), dataOf(out)];
  const w = s.w;
  let o = 0;
  forEachPosition(
    kept.map((i) => x.shape[i]),
    [kept.map((i) => x.strides[i])],
    [x.offset],
    ([base]) => {
      let acc: number = pad;
      let fill = 0;
      const flush = () => {
        const n4 = up4(fill);
        w.fill(pad, (A >> 2) + fill, (A >> 2) + n4);
        kernel(A, 1, n4, RES);
        acc = op === 'sum' ? acc + new Float64Array(s.mem.buffer, RES, 1)[0] : fold(op, acc, w[RES >> 2]);
        fill = 0;
      };
      forEachLine(redShape, [redStrides], [base], ([p], n, [st]) => {
        for (let done = 0; done < n; ) {
          const len = Math.min(n - done, BATCH - fill);
          put(w, (A >> 2) + fill, xd, p + done * st, st, len);
          fill += len;
          done += len;
          if (fill === BATCH) flush();
        }
      });
      if (fill) flush();
      od[o++] = acc;
    },
  );
  return true;
}
