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
  /** Copies derived from the values that kernels keep between calls (see {@link keepDerived}). */
  derived?: DerivedCopy[];
}

/**
 * A copy of a storage's values in another form that a kernel keeps between calls (e.g. an int8
 * weight packed for the gemm: ./wasm/int8-packed-b.ts), valid while the values do not change.
 * Every kernel reaches a CPU storage's values through {@link dataOf}, {@link outData} or
 * {@link heapAddress}, so each of them drops the storage's derived copies first (any access may
 * write); freeing the storage drops them too. A kernel that serves a call from a derived copy
 * therefore must not touch the storage's values.
 */
export interface DerivedCopy {
  /** Bytes it holds (counted by `memory()` while it lives). */
  readonly bytes: number;
  /** Frees it (called once, when dropped). */
  release(): void;
}

let derivedTotal = 0;

/** Bytes of all derived copies alive (what `memory()` adds to the CPU's storages). */
export const derivedBytes = (): number => derivedTotal;

/** Keep `copy` with `s` until its values may change or it is freed. */
export function keepDerived(s: Storage, copy: DerivedCopy): void {
  const c = s as CpuStorage;
  (c.derived ??= []).push(copy);
  derivedTotal += copy.bytes;
}

/** Releases every derived copy of `s` (before an access to its values, or when it is freed). */
export function dropDerived(s: CpuStorage): void {
  const copies = s.derived;
  if (!copies) return;
  s.derived = undefined;
  for (const c of copies) {
    derivedTotal -= c.bytes;
    c.release();
  }
}

/**
 * The typed array behind a view on the CPU backend. A fresh storage reads as zeros (a reused
 * heap block is cleared here, on first access).
 */
export function dataOf(x: View | Storage): TypedArray {
  const s = ('storage' in x ? x.storage : x) as CpuStorage;
  if (s.derived) dropDerived(s);
  if (s.dirty) {
    s.data.fill(0);
    s.dirty = false;
  }
  return s.data;
}

/**
 * {@link dataOf} for a kernel that only reads the values (here: the int8 gemm packing a B it keeps,
 * ./wasm/int8-packed-b.ts): the storage's derived copies stay valid. Never write through it.
 */
export function readData(x: View | Storage): TypedArray {
  const s = ('storage' in x ? x.storage : x) as CpuStorage;
  if (!s.derived) return dataOf(s);
  return s.data; // not dirty: it was read (or written) when its derived copies were made
}

/**
 * The typed array of an output storage that the caller overwrites entirely (so a reused heap
 * block need not be cleared first).
 */
export function outData(s: Storage): TypedArray {
  if ((s as CpuStorage).derived) dropDerived(s as CpuStorage);
  (s as CpuStorage).dirty = false;
  return (s as CpuStorage).data;
}

/** The heap address of `x`'s first element, or −1 when its storage is not in the heap. */
export function heapAddress(x: View | Storage): number {
  const v = 'storage' in x ? x : null;
  const s = (v ? v.storage : x) as CpuStorage;
  if (s.block === undefined) return -1;
  if (s.dirty || s.derived) dataOf(s);
  return s.block + (v ? v.offset : 0) * s.data.BYTES_PER_ELEMENT;
}
