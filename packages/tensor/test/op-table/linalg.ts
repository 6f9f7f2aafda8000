import { adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, conv3d, convTranspose2d, linear, matmul, maxPool2d, outer, type Tensor } from '../../src/index';
import { f, mT, type OpInfo, type Sample, v } from './samples';

// matmul-like ops: the WebGPU kernels tile (e.g. 64×64 output tiles, 16- or 32-deep K steps), so the
// samples include sizes one past a tile edge; float32 sums of K terms: tolerance grows with K.
const MM_TOL = { rtol: 1e-4, atol: 1e-4 };
/**
 * These ops are linear in each input, so central differences are exact for any step: a larger
 * one (1e-2) keeps the float32 rounding of the summed output out of the numeric derivative.
 */
const LINEAR_GRADTOL = { eps: 1e-2 };

export const LINALG_OPS: OpInfo[] = [
  {
    name: 'matmul',
    call: matmul,
    samples: [
      { name: '[3, 4] @ [4, 5]', inputs: [f([3, 4]), f([4, 5])] },
      { name: 'vector @ matrix', inputs: [f([4]), f([4, 3])] },
      { name: 'matrix @ vector', inputs: [f([3, 4]), f([4])] },
      { name: 'vector · vector (0-d)', inputs: [f([5]), f([5])] },
      { name: 'batch broadcast [2, 1, 3, 4] @ [3, 4, 2]', inputs: [f([2, 1, 3, 4]), f([3, 4, 2])] },
      { name: 'transposed operands', inputs: [f([4, 3], 'real', mT), f([5, 4], 'real', mT)] },
      { name: 'size-1 dims [1, 4] @ [4, 1]', inputs: [f([1, 4]), f([4, 1])] },
      { name: 'tile edges 65 × 33 @ 33 × 66', inputs: [f([65, 33]), f([33, 66])], gradcheck: false },
      { name: 'tile edges, transposed and batched [2, 33, 17]ᵀ @ [17, 65]', inputs: [f([2, 17, 33], 'real', mT), f([17, 65])], gradcheck: false },
      { name: 'long K = 300', inputs: [f([3, 300]), f([300, 2])], gradcheck: false, tol: { rtol: 1e-4, atol: 5e-4 } },
      { name: 'empty K: zeros', inputs: [f([2, 0]), f([0, 3])], expected: [0, 0, 0, 0, 0, 0] },
      { name: 'empty M', inputs: [f([0, 4]), f([4, 3])] },
      {
        name: 'IEEE specials propagate',
        inputs: [v([Number.NaN, 1, Infinity, 0, 1, 2], [3, 2]), v([1, 2, 3, 4], [2, 2])],
        expected: [Number.NaN, Number.NaN, Infinity, Infinity, 7, 10],
        gradcheck: false,
      },
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: MM_TOL,
    gradTol: LINEAR_GRADTOL,
  },
  {
    name: 'linear',
    call: (x, w, b) => linear(x, w, b),
    samples: [
      { name: 'x [3, 4], weight [5, 4], bias [5]', inputs: [f([3, 4]), f([5, 4]), f([5])] },
      { name: 'no bias, batched x [2, 3, 4]', inputs: [f([2, 3, 4]), f([5, 4])], call: (x, w) => linear(x, w) },
      { name: 'bias null, vector x', inputs: [f([4]), f([2, 4])], call: (x, w) => linear(x, w, null) },
      { name: 'transposed weight view', inputs: [f([3, 4]), f([4, 5], 'real', mT), f([5])] },
      { name: 'tile edges: 65 rows, 33 → 66 features', inputs: [f([65, 33]), f([66, 33]), f([66])], gradcheck: false },
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: MM_TOL,
    gradTol: LINEAR_GRADTOL,
  },
  {
    name: 'outer',
    call: outer,
    samples: [
      { name: '[5] ⊗ [7]', inputs: [f([5]), f([7])] },
      { name: 'stepped slice ⊗ size 1', inputs: [f([8], 'real', (t) => t.slice(0, 0, 8, 3)), f([1])] },
      { name: 'empty', inputs: [f([0]), f([3])] },
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: MM_TOL,
    gradTol: LINEAR_GRADTOL,
  },
];

type Call = (...xs: Tensor[]) => Tensor;
const conv = (name: string, call: Call, shapes: number[][], gradcheck = true): Sample => ({ name, call, inputs: shapes.map((s) => f(s)), gradcheck });
const CONV_TOL = { rtol: 1e-4, atol: 1e-4 };

export const CONV_OPS: OpInfo[] = [
  {
    name: 'conv2d',
    call: (x, w) => conv2d(x, w, { padding: 1 }),
    samples: [
      conv('stride 1 pad 1, C=3 → O=5', (x, w) => conv2d(x, w, { padding: 1 }), [
        [1, 3, 6, 6],
        [5, 3, 3, 3],
      ]),
      conv(
        'stride 2 pad 0, batch 3, C=5 → O=17',
        (x, w) => conv2d(x, w, { stride: 2 }),
        [
          [3, 5, 7, 7],
          [17, 5, 3, 3],
        ],
        false,
      ),
      conv("padding 'same', odd kernel", (x, w) => conv2d(x, w, { padding: 'same' }), [
        [1, 3, 5, 6],
        [4, 3, 3, 3],
      ]),
      conv("padding 'same', even kernel", (x, w) => conv2d(x, w, { padding: 'same' }), [
        [1, 2, 5, 6],
        [3, 2, 4, 2],
      ]),
      conv(
        'dilation 2',
        (x, w) => conv2d(x, w, { dilation: 2, padding: 1 }),
        [
          [1, 3, 8, 8],
          [5, 3, 3, 3],
        ],
        false,
      ),
      conv('groups 2', (x, w) => conv2d(x, w, { groups: 2, padding: 1 }), [
        [2, 4, 5, 5],
        [6, 2, 3, 3],
      ]),
      conv('with bias', (x, w, b) => conv2d(x, w, { bias: b, padding: 1 }), [[1, 3, 5, 5], [5, 3, 3, 3], [5]]),
      conv('rectangular stride and padding', (x, w) => conv2d(x, w, { stride: [2, 1], padding: [0, 2] }), [
        [1, 2, 7, 5],
        [3, 2, 3, 2],
      ]),
      conv(
        'stride 3, dilation 2, groups 3',
        (x, w) => conv2d(x, w, { stride: 3, padding: 1, dilation: 2, groups: 3 }),
        [
          [1, 6, 11, 10],
          [9, 2, 3, 2],
        ],
        false,
      ),
      // the GEMM view of conv: M = N·Ho·Wo = 162 rows, O = 70 columns (past 64-wide tiles)
      conv(
        'tile edges: 1×1 kernel, O = 70, 162 output positions',
        (x, w) => conv2d(x, w),
        [
          [2, 17, 9, 9],
          [70, 17, 1, 1],
        ],
        false,
      ),
      conv('implied trailing padding (stride 2 leaves a column)', (x, w) => conv2d(x, w, { stride: 2, padding: [1, 0] }), [
        [1, 2, 6, 6],
        [3, 2, 2, 2],
      ]),
      conv('transposed input view', (x, w) => conv2d(x.transpose(2, 3), w, { padding: 1 }), [
        [1, 2, 5, 4],
        [3, 2, 3, 3],
      ]),
      conv('empty batch', (x, w) => conv2d(x, w), [
        [0, 2, 4, 4],
        [3, 2, 3, 3],
      ]),
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: CONV_TOL,
    gradTol: LINEAR_GRADTOL,
  },
  {
    name: 'conv1d',
    call: (x, w) => conv1d(x, w, { stride: 2, padding: 1 }),
    samples: [
      conv('stride 2 pad 1', (x, w) => conv1d(x, w, { stride: 2, padding: 1 }), [
        [2, 3, 11],
        [5, 3, 3],
      ]),
      conv("padding 'same', dilation 2, bias", (x, w, b) => conv1d(x, w, { padding: 'same', dilation: 2, bias: b }), [[1, 2, 9], [4, 2, 3], [4]]),
      conv('groups 2', (x, w) => conv1d(x, w, { groups: 2 }), [
        [1, 4, 6],
        [4, 2, 2],
      ]),
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: CONV_TOL,
    gradTol: LINEAR_GRADTOL,
  },
  {
    name: 'conv3d',
    call: (x, w) => conv3d(x, w, { padding: 1 }),
    samples: [
      conv('stride 1 pad 1, C=2 → O=3', (x, w) => conv3d(x, w, { padding: 1 }), [
        [1, 2, 3, 4, 4],
        [3, 2, 3, 3, 3],
      ]),
      conv('stride [2, 1, 2], dilation [2, 1, 1], bias, batch 2', (x, w, b) => conv3d(x, w, { stride: [2, 1, 2], dilation: [2, 1, 1], bias: b }), [
        [2, 2, 6, 4, 5],
        [2, 2, 2, 2, 2],
        [2],
      ]),
      conv("groups 2, padding 'same' with an even depth kernel", (x, w) => conv3d(x, w, { groups: 2, padding: 'same' }), [
        [1, 4, 4, 3, 3],
        [4, 2, 2, 3, 1],
      ]),
      conv('kernel depth 1, transposed view', (x, w) => conv3d(x.transpose(3, 4), w, { padding: [0, 1, 0] }), [
        [1, 2, 3, 4, 3],
        [2, 2, 1, 2, 2],
      ]),
      conv('empty batch', (x, w) => conv3d(x, w), [
        [0, 2, 3, 3, 3],
        [3, 2, 2, 2, 2],
      ]),
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: CONV_TOL,
    gradTol: LINEAR_GRADTOL,
  },
  {
    name: 'convTranspose2d',
    call: (x, w) => convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 }),
    samples: [
      conv('stride 2, padding 1, outputPadding 1', (x, w) => convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 }), [
        [2, 4, 3, 3],
        [4, 3, 3, 3],
      ]),
      conv('stride 1, bias', (x, w, b) => convTranspose2d(x, w, { bias: b }), [[1, 2, 4, 3], [2, 3, 2, 2], [3]]),
      conv('groups 2, dilation 2', (x, w) => convTranspose2d(x, w, { groups: 2, dilation: 2 }), [
        [1, 4, 3, 3],
        [4, 1, 2, 2],
      ]),
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: CONV_TOL,
    gradTol: LINEAR_GRADTOL,
  },
];

const pool = (name: string, call: (x: Tensor) => Tensor, shape: number[], gradcheck = true): Sample => ({ name, call, inputs: [f(shape)], gradcheck });
// windows with NaN, −∞ and ties: [[1, NaN, 2, 3], [4, 5, −∞, −∞], [0, −1, 7, 7], [−2, −3, 7, 6]]
const POOL_SPECIALS = [1, Number.NaN, 2, 3, 4, 5, -Infinity, -Infinity, 0, -1, 7, 7, -2, -3, 7, 6];

export const POOL_OPS: OpInfo[] = [
  {
    name: 'maxPool2d',
    call: (x) => maxPool2d(x, 3, { stride: 2, padding: 1 }),
    samples: [
      pool('kernel 3, stride 2, padding 1', (x) => maxPool2d(x, 3, { stride: 2, padding: 1 }), [2, 3, 7, 7]),
      pool('dilation 2, ceilMode', (x) => maxPool2d(x, 2, { stride: 2, dilation: 2, ceilMode: true }), [1, 2, 8, 7]),
      pool('kernel 2 (stride = kernel), transposed view', (x) => maxPool2d(x.transpose(2, 3), 2), [1, 2, 6, 4]),
      pool('rectangular kernel [3, 2], stride [1, 2]', (x) => maxPool2d(x, [3, 2], { stride: [1, 2] }), [1, 1, 5, 6]),
      pool('ceilMode: the last window half outside', (x) => maxPool2d(x, 2, { stride: 2, ceilMode: true }), [1, 1, 5, 5]),
      {
        name: 'NaN propagates, −∞, ties',
        inputs: [v(POOL_SPECIALS, [1, 1, 4, 4])],
        call: (x) => maxPool2d(x, 2),
        expected: [Number.NaN, 3, 0, 7],
        gradcheck: false,
      },
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: CONV_TOL,
  },
  {
    name: 'avgPool2d',
    call: (x) => avgPool2d(x, 3, { stride: 2, padding: 1 }),
    samples: [
      pool('countIncludePad true', (x) => avgPool2d(x, 3, { stride: 2, padding: 1 }), [2, 3, 6, 7]),
      pool('countIncludePad false, ceilMode', (x) => avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }), [2, 3, 6, 6]),
      pool('ceilMode, no padding (divisor clipped)', (x) => avgPool2d(x, 2, { ceilMode: true }), [1, 2, 5, 5]),
      pool('ceilMode with padding', (x) => avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [1, 2, 6, 6]),
      {
        name: 'NaN and −∞ propagate',
        inputs: [v(POOL_SPECIALS, [1, 1, 4, 4])],
        call: (x) => avgPool2d(x, 2),
        expected: [Number.NaN, -Infinity, -1.5, 6.75],
        gradcheck: false,
      },
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: CONV_TOL,
  },
  {
    name: 'adaptiveAvgPool2d',
    call: (x) => adaptiveAvgPool2d(x, 3),
    samples: [
      pool('7 → 3 (overlapping windows)', (x) => adaptiveAvgPool2d(x, 3), [2, 3, 7, 7]),
      pool('[5, 9] → [3, 4]', (x) => adaptiveAvgPool2d(x, [3, 4]), [1, 2, 5, 9]),
      pool('upsampling [3, 2] → [5, 4]', (x) => adaptiveAvgPool2d(x, [5, 4]), [1, 1, 3, 2]),
      pool('to 1 × 1 (global average), stepped view', (x) => adaptiveAvgPool2d(x.slice(3, 0, 6, 2), 1), [2, 2, 3, 6]),
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: CONV_TOL,
  },
];
