import type { ArgReduceOp, ReduceOp, Storage, View } from '../backend';
import { dataOf } from './storage';
import { forEachPosition } from './strided';
import { simdReduce } from './wasm/simd-reduce-driver';

type Acc = { init: number; step: (acc: number, v: number) => number };

const ACC = {
  sum: { init: 0, step: (a, v) => a + v },
  prod: { init: 1, step: (a, v) => a * v },
  max: { init: -Infinity, step: (a, v) => (v > a || v !== v ? v : a) }, // NaN wins, as PyTorch
  min: { init: Infinity, step: (a, v) => (v < a || v !== v ? v : a) },
} satisfies Record<ReduceOp, Acc>;

/** Split a view's dims into kept (outer) and reduced (inner) shape/stride lists. */
function split(x: View, dims: readonly number[]) {
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const redShape: number[] = [];
  const redStrides: number[] = [];
  x.shape.forEach((d, i) => {
    if (dims.includes(i)) {
      redShape.push(d);
      redStrides.push(x.strides[i]);
    } else {
      keptShape.push(d);
      keptStrides.push(x.strides[i]);
    }
  });
  return { keptShape, keptStrides, redShape, redStrides };
}

export function reduce(op: ReduceOp, x: View, dims: readonly number[], out: Storage): void {
  if (simdReduce(op, x, dims, out)) return;
  const { init, step } = ACC[op] as Acc;
  const xd = dataOf(x);
  const od = dataOf(out);
  const { keptShape, keptStrides, redShape, redStrides } = split(x, dims);
  const rank = redShape.length;
  const n = rank ? redShape[rank - 1] : 1;
  const s = rank ? redStrides[rank - 1] : 0;
  const outerShape = redShape.slice(0, -1);
  const outerStrides = [redStrides.slice(0, -1)];
  let o = 0;
  forEachPosition(keptShape, [keptStrides], [x.offset], ([base]) => {
    let acc = init;
    if (redShape.some((d) => d === 0)) {
      od[o++] = acc;
      return;
    }
    forEachPosition(outerShape, outerStrides, [base], ([start]) => {
      for (let i = 0; i < n; i++) acc = step(acc, xd[start + i * s]);
    });
    od[o++] = acc;
  });
}

export function argReduce(op: ArgReduceOp, x: View, dim: number, out: Storage): void {
  const xd = dataOf(x);
  const od = dataOf(out);
  const { keptShape, keptStrides } = split(x, [dim]);
  const n = x.shape[dim];
  const s = x.strides[dim];
  const better = op === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
  let o = 0;
  forEachPosition(keptShape, [keptStrides], [x.offset], ([base]) => {
    let best = xd[base];
    let at = 0;
    for (let i = 1; i < n && best === best; i++) {
      const v = xd[base + i * s];
      if (better(v, best) || v !== v) {
        best = v;
        at = i;
      }
    }
    od[o++] = at;
  });
}
