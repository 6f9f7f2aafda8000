// Over ~400 lines: the table-driven elementwise ops (binary, unary, where, clamp), each a one-line
// definition with its gradient beside it and its TSDoc; the shared operand checks sit at the top.
import type { BinaryOp, UnaryOp, View } from '../backend/backend';
import { type DType, promoteTypes } from '../dtype';
import { ArgumentError, DTypeError } from '../errors';
import { constantStorage, scope } from '../memory';
import { broadcastShapes, broadcastStrides, type Shape } from '../shape';
import type { GradThunk } from '../autograd/graph';
import { Tensor, type TensorLike } from '../tensor';
import { checkInputs, defineOp, describeValue } from './define-op';

/** Read a view as if it had the broadcast shape `to`. */
export function broadcastView(v: View, to: Shape): View {
  return { storage: v.storage, shape: to, strides: broadcastStrides(v.shape, v.strides, to), offset: v.offset };
}

/**
 * A plain number as a 0-d constant tensor on `device`: its storage is a backend scalar constant
 * (`Backend.constant`), which kernels take as a parameter, so no host→device write happens. Only
 * elementwise ops read it; it never requires grad, so the ops' gradient rules treat it as a number.
 */
function scalarTensor(v: number, dtype: DType, device: Tensor['device']): Tensor {
  return Tensor._create(constantStorage(device, dtype, v), [], [], 0);
}

/**
 * A plain number as a 0-d constant next to `like`, with PyTorch's "weak scalar" dtype: an integer
 * keeps an integer tensor's dtype, anything else is float32.
 */
export function scalarLike(v: number, like: Tensor): Tensor {
  const intLike = like.dtype !== 'float32';
  const dtype: DType = Number.isInteger(v) && intLike ? (like.dtype === 'bool' ? 'int32' : like.dtype) : 'float32';
  return scalarTensor(v, dtype, like.device);
}

function toPair(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') throw new ArgumentError(op, 'expected at least one tensor, got two numbers');
  if (typeof a === 'number') return [scalarLike(a, b as Tensor), b as Tensor];
  if (typeof b === 'number') return [a, scalarLike(b, a)];
  return [a, b];
}

const COMPARISON = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/**
 * A binary kernel op (`Backend.binary`) with broadcasting, number operands and its gradient.
 * @internal
 */
/* @__NO_SIDE_EFFECTS__ */
export function binaryOp(op: BinaryOp, backward?: (gy: Tensor, a: Tensor, b: Tensor, out: Tensor) => [GradThunk, GradThunk]) {
  const run = defineOp<undefined>(op, {
    infer: ([a, b]) => {
      const shape = broadcastShapes(op, a.shape, b.shape);
      if (COMPARISON.has(op)) return { shape, dtype: 'bool' };
      const promoted = promoteTypes(a.dtype, b.dtype);
      if (op === 'div' || op === 'atan2') return { shape, dtype: 'float32' }; // true division, as PyTorch
      // arithmetic on two bools counts in int32; maximum/minimum of bools stay bool
      return { shape, dtype: promoted === 'bool' && op !== 'maximum' && op !== 'minimum' ? 'int32' : promoted };
    },
    forward: (be, [a, b], out, _attrs, shape) => be.binary(op, broadcastView(a, shape), broadcastView(b, shape), out),
    backward: backward && ((gy, [a, b], out) => backward(gy, a, b, out)),
  });
  return (a: TensorLike, b: TensorLike): Tensor => {
    checkOperands(op, a, b);
    return typeof a !== 'number' && typeof b !== 'number' ? run([a, b], undefined) : withScalar(op, a, b, run);
  };
}

/** Each operand of a binary op is a Tensor or a JS number (anything else is named in the error). */
function checkOperands(op: string, ...operands: unknown[]): void {
  for (const v of operands)
    if (typeof v !== 'number' && !(v instanceof Tensor)) throw new ArgumentError(op, `expected a Tensor or a number operand, got ${describeValue(v)}`);
}

/** Run a binary op with its number operand as a scalar constant, freed right after (an autograd node keeps its own alias). */
function withScalar(op: string, a: TensorLike, b: TensorLike, run: (inputs: Tensor[], attrs: undefined) => Tensor): Tensor {
  const pair = toPair(op, a, b);
  const constant = typeof a === 'number' ? pair[0] : pair[1];
  try {
    return run(pair, undefined);
  } finally {
    constant.dispose();
  }
}

/**
 * A unary kernel op (`Backend.unary`): integer dtypes kept when `keepsIntegers`, else float32.
 * @internal
 */
