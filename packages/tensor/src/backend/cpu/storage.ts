import type { TypedArray } from '../../dtype';
import type { Storage, View } from '../backend';

/** CPU storage: the elements live in a typed array of the storage's dtype. */
export interface CpuStorage extends Storage {
  readonly device: 'cpu';
  readonly data: TypedArray;
}

/** The typed array behind a view on the CPU backend. */
export function dataOf(x: View | Storage): TypedArray {
  const s = 'storage' in x ? x.storage : x;
  return (s as CpuStorage).data;
}
