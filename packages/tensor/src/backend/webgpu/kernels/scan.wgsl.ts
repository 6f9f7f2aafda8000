import type { ScanOp, Storage, View } from '../../backend';
import { contiguousStrides } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { stridedIndexWgsl, writeStrided } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/**
 * Inclusive scans (cumsum, cumprod) along one dim, one workgroup per row. Invocation i owns the
 * i-th contiguous chunk of ⌈n / wg⌉ positions: it folds its chunk (pass 1), the workgroup scans
 * the wg chunk totals in workgroup memory (Hillis–Steele, log₂ wg steps), and each invocation
 * folds its chunk again from the total of the chunks before it, writing every prefix (pass 2).
 * Any row length runs in this one dispatch, reading x twice. float32 rounding differs from the
 * CPU's sequential float64 accumulation in the last bits (the sum is associated differently);
 * int32 wraps modulo 2³² as on the CPU.
 *
 * Params: `[rows, n, x stride, out stride, reverse]` (i32 strides along dim), then the other
 * dims' strided layout of x and out from word 5.
 */

const BASE = 5;

interface ScanConfig {
  op: ScanOp;
  dtype: 'float32' | 'int32';
  rank: number;
  workgroup: 64 | 256;
}

export const scanKernel = memoKernel(function scanKernel(c: ScanConfig): KernelSource {
  const wg = c.workgroup;
  const T = c.dtype === 'float32' ? 'f32' : 'i32';
  const id = c.op === 'sum' ? (T === 'f32' ? '0.0' : '0') : T === 'f32' ? '1.0' : '1';
  const sym = c.op === 'sum' ? '+' : '*';
  return {
    key: `scan:${c.op}:${c.dtype}:${c.rank}:${wg}`,
    workgroupSize: [wg, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
var<workgroup> part: array<${T}, ${wg}>;
${stridedIndexWgsl(c.rank, BASE, 'rowOffset')}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p[0]) { return; }
  let n = p[1];
  let xs = bitcast<i32>(p[2]);
  let ys = bitcast<i32>(p[3]);
  let rev = p[4] != 0u;
  let xb = i32(rowOffset(row, 0u));
  let yb = i32(rowOffset(row, 1u));
  let chunk = (n + ${wg - 1}u) / ${wg}u;
  let start = min(li * chunk, n);
  let end = min(start + chunk, n);
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
  var run: ${T} = ${id};
  if (li > 0u) { run = part[li - 1u]; }
  for (var j = start; j < end; j++) {
    let at = i32(select(j, n - 1u - j, rev));
    run = run ${sym} bitcast<${T}>(x[xb + at * xs]);
    y[yb + at * ys] = bitcast<u32>(run);
  }
}`,
  };
});

/** Inclusive scan of the float32 or int32 view `x` along `dim` into the contiguous `out` (same dtype). */
export function scan(rt: Runtime, op: ScanOp, x: View, dim: number, reverse: boolean, out: Storage): void {
  rt.checkAlive();
  if (out.size === 0) return;
  const rank = x.shape.length;
  const n = rank === 0 ? 1 : x.shape[dim];
  const rows = out.size / n;
  const os = contiguousStrides(x.shape);
  const others = x.shape.map((_, i) => i).filter((i) => i !== dim);
  const p = params()
    .u32(rows)
    .u32(n)
    .i32(rank === 0 ? 0 : x.strides[dim])
    .i32(rank === 0 ? 0 : os[dim])
    .u32(reverse ? 1 : 0);
  const layout = writeStrided(
    p,
    others.map((i) => x.shape[i]),
    [
      { strides: others.map((i) => x.strides[i]), offset: x.offset },
      { strides: others.map((i) => os[i]), offset: 0 },
    ],
  );
  const dtype = x.storage.dtype === 'float32' ? 'float32' : 'int32';
  const kernel = scanKernel({ op, dtype, rank: layout, workgroup: n > 1024 ? 256 : 64 });
  rt.dispatch(kernel, [bufferOf(x), bufferOf(out)], p, linearGrid(rows, 1));
}
