import {
  assign,
  cat,
  chunk,
  clone,
  contiguous,
  expand,
  flatten,
  narrow,
  pad,
  permute,
  repeat,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  type Tensor,
  tile,
  transpose,
  unsqueeze,
  view,
} from '../../src/index';
import { dtypesOf, EXACT, f, ints, type OpInfo, type Sample, T, v } from './samples';

/** A movement op: exact on every device, differentiable, float32 and integer inputs. */
function movement(name: string, call: (...xs: Tensor[]) => Tensor | Tensor[], samples: Sample[], differentiable = true): OpInfo {
  return { name, call, samples, domain: 'real', dtypes: dtypesOf(samples), differentiable, tol: EXACT };
}

export const SHAPE_OPS: OpInfo[] = [
  movement('reshape', (x) => reshape(x, [4, 3]), [
    { name: '[3, 4] → [4, 3]', inputs: [f([3, 4])] },
    { name: '−1 infers, of a transposed view (copies)', inputs: [f([3, 4], 'real', T)], call: (x) => reshape(x, [2, -1]) },
    { name: 'to 0-d', inputs: [f([1, 1])], call: (x) => reshape(x, []) },
    { name: 'empty', inputs: [f([0, 3])], call: (x) => reshape(x, [3, 0]) },
    { name: 'int8', inputs: [ints([2, 3], -9, 9, 'int8')], call: (x) => reshape(x, [6]) },
  ]),
  movement('view', (x) => view(x, [2, 6]), [
    { name: '[3, 4] → [2, 6]', inputs: [f([3, 4])] },
    { name: 'splits a dim (of a contiguous narrow)', inputs: [f([4, 3])], call: (x) => view(narrow(x, 0, 1, 2), [3, 2]) },
  ]),
  movement('flatten', (x) => flatten(x), [
    { name: 'all dims', inputs: [f([2, 3, 2])] },
    { name: 'dims 1…2 of a permuted view', inputs: [f([2, 3, 4], 'real', (t) => t.permute([2, 0, 1]))], call: (x) => flatten(x, 1, 2) },
    { name: '0-d → [1]', inputs: [f([])] },
  ]),
  movement('permute', (x) => permute(x, [2, 0, 1]), [
    { name: '[2, 3, 4] → [4, 2, 3]', inputs: [f([2, 3, 4])] },
    {
      name: 'rank 5, negative dims, of a stepped slice',
      inputs: [f([2, 3, 2, 4, 2], 'real', (t) => t.slice(3, 0, 4, 2))],
      call: (x) => permute(x, [4, 2, 0, -2, 1]).contiguous(),
    },
    { name: 'bool', inputs: [ints([2, 3], 0, 1, 'bool')], call: (x) => permute(x, [1, 0]).contiguous() },
  ]),
  movement('transpose', (x) => transpose(x, 0, 1), [
    { name: '[3, 4]', inputs: [f([3, 4])] },
    { name: 'dims −1, 0 of [2, 3, 4], then a copy', inputs: [f([2, 3, 4])], call: (x) => transpose(x, -1, 0).contiguous() },
  ]),
  movement('squeeze', (x) => squeeze(x), [
    { name: 'every size-1 dim', inputs: [f([1, 3, 1, 2])] },
    { name: 'listed dims (a dim of size 3 stays)', inputs: [f([1, 3, 1])], call: (x) => squeeze(x, [0, 1]) },
    { name: 'to 0-d', inputs: [f([1, 1])] },
  ]),
  movement('unsqueeze', (x) => unsqueeze(x, 1), [
    { name: '[3, 4] → [3, 1, 4]', inputs: [f([3, 4])] },
    { name: 'dim −1 of 0-d', inputs: [f([])], call: (x) => unsqueeze(x, -1) },
  ]),
  movement('expand', (x) => expand(x, [3, 4]), [
    { name: '[1, 4] → [3, 4] (gradient sums the copies)', inputs: [f([1, 4])] },
    { name: 'new leading dims, −1 keeps, then a copy', inputs: [f([3, 1])], call: (x) => expand(x, [2, -1, 5]).contiguous() },
    { name: 'to an empty dim', inputs: [f([1, 2])], call: (x) => expand(x, [0, 2]) },
  ]),
  movement('narrow', (x) => narrow(x, 1, 2, 5), [
    { name: 'dim 1 of [6, 10]', inputs: [f([6, 10])] },
    { name: 'negative dim, length 0', inputs: [f([3, 4])], call: (x) => narrow(x, -1, 1, 0) },
    { name: 'of a transposed view, then a copy', inputs: [f([4, 5], 'real', T)], call: (x) => narrow(x, 0, 1, 3).contiguous() },
  ]),
  movement('slice', (x) => slice(x, 0, 1, 6, 2), [
    { name: 'every second row', inputs: [f([6, 10])] },
    { name: 'negative start, then a copy', inputs: [f([6, 10])], call: (x) => slice(slice(x, 0, 1, 6, 2), 1, -4).contiguous() },
    { name: 'empty range', inputs: [f([5])], call: (x) => slice(x, 0, 3, 3) },
  ]),
  movement('cat', (a, b, c) => cat([a, b, c], 0), [
    { name: 'three along dim 0', inputs: [f([3, 5]), f([4, 5]), f([1, 5])] },
    { name: 'transposed views along dim 0', inputs: [f([3, 5], 'real', T), f([3, 2], 'real', T)], call: (a, b) => cat([a, b], 0) },
    { name: 'dim −1, int32 promotes to float32', inputs: [f([2, 2]), ints([2, 3], -5, 5)], call: (a, b) => cat([a, b], -1) },
    { name: 'with an empty part', inputs: [f([2, 3]), f([0, 3])], call: (a, b) => cat([a, b]) },
  ]),
  movement('stack', (a, b) => stack([a, b], 1), [
    { name: 'two [3, 5] along dim 1', inputs: [f([3, 5]), f([3, 5])] },
    { name: 'dim −1 of 0-d and a view', inputs: [f([]), f([1], 'real', (t) => t.reshape([]))], call: (a, b) => stack([a, b], -1) },
  ]),
  movement('split', (x) => split(x, 2, 0), [
    { name: 'size 2 along dim 0 of [5, 3] (uneven last)', inputs: [f([5, 3])] },
    { name: 'sections [1, 3] along dim 1', inputs: [f([2, 4])], call: (x) => split(x, [1, 3], 1).map((t) => t.contiguous()) },
  ]),
  movement('chunk', (x) => chunk(x, 3, 0), [
    { name: '3 chunks of [7, 4] (uneven last)', inputs: [f([7, 4])] },
    { name: '2 chunks along dim 1 of a transposed view', inputs: [f([4, 3], 'real', T)], call: (x) => chunk(x, 2, 1).map((t) => t.contiguous()) },
  ]),
  movement('contiguous', (x) => contiguous(x).mul(1), [
    { name: 'already contiguous', inputs: [f([2, 3])] },
    { name: 'a transposed view', inputs: [f([3, 4], 'real', T)], call: contiguous },
    { name: 'a stepped slice of int8', inputs: [ints([3, 8], -100, 100, 'int8')], call: (x) => contiguous(x.slice(1, 1, 8, 3)) },
  ]),
  movement('clone', clone, [
    { name: '[2, 3]', inputs: [f([2, 3])] },
    { name: 'an expanded view', inputs: [f([1, 3], 'real', (t) => t.expand([2, 3]))] },
    { name: 'bool', inputs: [ints([5], 0, 1, 'bool')] },
  ]),
  // in place and outside autograd: tested on a fresh copy, against the value it should hold
  movement(
    'assign',
    (dst, value) => {
      const out = dst.detach().clone();
      assign(out, value);
      return out;
    },
    [
      { name: 'broadcast value [3] into [2, 3]', inputs: [f([2, 3]), f([3])] },
      { name: 'int32 value cast to float32', inputs: [f([4]), v([1, 2, 3, 4], [4], 'int32')], expected: [1, 2, 3, 4] },
      { name: 'a transposed value', inputs: [f([3, 2]), f([2, 3], 'real', T)] },
      {
        name: 'a number',
        inputs: [f([2, 2])],
        call: (d) => {
          const out = d.detach().clone();
          assign(out, 2.5);
          return out;
        },
        expected: [2.5, 2.5, 2.5, 2.5],
      },
    ],
    false,
  ),
  movement('pad', (x) => pad(x, [1, 2, 0, 3], { value: 1.5 }), [
    { name: 'constant 1.5, last two dims', inputs: [f([2, 3, 5])] },
    { name: 'reflect', inputs: [f([2, 4, 5])], call: (x) => pad(x, [3, 2, 1, 3], { mode: 'reflect' }) },
    { name: 'replicate of a transposed view', inputs: [f([4, 3], 'real', T)], call: (x) => pad(x, [2, 1], { mode: 'replicate' }) },
    { name: 'circular', inputs: [f([1, 2, 4])], call: (x) => pad(x, [1, 3], { mode: 'circular' }) },
    { name: 'negative padding crops', inputs: [f([3, 5])], call: (x) => pad(x, [-1, 1, 0, -2]) },
    { name: 'fixed reflect', inputs: [v([1, 2, 3], [1, 3])], call: (x) => pad(x, [2, 0], { mode: 'reflect' }), expected: [3, 2, 1, 2, 3] },
  ]),
  movement('tile', (x) => tile(x, [3, 1, 2]), [
    { name: '[2, 3] × [3, 1, 2] (gradient sums the copies)', inputs: [f([2, 3])] },
    { name: 'fewer reps than dims', inputs: [f([2, 2])], call: (x) => tile(x, [2]) },
  ]),
  movement('repeat', (x) => repeat(x, [2, 1, 2]), [
    { name: '[2, 3] with a new leading dim', inputs: [f([2, 3])] },
    { name: 'fixed', inputs: [v([1, 2])], call: (x) => repeat(x, [2]), expected: [1, 2, 1, 2] },
  ]),
];
