// Over ~450 lines: the JS side of every kernel of the one SIMD module (./simd-kernels.ts) — operand
// staging through the scratch block or in place on the heap, broadcasts, chains, thread splits.
/**
 * JS side of the SIMD elementwise and softmax kernels (./simd-kernels.ts; reductions in
 * ./simd-reduce-driver.ts, normalization in ./simd-norm-driver.ts, both built on this). The module
 * imports the CPU heap's memory (../heap.ts) when there is one, so tensors stored in the heap are
 * operated on where they lie (zero copy): a call per contiguous line, with unit-stride and
 * broadcast-scalar operands. Other operands (plain arrays, other strides, integer dtypes) stream
 * through a scratch block in chunks that stay in cache: gather a chunk of every operand (one
 * `set` per contiguous run, a `fill` for a broadcast one, a loop for other strides), run the kernel
 * in place, copy the chunk out. Scalar operands travel as a kernel parameter. Each entry point returns false when it does not
 * apply (dtype, op, size, or WebAssembly SIMD missing), and the caller runs its JS loop.
 *
 * `AIMODEL_CPU_SIMD=0` in the environment (or `setSimdPath('js')`) forces the JS paths, so the
 * same tests run on both. The module (~21 KB) is compiled synchronously on first use: browsers
 * allow that on the main thread (Chrome since ~v115 up to 8 MB; older Chrome only up to 4 KB,
 * where `create` fails and the JS paths run, consistently). The memory grows for long rows and is
 * kept for the process.
 */
import type { BinaryOp, Storage, UnaryOp, View } from '../../backend';
import type { TypedArray } from '../../../dtype';
import { collapseDims, numel } from '../../../shape';
import { heapAlloc, heapFree, heapMemory } from '../heap';
import { type CpuStorage, dataOf, heapAddress, outData } from '../storage';
import { forEachLine, forEachPosition } from '../strided';
import { settlePool } from '../threads';
import { chunkCount, heapFn, heapModules, heapPool, MIN_PIECE, runCalls } from './heap-pool';
import { wasmModule } from './modules';
import { SIMD_BINARY, type SimdBinaryOp, SIMD_UNARY, type SimdUnaryOp } from './simd-ops';

type Kernel = (...args: number[]) => number;

export interface Simd {
  mem: WebAssembly.Memory;
  /** A float32 view of `mem` covering the scratch block (renewed when the block moves). */
  w: Float32Array;
  fns: Record<string, Kernel>;
  /** Byte address of the scratch block (the chunks, row batches and results; see {@link ensure}). */
  a: number;
  /** Floats in the scratch block. */
  cap: number;
  /** Whether `mem` is the CPU heap (heap tensors can be passed by address). */
  heap: boolean;
}

/** Floats per operand chunk (16 KB: three operands stay in L1/L2). */
const CHUNK = 4096;
/** Byte offset of operand 0's chunk in a module of its own (else the scratch block's address, `Simd.a`). */
const OWN_A = 64;
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

/** The module's bytes (its memory import shared when `shared`). */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return wasmModule('simd', shared);
}

