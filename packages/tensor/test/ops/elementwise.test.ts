import { expect, it } from 'vitest';
import { type Tensor, type TensorLike, tensor, zeros, ones, arange, ShapeError, DTypeError, DisposedError, ArgumentError } from '../../src/index';
import * as ops from '../../src/index';
import { describeOnCpu, expectGradcheck, randomValues, awayFromZero } from '../helpers';

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
const BINARY: Record<BinaryName, (a: TensorLike, b: TensorLike) => Tensor> = ops;
type UnaryName = 'neg' | 'abs' | 'sign' | 'exp' | 'sigmoid' | 'erf' | 'tanh' | 'sin' | 'cos' | 'floor' | 'ceil' | 'relu';
const UNARY: Record<UnaryName, (x: Tensor) => Tensor> = ops;
const T = true;
const F = false;

describeOnCpu('elementwise ops', (device) => {
  const t = (data: Parameters<typeof tensor>[0], dtype?: 'float32' | 'int32' | 'bool') => tensor(data, { device, dtype });
  const param = (values: number[], shape: number[]) => tensor(values, { device }).reshape(shape);

  // a = [1, -2, 3, 0.5], b = [2, 2, -3, 0.5]
  const binaryCases: [BinaryName, number[] | boolean[]][] = [
    ['add', [3, 0, 0, 1]],
    ['sub', [-1, -4, 6, 0]],
    ['mul', [2, -4, -9, 0.25]],
    ['div', [0.5, -1, -1, 1]],
    ['pow', [1, 4, 1 / 27, Math.SQRT1_2]],
    ['maximum', [2, 2, 3, 0.5]],
    ['minimum', [1, -2, -3, 0.5]],
    ['eq', [F, F, F, T]],
    ['ne', [T, T, T, F]],
    ['lt', [T, T, F, F]],
    ['le', [T, T, F, T]],
    ['gt', [F, F, T, F]],
    ['ge', [F, F, T, T]],
  ];
  for (const [name, expected] of binaryCases) {
    it(`${name}: function and method form give hand-computed values`, async () => {
      const a = t([1, -2, 3, 0.5]);
      const b = t([2, 2, -3, 0.5]);
      const viaFn = BINARY[name](a, b);
      const viaMethod = a[name](b);
      expect(viaFn.shape).toEqual([4]);
      expect(viaFn.dtype).toBe(typeof expected[0] === 'boolean' ? 'bool' : 'float32');
      await expect(viaFn).toBeAllClose(expected);
      await expect(viaMethod).toBeAllClose(expected);
      expect(await viaFn.toArray()).toEqual(await viaMethod.toArray());
    });
  }

  // x = [-1.5, -0.5, 0, 0.5, 2]
  const unaryCases: [UnaryName, number[]][] = [
    ['neg', [1.5, 0.5, 0, -0.5, -2]],
    ['abs', [1.5, 0.5, 0, 0.5, 2]],
    ['sign', [-1, -1, 0, 1, 1]],
    ['exp', [0.22313016, 0.60653066, 1, 1.64872127, 7.3890561]],
    ['relu', [0, 0, 0, 0.5, 2]],
    ['sigmoid', [0.1824255, 0.3775407, 0.5, 0.6224593, 0.8807971]],
    ['erf', [-0.9661051, -0.5204999, 0, 0.5204999, 0.9953223]],
    ['tanh', [-0.90514825, -0.46211716, 0, 0.46211716, 0.96402758]],
    ['sin', [-0.99749499, -0.47942554, 0, 0.47942554, 0.90929743]],
    ['cos', [0.0707372, 0.87758256, 1, 0.87758256, -0.41614684]],
    ['floor', [-2, -1, 0, 0, 2]],
    ['ceil', [-1, 0, 0, 1, 2]],
  ];
  for (const [name, expected] of unaryCases) {
    it(`${name}: function and method form give hand-computed values`, async () => {
      const x = t([-1.5, -0.5, 0, 0.5, 2]);
      await expect(UNARY[name](x)).toBeAllClose(expected);
      await expect(x[name]()).toBeAllClose(expected);
    });
  }

  it('log, sqrt, rsqrt on positive inputs, with the edge values 0 and negatives', async () => {
    const x = t([0.25, 1, 4]);
    await expect(ops.log(x)).toBeAllClose([-1.3862944, 0, 1.3862944]);
    await expect(x.log()).toBeAllClose([-1.3862944, 0, 1.3862944]);
    await expect(ops.sqrt(x)).toBeAllClose([0.5, 1, 2]);
    await expect(x.sqrt()).toBeAllClose([0.5, 1, 2]);
    await expect(ops.rsqrt(x)).toBeAllClose([2, 1, 0.5]);
    await expect(x.rsqrt()).toBeAllClose([2, 1, 0.5]);
    await expect(ops.log(t([0, -1]))).toBeAllClose([-Infinity, NaN]);
    await expect(ops.sqrt(t([0, -1]))).toBeAllClose([0, NaN]);
    await expect(ops.rsqrt(t([0]))).toBeAllClose([Infinity]);
  });

  it('leakyRelu, gelu (both modes), clamp and where, as functions and methods', async () => {
    const x = t([-1.5, -0.5, 0, 0.5, 2]);
    await expect(ops.leakyRelu(x)).toBeAllClose([-0.015, -0.005, 0, 0.5, 2]);
    await expect(x.leakyRelu(0.1)).toBeAllClose([-0.15, -0.05, 0, 0.5, 2]);
    const exact = [-0.1002108, -0.1542688, 0, 0.3457312, 1.9544997];
    const approx = [-0.1004284, -0.154286, 0, 0.345714, 1.9545977];
    await expect(ops.gelu(x)).toBeAllClose(exact);
    await expect(ops.gelu(x, { approximate: 'none' })).toBeAllClose(exact);
    await expect(x.gelu()).toBeAllClose(exact);
    await expect(ops.gelu(x, { approximate: 'tanh' })).toBeAllClose(approx);
    await expect(x.gelu({ approximate: 'tanh' })).toBeAllClose(approx);
    await expect(ops.clamp(x, -1, 1)).toBeAllClose([-1, -0.5, 0, 0.5, 1]);
    await expect(x.clamp(null, 0)).toBeAllClose([-1.5, -0.5, 0, 0, 0]);
    await expect(x.clamp(0)).toBeAllClose([0, 0, 0, 0.5, 2]);
    const cond = t([T, F, T, F, T]);
    await expect(ops.where(cond, x, 9)).toBeAllClose([-1.5, 9, 0, 9, 2]);
    await expect(cond.where(-7, x)).toBeAllClose([-7, -0.5, -7, 0.5, -7]);
    const both = ops.where(cond, 1, 0);
    expect(both.dtype).toBe('float32');
    await expect(both).toBeAllClose([1, 0, 1, 0, 1]);
    const bc = ops.where(t([[T], [F]]), t([1, 2, 3]), t([[10], [20]])); // [2,1], [3], [2,1] → [2,3]
    expect(bc.shape).toEqual([2, 3]);
    await expect(bc).toBeAllClose([
      [1, 2, 3],
      [20, 20, 20],
    ]);
  });

  it('broadcasts [2,1,3] with [4,1] to [2,4,3]', async () => {
    const a = arange(6, undefined, 1, { device }).reshape([2, 1, 3]);
    const b = arange(4, undefined, 1, { device }).mul(10).reshape([4, 1]);
    const y = ops.add(a, b);
    expect(y.shape).toEqual([2, 4, 3]);
    const ref = [0, 1].map((i) => [0, 1, 2, 3].map((j) => [0, 1, 2].map((k) => 3 * i + k + 10 * j)));
    await expect(y).toBeAllClose(ref);
    await expect(b.sub(a)).toBeAllClose(ref.map((p) => p.map((r) => r.map((v) => 20 * Math.floor(v / 10) - v))));
  });

  it('broadcasts plain numbers on either side and 0-d tensors', async () => {
    const x = t([1, 2, 4]);
    await expect(ops.sub(10, x)).toBeAllClose([9, 8, 6]);
    await expect(ops.sub(x, 10)).toBeAllClose([-9, -8, -6]);
    await expect(ops.div(1, x)).toBeAllClose([1, 0.5, 0.25]);
    await expect(ops.pow(2, x)).toBeAllClose([2, 4, 16]);
    await expect(ops.pow(x, 2)).toBeAllClose([1, 4, 16]);
    await expect(ops.lt(2, x)).toBeAllClose([F, F, T]);
    const s = t(3);
    expect(s.shape).toEqual([]);
    const y = ops.mul(s, t([[1], [2]]));
    expect(y.shape).toEqual([2, 1]);
    await expect(y).toBeAllClose([[3], [6]]);
    const z = ops.add(s, t(4));
    expect(z.shape).toEqual([]);
    expect(await z.item()).toBe(7);
    expect(await s.maximum(5).item()).toBe(5);
  });

  it('handles size-1 and zero-size dims', async () => {
    const y = ops.mul(t([[1, 2, 3]]), t([[2]]));
    expect(y.shape).toEqual([1, 3]);
    await expect(y).toBeAllClose([[2, 4, 6]]);
    const e = ops.add(zeros([0, 3], { device }), ones([3], { device }));
    expect(e.shape).toEqual([0, 3]);
    expect(e.numel()).toBe(0);
    expect(await e.toArray()).toEqual([]);
    expect(ops.add(zeros([0, 3], { device }), ones([1, 3], { device })).shape).toEqual([0, 3]);
    expect(ops.exp(zeros([2, 0], { device })).shape).toEqual([2, 0]);
    expect(zeros([0, 3], { device }).gt(0).shape).toEqual([0, 3]);
    expect(() => ops.add(zeros([0, 3], { device }), ones([2, 3], { device }))).toThrow(ShapeError);
  });

  it('reads non-contiguous inputs (transpose, expand, step-2 slice) like their contiguous copies', async () => {
    const base = param(randomValues(12, 3), [3, 4]);
    const tr = base.transpose(0, 1); // [4, 3]
    const other = param(randomValues(12, 4), [4, 3]);
    for (const name of ['add', 'mul', 'maximum', 'gt'] as const) {
      expect(await BINARY[name](tr, other).toArray()).toEqual(await BINARY[name](tr.contiguous(), other).toArray());
    }
    expect(await tr.exp().toArray()).toEqual(await tr.contiguous().exp().toArray());
    const ex = t([[1], [2]]).expand([2, 3]);
    await expect(ex.mul(t([1, 10, 100]))).toBeAllClose([
      [1, 10, 100],
      [2, 20, 200],
    ]);
    expect(await ex.neg().toArray()).toEqual(await ex.contiguous().neg().toArray());
    const sl = arange(10, undefined, 1, { device }).slice(0, 1, 10, 2); // [1, 3, 5, 7, 9]
    await expect(sl.sub(t([1, 1, 1, 1, 1]))).toBeAllClose([0, 2, 4, 6, 8]);
    expect(await sl.sqrt().toArray()).toEqual(await sl.contiguous().sqrt().toArray());
    const sl2 = base.slice(1, 0, 4, 2); // [3, 2], strides [4, 2]
    expect(await sl2.sigmoid().add(sl2).toArray()).toEqual(await sl2.contiguous().sigmoid().add(sl2.contiguous()).toArray());
  });

  it('follows the dtype rules', async () => {
    const i = t([1, 3], 'int32');
    const ii = ops.add(i, t([3, 4], 'int32'));
    expect(ii.dtype).toBe('int32');
    await expect(ii).toBeAllClose([4, 7]);
    const withFloat = ops.add(i, 1.5);
    expect(withFloat.dtype).toBe('float32');
    await expect(withFloat).toBeAllClose([2.5, 4.5]);
    expect(ops.add(i, 2).dtype).toBe('int32');
    expect(ops.add(i, t([0.5, 0.5])).dtype).toBe('float32');
    const q = ops.div(i, t([2, 2], 'int32'));
    expect(q.dtype).toBe('float32');
    await expect(q).toBeAllClose([0.5, 1.5]);
    for (const name of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) expect(BINARY[name](i, 1).dtype).toBe('bool');
    expect(await i.gt(1).toArray()).toEqual([false, true]);
    const bb = ops.add(t([T, T, F]), t([T, F, F]));
    expect(bb.dtype).toBe('int32');
    await expect(bb).toBeAllClose([2, 1, 0]);
    expect(i.neg().dtype).toBe('int32');
    expect(i.exp().dtype).toBe('float32');
    await expect(i.exp()).toBeAllClose([Math.E, Math.exp(3)]);
    expect(() => t([T, F]).neg()).toThrow(DTypeError);
  });

  it('propagates NaN through maximum and minimum from either side', async () => {
    const a = t([NaN, 1, 2, NaN]);
    const b = t([0, NaN, 1, NaN]);
    await expect(ops.maximum(a, b)).toBeAllClose([NaN, NaN, 2, NaN]);
    await expect(ops.minimum(a, b)).toBeAllClose([NaN, NaN, 1, NaN]);
    await expect(b.maximum(a)).toBeAllClose([NaN, NaN, 2, NaN]);
    await expect(b.minimum(a)).toBeAllClose([NaN, NaN, 1, NaN]);
  });

  const gradOf = (fn: (x: Tensor) => Tensor, values: number[]) => {
    const x = tensor(values, { device, requiresGrad: true });
    fn(x).sum().backward();
    return x.grad!;
  };

  it('gradients at the kinks: relu, abs, sign, floor, leakyRelu, clamp bounds (as PyTorch)', async () => {
    await expect(gradOf(ops.relu, [-1, 0, 2])).toBeAllClose([0, 0, 1]);
    await expect(gradOf(ops.abs, [-1, 0, 2])).toBeAllClose([-1, 0, 1]);
    await expect(gradOf(ops.sign, [-1, 0, 2])).toBeAllClose([0, 0, 0]);
    await expect(gradOf(ops.floor, [-1.5, 0, 2.5])).toBeAllClose([0, 0, 0]);
    await expect(gradOf(ops.ceil, [-1.5, 0, 2.5])).toBeAllClose([0, 0, 0]);
    await expect(gradOf((x) => ops.leakyRelu(x, 0.1), [-1, 0, 2])).toBeAllClose([0.1, 0.1, 1]);
    await expect(gradOf((x) => ops.clamp(x, 0, 1), [-0.5, 0, 0.5, 1, 1.5])).toBeAllClose([0, 1, 1, 1, 0]);
    await expect(gradOf((x) => x.clamp(null, 1), [0.5, 1, 1.5])).toBeAllClose([1, 1, 0]);
  });

  it('maximum and minimum split the gradient 0.5/0.5 at ties; pow at base 0', async () => {
    const a = tensor([1, 2, 3], { device, requiresGrad: true });
    const b = tensor([1, 1, 4], { device, requiresGrad: true });
    ops.maximum(a, b).sum().backward();
    await expect(a.grad!).toBeAllClose([0.5, 1, 0]);
    await expect(b.grad!).toBeAllClose([0.5, 0, 1]);
    const c = tensor([1, 2, 3], { device, requiresGrad: true });
    const d = tensor([1, 1, 4], { device, requiresGrad: true });
    ops.minimum(c, d).sum().backward();
    await expect(c.grad!).toBeAllClose([0.5, 0, 1]);
    await expect(d.grad!).toBeAllClose([0.5, 1, 0]);
    const base = tensor([0, 2], { device, requiresGrad: true });
    const ex = tensor([2, 3], { device, requiresGrad: true });
    ops.pow(base, ex).sum().backward();
    await expect(base.grad!).toBeAllClose([0, 12]);
    await expect(ex.grad!).toBeAllClose([0, 8 * Math.LN2]);
  });

  const v6 = (seed: number) => () => param(awayFromZero(6, seed), [2, 3]);
  const pos6 = (seed: number) => () => param(randomValues(6, seed, 0.5, 2), [2, 3]);
  const fixed = (values: number[]) => () => param(values, [2, 3]);
  const unaryGrad: [string, (x: Tensor) => Tensor, () => Tensor][] = [
    ['neg', ops.neg, v6(1)],
    ['abs', ops.abs, v6(2)],
    ['sign', ops.sign, v6(3)],
    ['exp', ops.exp, v6(4)],
    ['log', ops.log, pos6(5)],
    ['sqrt', ops.sqrt, pos6(6)],
    ['rsqrt', ops.rsqrt, pos6(7)],
    ['relu', ops.relu, v6(8)],
    ['leakyRelu', (x) => x.leakyRelu(0.2), v6(9)],
    ['gelu', ops.gelu, v6(10)],
    ['gelu tanh', (x) => ops.gelu(x, { approximate: 'tanh' }), v6(11)],
    ['sigmoid', ops.sigmoid, v6(12)],
    ['erf', ops.erf, v6(13)],
    ['tanh', ops.tanh, v6(14)],
    ['sin', ops.sin, v6(15)],
    ['cos', ops.cos, v6(16)],
    ['floor', ops.floor, fixed([0.3, 1.6, -0.4, -1.7, 2.2, 0.55])],
    ['ceil', ops.ceil, fixed([0.3, 1.6, -0.4, -1.7, 2.2, 0.55])],
    ['clamp', (x) => ops.clamp(x, -0.5, 0.5), fixed([-1.1, -0.3, 0.2, 0.7, 0.35, -0.8])],
    [
      'where',
      (x) =>
        ops.where(
          t([
            [T, F, T],
            [F, F, T],
          ]),
          x.mul(2),
          x.exp(),
        ),
      v6(17),
    ],
    [
      'on a transposed view',
      (x) =>
        x
          .transpose(0, 1)
          .mul(t([1, 2]))
          .exp(),
      v6(18),
    ],
  ];
  for (const [name, fn, input] of unaryGrad) {
    it(`gradcheck: ${name}`, () => {
      const w = param(randomValues(6, 99), [6]);
      expectGradcheck(
        (a) => {
          const y = fn(a);
          return y.mul(w.reshape(y.shape)).sum();
        },
        [input()],
      );
    });
  }

  const numelOf = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
  const rnd = (lo: number, hi: number) => (seed: number, shape: number[]) => param(randomValues(numelOf(shape), seed, lo, hi), shape);
  const list = (values: number[]) => (_seed: number, shape: number[]) => param(values.slice(0, numelOf(shape)), shape);
  const binaryGrad: [BinaryName, (seed: number, shape: number[]) => Tensor, (seed: number, shape: number[]) => Tensor][] = [
    ['add', rnd(-1, 1), rnd(-1, 1)],
    ['sub', rnd(-1, 1), rnd(-1, 1)],
    ['mul', rnd(-1, 1), rnd(-1, 1)],
    ['div', rnd(-1, 1), (s, sh) => param(awayFromZero(numelOf(sh), s, 0.5), sh)],
    ['pow', rnd(0.5, 2), rnd(-2, 2)],
    ['maximum', list([0.1, 0.9, -0.5, 0.6, -0.2, 0.4]), list([0.3, -0.1, 0.7, 0.25, -0.65, 0.85])],
    ['minimum', list([0.1, 0.9, -0.5, 0.6, -0.2, 0.4]), list([0.3, -0.1, 0.7, 0.25, -0.65, 0.85])],
  ];
  for (const [name, makeA, makeB] of binaryGrad) {
    for (const bShape of [[2, 3], [3], [2, 1]]) {
      it(`gradcheck: ${name} of [2,3] with [${bShape.join(',')}] (and swapped)`, () => {
        expectGradcheck((x, y) => BINARY[name](x, y).sin().sum(), [makeA(20, [2, 3]), makeB(21, bShape)]);
        expectGradcheck((y, x) => BINARY[name](x, y).sin().sum(), [makeB(22, bShape), makeA(23, [2, 3])]);
      });
    }
  }

  it('gradients of broadcast operands sum over the broadcast dims', async () => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device, requiresGrad: true },
    );
    const b = tensor([10, 20, 30], { device, requiresGrad: true });
    const c = tensor([[2], [3]], { device, requiresGrad: true });
    a.mul(b).mul(c).sum().backward();
    await expect(b.grad!).toBeAllClose([14, 19, 24]);
    await expect(c.grad!).toBeAllClose([[140], [320]]);
    await expect(a.grad!).toBeAllClose([
      [20, 40, 60],
      [30, 60, 90],
    ]);
  });

  it('throws typed errors', () => {
    expect(() => ops.add(zeros([2, 3], { device }), zeros([4], { device }))).toThrow(ShapeError);
    expect(() => ops.add(zeros([2, 3], { device }), zeros([4], { device }))).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast/);
    expect(() => zeros([2, 3], { device }).mul(zeros([2, 2], { device }))).toThrow(/mul: shapes \[2,3\] and \[2,2\] cannot be broadcast/);
    expect(() => ops.ge(zeros([3], { device }), zeros([2], { device }))).toThrow(/ge: shapes \[3\] and \[2\] cannot be broadcast/);
    expect(() => ops.where(t([1, 0]), 1, 2)).toThrow(DTypeError);
    expect(() => ops.where(t([1, 0]), 1, 2)).toThrow(/where: condition must be bool, got float32/);
    expect(() => ops.where(t([T, F]), zeros([3], { device }), 0)).toThrow(ShapeError);
    const x = t([1, 2]);
    x.dispose();
    expect(() => ops.add(x, 1)).toThrow(DisposedError);
    expect(() => x.exp()).toThrow(DisposedError);
    expect(() => ops.mul(t([1, 2]), x)).toThrow(/mul: tensor was disposed/);
    expect(() => ops.add(1, 2)).toThrow(ArgumentError);
    expect(() => ops.maximum(1, 2)).toThrow(/maximum: expected at least one tensor, got two numbers/);
    const y = t([1, 2]);
    expect(() => ops.clamp(y, 2, 1)).toThrow(ArgumentError);
    expect(() => y.clamp(2, 1)).toThrow(/clamp: min \(2\) must not exceed max \(1\)/);
    expect(() => ops.clamp(y)).toThrow(ArgumentError);
    expect(() => ops.gelu(y, { approximate: 'fast' as 'tanh' })).toThrow(ArgumentError);
    expect(() => y.gelu({ approximate: 'fast' as 'tanh' })).toThrow(/gelu: approximate must be 'none' or 'tanh', got 'fast'/);
    expect(y.dataSync()).toBeAllClose([1, 2]);
  });
});
