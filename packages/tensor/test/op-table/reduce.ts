import { type Dim, type Tensor, argmax, argmin, logSoftmax, logsumexp, max, mean, min, prod, softmax, std, sum, variance } from '../../src/index';
import { dtypesOf, EXACT, f, ints, type OpInfo, type Sample, T, TOL, v } from './samples';

type Reduce = (x: Tensor, dim?: Dim, keepdim?: boolean) => Tensor;
const NaN_ = Number.NaN;

interface ReductionOptions {
  /** Reducing an empty dim gives this identity (NaN for mean); undefined: the op rejects it. */
  empty?: number;
  /** A row with NaN, ±∞ and its reference along dim 1 (PyTorch's results). */
  specials: number[];
  /** Integer inputs: true for ops that take them. */
  ints?: boolean;
  differentiable?: boolean;
  /** Values near 1 (products of long rows neither under- nor overflow). */
  nearOne?: boolean;
  tol?: { rtol: number; atol: number };
  /** Divides by N − 1 (variance, std). */
  unbiased?: boolean;
}

const ROW = [1, NaN_, 3, -2, Infinity, -Infinity, 0.5, 2];
const ROWS = [...ROW, 1, 2, 3, -Infinity, 4, 0, -1, 5, 0.5, -0.5, Infinity, 8, -8, 2, 1, 0];

function reduction(name: string, op: Reduce, o: ReductionOptions): OpInfo {
  const long = (n: number): Sample => {
    const x = f([2, n]);
    if (o.nearOne) x.values = x.values.map((e) => 1 + e * 0.05);
    return {
      name: `rows of ${n} (the kernel changes with the row length)`,
      inputs: [x],
      call: (t) => op(t, -1),
      gradcheck: false,
      tol: { rtol: 2e-4, atol: 1e-4 },
    };
  };
  const samples: Sample[] = [
    { name: 'dim 1 of [3, 4]', inputs: [f([3, 4])], call: (x) => op(x, 1) },
    { name: 'every dim', inputs: [f([3, 4])], call: (x) => op(x) },
    { name: 'dim −1 keepdim, transposed view', inputs: [f([5, 3], 'real', T)], call: (x) => op(x, -1, true) },
    { name: 'dim 0 of a stepped slice', inputs: [f([6, 5], 'real', (t) => t.slice(0, 1, undefined, 2))], call: (x) => op(x, 0) },
    // one element: the unbiased variance divides by 0 (NaN), so no finite differences there
    { name: 'size-1 reduced dim', inputs: [f([3, 1])], call: (x) => op(x, 1), gradcheck: !o.unbiased },
    { name: '0-d', inputs: [f([])], call: (x) => op(x), gradcheck: !o.unbiased },
    { name: 'empty output: dim 1 of [0, 3]', inputs: [f([0, 3])], call: (x) => op(x, 1) },
    { name: 'column of a long matrix', inputs: [f([257, 2])], call: (x) => op(x, 0), gradcheck: false, tol: { rtol: 1e-4, atol: 1e-4 } },
    long(257),
    long(1000),
    long(4099),
    { name: 'column of 4099', inputs: [f([4099, 2])], call: (x) => op(x, 0), gradcheck: false, tol: { rtol: 2e-4, atol: 1e-4 } },
    { name: 'NaN and ±∞ along dim 1', inputs: [v(ROWS, [3, 8])], call: (x) => op(x, 1), expected: o.specials, gradcheck: false },
  ];
  if (name !== 'argmax' && name !== 'argmin') {
    samples.push(
      { name: 'dims [0, 2] of [2, 3, 4]', inputs: [f([2, 3, 4])], call: (x) => op(x, [0, 2]) },
      { name: 'dims [2, 1] keepdim of an expanded view', inputs: [f([1, 3, 1, 2], 'real', (t) => t.expand([2, 3, 4, 2]))], call: (x) => op(x, [2, 1], true) },
    );
  }
  if (o.empty !== undefined) {
    samples.push({
      name: 'empty reduced dim: the identity',
      inputs: [f([3, 0, 2])],
      call: (x) => op(x, 1),
      expected: new Array(6).fill(o.empty),
      gradcheck: false,
    });
  }
  if (o.ints) {
    samples.push(
      { name: 'int32 (transposed)', inputs: [ints([6, 7], -100, 100, 'int32')], call: (x) => op(x.transpose(0, 1), 1), tol: EXACT },
      { name: 'int8 dim 0', inputs: [ints([5, 7], -100, 100, 'int8')], call: (x) => op(x, 0), tol: EXACT },
      { name: 'uint8 every dim', inputs: [ints([9], 0, 200, 'uint8')], call: (x) => op(x), tol: EXACT },
      { name: 'bool dim 1', inputs: [ints([3, 5], 0, 1, 'bool')], call: (x) => op(x, 1), tol: EXACT },
    );
  }
  return {
    name,
    call: (x) => op(x, 1),
    samples,
    domain: 'real',
    dtypes: dtypesOf(samples),
    differentiable: o.differentiable ?? true,
    tol: o.tol ?? { rtol: 1e-5, atol: 1e-5 },
  };
}

