import {
  acos,
  all,
  any,
  asin,
  atan,
  atan2,
  cosh,
  elu,
  exp2,
  expm1,
  fmod,
  frac,
  hardsigmoid,
  hardswish,
  isfinite,
  isinf,
  isnan,
  log1p,
  log2,
  logicalAnd,
  logicalNot,
  logicalOr,
  logicalXor,
  mish,
  nanToNum,
  reciprocal,
  remainder,
  selu,
  silu,
  sinh,
  softplus,
  square,
  type Tensor,
  trunc,
} from '../../src/index';
import { binarySamples, type Domain, dtypesOf, EXACT, f, ints, type OpInfo, type Sample, type SampleInput, SPECIALS, TOL, unarySamples, v } from './samples';

// The elementwise additions of SPEC § Breadth. Expected values are PyTorch's definitions
// evaluated in float64 on the float32 inputs and rounded to float32 (JS Math gives C's results
// on the IEEE specials, as PyTorch's CPU kernels).

const fr = Math.fround;

/** `values` with the reference `ref` applied elementwise (no gradcheck: specials and edges). */
function ref(name: string, f1: (x: number) => number, values: number[], tol?: OpInfo['tol']): Sample {
  return { name, inputs: [v(values)], expected: values.map((x) => fr(f1(fr(x)))), gradcheck: false, tol };
}
const specials = (f1: (x: number) => number, values = SPECIALS) => ref('IEEE specials (NaN, ±∞, ±0)', f1, values);

/** A generated input with its values scaled (asin/acos live on (−1, 1)). */
const scaled = (input: SampleInput, k: number, shift = 0): SampleInput => ({ ...input, values: input.values.map((x) => x * k + shift) });

function unary(name: string, call: (x: Tensor) => Tensor, domain: Domain, extra: Sample[], opts: Partial<OpInfo> = {}, base = unarySamples(domain)): OpInfo {
  const samples = [...base, ...extra];
  return { name, call, samples, domain, dtypes: dtypesOf(samples), differentiable: true, tol: TOL, ...opts };
}

/** Integer and bool inputs of an op that computes in float32. */
const toFloat: Sample[] = [
  { name: 'int32 → float32', inputs: [v([-2, -1, 0, 1, 2, 3], [6], 'int32')], dtype: 'float32' },
  { name: 'bool → float32', inputs: [v([0, 1, 1, 0], [4], 'bool')], dtype: 'float32' },
];

/** The standard samples with inputs mapped into (−0.9, 0.9) (asin, acos). */
const inUnit = (): Sample[] => unarySamples('real').map((s) => ({ ...s, inputs: s.inputs.map((i) => scaled(i, 0.45)) }));

const UNARY: OpInfo[] = [
  unary('trunc', trunc, 'offGrid', [
    specials(Math.trunc, [...SPECIALS, -0.7, 2.5, 8388607.5, -8388607.5]),
    { name: 'int32 unchanged', inputs: [ints([3, 5], -100, 100)], dtype: 'int32', tol: EXACT },
    { name: 'int8 unchanged', inputs: [v([-128, 127, 0, -5], [4], 'int8')], dtype: 'int8', expected: [-128, 127, 0, -5] },
    { name: 'uint8 unchanged', inputs: [v([0, 255, 7], [3], 'uint8')], dtype: 'uint8', expected: [0, 255, 7] },
  ]),
  unary('log1p', log1p, 'positive', [
    specials(Math.log1p),
    ref('tiny to huge, −1 and below', Math.log1p, [-1, -0.999, -0.5, -0.3, -0.2, 1e-7, -1e-7, 1e-30, 0.2, 0.3, 2, 1e6, 3.4e38, -2]),
    { name: '(−1, 0)', inputs: [scaled(f([3, 4], 'positive'), 0.3, -0.95)] },
    ...toFloat,
  ]),
  unary('expm1', expm1, 'real', [
    specials(Math.expm1),
    ref('tiny to huge |x|', Math.expm1, [1e-7, -1e-7, 1e-30, 0.49, -0.49, 0.51, -0.51, 10, -10, -30, 88, 88.7, 88.72283, 88.72284, 89, -104]),
    ...toFloat,
  ]),
  unary('log2', log2, 'positive', [
    specials(Math.log2),
    ref('edges', Math.log2, [-1e-30, -3, 1e-30, 1, 2, 1024, 0.999, 1.001, 2 ** -126, 3.4028234e38]),
    ...toFloat,
  ]),
  unary('exp2', exp2, 'real', [
    specials((x) => 2 ** x),
    ref('overflow and underflow', (x) => 2 ** x, [10, 10.5, 0.1, -0.1, 127, 127.9, 128, 200, -126, -140, -150, -151, -1000]),
    ...toFloat,
  ]),
  unary(
    'asin',
    asin,
    'real',
    [specials(Math.asin), ref('±1 and beyond', Math.asin, [1, -1, 0.999, -0.999, 0.99999, 1.0001, -1.5, 1e-7, 0.5, Math.SQRT1_2, -0.4142, 0.4143]), ...toFloat],
    {},
    inUnit(),
  ),
  unary(
    'acos',
    acos,
    'real',
    [specials(Math.acos), ref('±1 and beyond', Math.acos, [1, -1, 0.999, -0.999, 0.99999, 1.0001, -1.5, 1e-7, 0.5, Math.SQRT1_2, -0.4142, 0.4143]), ...toFloat],
    {},
    inUnit(),
  ),
  unary('atan', atan, 'real', [
    specials(Math.atan),
    ref('tiny to huge |x|', Math.atan, [1e-7, -1e-30, 0.4, 0.42, -0.9, 1.01, 2.4, 2.42, 1e6, -1e30, 3.4028234e38]),
    ...toFloat,
  ]),
  unary('sinh', sinh, 'real', [
    specials(Math.sinh),
    ref('tiny to huge |x|', Math.sinh, [1e-7, -1e-30, 0.49, -0.51, 3, 8.9, -9.1, 20, 88, 89, -89.3, 89.5, -1e6]),
    ...toFloat,
  ]),
  unary('cosh', cosh, 'real', [
    specials(Math.cosh),
    ref('tiny to huge |x|', Math.cosh, [1e-7, -1e-30, 0.49, -0.51, 3, 8.9, -9.1, 20, 88, 89, -89.3, 89.5, -1e6]),
    ...toFloat,
  ]),
];

