import type { Storage, View } from '../backend';
import { numel, type Shape } from '../../shape';
import { dataOf } from './storage';

/**
 * Stream compaction (the last pass of nonzero, maskedSelect and unique): element i of a tensor of
 * `shape` is flagged where the running count `counts[i]` exceeds the one before it (0 before the
 * first); the k-th flagged element's row-major coordinates go to row k of `out` [count, rank].
 */
export function compact(counts: View, shape: Shape, out: Storage): void {
  if (out.size === 0) return;
  const cd = dataOf(counts);
  const od = dataOf(out);
  const n = numel(shape);
  const rank = shape.length;
  const step = counts.strides[0] ?? 1;
  let prev = 0;
  for (let i = 0, at = counts.offset; i < n; i++, at += step) {
    const c = cd[at];
    if (c === prev) continue;
    prev = c;
    let rest = i;
    for (let k = rank - 1, o = c * rank - 1; k >= 0; k--, o--) {
      od[o] = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
    }
  }
}
