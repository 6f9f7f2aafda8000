import {
  type Tensor,
  abs,
  add,
  ceil,
  clamp,
  cos,
  div,
  eq,
  erf,
  exp,
  floor,
  ge,
  gelu,
  gt,
  le,
  leakyRelu,
  log,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  relu,
  round,
  rsqrt,
  sigmoid,
  sign,
  sin,
  sqrt,
  sub,
  tanh,
  where,
} from '../../src/index';
import { binarySamples, type Domain, dtypesOf, EXACT, f, ints, type OpInfo, type Sample, SPECIALS, T, TOL, unarySamples, v } from './samples';

// PyTorch's results on the IEEE specials: float64 references of the float32 inputs, rounded to float32.
const fr = Math.fround;
/** round half to even (torch.round). */
const roundHalfEven = (x: number) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));
/** C's pow (torch.pow): 1 ** y = 1 for every y, (−1) ** ±∞ = 1, x ** 0 = 1; otherwise JS `**`. */
const cPow = (a: number, b: number) => (a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : a ** b);

/** A sample of `values` (default SPECIALS) with the reference `ref` applied elementwise. */
const specials = (ref: (x: number) => number, values = SPECIALS): Sample => ({
  name: 'IEEE specials (NaN, ±∞, ±0)',
  inputs: [v(values)],
  expected: values.map((x) => fr(ref(fr(x)))),
  gradcheck: false,
});

function unary(name: string, call: (x: Tensor) => Tensor, domain: Domain, extra: Sample[], opts: Partial<OpInfo> = {}): OpInfo {
  const samples = [...unarySamples(domain), ...extra];
  return { name, call, samples, domain, dtypes: dtypesOf(samples), differentiable: true, tol: TOL, ...opts };
}

/** Integer inputs of an op that keeps integer dtypes (8-bit results wrap like typed arrays). */
const intInputs = (lo = -100, hi = 100): Sample[] => [
  { name: 'int32', inputs: [ints([3, 5], lo, hi)], dtype: 'int32' },
  { name: 'int8 extremes wrap', inputs: [v([-128, 127, 0, -5, 9], [5], 'int8')], dtype: 'int8' },
  { name: 'uint8', inputs: [v([0, 255, 7, 128], [4], 'uint8')], dtype: 'uint8' },
  { name: 'int32 extremes', inputs: [v([-(2 ** 31), 2 ** 31 - 1, -7, 0], [4], 'int32')], dtype: 'int32' },
];
/** Integer and bool inputs of an op that computes in float32. */
const toFloat: Sample[] = [
  { name: 'int32 → float32', inputs: [ints([2, 5], -3, 3)], dtype: 'float32' },
  { name: 'bool → float32', inputs: [ints([4], 0, 1, 'bool')], dtype: 'float32' },
];

/** Where WGSL leaves exp/log/sqrt to the implementation: tiny, huge, negative, past overflow. */
const EDGES = [-1e-30, -3, -1e30, 1e-30, 88, 89, -104, 3.4028234e38];

const relu_ = (x: number) => (x > 0 || Number.isNaN(x) ? x : 0);
const sigmoid_ = (x: number) => 1 / (1 + Math.exp(-x));