type Binary = (a: Tensor | number, b: Tensor | number) => Tensor;

/** Every pair of `as` × `bs` (broadcast [n, 1] × [m]) with the reference `r`. */
function pairs(r: (a: number, b: number) => number, as = [...SPECIALS, 1, -1, -8], bs = [...SPECIALS, 2, -1, 31, -33, 0.75]): Sample {
  return {
    name: 'IEEE specials, every pair',
    inputs: [v(as, [as.length, 1]), v(bs, [bs.length])],
    expected: as.flatMap((a) => bs.map((b) => fr(r(fr(a), fr(b))))),
    gradcheck: false,
  };
}

function binary(name: string, op: Binary, domA: Domain, domB: Domain, r: (a: number, b: number) => number, extra: Sample[], jumps = false): OpInfo {
  // fmod and remainder jump where a/b crosses an integer: random inputs may straddle one, so
  // their gradients are checked on the hand-placed pairs of `offJumps` (and across devices here)
  const standard = binarySamples(op, domA, domB).map((s) => (jumps ? { ...s, gradcheck: false } : s));
  const samples = [...standard, pairs(r), ...extra];
  return { name, call: op, samples, domain: domA, dtypes: dtypesOf(samples), differentiable: true, tol: TOL };
}

/** torch.remainder's definition: fmod, moved by b when non-zero with the other sign. */
const pyRemainder = (a: number, b: number) => {
  const m = a % b;
  return m !== 0 && b < 0 !== m < 0 ? m + b : m;
};
/** Integer fmod/remainder as stored: a zero divisor gives 0 (documented; PyTorch raises). */
const intRef = (r: (a: number, b: number) => number) => (a: number, b: number) => (b === 0 ? 0 : r(a, b) + 0);

/** Integer operands: exact integer results of every sign combination, zero divisors, extremes. */
function intSamples(op: Binary, r: (a: number, b: number) => number): Sample[] {
  const as = [7, -7, 6, -6, 0, 1, -2147483648, 2147483647];
  const bs = [3, -3, 2, -1, 1, 0, 2147483647];
  const grid = (dtype: 'int32' | 'int8', xs: number[], ys: number[]): Sample => ({
    name: `${dtype}: signs, zero divisors, extremes`,
    inputs: [v(xs, [xs.length, 1], dtype), v(ys, [ys.length], dtype)],
    expected: xs.flatMap((a) => ys.map((b) => intRef(r)(a, b))),
    dtype,
    gradcheck: false,
    tol: EXACT,
  });
  return [
    grid('int32', as, bs),
    grid('int8', [7, -7, -128, 127, 0], [3, -3, -1, 0, 127, -128]),
    { name: 'uint8', inputs: [ints([3, 6], 0, 255, 'uint8'), ints([6], 1, 255, 'uint8')], dtype: 'uint8', tol: EXACT },
    { name: 'int32 × number', inputs: [ints([2, 5], -50, 50)], call: (a) => op(a, -7), dtype: 'int32', tol: EXACT },
    { name: 'int32 × float32 promotes', inputs: [ints([2, 5], -9, 9), f([2, 5], 'nonzero')], dtype: 'float32' },
    {
      name: 'exact for large quotients',
      inputs: [v([1e30, -1e30, 3.4028234e38, 7.5e-5, 1e-4, 123456.7]), v([0.1, 3, -1.1, 1e-5, -3e-5, 1.3e-3])],
      expected: [1e30, -1e30, 3.4028234e38, 7.5e-5, 1e-4, 123456.7].map((a, i) => fr(r(fr(a), fr([0.1, 3, -1.1, 1e-5, -3e-5, 1.3e-3][i])))),
      gradcheck: false,
      tol: EXACT,
    },
  ];
}

