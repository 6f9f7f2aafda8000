import type { ArgReduceOp, ReduceOp, Storage, View } from '../../backend';
import type { DType } from '../../../dtype';
import { numel } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf, type GpuStorage } from '../storage';
import { isPacked, loadFn, wgslType } from '../wgsl/dtype';
import { copy } from './copy';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { stridedIndexWgsl, stridedWords, writeStrided } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/**
 * Reductions (sum/prod/max/min over any set of dims) and arg-reductions (argmax/argmin along one
 * dim) of a strided view, generated per (op, dtype, kept rank, reduced rank, launch shape).
 *
 * Params: `[nOut, n]`, the kept dims' strided layout of x (rank rk, from word 2), then the
 * reduced dims' layout (rank rr, offset 0). Output `o` (row-major over the kept dims) reads
 * `keptOffset(o) + redOffset(j)` for j < n, in the CPU's row-major order over the reduced dims.
 *
 * Launch shapes: a thread per output when the reduced size is small (≤ {@link SERIAL_MAX}),
 * otherwise a workgroup (64 or 256 threads) per output: a strided loop, then a tree reduction
 * in workgroup memory. With the `subgroups` feature the tree stops at the subgroup size and one
 * subgroup operation finishes it. Every subgroup reduces the same first `sgSize` slots, indexed by
 * its lane, so the result never depends on how invocations are packed into subgroups.
 *
 * int8/uint8 inputs are read through `loadFn`; an int8/uint8 max/min is reduced into a word per
 * output, then packed by the copy kernel (outputs of one word would race).
 *
 * Float max/min/argmax/argmin compare order-preserving u32 keys of the float bits, with every NaN
 * mapped to the key that wins (as the CPU, where NaN propagates): WGSL's `max`/`min` and
 * `subgroupMax` leave NaN unspecified, and a compiler may assume there are none.
 */

export const SERIAL_MAX = 32;
type AnyReduce = ReduceOp | ArgReduceOp;

/** How one (op, dtype) pair accumulates: WGSL type, identity, element load, combine, store. */
interface Acc {
  type: 'f32' | 'i32' | 'u32';
  ident: string;
  load: (word: string) => string;
  combine: (a: string, b: string) => string;
  store: (acc: string) => string;
  subgroup: string;
  /** Extra WGSL functions the expressions call. */
  helpers: string;
}

const isMax = (op: AnyReduce) => op === 'max' || op === 'argmax';

/** u32 keys ordered like the floats; NaN becomes the largest key for max, the smallest for min. */
function keyHelpers(op: AnyReduce): string {
  const nan = isMax(op) ? '0x7fc00000u' : '0xffc00000u';
  return `
fn toKey(w: u32) -> u32 {
  let b = select(w, ${nan}, (w & 0x7fffffffu) > 0x7f800000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}
fn fromKey(k: u32) -> u32 { return select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u); }`;
}

/** The comparison key (u32) of a stored word of `dtype`, for max/min and the arg-reductions. */
function keyOf(dtype: DType, word: string): string {
  const t = wgslType(dtype);
  return t === 'f32' ? `toKey(${word})` : t === 'i32' ? `(${word} ^ 0x80000000u)` : word;
}

function accOf(op: ReduceOp, dtype: DType): Acc {
  const t = wgslType(dtype);
  if (op === 'sum' || op === 'prod') {
    const type = t === 'f32' ? 'f32' : 'i32'; // int and bool sums/products are int32, as the CPU
    const one = op === 'sum' ? '0' : '1';
    return {
      type,
      ident: type === 'f32' ? `${one}.0` : `${one}i`,
      load: (w) => (type === 'f32' ? `bitcast<f32>(${w})` : `bitcast<i32>(${w})`),
      combine: (a, b) => `(${a} ${op === 'sum' ? '+' : '*'} ${b})`,
      store: (a) => `bitcast<u32>(${a})`,
      subgroup: op === 'sum' ? 'subgroupAdd' : 'subgroupMul',
      helpers: '',
    };
  }
  const fn = op; // 'max' | 'min'
  if (t === 'f32') {
    return {
      type: 'u32',
      ident: op === 'max' ? '0x007fffffu' : '0xff800000u', // the keys of −∞ and +∞
      load: (w) => keyOf(dtype, w),
      combine: (a, b) => `${fn}(${a}, ${b})`,
      store: (a) => `fromKey(${a})`,
      subgroup: op === 'max' ? 'subgroupMax' : 'subgroupMin',
      helpers: keyHelpers(op),
    };
  }
  const ident = t === 'i32' ? (op === 'max' ? 'i32(-2147483647 - 1)' : '2147483647i') : op === 'max' ? '0u' : '0xffffffffu';
  return {
    type: t,
    ident,
    load: (w) => (t === 'i32' ? `bitcast<i32>(${w})` : w),
    combine: (a, b) => `${fn}(${a}, ${b})`,
    store: (a) => `bitcast<u32>(${a})`,
    subgroup: op === 'max' ? 'subgroupMax' : 'subgroupMin',
    helpers: '',
  };
}

