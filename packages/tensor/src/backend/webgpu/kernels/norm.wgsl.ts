import type { NormParams, PrimitiveArgs, Storage, View } from '../../backend';
import { numel } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { type ParamWriter, params } from '../wgsl/params';
import { stridedIndexWgsl, stridedWords, writeStrided } from '../wgsl/strided';
import { registerSlots, rowLoop } from '../wgsl/row-loop';
import { wgsl } from '../wgsl/tag';

/**
 * Row normalization (the core of layerNorm and batchNorm) and its input gradient, one workgroup
 * per row. A row is the trailing dims of views laid out [...rows, ...cols]; its cols may be any
 * strided set (batchNorm's rows are channels, its cols the batch and spatial positions).
 *
 * Forward: each invocation folds its strided share of the row into a Welford triple (count, mean,
 * M2), the triples are merged pairwise in workgroup memory (Chan et al.'s update, stable where
 * Σx² − (Σx)²/n is not), and a second pass writes (x − μ)·r·w + b with r = 1/√(σ² + eps). The
 * statistics match the CPU's two-pass float64 ones to float32 rounding.
 *
 * Backward: one pass sums g = gy·w and g·x̂ (x̂ recomputed from the saved μ, σ²) and, for the
 * weight's gradient, writes gy·x̂; the tree adds the pairs, a second pass writes
 * r·(g − mean(g) − x̂·mean(g·x̂)).
 *
 * Few long rows (batchNorm: 64 channels of 100,000 values) would leave most of a GPU idle with one
 * workgroup per row, so such rows are split into `chunks` spans of ≥ 4,096 cols (aiming at 1,024
 * workgroups in all) and each op runs in two dispatches: `partial` workgroups reduce one span each
 * into a scratch buffer of per-span partials, then `apply` workgroups merge their row's partials
 * and write their span. Unsplit rows run one `whole` dispatch, and when a row fits in 32 values
 * per invocation it is read from memory once: each invocation keeps its values (the backward: its
 * x̂ and g) in registers between the passes. Split rows and longer ones read x twice.
 *
 * Params: `[rows, cols, eps (f32 bits), chunks, span, …]` (the backward adds the offsets of mean
 * and variance), then the strided layout of the row dims over the operands, then that of the col
 * dims (offsets 0). The row index space and the col index space each collapse separately, so the
 * usual layouts (contiguous layerNorm rows; batchNorm's [C] × [N, H·W]) index with a multiply or
 * one div/mod.
 */

/** How a dispatch covers the rows: one workgroup per row, or per span in two steps. */
export type NormMode = 'whole' | 'partial' | 'apply';

interface NormLayout {
  rowRank: number;
  colRank: number;
  /** Word where the col layout starts. */
  colBase: number;
}

/** Append the row and col layouts of `views` ([...rows, ...cols], the first `rowDims` dims being rows). */
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

/** Spans per row: 1 unless the rows are too few to fill a GPU and long enough to share out. */
export function chunksFor(rows: number, cols: number): number {
  const MIN_SPAN = 4096;
  const TARGET_WORKGROUPS = 1024;
  return Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / rows), Math.floor(cols / MIN_SPAN)));
}

/**
 * The WGSL main of both kernels. After `setup` (per-row statements), `acc` (type `T`, zero
 * `zero`) folds the span through `fold` (statements reading `j`, the col, and `t`, its register
 * slot when `slots` > 0), partials merge with `combine(a, b) -> T` (declared by the caller),
 * `finish` (statements reading `total`, the row's merged T) runs before the write loop `write`
 * (statements reading `j` and `t`). `part` is the scratch array of vec4f partials. With `slots`,
 * the loops run over a constant number of slots, so compilers unroll them and per-slot arrays
 * stay in registers: `fold` keeps what `write` needs and the row is read from memory once.
 */