// rows of ROWS: [1, NaN, 3, −2, ∞, −∞, ½, 2], [1, 2, 3, −∞, 4, 0, −1, 5], [½, −½, ∞, 8, −8, 2, 1, 0]
// (∞·0 and ∞ − ∞ are NaN: prod, variance)
export const REDUCE_OPS: OpInfo[] = [
  reduction('sum', (x, d, k) => sum(x, d, k), { empty: 0, specials: [NaN_, -Infinity, Infinity], ints: true }),
  reduction('mean', (x, d, k) => mean(x, d, k), { empty: NaN_, specials: [NaN_, -Infinity, Infinity] }),
  reduction('prod', (x, d, k) => prod(x, d, k), { empty: 1, specials: [NaN_, NaN_, NaN_], nearOne: true, tol: { rtol: 1e-4, atol: 1e-5 } }),
  reduction('max', (x, d, k) => max(x, d, k), { specials: [NaN_, 5, Infinity], ints: true }),
  reduction('min', (x, d, k) => min(x, d, k), { specials: [NaN_, -Infinity, -8], ints: true }),
  // the first NaN counts as the maximum (and the minimum), as torch.argmax/argmin
  reduction('argmax', (x, d, k) => argmax(x, d as number | undefined, k), { specials: [1, 7, 2], ints: true, differentiable: false, tol: EXACT }),
  reduction('argmin', (x, d, k) => argmin(x, d as number | undefined, k), { specials: [1, 3, 4], ints: true, differentiable: false, tol: EXACT }),
  reduction('variance', (x, d, k) => variance(x, d, k), { specials: [NaN_, NaN_, NaN_], unbiased: true }),
  reduction('std', (x, d, k) => std(x, d, k), { specials: [NaN_, NaN_, NaN_], unbiased: true }),
  // logsumexp of −∞ rows is −∞ (not NaN), as torch.logsumexp
  reduction('logsumexp', (x, d, k) => logsumexp(x, d, k), {
    specials: [NaN_, Math.log([1, 2, 3, 4, 0, -1, 5].reduce((a, x) => a + Math.exp(x), 0)), Infinity],
  }),
];

// the biased/unbiased variants and std's options
REDUCE_OPS.find((o) => o.name === 'variance')!.samples.push(
  { name: 'correction 0 (biased), dims [0, 1]', inputs: [f([4, 5])], call: (x) => variance(x, { dim: [0, 1], correction: 0 }) },
  { name: 'one element: unbiased is NaN', inputs: [v([3])], call: (x) => variance(x), expected: [NaN_], gradcheck: false },
);
// a few short rows: one invocation per output (the NaN still wins)
REDUCE_OPS.find((o) => o.name === 'argmin')!.samples.push({
  name: 'short rows with NaN',
  inputs: [v(ROWS, [3, 8])],
  call: (x) => argmin(x.narrow(1, 0, 5), 1),
  expected: [1, 3, 4],
  tol: EXACT,
});
REDUCE_OPS.find((o) => o.name === 'std')!.samples.push({
  name: 'unbiased false, keepdim',
  inputs: [f([4, 5])],
  call: (x) => std(x, 1, { unbiased: false, keepdim: true }),
});
REDUCE_OPS.find((o) => o.name === 'logsumexp')!.samples.push({
  name: 'rows of −∞, ∞ and large values',
  inputs: [v([-Infinity, -Infinity, Infinity, Infinity, 1000, 1000, -Infinity, 0], [4, 2])],
  call: (x) => logsumexp(x, 1),
  expected: [-Infinity, Infinity, 1000 + Math.LN2, 0],
  gradcheck: false,
});

function softmaxOp(name: string, op: (x: Tensor, dim?: number) => Tensor, ref: (row: number[]) => number[]): OpInfo {
  const row = (n: number, dim = -1): Sample => ({
    name: `rows of ${n}`,
    inputs: [f([2, n])],
    call: (x) => op(x, dim),
    gradcheck: n <= 8,
    tol: { rtol: 1e-5, atol: 1e-6 },
  });
  const specialRows = [
    [1, -Infinity, 2, 3],
    [-Infinity, -Infinity, -Infinity, -Infinity],
    [1, NaN_, 2, 0],
    [-Infinity, 0, -Infinity, -1],
  ];
  return {
    name,
    call: (x) => op(x, -1),
    samples: [
      row(7),
      { name: 'dim 0 of a transposed view', inputs: [f([5, 4], 'real', T)], call: (x) => op(x, 0) },
      { name: 'dim 1 of [3, 4, 2], stepped slice', inputs: [f([3, 8, 2], 'real', (t) => t.slice(1, 0, 8, 2))], call: (x) => op(x, 1) },
      { name: 'default dim', inputs: [f([2, 3])], call: (x) => op(x) },
      { name: 'size-1 rows', inputs: [f([3, 1])], call: (x) => op(x, -1) },
      { name: 'empty [0, 3]', inputs: [f([0, 3])] },
      // ≤ 8192: rows kept in registers; 9000: read twice from memory
      row(257),
      row(4099),
      row(8192),
      row(9000),
      { name: 'rows with −∞ and NaN (all −∞ → NaN)', inputs: [v(specialRows.flat(), [4, 4])], expected: specialRows.flatMap(ref), gradcheck: false },
    ],
    domain: 'real',
    dtypes: ['float32'],
    differentiable: true,
    tol: TOL,
  };
}

const softmaxRow = (r: number[]) => {
  const m = Math.max(...r);
  const e = r.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

export const SOFTMAX_OPS: OpInfo[] = [softmaxOp('softmax', softmax, softmaxRow), softmaxOp('logSoftmax', logSoftmax, (r) => softmaxRow(r).map(Math.log))];
