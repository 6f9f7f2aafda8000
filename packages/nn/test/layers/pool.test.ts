import { describe, expect, it } from 'vitest';
import { AdaptiveAvgPool2d, ArgumentError, AvgPool2d, arange, gradcheck, MaxPool2d, memory, randn, scope, ShapeError, tensor } from '../../src/index';
import { expectValues as expectClose } from '../helpers';

const grid = () =>
  tensor([
    [
      [
        [1, 2, 5, 6],
        [3, 4, 7, 8],
        [9, 10, 13, 14],
        [11, 12, 15, 16],
      ],
    ],
  ]);
/** Distinct values far apart, so max pooling has no near-ties for finite differences. */
const distinct = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = Array.from({ length: n }, (_, i) => (i * 7919) % n);
  return tensor(perm.map((v) => v * 0.1)).reshape(shape);
};

describe('MaxPool2d', () => {
  it('takes window maxima (hand values) and has PyTorch output shapes', () => {
    const y = new MaxPool2d(2).forward(grid());
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectClose(y.dataSync(), [4, 8, 12, 16]);
    const x = randn([2, 3, 5, 5]);
    expect(new MaxPool2d(2).forward(x).shape).toEqual([2, 3, 2, 2]);
    expect(new MaxPool2d(2, { ceilMode: true }).forward(x).shape).toEqual([2, 3, 3, 3]);
    expect(new MaxPool2d(3, { stride: 1, padding: 1 }).forward(x).shape).toEqual([2, 3, 5, 5]);
    expect(new MaxPool2d(2, { dilation: 2, stride: 1 }).forward(x).shape).toEqual([2, 3, 3, 3]);
    expect(new MaxPool2d([2, 1]).forward(x).shape).toEqual([2, 3, 2, 5]);
    expect(new MaxPool2d(2).forward(randn([3, 4, 4])).shape).toEqual([3, 2, 2]); // unbatched
    const pool = new MaxPool2d(3, { stride: 2, padding: 1 });
    expect(pool.kernelSize).toEqual([3, 3]);
    expect(pool.stride).toEqual([2, 2]);
    expect(new MaxPool2d(3).stride).toEqual([3, 3]); // stride defaults to the kernel size
  });

  it('pads with −∞, not zeros', () => {
    const y = new MaxPool2d(3, { stride: 1, padding: 1 }).forward(
      tensor([
        [
          [
            [-1, -2],
            [-3, -4],
          ],
        ],
      ]),
    );
    expectClose(y.dataSync(), [-1, -1, -1, -1]);
  });

  it('passes gradcheck', () => {
    const wts = randn([1, 2, 2, 2]);
    const r = gradcheck((x) => new MaxPool2d(2).forward(x).mul(wts).sum(), [distinct([1, 2, 4, 5])]);
    expect(r.ok, JSON.stringify(r.mismatches.slice(0, 3))).toBe(true);
    const wts2 = randn([1, 2, 3, 3]);
    const r2 = gradcheck((x) => new MaxPool2d(3, { stride: 2, padding: 1 }).forward(x).mul(wts2).sum(), [distinct([1, 2, 5, 5])]);
    expect(r2.ok).toBe(true);
  });

  it('validates arguments and input shape', () => {
    expect(() => new MaxPool2d(0)).toThrow(ArgumentError);
    expect(() => new MaxPool2d(0)).toThrow('MaxPool2d: kernelSize must be an integer >= 1 or a pair of them, got 0');
    expect(() => new MaxPool2d(2, { stride: 0 })).toThrow(/stride/);
    expect(() => new MaxPool2d(2, { padding: 2 })).toThrow('MaxPool2d: padding [2,2] must be at most half of kernelSize [2,2]');
    expect(() => new MaxPool2d(2).forward(randn([4, 4]))).toThrow(ShapeError);
    expect(() => new MaxPool2d(2).forward(randn([4, 4]))).toThrow('MaxPool2d: expected 4-D input [N, C, H, W] (or 3-D [C, H, W] unbatched), got [4,4]');
    expect(Object.keys(new MaxPool2d(2).stateDict())).toEqual([]);
  });
});

describe('AvgPool2d', () => {
  it('averages windows (hand values), with and without padding in the divisor', () => {
    expectClose(new AvgPool2d(2).forward(grid()).dataSync(), [2.5, 6.5, 10.5, 14.5]);
    const x = tensor([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
    expectClose(new AvgPool2d(3, { stride: 1, padding: 1 }).forward(x).dataSync(), [10 / 9, 10 / 9, 10 / 9, 10 / 9]);
    expectClose(new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }).forward(x).dataSync(), [2.5, 2.5, 2.5, 2.5]);
    expect(new AvgPool2d(2, { ceilMode: true }).forward(randn([1, 1, 5, 5])).shape).toEqual([1, 1, 3, 3]);
    expect(new AvgPool2d(2).forward(randn([2, 4, 4])).shape).toEqual([2, 2, 2]);
  });

  it('passes gradcheck', () => {
    const wts = randn([2, 1, 2, 2]);
    const r = gradcheck((x) => new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).forward(x).mul(wts).sum(), [randn([2, 1, 4, 4])]);
    expect(r.ok).toBe(true);
  });

  it('validates arguments and input shape', () => {
    expect(() => new AvgPool2d([2, 0])).toThrow('AvgPool2d: kernelSize must be an integer >= 1 or a pair of them, got [2,0]');
    expect(() => new AvgPool2d(2).forward(randn([1, 1, 1, 2, 2]))).toThrow(
      'AvgPool2d: expected 4-D input [N, C, H, W] (or 3-D [C, H, W] unbatched), got [1,1,1,2,2]',
    );
  });
});

describe('AdaptiveAvgPool2d', () => {
  it('pools to a fixed size with PyTorch windows', () => {
    expectClose(new AdaptiveAvgPool2d(1).forward(grid()).dataSync(), [8.5]);
    expectClose(new AdaptiveAvgPool2d(2).forward(grid()).dataSync(), [2.5, 6.5, 10.5, 14.5]);
    // 5 → 3: windows rows [0,1], [1,2,3], [3,4]
    expectClose(new AdaptiveAvgPool2d([1, 3]).forward(arange(1, 6).reshape([1, 1, 1, 5])).dataSync(), [1.5, 3, 4.5]);
    expect(new AdaptiveAvgPool2d([2, null]).forward(randn([1, 3, 4, 7])).shape).toEqual([1, 3, 2, 7]);
    expect(new AdaptiveAvgPool2d(7).forward(randn([2, 8, 9, 9])).shape).toEqual([2, 8, 7, 7]);
    expect(new AdaptiveAvgPool2d(1).forward(randn([8, 3, 3])).shape).toEqual([8, 1, 1]);
  });

  it('passes gradcheck', () => {
    const wts = randn([1, 2, 2, 3]);
    const r = gradcheck((x) => new AdaptiveAvgPool2d([2, 3]).forward(x).mul(wts).sum(), [randn([1, 2, 5, 4])]);
    expect(r.ok).toBe(true);
  });

  it('validates arguments and input shape; holds no tensors', () => {
    expect(() => new AdaptiveAvgPool2d(0)).toThrow('AdaptiveAvgPool2d: outputSize must be a positive integer or a pair of them (or null), got 0');
    expect(() => new AdaptiveAvgPool2d(1).forward(randn([3]))).toThrow(ShapeError);
    const before = memory();
    scope(() =>
      new AdaptiveAvgPool2d(2)
        .forward(randn([1, 1, 4, 4], { requiresGrad: true }))
        .sum()
        .backward(),
    );
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