function mainBody(
  mode: NormMode,
  wg: number,
  slots: number,
  t: { type: string; zero: string; width: 2 | 3; setup: string; fold: string; finish: string; write: string },
): string {
  const pad = t.width === 3 ? ', 0.0' : ', 0.0, 0.0';
  const swizzle = t.width === 3 ? 'xyz' : 'xy';
  const loop = (body: string) => rowLoop({ start: 'c0', end: 'c1', workgroup: wg, slots }, body);
  const gather = mode === 'apply' ? `for (var s = li; s < chunks; s += ${wg}u) { acc = combine(acc, part[row * chunks + s].${swizzle}); }` : loop(t.fold);
  const tail = mode === 'partial' ? `if (li == 0u) { part[g] = vec4f(total${pad}); }` : `${t.finish}\n  ${loop(t.write)}`;
  return `@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wid.x + wid.y * nwg.x;
  let chunks = p[3];
  if (g >= p[0] * chunks) { return; }
  let row = g / chunks;
  let chunk = g % chunks;
  let n = p[1];
  let c0 = chunk * p[4];
  let c1 = min(n, c0 + p[4]);
  let xb = rowOffset(row, 0u);
  ${t.setup}
  var acc: ${t.type} = ${t.zero};
  ${gather}
  sh[li] = acc;
  workgroupBarrier();
  for (var h = ${wg / 2}u; h > 0u; h >>= 1u) {
    if (li < h) { sh[li] = combine(sh[li], sh[li + h]); }
    workgroupBarrier();
  }
  let total = sh[0];
  ${tail}
}`;
}

/** The scratch partials' declaration, when the mode has them. */
function partBinding(mode: NormMode, binding: number): string {
  if (mode === 'whole') return '';
  return `@group(0) @binding(${binding}) var<storage, ${mode === 'partial' ? 'read_write' : 'read'}> part: array<vec4f>;`;
}

function offsets(rowRank: number, colRank: number, base: number, operands: number, colBase: number): string {
  if (colBase !== base + stridedWords(rowRank, operands)) throw new Error('webgpu normalize: params layout mismatch');
  return `${stridedIndexWgsl(rowRank, base, 'rowOffset')}
${stridedIndexWgsl(colRank, colBase, 'colOffset')}`;
}

export interface NormKernelConfig {
  mode: NormMode;
  layout: NormLayout;
  weight: boolean;
  bias: boolean;
  /** Backward: also write gy·x̂ (the weight's gradient per element). */
  gyXhat?: boolean;
  workgroup: 64 | 256;
  /** Register slots per invocation (`whole` rows of ≤ 32·workgroup cols), or 0 to read x twice. */
  slots: number;
}

/**
 * The forward kernel. Bindings: x, weight?, bias?, then by mode — whole: out, mean, variance
 * (written); partial: part (written); apply: part, out, mean, variance (the last three written).
 */
export const normalizeKernel = memoKernel(function normalizeKernel(c: NormKernelConfig): KernelSource {
  const { mode, workgroup: wg } = c;
  const inputs = ['x', ...(c.weight ? ['w'] : []), ...(c.bias ? ['b'] : [])];
  // operand order of the layouts: x, out, weight?, bias?
  const wk = 2;
  const bk = c.weight ? 3 : 2;
  let n = inputs.length;
  const decl = inputs.map((name, i) => `@group(0) @binding(${i}) var<storage, read> ${name}: array<f32>;`);
  if (mode !== 'whole') decl.push(partBinding(mode, n++));
  const outputs = mode === 'partial' ? [] : ['y', 'mean', 'variance'];
  for (const name of outputs) decl.push(`@group(0) @binding(${n++}) var<storage, read_write> ${name}: array<f32>;`);
  decl.push(`@group(0) @binding(${n}) var<storage, read> p: array<u32>;`);
  const access = decl.slice(0, n).map((d) => (d.includes('read_write') ? ('read_write' as const) : ('read' as const)));
  return {
    key: `normalize:${mode}:${c.layout.rowRank}:${c.layout.colRank}:${c.weight ? 'w' : ''}${c.bias ? 'b' : ''}:${wg}:s${c.slots}`,
    workgroupSize: [wg, 1, 1],
    bindings: access,
    code: wgsl`
${decl.join('\n')}
var<workgroup> sh: array<vec3f, ${wg}>;
${offsets(c.layout.rowRank, c.layout.colRank, 5, inputs.length + 1, c.layout.colBase)}
// Merge two (count, mean, M2) partials (Chan, Golub & LeVeque).
fn combine(a: vec3f, b: vec3f) -> vec3f {
  if (b.x == 0.0) { return a; }
  let n = a.x + b.x;
  let d = b.y - a.y;
  let f = b.x / n;
  return vec3f(n, a.y + d * f, a.z + b.z + d * d * a.x * f);
}
${mainBody(mode, wg, c.slots, {
  type: 'vec3f',
  zero: 'vec3f(0.0)',
  width: 3,
  setup: c.slots ? `var vals: array<f32, ${c.slots}>;` : '',
  fold: `let v = x[xb + colOffset(j, 0u)];${c.slots ? '\n    vals[t] = v;' : ''}
    acc.x += 1.0;
    let d = v - acc.y;
    acc.y += d / acc.x;
    acc.z += d * (v - acc.y);`,
  finish: `let mu = total.y;
  let vr = total.z / f32(n);
  if (li == 0u && chunk == 0u) {
    mean[row] = mu;
    variance[row] = vr;
  }
  let r = inverseSqrt(vr + bitcast<f32>(p[2]));
  let yb = rowOffset(row, 1u);
  ${c.weight ? `let wb = rowOffset(row, ${wk}u);` : ''}
  ${c.bias ? `let bb = rowOffset(row, ${bk}u);` : ''}`,
  write: `var v = (${c.slots ? 'vals[t]' : 'x[xb + colOffset(j, 0u)]'} - mu) * r;
    ${c.weight ? `v *= w[wb + colOffset(j, ${wk}u)];` : ''}
    ${c.bias ? `v += b[bb + colOffset(j, ${bk}u)];` : ''}
    y[yb + colOffset(j, 1u)] = v;`,
})}`,
  };
});

