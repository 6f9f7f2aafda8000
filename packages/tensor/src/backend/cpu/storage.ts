import type { TypedArray } from '../../dtype';
import type { Storage, View } from '../backend';

/**
 * CPU storage: the elements live in a typed array of the storage's dtype — a view into the CPU
 * heap (./heap.ts) when `block` is set, else a plain array.
 */
export interface CpuStorage extends Storage {
  readonly device: 'cpu';
  readonly data: TypedArray;
  /** Byte address of the storage's heap block (its `data.byteOffset`); absent for a plain array. */
  block?: number;
  /** A reused heap block not yet cleared: {@link dataOf} zeroes it on first access. */
  dirty?: boolean;
}

/**
 * The typed array behind a view on the CPU backend. A fresh storage reads as zeros (a reused
 * heap block is cleared here, on first access).
 */
export function dataOf(x: View | Storage): TypedArray {
  const s = ('storage' in x ? x.storage : x) as CpuStorage;
  if (s.dirty) {
    s.data.fill(0);
    s.dirty = false;
  }
  return s.data;
}

/**
 * The typed array of an output storage that the caller overwrites entirely (so a reused heap
 * block need not be cleared first).
 */
export function outData(s: Storage): TypedArray {
  (s as CpuStorage).dirty = false;
  return (s as CpuStorage).data;
}

/** The heap address of `x`'s first element, or −1 when its storage is not in the heap. */
export function heapAddress(x: View | Storage): number {
  const v = 'storage' in x ? x : null;
  const s = (v ? v.storage : x) as CpuStorage;
  if (s.block === undefined) return -1;
  if (s.dirty) dataOf(s);
  return s.block + (v ? v.offset : 0) * s.data.BYTES_PER_ELEMENT;
}
