/**
 * CPU storage allocation: a view into the heap (./heap.ts) when it has room, else a plain typed
 * array. A reused heap block is marked dirty and cleared on first access (./storage.ts), unless
 * a kernel overwrites it whole. Freeing a heap storage detaches its `data` (an empty array), so a
 * stale reference reads nothing rather than the next owner's values.
 */
import { allocArray, bytesPerElement, type DType, type TypedArray } from '../../dtype';
import { heapAlloc, heapFree, heapMemory, reusedLast } from './heap';
import type { CpuStorage } from './storage';

const VIEW = {
  float32: Float32Array,
  int32: Int32Array,
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
} satisfies Record<DType, { new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray }>;

/** A storage in the heap, or null when the heap cannot serve it. */
export function heapStorage(dtype: DType, size: number): CpuStorage | null {
  const mem = heapMemory();
  const at = mem && heapAlloc(Math.max(1, size * bytesPerElement(dtype)));
  if (!mem || !at) return null;
  const data = new VIEW[dtype](mem.buffer, at, size);
  return { device: 'cpu', dtype, size, bytes: data.byteLength, refs: 0, data, block: at, dirty: reusedLast };
}

/** A storage in a plain typed array (zeroed). */
export function plainStorage(dtype: DType, size: number): CpuStorage {
  const data = allocArray(dtype, size);
  return { device: 'cpu', dtype, size, bytes: data.byteLength, refs: 0, data };
}

const EMPTY = {
  float32: new Float32Array(0),
  int32: new Int32Array(0),
  bool: new Uint8Array(0),
  int8: new Int8Array(0),
  uint8: new Uint8Array(0),
} satisfies Record<DType, TypedArray>;

/** Returns a heap storage's block (once); a plain storage is left to the garbage collector. */
export function freeHeapStorage(s: CpuStorage): void {
  if (s.block === undefined) return;
  heapFree(s.block, Math.max(1, s.size * bytesPerElement(s.dtype)));
  s.block = undefined;
  (s as { data: TypedArray }).data = EMPTY[s.dtype];
  s.dirty = false;
}
