import type { NormParams, Storage, View } from '../../backend';
import type { KernelSource } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { type ParamWriter, params } from '../wgsl/params';
import { stridedIndexWgsl, stridedWords, writeStrided } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/**
 * Row normalization (the core of layerNorm and batchNorm) and its input gradient, one workgroup
 * per row. A row is the trailing dims of views laid out [...rows, ...cols]; its cols may be any
 * strided set (batchNorm's rows are channels, its cols the batch and spatial positions).
 *
 * Forward: each invocation folds its strided share of the row into a Welford triple (count, mean,
 * M2), the triples are merged pairwise in workgroup memory (Chan et al.'s update, stable where
 * Σx² − (Σx)²/n is not), and a second pass writes (x − μ)·r·w + b with r = 1/√(σ² + eps). So x is
 * read twice, and the statistics match the CPU's two-pass float64 ones to float32 rounding.
 *
 * Backward: one pass sums g = gy·w and g·x̂ (x̂ recomputed from the saved μ, σ²), the tree adds
 * the pairs, a second pass writes r·(g − mean(g) − x̂·mean(g·x̂)).
 *
 * Params: `[rows, cols, eps (f32 bits), …]` (the backward adds the offsets of mean and variance),
 * then the strided layout of the row dims over the operands, then that of the col dims (offsets 0).
 * The row index space and the col index space each collapse separately, so the usual layouts
 * (contiguous layerNorm rows; batchNorm's [C] × [N, H·W]) index with a multiply or one div/mod.
 */

interface NormLayout {
  rowRank: number;
  colRank: number;
  /** Word where the col layout starts. */
  colBase: number;
}

/** Append the row and col layouts of `views` ([...rows, ...cols], the first `rowDims` dims being rows) after `base` words. */
function writeLayout(p: ParamWriter, views: readonly View[], rowDims: number): NormLayout {
  const shape = views[0].shape;
  const rowRank = writeStrided(
    p,
    shape.slice(0, rowDims),
    views.map((v) => ({ strides: v.strides.slice(0, rowDims), offset: v.offset })),
  );
  const colBase = p.length;
  const colRank = writeStrided(
    p,
    shape.slice(rowDims),
    views.map((v) => ({ strides: v.strides.slice(rowDims), offset: 0 })),
  );
  return { rowRank, colRank, colBase };
}

function workgroupFor(cols: number): 64 | 256 {
  return cols > 1024 ? 256 : 64;
}

/** WGSL header shared by both kernels: the row/col offset functions and the row being worked on. */
function rowSetup(l: NormLayout, base: number, operands: number): string {
  if (l.colBase !== base + stridedWords(l.rowRank, operands)) throw new Error('webgpu normalize: params layout mismatch');
  return `${stridedIndexWgsl(l.rowRank, base, 'rowOffset')}
${stridedIndexWgsl(l.colRank, l.colBase, 'colOffset')}`;
}

export interface NormKernelConfig {
  layout: NormLayout;
  weight: boolean;
  bias: boolean;
  workgroup: 64 | 256;
}

/** The forward kernel. Bindings: x, weight?, bias?, out, mean, variance (the last three written). */
export function normalizeKernel(c: NormKernelConfig): KernelSource {
  const wg = c.workgroup;
  const inputs = ['x', ...(c.weight ? ['w'] : []), ...(c.bias ? ['b'] : [])];
  // operand order of the layouts: x, out, weight?, bias?
  const wk = 2;
  const bk = c.weight ? 3 : 2;
  const operands = 2 + inputs.length - 1;
  const n = inputs.length;
  return {
    key: `normalize:${c.layout.rowRank}:${c.layout.colRank}:${c.weight ? 'w' : ''}${c.bias ? 'b' : ''}:${wg}`,
    workgroupSize: [wg, 1, 1],
    bindings: [...inputs.map(() => 'read' as const), 'read_write', 'read_write', 'read_write'],
    code: wgsl`
${inputs.map((name, i) => `@group(0) @binding(${i}) var<storage, read> ${name}: array<f32>;`).join('\n')}
@group(0) @binding(${n}) var<storage, read_write> y: array<f32>;
@group(0) @binding(${n + 1}) var<storage, read_write> mean: array<f32>;
@group(0) @binding(${n + 2}) var<storage, read_write> variance: array<f32>;
@group(0) @binding(${n + 3}) var<storage, read> p: array<u32>;
var<workgroup> sh: array<vec3f, ${wg}>;
${rowSetup(c.layout, 3, operands)}
// Merge two (count, mean, M2) partials (Chan, Golub & LeVeque).
fn merge(a: vec3f, b: vec3f) -> vec3f {
  let n = a.x + b.x;
  if (b.x == 0.0) { return a; }
  let d = b.y - a.y;
  let f = b.x / n;
  return vec3f(n, a.y + d * f, a.z + b.z + d * d * a.x * f);
}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p[0]) { return; }
  let n = p[1];
  let eps = bitcast<f32>(p[2]);
  let xb = rowOffset(row, 0u);
  var acc = vec3f(0.0);
  for (var j = li; j < n; j += ${wg}u) {
    let v = x[xb + colOffset(j, 0u)];
    acc.x += 1.0;
    let d = v - acc.y;
    acc.y += d / acc.x;
    acc.z += d * (v - acc.y);
  }
  sh[li] = acc;
  workgroupBarrier();
  for (var h = ${wg / 2}u; h > 0u; h >>= 1u) {
    if (li < h) { sh[li] = merge(sh[li], sh[li + h]); }
    workgroupBarrier();
  }
  let mu = sh[0].y;
  let vr = sh[0].z / f32(n);
  if (li == 0u) {
    mean[row] = mu;
    variance[row] = vr;
  }
  let r = inverseSqrt(vr + eps);
  let yb = rowOffset(row, 1u);
  ${c.weight ? `let wb = rowOffset(row, ${wk}u);` : ''}
  ${c.bias ? `let bb = rowOffset(row, ${bk}u);` : ''}
  for (var j = li; j < n; j += ${wg}u) {
    var v = (x[xb + colOffset(j, 0u)] - mu) * r;
    ${c.weight ? `v *= w[wb + colOffset(j, ${wk}u)];` : ''}
    ${c.bias ? `v += b[bb + colOffset(j, ${bk}u)];` : ''}
    y[yb + colOffset(j, 1u)] = v;
  }
}`,
  };
}

