import {
  batchNorm,
  dropout,
  embedding,
  gather,
  Generator,
  indexAdd_,
  indexSelect,
  layerNorm,
  oneHot,
  scaledDotProductAttention as sdpa,
  scatterAdd,
  scatterAdd_,
} from '../../src/index';
import { EXACT, f, ints, mT, type OpInfo, type SampleInput, T, TOL, v } from './samples';

const ATT_TOL = { rtol: 1e-4, atol: 1e-5 };
const constant = (i: SampleInput): SampleInput => ({ ...i, constant: true });
/** A fresh generator per call: the same mask on every device and in every gradcheck probe. */
const seeded = () => ({ generator: new Generator({ seed: 5 }) });

export const NN_OPS: OpInfo[] = [
  {
    name: 'scaledDotProductAttention',
    call: (q, k, val) => sdpa(q, k, val),
    samples: [
      { name: 'q, k, v [2, 3, 4]', inputs: [f([2, 3, 4]), f([2, 3, 4]), f([2, 3, 4])] },
      { name: 'causal, L ≠ S, E ≠ Ev', inputs: [f([1, 3, 4]), f([1, 5, 4]), f([1, 5, 2])], call: (q, k, val) => sdpa(q, k, val, { causal: true }) },
      {
        name: 'bool mask broadcast over batch',
        inputs: [f([2, 3, 4]), f([2, 4, 4]), f([2, 4, 3]), v([1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1], [3, 4], 'bool')],
        call: (q, k, val, m) => sdpa(q, k, val, { mask: m }),
      },
      {
        name: 'float mask, scale 0.3',
        inputs: [f([1, 2, 3]), f([1, 3, 3]), f([1, 3, 3]), constant(f([2, 3]))],
        call: (q, k, val, m) => sdpa(q, k, val, { mask: m, scale: 0.3 }),
      },
      { name: 'broadcast batch dims [2, 1] × [3], transposed key', inputs: [f([2, 1, 3, 4]), f([3, 4, 3], 'real', mT), f([3, 3, 2])] },
      {
        name: 'a fully masked query row gives NaN',
        inputs: [f([1, 2, 2]), f([1, 2, 2]), f([1, 2, 2]), v([0, 0, 1, 1], [2, 2], 'bool')],
        call: (q, k, val, m) => sdpa(q, k, val, { mask: m }),
        gradcheck: false,
      },
      // heads wider than the fused WebGPU kernel's 128: the composite path (the fused kernels'
      // block and tile edges, row vs tiled variants: test/parity/attention.test.ts)
      { name: 'head dim 130', inputs: [f([1, 2, 130]), f([1, 3, 130]), f([1, 3, 2])], gradcheck: false, tol: { rtol: 1e-4, atol: 1e-4 } },
      { name: 'empty query', inputs: [f([1, 0, 4]), f([1, 3, 4]), f([1, 3, 4])] },
    ],
    domain: 'real',
    dtypes: ['float32', 'bool'],
    differentiable: true,
    tol: ATT_TOL,
  },
  {
    name: 'layerNorm',
    call: (x, w, b) => layerNorm(x, 4, { weight: w, bias: b }),
    samples: [
      { name: 'over 4 features, weight and bias', inputs: [f([3, 4]), f([4]), f([4])] },
      { name: 'over [3, 4], no affine', inputs: [f([2, 3, 4])], call: (x) => layerNorm(x, [3, 4]) },
      { name: 'weight only, eps 1e-3, transposed view', inputs: [f([5, 3], 'real', T), f([5])], call: (x, w) => layerNorm(x, 5, { weight: w, eps: 1e-3 }) },
      { name: 'bias only, stepped slice', inputs: [f([3, 8], 'real', (t) => t.slice(1, 0, 8, 2)), f([4])], call: (x, b) => layerNorm(x, 4, { bias: b }) },
      {
        name: 'long rows of 1000 (split rows)',
        inputs: [f([2, 1000]), f([1000]), f([1000])],
        call: (x, w, b) => layerNorm(x, 1000, { weight: w, bias: b }),
        gradcheck: false,
        tol: { rtol: 1e-4, atol: 1e-4 },
      },
      { name: 'constant row: zero variance', inputs: [v([2, 2, 2, 2], [1, 4])], call: (x) => layerNorm(x, 4), expected: [0, 0, 0, 0], gradcheck: false },
      { name: 'empty batch', inputs: [f([0, 4]), f([4]), f([4])] },
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: { rtol: 1e-4, atol: 1e-5 },
  },
  {
    name: 'batchNorm',
    call: (x, w, b) => batchNorm(x, null, null, { weight: w, bias: b, training: true }),
    samples: [
      { name: 'training [4, 3], weight and bias', inputs: [f([4, 3]), f([3]), f([3])] },
      { name: 'training [2, 3, 2, 2], no affine', inputs: [f([2, 3, 2, 2])], call: (x) => batchNorm(x, null, null, { training: true }) },
      {
        name: 'evaluation with running statistics',
        inputs: [f([3, 2, 4]), constant(f([2])), constant(f([2], 'positive')), f([2]), f([2])],
        call: (x, m, var_, w, b) => batchNorm(x, m, var_, { weight: w, bias: b, training: false }),
      },
      {
        name: 'training, channels of a permuted view',
        inputs: [f([2, 2, 3], 'real', (t) => t.permute([0, 2, 1]))],
        call: (x) => batchNorm(x, null, null, { training: true, eps: 1e-3 }),
      },
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: { rtol: 1e-4, atol: 1e-5 },
  },
  {
    name: 'dropout',
    call: (x) => dropout(x, 0),
    samples: [
      { name: 'p = 0: identity', inputs: [f([3, 4])], call: (x) => dropout(x, 0).mul(1) },
      { name: 'evaluation: identity', inputs: [f([3, 4])], call: (x) => dropout(x, 0.5, false).mul(1) },
      { name: 'p = 1: zeros', inputs: [f([2, 3])], call: (x) => dropout(x, 1), expected: [0, 0, 0, 0, 0, 0] },
      // the mask comes from a generator seeded alike on every device (statistics: op-table.test.ts)
      { name: 'p = 0.3 from a seeded generator, transposed view', inputs: [f([8, 5], 'real', T)], call: (x) => dropout(x, 0.3, true, seeded()) },
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: TOL,
  },
  {
    name: 'embedding',
    call: (i, w) => embedding(i, w),
    samples: [
      // repeated indices: the weight gradient accumulates the repeated rows
      { name: 'indices [5, 13] into [4, 17] (repeats)', inputs: [ints([5, 13], 0, 3), f([4, 17])], gradcheck: false },
      { name: 'indices [3] into [6, 2]', inputs: [ints([3], 0, 5), f([6, 2])] },
      { name: 'fixed rows', inputs: [v([2, 0, 2], [3], 'int32'), v([1, 2, 3, 4, 5, 6], [3, 2])], expected: [5, 6, 1, 2, 5, 6] },
      { name: 'no indices', inputs: [ints([0], 0, 1), f([3, 2])] },
    ],
    domain: 'any',
    dtypes: ['int32', 'float32'],
    differentiable: true,
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
  {
    name: 'oneHot',
    call: (i) => oneHot(i, 10),
    samples: [
      { name: 'int32 [3, 7], 10 classes', inputs: [ints([3, 7], 0, 9)] },
      { name: 'fixed', inputs: [v([0, 2], [2], 'int32')], call: (i) => oneHot(i, 3), expected: [1, 0, 0, 0, 0, 1] },
      { name: 'empty', inputs: [ints([0], 0, 1)], call: (i) => oneHot(i, 4) },
    ],
    domain: 'any',
    dtypes: ['int32'],
    differentiable: false,
    tol: EXACT,
  },
];

export const INDEXING_OPS: OpInfo[] = [
  {
    name: 'gather',
    call: (x, i) => gather(x, 1, i),
    samples: [
      { name: 'dim 1, negative indices', inputs: [f([5, 7]), ints([5, 11], -7, 6)] },
      { name: 'dim 0 of [5, 7, 9]', inputs: [f([5, 7, 9]), ints([11, 6, 8], -5, 4)], call: (x, i) => gather(x, 0, i), gradcheck: false },
      { name: 'dim 2', inputs: [f([2, 3, 4]), ints([2, 3, 6], 0, 3)], call: (x, i) => gather(x, 2, i) },
      {
        name: 'strided input and transposed index',
        inputs: [f([9, 12], 'real', (t) => t.slice(1, 1, 12, 3)), ints([70, 9], -4, 3, 'int32')],
        call: (x, i) => gather(x, 1, i.transpose(0, 1)),
        gradcheck: false,
      },
      { name: 'fixed', inputs: [v([1, 2, 3, 4], [2, 2]), v([1, 0, 0, 0], [2, 2], 'int32')], expected: [2, 1, 3, 3] },
      { name: 'empty index', inputs: [f([3, 2]), ints([3, 0], 0, 1)] },
    ],
    domain: 'real',
    dtypes: ['float32', 'int32'],
    differentiable: true,
    tol: TOL,
  },
  {
    name: 'scatterAdd',
    call: (x, i, s) => scatterAdd(x, 0, i, s),
    samples: [
      // 300 updates into 7 rows: many invocations race on each output element
      {
        name: '300 updates into 7 rows (negative indices, src beyond index ignored)',
        inputs: [f([7, 5]), ints([300, 5], -7, 6), f([301, 6])],
        gradcheck: false,
        tol: { rtol: 1e-5, atol: 1e-5 },
      },
      { name: 'dim 1', inputs: [f([4, 6, 3]), ints([4, 5, 3], 0, 5), f([4, 5, 3])], call: (x, i, s) => scatterAdd(x, 1, i, s) },
      { name: 'int32', inputs: [ints([6, 5], -50, 50), ints([130, 5], 0, 5), ints([130, 5], -1000, 1000)], tol: EXACT },
      {
        name: 'int8 wraps',
        inputs: [v([0, 0, 0], [3], 'int8'), v([0, 0, 1, 2, 2], [5], 'int32'), v([100, 100, -100, 120, 7], [5], 'int8')],
        expected: [-56, -100, 127],
        tol: EXACT,
      },
      {
        name: 'uint8 wraps',
        inputs: [v([0, 0, 0], [3], 'uint8'), v([0, 0, 1, 2, 2], [5], 'int32'), v([200, 100, 3, 255, 255], [5], 'uint8')],
        expected: [44, 3, 254],
        tol: EXACT,
      },
      { name: 'transposed destination', inputs: [f([3, 4], 'real', T), ints([2, 3], 0, 3), f([2, 3])] },
    ],
    domain: 'real',
    dtypes: ['float32', 'int32', 'int8', 'uint8'],
    differentiable: true,
    tol: TOL,
  },
  {
    name: 'indexSelect',
    call: (x, i) => indexSelect(x, 0, i),
    samples: [
      { name: 'dim 0, negative indices', inputs: [f([6, 7]), ints([9], -6, 5)] },
      { name: 'dim −1, 100 indices', inputs: [f([3, 70]), ints([100], 0, 69)], call: (x, i) => indexSelect(x, -1, i), gradcheck: false },
      { name: 'transposed input', inputs: [f([4, 3], 'real', T), ints([5], 0, 3)], call: (x, i) => indexSelect(x, 1, i) },
      { name: 'int32 values', inputs: [ints([4, 2], -9, 9), ints([3], 0, 3)] },
      { name: 'fixed', inputs: [v([1, 2, 3, 4, 5, 6], [3, 2]), v([2, 2, 0], [3], 'int32')], expected: [5, 6, 5, 6, 1, 2] },
      { name: 'no indices', inputs: [f([3, 2]), ints([0], 0, 1)] },
    ],
    domain: 'real',
    dtypes: ['float32', 'int32'],
    differentiable: true,
    tol: TOL,
  },
  // in place, outside autograd: checked on a fresh copy of dest against the out-of-place form
  {
    name: 'scatterAdd_',
    call: (x, i, s) => scatterAdd_(x.detach().clone(), 0, i, s),
    reference: (x, i, s) => scatterAdd(x, 0, i, s),
    samples: [
      { name: '30 updates into 4 rows (repeats, negative indices)', inputs: [f([4, 3]), ints([30, 3], -4, 3), f([30, 3])] },
      {
        name: 'dim 1',
        inputs: [f([2, 5]), ints([2, 7], 0, 4), f([2, 8])],
        call: (x, i, s) => scatterAdd_(x.detach().clone(), 1, i, s),
        reference: (x, i, s) => scatterAdd(x, 1, i, s),
      },
      { name: 'int32', inputs: [ints([3, 2], -9, 9), ints([5, 2], 0, 2), ints([5, 2], -9, 9)] },
    ],
    domain: 'real',
    dtypes: ['float32', 'int32'],
    differentiable: false,
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
  {
    name: 'indexAdd_',
    call: (x, i, s) => indexAdd_(x.detach().clone(), 0, i, s),
    // index [n] broadcast over source's other dims: the scatterAdd that adds the same rows
    reference: (x, i, s) => scatterAdd(x, 0, i.reshape([-1, ...s.shape.slice(1).map(() => 1)]).expand(s.shape), s),
    samples: [
      { name: 'rows 3, 0, 3 (repeat), −1 of [5, 2]', inputs: [f([5, 2]), v([3, 0, 3, -1], [4], 'int32'), f([4, 2])] },
      { name: 'a transposed source, [4, 3, 2]', inputs: [f([4, 3, 2]), ints([6], 0, 3), f([3, 6, 2], 'real', T)] },
      { name: 'int32', inputs: [ints([3, 2], -9, 9), ints([4], 0, 2), ints([4, 2], -9, 9)] },
      {
        name: 'alpha 0.5, dim 1',
        inputs: [f([2, 3]), v([2, 2], [2], 'int32'), f([2, 2])],
        call: (x, i, s) => indexAdd_(x.detach().clone(), 1, i, s, { alpha: 0.5 }),
        reference: (x, i, s) => scatterAdd(x, 1, i.reshape([1, 2]).expand([2, 2]), s.mul(0.5)),
      },
    ],
    domain: 'real',
    dtypes: ['float32', 'int32'],
    differentiable: false,
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
];
