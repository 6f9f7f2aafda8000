import type { Storage, View } from '../backend';
import type { TypedArray } from '../../dtype';
import { contiguousStrides } from '../../shape';
import { dataOf } from './storage';
import { forEachPosition } from './strided';

/**
 * Stable sort order along one dim. Each value becomes an unsigned 32-bit key whose unsigned order
 * is the value order: float bits with the sign flipped (negatives inverted), −0 mapped to +0 and
 * every NaN to 2³² − 1 (the largest, as PyTorch); integers offset by 2³¹. Descending order inverts
 * the key, so ties still break by position and the sort stays stable in both directions.
 *
 * Rows of up to 2²¹ values sort as doubles key·2²¹ + position (exact below 2⁵³) with the native
 * numeric sort, no comparator; longer rows sort positions with a (key, position) comparator.
 */

const POS_BITS = 2 ** 21;

let keys = new Float64Array(0);
let wide = new Uint32Array(0);

/** The unsigned key of each element of `data` (the storage's whole array), by dtype. */
function keyFn(x: View): (e: number) => number {
  const d: TypedArray = dataOf(x);
  switch (x.storage.dtype) {
    case 'float32': {
      const bits = new Uint32Array(d.buffer, d.byteOffset, d.length);
      return (e) => {
        const b = bits[e];
        if ((b & 0x7fffffff) > 0x7f800000) return 0xffffffff; // NaN: the largest
        if (b === 0x80000000) return 0x80000000; // −0 equals +0
        return b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
      };
    }
    case 'int32':
      return (e) => (d[e] ^ 0x80000000) >>> 0;
    case 'int8':
      return (e) => d[e] + 128;
    case 'uint8':
    case 'bool':
      return (e) => d[e];
    default:
      return x.storage.dtype satisfies never;
  }
}

/** out (int32, contiguous, x's shape): per line along `dim`, the positions of x in sorted order. */
export function argsort(x: View, dim: number, descending: boolean, out: Storage): void {
  if (out.size === 0) return;
  const od = dataOf(out);
  if (x.shape.length === 0) {
    od[0] = 0;
    return;
  }
  const key = keyFn(x);
  const n = x.shape[dim];
  const xs = x.strides[dim];
  const os = contiguousStrides(x.shape);
  const ys = os[dim];
  const flip = descending ? 0xffffffff : 0;
  const outer = x.shape.filter((_, i) => i !== dim);
  const strides = [x.strides.filter((_, i) => i !== dim), os.filter((_, i) => i !== dim)];
  if (n <= POS_BITS) {
    if (keys.length < n) keys = new Float64Array(n);
    const row = keys.subarray(0, n);
    forEachPosition(outer, strides, [x.offset, 0], ([xi, oi]) => {
      for (let i = 0; i < n; i++) row[i] = ((key(xi + i * xs) ^ flip) >>> 0) * POS_BITS + i;
      row.sort();
      for (let i = 0; i < n; i++) od[oi + i * ys] = row[i] % POS_BITS;
    });
    return;
  }
  if (wide.length < n) wide = new Uint32Array(n);
  const k = wide;
  const order = new Int32Array(n);
  forEachPosition(outer, strides, [x.offset, 0], ([xi, oi]) => {
    for (let i = 0; i < n; i++) {
      k[i] = (key(xi + i * xs) ^ flip) >>> 0;
      order[i] = i;
    }
    order.sort((a, b) => k[a] - k[b] || a - b);
    for (let i = 0; i < n; i++) od[oi + i * ys] = order[i];
  });
}
