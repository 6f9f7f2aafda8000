import type { View } from '../../backend';
import type { DType } from '../../../dtype';
import { numel } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { convertWord } from '../wgsl/dtype';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { collapseDims, stridedIndexWgsl, writeStrided } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/** Strided copy and fill, generated per (rank, source dtype, destination dtype). */

const WG = 64;

/** out[strided] = cast(x[strided]); params: numel, then the strided layout of x and out. */
export const copyKernel = memoKernel(function copyKernel(rank: number, from: DType, to: DType): KernelSource {
  return {
    key: `copy:${rank}:${from}:${to}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
${stridedIndexWgsl(rank, 1)}
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  let w = x[stridedOffset(i, 0u)];
  y[stridedOffset(i, 1u)] = ${convertWord('w', from, to)};
}`,
  };
});

/** out[strided] = word; params: numel, word, then the strided layout of out. */
export const fillKernel = memoKernel(function fillKernel(rank: number): KernelSource {
  return {
    key: `fill:${rank}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@group(0) @binding(1) var<storage, read> p: array<u32>;
${stridedIndexWgsl(rank, 2)}
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  y[stridedOffset(i, 0u)] = p[1];
}`,
  };
});

/** Element i of a view is at `offset + i` for every i (after dropping size-1 dims). */
function isDense(x: View): boolean {
  const c = collapseDims(x.shape, [x.strides]);
  return c.shape.length === 0 || (c.shape.length === 1 && c.strides[0][0] === 1);
}

/** Strided copy with dtype conversion; a buffer copy when both sides are dense and of one dtype. */
export function copy(rt: Runtime, x: View, out: View): void {
  const n = numel(out.shape);
  if (n === 0) return;
  let src = bufferOf(x);
  const dst = bufferOf(out);
  if (x.storage.dtype === out.storage.dtype && isDense(x) && isDense(out) && src !== dst) {
    rt.copyBuffer(src, x.offset * 4, dst, out.offset * 4, n * 4);
    return;
  }
  // A kernel may not read and write one buffer: copy the source aside first.
  let aside: GPUBuffer | null = null;
  if (src === dst) {
    aside = rt.createBuffer(x.storage.size * 4);
    rt.copyBuffer(src, 0, aside, 0, x.storage.size * 4);
    src = aside;
  }
  const p = params().u32(n);
  const rank = writeStrided(p, out.shape, [x, out]);
  rt.dispatch(copyKernel(rank, x.storage.dtype, out.storage.dtype), [src, dst], p, linearGrid(n, WG));
  if (aside) rt.releaseBuffer(aside);
}

/** out[i] = word for every element of the view (the word already encodes out's dtype). */
export function fillWord(rt: Runtime, out: View, word: number): void {
  const n = numel(out.shape);
  if (n === 0) return;
  const p = params().u32(n).u32(word);
  const rank = writeStrided(p, out.shape, [out]);
  rt.dispatch(fillKernel(rank), [bufferOf(out)], p, linearGrid(n, WG));
}
