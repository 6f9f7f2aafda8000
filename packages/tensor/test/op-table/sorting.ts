import { argsort, cumprod, cumsum, kthvalue, median, quantile, sort, type Tensor, topk } from '../../src/index';
import { randomValues } from '../helpers';
import { dtypesOf, EXACT, f, ints, type OpInfo, type OpResult, type Sample, T, TOL, v } from './samples';

// Sorting, order statistics and scans. Expected values are worked by hand from PyTorch's
// definitions: stable sorts (ties keep input order, both directions), NaN the largest value,
// −0 equal to +0; kthvalue/median/quantile on the sorted row; cumsum/cumprod inclusive.
// Samples returning [values, indices] check both outputs exactly; values-only samples carry the
// gradcheck (distinct random values, so the permutation is locally constant).

const NaN_ = Number.NaN;
const INF = Number.POSITIVE_INFINITY;

function entry(name: string, call: (...xs: Tensor[]) => OpResult, samples: Sample[], tol = EXACT, differentiable = true): OpInfo {
  return { name, call, samples, domain: 'real', dtypes: dtypesOf(samples), differentiable, tol };
}

const both = (r: { values: Tensor; indices: Tensor }): Tensor[] => [r.values, r.indices];
/** IEEE specials with ties: 3, 1, NaN, 2, 1, −0, 0, −∞. */
const specials = () => v([3, 1, NaN_, 2, 1, -0, 0, -INF]);
/** A row longer than a workgroup's block (1024), padded to 4096 on the GPU: the multi-pass network. */
const long = (n: number, seed: number) => v(randomValues(n, seed, -2, 2), [n]);
const near1 = (n: number, seed: number) => v(randomValues(n, seed, 0.999, 1.001), [n]);

