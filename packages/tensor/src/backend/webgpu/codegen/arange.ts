import type { Storage } from '../../backend';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { wgsl } from '../wgsl/tag';

const WG = 64;

/**
 * out[i] = start + i·step into a contiguous int32 or float32 storage, in int32 arithmetic (the op
 * only sends integers below 2^24, exact in both); params: n, start, step. The index tables of
 * arange, oneHot and the reflect/replicate/circular pads are made here instead of uploaded.
 */
const arangeKernel = memoKernel(function arangeKernel(float: boolean): KernelSource {
  return {
    key: `arange:${float ? 'f32' : 'i32'}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@group(0) @binding(1) var<storage, read> p: array<u32>;
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  let v = bitcast<i32>(p[1]) + i32(i) * bitcast<i32>(p[2]);
  y[i] = ${float ? 'bitcast<u32>(f32(v))' : 'bitcast<u32>(v)'};
}`,
  };
});

/** Fill `out` (fresh, contiguous, int32 or float32) with start, start + step, … on the device. */
export function arange(rt: Runtime, out: Storage, start: number, step: number): void {
  if (out.size === 0) return;
  const p = params().u32(out.size).i32(start).i32(step);
  rt.dispatch(arangeKernel(out.dtype === 'float32'), [bufferOf(out)], p, linearGrid(out.size, WG));
}