/** Gradchecked pairs whose quotients a/b lie at least 0.1 from an integer, every sign combination. */
const offJumps: Sample = {
  name: 'gradients away from the jumps (|a/b − k| ≥ 0.1)',
  inputs: [v([5.3, -5.3, 2.2, -0.7, 7.9, -3.4, 0.4, -0.45], [8]), v([2, 2, -1.5, 0.5, -3, 1.3, 1.1, -0.9], [8])],
};

const BINARY: OpInfo[] = [
  binary('atan2', atan2, 'real', 'nonzero', Math.atan2, [
    {
      name: 'int32 → float32',
      inputs: [v([1, -1, 0, 0, 3], [5], 'int32'), v([1, 1, -1, 1, -4], [5], 'int32')],
      dtype: 'float32',
      expected: [1, -1, 0, 0, 3].map((a, i) => fr(Math.atan2(a, [1, 1, -1, 1, -4][i]))),
    },
    { name: 'every quadrant', inputs: [f([4, 6], 'nonzero'), f([4, 6], 'nonzero')] },
  ]),
  binary('fmod', fmod, 'real', 'nonzero', (a, b) => a % b, [offJumps, ...intSamples(fmod, (a, b) => a % b)], true),
  binary('remainder', remainder, 'real', 'nonzero', pyRemainder, [offJumps, ...intSamples(remainder, pyRemainder)], true),
];

const COMPOSITES: OpInfo[] = [
  unary('frac', frac, 'offGrid', [specials((x) => x - Math.trunc(x), [...SPECIALS, -0.7, 2.5, 8388607.5])]),
  unary('reciprocal', reciprocal, 'nonzero', [specials((x) => 1 / x), ...toFloat]),
  unary('square', square, 'real', [
    specials((x) => x * x),
    { name: 'int32 stays int32', inputs: [v([-3, 0, 7, 46341], [4], 'int32')], dtype: 'int32', expected: [9, 0, 49, -2147479015], tol: EXACT },
  ]),
];

// ── activations (F.*): PyTorch's formulas as references ──────────────────
const sp = (x: number, beta = 1, threshold = 20) => (x * beta > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta);
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const eluRef = (x: number, alpha = 1) => (x > 0 ? x : alpha * Math.expm1(x));
const relu6 = (x: number) => Math.min(Math.max(x, 0), 6);
/** std::min/max as PyTorch's kernels: NaN propagates. */
const hsig = (x: number) => (Number.isNaN(x) ? x : relu6(x + 3) / 6);
const wide = (): Sample => ({ name: 'wide range [−5, 5)', inputs: [scaled(f([4, 5]), 2.5)] });
const ACT_EDGES = [-100, -30, -20.5, -3, -2.9, 2.9, 3, 19.9, 20.1, 30, 88, 89, 1e6, -1e6];

