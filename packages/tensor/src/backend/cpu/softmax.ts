import type { Storage, View } from '../backend';
import { contiguousStrides } from '../../shape';
import { dataOf } from './storage';
import { forEachPosition } from './strided';
import { simdSoftmax } from './wasm/simd-driver';

/** Scratch row of exponentials, reused between calls (softmax is synchronous). */
let row = new Float64Array(0);

/**
 * Numerically stable (log-)softmax along `dim`: subtract the row max before exponentiating. The
 * SIMD kernels take unit-stride last dims; this loop the rest (and everything without wasm SIMD),
 * computing each exponential once, in float64.
 */
export function softmax(x: View, dim: number, log: boolean, out: Storage): void {
  if (simdSoftmax(x, dim, log, out)) return;
  const xd = dataOf(x);
  const od = dataOf(out);
  const os = contiguousStrides(x.shape);
  const n = x.shape[dim];
  const xs = x.strides[dim];
  const ys = os[dim];
  const outerShape = x.shape.filter((_, i) => i !== dim);
  const strides = [x.strides.filter((_, i) => i !== dim), os.filter((_, i) => i !== dim)];
  if (row.length < n) row = new Float64Array(n);
  const e = row;
  forEachPosition(outerShape, strides, [x.offset, 0], ([xi, oi]) => {
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = xd[xi + i * xs];
      if (v > max || v !== v) max = v;
    }
    if (max === -Infinity) max = 0; // an all -inf row gives NaN like PyTorch via 0/0 below
    let sum = 0;
    for (let i = 0; i < n; i++) {
      e[i] = Math.exp(xd[xi + i * xs] - max);
      sum += e[i];
    }
    if (log) {
      const lse = Math.log(sum) + max;
      for (let i = 0; i < n; i++) od[oi + i * ys] = xd[xi + i * xs] - lse;
    } else {
      for (let i = 0; i < n; i++) od[oi + i * ys] = e[i] / sum;
    }
  });
}