/* @__NO_SIDE_EFFECTS__ */
export function unaryOp(op: UnaryOp, keepsIntegers: boolean, backward?: (gy: Tensor, x: Tensor, out: Tensor) => Tensor) {
  const run = defineOp<undefined>(op, {
    infer: ([x]) => {
      if (x.dtype === 'bool' && keepsIntegers) throw new DTypeError(op, 'expected a numeric tensor, got bool');
      return { shape: [...x.shape], dtype: keepsIntegers ? x.dtype : 'float32' };
    },
    forward: (be, [x], out) => be.unary(op, x, out),
    backward: backward && ((gy, [x], out) => [() => backward(gy, x, out)]),
  });
  return (x: Tensor): Tensor => run([x], undefined);
}

// ── binary: each gradient is written next to its op ───────────────────────
/**
 * Elementwise a + b with broadcasting.
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * add(tensor([1, 2]), 10) // [11, 12]
 * ```
 * @function
 */
export const add = binaryOp('add', (gy) => [() => gy, () => gy]);
/**
 * Elementwise a − b with broadcasting.
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * sub(tensor([5, 6]), tensor([1, 2])) // [4, 4]
 * ```
 * @function
 */
export const sub = binaryOp('sub', (gy) => [() => gy, () => gy.neg()]);
/**
 * Elementwise a · b with broadcasting.
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * mul(tensor([[1], [2]]), tensor([3, 4])) // [[3, 4], [6, 8]]
 * ```
 * @function
 */
export const mul = binaryOp('mul', (gy, a, b) => [() => gy.mul(b), () => gy.mul(a)]);
/**
 * Elementwise true division a / b (float32 result).
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * div(tensor([1, 3]), 2) // [0.5, 1.5]
 * ```
 * @function
 */
export const div = binaryOp('div', (gy, a, b) => [() => gy.div(b), () => gy.mul(a).div(b.mul(b)).neg()]); // d(a/b)/db = −a/b²
/**
 * Elementwise a^b.
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * pow(tensor([2, 3]), 2) // [4, 9]
 * ```
 * @function
 */
export const pow = binaryOp('pow', (gy, a, b, out) => [
  () => gy.mul(b).mul(a.pow(b.sub(1))), // d(aᵇ)/da = b·aᵇ⁻¹
  () => gy.mul(out).mul(a.eq(0).where(0, a.log())), // d(aᵇ)/db = aᵇ·ln a, taken as 0 at a = 0 (as PyTorch)
]);
/**
 * Elementwise maximum (NaN propagates); ties split the gradient equally.
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * maximum(tensor([1, 5]), tensor([3, 2])) // [3, 5]
 * ```
 * @function
 */
export const maximum = binaryOp('maximum', (gy, a, b) => [
  () => gy.mul(a.gt(b).where(1, a.eq(b).where(0.5, 0))),
  () => gy.mul(b.gt(a).where(1, a.eq(b).where(0.5, 0))),
]);
/**
 * Elementwise minimum (NaN propagates); ties split the gradient equally.
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * minimum(tensor([1, 5]), tensor([3, 2])) // [1, 2]
 * ```
 * @function
 */
export const minimum = binaryOp('minimum', (gy, a, b) => [
  () => gy.mul(a.lt(b).where(1, a.eq(b).where(0.5, 0))),
  () => gy.mul(b.lt(a).where(1, a.eq(b).where(0.5, 0))),
]);
/**
 * a == b elementwise (bool).
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * eq(tensor([1, 2]), 2) // [false, true]
 * ```
 * @function
 */
export const eq = binaryOp('eq');
/**
 * a != b elementwise (bool).
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * ne(tensor([1, 2]), 2) // [true, false]
 * ```
 * @function
 */
export const ne = binaryOp('ne');
/**
 * a < b elementwise (bool).
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * lt(tensor([1, 2]), 2) // [true, false]
 * ```
 * @function
 */
export const lt = binaryOp('lt');
/**
 * a <= b elementwise (bool).
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * le(tensor([1, 2]), 2) // [true, true]
 * ```
 * @function
 */
export const le = binaryOp('le');
/**
 * a > b elementwise (bool).
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * gt(tensor([1, 2]), 1) // [false, true]
 * ```
 * @function
 */
export const gt = binaryOp('gt');
/**
 * a >= b elementwise (bool).
 * @param a - A tensor, or a number (then `b` must be a tensor).
 * @param b - A tensor or a number, broadcast with `a`.
 * @example
 * ```ts
 * ge(tensor([1, 2]), 2) // [false, true]
 * ```
 * @function
 */
export const ge = binaryOp('ge');

// ── unary ─────────────────────────────────────────────────────────────────
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = /* @__PURE__ */ Math.sqrt(2 / Math.PI);

/**
 * −x.
 * @param x - The input tensor.
 * @example
 * ```ts
 * neg(tensor([1, -2])) // [-1, 2]
 * ```
 * @function
 */
