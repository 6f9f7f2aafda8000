import type { ScanOp, Storage, View } from '../../backend';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { type ParamWriter, params } from '../wgsl/params';
import { stridedIndexWgsl, rowLayout } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/**
 * Inclusive scans (cumsum, cumprod) along one dim. A workgroup scans one segment of a row:
 * invocation i owns the i-th contiguous chunk of the segment, folds it (pass 1), the workgroup
 * scans the chunk totals in workgroup memory (Hillis–Steele, log₂ wg steps), and each invocation
 * folds its chunk again from the total of the chunks before it, writing every prefix (pass 2).
 *
 * Rows up to {@link SCAN_SEGMENT} are one segment (one dispatch). Longer rows are cut into
 * segments that run in parallel: one dispatch writes each segment's total, a second scans the
 * totals of each row (as rows of their own), and a third rescans every segment from the total of
 * the segments before it. float32 rounding differs from the CPU's sequential float64
 * accumulation in the last bits (the sum is associated differently); int32 wraps modulo 2³² as on
 * the CPU. `reverse` scans from the end of the row (the gradient of cumsum).
 *
 * Params: `[rows, n, x stride, out stride, reverse, segment length, segments per row]` (i32
 * strides along dim), then the other dims' strided layout of x and out from word 7.
 */

const BASE = 7;

/** Longest segment one workgroup scans; longer rows are split into segments of this length. */
export const SCAN_SEGMENT = 8192;

/** 'row': scan whole segments into out; 'totals': only each segment's total; 'carry': scan from the totals before. */
type ScanMode = 'row' | 'totals' | 'carry';

interface ScanConfig {
  op: ScanOp;
  dtype: 'float32' | 'int32';
  rank: number;
  workgroup: 64 | 256;
  mode: ScanMode;
}

export const scanKernel = memoKernel(function scanKernel(c: ScanConfig): KernelSource {
  const wg = c.workgroup;
  const T = c.dtype === 'float32' ? 'f32' : 'i32';
  const id = c.op === 'sum' ? (T === 'f32' ? '0.0' : '0') : T === 'f32' ? '1.0' : '1';
  const sym = c.op === 'sum' ? '+' : '*';
  const bindings =
    c.mode === 'carry'
      ? '@group(0) @binding(0) var<storage, read> x: array<u32>;\n@group(0) @binding(1) var<storage, read> carry: array<u32>;\n@group(0) @binding(2) var<storage, read_write> y: array<u32>;\n@group(0) @binding(3) var<storage, read> p: array<u32>;'
      : '@group(0) @binding(0) var<storage, read> x: array<u32>;\n@group(0) @binding(1) var<storage, read_write> y: array<u32>;\n@group(0) @binding(2) var<storage, read> p: array<u32>;';
  const rescan =
    c.mode === 'totals'
      ? `if (li == ${wg - 1}u) { y[g] = bitcast<u32>(part[li]); }`
      : `var run: ${T} = ${id};
  if (li > 0u) { run = part[li - 1u]; }
  ${c.mode === 'carry' ? `if (seg > 0u) { run = bitcast<${T}>(carry[g - 1u]) ${sym} run; }` : ''}
  for (var j = start; j < end; j++) {
    let at = i32(select(j, n - 1u - j, rev));
    run = run ${sym} bitcast<${T}>(x[xb + at * xs]);
    y[yb + at * ys] = bitcast<u32>(run);
  }`;
  return {
    key: `scan:${c.mode}:${c.op}:${c.dtype}:${c.rank}:${wg}`,
    workgroupSize: [wg, 1, 1],
    code: wgsl`
${bindings}
var<workgroup> part: array<${T}, ${wg}>;
${stridedIndexWgsl(c.rank, BASE, 'rowOffset')}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wid.x + wid.y * nwg.x;
  let row = g / p[6];
  if (row >= p[0]) { return; }
  let seg = g % p[6];
  let n = p[1];
  let xs = bitcast<i32>(p[2]);
  let ys = bitcast<i32>(p[3]);
  let rev = p[4] != 0u;
  let xb = i32(rowOffset(row, 0u));
  let yb = i32(rowOffset(row, 1u));
  let first = seg * p[5];
  let last = min(first + p[5], n);
  let chunk = (last - first + ${wg - 1}u) / ${wg}u;
  let start = min(first + li * chunk, last);
  let end = min(start + chunk, last);
  var acc: ${T} = ${id};
  for (var j = start; j < end; j++) {
    let at = i32(select(j, n - 1u - j, rev));
    acc = acc ${sym} bitcast<${T}>(x[xb + at * xs]);
  }
  part[li] = acc;
  workgroupBarrier();
  for (var s = 1u; s < ${wg}u; s <<= 1u) {
    var before: ${T} = ${id};
    if (li >= s) { before = part[li - s]; }
    workgroupBarrier();
    if (li >= s) { part[li] = before ${sym} part[li]; }
    workgroupBarrier();
  }
  ${rescan}
}`,
  };
});

/** Inclusive scan of the float32 or int32 view `x` along `dim` into the contiguous `out` (same dtype). */
export function scan(rt: Runtime, op: ScanOp, x: View, dim: number, reverse: boolean, out: Storage): void {
  rt.checkAlive();
  if (out.size === 0) return;
  const { n, rows, xStep, outStep, write } = rowLayout(x, dim, out.size);
  const segments = Math.ceil(n / SCAN_SEGMENT);
  const segment = segments === 1 ? n : SCAN_SEGMENT;
  const p = params()
    .u32(rows)
    .u32(n)
    .i32(xStep)
    .i32(outStep)
    .u32(reverse ? 1 : 0)
    .u32(segment)
    .u32(segments);
  const layout = write(p);
  const dtype = x.storage.dtype === 'float32' ? 'float32' : 'int32';
  const workgroup = n > 1024 ? 256 : 64;
  const grid = linearGrid(rows * segments, 1);
  if (segments === 1) {
    rt.dispatch(scanKernel({ op, dtype, rank: layout, workgroup, mode: 'row' }), [bufferOf(x), bufferOf(out)], p, grid);
    return;
  }
  const totals = rt.createBuffer(rows * segments * 4);
  const scanned = rt.createBuffer(rows * segments * 4);
  rt.dispatch(scanKernel({ op, dtype, rank: layout, workgroup, mode: 'totals' }), [bufferOf(x), totals], p, grid);
  // the totals as rows of their own: [rows, segments], contiguous, scanned forward (segment order)
  const q: ParamWriter = params().u32(rows).u32(segments).i32(1).i32(1).u32(0).u32(segments).u32(1).u32(rows).u32(0).i32(segments).u32(0).i32(segments);
  rt.dispatch(scanKernel({ op, dtype, rank: 1, workgroup: segments > 1024 ? 256 : 64, mode: 'row' }), [totals, scanned], q, linearGrid(rows, 1));
  rt.dispatch(scanKernel({ op, dtype, rank: layout, workgroup, mode: 'carry' }), [bufferOf(x), scanned, bufferOf(out)], p, grid);
  rt.releaseBuffer(totals);
  rt.releaseBuffer(scanned);
}
