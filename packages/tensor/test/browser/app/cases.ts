// The WebGPU-vs-CPU cases the browser test runs inside the page: each op family on shapes that are
// not multiples of the kernels' tiles, with broadcast, size-1 and non-contiguous operands, forward
// and (where the op is differentiable) the gradients of every float input.
import * as am from '@aimodel/tensor';
import type { Tensor } from '@aimodel/tensor';

/** One input: a shape, and how to fill it (standard normal by default). */
export interface CaseInput {
  shape: number[];
  /** Compare this input's gradient (float inputs only). */
  grad?: boolean;
  /** Integers in [0, hi): an index input. */
  indexBelow?: number;
  /** Values in (0.5, 1.5]: for log, sqrt, pow bases. */
  positive?: boolean;
  /** A boolean mask (about 70 % true, the diagonal always true). */
  mask?: boolean;
  /** These float32 values instead of random ones (the shape's size). */
  values?: number[];
}

/** A case: inputs, the computation, and the tolerance |gpu − cpu| ≤ atol + rtol·|cpu|. */
export interface Case {
  name: string;
  inputs: CaseInput[];
  fn: (...xs: Tensor[]) => Tensor;
  rtol: number;
  atol: number;
}

const elementwise = { rtol: 1e-4, atol: 1e-5 };
const product = { rtol: 1e-3, atol: 1e-4 };

/** Values at the edges of what WGSL specifies. */
const SPECIAL = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  -3,
  3,
  1e-30,
  -100,
  88,
  0.5,
  Math.PI / 2,
  Math.PI,
  8191.5,
  8192,
  1e5,
  -123456.7,
  1e10,
  1e30,
  -3.4028234e38,
];

