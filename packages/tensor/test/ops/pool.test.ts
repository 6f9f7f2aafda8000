import { expect, it } from 'vitest';
import { type DeviceName, tensor, arange, maxPool2d, avgPool2d, adaptiveAvgPool2d, ArgumentError, ShapeError } from '../../src/index';
import { expectGradcheck, describeOnCpu, randomValues, randomTensor, weightedSum } from '../helpers';

/** PyTorch's pooling output length (aten pooling_output_shape), written out independently. */
function torchOut(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  let out = Math.floor(num / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** n distinct values 0.1 apart in a scrambled order: no ties, far apart compared to gradcheck's ε. */
function distinct(n: number, seed: number): number[] {
  const r = randomValues(n, seed);
  const order = r
    .map((v, i) => [v, i])
    .sort((a, b) => a[0] - b[0])
    .map(([, i]) => i);
  const out = new Array<number>(n);
  order.forEach((i, rank) => {
    out[i] = rank * 0.1 - n * 0.05;
  });
  return out;
}

describeOnCpu('pool', (device: DeviceName) => {
  const img = (rows: number[][]) => tensor([[rows]], { device });
  const X = [
    [1, 5, 2, 0],
    [3, 4, 8, 7],
    [0, 9, 6, 1],
    [2, 3, 4, 10],
  ];
  const ramp = (h: number, w: number) => arange(h * w, undefined, 1, { device }).reshape([1, 1, h, w]);
  const leaf = (shape: number[], seed: number) => randomTensor(device, shape, seed);

  it('maxPool2d: kernel 2, stride 1, padding, dilation (hand values)', async () => {
    await expect(maxPool2d(img(X), 2)).toBeAllClose([
      [
        [
          [5, 8],
          [9, 10],
        ],
      ],
    ]);
    await expect(img(X).maxPool2d(2, { stride: 1 })).toBeAllClose([
      [
        [
          [5, 8, 8],
          [9, 9, 8],
          [9, 9, 10],
        ],
      ],
    ]);
    await expect(img(X).maxPool2d(3, { stride: 2, padding: 1 })).toBeAllClose([
      [
        [
          [5, 8],
          [9, 10],
        ],
      ],
    ]);
    await expect(img(X).maxPool2d([2, 2], { stride: 1, dilation: 2 })).toBeAllClose([
      [
        [
          [6, 9],
          [8, 10],
        ],
      ],
    ]);
    // padding is −∞, not 0: all-negative windows keep their negative maximum
    const neg = img(X.map((r) => r.map((v) => -v - 1)));
    await expect(neg.maxPool2d(2, { stride: 2, padding: 1 })).toBeAllClose([
      [
        [
          [-2, -3, -1],
          [-1, -5, -2],
          [-3, -4, -11],
        ],
      ],
    ]);
  });

  it('maxPool2d: several planes and a rectangular kernel', async () => {
    const x = arange(2 * 3 * 4, undefined, 1, { device }).reshape([1, 2, 3, 4]);
    const y = x.maxPool2d([3, 2]);
    expect(y.shape).toEqual([1, 2, 1, 2]);
    await expect(y).toBeAllClose([[[[9, 11]], [[21, 23]]]]);
  });

  it('ceilMode output sizes follow PyTorch (including the window-starts-inside rule)', async () => {
    const combos: [number, number, number, number, number][] = [
      [5, 2, 2, 0, 1],
      [5, 2, 2, 1, 1],
      [6, 3, 2, 1, 1],
      [7, 3, 3, 1, 1],
      [4, 2, 3, 0, 1],
      [9, 3, 2, 0, 2],
      [8, 4, 3, 2, 1],
    ];
    const expectedCeil = [3, 3, 4, 3, 2, 3, 4];
    const expectedFloor = [2, 3, 3, 3, 1, 3, 3];
    combos.forEach(([n, k, s, p, d], i) => {
      expect(torchOut(n, k, s, p, d, true)).toBe(expectedCeil[i]);
      expect(torchOut(n, k, s, p, d, false)).toBe(expectedFloor[i]);
      const x = ramp(n, n);
      expect(x.maxPool2d(k, { stride: s, padding: p, dilation: d, ceilMode: true }).shape).toEqual([1, 1, expectedCeil[i], expectedCeil[i]]);
      expect(x.maxPool2d(k, { stride: s, padding: p, dilation: d }).shape).toEqual([1, 1, expectedFloor[i], expectedFloor[i]]);
      if (d === 1) expect(x.avgPool2d(k, { stride: s, padding: p, ceilMode: true }).shape).toEqual([1, 1, expectedCeil[i], expectedCeil[i]]);
    });
    await expect(ramp(5, 5).maxPool2d(2, { ceilMode: true })).toBeAllClose([
      [
        [
          [6, 8, 9],
          [16, 18, 19],
          [21, 23, 24],
        ],
      ],
    ]);
  });

  it('avgPool2d with countIncludePad true (default) and false', async () => {
    const x = img([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    await expect(avgPool2d(x, 2, { stride: 1, padding: 1 })).toBeAllClose([
      [
        [
          [0.25, 0.75, 1.25, 0.75],
          [1.25, 3, 4, 2.25],
          [2.75, 6, 7, 3.75],
          [1.75, 3.75, 4.25, 2.25],
        ],
      ],
    ]);
    await expect(x.avgPool2d(2, { stride: 1, padding: 1, countIncludePad: false })).toBeAllClose([
      [
        [
          [1, 1.5, 2.5, 3],
          [2.5, 3, 4, 4.5],
          [5.5, 6, 7, 7.5],
          [7, 7.5, 8.5, 9],
        ],
      ],
    ]);
    await expect(ramp(4, 4).avgPool2d(2)).toBeAllClose([
      [
        [
          [2.5, 4.5],
          [10.5, 12.5],
        ],
      ],
    ]);
  });

  it('avgPool2d with ceilMode: the divisor stops at the padded edge', async () => {
    await expect(
      img([
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ]).avgPool2d(2, { ceilMode: true }),
    ).toBeAllClose([
      [
        [
          [3, 4.5],
          [7.5, 9],
        ],
      ],
    ]);
    const x = ramp(4, 4);
    await expect(x.avgPool2d(3, { stride: 2, padding: 1, ceilMode: true })).toBeAllClose([
      [
        [
          [10 / 9, 24 / 9, 10 / 6],
          [51 / 9, 90 / 9, 33 / 6],
          [25 / 6, 42 / 6, 15 / 4],
        ],
      ],
    ]);
    await expect(x.avgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false })).toBeAllClose([
      [
        [
          [2.5, 4, 5],
          [8.5, 10, 11],
          [12.5, 14, 15],
        ],
      ],
    ]);
  });

  it('adaptiveAvgPool2d: 7→3 overlapping windows, to 1×1, non-square', async () => {
    await expect(adaptiveAvgPool2d(ramp(7, 7), 3)).toBeAllClose([
      [
        [
          [8, 10, 12],
          [22, 24, 26],
          [36, 38, 40],
        ],
      ],
    ]);
    await expect(ramp(7, 7).adaptiveAvgPool2d(1)).toBeAllClose([[[[24]]]]);
    await expect(ramp(4, 6).adaptiveAvgPool2d([2, 3])).toBeAllClose([
      [
        [
          [3.5, 5.5, 7.5],
          [15.5, 17.5, 19.5],
        ],
      ],
    ]);
    await expect(ramp(5, 3).adaptiveAvgPool2d([2, 2])).toBeAllClose([
      [
        [
          [3.5, 4.5],
          [9.5, 10.5],
        ],
      ],
    ]);
    const up = ramp(2, 2).adaptiveAvgPool2d([3, 4]);
    expect(up.shape).toEqual([1, 1, 3, 4]);
    await expect(up).toBeAllClose([
      [
        [
          [0, 0, 1, 1],
          [1, 1, 2, 2],
          [2, 2, 3, 3],
        ],
      ],
    ]);
  });

  it('maxPool2d gradient goes to each window maximum', async () => {
    const x = tensor(
      [
        [
          [
            [1, 5, 2, 0],
            [3, 4, 8, 7],
            [0, 9, 6, 1],
            [2, 3, 4, 10],
          ],
        ],
      ],
      { device, requiresGrad: true },
    );
    x.maxPool2d(2, { stride: 1 }).sum().backward();
    await expect(x.grad!).toBeAllClose([
      [
        [
          [0, 1, 0, 0],
          [0, 0, 3, 0],
          [0, 4, 0, 0],
          [0, 0, 0, 1],
        ],
      ],
    ]);
    const d = () => tensor(distinct(2 * 5 * 5, 5), { device }).reshape([1, 2, 5, 5]);
    expectGradcheck((t) => weightedSum(t.maxPool2d(3, { stride: 2, padding: 1 })), [d()]);
    expectGradcheck((t) => weightedSum(t.maxPool2d(2, { stride: 1, dilation: 2, ceilMode: true })), [d()]);
    expectGradcheck((t) => weightedSum(t.maxPool2d([2, 3], { stride: 2, ceilMode: true })), [d()]);
  });

  it('avgPool2d and adaptiveAvgPool2d gradients', () => {
    expectGradcheck((t) => weightedSum(t.avgPool2d(3, { stride: 2, padding: 1 })), [leaf([1, 2, 5, 5], 1)], { eps: 1e-2 });
    expectGradcheck((t) => weightedSum(t.avgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false })), [leaf([1, 1, 6, 6], 2)], {
      eps: 1e-2,
    });
    expectGradcheck((t) => weightedSum(t.avgPool2d([2, 1], { ceilMode: true })), [leaf([2, 1, 5, 3], 3)], { eps: 1e-2 });
    expectGradcheck((t) => weightedSum(t.adaptiveAvgPool2d(3)), [leaf([1, 2, 7, 7], 4)], { eps: 1e-2 });
    expectGradcheck((t) => weightedSum(t.adaptiveAvgPool2d([2, 3])), [leaf([1, 1, 5, 4], 5)], { eps: 1e-2 });
  });

  it('rejects padding above half the kernel and non-4-D inputs', () => {
    const x = ramp(4, 4);
    expect(() => x.maxPool2d(2, { padding: 2 })).toThrow(ArgumentError);
    expect(() => x.maxPool2d(3, { padding: 2 })).toThrow(/^maxPool2d: padding 2×2 must be at most half the kernel size 3×3/);
    expect(() => x.avgPool2d([4, 2], { padding: [2, 2] })).toThrow(/^avgPool2d: padding 2×2 must be at most half the kernel size 4×2/);
    const x3 = arange(16, undefined, 1, { device }).reshape([1, 4, 4]);
    expect(() => maxPool2d(x3, 2)).toThrow(ShapeError);
    expect(() => maxPool2d(x3, 2)).toThrow(/^maxPool2d: expected a 4-D input \[N, C, H, W\], got \[1,4,4\]/);
    expect(() => avgPool2d(x3, 2)).toThrow(/^avgPool2d: expected a 4-D input/);
    expect(() => adaptiveAvgPool2d(x3, 2)).toThrow(/^adaptiveAvgPool2d: expected a 4-D input/);
    expect(() => x.maxPool2d(5)).toThrow(/^maxPool2d: input \[1,1,4,4\] is too small/);
    expect(() => x.maxPool2d(0)).toThrow(ArgumentError);
  });
});