export const UNARY_OPS: OpInfo[] = [
  unary('neg', neg, 'real', [specials((x) => -x), ...intInputs()]),
  unary('abs', abs, 'nonzero', [specials(Math.abs), ...intInputs()]),
  // sign(NaN) is left out: torch.sign gives 0 there, numpy and this library NaN
  unary('sign', sign, 'nonzero', [specials(Math.sign, SPECIALS.slice(1)), ...intInputs()]),
  unary('exp', exp, 'real', [specials(Math.exp), specials(Math.exp, EDGES), ...toFloat]),
  unary('log', log, 'positive', [specials(Math.log), specials(Math.log, EDGES), ...toFloat]),
  unary('sqrt', sqrt, 'positive', [specials(Math.sqrt), specials(Math.sqrt, EDGES), ...toFloat]),
  unary('rsqrt', rsqrt, 'positive', [specials((x) => 1 / Math.sqrt(x)), specials((x) => 1 / Math.sqrt(x), EDGES), ...toFloat]),
  unary('relu', relu, 'nonzero', [specials(relu_), ...intInputs()]),
  unary('sigmoid', sigmoid, 'real', [specials(sigmoid_), ...toFloat, v2('tiny to huge |x|', [1e-7, -0.5, 9, -12, 20, -40, 88, -90, 1e6, -1e6], sigmoid_)]),
  unary('tanh', tanh, 'real', [specials(Math.tanh), ...toFloat, v2('tiny to huge |x|', [1e-7, -1e-6, 0.19, 0.21, -3, 9, -12, 20, 1e6], Math.tanh)]),
  unary('sin', sin, 'real', [specials(Math.sin), bigAngles(Math.sin), ...toFloat]),
  unary('cos', cos, 'real', [specials(Math.cos), bigAngles(Math.cos), ...toFloat]),
  // erf's reference: its limits and zeros (the CPU's approximation is compared on every device)
  unary(
    'erf',
    erf,
    'real',
    [
      specials((x) => (x === 0 || Number.isNaN(x) ? x : Math.sign(x)), [Number.NaN, Infinity, -Infinity, 0, -0]),
      ...toFloat,
      { name: 'tiny to huge |x|', inputs: [v([1e-7, -1e-6, 0.01, -0.1, 0.5, -1.5, 3, -5.5, 9, -12, 40, 1e6])], gradcheck: false },
    ],
    {
      tol: { rtol: 0, atol: 1e-6 },
    },
  ),
  unary('floor', floor, 'offGrid', [specials(Math.floor), ...intInputs()]),
  unary('ceil', ceil, 'offGrid', [specials(Math.ceil), ...intInputs()]),
  unary('round', round, 'offGrid', [specials(roundHalfEven, [...SPECIALS, 0.5, 1.5, 2.5, -1.5, 8388607.5, 4194304.5]), ...intInputs()]),
  unary(
    'gelu',
    (x) => gelu(x),
    'real',
    [
      specials((x) => x, [Number.NaN, Infinity, 0, -0]),
      { name: "approximate 'tanh'", inputs: [f([3, 4])], call: (x) => gelu(x, { approximate: 'tanh' }) },
      { name: "approximate 'tanh', transposed", inputs: [f([4, 3], 'real', T)], call: (x) => gelu(x, { approximate: 'tanh' }) },
      { name: 'tiny to huge |x|', inputs: [v([1e-7, -0.5, 1.5, -3, 5, -5.5, 9, -12, 20, 1e6])], gradcheck: false },
      {
        name: "approximate 'tanh', tiny to huge |x|",
        inputs: [v([1e-7, -1e-6, 0.19, -3, 9, -12, 88, -90, 1e6, -1e6])],
        call: (x) => gelu(x, { approximate: 'tanh' }),
        gradcheck: false,
      },
      ...toFloat,
    ],
    { tol: { rtol: 1e-5, atol: 1e-6 } },
  ),
  unary('leakyRelu', (x) => leakyRelu(x, 0.2), 'nonzero', [
    specials((x) => (x > 0 || Number.isNaN(x) ? x : 0.2 * x)),
    { name: 'default slope 0.01', inputs: [f([2, 5], 'nonzero')], call: (x) => leakyRelu(x) },
  ]),
  // kinks at the bounds: random inputs land on them with probability 0
  unary('clamp', (x) => clamp(x, -0.5, 0.3), 'real', [
    specials((x) => (Number.isNaN(x) ? x : Math.min(0.3, Math.max(-0.5, x)))),
    { name: 'lower bound only', inputs: [f([4, 3])], call: (x) => clamp(x, 0) },
    { name: 'upper bound only', inputs: [f([4, 3])], call: (x) => clamp(x, null, -0.25) },
    { name: 'int32', inputs: [ints([3, 4], -9, 9)], call: (x) => clamp(x, -2, 3), dtype: 'int32' },
  ]),
];

function v2(name: string, values: number[], ref: (x: number) => number): Sample {
  return { name, inputs: [v(values)], expected: values.map((x) => ref(fr(x))), gradcheck: false, tol: { rtol: 1e-5, atol: 1e-6 } };
}
/**
 * sin/cos from 0 to 3.4e38 within 5e-7 absolute of float64: both argument reductions, every
 * octave, near multiples of π/2 and odd ones of π/4, both signs.
 */
