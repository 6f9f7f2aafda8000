import type { Storage, View } from '../backend';
import { ArgumentError } from '../../errors';
import { contiguousStrides, type Shape } from '../../shape';
import { dataOf } from './storage';
import { forEachPosition } from './strided';

function checkIndex(op: string, i: number, size: number, dim: number): number {
  if (i < -size || i >= size) throw new ArgumentError(op, `index ${i} is out of bounds for dim ${dim} with size ${size}`);
  return i < 0 ? i + size : i;
}

/** out[p] = x[p with coordinate `dim` replaced by index[p]]; negative indices count from the end. */
export function gather(x: View, dim: number, index: View, out: Storage): void {
  const xd = dataOf(x);
  const id = dataOf(index);
  const od = dataOf(out);
  const size = x.shape[dim];
  const step = x.strides[dim];
  const xStrides = x.strides.map((s, i) => (i === dim ? 0 : s));
  let o = 0;
  forEachPosition(index.shape, [index.strides, xStrides], [index.offset, x.offset], ([ii, xi]) => {
    od[o++] = xd[xi + checkIndex('gather', id[ii], size, dim) * step];
  });
}

/**
 * In place on the contiguous `out` (from element `outOffset`): out[p with `dim` replaced by
 * index[p]] += src[p] for every position p of index.
 */
export function scatterAdd(out: Storage, outShape: Shape, dim: number, index: View, src: View, outOffset = 0): void {
  const od = dataOf(out);
  const id = dataOf(index);
  const sd = dataOf(src);
  const os = contiguousStrides(outShape);
  const size = outShape[dim];
  const outStrides = os.map((s, i) => (i === dim ? 0 : s));
  forEachPosition(index.shape, [index.strides, src.strides, outStrides], [index.offset, src.offset, outOffset], ([ii, si, oi]) => {
    od[oi + checkIndex('scatterAdd', id[ii], size, dim) * os[dim]] += sd[si];
  });
}