export const SORTING_OPS: OpInfo[] = [
  entry('sort', (x) => sort(x).values, [
    {
      name: 'ties, NaN, ±∞, −0: stable ascending',
      inputs: [specials()],
      call: (x) => both(sort(x)),
      expected: [-INF, -0, 0, 1, 1, 2, 3, NaN_, 7, 5, 6, 1, 4, 3, 0, 2],
    },
    {
      name: 'descending: NaN first, ties still in input order',
      inputs: [specials()],
      call: (x) => both(sort(x, { descending: true, stable: true })),
      expected: [NaN_, 3, 2, 1, 1, -0, 0, -INF, 2, 0, 3, 1, 4, 5, 6, 7],
    },
    {
      name: 'dim 0, descending',
      inputs: [v([3, 1, 2, 4], [2, 2])],
      call: (x) => both(sort(x, { dim: 0, descending: true })),
      expected: [3, 4, 2, 1, 0, 1, 1, 0],
    },
    { name: 'int32 with ties', inputs: [v([5, -3, 5, 0], [4], 'int32')], call: (x) => both(sort(x)), expected: [-3, 0, 5, 5, 1, 3, 0, 2] },
    { name: 'bool', inputs: [v([1, 0, 1, 0], [4], 'bool')], call: (x) => both(sort(x)), expected: [0, 0, 1, 1, 1, 3, 0, 2] },
    { name: 'odd length 5 of a transposed view, gradcheck', inputs: [f([5, 3], 'real', T)] },
    { name: 'dim −2 of [2, 5, 3]', inputs: [f([2, 5, 3])], call: (x) => sort(x, { dim: -2 }).values },
    { name: '0-d', inputs: [f([])], call: (x) => both(sort(x)), gradcheck: false },
    { name: 'empty [3, 0]', inputs: [f([3, 0])], call: (x) => both(sort(x)), expected: [] },
    { name: 'empty [0, 4] along dim 1', inputs: [f([0, 4])], call: (x) => both(sort(x, { dim: 1 })), expected: [] },
    { name: 'two rows of 3000 (multi-pass on the GPU)', inputs: [f([2, 3000])], call: (x) => both(sort(x)), gradcheck: false },
    { name: 'row of 1025, descending, int32 ties', inputs: [ints([1025], 0, 9)], call: (x) => both(sort(x, { descending: true })) },
    { name: 'stepped slice, row of 1024', inputs: [f([2, 2048], 'real', (t) => t.slice(1, 0, 2048, 2))], call: (x) => both(sort(x)), gradcheck: false },
    { name: 'gradient of a row of 1500 flows back through the permutation', inputs: [long(1500, 3)], gradcheck: false },
  ]),
  entry(
    'argsort',
    (x) => argsort(x),
    [
      { name: 'by hand', inputs: [v([3, 1, 2], [1, 3])], expected: [1, 2, 0] },
      { name: 'descending, ties stable', inputs: [v([1, 2, 2, 1])], call: (x) => argsort(x, { descending: true }), expected: [1, 2, 0, 3] },
      { name: 'dim 0 of int8', inputs: [v([2, -1, -1, 3], [2, 2], 'int8')], call: (x) => argsort(x, { dim: 0 }), expected: [1, 0, 0, 1] },
    ],
    EXACT,
    false,
  ),
  entry('topk', (x) => topk(x, 2).values, [
    { name: 'ties by hand', inputs: [v([1, 5, 2, 5])], call: (x) => both(topk(x, 2)), expected: [5, 5, 1, 3] },
    { name: 'smallest, NaN last', inputs: [v([NaN_, 4, -1, 2])], call: (x) => both(topk(x, 2, { largest: false })), expected: [-1, 2, 2, 3] },
    { name: 'largest: NaN first', inputs: [v([1, NaN_, 3])], call: (x) => both(topk(x, 1)), expected: [NaN_, 1] },
    { name: 'k = n (all, sorted)', inputs: [v([2, 3, 1])], call: (x) => both(topk(x, 3)), expected: [3, 2, 1, 1, 0, 2] },
    { name: 'k = 0: empty', inputs: [v([2, 3, 1])], call: (x) => both(topk(x, 0)), expected: [] },
    { name: 'k = 1 and k = 0 of a 0-d tensor', inputs: [v([7], [])], call: (x) => [...both(topk(x, 1)), ...both(topk(x, 0))], expected: [7, 0] },
    { name: 'k = 1 along dim 0, gradcheck', inputs: [f([4, 3])], call: (x) => topk(x, 1, { dim: 0 }).values },
    { name: 'k = 3 of a row of 3000', inputs: [long(3000, 7)], call: (x) => topk(x, 3).values, gradcheck: false },
  ]),
  entry('kthvalue', (x) => kthvalue(x, 2).values, [
    { name: 'by hand', inputs: [v([5, 1, 4, 2])], call: (x) => both(kthvalue(x, 2)), expected: [2, 3] },
    { name: 'NaN counts as the largest', inputs: [v([1, NaN_, 0])], call: (x) => both(kthvalue(x, 3)), expected: [NaN_, 1] },
    { name: 'dim 0, keepdim', inputs: [v([3, 1, 2, 4], [2, 2])], call: (x) => both(kthvalue(x, 1, { dim: 0, keepdim: true })), expected: [2, 1, 1, 0] },
    { name: 'k = n of int32', inputs: [v([7, -2, 9], [3], 'int32')], call: (x) => both(kthvalue(x, 3)), expected: [9, 2] },
    { name: 'random [3, 5], gradcheck', inputs: [f([3, 5])], call: (x) => kthvalue(x, 4).values },
  ]),
  entry('median', (x) => median(x), [
    { name: 'all elements: the lower middle', inputs: [v([4, 1, 3, 2])], expected: [2] },
    {
      name: 'dim 1: a NaN row gives NaN at its first NaN',
      inputs: [v([4, 1, 3, 2, NaN_, 0, NaN_, 5, NaN_], [3, 3])],
      call: (x) => both(median(x, { dim: 1 })),
      expected: [3, NaN_, NaN_, 2, 1, 0],
    },
    { name: 'even count, keepdim', inputs: [v([1, 2, 3, 4], [1, 4])], call: (x) => both(median(x, { dim: -1, keepdim: true })), expected: [2, 1] },
    { name: 'empty: NaN', inputs: [f([0, 3])], expected: [NaN_] },
    { name: 'int32 along dim 0', inputs: [v([5, 1, 3, 0, 2, 2], [3, 2], 'int32')], call: (x) => both(median(x, { dim: 0 })), expected: [3, 1, 1, 0] },
    { name: 'random [4, 5] along dim 0, gradcheck', inputs: [f([4, 5])], call: (x) => median(x, { dim: 0 }).values },
    { name: 'all of a random [3, 3], gradcheck', inputs: [f([3, 3])] },
  ]),
  entry(
    'quantile',
    (x) => quantile(x, 0.5),
    [
      { name: 'linear by hand', inputs: [v([1, 2, 3, 4])], call: (x) => quantile(x, [0.25, 0.5, 1]), expected: [1.75, 2.5, 4] },
      { name: 'q = 0.4 lower', inputs: [v([4, 1, 3, 2])], call: (x) => quantile(x, 0.4, { interpolation: 'lower' }), expected: [2] },
      { name: 'q = 0.4 higher', inputs: [v([4, 1, 3, 2])], call: (x) => quantile(x, 0.4, { interpolation: 'higher' }), expected: [3] },
      { name: 'q = 0.4 midpoint', inputs: [v([4, 1, 3, 2])], call: (x) => quantile(x, 0.4, { interpolation: 'midpoint' }), expected: [2.5] },
      { name: 'q = 0.4 linear', inputs: [v([4, 1, 3, 2])], call: (x) => quantile(x, 0.4), expected: [2.2] },
      {
        name: 'nearest: round half to even (ranks 1.5 → 2, 0.5 → 0)',
        inputs: [v([4, 1, 3, 2])],
        call: (x) => quantile(x, [0.5, 1 / 6, 0.4], { interpolation: 'nearest' }),
        expected: [3, 1, 2],
      },
      {
        name: 'dim 1: a NaN row gives NaN',
        inputs: [v([1, NaN_, 3, 0, 10, 5], [2, 3])],
        call: (x) => quantile(x, 0.5, { dim: 1 }),
        expected: [NaN_, 5],
        gradcheck: false,
      },
      {
        name: 'q array, dim 0, keepdim: shape [2, 1, 2]',
        inputs: [v([0, 10, 4, 2], [2, 2])],
        call: (x) => quantile(x, [0, 0.5], { dim: 0, keepdim: true }),
        expected: [0, 2, 2, 6],
      },
      { name: 'all elements, keepdim: [1, 1]', inputs: [v([1, 3, 2, 4], [2, 2])], call: (x) => quantile(x, 0.5, { keepdim: true }), expected: [2.5] },
      { name: 'random [3, 5] along dim −1, gradcheck', inputs: [f([3, 5])], call: (x) => quantile(x, [0.3, 0.7], { dim: -1 }) },
    ],
    TOL,
  ),
  entry(
    'cumsum',
    (x) => cumsum(x, 0),
    [
      { name: 'by hand', inputs: [v([1, 2, 3, 4])], expected: [1, 3, 6, 10] },
      { name: 'dim −1 of [2, 2]', inputs: [v([1, 2, 3, 4], [2, 2])], call: (x) => cumsum(x, -1), expected: [1, 3, 3, 7] },
      { name: 'NaN and ±∞ propagate', inputs: [v([1, NaN_, 2, INF, -INF])], expected: [1, NaN_, NaN_, NaN_, NaN_], gradcheck: false },
      { name: '∞ − ∞', inputs: [v([INF, 1, -INF])], expected: [INF, INF, NaN_], gradcheck: false },
      { name: 'int32 stays int32', inputs: [v([5, -7, 2], [3], 'int32')], expected: [5, -2, 0], dtype: 'int32' },
      { name: 'bool accumulates in int32', inputs: [v([1, 0, 1, 1], [4], 'bool')], expected: [1, 1, 2, 3], dtype: 'int32' },
      { name: 'int8 accumulates in int32', inputs: [v([100, 100, -50], [3], 'int8')], expected: [100, 200, 150], dtype: 'int32' },
      { name: 'transposed view, dim 1', inputs: [f([4, 3], 'real', T)], call: (x) => cumsum(x, 1) },
      { name: '0-d', inputs: [f([])] },
      { name: 'empty [0, 3]', inputs: [f([0, 3])], expected: [] },
      { name: 'odd row of 3001 (chunked scan)', inputs: [f([2, 3001])], call: (x) => cumsum(x, 1), tol: { rtol: 1e-4, atol: 1e-3 }, gradcheck: false },
      {
        name: 'row of 20001 in 3 segments on the GPU, transposed',
        inputs: [f([20001, 2], 'real', T)],
        call: (x) => cumsum(x, 1),
        tol: { rtol: 1e-4, atol: 3e-3 },
        gradcheck: false,
      },
    ],
    TOL,
  ),
  entry(
    'cumprod',
    (x) => cumprod(x, 0),
    [
      { name: 'by hand', inputs: [v([1, 2, 3, 4])], expected: [1, 2, 6, 24] },
      { name: 'one zero: gradcheck through it', inputs: [v([2, 0, 5, 3])], expected: [2, 0, 0, 0] },
      { name: 'two zeros', inputs: [v([0, 2, 0, 3])], expected: [0, 0, 0, 0] },
      { name: 'zero last', inputs: [v([1.5, -2, 0])], expected: [1.5, -3, -0] },
      { name: 'dim 1 of a random [3, 4]', inputs: [f([3, 4])], call: (x) => cumprod(x, 1) },
      { name: 'int32 wraps', inputs: [v([65536, 65536, 3], [3], 'int32')], expected: [65536, 0, 0], dtype: 'int32' },
      { name: 'empty [2, 0]', inputs: [f([2, 0])], call: (x) => cumprod(x, 1), expected: [] },
      { name: 'row of 3000 near 1 (chunked scan)', inputs: [near1(3000, 11)], tol: { rtol: 1e-4, atol: 1e-5 }, gradcheck: false },
      { name: 'row of 17000 near 1 in 3 segments', inputs: [near1(17000, 13)], tol: { rtol: 1e-4, atol: 1e-5 }, gradcheck: false },
    ],
    TOL,
  ),
];
