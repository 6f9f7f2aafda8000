import type { PrimitiveArgs, View } from '../backend';
import { dataOf } from './storage';

/**
 * One batch of GloVe updates on the CPU, entries in order (see {@link Backend.gloveStep}): the
 * reference C implementation's AdaGrad rule on float32 storage, arithmetic in float64 between
 * loads and stores (as @aimodel/nlp's CPU trainer). All views are contiguous (the op checks).
 */
export function gloveStep(...[params, gradsq, rows, cols, logX, weight, order, cost, p]: PrimitiveArgs<'gloveStep'>): void {
  const W = dataOf(params) as Float32Array;
  const G = dataOf(gradsq) as Float32Array;
  const R = dataOf(rows) as Int32Array;
  const C = dataOf(cols) as Int32Array;
  const L = dataOf(logX) as Float32Array;
  const F = dataOf(weight) as Float32Array;
  const O = order ? (dataOf(order) as Int32Array) : null;
  const { vocabSize: V, dim, eta, clip } = p;
  const stride = dim + 1;
  const wo = params.offset;
  const go = gradsq.offset;
  let total = 0;
  for (let i = 0; i < p.count; i++) {
    const a = O ? O[(order as View).offset + p.start + i] : p.start + i;
    const r = R[rows.offset + a];
    const c = C[cols.offset + a];
    const l1 = r * stride;
    const l2 = (V + c) * stride;
    let dot = 0;
    for (let b = 0; b < dim; b++) dot += W[wo + l1 + b] * W[wo + l2 + b];
    const diff = dot + W[wo + l1 + dim] + W[wo + l2 + dim] - L[logX.offset + a];
    let fdiff = F[weight.offset + a] * diff;
    if (!Number.isFinite(diff) || !Number.isFinite(fdiff)) continue;
    total += 0.5 * fdiff * diff;
    for (let b = 0; b < dim; b++) {
      const w1 = W[wo + l1 + b];
      const w2 = W[wo + l2 + b];
      let t1 = fdiff * w2;
      let t2 = fdiff * w1;
      t1 = (t1 > clip ? clip : t1 < -clip ? -clip : t1) * eta;
      t2 = (t2 > clip ? clip : t2 < -clip ? -clip : t2) * eta;
      const g1 = G[go + l1 + b];
      const g2 = G[go + l2 + b];
      W[wo + l1 + b] = w1 - t1 / Math.sqrt(g1);
      W[wo + l2 + b] = w2 - t2 / Math.sqrt(g2);
      G[go + l1 + b] = g1 + t1 * t1;
      G[go + l2 + b] = g2 + t2 * t2;
    }
    W[wo + l1 + dim] -= fdiff / Math.sqrt(G[go + l1 + dim]);
    W[wo + l2 + dim] -= fdiff / Math.sqrt(G[go + l2 + dim]);
    fdiff *= fdiff;
    G[go + l1 + dim] += fdiff;
    G[go + l2 + dim] += fdiff;
  }
  const K = dataOf(cost) as Float32Array;
  K[cost.offset] += total;
}