function bigAngles(ref: (x: number) => number): Sample {
  const xs = [8191.99, 8192, 8192.01, 65536, 102943.7, 16777216, 0x5afe4d9b, 3.4028234e38];
  for (let e = -10; e <= 127; e += 0.61) xs.push(2 ** e);
  for (let k = 1; k < 200_000; k += 1_999) xs.push((k * Math.PI) / 2, k * 0.7853982);
  const values = [...xs, ...xs.map((x) => -x)];
  return { name: 'large arguments', inputs: [v(values)], expected: values.map((x) => fr(ref(fr(x)))), gradcheck: false, tol: { rtol: 0, atol: 5e-7 } };
}

type Binary = (a: Tensor | number, b: Tensor | number) => Tensor;

/** Every pair of `as` × `bs` (broadcast [n, 1] × [m]) with the reference `ref`. */
function pairs(ref: (a: number, b: number) => number, as = [...SPECIALS, 1, -1, -8], bs = [...SPECIALS, 2, -1, 31, 33, -33, 40]): Sample {
  return {
    name: 'IEEE specials, every pair',
    inputs: [v(as, [as.length, 1]), v(bs, [bs.length])],
    expected: as.flatMap((a) => bs.map((b) => fr(ref(fr(a), fr(b))))),
    gradcheck: false,
  };
}

/** Integer, bool and mixed operands; 8-bit results wrap as typed arrays. */
const intPairs = (op: Binary, arithmetic: boolean): Sample[] => [
  { name: 'int32 × int32 broadcast', inputs: [ints([4, 7], -20, 20), ints([7], -20, 20)], call: op },
  { name: 'int8 × int8', inputs: [ints([3, 9], -128, 127, 'int8'), ints([3, 9], -128, 127, 'int8')], call: op },
  { name: 'uint8 × uint8', inputs: [ints([3, 9], 0, 255, 'uint8'), ints([1, 9], 0, 255, 'uint8')], call: op },
  { name: 'bool × bool', inputs: [ints([11], 0, 1, 'bool'), ints([11], 0, 1, 'bool')], call: op },
  { name: 'int8 × uint8 promotes', inputs: [ints([2, 5], -128, 127, 'int8'), ints([5], 0, 255, 'uint8')], call: op },
  { name: 'int32 × float32 promotes', inputs: [ints([2, 5], -9, 9), f([2, 5])], call: op, dtype: arithmetic ? 'float32' : 'bool' },
  { name: 'bool × float32', inputs: [ints([6], 0, 1, 'bool'), f([3, 6])], call: op },
  { name: 'uint8 × bool', inputs: [ints([6], 0, 255, 'uint8'), ints([6], 0, 1, 'bool')], call: op },
];

function binary(name: string, op: Binary, domA: Domain, domB: Domain, ref: (a: number, b: number) => number, differentiable: boolean): OpInfo {
  const comparison = !differentiable;
  const grid = (s: Sample): Sample => ({ ...s, inputs: s.inputs.map((i) => ({ ...i, values: i.values.map((x) => Math.round(x * 4) / 4) })) });
  const info: OpInfo = {
    name,
    call: op,
    samples: [
      ...binarySamples(op, domA, domB),
      pairs(ref),
      ...(name === 'pow' ? powInts : intPairs(op, !comparison)),
      // ties: values on a quarter grid, so a == b often (comparisons, maximum/minimum)
      ...(comparison || name === 'maximum' || name === 'minimum'
        ? [{ ...grid({ name: 'ties on a quarter grid', inputs: [f([4, 6]), f([4, 6])] }), gradcheck: false }]
        : []),
    ],
    domain: domA,
    dtypes: [],
    differentiable,
    tol: name === 'pow' ? { rtol: 1e-5, atol: 1e-6 } : TOL,
  };
  info.dtypes = dtypesOf(info.samples);
  return info;
}

// integer powers (negative exponents truncate; 0 ** −1 stores 0) and the wrap of int32 products
const powInts: Sample[] = [
  { name: 'int32 powers', inputs: [ints([7, 1], -20, 20), ints([6], 0, 8)], call: pow, tol: EXACT },
  { name: 'int8 powers wrap', inputs: [ints([5, 1], -20, 20, 'int8'), ints([4], 0, 5, 'int8')], call: pow, tol: EXACT },
  { name: 'float32 base, int32 exponent', inputs: [f([2, 3], 'positive'), ints([3], -2, 3)], call: pow, dtype: 'float32' },
];

