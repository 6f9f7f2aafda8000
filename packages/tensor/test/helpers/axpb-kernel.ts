import type { KernelSource } from '../../src/backend/webgpu/pipeline-cache';
import { LINEAR_BUILTINS, linearIndex } from '../../src/backend/webgpu/wgsl/grid';

/**
 * A small kernel for the WebGPU runtime tests: y[i] = a·x[i] + `term` for i < p[0], with
 * a = bitcast<f32>(p[1]); bindings x (read), y (read_write), p (params). `term` is WGSL, e.g.
 * `y[i]` to accumulate.
 */
export function axpbKernel(key: string, term: string): KernelSource {
  return {
    key,
    workgroupSize: [64, 1, 1],
    code: `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
@compute @workgroup_size(64)
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(64)};
  if (i >= p[0]) { return; }
  y[i] = bitcast<f32>(p[1]) * x[i] + ${term};
}`,
  };
}
