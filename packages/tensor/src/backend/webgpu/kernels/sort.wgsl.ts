import type { Storage, View } from '../../backend';
import type { DType } from '../../../dtype';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { loadFn } from '../wgsl/dtype';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { type ParamWriter, params } from '../wgsl/params';
import { stridedIndexWgsl, rowLayout } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/**
 * Stable argsort along one dim: a bitonic sorting network over (key, position) pairs. Each value
 * becomes an unsigned key ordered as the values (float bits with the sign flipped and negatives
 * inverted, −0 as +0, every NaN the largest; integers offset by 2³¹), inverted for descending
 * order; comparing (key, position) makes every pair distinct, so the unstable network gives the
 * stable order. Rows are padded to a power of two P with keys 2³² − 1 at positions ≥ n, which sort
 * after everything (NaN included: its position is smaller).
 *
 * Rows of P ≤ {@link SORT_BLOCK} sort in one dispatch, one workgroup per row, in workgroup memory.
 * Longer rows sort in a scratch buffer of pairs: every block of SORT_BLOCK sorts in workgroup
 * memory first (the network's stages k ≤ SORT_BLOCK never cross a block); then for each stage
 * k = 2·SORT_BLOCK … P, the steps j ≥ SORT_BLOCK run as global dispatches (one invocation per
 * compared pair) and the steps j < SORT_BLOCK in workgroup memory again; the last one writes the
 * positions out. 3 dispatches for a row of 3000, 55 for a row of 2²⁰.
 *
 * The scratch holds rows·P pairs (8 bytes each); rows are sorted in batches whose scratch fits one
 * storage binding (`maxStorageBufferBindingSize`), so only a single row past that limit fails.
 *
 * Local params: `[rows, n, P, descending, kFrom, kTo, blocks per row, x stride, out stride, first
 * row]` (i32 strides along dim; rows of this batch, from `first row` of the tensor), then the
 * other dims' strided layout of x and out from word 10. Global params: `[rows, P, k, j]`.
 */

/** Values one workgroup sorts in workgroup memory (two u32 arrays: 8 KiB). */
export const SORT_BLOCK = 1024;
const BASE = 10;
const STEP_WG = 64;

/** Where a local pass reads its pairs and writes its result. */
type Mode = 'whole' | 'first' | 'merge' | 'last';

interface LocalConfig {
  mode: Mode;
  /** Rank of the row index space (the other dims, collapsed). */
  rank: number;
  dtype: DType;
  /** Block length (a power of two ≤ SORT_BLOCK). */
  block: number;
}

/** WGSL: the unsigned sort key of an element word of `dtype`. */
function keyWgsl(dtype: DType): string {
  if (dtype === 'float32') {
    return `fn keyOf(w: u32) -> u32 {
  if ((w & 0x7fffffffu) > 0x7f800000u) { return 0xffffffffu; } // NaN: the largest
  if (w == 0x80000000u) { return 0x80000000u; } // −0 equals +0
  return select(w | 0x80000000u, ~w, (w & 0x80000000u) != 0u);
}`;
  }
  if (dtype === 'int32' || dtype === 'int8') return 'fn keyOf(w: u32) -> u32 { return w ^ 0x80000000u; }';
  return 'fn keyOf(w: u32) -> u32 { return w; }';
}

