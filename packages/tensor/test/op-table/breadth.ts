import {
  cdist,
  cosineSimilarity,
  diag,
  diagonal,
  einsum,
  flip,
  interpolate,
  maskedFill,
  norm,
  normalize,
  roll,
  type Tensor,
  trace,
  tril,
  triu,
} from '../../src/index';
import { dtypesOf, EXACT, f, ints, type OpInfo, type Sample, T, TOL, v } from './samples';

// Triangles, diagonals, reordering, similarity, einsum and interpolate: composites (or a view,
// or a fill-and-copy op) whose expected values below are worked by hand from PyTorch's definitions.

function entry(name: string, call: (...xs: Tensor[]) => Tensor, samples: Sample[], tol = EXACT, differentiable = true): OpInfo {
  return { name, call, samples, domain: 'real', dtypes: dtypesOf(samples), differentiable, tol };
}

const m23 = () => v([1, 2, 3, 4, 5, 6], [2, 3]);

export const BREADTH_OPS: OpInfo[] = [
  entry('tril', (x) => tril(x), [
    { name: '[2, 3] by hand', inputs: [m23()], expected: [1, 0, 0, 4, 5, 0] },
    { name: 'diagonal −1', inputs: [m23()], call: (x) => tril(x, -1), expected: [0, 0, 0, 4, 0, 0] },
    { name: 'diagonal 1, batched, of a transposed view', inputs: [f([2, 4, 3], 'real', (t) => t.transpose(1, 2))], call: (x) => tril(x, 1) },
    { name: 'int32', inputs: [ints([3, 3], -5, 5)] },
  ]),
  entry('triu', (x) => triu(x), [
    { name: '[2, 3] by hand', inputs: [m23()], expected: [1, 2, 3, 0, 5, 6] },
    { name: 'diagonal 1', inputs: [m23()], call: (x) => triu(x, 1), expected: [0, 2, 3, 0, 0, 6] },
    { name: 'diagonal −1 of [4, 2]', inputs: [f([4, 2])], call: (x) => triu(x, -1) },
  ]),
  entry('diagonal', (x) => diagonal(x), [
    { name: '[2, 3] by hand', inputs: [m23()], expected: [1, 5] },
    { name: 'offset 1', inputs: [m23()], call: (x) => diagonal(x, 1), expected: [2, 6] },
    { name: 'offset −1', inputs: [m23()], call: (x) => diagonal(x, -1), expected: [4] },
    { name: 'offset past the edge: empty', inputs: [m23()], call: (x) => diagonal(x, 3), expected: [] },
    { name: 'dims 0, 2 of [3, 2, 3]', inputs: [f([3, 2, 3])], call: (x) => diagonal(x, 0, 0, 2).contiguous() },
  ]),
  entry('diag', (x) => diag(x), [
    { name: 'vector → matrix', inputs: [v([1, 2])], expected: [1, 0, 0, 2] },
    { name: 'vector onto diagonal 1', inputs: [v([1, 2])], call: (x) => diag(x, 1), expected: [0, 1, 0, 0, 0, 2, 0, 0, 0] },
    { name: 'vector onto diagonal −1', inputs: [v([7])], call: (x) => diag(x, -1), expected: [0, 0, 7, 0] },
    { name: 'matrix → its diagonal', inputs: [m23()], expected: [1, 5] },
    { name: 'int32 vector', inputs: [ints([3], -4, 4)] },
  ]),
  entry('trace', (x) => trace(x), [
    { name: '[2, 3] by hand', inputs: [m23()], expected: [6] },
    { name: 'random [4, 4]', inputs: [f([4, 4])] },
  ]),
  entry('flip', (x) => flip(x, [0]), [
    { name: 'dim 0 by hand', inputs: [m23()], expected: [4, 5, 6, 1, 2, 3] },
    { name: 'both dims by hand', inputs: [m23()], call: (x) => flip(x, [0, -1]), expected: [6, 5, 4, 3, 2, 1] },
    { name: 'of a transposed view, dim 1', inputs: [f([3, 4], 'real', T)], call: (x) => flip(x, 1) },
    { name: 'int8', inputs: [ints([5], -9, 9, 'int8')] },
  ]),
  entry('roll', (x) => roll(x, 1), [
    { name: 'flattened, by hand', inputs: [m23()], expected: [6, 1, 2, 3, 4, 5] },
    { name: 'per dim, by hand', inputs: [m23()], call: (x) => roll(x, [1, -1], [0, 1]), expected: [5, 6, 4, 2, 3, 1] },
    { name: 'shift past the size', inputs: [v([1, 2, 3])], call: (x) => roll(x, 7, 0), expected: [3, 1, 2] },
    { name: 'stepped slice, dim 1', inputs: [f([3, 8], 'real', (t) => t.slice(1, 0, 8, 2))], call: (x) => roll(x, 3, 1) },
  ]),
  entry(
    'norm',
    (x) => norm(x),
    [
      { name: '2-norm by hand', inputs: [v([3, -4])], expected: [5] },
      { name: 'p = 1 over dim 1', inputs: [m23()], call: (x) => norm(x, { p: 1, dim: 1 }), expected: [6, 15] },
      { name: 'p = ∞, keepdim', inputs: [m23()], call: (x) => norm(x, { p: Infinity, dim: 0, keepdim: true }), expected: [4, 5, 6], gradcheck: false },
      { name: 'p = 3 of a random [3, 4]', inputs: [f([3, 4], 'nonzero')], call: (x) => norm(x, { p: 3, dim: -1 }) },
      { name: 'zero vector: 0, gradient 0', inputs: [v([0, 0])], expected: [0], gradcheck: false },
    ],
    TOL,
  ),
  entry(
    'cosineSimilarity',
    (a, b) => cosineSimilarity(a, b),
    [
      { name: 'by hand', inputs: [v([1, 0, 1, 1], [2, 2]), v([1, 0, -1, 1], [2, 2])], expected: [1, 0] },
      { name: 'dim −1, broadcast', inputs: [f([3, 4], 'nonzero'), f([4], 'nonzero')], call: (a, b) => cosineSimilarity(a, b, { dim: -1 }) },
    ],
    TOL,
  ),
  entry(
    'normalize',
    (x) => normalize(x),
    [
      { name: 'by hand, a zero row stays zero', inputs: [v([3, 4, 0, 0], [2, 2])], expected: [0.6, 0.8, 0, 0], gradcheck: false },
      { name: 'p = 1, dim 0', inputs: [f([3, 2], 'nonzero')], call: (x) => normalize(x, { p: 1, dim: 0 }) },
    ],
    TOL,
  ),
  entry(
    'cdist',
    (a, b) => cdist(a, b),
    [
      { name: 'by hand', inputs: [v([0, 0, 1, 1], [2, 2]), v([3, 4], [1, 2])], expected: [5, Math.sqrt(13)] },
      { name: 'p = 1, batched', inputs: [f([2, 3, 4]), f([2, 5, 4])], call: (a, b) => cdist(a, b, { p: 1 }), gradcheck: false },
    ],
    TOL,
  ),
  entry(
    'einsum',
    (a, b) => einsum('ij,jk->ik', a, b),
    [
      { name: 'matmul by hand', inputs: [v([1, 2, 3, 4], [2, 2]), v([5, 6, 7, 8], [2, 2])], expected: [19, 22, 43, 50] },
      { name: 'dot', inputs: [v([1, 2, 3]), v([4, 5, 6])], call: (a, b) => einsum('i,i->', a, b), expected: [32] },
      { name: 'outer, implicit output', inputs: [v([1, 2]), v([3, 4, 5])], call: (a, b) => einsum('i,j', a, b), expected: [3, 4, 5, 6, 8, 10] },
      { name: 'batched matmul', inputs: [f([2, 3, 4]), f([2, 4, 5])], call: (a, b) => einsum('bij,bjk->bik', a, b) },
      { name: 'diagonal and transpose', inputs: [v([1, 2, 3, 4], [2, 2])], call: (a) => einsum('ii->i', a), expected: [1, 4] },
      { name: 'ellipsis transpose', inputs: [f([2, 3, 4])], call: (a) => einsum('...ij->...ji', a) },
      { name: 'three operands, a sum over a private index', inputs: [f([2, 3]), f([3, 4]), f([4, 2])], call: (a, b, c) => einsum('ij,jk,kl->il', a, b, c) },
      { name: 'bilinear form with a summed private index', inputs: [f([3, 2]), f([2])], call: (a, b) => einsum('ij,j->', a, b) },
    ],
    { rtol: 1e-5, atol: 1e-5 },
  ),
  entry(
    'interpolate',
    (x) => interpolate(x, { scaleFactor: 2 }),
    [
      { name: 'nearest ×2 by hand', inputs: [v([1, 2], [1, 1, 2])], expected: [1, 1, 2, 2] },
      { name: 'nearest to size 3 (scale 2/3)', inputs: [v([1, 2], [1, 1, 2])], call: (x) => interpolate(x, { size: 3 }), expected: [1, 1, 2] },
      {
        name: 'linear to size 4 by hand',
        inputs: [v([1, 2], [1, 1, 2])],
        call: (x) => interpolate(x, { size: 4, mode: 'linear' }),
        expected: [1, 1.25, 1.75, 2],
      },
      {
        name: 'linear, alignCorners, by hand',
        inputs: [v([1, 3], [1, 1, 2])],
        call: (x) => interpolate(x, { size: 3, mode: 'linear', alignCorners: true }),
        expected: [1, 2, 3],
      },
      { name: 'bilinear [2, 3, 4, 5] → [7, 3]', inputs: [f([2, 3, 4, 5])], call: (x) => interpolate(x, { size: [7, 3], mode: 'bilinear' }) },
      { name: 'nearest 2-D ×(1.5, 2)', inputs: [f([1, 2, 4, 3])], call: (x) => interpolate(x, { scaleFactor: [1.5, 2] }) },
    ],
    TOL,
  ),
  {
    ...entry(
      'maskedFill',
      (x, m) => maskedFill(x, m, -1),
      [
        { name: 'by hand', inputs: [v([1, 2, 3]), ints([3], 0, 1, 'bool')], call: (x) => maskedFill(x, x.gt(1.5), 0), expected: [1, 0, 0] },
        { name: 'broadcast mask', inputs: [f([3, 4]), ints([4], 0, 1, 'bool')] },
      ],
      EXACT,
    ),
    errorSample: 1,
  },
];