function validModule(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module | null {
  return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
}

function create(): Simd | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const heap = heapMemory();
    // over the heap, the module the worker threads run too (./heap-pool.ts)
    const module = heap ? heapModules()?.simd : validModule(moduleBytes(false));
    if (!module) return null;
    const mem = heap ?? new WebAssembly.Memory({ initial: 2 });
    const instance = new WebAssembly.Instance(module, { env: { mem } });
    const s: Simd = { mem, w: new Float32Array(0), fns: instance.exports as Record<string, Kernel>, a: OWN_A, cap: 0, heap: heap !== null };
    ensure(s, 2 * BATCH + 4 * CHUNK);
    return s;
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

/**
 * Makes the scratch block hold at least `floats` floats from `s.a` (a heap block, moved to a larger
 * one when needed; in a module of its own, the memory grown). Read `s.a` and `s.w` after calling.
 */
export function ensure(s: Simd, floats: number): void {
  if (s.cap >= floats) return;
  const cap = Math.max(floats, 2 * s.cap);
  if (s.heap) {
    const at = heapAlloc(cap * 4 + 16, true);
    if (at === null) throw new RangeError(`CPU heap: no room for a SIMD scratch block of ${cap * 4} bytes`);
    if (s.cap) heapFree(s.a, s.cap * 4 + 16);
    s.a = at;
  } else {
    const need = OWN_A + cap * 4 + 16;
    if (s.mem.buffer.byteLength < need) s.mem.grow(Math.ceil((need - s.mem.buffer.byteLength) / 65536));
  }
  s.cap = cap;
  s.w = new Float32Array(s.mem.buffer);
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

/** Streams `ops` (views of `shape`) through the chunks; `compute(A, n4)` leaves results in chunk 0 (at A). */
function chunked(s: Simd, shape: readonly number[], ops: View[], od: TypedArray, compute: (A: number, n4: number) => void): void {
  ensure(s, ops.length * CHUNK);
  const { w, a: A } = s;
  const data = ops.map(dataOf);
  const base = ops.map((_, j) => (A >> 2) + j * CHUNK);
  let fill = 0;
  let outPos = 0;
  const flush = () => {
    compute(A, up4(fill));
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

/** Lines shorter than this go through the chunks (a kernel call per line would cost more). */
const MIN_LINE = 16;

/** Zero-copy dispatches so far (tests check that the heap path is taken). @internal */
export const zeroCopy = { calls: 0 };

/**
 * The heap addresses of float32 views (and bool ones, when `bools`) in the module's memory (the
 * output storage's last), or null when any is not there. The output is claimed whole (not cleared first).
 */
export function addresses(s: Simd, views: readonly View[], out: View | Storage, bools = false): number[] | null {
  const ok = (v: View | Storage) => isFloat(v) || (bools && dtypeOf(v) === 'bool');
  if (!s.heap || !ok(out)) return null;
  const at: number[] = [];
  for (const v of views) {
    if (!ok(v)) return null;
    const p = heapAddress(v);
    if (p < 0) return null;
    at.push(p);
  }
  const os = 'storage' in out ? out.storage : out;
  if ((os as CpuStorage).block === undefined || views.some((v) => v.storage === os)) return null; // the kernels may write past a line's end
  if (!('storage' in out)) outData(out); // a whole output storage is overwritten: no need to clear it
  const o = heapAddress(out);
  at.push(o);
  zeroCopy.calls++;
  return at;
}

/**
 * The arguments of a kernel call on one line (or piece of a line): each operand's address or, for a
 * broadcast scalar one, −1 in `ptr` and its value in `val` — or, when `indirect`, the address of a
 * float32 holding it (worker calls pass i32 arguments only: the kernels' modes 3 and 4).
 */
type LineArgs = (ptr: number[], val: number[], n4: number, o: number, indirect: boolean) => number[];

/** Binary kernels' arguments (b_<op>, c_<op>): both operands lines (mode 0), or one a scalar (modes 1, 2; 3, 4 indirect). */
const binaryArgs: LineArgs = ([pa, pb], [va, vb], n4, o, indirect) => {
  if (pa < 0) return indirect ? [pb, va, n4, 0, 4, o] : [pb, 0, n4, va, 2, o];
  if (pb < 0) return indirect ? [pa, vb, n4, 0, 3, o] : [pa, 0, n4, vb, 1, o];
  return [pa, pb, n4, 0, 0, o];
};
/** Unary kernels' arguments (u_<op>, u_square). */
const unaryArgs: LineArgs = ([p], _, n4, o) => [p, n4, o];

/**
 * Zero copy: out (a fresh contiguous storage) = kernel `name` over views of `shape` in the heap, one
 * call per line when every operand's inner stride is 1 or 0 (a broadcast scalar) and not all are 0;
 * `args` gives a call's arguments. A kernel may write up to 3 elements past the line's end (the next
 * line overwrites them; the last stay in out's block). Large calls are split across the worker
 * threads ({@link splitLines}). With `bools`, operands and the output may be bool (bytes) too; with
 * `allLines`, no operand may be a broadcast scalar. False when the layout does not allow it.
 */
function direct(s: Simd, shape: readonly number[], views: View[], out: Storage, name: string, args: LineArgs, bools = false, allLines = false): boolean {
  if (!s.heap || (!bools && (!isFloat(out) || !views.every(isFloat)))) return false;
  const c = collapseDims(
    shape,
    views.map((v) => v.strides),
  );
  const rank = c.shape.length;
  const n = rank ? c.shape[rank - 1] : 1;
  const inner = c.strides.map((st) => (rank ? st[rank - 1] : 0));
  if (inner.some((st) => st !== 0 && st !== 1) || inner.every((st) => st === 0) || (rank > 1 && n < MIN_LINE)) return false;
  if (allLines && inner.some((st) => st !== 1)) return false;
  // unit-stride operands are read where they lie; broadcast ones (a number's constant too) by value
  const lines = views.filter((_, j) => inner[j] === 1);
  const found = addresses(s, lines, out, bools);
  if (!found) return false;
  const sizes = views.map((v) => (isFloat(v) ? 4 : 1)),
    outSize = isFloat(out) ? 4 : 1;
  const at = views.map((v) => (inner[views.indexOf(v)] === 1 ? found[lines.indexOf(v)] : -1));
  const data = views.map(dataOf);
  const ptr = views.map(() => -1);
  const val = views.map(() => 0);
  const n4 = up4(n);
  const total = numel(shape);
  // lines of a multiple of 4 (no write past one into the next), or one line, may run in parallel
  const pool = total >= 2 * MIN_PIECE && (n % 4 === 0 || total === n) ? heapPool() : null;
  const calls: number[][] | null = pool ? [] : null;
  const kernel = s.fns[name];
  let o = found[lines.length];
  let slot = 0;
  // kernels run here, or broadcast values read and put in the scratch slots: a job left running
  // finishes first (deferred, ../threads.ts deferSettle); a pool's table waits for it by itself
  const scalars = lines.length < views.length;
  if (!calls || scalars) settlePool();
  if (calls && scalars) ensure(s, Math.ceil(total / n));
  forEachLine(
    shape,
    views.map((v) => v.strides),
    views.map((v) => v.offset),
    (pos) => {
      for (let j = 0; j < views.length; j++) {
        if (inner[j] === 1) ptr[j] = at[j] + (pos[j] - views[j].offset) * sizes[j];
        else if (calls) {
          s.w[(s.a >> 2) + slot] = data[j][pos[j]];
          val[j] = s.a + 4 * slot++;
        } else val[j] = data[j][pos[j]];
      }
      if (calls) splitLine(calls, ptr, sizes, outSize, n4, o, (p, k, q) => args(p, val, k, q, true), pool && total === n ? chunkCount(total, pool.size) : 0);
      else kernel(...args(ptr, val, n4, o, false));
      o += n * outSize;
    },
  );
  if (pool && calls) {
    const id = heapFn(0, name);
    for (const c of calls) c.unshift(id);
    runCalls(pool, calls, Math.ceil(calls.length / chunkCount(total, pool.size)), true);
  }
  return true;
}

/**
 * Appends the calls of one line, cut into pieces of at least MIN_PIECE elements (multiples of 4)
 * when it is long: `pieces` of them (a tensor that is one line: the job's chunks), else as many as fit.
 */
function splitLine(
  calls: number[][],
  ptr: number[],
  sizes: number[],
  outSize: number,
  n4: number,
  o: number,
  args: (p: number[], n4: number, o: number) => number[],
  pieces = 0,
): void {
  const step = up4(Math.ceil(n4 / (pieces || Math.max(1, Math.floor(n4 / MIN_PIECE)))));
  for (let off = 0; off < n4; off += step) {
    const p = ptr.map((a, j) => (a < 0 ? a : a + off * sizes[j]));
    calls.push(args(p, Math.min(step, n4 - off), o + off * outSize));
  }
}

/** out = op(x) on the SIMD path; false when it does not apply. */
export function simdUnary(op: UnaryOp, x: View, out: Storage): boolean {
  if (!(op in SIMD_UNARY) || !exactIn(x) || !isFloat(out) || tooSmall(numel(x.shape), MIN_ELEMENTS)) return false;
  const s = simd();
  if (!s) return false;
  const name = `u_${op as SimdUnaryOp}`;
  if (direct(s, x.shape, [x], out, name, unaryArgs)) return true;
  settlePool();
  const kernel = s.fns[name];
  chunked(s, x.shape, [x], outData(out), (A, n4) => kernel(A, n4, A));
  return true;
}

/** out = a op b (views broadcast to one shape) on the SIMD path; false when it does not apply. */
export function simdBinary(op: BinaryOp, a: View, b: View, out: Storage): boolean {
  if (op === 'pow') return simdSquare(a, b, out);
  const outOk = COMPARISON.has(op) ? dtypeOf(out) === 'bool' : isFloat(out);
  if (!(op in SIMD_BINARY) || !exactIn(a) || !exactIn(b) || !outOk || tooSmall(numel(a.shape), MIN_ELEMENTS)) return false;
  const s = simd();
  if (!s) return false;
  // bool bytes straight from float32 operands in the heap; float32 × bool in place
  if (COMPARISON.has(op) && isFloat(a) && isFloat(b) && direct(s, a.shape, [a, b], out, `c_${op}`, binaryArgs, true)) return true;
  if (op === 'mul' && (maskMul(s, a, b, out) || maskMul(s, b, a, out))) return true;
  if (LINE_SCALAR.has(op) && lineScalars(s, op, a, b, out)) return true;
  const name = `b_${op as SimdBinaryOp}`;
  if (direct(s, a.shape, [a, b], out, name, binaryArgs)) return true;
  settlePool();
  // a small one with short lines (a loss's [64, 10] + bias): copying through the chunks costs more
  // than the JS loop, whose float32 results (the exact value rounded once) have the same bits
  if (EXACT_IN_JS.has(op) && tooSmall(numel(a.shape), SMALL_IN_JS)) return false;
  const kernel = s.fns[name];
  const od = outData(out);
  if (isScalar(b)) {
    const v = dataOf(b)[b.offset];
    chunked(s, a.shape, [a], od, (A, n4) => kernel(A, 0, n4, v, 1, A));
  } else if (isScalar(a)) {
    const v = dataOf(a)[a.offset];
    chunked(s, b.shape, [b], od, (A, n4) => kernel(A, 0, n4, v, 2, A));
  } else chunked(s, a.shape, [a, b], od, (A, n4) => kernel(A, A + CHUNK * 4, n4, 0, 0, A));
  return true;
}

const LINE_SCALAR = new Set<BinaryOp>(['add', 'sub', 'mul', 'div', 'maximum', 'minimum']);
/** Ops whose JS loop gives the SIMD kernel's bits, and the size below which it takes the chunked cases. */
const EXACT_IN_JS = new Set<BinaryOp>(['add', 'sub', 'mul', 'div']);
const SMALL_IN_JS = 4096;

/** Whether v's elements lie back to back in its shape's order. */
const contiguous = (v: View) => {
  for (let i = v.shape.length - 1, step = 1; i >= 0; step *= v.shape[i], i--) if (v.shape[i] !== 1 && v.strides[i] !== step) return false;
  return true;
};

/**
 * Zero copy for one contiguous operand and one value per line of the other (a bias per channel:
 * [N, C, H, W] + [C, 1, 1]): the values gathered into the scratch block, then one `ls_<op>` call
 * over all lines (or row ranges of them across the worker threads, for lines of a multiple of 4);
 * false when the layout does not allow it.
 */
function lineScalars(s: Simd, op: BinaryOp, a: View, b: View, out: Storage): boolean {
  if (!s.heap || !isFloat(a) || !isFloat(b) || !isFloat(out)) return false;
  const c = collapseDims(a.shape, [a.strides, b.strides]);
  const rank = c.shape.length;
  const n = c.shape[rank - 1];
  if (rank < 2 || n < MIN_LINE) return false;
  const [ia, ib] = [c.strides[0][rank - 1], c.strides[1][rank - 1]];
  const mode = ia === 1 && ib === 0 ? 1 : ia === 0 && ib === 1 ? 2 : 0;
  const [lines, scalars] = mode === 1 ? [a, b] : [b, a];
  if (mode === 0 || !contiguous(lines)) return false;
  const at = addresses(s, [lines], out);
  if (!at) return false;
  const total = numel(a.shape),
    rows = total / n,
    n4 = up4(n);
  settlePool(); // reads values and writes the scratch slots (deferred: ../threads.ts deferSettle)
  ensure(s, rows);
  const { w, a: slots } = s;
  const sd = dataOf(scalars);
  let i = slots >> 2;
  forEachLine(a.shape, [lines.strides, scalars.strides], [lines.offset, scalars.offset], ([, p]) => {
    w[i++] = sd[p];
  });
  const name = `ls_${op}`;
  const pool = total >= 2 * MIN_PIECE && n % 4 === 0 ? heapPool() : null;
  if (!pool) {
    s.fns[name](at[0], slots, n, n4, rows, mode, at[1]);
    return true;
  }
  const id = heapFn(0, name);
  const per = Math.ceil(rows / chunkCount(total, pool.size));
  const calls: number[][] = [];
  for (let r = 0; r < rows; r += per) calls.push([id, at[0] + r * n * 4, slots + 4 * r, n, n4, Math.min(per, rows - r), mode, at[1] + r * n * 4]);
  runCalls(pool, calls, 1, true);
  return true;
}

/** out = x · mask for float32 x and a bool mask, both read line by line in the heap (the ReLU gradient); false otherwise. */
function maskMul(s: Simd, x: View, mask: View, out: Storage): boolean {
  if (!isFloat(x) || dtypeOf(mask) !== 'bool' || !isFloat(out)) return false;
  return direct(s, x.shape, [x, mask], out, 'm_mul', ([px, pm], _, n4, o) => [px, pm, n4, o], true, true);
}

/** pow(a, 2) with a scalar 2 (x·x, exactly what pow gives); false for every other pow. */
function simdSquare(a: View, b: View, out: Storage): boolean {
  settlePool(); // reads b (deferred: ../threads.ts deferSettle)
  if (!isScalar(b) || dataOf(b)[b.offset] !== 2 || !isFloat(a) || !isFloat(out) || tooSmall(numel(a.shape), MIN_ELEMENTS)) return false;
  const s = simd();
  if (!s) return false;
  if (direct(s, a.shape, [a], out, 'u_square', unaryArgs)) return true;
  const kernel = s.fns.u_square;
  chunked(s, a.shape, [a], outData(out), (A, n4) => kernel(A, n4, A));
  return true;
}

/** out = cond ? a : b (views broadcast to one shape; cond bool or 8-bit) on the SIMD path; false when it does not apply. */
export function simdWhere(cond: View, a: View, b: View, out: Storage): boolean {
  const d = dtypeOf(cond);
  if ((d !== 'bool' && d !== 'int8' && d !== 'uint8') || !exactIn(a) || !exactIn(b) || !isFloat(out) || tooSmall(numel(a.shape), MIN_ELEMENTS)) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns.t_where;
  chunked(s, a.shape, [a, b, cond], outData(out), (A, n4) => kernel(A + 2 * CHUNK * 4, A, A + CHUNK * 4, n4));
  return true;
}

/**
 * Streams the rows of x (`n` contiguous floats each, starting where `forEachPosition` puts them)
 * through the row buffer (at `s.a`) in batches, each row padded to a multiple of 4 with `pad`;
 * `compute(rows, n4)` runs on each batch, then `done(rows, n4)` reads its results. The scratch
 * block holds at least `extra` floats past the rows' `max(BATCH, n4)` (read `s.a` after the call).
 */
export function batchedRows(
  s: Simd,
  x: View,
  outerDims: number,
  n: number,
  pad: number,
  compute: (rows: number, n4: number) => void,
  done: (rows: number, n4: number) => void,
  extra = 0,
): void {
  const n4 = up4(n);
  const batch = Math.max(1, Math.floor(BATCH / n4));
  ensure(s, Math.max(BATCH, n4) + Math.max(2 * batch, extra)); // rows, then (from A + BATCH·4) up to 8 bytes of result per row
  const xd = dataOf(x) as Float32Array;
  const { w, a: A } = s;
  let k = 0;
  const flush = () => {
    compute(k, n4);
    done(k, n4);
    k = 0;
  };
  const outer = x.shape.slice(0, outerDims);
  if (n4 === n && denseRows(x, outerDims, n)) {
    // rows back to back in x: one copy per batch
    const total = numel(outer);
    for (let r = 0; r < total; r += batch) {
      k = Math.min(batch, total - r);
      w.set(xd.subarray(x.offset + r * n, x.offset + (r + k) * n), A >> 2);
      flush();
    }
    return;
  }
  forEachPosition(outer, [x.strides.slice(0, outerDims)], [x.offset], ([start]) => {
    const at = (A >> 2) + k * n4;
    put(w, at, xd, start, 1, n);
    if (n4 > n) w.fill(pad, at + n, at + n4);
    if (++k === batch) flush();
  });
  if (k) flush();
}

/** Whether the rows of x (its first `outerDims` dims) lie back to back, `n` floats each. */
export function denseRows(x: View, outerDims: number, n: number): boolean {
  for (let i = outerDims - 1, step = n; i >= 0; step *= x.shape[i], i--) if (x.shape[i] !== 1 && x.strides[i] !== step) return false;
  return true;
}

/** (Log-)softmax over the last dim when it has unit stride; false when it does not apply. */
export function simdSoftmax(x: View, dim: number, log: boolean, out: Storage): boolean {
  const rank = x.shape.length;
  const n = x.shape[dim];
  if (!isFloat(x) || !isFloat(out) || dim !== rank - 1 || (x.strides[dim] !== 1 && n !== 1) || tooSmall(n, MIN_ROW)) return false;
  const s = simd();
  if (!s) return false;
  const kernel = s.fns.softmax_rows;
  const rows = numel(x.shape.slice(0, -1));
  // zero copy: rows of a multiple of 4, back to back in the heap, straight into out
  const at = n % 4 === 0 && denseRows(x, rank - 1, n) ? addresses(s, [x], out) : null;
  if (at) {
    if (rows) kernel(at[0], rows, n, log ? 1 : 0, at[1]);
    return true;
  }
  const od = outData(out) as Float32Array;
  let o = 0;
  // e^−∞ = 0: the padding adds nothing to the sum
  batchedRows(
    s,
    x,
    rank - 1,
    n,
    Number.NEGATIVE_INFINITY,
    (rows, n4) => kernel(s.a, rows, n4, log ? 1 : 0, s.a),
    (rows, n4) => {
      const base = s.a >> 2;
      if (n4 === n) od.set(s.w.subarray(base, base + rows * n), o);
      else for (let r = 0; r < rows; r++) od.set(s.w.subarray(base + r * n4, base + r * n4 + n), o + r * n);
      o += rows * n;
    },
  );
  return true;
}
