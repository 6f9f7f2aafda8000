import { describe, expect, it } from 'vitest';
import type { BinaryOp, UnaryOp } from '../../src/backend/backend';
import type { DType } from '../../src/dtype';
import {type Tensor, abs, add, ceil, cos, div, eq, erf, exp, floor, ge, gelu, gt, le, log,
  lt, maximum, minimum, mul, ne, neg, pow, relu, round, rsqrt, sigmoid, sign, sin, sqrt, sub, tanh, where,
} from '../../src/index';
import { DEVICES, expectClose, randomValues } from '../helpers';
import { type Input, ints, numelOf, runOn } from './harness';

/**
 * WebGPU vs CPU for the elementwise family (unary, binary, where) through the public ops: values
 * on every dtype, NaN/±Infinity, broadcast, strided and empty operands, a launch past 65,535
 * workgroups, and gradients computed on the device.
 */

const suite = describe.skipIf(!(DEVICES.includes('webgpu')));

/** Every unary op through its public form (a new UnaryOp without a row is a compile error). */
const UNARY = {
  neg, abs, sign, exp, log, sqrt, rsqrt, relu, sigmoid, tanh, sin, cos, erf, floor, ceil, round,
  gelu: (x: Tensor) => gelu(x),
  geluTanh: (x: Tensor) => gelu(x, { approximate: 'tanh' }),
} satisfies Record<UnaryOp, (x: Tensor) => Tensor>;
const BINARY = { add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge } satisfies Record<
  BinaryOp,
  (a: Tensor, b: Tensor) => Tensor
>;
const UNARY_OPS = Object.keys(UNARY) as UnaryOp[];
const BINARY_OPS = Object.keys(BINARY) as BinaryOp[];
/** Unary ops that keep integer dtypes (the rest compute in float32). */
const INT_UNARY: UnaryOp[] = ['neg', 'abs', 'sign', 'relu', 'floor', 'ceil', 'round'];

/** Values where elementwise kernels go wrong: NaN, ±∞, ±0, tiny, large, and both signs of each. */
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e-4, -1e-4, 0.5, -0.5, 1, -1, 2, -2.5, 3, 30, -30, 100, -100];

/** Seeded floats in [lo, hi), with `planted` values written over the first elements. */
function floats(shape: number[], seed: number, { lo = -3, hi = 3, planted = [] as number[], grad = false } = {}): Input {
  const values = randomValues(numelOf(shape), seed, lo, hi);
  planted.slice(0, values.length).forEach((v, i) => {
    values[i] = v;
  });
  return { values, shape, grad };
}
/** Floats on a quarter grid, so that ties (a == b) happen often. */
const grid = (shape: number[], seed: number): Input => ({ ...floats(shape, seed), values: floats(shape, seed).values.map((v) => Math.round(v * 4) / 4) });

const EXACT = { rtol: 0, atol: 0 };
const TOL = { rtol: 1e-4, atol: 1e-5 };

