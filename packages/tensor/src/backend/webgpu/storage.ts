import type { Storage, View } from '../backend';
import type { Runtime } from './runtime';

/** WebGPU storage: one 32-bit word per element in a pooled GPUBuffer (see wgsl/dtype.ts). */
export interface GpuStorage extends Storage {
  readonly device: 'webgpu';
  readonly buffer: GPUBuffer;
}

/**
 * A scalar constant (`Backend.constant`): no buffer; elementwise kernels read its stored 32-bit
 * `word` from their parameters, so making one costs no host→device write.
 */
export interface GpuConstant extends Storage {
  readonly device: 'webgpu';
  readonly size: 1;
  /** The value as stored in the dtype's word (see wgsl/dtype.ts). */
  readonly word: number;
}

/** The stored word of a view of a scalar constant, or undefined for a view of a buffer. */
export function constantWord(x: View | Storage): number | undefined {
  const s = 'storage' in x ? x.storage : x;
  return (s as Partial<GpuConstant>).word;
}

/** The GPUBuffer behind a view or storage on the WebGPU backend (never a scalar constant). */
export function bufferOf(x: View | Storage): GPUBuffer {
  const s = 'storage' in x ? x.storage : x;
  const buffer = (s as GpuStorage).buffer;
  if (!buffer) throw new Error('webgpu: a scalar constant has no buffer; only elementwise kernels, copy and read take one');
  return buffer;
}

/**
 * A pooled float32 scratch buffer of `size` elements for a primitive's intermediate results; give
 * it back with `rt.releaseBuffer(s.buffer)` once its last dispatch is recorded.
 */
export function scratchStorage(rt: Runtime, size: number): GpuStorage {
  const buffer = rt.createBuffer(Math.max(1, size) * 4);
  return { device: 'webgpu', dtype: 'float32', size, bytes: buffer.size, refs: 0, buffer };
}
