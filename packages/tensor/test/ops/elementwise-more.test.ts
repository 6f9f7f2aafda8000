import { afterEach, describe, expect, it } from 'vitest';
import {
  all,
  any,
  ArgumentError,
  atan2,
  elu,
  expm1,
  fmod,
  hardsigmoid,
  hardswish,
  isnan,
  log1p,
  memory,
  mish,
  nanToNum,
  reciprocal,
  scope,
  remainder,
  selu,
  silu,
  softplus,
  type Tensor,
  tensor,
} from '../../src/index';
import { DEVICES } from '../helpers';

/** Hand values, kink gradients and error messages of the elementwise additions (the op table covers the rest). */

const grad = async (f: (x: Tensor) => Tensor, xs: number[], device: (typeof DEVICES)[number]): Promise<number[]> => {
  const x = tensor(xs, { requiresGrad: true, device });
  const y = scope(() => f(x).sum());
  y.backward();
  const g = Array.from(await x.grad!.data());
  x.dispose();
  y.dispose();
  return g;
};

describe.each(DEVICES)('elementwise additions [%s]', (device) => {
  const made: Tensor[] = [];
  /** An input, disposed after the test. */
  const t = (xs: number[], dtype?: 'int32') => {
    const x = tensor(xs, { device, dtype });
    made.push(x);
    return x;
  };
  /** A result's elements; the result is disposed. */
  const got = async (y: Tensor) => {
    const a = await y.toArray();
    y.dispose();
    return a;
  };
  afterEach(() => {
    for (const x of made.splice(0)) x.dispose();
  });

  it('log1p and expm1 keep full relative precision near 0', async () => {
    const tiny = [1e-7, -3e-6, 2e-4, -0.01, 0.2];
    const l = log1p(t(tiny));
    const e = expm1(t(tiny));
    expect(Array.from(await l.data())).toBeAllClose(
      tiny.map((x) => Math.log1p(Math.fround(x))),
      { rtol: 2e-7, atol: 0 },
    );
    expect(Array.from(await e.data())).toBeAllClose(
      tiny.map((x) => Math.expm1(Math.fround(x))),
      { rtol: 2e-7, atol: 0 },
    );
    l.dispose();
    e.dispose();
  });

  it('the unary kernels are within 10⁻⁶ relative of float64 over their ranges (WGSL allows far more)', async () => {
    const span = (lo: number, hi: number, n: number) => Array.from({ length: n + 1 }, (_, i) => Math.fround(lo + ((hi - lo) * i) / n));
    const octaves = (lo: number, hi: number, n: number) => span(Math.log(lo), Math.log(hi), n).map((e) => Math.fround(Math.exp(e)));
    const cases: [string, (x: Tensor) => Tensor, (x: number) => number, number[]][] = [
      ['log1p', log1p, Math.log1p, [...span(-0.9999, 3, 1500), ...octaves(1e-12, 1e30, 300), ...octaves(1e-12, 0.999, 300).map((x) => -x)]],
      ['expm1', expm1, Math.expm1, [...span(-5, 5, 1500), ...octaves(1e-12, 88.7, 300), ...octaves(1e-12, 80, 300).map((x) => -x)]],
      ['log2', (x) => x.log2(), Math.log2, [...span(0.01, 4, 1500), ...octaves(1e-37, 1e37, 300)]],
      ['exp2', (x) => x.exp2(), (x) => 2 ** x, span(-125, 127, 1500)],
      ['asin', (x) => x.asin(), Math.asin, span(-1, 1, 2000)],
      ['acos', (x) => x.acos(), Math.acos, span(-1, 1, 2000)],
      ['atan', (x) => x.atan(), Math.atan, [...span(-10, 10, 1500), ...octaves(1e-10, 1e30, 300)]],
      ['sinh', (x) => x.sinh(), Math.sinh, [...span(-12, 12, 1500), ...octaves(1e-10, 89.4, 300)]],
      ['cosh', (x) => x.cosh(), Math.cosh, [...span(-12, 12, 1500), ...octaves(1e-10, 89.4, 300)]],
    ];
    for (const [name, op, ref, xs] of cases) {
      const want = xs.map((x) => Math.fround(ref(x)));
      expect(await got(op(t(xs))), name).toBeAllClose(want, { rtol: 1e-6, atol: 1e-30 });
    }
  });

  it('fmod takes the sign of the dividend, remainder the sign of the divisor; integers stay integers', async () => {
    expect(await got(fmod(t([5, -5, 5, -5]), t([3, 3, -3, -3])))).toEqual([2, -2, 2, -2]);
    expect(await got(remainder(t([5, -5, 5, -5]), t([3, 3, -3, -3])))).toEqual([2, 1, -1, -2]);
    const fi = fmod(t([7, -7, 7], 'int32'), t([2, 2, 0], 'int32'));
    expect(fi.dtype).toBe('int32');
    // a zero integer divisor gives 0 (PyTorch raises ZeroDivisionError)
    expect(await got(fi)).toEqual([1, -1, 0]);
    expect(await got(remainder(t([7, -7, 7], 'int32'), t([2, 2, 0], 'int32')))).toEqual([1, 1, 0]);
  });

  it('atan2 and reciprocal of integers are float32; the method forms match', async () => {
    const a = atan2(t([1, -1], 'int32'), t([0, 0], 'int32'));
    expect(a.dtype).toBe('float32');
    expect(await got(a)).toBeAllClose([Math.PI / 2, -Math.PI / 2]);
    expect(await got(reciprocal(t([4], 'int32')))).toEqual([0.25]);
    expect(await got(t([2.5, -2.5]).remainder(2))).toEqual([0.5, 1.5]);
    expect(await got(t([0, Number.NaN]).isnan())).toEqual([false, true]);
    expect(await got(t([0, 2]).any())).toBe(true);
    expect(await got(t([0, 2]).all())).toBe(false);
    expect(isnan(t([1], 'int32')).dtype).toBe('bool');
  });

  it('gradients at the kinks are PyTorch’s', async () => {
    expect(await grad((x) => softplus(x), [0], device)).toBeAllClose([0.5]);
    expect(await grad((x) => softplus(x), [25, -200], device)).toBeAllClose([1, 0]);
    expect(await grad((x) => elu(x, { alpha: 0.5 }), [0, 1], device)).toBeAllClose([0.5, 1]);
    expect(await grad((x) => selu(x), [0], device)).toBeAllClose([1.0507009873554805 * 1.6732632423543772]);
    expect(await grad(hardswish, [-3, 3, -4, 4], device)).toBeAllClose([-0.5, 1.5, 0, 1]);
    expect(await grad(hardsigmoid, [-3, 3, 0], device)).toBeAllClose([0, 0, 1 / 6]);
    expect(await grad(silu, [0], device)).toBeAllClose([0.5]);
    expect(await grad(mish, [0], device)).toBeAllClose([0.6]);
    expect(await grad((x) => nanToNum(x), [Number.NaN, 1, Number.POSITIVE_INFINITY], device)).toEqual([0, 1, 0]);
    // no ∞ from the branch not taken: finite gradients for huge inputs
    expect(await grad((x) => elu(x), [100, -100], device)).toBeAllClose([1, 0]);
    expect(await grad((x) => mish(x), [100], device)).toBeAllClose([1]);
  });

  it('any/all over dims, keepdim, empty', async () => {
    const x = t([0, 1, 0, 0, 0, 0], 'int32').reshape([2, 3]);
    expect(await got(any(x, 1))).toEqual([true, false]);
    expect(await got(all(x, 0, true))).toEqual([[false, false, false]]);
    expect(await got(any(t([])))).toBe(false);
    expect(await got(all(t([])))).toBe(true);
  });

  it('leaves memory flat', async () => {
    const before = memory().devices[device].tensors;
    await grad((x) => mish(softplus(x, { beta: 2 })).add(hardswish(x)), [0.3, -1.2], device);
    expect(memory().devices[device].tensors).toBe(before);
  });
});

describe('elementwise additions: errors', () => {
  it('reject unknown options and bad numbers, naming the op', () => {
    const x = tensor([1, 2]);
    expect(() => softplus(x, { betta: 2 } as never)).toThrow(ArgumentError);
    expect(() => softplus(x, { betta: 2 } as never)).toThrow(/softplus: unknown option 'betta'/);
    expect(() => softplus(x, { beta: 0 })).toThrow(/softplus: beta must be non-zero/);
    expect(() => softplus(x, { threshold: '20' as never })).toThrow(/softplus: threshold must be a number, got 20/);
    expect(() => elu(x, { alpha: Number.NaN })).toThrow(/elu: alpha must be a number/);
    expect(() => elu(x, { negative_slope: 1 } as never)).toThrow(/elu: unknown option/);
    expect(() => nanToNum(x, { posInf: 1 } as never)).toThrow(/nanToNum: unknown option 'posInf'/);
    expect(() => nanToNum(x, { nan: null as never })).toThrow(/nanToNum: nan must be a number, got null/);
    expect(() => fmod([1] as never, 2)).toThrow(/fmod: expected a Tensor or a number operand/);
    x.dispose();
  });
});