const ACTIVATIONS: OpInfo[] = [
  unary('softplus', (x) => softplus(x), 'real', [
    specials((x) => sp(x)),
    ref('around the threshold, huge |x|', (x) => sp(x), ACT_EDGES),
    {
      name: 'beta 2, threshold 5',
      inputs: [v([-3, -1, 0, 1, 2.4, 2.6, 4])],
      call: (x) => softplus(x, { beta: 2, threshold: 5 }),
      expected: [-3, -1, 0, 1, 2.4, 2.6, 4].map((x) => fr(sp(fr(x), 2, 5))),
      gradcheck: false,
    },
    { name: 'beta 0.5 (gradcheck)', inputs: [f([3, 4])], call: (x) => softplus(x, { beta: 0.5 }) },
    wide(),
  ]),
  unary('silu', silu, 'real', [specials((x) => x / (1 + Math.exp(-x))), ref('huge |x|', (x) => x / (1 + Math.exp(-x)), ACT_EDGES), wide()]),
  unary('mish', mish, 'real', [
    specials((x) => x * Math.tanh(Math.log1p(Math.exp(x)))),
    ref('huge |x|', (x) => x * Math.tanh(x > 20 ? x : Math.log1p(Math.exp(x))), ACT_EDGES),
    wide(),
  ]),
  unary('elu', (x) => elu(x), 'nonzero', [
    specials((x) => eluRef(x)),
    ref('huge |x|', (x) => eluRef(x), ACT_EDGES),
    { name: 'alpha 0.5', inputs: [f([3, 4], 'nonzero')], call: (x) => elu(x, { alpha: 0.5 }) },
  ]),
  unary('selu', selu, 'nonzero', [specials((x) => SELU_SCALE * eluRef(x, SELU_ALPHA)), ref('huge |x|', (x) => SELU_SCALE * eluRef(x, SELU_ALPHA), ACT_EDGES)]),
  unary('hardswish', hardswish, 'real', [
    specials((x) => (Number.isNaN(x) ? x : (x * relu6(x + 3)) / 6)),
    ref('kinks and huge |x|', (x) => (x * relu6(x + 3)) / 6, ACT_EDGES),
    wide(),
  ]),
  unary('hardsigmoid', hardsigmoid, 'real', [specials(hsig), ref('kinks and huge |x|', hsig, ACT_EDGES), wide()]),
];

// ── class tests, nanToNum, logic, any/all ─────────────────────────────────
const bools = (xs: boolean[]) => xs.map(Number);
/** A bool-valued op's entry (not differentiable). */
function predicate(name: string, call: (...xs: Tensor[]) => Tensor, samples: Sample[]): OpInfo {
  return { name, call, samples, domain: 'any', dtypes: dtypesOf(samples), differentiable: false, tol: EXACT };
}
const classSamples = (test: (x: number) => boolean, onInts: boolean): Sample[] => [
  { name: 'IEEE specials', inputs: [v(SPECIALS)], expected: bools(SPECIALS.map(test)), dtype: 'bool' },
  { name: 'specials, transposed [2, 5]', inputs: [{ ...v(SPECIALS.slice(0, 10), [5, 2]), view: (t: Tensor) => t.transpose(0, 1) }] },
  { name: 'int32', inputs: [v([0, -5, 2147483647], [3], 'int32')], expected: bools([onInts, onInts, onInts]), dtype: 'bool' },
  { name: 'bool', inputs: [v([0, 1], [2], 'bool')], expected: bools([onInts, onInts]), dtype: 'bool' },
  { name: 'empty', inputs: [f([0, 2])], expected: [] },
];
const truthy = (x: number) => x !== 0; // NaN is true
const logicPairs = (r: (a: boolean, b: boolean) => boolean): Sample[] => {
  const as = [Number.NaN, 0, -0, 1, -2.5, Infinity];
  const bs = [0, 1, Number.NaN, -0];
  return [
    {
      name: 'specials, every pair',
      inputs: [v(as, [6, 1]), v(bs, [4])],
      expected: bools(as.flatMap((a) => bs.map((b) => r(truthy(a), truthy(b))))),
      dtype: 'bool',
    },
    {
      name: 'int32 × bool, broadcast',
      inputs: [v([0, 3, -1, 0], [2, 2], 'int32'), v([1, 0], [2], 'bool')],
      expected: bools([r(false, true), r(true, false), r(true, true), r(false, false)]),
    },
    {
      name: 'uint8 × float32 transposed',
      inputs: [ints([3, 4], 0, 2, 'uint8'), { ...ints([4, 3], -1, 1), dtype: undefined, view: (t: Tensor) => t.transpose(0, 1) }],
    },
    { name: 'int8 × int8', inputs: [ints([5], -1, 1, 'int8'), ints([5], -1, 1, 'int8')] },
    { name: 'empty', inputs: [f([0]), f([1])], expected: [] },
  ];
};
const grid = [0, 1, 0, 2, 0, 0, 0, 0, Number.NaN, 0, 0, 0];