/** The backward kernel. Bindings: x, gy, mean, variance, weight?, gx (written). */
export function normalizeBackwardKernel(c: Omit<NormKernelConfig, 'bias'>): KernelSource {
  const wg = c.workgroup;
  // operand order of the layouts: x, gy, gx, weight?
  const operands = c.weight ? 4 : 3;
  const g = c.weight ? 'gy[gb + colOffset(j, 1u)] * w[wb + colOffset(j, 3u)]' : 'gy[gb + colOffset(j, 1u)]';
  return {
    key: `normalizeBackward:${c.layout.rowRank}:${c.layout.colRank}:${c.weight ? 'w' : ''}:${wg}`,
    workgroupSize: [wg, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
${c.weight ? '@group(0) @binding(4) var<storage, read> w: array<f32>;' : ''}
@group(0) @binding(${c.weight ? 5 : 4}) var<storage, read_write> gx: array<f32>;
@group(0) @binding(${c.weight ? 6 : 5}) var<storage, read> p: array<u32>;
var<workgroup> sh: array<vec2f, ${wg}>;
${rowSetup(c.layout, 5, operands)}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p[0]) { return; }
  let n = p[1];
  let mu = mean[p[3] + row];
  let r = inverseSqrt(variance[p[4] + row] + bitcast<f32>(p[2]));
  let xb = rowOffset(row, 0u);
  let gb = rowOffset(row, 1u);
  ${c.weight ? 'let wb = rowOffset(row, 3u);' : ''}
  var acc = vec2f(0.0);
  for (var j = li; j < n; j += ${wg}u) {
    let xh = (x[xb + colOffset(j, 0u)] - mu) * r;
    let g = ${g};
    acc += vec2f(g, g * xh);
  }
  sh[li] = acc;
  workgroupBarrier();
  for (var h = ${wg / 2}u; h > 0u; h >>= 1u) {
    if (li < h) { sh[li] += sh[li + h]; }
    workgroupBarrier();
  }
  let mg = sh[0].x / f32(n);
  let mgx = sh[0].y / f32(n);
  let ob = rowOffset(row, 2u);
  for (var j = li; j < n; j += ${wg}u) {
    let xh = (x[xb + colOffset(j, 0u)] - mu) * r;
    let g = ${g};
    gx[ob + colOffset(j, 2u)] = r * (g - mg - xh * mgx);
  }
}`,
  };
}

function rowsOf(shape: readonly number[], rowDims: number): [number, number] {
  const rows = shape.slice(0, rowDims).reduce((a, d) => a * d, 1);
  const cols = shape.slice(rowDims).reduce((a, d) => a * d, 1);
  return [rows, cols];
}

/** See {@link Backend.normalize}. */
export function normalize(rt: Runtime, x: View, weight: View | null, bias: View | null, out: View, mean: Storage, variance: Storage, np: NormParams): void {
  const [rows, cols] = rowsOf(x.shape, np.rowDims);
  if (rows === 0 || cols === 0) return;
  const p = params().u32(rows).u32(cols).f32(np.eps);
  const affine = [weight, bias].filter((v): v is View => v !== null);
  const layout = writeLayout(p, [x, out, ...affine], np.rowDims);
  const kernel = normalizeKernel({ layout, weight: !!weight, bias: !!bias, workgroup: workgroupFor(cols) });
  const buffers = [x, ...affine].map(bufferOf);
  rt.dispatch(kernel, [...buffers, bufferOf(out), bufferOf(mean), bufferOf(variance)], p, linearGrid(rows, 1));
}

/** See {@link Backend.normalizeBackward}. */
export function normalizeBackward(rt: Runtime, x: View, weight: View | null, gy: View, mean: View, variance: View, gx: View, np: NormParams): void {
  const [rows, cols] = rowsOf(x.shape, np.rowDims);
  if (rows === 0 || cols === 0) return;
  const p = params().u32(rows).u32(cols).f32(np.eps).u32(mean.offset).u32(variance.offset);
  const layout = writeLayout(p, weight ? [x, gy, gx, weight] : [x, gy, gx], np.rowDims);
  const kernel = normalizeBackwardKernel({ layout, weight: !!weight, workgroup: workgroupFor(cols) });
  const buffers = [x, gy, mean, variance, ...(weight ? [weight] : [])].map(bufferOf);
  rt.dispatch(kernel, [...buffers, bufferOf(gx)], p, linearGrid(rows, 1));
}
