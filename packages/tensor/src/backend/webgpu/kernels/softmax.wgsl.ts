import type { Storage, View } from '../../backend';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { stridedIndexWgsl, rowLayout } from '../wgsl/strided';
import { MAX_REGISTER_SLOTS, registerSlots, rowLoop } from '../wgsl/row-loop';
import { wgsl } from '../wgsl/tag';

/**
 * (Log-)softmax along one dim of a strided float32 view, one workgroup per row (a row = the
 * positions along `dim`). Pass 1 keeps an online (max m, sum s of exp(x − m)) per thread,
 * rescaling s when m grows, so x is read once; the per-thread pairs are combined in workgroup
 * memory (and, with the `subgroups` feature, finished by subgroupMax/subgroupAdd on the first
 * `sgSize` slots by lane, independent of how invocations are packed). Pass 2 writes the outputs.
 * Rows of up to {@link SOFTMAX_CACHED_MAX} values stay in registers between the passes (each
 * invocation keeps its ≤ 32 values in `vals`), so x is read from memory once: one read and one
 * write per element, the same traffic as a copy. Longer rows are read again in pass 2.
 *
 * As the CPU, an all −∞ row (0/0 there) and a row holding a NaN give NaN everywhere; both are
 * decided explicitly (NaN from its bits, kept as a flag) because compilers may assume no NaNs.
 * −∞ elements add nothing to s (exp(−∞ − m) with m = −∞ would be NaN).
 *
 * Params: `[rows, n, xStride, outStride, bits of −∞]` (strides along `dim`, i32), then the other
 * dims' strided layout of x and out (rank rk, from word 5).
 */

export interface SoftmaxKernelConfig {
  log: boolean;
  /** Rank of the row index space (the other dims, collapsed). */
  rank: number;
  workgroup: 64 | 256;
  subgroups: boolean;
  /**
   * Values each invocation keeps in registers between the passes (a power of two ≤ 32, with
   * cache·workgroup ≥ the row length), or 0 to read the row from memory in both passes.
   */
  cache: number;
  /** The row is contiguous in x and out (stride 1 along `dim`): addresses without a multiply. */
  unit: boolean;
}

/** Longest row the register-cached kernels take: 256 invocations × 32 values. */
export const SOFTMAX_CACHED_MAX = 256 * MAX_REGISTER_SLOTS;

