import { expect, it } from 'vitest';
import { tensor, softmax, logSoftmax, sum, DTypeError, ShapeError } from '../../src/index';
import { describeOnCpu, expectGradcheck, randomValues } from '../helpers';

const LN2 = Math.LN2;

describeOnCpu('softmax and logSoftmax', (device) => {
  const t = (data: Parameters<typeof tensor>[0]) => tensor(data, { device });

  it('hand values for [[1, 2, 3]] (function and method form)', async () => {
    const x = t([[1, 2, 3]]);
    const y = softmax(x);
    expect(y.shape).toEqual([1, 3]);
    await expect(y).toBeAllClose([[0.09003057, 0.24472847, 0.66524096]]);
    await expect(x.softmax(-1)).toBeAllClose([[0.09003057, 0.24472847, 0.66524096]]);
    await expect(logSoftmax(x)).toBeAllClose([[-2.40760596, -1.40760596, -0.40760596]]);
    await expect(x.logSoftmax(1)).toBeAllClose([[-2.40760596, -1.40760596, -0.40760596]]);
    await expect(softmax(t([0, 0, 0, 0]))).toBeAllClose([0.25, 0.25, 0.25, 0.25]);
  });

  it('dim 0, 1 and −1 on [[1, 2], [3, 5]]', async () => {
    const x = t([
      [1, 2],
      [3, 5],
    ]);
    await expect(softmax(x, 0)).toBeAllClose([
      [0.11920292, 0.04742587],
      [0.88079708, 0.95257413],
    ]);
    await expect(softmax(x, 1)).toBeAllClose([
      [0.26894142, 0.73105858],
      [0.11920292, 0.88079708],
    ]);
    await expect(softmax(x, -1)).toBeAllClose([
      [0.26894142, 0.73105858],
      [0.11920292, 0.88079708],
    ]);
    await expect(softmax(x, -2)).toBeAllClose([
      [0.11920292, 0.04742587],
      [0.88079708, 0.95257413],
    ]);
    await expect(logSoftmax(x, 0)).toBeAllClose([
      [Math.log(0.11920292), Math.log(0.04742587)],
      [Math.log(0.88079708), Math.log(0.95257413)],
    ]);
  });

  it('rows sum to 1 along the chosen dim of a [4, 7] input, also for a transposed view', async () => {
    const x = tensor(randomValues(28, 5, -4, 4), { device }).reshape([4, 7]);
    await expect(sum(softmax(x, 1), 1)).toBeAllClose([1, 1, 1, 1]);
    await expect(sum(softmax(x, 0), 0)).toBeAllClose(new Array(7).fill(1));
    await expect(logSoftmax(x, 1).exp().sum(1)).toBeAllClose([1, 1, 1, 1]);
    const xt = x.transpose(0, 1); // [7, 4], non-contiguous
    expect(await softmax(xt, 1).toArray()).toEqual(await softmax(xt.contiguous(), 1).toArray());
    await expect(softmax(xt, 0).sum(0)).toBeAllClose([1, 1, 1, 1]);
  });

  it('is stable for large inputs', async () => {
    await expect(softmax(t([1000, 1001, 1002]))).toBeAllClose([0.09003057, 0.24472847, 0.66524096]);
    await expect(softmax(t([-1000, -1001, -1002]))).toBeAllClose([0.66524096, 0.24472847, 0.09003057]);
    await expect(logSoftmax(t([1000, 1000]))).toBeAllClose([-LN2, -LN2]);
    await expect(logSoftmax(t([0, -1000]))).toBeAllClose([0, -1000]);
    await expect(softmax(t([88, 0]))).toBeAllClose([1, Math.exp(-88)], { rtol: 1e-4, atol: 1e-30 });
  });

  it('handles −Infinity entries; a fully −Infinity row gives NaN', async () => {
    await expect(softmax(t([0, -Infinity, 0]))).toBeAllClose([0.5, 0, 0.5]);
    await expect(logSoftmax(t([0, -Infinity, 0]))).toBeAllClose([-LN2, -Infinity, -LN2]);
    await expect(
      softmax(
        t([
          [-Infinity, -Infinity],
          [1, -Infinity],
        ]),
      ),
    ).toBeAllClose([
      [NaN, NaN],
      [1, 0],
    ]);
  });

  const w = () => tensor(randomValues(15, 77, -2, 2), { device }).reshape([3, 5]);
  for (const dim of [0, 1, -1]) {
    it(`gradcheck on [3,5] along dim ${dim}`, () => {
      const x = tensor(randomValues(15, 10 + dim, -2, 2), { device }).reshape([3, 5]);
      const weights = w();
      expectGradcheck((a) => softmax(a, dim).mul(weights).sum(), [x]);
      expectGradcheck((a) => logSoftmax(a, dim).mul(weights).sum(), [x]);
      expectGradcheck((a) => a.softmax(dim).sin().sum(), [x]);
    });
  }

  it('throws typed errors', () => {
    const i = tensor([1, 2], { device, dtype: 'int32' });
    expect(() => softmax(i)).toThrow(DTypeError);
    expect(() => i.logSoftmax()).toThrow(/logSoftmax: expected a float32 input, got int32/);
    expect(() => softmax(t([[1, 2]]), 2)).toThrow(ShapeError);
    expect(() => logSoftmax(t([[1, 2]]), -3)).toThrow(/logSoftmax: dim -3 out of range/);
  });
});