export const neg = unaryOp('neg', true, (gy) => gy.neg());
/**
 * |x|; gradient sign(x) (0 at 0).
 * @param x - The input tensor.
 * @example
 * ```ts
 * abs(tensor([-3, 2])) // [3, 2]
 * ```
 * @function
 */
export const abs = unaryOp('abs', true, (gy, x) => gy.mul(x.sign()));
/**
 * Sign of x: −1, 0 or 1; zero gradient.
 * @param x - The input tensor.
 * @example
 * ```ts
 * sign(tensor([-3, 0, 2])) // [-1, 0, 1]
 * ```
 * @function
 */
export const sign = unaryOp('sign', true, (gy) => gy.mul(0));
/**
 * eˣ.
 * @param x - The input tensor.
 * @example
 * ```ts
 * exp(tensor([0, 1])) // [1, 2.7183]
 * ```
 * @function
 */
export const exp = unaryOp('exp', false, (gy, _x, out) => gy.mul(out));
/**
 * Natural logarithm.
 * @param x - The input tensor.
 * @example
 * ```ts
 * log(tensor([1, Math.E])) // [0, 1]
 * ```
 * @function
 */
export const log = unaryOp('log', false, (gy, x) => gy.div(x));
/**
 * Square root.
 * @param x - The input tensor.
 * @example
 * ```ts
 * sqrt(tensor([4, 9])) // [2, 3]
 * ```
 * @function
 */
export const sqrt = unaryOp('sqrt', false, (gy, _x, out) => gy.div(out.mul(2)));
/**
 * 1/√x.
 * @param x - The input tensor.
 * @example
 * ```ts
 * rsqrt(tensor([4])) // [0.5]
 * ```
 * @function
 */
export const rsqrt = unaryOp('rsqrt', false, (gy, x, out) => gy.mul(out).div(x).mul(-0.5)); // d(x^-½) = −½x^-3/2
/**
 * max(x, 0); gradient 0 at x = 0.
 * @param x - The input tensor.
 * @example
 * ```ts
 * relu(tensor([-1, 0, 2])) // [0, 0, 2]
 * ```
 * @function
 */
export const relu = unaryOp('relu', true, (gy, x) => reluGrad(gy, x));
/** relu's gradient gy·(x > 0) as one kernel (no bool mask in between); no gradient of its own. */
const reluGrad = binaryOp('reluGrad');
/**
 * 1 / (1 + e⁻ˣ).
 * @param x - The input tensor.
 * @example
 * ```ts
 * sigmoid(tensor([0])) // [0.5]
 * ```
 * @function
 */
export const sigmoid = unaryOp('sigmoid', false, (gy, _x, out) => gy.mul(out).mul(out.neg().add(1)));
/**
 * Hyperbolic tangent.
 * @param x - The input tensor.
 * @example
 * ```ts
 * tanh(tensor([0])) // [0]
 * ```
 * @function
 */
export const tanh = unaryOp('tanh', false, (gy, _x, out) => gy.mul(out.mul(out).neg().add(1)));
/**
 * Sine.
 * @param x - The input tensor.
 * @example
 * ```ts
 * sin(tensor([0])) // [0]
 * ```
 * @function
 */
export const sin = unaryOp('sin', false, (gy, x) => gy.mul(x.cos()));
/**
 * Cosine.
 * @param x - The input tensor.
 * @example
 * ```ts
 * cos(tensor([0])) // [1]
 * ```
 * @function
 */
export const cos = unaryOp('cos', false, (gy, x) => gy.mul(x.sin()).neg());
/**
 * Gauss error function.
 * @param x - The input tensor.
 * @example
 * ```ts
 * erf(tensor([0, 1])) // [0, 0.8427]
 * ```
 * @function
 */
export const erf = unaryOp('erf', false, (gy, x) => gy.mul(x.mul(x).neg().exp().mul(TWO_OVER_SQRT_PI)));
/**
 * Largest integer ≤ x; zero gradient.
 * @param x - The input tensor.
 * @example
 * ```ts
 * floor(tensor([1.5, -1.5])) // [1, -2]
 * ```
 * @function
 */
export const floor = unaryOp('floor', true, (gy) => gy.mul(0));
/**
 * Smallest integer ≥ x; zero gradient.
 * @param x - The input tensor.
 * @example
 * ```ts
 * ceil(tensor([1.5, -1.5])) // [2, -1]
 * ```
 * @function
 */
export const ceil = unaryOp('ceil', true, (gy) => gy.mul(0));
/**
 * x rounded to the nearest integer, ties to the even integer (as `torch.round`: 0.5 → 0,
 * 1.5 → 2, −2.5 → −2); NaN, ±∞ and ±0 are kept, integer tensors are returned unchanged.
 * Zero gradient, as PyTorch.
 * @example
 * ```ts
 * round(tensor([0.5, 1.5, 2.5, -0.5, -2.7])); // [0, 2, 2, -0, -3]
 * ```
 * @param x - The input tensor.
 * @function
 */