/** The WGSL kernel for one softmax configuration. */
export const softmaxKernel = memoKernel(function softmaxKernel(c: SoftmaxKernelConfig): KernelSource {
  const wg = c.workgroup;
  const sg = c.subgroups;
  const cache = c.cache;
  const loop = (body: string) => rowLoop({ start: '0u', end: 'n', workgroup: wg, slots: cache }, body);
  const xAt = c.unit ? 'xb + j' : 'xb + u32(i32(j) * xs)';
  const yAt = c.unit ? 'yb + j' : 'yb + u32(i32(j) * ys)';
  const write = c.log ? 'v - lse' : 'exp(v - m) / s';
  // Combining two (max, sum) partials; `neg` is −∞.
  const merge = `
fn term(m: f32, s: f32, to: f32) -> f32 { return select(s * exp(m - to), 0.0, m == neg()); }
fn merge(a: vec3f, b: vec3f) -> vec3f {
  let m = max(a.x, b.x);
  return vec3f(m, term(a.x, a.y, m) + term(b.x, b.y, m), max(a.z, b.z));
}`;
  const finish = sg
    ? `
  if (li == 0u) { sgWidth = sgSize; }
  let width = workgroupUniformLoad(&sgWidth);
  var h = ${wg / 2}u;
  while (h >= width) {
    if (li < h) { sh[li] = merge(sh[li], sh[li + h]); }
    workgroupBarrier();
    h >>= 1u;
  }
  var pv = vec3f(neg(), 0.0, 0.0);
  if (lane < 2u * h) { pv = sh[lane]; }
  let gm = subgroupMax(pv.x);
  // every subgroup reduced the same slots, so each holds the row's total
  let total = vec3f(gm, subgroupAdd(term(pv.x, pv.y, gm)), subgroupMax(pv.z));`
    : `
  for (var h = ${wg / 2}u; h > 0u; h >>= 1u) {
    if (li < h) { sh[li] = merge(sh[li], sh[li + h]); }
    workgroupBarrier();
  }
  let total = sh[0];`;
  // Rows held in registers: the thread's max first (no exp), then one exp per value, kept in
  // place; the outputs are those exps times one factor per thread, exp(m_thread − m_row)/s_row.
  // One exp per element and no branch on the running max.
  const cachedPasses = `var vals: array<f32, ${cache}>;
  ${loop(`let w = x[${xAt}];
    let v = bitcast<f32>(w);
    vals[t] = v;
    if ((w & 0x7fffffffu) > 0x7f800000u) { nan = 1.0; }
    m = max(m, v);`)}
  ${loop(`let e = select(exp(vals[t] - m), 0.0, m == neg()); // a thread of only −∞ (or no values) adds 0
    s += e;${c.log ? '' : '\n    vals[t] = e;'}`)}
  sh[li] = vec3f(m, s, nan);
  workgroupBarrier();${finish}
  let bad = total.z > 0.0 || total.x == neg();
  ${c.log ? 'let lse = total.x + log(total.y);' : 'let f = term(m, 1.0, total.x) / total.y;'}
  ${loop(`y[${yAt}] = select(bitcast<u32>(${c.log ? 'vals[t] - lse' : 'vals[t] * f'}), 0x7fc00000u, bad);`)}`;
  // Streamed rows: an online (max, sum) in one read, then a second read for the outputs.
  const streamedPasses = `${loop(`let w = x[${xAt}];
    let v = bitcast<f32>(w);
    if ((w & 0x7fffffffu) > 0x7f800000u) {
      nan = 1.0;
    } else if (v > m) {
      s = s * exp(m - v) + 1.0;
      m = v;
    } else if (v != neg()) {
      s += exp(v - m);
    }`)}
  sh[li] = vec3f(m, s, nan);
  workgroupBarrier();${finish}
  let bad = total.z > 0.0 || total.x == neg();
  let mm = total.x;
  let ss = total.y;
  let lse = mm + log(ss);
  ${loop(`let v = bitcast<f32>(x[${xAt}]);
    let m = mm;
    let s = ss;
    y[${yAt}] = select(bitcast<u32>(${write}), 0x7fc00000u, bad);`)}`;
  return {
    key: `softmax:${c.log ? 'log' : 'exp'}:${c.rank}:${wg}:${sg ? 'sg' : 'tree'}:c${cache}${c.unit ? ':u' : ''}`,
    workgroupSize: [wg, 1, 1],
    code: wgsl`${sg ? 'enable subgroups;' : ''}
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
var<workgroup> sh: array<vec3f, ${wg}>;
${sg ? 'var<workgroup> sgWidth: u32;' : ''}
${stridedIndexWgsl(c.rank, 5, 'rowOffset')}
// −∞ comes in the params: WGSL has no literal for it and rejects it in constant expressions
fn neg() -> f32 { return bitcast<f32>(p[4]); }
${merge}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32${sg ? ', @builtin(subgroup_size) sgSize: u32, @builtin(subgroup_invocation_id) lane: u32' : ''}) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p[0]) { return; }
  let n = p[1];
  let xs = bitcast<i32>(p[2]);
  let ys = bitcast<i32>(p[3]);
  let xb = rowOffset(row, 0u);
  let yb = rowOffset(row, 1u);
  var m = neg();
  var s = 0.0;
  var nan = 0.0;
  ${cache ? cachedPasses : streamedPasses}
}`,
  };
});

/** Options for tests: force the plain tree path on an adapter that has subgroups, or streaming rows. */
export interface SoftmaxRunOptions {
  subgroups?: boolean;
  /** Keep rows of up to {@link SOFTMAX_CACHED_MAX} in registers (default true). */
  cache?: boolean;
}

/** softmax (or log-softmax when `log`) of the float32 view `x` along `dim` into the contiguous `out`. */
export function softmax(rt: Runtime, x: View, dim: number, log: boolean, out: Storage, opts: SoftmaxRunOptions = {}): void {
  if (out.size === 0) return;
  const { n, rows, xStep, outStep, write } = rowLayout(x, dim, out.size);
  const p = params().u32(rows).u32(n).i32(xStep).i32(outStep).f32(Number.NEGATIVE_INFINITY);
  const layout = write(p);
  const subgroups = (opts.subgroups ?? true) && rt.hasFeature('subgroups');
  const workgroup = n > 1024 ? 256 : 64;
  const cache = (opts.cache ?? true) ? registerSlots(n, workgroup) : 0;
  const unit = x.shape.length === 0 || (xStep === 1 && outStep === 1);
  const kernel = softmaxKernel({ log, rank: layout, workgroup, subgroups, cache, unit });
  rt.dispatch(kernel, [bufferOf(x), bufferOf(out)], p, linearGrid(rows, 1));
}