/** The op on WebGPU matches the op on the CPU: dtype, values and gradients. */
async function expectParity(inputs: readonly Input[], fn: (...xs: Tensor[]) => Tensor, tol = TOL, what = ''): Promise<void> {
  const want = await runOn('cpu', inputs, fn);
  const got = await runOn('webgpu', inputs, fn);
  expect(got.dtype, what).toBe(want.dtype);
  try {
    expectClose(got.value, want.value, tol);
    expect(got.grads.length).toBe(want.grads.length);
    got.grads.forEach((g, k) => {
      expectClose(g, want.grads[k], tol);
    });
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

suite('elementwise parity: WebGPU vs CPU', () => {
  it('every unary op on float32: random values, NaN/±∞/±0, transposed input', async () => {
    for (const op of UNARY_OPS) {
      const f = UNARY[op];
      // erf and the exact gelu must match the CPU's approximation within 1e-6 absolute
      const tol = op === 'erf' || op === 'gelu' ? { rtol: 0, atol: 1e-6 } : TOL;
      await expectParity([floats([3, 37], 1, { lo: -4, hi: 4, planted: SPECIAL })], f, tol, op);
      await expectParity([floats([37, 3], 2, { lo: -4, hi: 4 })], (x) => f(x.transpose(0, 1)), tol, `${op} (transposed)`);
    }
  });

  it('erf, gelu, tanh and sigmoid stay accurate from tiny to huge |x|', async () => {
    const xs = [1e-7, -1e-6, 0.01, -0.1, 0.19, 0.21, -0.5, 1.5, -3, 5, -5.5, 9, -12, 20, -40, 88, -90, 1e6, -1e6];
    for (const op of ['erf', 'gelu', 'geluTanh', 'tanh', 'sigmoid'] as const) {
      await expectParity([{ values: xs, shape: [xs.length] }], UNARY[op], { rtol: 1e-5, atol: 1e-6 }, op);
    }
  });

  it('sin and cos within 5e-7 of the CPU from 0 to 3.4e38: both reductions, quadrant edges, both signs', async () => {
    const xs: number[] = [8191.99, 8192, 8192.01, 65536, 102943.7, 16777216, 0x5afe4d9b, 3.4028234e38];
    for (let e = -10; e <= 127; e += 0.61) xs.push(2 ** e);
    for (let k = 1; k < 200_000; k += 1_999) xs.push((k * Math.PI) / 2, k * 0.7853982); // near multiples of π/2 and odd ones of π/4
    const values = [...xs, ...xs.map((x) => -x)];
    for (const op of ['sin', 'cos'] as const) {
      await expectParity([{ values, shape: [values.length] }], UNARY[op], { rtol: 0, atol: 5e-7 }, op);
    }
  });

  it('exp and log where WGSL leaves the result to the implementation: NaN, ±∞, ±0, negatives', async () => {
    const values = [NaN, Infinity, -Infinity, 0, -0, -1e-30, -3, -1e30, 1e-30, 88, 89, -104, 3.4028234e38];
    for (const op of ['exp', 'log', 'sqrt', 'rsqrt'] as const) {
      await expectParity([{ values, shape: [values.length] }], UNARY[op], TOL, op);
    }
  });

  it('unary ops on integer and bool inputs (8-bit results wrap like typed arrays)', async () => {
    const byDtype: [DType, number, number][] = [['int32', -1000, 1000], ['int8', -128, 127], ['uint8', 0, 255]];
    for (const [dtype, lo, hi] of byDtype) {
      const x = ints([5, 13], lo, hi, 3, dtype);
      x.values.splice(0, 3, lo, hi, 0); // the extremes: neg/abs of −128 wrap to −128
      for (const op of INT_UNARY) await expectParity([x], UNARY[op], EXACT, `${op} ${dtype}`);
    }
    const big: Input = { values: [-(2 ** 31), 2 ** 31 - 1, -7, 0], shape: [4], dtype: 'int32' };
    for (const op of INT_UNARY) await expectParity([big], UNARY[op], EXACT, `${op} int32 extremes`);
    // float-valued ops read integers (and bools) as float32
    for (const op of UNARY_OPS.filter((o) => !INT_UNARY.includes(o))) {
      await expectParity([ints([2, 9], -6, 6, 4)], UNARY[op], TOL, `${op} int32 → float32`);
    }
    await expectParity([ints([7], 0, 1, 5, 'bool')], (x) => x.exp(), TOL, 'exp bool');
  });

  it('every binary op on float32 with broadcasting [2,1,5]×[3,1] and ties', async () => {
    for (const op of BINARY_OPS) {
      await expectParity([grid([2, 1, 5], 1), grid([3, 1], 2)], BINARY[op], TOL, op);
      await expectParity([grid([4, 6], 3), grid([6, 4], 4)], (a, b) => BINARY[op](a, b.transpose(0, 1)), TOL, `${op} (transposed)`);
    }
  });

  it('every binary op on every pair of special values (IEEE and JS `**` semantics)', async () => {
    const n = SPECIAL.length;
    const exps = [...SPECIAL, 0.5, -0.5, 2.5, 33, -33, 40, 31, 1.5];
    for (const op of BINARY_OPS) {
      const a: Input = { values: SPECIAL, shape: [n, 1] };
      const b: Input = { values: exps, shape: [exps.length] };
      await expectParity([a, b], BINARY[op], TOL, op);
    }
  });

  it('binary ops on integer, bool and mixed dtypes', async () => {
    const pairs: [Input, Input][] = [
      [ints([4, 7], -20, 20, 1), ints([7], -20, 20, 2)],
      [ints([3, 9], -128, 127, 3, 'int8'), ints([3, 9], -128, 127, 4, 'int8')],
      [ints([3, 9], 0, 255, 5, 'uint8'), ints([1, 9], 0, 255, 6, 'uint8')],
      [ints([11], 0, 1, 7, 'bool'), ints([11], 0, 1, 8, 'bool')],
      [ints([2, 5], -128, 127, 9, 'int8'), ints([5], 0, 255, 10, 'uint8')],
      [ints([2, 5], -9, 9, 11), grid([2, 5], 12)],
      [ints([6], 0, 1, 13, 'bool'), grid([3, 6], 14)],
      [ints([6], 0, 255, 15, 'uint8'), ints([6], 0, 1, 16, 'bool')],
    ];
    for (const [a, b] of pairs) {
      for (const op of BINARY_OPS) {
        // integer powers past 2^53 differ (the CPU rounds them as doubles): tested below on smaller ones
        if (op === 'pow' && a.dtype && b.dtype && a.dtype !== 'bool' && b.dtype !== 'bool') continue;
        await expectParity([a, b], BINARY[op], TOL, `${op} ${a.dtype ?? 'float32'}×${b.dtype ?? 'float32'}`);
      }
    }
    // int32 wraps on overflow; integer powers (negative exponents truncate, 0 ** −1 stores 0)
    await expectParity([{ values: [2e9, -2e9, 2 ** 31 - 1], shape: [3], dtype: 'int32' }, ints([3], 2, 3, 17)], (a, b) => a.add(a).mul(b), EXACT, 'int32 wrap');
    for (const dtype of ['int32', 'int8', 'uint8'] as DType[]) {
      const lo = dtype === 'uint8' ? 0 : -20;
      await expectParity([ints([21, 1], lo, 20, 18, dtype), ints([12], dtype === 'uint8' ? 0 : -3, 8, 19, dtype)], pow, EXACT, `pow ${dtype}`);
    }
  });

  it('where: broadcast condition, mixed and 8-bit dtypes, scalars, strided condition', async () => {
    const cond = ints([2, 1, 5], 0, 1, 1, 'bool');
    await expectParity([cond, grid([3, 1], 2), grid([5], 3)], where, EXACT, 'where float32');
    await expectParity([cond, ints([3, 1], -50, 50, 4), grid([5], 5)], where, EXACT, 'where int32|float32');
    await expectParity([cond, ints([3, 5], -128, 127, 6, 'int8'), ints([1], -128, 127, 7, 'int8')], where, EXACT, 'where int8');
    await expectParity([cond, ints([5], 0, 1, 8, 'bool'), ints([3, 1], 0, 1, 9, 'bool')], where, EXACT, 'where bool');
    await expectParity([ints([5, 4], 0, 1, 10, 'bool'), floats([4, 5], 11, { planted: SPECIAL })], (c, x) => where(c.transpose(0, 1), x, -1.5), EXACT, 'where strided');
    await expectParity([ints([4], 0, 1, 12, 'bool'), ints([4], 0, 255, 13, 'uint8')], (c, x) => where(c, 7, x), EXACT, 'where uint8 scalar');
  });

  it('every operand layout: dense with offset, scalar, sliced, expanded, permuted rank 5, size-1 dims', async () => {
    const x = floats([6, 10], 1);
    const y = floats([6, 10], 2);
    const layouts: [string, (a: Tensor, b: Tensor) => Tensor][] = [
      ['dense', (a, b) => a.add(b)],
      ['dense with offset', (a, b) => a.narrow(0, 2, 3).mul(b.narrow(0, 1, 3))],
      ['scalar right', (a) => a.sub(2.5)],
      ['scalar left', (a) => pow(2, a)],
      ['one-element operands', (a, b) => a.narrow(1, 3, 1).narrow(0, 4, 1).maximum(b.narrow(0, 5, 1).narrow(1, 9, 1))],
      ['stepped slice', (a, b) => a.slice(1, 1, 10, 3).div(b.slice(0, 0, 6, 2).transpose(0, 1).narrow(0, 0, 6))],
      ['expand', (a, b) => a.narrow(0, 0, 1).expand([6, 10]).minimum(b)],
      ['size-1 dims', (a, b) => a.reshape([6, 1, 10, 1]).sub(b.reshape([1, 6, 1, 10]).narrow(3, 0, 1))],
      ['unary on a slice', (a) => a.slice(1, 2, 9, 2).sigmoid()],
    ];
    for (const [what, f] of layouts) await expectParity([x, y], f, TOL, what);
    const p = floats([2, 3, 2, 3, 2], 3);
    const q = floats([2, 2, 2, 3, 3], 4);
    await expectParity([p, q], (a, b) => a.permute([4, 2, 0, 3, 1]).mul(b.permute([2, 0, 1, 4, 3]).transpose(1, 2)), TOL, 'rank 5');
  });

  it('empty tensors: every family gives an empty result of the right shape and dtype', async () => {
    await expectParity([floats([0, 3], 1), floats([1, 3], 2)], (a, b) => a.add(b).exp(), TOL, 'empty binary');
    await expectParity([floats([2, 0], 1), floats([1, 0], 2)], (a, b) => a.lt(b), TOL, 'empty compare');
    await expectParity([ints([0], 0, 1, 1, 'bool'), floats([0], 2)], (c, a) => where(c, a, 1), TOL, 'empty where');
  });

  it('a 4,194,247-element op (more than 65,535 workgroups of 64) covers every element', async () => {
    const n = 65535 * 64 + 7;
    const a: Input = { values: Array.from({ length: n }, (_, i) => (i % 1009) - 500), shape: [n] };
    const b: Input = { values: Array.from({ length: n }, (_, i) => (i % 37) * 0.5), shape: [n] };
    await expectParity([a, b], (x, y) => x.mul(y).add(1), EXACT, 'large');
  });

  it('gradients on the device: chains through broadcasting and every differentiable op', async () => {
    const g = { grad: true };
    await expectParity([floats([2, 1, 5], 1, g), floats([3, 1], 2, g)], (x, y) => x.mul(y).sigmoid().sum(), TOL, 'mul→sigmoid→sum');
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
      await expectParity([floats([4, 1, 3], 3, g), floats([5, 3], 4, g)], BINARY[op], TOL, `∂${op}`);
    }
    await expectParity([floats([3, 4], 5, { lo: 0.5, hi: 2, grad: true }), floats([4], 6, g)], pow, TOL, '∂pow');
    await expectParity([floats([3, 4], 7, g), floats([3, 4], 8, g)], (a, b) => a.maximum(a).add(b.minimum(a.transpose(0, 1).transpose(0, 1))), TOL, '∂ ties');
    for (const op of UNARY_OPS) {
      const positive = ['log', 'sqrt', 'rsqrt'].includes(op);
      const x = floats([5, 7], 9, { lo: positive ? 0.2 : -3, hi: 3, grad: true });
      await expectParity([x], (t) => UNARY[op](t.transpose(0, 1)), TOL, `∂${op}`);
    }
    await expectParity([ints([2, 5], 0, 1, 10, 'bool'), floats([5], 11, g), floats([2, 1], 12, g)], where, TOL, '∂where');
    await expectParity([floats([6, 4], 13, g)], (x) => gelu(x.mul(x).sub(1).tanh(), { approximate: 'tanh' }).exp(), TOL, 'chain');
  });
});