/** The bitonic network over one block in workgroup memory, for stages kFrom … kTo. */
export const sortLocalKernel = memoKernel(function sortLocalKernel(c: LocalConfig): KernelSource {
  const B = c.block;
  const wg = Math.min(256, B / 2);
  const fromX = c.mode === 'whole' || c.mode === 'first';
  const toOut = c.mode === 'whole' || c.mode === 'last';
  const decls =
    c.mode === 'whole'
      ? '@group(0) @binding(0) var<storage, read> x: array<u32>;\n@group(0) @binding(1) var<storage, read_write> y: array<u32>;\n@group(0) @binding(2) var<storage, read> p: array<u32>;'
      : c.mode === 'first'
        ? '@group(0) @binding(0) var<storage, read> x: array<u32>;\n@group(0) @binding(1) var<storage, read_write> pairs: array<vec2u>;\n@group(0) @binding(2) var<storage, read> p: array<u32>;'
        : c.mode === 'merge'
          ? '@group(0) @binding(0) var<storage, read_write> pairs: array<vec2u>;\n@group(0) @binding(1) var<storage, read> p: array<u32>;'
          : '@group(0) @binding(0) var<storage, read> pairs: array<vec2u>;\n@group(0) @binding(1) var<storage, read_write> y: array<u32>;\n@group(0) @binding(2) var<storage, read> p: array<u32>;';
  const load = fromX
    ? `if (gi < n) {
      let k0 = keyOf(loadX(xb + u32(i32(gi) * xs)));
      keys[t] = select(k0, ~k0, p[3] != 0u);
    } else {
      keys[t] = 0xffffffffu;
    }
    ids[t] = gi;`
    : `let v = pairs[row * P + gi];
    keys[t] = v.x;
    ids[t] = v.y;`;
  const store = toOut ? 'if (gi < n) { y[yb + u32(i32(gi) * ys)] = ids[t]; }' : 'pairs[row * P + gi] = vec2u(keys[t], ids[t]);';
  return {
    key: `sortLocal:${c.mode}:${c.rank}:${c.dtype}:${B}`,
    workgroupSize: [wg, 1, 1],
    bindings: c.mode === 'merge' ? ['read_write'] : undefined,
    code: wgsl`
${decls}
var<workgroup> keys: array<u32, ${B}>;
var<workgroup> ids: array<u32, ${B}>;
${fromX || toOut ? stridedIndexWgsl(c.rank, BASE, 'rowOffset') : ''}
${fromX ? loadFn('loadX', 'x', c.dtype) : ''}
${fromX ? keyWgsl(c.dtype) : ''}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wid.x + wid.y * nwg.x;
  let row = g / p[6];
  if (row >= p[0]) { return; }
  let n = p[1];
  let P = p[2];
  let base = (g % p[6]) * ${B}u;
  ${fromX ? 'let xb = rowOffset(row + p[9], 0u);\n  let xs = bitcast<i32>(p[7]);' : ''}
  ${toOut ? `let ys = bitcast<i32>(p[8]);\n  let yb = rowOffset(row + p[9], 1u);` : ''}
  for (var t = li; t < ${B}u; t += ${wg}u) {
    let gi = base + t;
    ${load}
  }
  workgroupBarrier();
  for (var k = p[4]; k <= p[5]; k <<= 1u) {
    for (var j = min(k, ${B}u) >> 1u; j > 0u; j >>= 1u) {
      for (var q = li; q < ${B / 2}u; q += ${wg}u) {
        let i = (q / j) * 2u * j + (q % j);
        let l = i + j;
        let ka = keys[i];
        let kb = keys[l];
        let ia = ids[i];
        let ib = ids[l];
        let up = ((base + i) & k) == 0u;
        if ((kb < ka || (kb == ka && ib < ia)) == up) {
          keys[i] = kb;
          keys[l] = ka;
          ids[i] = ib;
          ids[l] = ia;
        }
      }
      workgroupBarrier();
    }
  }
  for (var t = li; t < ${B}u; t += ${wg}u) {
    let gi = base + t;
    ${store}
  }
}`,
  };
});