export const BINARY_OPS: OpInfo[] = [
  binary('add', add, 'real', 'real', (a, b) => a + b, true),
  binary('sub', sub, 'real', 'real', (a, b) => a - b, true),
  binary('mul', mul, 'real', 'real', (a, b) => a * b, true),
  binary('div', div, 'real', 'nonzero', (a, b) => a / b, true),
  binary('pow', pow, 'positive', 'real', cPow, true),
  binary('maximum', maximum, 'real', 'real', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.max(a, b)), true),
  binary('minimum', minimum, 'real', 'real', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.min(a, b)), true),
  binary('eq', eq, 'real', 'real', (a, b) => Number(a === b), false),
  binary('ne', ne, 'real', 'real', (a, b) => Number(a !== b), false),
  binary('lt', lt, 'real', 'real', (a, b) => Number(a < b), false),
  binary('le', le, 'real', 'real', (a, b) => Number(a <= b), false),
  binary('gt', gt, 'real', 'real', (a, b) => Number(a > b), false),
  binary('ge', ge, 'real', 'real', (a, b) => Number(a >= b), false),
  {
    name: 'where',
    call: where,
    samples: [
      { name: 'broadcast condition [2, 1, 5], [3, 1], [5]', inputs: [ints([2, 1, 5], 0, 1, 'bool'), f([3, 1]), f([5])] },
      {
        name: 'strided condition, specials pass through',
        inputs: [ints([5, 4], 0, 1, 'bool'), v(SPECIALS.slice(0, 10), [2, 5]), f([5, 4], 'real', T)],
        call: (c, a, b) => where(c.transpose(0, 1).narrow(0, 0, 2), a, b.narrow(0, 0, 2)),
        gradcheck: false,
      },
      { name: 'int32 | float32 promotes', inputs: [ints([2, 5], 0, 1, 'bool'), ints([2, 5], -50, 50), f([5])], dtype: 'float32' },
      { name: 'int8', inputs: [ints([3, 5], 0, 1, 'bool'), ints([3, 5], -128, 127, 'int8'), ints([1], -128, 127, 'int8')], dtype: 'int8' },
      { name: 'numbers on both sides', inputs: [ints([4], 0, 1, 'bool')], call: (c) => where(c, 7, -1.5), dtype: 'float32' },
      { name: 'number and a uint8 tensor', inputs: [ints([4], 0, 1, 'bool'), ints([4], 0, 255, 'uint8')], call: (c, x) => where(c, 7, x) },
      { name: 'fixed condition', inputs: [v([1, 0, 0, 1], [4], 'bool'), v([1, 2, 3, 4]), v([-1, -2, -3, -4])], expected: [1, -2, -3, 4] },
      { name: 'empty', inputs: [ints([0], 0, 1, 'bool'), f([0])], call: (c, a) => where(c, a, 1) },
    ],
    domain: 'real',
    dtypes: ['bool', 'float32', 'int32', 'int8', 'uint8'],
    differentiable: true,
    tol: EXACT,
  },
];

const entry = (name: string) => BINARY_OPS.find((o) => o.name === name)!;
entry('mul').samples.push(
  {
    name: 'rank 5, both permuted',
    inputs: [f([2, 3, 2, 3, 2], 'real', (t) => t.permute([4, 2, 0, 3, 1])), f([2, 2, 2, 3, 3], 'real', (t) => t.permute([2, 0, 1, 4, 3]).transpose(1, 2))],
    gradcheck: false,
  },
  {
    name: 'int32 wraps on overflow',
    inputs: [v([2e9, -2e9, 2 ** 31 - 1], [3], 'int32'), v([2, 3, 2], [3], 'int32')],
    expected: [-294967296, -1705032704, -2],
    tol: EXACT,
  },
);
// 65,535 · 64 + 7 elements: more workgroups than one grid dimension holds
const LARGE = 65535 * 64 + 7;
entry('ge').samples.push({
  name: `${LARGE.toLocaleString('en')} elements (a 2-D workgroup grid)`,
  inputs: [v(Array.from({ length: LARGE }, (_, i) => (i % 1009) - 500)), v(Array.from({ length: LARGE }, (_, i) => (i % 37) * 14 - 250))],
  tol: EXACT,
});