export const CASES: Case[] = [
  {
    name: 'elementwise chain, [3,1,5] broadcast against [5,4]ᵀ (a strided view)',
    inputs: [
      { shape: [3, 1, 5], grad: true },
      { shape: [5, 4], grad: true },
    ],
    fn: (a, b) => a.mul(b.transpose(0, 1)).add(a.exp()).gelu().sub(b.transpose(0, 1).tanh()),
    ...elementwise,
  },
  {
    name: 'elementwise math: log, sqrt, pow, div, sigmoid, erf, clamp, where, maximum',
    inputs: [
      { shape: [7, 13], grad: true, positive: true },
      { shape: [1, 13], grad: true },
    ],
    fn: (p, x) => am.where(x.gt(0), p.log().mul(x), p.sqrt().div(x.sigmoid())).add(p.pow(x).mul(x.erf())).add(am.maximum(x, p.neg()).clamp(-0.5, 0.8)),
    ...elementwise,
  },
  {
    // where WGSL leaves results to the implementation (SwiftShader's exp(NaN) is ∞, its log(−3)
    // log 3, its cos(3) off by 2·10⁻⁴), the kernels spell out the CPU's (JS Math) results
    name: 'exp, log, sqrt, sin, cos of NaN, ±∞, ±0, negatives and |x| up to 3.4e38',
    inputs: [{ shape: [SPECIAL.length], values: SPECIAL }],
    fn: (x) => am.stack([x.exp(), x.log(), x.sqrt(), x.sin(), x.cos(), x.abs().add(1).log()]),
    rtol: 1e-5,
    atol: 5e-7,
  },
  {
    name: 'sum over dims [0, -1] keepdim of [5,6,7]',
    inputs: [{ shape: [5, 6, 7], grad: true }],
    fn: (x) => x.sum([0, -1], true),
    ...elementwise,
  },
  {
    name: 'mean, max and logsumexp over dim 1 of [9,1,300] (size-1 dim)',
    inputs: [{ shape: [9, 1, 300], grad: true }],
    fn: (x) => x.mean(-1).add(x.max(-1)).add(x.logsumexp(-1)).add(x.sum(1).std(-1, true)),
    ...elementwise,
  },
  {
    name: 'argmax dim -1 and argmin dim 0 (int32)',
    inputs: [{ shape: [11, 37] }],
    fn: (x) => x.argmax(-1).add(x.argmin(0).sum()),
    rtol: 0,
    atol: 0,
  },
  {
    name: 'matmul 67×129 @ 129×33 (edge tiles)',
    inputs: [
      { shape: [67, 129], grad: true },
      { shape: [129, 33], grad: true },
    ],
    fn: (a, b) => a.matmul(b),
    ...product,
  },
  {
    name: 'matmul [16,257,300] @ [300,263] (the 128×128 tile, edge blocks, broadcast operand)',
    inputs: [{ shape: [16, 257, 300] }, { shape: [300, 263] }],
    fn: (a, b) => a.matmul(b),
    ...product,
  },
  {
    name: 'batched broadcast matmul [3,1,17,40] @ [5,40,9]',
    inputs: [
      { shape: [3, 1, 17, 40], grad: true },
      { shape: [5, 40, 9], grad: true },
    ],
    fn: (a, b) => a.matmul(b),
    ...product,
  },
  {
    name: 'matmul with a transposed operand read in place, vector @ matrix',
    inputs: [
      { shape: [40, 70], grad: true },
      { shape: [40, 30], grad: true },
      { shape: [30], grad: true },
    ],
    fn: (a, b, v) => a.transpose(0, 1).matmul(b).matmul(v),
    ...product,
  },
  {
    name: 'conv2d groups 2, stride 2, padding 1, bias',
    inputs: [
      { shape: [2, 6, 13, 11], grad: true },
      { shape: [8, 3, 3, 3], grad: true },
      { shape: [8], grad: true },
    ],
    fn: (x, w, b) => am.conv2d(x, w, { bias: b, stride: 2, padding: 1, groups: 2 }),
    ...product,
  },
  {
    name: "conv2d padding 'same', dilation 2, 5×3 kernel",
    inputs: [
      { shape: [1, 3, 10, 9], grad: true },
      { shape: [4, 3, 5, 3], grad: true },
    ],
    fn: (x, w) => am.conv2d(x, w, { padding: 'same', dilation: 2 }),
    ...product,
  },
  {
    name: 'convTranspose2d stride 2, padding 1, output padding 1',
    inputs: [
      { shape: [2, 4, 7, 6], grad: true },
      { shape: [4, 3, 3, 3], grad: true },
    ],
    fn: (x, w) => am.convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 }),
    ...product,
  },
  {
    name: 'conv1d stride 3, padding 2',
    inputs: [
      { shape: [3, 5, 31], grad: true },
      { shape: [7, 5, 4], grad: true },
    ],
    fn: (x, w) => am.conv1d(x, w, { stride: 3, padding: 2 }),
    ...product,
  },
  {
    name: 'maxPool2d 3/2 padding 1, avgPool2d 2, adaptiveAvgPool2d 3',
    inputs: [{ shape: [2, 3, 11, 9], grad: true }],
    fn: (x) =>
      am
        .maxPool2d(x, 3, { stride: 2, padding: 1 })
        .sum([2, 3])
        .add(am.avgPool2d(x, 2).mean([2, 3]))
        .add(am.adaptiveAvgPool2d(x, 3).sum([2, 3])),
    ...elementwise,
  },
  {
    name: 'softmax over the last dim of [9,300], logSoftmax over dim 0 of [33,7]',
    inputs: [
      { shape: [9, 300], grad: true },
      { shape: [33, 7], grad: true },
    ],
    fn: (a, b) => am.softmax(a, -1).sum(0).add(am.logSoftmax(b, 0).mean()),
    ...elementwise,
  },
  {
    name: 'layerNorm over [6,20] with weight and bias',
    inputs: [
      { shape: [4, 3, 6, 20], grad: true },
      { shape: [6, 20], grad: true },
      { shape: [6, 20], grad: true },
    ],
    fn: (x, w, b) => am.layerNorm(x, [6, 20], { weight: w, bias: b }),
    ...elementwise,
  },
  {
    name: 'batchNorm training with weight and bias',
    inputs: [
      { shape: [5, 3, 4, 7], grad: true },
      { shape: [3], grad: true },
      { shape: [3], grad: true },
    ],
    fn: (x, w, b) => am.batchNorm(x, null, null, { weight: w, bias: b, training: true }),
    ...elementwise,
  },
  {
    name: 'fused attention, causal, [2,3,37,16]',
    inputs: [
      { shape: [2, 3, 37, 16], grad: true },
      { shape: [2, 3, 37, 16], grad: true },
      { shape: [2, 3, 37, 16], grad: true },
    ],
    fn: (q, k, v) => am.scaledDotProductAttention(q, k, v, { causal: true }),
    ...product,
  },
  {
    name: 'fused attention, boolean mask broadcast over heads, 33 queries × 45 keys',
    inputs: [
      { shape: [2, 4, 33, 8], grad: true },
      { shape: [2, 4, 45, 8], grad: true },
      { shape: [2, 4, 45, 8], grad: true },
      { shape: [2, 1, 33, 45], mask: true },
    ],
    fn: (q, k, v, m) => am.scaledDotProductAttention(q, k, v, { mask: m }),
    ...product,
  },
  {
    name: 'gather, indexSelect, embedding, scatterAdd (repeated indices: atomics)',
    inputs: [
      { shape: [6, 9], grad: true },
      { shape: [6, 4], indexBelow: 9 },
      { shape: [13], indexBelow: 6 },
    ],
    fn: (x, gi, rows) =>
      am
        .gather(x, 1, gi)
        .sum(1)
        .add(am.indexSelect(x, 0, rows).sum(1).sum())
        .add(am.embedding(rows.narrow(0, 0, 6), x).sum(1))
        .add(am.scatterAdd(x, 1, gi, am.gather(x, 1, gi)).sum(1)),
    ...elementwise,
  },
  {
    name: 'cat, stack, pad (reflect), narrow, permute',
    inputs: [
      { shape: [2, 3, 5], grad: true },
      { shape: [2, 1, 5], grad: true },
    ],
    fn: (a, b) =>
      am
        .pad(am.cat([a, b], 1), [1, 2], { mode: 'reflect' })
        .narrow(-1, 1, 5)
        .add(am.stack([a, a], 0).sum(0).narrow(1, 0, 1))
        .permute([2, 0, 1]),
    ...elementwise,
  },
];
