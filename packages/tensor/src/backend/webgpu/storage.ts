import type { Storage, View } from '../backend';

/** WebGPU storage: one 32-bit word per element in a pooled GPUBuffer (see wgsl/dtype.ts). */
export interface GpuStorage extends Storage {
  readonly device: 'webgpu';
  readonly buffer: GPUBuffer;
}

/** The GPUBuffer behind a view or storage on the WebGPU backend. */
export function bufferOf(x: View | Storage): GPUBuffer {
  const s = 'storage' in x ? x.storage : x;
  return (s as GpuStorage).buffer;
}