const LOGIC: OpInfo[] = [
  predicate('isnan', isnan, classSamples(Number.isNaN, false)),
  predicate(
    'isinf',
    isinf,
    classSamples((x) => Math.abs(x) === Infinity, false),
  ),
  predicate('isfinite', isfinite, classSamples(Number.isFinite, true)),
  {
    name: 'nanToNum',
    call: (x) => nanToNum(x),
    samples: [
      ...unarySamples('real'),
      {
        name: 'IEEE specials, float32 limits',
        inputs: [v(SPECIALS)],
        expected: SPECIALS.map((x) => (Number.isNaN(x) ? 0 : x === Infinity ? 3.4028234663852886e38 : x === -Infinity ? -3.4028234663852886e38 : fr(x))),
        gradcheck: false,
      },
      {
        name: 'given replacements',
        inputs: [v([Number.NaN, Infinity, -Infinity, 2])],
        call: (x) => nanToNum(x, { nan: -1, posinf: 100, neginf: -7.5 }),
        expected: [-1, 100, -7.5, 2],
        gradcheck: false,
      },
      { name: 'gradient passes where finite', inputs: [v([Number.NaN, 0.5, Infinity, -1.5, -Infinity])], call: (x) => nanToNum(x).mul(3), gradcheck: false },
      { name: 'int32 unchanged', inputs: [v([-3, 0, 7], [3], 'int32')], expected: [-3, 0, 7], dtype: 'int32' },
    ],
    domain: 'real',
    dtypes: ['float32', 'int32'],
    differentiable: true,
    tol: EXACT,
  },
  predicate(
    'logicalAnd',
    logicalAnd,
    logicPairs((a, b) => a && b),
  ),
  predicate(
    'logicalOr',
    logicalOr,
    logicPairs((a, b) => a || b),
  ),
  predicate(
    'logicalXor',
    logicalXor,
    logicPairs((a, b) => a !== b),
  ),
  predicate('logicalNot', logicalNot, [
    { name: 'specials', inputs: [v(SPECIALS)], expected: bools(SPECIALS.map((x) => !truthy(x))), dtype: 'bool' },
    { name: 'int32, transposed', inputs: [{ ...ints([3, 4], -1, 1), view: (t: Tensor) => t.transpose(0, 1) }] },
    { name: 'bool', inputs: [v([1, 0], [2], 'bool')], expected: [0, 1] },
    { name: 'uint8', inputs: [v([0, 255], [2], 'uint8')], expected: [1, 0] },
  ]),
  predicate('any', (x) => any(x), [
    { name: 'all dims, NaN is true', inputs: [v([0, 0, Number.NaN, 0], [2, 2])], expected: [1], dtype: 'bool' },
    { name: 'all zeros', inputs: [v([0, -0, 0], [3])], expected: [0] },
    { name: 'dim 1 of [3, 4]', inputs: [v(grid, [3, 4])], call: (x) => any(x, 1), expected: [1, 0, 1] },
    { name: 'dim 0, keepdim', inputs: [v(grid, [3, 4])], call: (x) => any(x, { dim: 0, keepdim: true }), expected: [1, 1, 0, 1] },
    { name: 'int32 over dim −1 of a transposed view', inputs: [{ ...ints([4, 5], 0, 1), view: (t: Tensor) => t.transpose(0, 1) }], call: (x) => any(x, -1) },
    { name: 'bool, negative dim', inputs: [v([0, 1, 0, 0], [2, 2], 'bool')], call: (x) => any(x, -1), expected: [1, 0] },
    { name: 'empty: false', inputs: [f([0, 3])], call: (x) => any(x, 0), expected: [0, 0, 0] },
  ]),
  predicate('all', (x) => all(x), [
    { name: 'all dims, NaN is true', inputs: [v([1, 2, Number.NaN, -1], [2, 2])], expected: [1], dtype: 'bool' },
    { name: 'one zero', inputs: [v([1, 0, 3], [3])], expected: [0] },
    {
      name: 'dim 1 of [3, 4]',
      inputs: [
        v(
          grid.map((x) => (x === 0 ? 1 : 0)),
          [3, 4],
        ),
      ],
      call: (x) => all(x, 1),
      expected: [0, 1, 0],
    },
    {
      name: 'dim 0, keepdim',
      inputs: [
        v(
          grid.map((x) => (x === 0 ? 1 : 0)),
          [3, 4],
        ),
      ],
      call: (x) => all(x, 0, true),
      expected: [0, 0, 1, 0],
    },
    {
      name: 'uint8 over dim 0 of a transposed view',
      inputs: [{ ...ints([4, 5], 0, 2, 'uint8'), view: (t: Tensor) => t.transpose(0, 1) }],
      call: (x) => all(x, 0),
    },
    { name: 'empty: true', inputs: [f([0, 3])], call: (x) => all(x, 0), expected: [1, 1, 1] },
  ]),
];

export const ELEMENTWISE_MORE_OPS: OpInfo[] = [...UNARY, ...BINARY, ...COMPOSITES, ...ACTIVATIONS, ...LOGIC];
