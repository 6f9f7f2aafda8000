import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, scope, type Tensor, tensor, unique, uniqueAsync } from '../../src/index';
import { DEVICES, randomValues } from '../helpers';
import { flat, NaN_, readAll, values } from './select-helpers';

// unique on every device through uniqueAsync (and unique on the CPU): values, inverse and counts
// worked by hand from torch.unique's definition (sorted; each NaN distinct), memory flat.

describe.each(DEVICES)('unique [%s]', (device) => {
  const t = (data: Parameters<typeof tensor>[0], dtype?: 'int32' | 'bool' | 'float32') => tensor(data, { device, dtype });
  const all = { returnInverse: true, returnCounts: true };
  // [values, inverse, counts] (shapes, then flat values)
  const cases: [string, () => Tensor, object, number[][], number[][]][] = [
    [
      'by hand',
      () => t([2, 1, 2, 3]),
      all,
      [[3], [4], [3]],
      [
        [1, 2, 3],
        [1, 0, 1, 2],
        [1, 2, 1],
      ],
    ],
    [
      'values only',
      () =>
        t([
          [5, 5],
          [4, 5],
        ]),
      {},
      [[2]],
      [[4, 5]],
    ],
    [
      'inverse keeps the input shape',
      () =>
        t([
          [1, 0],
          [1, 1],
        ]),
      { returnInverse: true },
      [[2], [2, 2]],
      [
        [0, 1],
        [1, 0, 1, 1],
      ],
    ],
    [
      'each NaN is distinct (PyTorch, array API)',
      () => t([NaN_, 1, NaN_, 1]),
      all,
      [[3], [4], [3]],
      [
        [1, NaN_, NaN_],
        [1, 0, 2, 0],
        [2, 1, 1],
      ],
    ],
    [
      '±∞',
      () => t([Infinity, -Infinity, Infinity]),
      all,
      [[2], [3], [2]],
      [
        [-Infinity, Infinity],
        [1, 0, 1],
        [1, 2],
      ],
    ],
    ['empty', () => t([]), all, [[0], [0], [0]], [[], [], []]],
    ['0-d', () => t(4), all, [[1], [], [1]], [[4], [0], [1]]],
    [
      'int32',
      () => t([3, -2, 3, 3], 'int32'),
      all,
      [[2], [4], [2]],
      [
        [-2, 3],
        [1, 0, 1, 1],
        [1, 3],
      ],
    ],
    [
      'bool',
      () => t([true, true, false], 'bool'),
      all,
      [[2], [3], [2]],
      [
        [0, 1],
        [1, 1, 0],
        [1, 2],
      ],
    ],
    ['sorted: false still sorts', () => t([3, 1]), { sorted: false }, [[2]], [[1, 3]]],
    // rows [1, 2], [0, 5], [1, 2], [0, 4] → sorted lexicographically [0, 4] < [0, 5] < [1, 2]
    [
      'dim 0: unique rows',
      () =>
        t([
          [1, 2],
          [0, 5],
          [1, 2],
          [0, 4],
        ]),
      { dim: 0, ...all },
      [[3, 2], [4], [3]],
      [
        [0, 4, 0, 5, 1, 2],
        [2, 1, 2, 0],
        [1, 1, 2],
      ],
    ],
    // columns [1, 3], [0, 0], [1, 3] → [0, 0] < [1, 3]
    [
      'dim −1: unique columns',
      () =>
        t([
          [1, 0, 1],
          [3, 0, 3],
        ]),
      { dim: -1, ...all },
      [[2, 2], [3], [2]],
      [
        [0, 1, 0, 3],
        [1, 0, 1],
        [1, 2],
      ],
    ],
    [
      'dim 1 of [2, 3, 1]',
      () =>
        t([
          [[2], [1], [2]],
          [[0], [0], [0]],
        ]),
      { dim: 1 },
      [[2, 2, 1]],
      [[1, 2, 0, 0]],
    ],
    ['dim 0 of an empty [0, 2]', () => t([[], []]).reshape([0, 2]), { dim: 0, ...all }, [[0, 2], [0], [0]], [[], [], []]],
  ];
  for (const [name, make, opts, shapes, want] of cases) {
    it(name, () =>
      flat(device, async () => {
        const x = scope(make);
        const got = await readAll(await uniqueAsync(x, opts));
        expect(got.shapes).toEqual(shapes);
        expect(got.values).toEqual(want);
        expect(got.dtypes.slice(1).every((d) => d === 'int32')).toBe(true);
        if (device === 'cpu') expect(await readAll(unique(x, opts))).toEqual(got);
        x.dispose();
      }),
    );
  }

  it('−0 and +0 are one value, reported as the first in the input', () =>
    flat(device, async () => {
      for (const [data, first] of [
        [[0, -0, 1], 0],
        [[-0, 1, 0], -0],
      ] as const) {
        const x = t([...data]);
        const r = await uniqueAsync(x, { returnCounts: true });
        const v = await values(r.values);
        expect(v.length).toBe(2);
        expect(Object.is(v[0], first)).toBe(true);
        expect(await values(r.counts as Tensor)).toEqual([2, 1]);
        for (const u of [x, r.values, r.counts as Tensor]) u.dispose();
      }
    }));

  it('5000 integers (multi-pass sort on the GPU) against a host count', () =>
    flat(device, async () => {
      const data = randomValues(5000, 8, 0, 1).map((u) => Math.floor(u * 97) - 40);
      const x = t(data, 'int32');
      const r = await uniqueAsync(x, all);
      const want = [...new Set(data)].sort((a, b) => a - b);
      expect(await values(r.values)).toEqual(want);
      expect(await values(r.counts as Tensor)).toEqual(want.map((v) => data.filter((d) => d === v).length));
      expect(await values(r.inverse as Tensor)).toEqual(data.map((d) => want.indexOf(d)));
      for (const u of [x, r.values, r.inverse as Tensor, r.counts as Tensor]) u.dispose();
    }));

  it('is not differentiable: values carry no gradient', () =>
    flat(device, async () => {
      const x = tensor([2, 1, 2], { device, requiresGrad: true });
      const r = await uniqueAsync(x);
      expect(r.values.requiresGrad).toBe(false);
      for (const u of [x, r.values]) u.dispose();
    }));

  it('typed errors', () =>
    flat(device, async () => {
      const x = t([1, 2]);
      await expect(uniqueAsync(x, { dim: 1 })).rejects.toThrow(ShapeError);
      await expect(uniqueAsync(x, { dim: 1 })).rejects.toThrow(/uniqueAsync: dim 1 out of range for a tensor of rank 1/);
      await expect(uniqueAsync(x, { dim: 0.5 })).rejects.toThrow(/dim must be an integer, got 0.5/);
      await expect(uniqueAsync(x, { returnCounts: 1 as never })).rejects.toThrow(/returnCounts must be a boolean/);
      await expect(uniqueAsync(x, { return_counts: true } as never)).rejects.toThrow(ArgumentError);
      for (const u of [x]) u.dispose();
    }));
});
