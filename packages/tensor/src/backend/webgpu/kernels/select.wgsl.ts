import type { Storage, View } from '../../backend';
import { numel, type Shape } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { wgsl } from '../wgsl/tag';

const WG = 64;

/**
 * Stream compaction, the last pass of nonzero, maskedSelect and unique (after a flag pass and the
 * scan kernel's running count): invocation i reads the inclusive count at i and at i − 1; where
 * it grew, element i is the count-th flagged one and writes its row-major coordinates to that row
 * of the output. One pass, no atomics, so the order is the input order on every device.
 * Params: `[n, rank, counts offset, counts stride, shape…]`.
 */
const compactKernel = memoKernel(function compactKernel(): KernelSource {
  return {
    key: 'compact',
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> counts: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  let step = bitcast<i32>(p[3]);
  let at = i32(p[2]) + i32(i) * step;
  let c = counts[u32(at)];
  var before = 0u;
  if (i > 0u) { before = counts[u32(at - step)]; }
  if (c == before) { return; }
  let rank = p[1];
  var rest = i;
  for (var k = rank; k > 0u; k--) {
    let size = p[3u + k];
    y[(c - 1u) * rank + k - 1u] = rest % size;
    rest = rest / size;
  }
}`,
  };
});

/** See {@link Backend.compact}: `counts` int32 [numel(shape)], `out` int32 [count, rank]. */
export function compact(rt: Runtime, counts: View, shape: Shape, out: Storage): void {
  rt.checkAlive();
  if (out.size === 0) return;
  const n = numel(shape);
  const p = params()
    .u32(n)
    .u32(shape.length)
    .u32(counts.offset)
    .i32(counts.strides[0] ?? 1)
    .u32s(shape);
  rt.dispatch(compactKernel(), [bufferOf(counts), bufferOf(out)], p, linearGrid(n, WG));
}