export const round = unaryOp('round', true, (gy) => gy.mul(0));

// gelu(x) = x·Φ(x); d/dx = Φ(x) + x·φ(x)
const geluExact = unaryOp('gelu', false, (gy, x) =>
  gy.mul(
    x
      .mul(Math.SQRT1_2)
      .erf()
      .add(1)
      .mul(0.5)
      .add(x.mul(x.mul(x).mul(-0.5).exp()).mul(INV_SQRT_2PI)),
  ),
);
// tanh form: u = √(2/π)(x + 0.044715x³), t = tanh u; d/dx = ½(1+t) + ½x(1−t²)·√(2/π)(1 + 3·0.044715x²)
const geluTanh = unaryOp('geluTanh', false, (gy, x) => {
  const t = x.pow(3).mul(0.044715).add(x).mul(SQRT_2_OVER_PI).tanh();
  const du = x
    .mul(x)
    .mul(3 * 0.044715)
    .add(1)
    .mul(SQRT_2_OVER_PI);
  return gy.mul(
    t
      .add(1)
      .mul(0.5)
      .add(x.mul(0.5).mul(t.mul(t).neg().add(1)).mul(du)),
  );
});

/**
 * Options of {@link gelu}.
 * @example
 * ```ts
 * const x = randn([4]);
 * gelu(x, { approximate: 'tanh' });
 * ```
 */
export interface GeluOptions {
  /** `'none'` (default): x·Φ(x) with the exact erf; `'tanh'`: the tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/**
 * Gaussian error linear unit, x·Φ(x) (exact erf form by default, as PyTorch).
 * @example
 * ```ts
 * gelu(tensor([1]));                          // [0.8413]
 * gelu(tensor([1]), { approximate: 'tanh' }); // [0.8412]
 * ```
 */
export function gelu(x: Tensor, opts: GeluOptions = {}): Tensor {
  const mode = opts.approximate ?? 'none';
  if (mode === 'none') return geluExact(x);
  if (mode === 'tanh') return geluTanh(x);
  throw new ArgumentError('gelu', `approximate must be 'none' or 'tanh', got '${String(mode)}'`);
}

const whereOp = defineOp<undefined>('where', {
  infer: ([c, a, b]) => {
    if (c.dtype !== 'bool') throw new DTypeError('where', `condition must be bool, got ${c.dtype}`);
    const shape = broadcastShapes('where', broadcastShapes('where', c.shape, a.shape), b.shape);
    return { shape, dtype: promoteTypes(a.dtype, b.dtype) };
  },
  forward: (be, [c, a, b], out, _attrs, shape) => be.where(broadcastView(c, shape), broadcastView(a, shape), broadcastView(b, shape), out),
  backward: (gy, [c]) => [null, () => c.where(gy, 0), () => c.where(0, gy)],
});

/**
 * Elementwise choice: `a` where `cond` is true, else `b` (broadcast together).
 * @example
 * ```ts
 * where(tensor([true, false]), tensor([1, 2]), 0); // [1, 0]
 * ```
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(cond instanceof Tensor)) throw new ArgumentError('where', `expected a bool Tensor condition, got ${describeValue(cond)}`);
  return scope(() => {
    const device = cond.device;
    const ta = typeof a !== 'number' ? a : typeof b === 'number' ? scalarTensor(a, 'float32', device) : scalarLike(a, b);
    const tb = typeof b === 'number' ? scalarLike(b, ta) : b;
    return whereOp([cond, ta, tb], undefined);
  });
}

/**
 * Leaky ReLU: x for x > 0, else negativeSlope·x.
 * @example
 * ```ts
 * leakyRelu(tensor([-2, 3]), 0.1); // [-0.2, 3]
 * ```
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkInputs('leakyRelu', [x]);
  return scope(() => where(x.gt(0), x, x.mul(negativeSlope)));
}

/**
 * Limit values to [min, max] (either bound may be omitted). The gradient passes where
 * min ≤ x ≤ max, as PyTorch.
 * @example
 * ```ts
 * clamp(tensor([-1, 0.5, 2]), 0, 1); // [0, 0.5, 1]
 * ```
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkInputs('clamp', [x]);
  const lo = min ?? null;
  const hi = max ?? null;
  if (lo === null && hi === null) throw new ArgumentError('clamp', 'at least one of min and max must be given');
  if (lo !== null && hi !== null && lo > hi) throw new ArgumentError('clamp', `min (${lo}) must not exceed max (${hi})`);
  return scope(() => {
    let y = x;
    if (lo !== null) y = where(y.lt(lo), lo, y);
    if (hi !== null) y = where(y.gt(hi), hi, y);
    return y;
  });
}