/**
 * The backward kernel. Bindings: x, gy, mean, variance, weight?, gyXhat? (written by the modes
 * that read the row: whole and partial), then by mode — whole: gx (written); partial: part
 * (written); apply: part, gx (written).
 */
export const normalizeBackwardKernel = memoKernel(function normalizeBackwardKernel(c: Omit<NormKernelConfig, 'bias'>): KernelSource {
  const { mode, workgroup: wg } = c;
  // operand order of the layouts: x, gy, gx, weight?, gyXhat?
  const hk = c.weight ? 4 : 3;
  const g = c.weight ? 'gyv * w[wb + colOffset(j, 3u)]' : 'gyv';
  const decl = ['x', 'gy', 'mean', 'variance', ...(c.weight ? ['w'] : [])].map((name, i) => `@group(0) @binding(${i}) var<storage, read> ${name}: array<f32>;`);
  if (c.gyXhat) decl.push(`@group(0) @binding(${decl.length}) var<storage, read_write> gh: array<f32>;`);
  let n = decl.length;
  if (mode !== 'whole') decl.push(partBinding(mode, n++));
  if (mode !== 'partial') decl.push(`@group(0) @binding(${n++}) var<storage, read_write> gx: array<f32>;`);
  decl.push(`@group(0) @binding(${n}) var<storage, read> p: array<u32>;`);
  const access = decl.slice(0, n).map((d) => (d.includes('read_write') ? ('read_write' as const) : ('read' as const)));
  return {
    key: `normalizeBackward:${mode}:${c.layout.rowRank}:${c.layout.colRank}:${c.weight ? 'w' : ''}${c.gyXhat ? 'h' : ''}:${wg}:s${c.slots}`,
    workgroupSize: [wg, 1, 1],
    bindings: access,
    code: wgsl`
${decl.join('\n')}
var<workgroup> sh: array<vec2f, ${wg}>;
${offsets(c.layout.rowRank, c.layout.colRank, 7, 3 + (c.weight ? 1 : 0) + (c.gyXhat ? 1 : 0), c.layout.colBase)}
fn combine(a: vec2f, b: vec2f) -> vec2f { return a + b; }
${mainBody(mode, wg, c.slots, {
  type: 'vec2f',
  zero: 'vec2f(0.0)',
  width: 2,
  setup: `let mu = mean[p[5] + row];
  let r = inverseSqrt(variance[p[6] + row] + bitcast<f32>(p[2]));
  let gb = rowOffset(row, 1u);
  ${c.weight ? 'let wb = rowOffset(row, 3u);' : ''}
  ${c.gyXhat ? `let hb = rowOffset(row, ${hk}u);` : ''}
  ${c.slots ? `var xhs: array<f32, ${c.slots}>;\n  var gs: array<f32, ${c.slots}>;` : ''}`,
  fold: `let xh = (x[xb + colOffset(j, 0u)] - mu) * r;
    let gyv = gy[gb + colOffset(j, 1u)];
    let g = ${g};${c.slots ? '\n    xhs[t] = xh;\n    gs[t] = g;' : ''}${c.gyXhat ? `\n    gh[hb + colOffset(j, ${hk}u)] = gyv * xh;` : ''}
    acc += vec2f(g, g * xh);`,
  finish: `let mg = total.x / f32(n);
  let mgx = total.y / f32(n);
  let ob = rowOffset(row, 2u);`,
  write: `let xh = ${c.slots ? 'xhs[t]' : '(x[xb + colOffset(j, 0u)] - mu) * r'};
    ${c.slots ? 'let g = gs[t];' : `let gyv = gy[gb + colOffset(j, 1u)];\n    let g = ${g};`}
    gx[ob + colOffset(j, 2u)] = r * (g - mg - xh * mgx);`,
})}`,
  };
});