/**
 * An arg-reduction accumulates a (key, index) pair, packed as a vec2u: the better key wins and
 * equal keys keep the lower index (first occurrence).
 */
function argAccOf(op: ArgReduceOp, dtype: DType): Acc {
  const cmp = isMax(op) ? '>' : '<';
  return {
    type: 'u32',
    ident: `vec2u(${isMax(op) ? '0u' : '0xffffffffu'}, 0xffffffffu)`,
    load: (w) => keyOf(dtype, w),
    combine: (a, b) => `better(${a}, ${b})`,
    store: (a) => `${a}.y`,
    subgroup: '',
    helpers: `${wgslType(dtype) === 'f32' ? keyHelpers(op) : ''}
fn better(a: vec2u, b: vec2u) -> vec2u {
  return select(a, b, b.x ${cmp} a.x || (b.x == a.x && b.y < a.y));
}`,
  };
}

export interface ReduceKernelConfig {
  op: AnyReduce;
  dtype: DType;
  keptRank: number;
  redRank: number;
  /** Threads per output; 1 = one thread per output (a serial loop). */
  workgroup: 1 | 64 | 256;
  subgroups: boolean;
}

/** The WGSL kernel for one reduction configuration. */
export const reduceKernel = memoKernel(function reduceKernel(c: ReduceKernelConfig): KernelSource {
  const arg = c.op === 'argmax' || c.op === 'argmin';
  const a = arg ? argAccOf(c.op as ArgReduceOp, c.dtype) : accOf(c.op as ReduceOp, c.dtype);
  const accType = arg ? 'vec2u' : a.type;
  const item = (j: string) => {
    const v = a.load(`loadX(base + redOffset(${j}, 0u))`);
    return arg ? `vec2u(${v}, ${j})` : v;
  };
  const serial = c.workgroup === 1;
  const wg = serial ? 64 : c.workgroup;
  const sg = c.subgroups && !serial;
  const layout = `${stridedIndexWgsl(c.keptRank, 2, 'keptOffset')}
${stridedIndexWgsl(c.redRank, 2 + stridedWords(c.keptRank, 1), 'redOffset')}`;
  const header = wgsl`${sg ? 'enable subgroups;' : ''}
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
${loadFn('loadX', 'x', c.dtype)}
${layout}
${a.helpers}`;
  const key = `reduce:${c.op}:${c.dtype}:${c.keptRank}:${c.redRank}:${c.workgroup}:${sg ? 'sg' : 'tree'}`;
  if (serial) {
    return {
      key,
      workgroupSize: [wg, 1, 1],
      code: wgsl`${header}
@compute @workgroup_size(${wg})
fn main(${LINEAR_BUILTINS}) {
  let o = ${linearIndex(wg)};
  if (o >= p[0]) { return; }
  let base = keptOffset(o, 0u);
  var acc: ${accType} = ${a.ident};
  for (var j = 0u; j < p[1]; j++) { acc = ${a.combine('acc', item('j'))}; }
  y[o] = ${a.store('acc')};
}`,
    };
  }
  // The last steps: with subgroups, the tree stops once `sgSize` slots are left and each
  // subgroup reduces slots 0..sgSize-1 by lane (the one holding invocation 0 writes).
  let finish: string;
  if (!sg) {
    finish = `
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (li < s) { sh[li] = ${a.combine('sh[li]', 'sh[li + s]')}; }
    workgroupBarrier();
  }
  if (li == 0u) { y[o] = ${a.store('sh[0]')}; }`;
  } else {
    const reduceSg = arg
      ? `let bestKey = ${isMax(c.op) ? 'subgroupMax' : 'subgroupMin'}(v.x);
  let r = vec2u(bestKey, subgroupMin(select(0xffffffffu, v.y, v.x == bestKey)));`
      : `let r = ${a.subgroup}(v);`;
    finish = `
  if (li == 0u) { sgWidth = sgSize; }
  let width = workgroupUniformLoad(&sgWidth);
  var s = ${wg / 2}u;
  while (s >= width) {
    if (li < s) { sh[li] = ${a.combine('sh[li]', 'sh[li + s]')}; }
    workgroupBarrier();
    s >>= 1u;
  }
  var v: ${accType} = ${a.ident};
  if (lane < 2u * s) { v = sh[lane]; }
  ${reduceSg}
  if (li == 0u) { y[o] = ${a.store('r')}; }`;
  }
  return {
    key,
    workgroupSize: [wg, 1, 1],
    code: wgsl`${header}
var<workgroup> sh: array<${accType}, ${wg}>;
${sg ? 'var<workgroup> sgWidth: u32;' : ''}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32${sg ? ', @builtin(subgroup_size) sgSize: u32, @builtin(subgroup_invocation_id) lane: u32' : ''}) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= p[0]) { return; }
  let base = keptOffset(o, 0u);
  var acc: ${accType} = ${a.ident};
  for (var j = li; j < p[1]; j += ${wg}u) { acc = ${a.combine('acc', item('j'))}; }
  sh[li] = acc;
  workgroupBarrier();${finish}
}`,
  };
});