/** One compare-exchange step (k, j) of the network over the scratch pairs, one invocation per pair. */
export const sortStepKernel = memoKernel(function sortStepKernel(): KernelSource {
  return {
    key: 'sortStep',
    workgroupSize: [STEP_WG, 1, 1],
    bindings: ['read_write'],
    code: wgsl`
@group(0) @binding(0) var<storage, read_write> pairs: array<vec2u>;
@group(0) @binding(1) var<storage, read> p: array<u32>;
@compute @workgroup_size(${STEP_WG})
fn main(${LINEAR_BUILTINS}) {
  let t = ${linearIndex(STEP_WG)};
  let P = p[1];
  let half = P >> 1u;
  if (t >= p[0] * half) { return; }
  let k = p[2];
  let j = p[3];
  let row = t / half;
  let q = t % half;
  let i = (q / j) * 2u * j + (q % j);
  let a = pairs[row * P + i];
  let b = pairs[row * P + i + j];
  if ((b.x < a.x || (b.x == a.x && b.y < a.y)) == ((i & k) == 0u)) {
    pairs[row * P + i] = b;
    pairs[row * P + i + j] = a;
  }
}`,
  };
});

/** Options for tests: a smaller scratch limit (bytes), to sort in several row batches. */
export interface SortRunOptions {
  scratchBytes?: number;
}

/**
 * Stable argsort of the view `x` along `dim` into the contiguous int32 `out` (x's shape); see the
 * module comment for the passes.
 */
export function argsort(rt: Runtime, x: View, dim: number, descending: boolean, out: Storage, opts: SortRunOptions = {}): void {
  rt.checkAlive();
  if (out.size === 0) return;
  const { n, rows, xStep, outStep, write } = rowLayout(x, dim, out.size);
  let P = 2;
  while (P < n) P *= 2;
  const block = Math.min(P, SORT_BLOCK);
  const blocks = P / block;
  const local = (kFrom: number, kTo: number, first = 0, count = rows): { p: ParamWriter; rank: number } => {
    const p = params()
      .u32(count)
      .u32(n)
      .u32(P)
      .u32(descending ? 1 : 0)
      .u32(kFrom)
      .u32(kTo)
      .u32(blocks)
      .i32(xStep)
      .i32(outStep)
      .u32(first);
    const layout = write(p);
    return { p, rank: layout };
  };
  const dtype = x.storage.dtype;
  if (blocks === 1) {
    const { p, rank: r } = local(2, P);
    rt.dispatch(sortLocalKernel({ mode: 'whole', rank: r, dtype, block }), [bufferOf(x), bufferOf(out)], p, linearGrid(rows * blocks, 1));
    return;
  }
  const { maxStorageBufferBindingSize, maxBufferSize } = rt.device.limits;
  const limit = opts.scratchBytes ?? Math.min(maxStorageBufferBindingSize, maxBufferSize);
  const batch = Math.max(1, Math.min(rows, Math.floor(limit / (P * 8))));
  for (let start = 0; start < rows; start += batch) sortRows(rt, x, out, local, start, Math.min(batch, rows - start), P, block, dtype);
}

/** The multi-pass network for `count` rows from row `start`, in a scratch buffer of count·P pairs. */
function sortRows(
  rt: Runtime,
  x: View,
  out: Storage,
  local: (kFrom: number, kTo: number, first: number, count: number) => { p: ParamWriter; rank: number },
  start: number,
  count: number,
  P: number,
  block: number,
  dtype: DType,
): void {
  const grid = linearGrid((count * P) / block, 1);
  const pairs = rt.createBuffer(count * P * 8);
  const first = local(2, block, start, count);
  rt.dispatch(sortLocalKernel({ mode: 'first', rank: first.rank, dtype, block }), [bufferOf(x), pairs], first.p, grid);
  for (let k = 2 * block; k <= P; k *= 2) {
    for (let j = k / 2; j >= block; j /= 2) {
      rt.dispatch(sortStepKernel(), [pairs], params().u32(count).u32(P).u32(k).u32(j), linearGrid((count * P) / 2, STEP_WG));
    }
    const merge = local(k, k, start, count);
    if (k < P) rt.dispatch(sortLocalKernel({ mode: 'merge', rank: 0, dtype, block }), [pairs], merge.p, grid);
    else rt.dispatch(sortLocalKernel({ mode: 'last', rank: merge.rank, dtype, block }), [pairs, bufferOf(out)], merge.p, grid);
  }
  rt.releaseBuffer(pairs);
}