function rowsOf(shape: readonly number[], rowDims: number): [number, number] {
  return [numel(shape.slice(0, rowDims)), numel(shape.slice(rowDims))];
}

/** Options for tests: force a number of spans per row (else {@link chunksFor}), or no register cache. */
export interface NormRunOptions {
  chunks?: number;
  /** Keep unsplit rows of up to 32·workgroup cols in registers (default true). */
  cache?: boolean;
}

/** What {@link run} decides per dispatch; the caller's kernel adds its operand flags. */
type RunKernelConfig = Pick<NormKernelConfig, 'mode' | 'layout' | 'workgroup' | 'slots'>;

/**
 * Run `kernel` over the rows of `x` (`np.rowDims` leading dims): one `whole` dispatch, or
 * `partial` then `apply` with a scratch buffer of vec4f partials between them. `inputs` bind
 * first, `outputs` last; params are rows, cols, eps, chunks, span, the `extra` words, then the
 * layout of `views`.
 */
function run(
  rt: Runtime,
  x: View,
  np: NormParams,
  opts: NormRunOptions,
  kernel: (c: RunKernelConfig) => KernelSource,
  extra: number[],
  views: readonly View[],
  inputs: readonly (View | Storage)[],
  outputs: readonly (View | Storage)[],
): void {
  rt.checkAlive();
  const [rows, cols] = rowsOf(x.shape, np.rowDims);
  if (rows === 0 || cols === 0) return;
  const chunks = opts.chunks ?? chunksFor(rows, cols);
  const span = Math.ceil(cols / chunks);
  const p = params()
    .u32s([rows, cols])
    .f32(np.eps)
    .u32s([chunks, span, ...extra]);
  const layout = writeLayout(p, views, np.rowDims);
  const wg = span > 1024 ? 256 : 64;
  const grid = linearGrid(rows * chunks, 1);
  const [ins, outs] = [inputs.map(bufferOf), outputs.map(bufferOf)];
  if (chunks === 1) {
    const slots = (opts.cache ?? true) ? registerSlots(cols, wg) : 0;
    rt.dispatch(kernel({ mode: 'whole', layout, workgroup: wg, slots }), [...ins, ...outs], p, grid);
    return;
  }
  const part = rt.createBuffer(rows * chunks * 16);
  rt.dispatch(kernel({ mode: 'partial', layout, workgroup: wg, slots: 0 }), [...ins, part], p, grid);
  rt.dispatch(kernel({ mode: 'apply', layout, workgroup: wg, slots: 0 }), [...ins, part, ...outs], p, grid);
  rt.releaseBuffer(part);
}

/** See {@link Backend.normalize}. */
export function normalize(rt: Runtime, ...args: [...PrimitiveArgs<'normalize'>, NormRunOptions?]): void {
  const [x, weight, bias, out, mean, variance, np, opts = {}] = args;
  const affine = [weight, bias].filter((v): v is View => v !== null);
  run(rt, x, np, opts, (c) => normalizeKernel({ ...c, weight: !!weight, bias: !!bias }), [], [x, out, ...affine], [x, ...affine], [out, mean, variance]);
}

/** See {@link Backend.normalizeBackward}. */
export function normalizeBackward(rt: Runtime, ...args: [...PrimitiveArgs<'normalizeBackward'>, NormRunOptions?]): void {
  const [x, weight, gy, mean, variance, gx, gyXhat, np, opts = {}] = args;
  const extra = [weight, gyXhat].filter((v): v is View => v !== null);
  const kernel = (c: RunKernelConfig) => normalizeBackwardKernel({ ...c, weight: !!weight, gyXhat: !!gyXhat });
  run(rt, x, np, opts, kernel, [mean.offset, variance.offset], [x, gy, gx, ...extra], [x, gy, mean, variance, ...extra], [gx]);
}