/** Options for tests: force the plain tree path on an adapter that has subgroups. */
export interface ReduceRunOptions {
  subgroups?: boolean;
}

/** Threads per output for a reduced size `n`. */
function launchWidth(n: number): 1 | 64 | 256 {
  return n <= SERIAL_MAX ? 1 : n <= 1024 ? 64 : 256;
}

function run(rt: Runtime, op: AnyReduce, x: View, dims: readonly number[], out: Storage, opts: ReduceRunOptions): void {
  const nOut = out.size;
  if (nOut === 0) return;
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const pick = (idx: readonly number[], a: readonly number[]) => idx.map((i) => a[i]);
  const redShape = pick(dims, x.shape);
  const n = numel(redShape);
  const p = params().u32(nOut).u32(n);
  const keptRank = writeStrided(p, pick(kept, x.shape), [{ strides: pick(kept, x.strides), offset: x.offset }]);
  const redRank = writeStrided(p, redShape, [{ strides: pick(dims, x.strides), offset: 0 }]);
  const workgroup = launchWidth(n);
  const subgroups = (opts.subgroups ?? true) && rt.hasFeature('subgroups');
  const kernel = reduceKernel({ op, dtype: x.storage.dtype, keptRank, redRank, workgroup, subgroups });
  const grid = workgroup === 1 ? linearGrid(nOut, 64) : linearGrid(nOut, 1);
  if (!isPacked(out.dtype)) {
    rt.dispatch(kernel, [bufferOf(x), bufferOf(out)], p, grid);
    return;
  }
  // an int8/uint8 result (max/min): one word per output first, then packed by a copy
  const words = rt.createBuffer(nOut * 4);
  rt.dispatch(kernel, [bufferOf(x), words], p, grid);
  const storage: GpuStorage = { device: 'webgpu', dtype: 'int32', size: nOut, bytes: words.size, refs: 0, buffer: words };
  copy(rt, { storage, shape: [nOut], strides: [1], offset: 0 }, { storage: out, shape: [nOut], strides: [1], offset: 0 });
  rt.releaseBuffer(words);
}

/**
 * sum/prod/max/min of `x` over `dims` into the contiguous `out` (x's shape with those dims of
 * size 1). Empty reductions give the identity (0, 1, −∞, +∞).
 */
export function reduce(rt: Runtime, op: ReduceOp, x: View, dims: readonly number[], out: Storage, opts: ReduceRunOptions = {}): void {
  run(rt, op, x, dims, out, opts);
}

/** Index (int32) of the max/min of `x` along `dim`; the first occurrence wins, NaN counts as best. */
export function argReduce(rt: Runtime, op: ArgReduceOp, x: View, dim: number, out: Storage, opts: ReduceRunOptions = {}): void {
  run(rt, op, x, [dim], out, opts);
}
