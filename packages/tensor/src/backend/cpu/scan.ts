import type { ScanOp, Storage, View } from '../backend';
import { contiguousStrides } from '../../shape';
import { dataOf } from './storage';
import { forEachPosition } from './strided';

/**
 * Inclusive scans (cumsum, cumprod) along one dim, sequentially along each line. float32 lines
 * accumulate in float64 and round each output once (PyTorch's CPU accumulates float in double
 * too); int32 lines wrap modulo 2³² at every step, as int32 arithmetic does.
 */
export function scan(op: ScanOp, x: View, dim: number, reverse: boolean, out: Storage): void {
  if (out.size === 0) return;
  const xd = dataOf(x);
  const od = dataOf(out);
  const rank = x.shape.length;
  const n = rank === 0 ? 1 : x.shape[dim];
  const xs = rank === 0 ? 0 : x.strides[dim];
  const os = contiguousStrides(x.shape);
  const ys = rank === 0 ? 0 : os[dim];
  const outer = x.shape.filter((_, i) => i !== dim);
  const strides = [x.strides.filter((_, i) => i !== dim), os.filter((_, i) => i !== dim)];
  const int = x.storage.dtype !== 'float32';
  const first = reverse ? n - 1 : 0;
  const step = reverse ? -1 : 1;
  forEachPosition(outer, strides, [x.offset, 0], ([xi, oi]) => {
    let acc = op === 'sum' ? 0 : 1;
    for (let t = 0, i = first; t < n; t++, i += step) {
      const v = xd[xi + i * xs];
      if (int) acc = op === 'sum' ? (acc + v) | 0 : Math.imul(acc, v);
      else acc = op === 'sum' ? acc + v : acc * v;
      od[oi + i * ys] = acc;
    }
  });
}
