import { describe, expect, it } from 'vitest';
import {
  DeviceError,
  DisposedError,
  DTypeError,
  maskedSelect,
  maskedSelectAsync,
  nonzero,
  nonzeroAsync,
  ShapeError,
  scope,
  Tensor,
  tensor,
  transfers,
  unique,
  uniqueAsync,
  type UniqueResult,
} from '../../src/index';
import { DEVICES, expectGradcheck, randomValues } from '../helpers';
import { flat, held, NaN_, readAll, values } from './select-helpers';

// nonzero and maskedSelect (unique: select-unique.test.ts): values worked by hand from PyTorch's
// definitions, on every device through the async forms (and the sync forms on the CPU), host
// reads counted, memory flat. These ops are in the op table's NOT_OPS (a sync call cannot run on
// WebGPU), so these files make the table's checks for them: values per device, gradcheck,
// disposal and device errors.

describe.each(DEVICES)('nonzero [%s]', (device) => {
  const t = (data: Parameters<typeof tensor>[0], dtype?: 'int32' | 'bool' | 'float32') => tensor(data, { device, dtype });
  const cases: [string, () => Tensor, { asTuple?: boolean }, number[][], number[][]][] = [
    [
      '2-D by hand',
      () =>
        t([
          [1, 0],
          [0, 3],
        ]),
      {},
      [[2, 2]],
      [[0, 0, 1, 1]],
    ],
    [
      'asTuple',
      () =>
        t([
          [1, 0],
          [0, 3],
        ]),
      { asTuple: true },
      [[2], [2]],
      [
        [0, 1],
        [0, 1],
      ],
    ],
    ['NaN is nonzero, −0 is zero', () => t([0, -0, NaN_, 2]), {}, [[2, 1]], [[2, 3]]],
    [
      'all zero: [0, 2]',
      () =>
        t([
          [0, 0],
          [0, 0],
        ]),
      {},
      [[0, 2]],
      [[]],
    ],
    ['empty [0, 3]', () => t([[], []]).reshape([0, 3]), {}, [[0, 2]], [[]]],
    ['0-d nonzero: [1, 0]', () => t(5), {}, [[1, 0]], [[]]],
    ['0-d zero: [0, 0]', () => t(0), {}, [[0, 0]], [[]]],
    ['0-d asTuple reads as 1-D', () => t(5), { asTuple: true }, [[1]], [[0]]],
    ['int32', () => t([0, 4, -1, 0], 'int32'), {}, [[2, 1]], [[1, 2]]],
    ['bool', () => t([true, false, true], 'bool'), { asTuple: true }, [[2]], [[0, 2]]],
    // [[0, 1, 2], [3, 0, 5]]ᵀ = [[0, 3], [1, 0], [2, 5]]: row-major order of the transposed view
    [
      'transposed view',
      () =>
        t([
          [0, 1, 2],
          [3, 0, 5],
        ]).transpose(0, 1),
      {},
      [[4, 2]],
      [[0, 1, 1, 0, 2, 0, 2, 1]],
    ],
    ['3-D', () => t([[[0, 1]], [[1, 0]], [[0, 0]]]), {}, [[2, 3]], [[0, 0, 1, 1, 0, 0]]],
  ];
  for (const [name, make, opts, shapes, want] of cases) {
    it(name, () =>
      flat(device, async () => {
        const x = scope(make);
        const got = await readAll(await nonzeroAsync(x, opts));
        expect(got.shapes).toEqual(shapes);
        expect(got.dtypes.every((d) => d === 'int32')).toBe(true);
        expect(got.values).toEqual(want);
        if (device === 'cpu') expect(await readAll(nonzero(x, opts))).toEqual(got);
        x.dispose();
      }),
    );
  }

  it('a long row (several scan segments on the GPU) against a host loop', () =>
    flat(device, async () => {
      const n = 20013;
      const data = randomValues(n, 5, 0, 1).map((u) => (u < 0.3 ? u : 0));
      const x = scope(() => t(data).reshape([7, 2859]));
      const want = data.flatMap((v, i) => (v !== 0 ? [Math.floor(i / 2859), i % 2859] : []));
      const r = await nonzeroAsync(x);
      expect(r.shape).toEqual([want.length / 2, 2]);
      expect(await values(r)).toEqual(want);
      for (const u of [x, r]) u.dispose();
    }));
});

describe.each(DEVICES)('maskedSelect [%s]', (device) => {
  const t = (data: Parameters<typeof tensor>[0], dtype?: 'int32' | 'bool' | 'float32') => tensor(data, { device, dtype });
  const cases: [string, () => [Tensor, Tensor], number[], string][] = [
    [
      'by hand',
      () => [
        t([
          [1, 2],
          [3, 4],
        ]),
        t(
          [
            [false, true],
            [true, true],
          ],
          'bool',
        ),
      ],
      [2, 3, 4],
      'float32',
    ],
    [
      'mask broadcast over rows',
      () => [
        t([
          [1, 2],
          [3, 4],
        ]),
        t([false, true], 'bool'),
      ],
      [2, 4],
      'float32',
    ],
    [
      'x broadcast to the mask',
      () => [
        t([1, 2]),
        t(
          [
            [true, false],
            [true, true],
          ],
          'bool',
        ),
      ],
      [1, 1, 2],
      'float32',
    ],
    ['all false: empty', () => [t([1, 2, 3]), t([false, false, false], 'bool')], [], 'float32'],
    ['empty input', () => [t([]), t([], 'bool')], [], 'float32'],
    ['0-d', () => [t(7), t(true, 'bool')], [7], 'float32'],
    ['0-d mask over a vector', () => [t([1, 2]), t(false, 'bool')], [], 'float32'],
    ['int32', () => [t([5, -6, 7], 'int32'), t([true, true, false], 'bool')], [5, -6], 'int32'],
    ['bool', () => [t([true, false, true], 'bool'), t([false, true, true], 'bool')], [0, 1], 'bool'],
    [
      'transposed view',
      () => [
        t([
          [1, 2],
          [3, 4],
        ]).transpose(0, 1),
        t(
          [
            [true, true],
            [false, false],
          ],
          'bool',
        ),
      ],
      [1, 3],
      'float32',
    ],
  ];
  for (const [name, make, want, dtype] of cases) {
    it(name, () =>
      flat(device, async () => {
        const [x, m] = scope(make);
        const r = await maskedSelectAsync(x, m);
        expect([r.shape, r.dtype]).toEqual([[want.length], dtype]);
        expect(await values(r)).toEqual(want);
        if (device === 'cpu') {
          const s = maskedSelect(x, m);
          expect(await values(s)).toEqual(want);
          s.dispose();
        }
        for (const u of [x, m, r]) u.dispose();
      }),
    );
  }

  it('keeps NaN and −0 as they are', () =>
    flat(device, async () => {
      const x = t([NaN_, -0, 1, 0]);
      const m = t([true, true, false, true], 'bool');
      const r = await maskedSelectAsync(x, m);
      const got = await values(r);
      expect(Number.isNaN(got[0])).toBe(true);
      expect(Object.is(got[1], -0)).toBe(true);
      expect(Object.is(got[2], 0)).toBe(true);
      for (const u of [x, m, r]) u.dispose();
    }));

  it('gradient: each selected element gets its gradient, summed over broadcast dims', () =>
    flat(device, async () => {
      // x [3] broadcast to the mask [2, 3]: column j is selected (mask[0][j] + mask[1][j]) times
      const x = tensor([1, 2, 3], { device, requiresGrad: true });
      const m = t(
        [
          [true, false, true],
          [true, true, false],
        ],
        'bool',
      );
      const y = await maskedSelectAsync(x, m); // [1, 3, 1, 2]
      const w = t([1, 10, 100, 1000]);
      const loss = scope(() => y.mul(w).sum());
      loss.backward();
      expect(await values(x.grad as Tensor)).toEqual([101, 1000, 10]);
      for (const u of [x.grad as Tensor, x, m, y, w, loss]) u.dispose();
    }));

  if (device === 'cpu') {
    it('gradcheck (central differences), mask broadcast over rows and x broadcast to the mask', () => {
      const before = held('cpu');
      const x = tensor(randomValues(6, 3, -2, 2), { requiresGrad: true });
      const m = tensor([true, false, true], { dtype: 'bool' });
      const big = tensor(
        [
          [true, false, true],
          [false, true, true],
        ],
        { dtype: 'bool' },
      );
      const v = tensor(randomValues(3, 4, -2, 2), { requiresGrad: true });
      expectGradcheck(
        (a) =>
          scope(() =>
            maskedSelect(a.reshape([2, 3]), m)
              .pow(2)
              .sum(),
          ),
        [x],
      );
      expectGradcheck((a) => scope(() => maskedSelect(a, big).pow(3).sum()), [v]);
      for (const u of [x, m, big, v]) u.dispose();
      expect(held('cpu')).toEqual(before);
    });
  }

  it('typed errors', () =>
    flat(device, async () => {
      const x = t([1, 2, 3]);
      const bad = t([1, 0, 1]);
      const m = t([true, false], 'bool');
      await expect(maskedSelectAsync(x, bad)).rejects.toThrow(DTypeError);
      await expect(maskedSelectAsync(x, bad)).rejects.toThrow(/maskedSelectAsync: mask must be bool, got float32/);
      await expect(maskedSelectAsync(x, m)).rejects.toThrow(ShapeError);
      expect(() => maskedSelect(x, bad)).toThrow(/maskedSelect: mask must be bool/);
      for (const u of [x, bad, m]) u.dispose();
    }));
});

describe.each(DEVICES)('data-dependent shapes: host reads, disposal, devices [%s]', (device) => {
  it('each async call reads back one int32 (the count) and uploads nothing', () =>
    flat(device, async () => {
      const x = tensor(
        [
          [0, 2, 0],
          [3, 3, 0],
        ],
        { device },
      );
      const m = x.gt(0);
      const calls: [string, () => Promise<unknown>][] = [
        ['nonzeroAsync', () => nonzeroAsync(x)],
        ['nonzeroAsync asTuple', () => nonzeroAsync(x, { asTuple: true })],
        ['maskedSelectAsync', () => maskedSelectAsync(x, m)],
        ['uniqueAsync', () => uniqueAsync(x, { returnInverse: true, returnCounts: true })],
        ['uniqueAsync dim', () => uniqueAsync(x, { dim: 1, returnInverse: true, returnCounts: true })],
      ];
      for (const [name, call] of calls) {
        const t0 = transfers().devices[device];
        const r = await call();
        const t1 = transfers().devices[device];
        expect([t1.reads - t0.reads, t1.readBytes - t0.readBytes, t1.writes - t0.writes], name).toEqual([1, 4, 0]);
        const out = r instanceof Tensor ? [r] : Array.isArray(r) ? r : Object.values(r as UniqueResult);
        for (const u of out as Tensor[]) u.dispose();
      }
      for (const u of [x, m]) u.dispose();
    }));

  it('disposed inputs throw DisposedError', async () => {
    const x = tensor([1, 0], { device });
    const m = tensor([true, false], { device, dtype: 'bool' });
    x.dispose();
    await expect(nonzeroAsync(x)).rejects.toThrow(DisposedError);
    await expect(uniqueAsync(x)).rejects.toThrow(DisposedError);
    await expect(maskedSelectAsync(x, m)).rejects.toThrow(DisposedError);
    expect(() => unique(x)).toThrow(DisposedError);
    m.dispose();
  });

  const other = DEVICES.find((d) => d !== device);
  if (other) {
    it(`inputs on ${device} and ${other}: DeviceError`, () =>
      flat(device, async () => {
        const x = tensor([1, 0], { device });
        const m = tensor([true, false], { device: other, dtype: 'bool' });
        await expect(maskedSelectAsync(x, m)).rejects.toThrow(DeviceError);
        for (const u of [x, m]) u.dispose();
      }));
  }

  if (device !== 'cpu') {
    it('the sync forms throw a DeviceError naming the async form', () =>
      flat(device, async () => {
        const x = tensor([1, 0], { device });
        const m = x.gt(0);
        expect(() => nonzero(x)).toThrow(DeviceError);
        expect(() => nonzero(x)).toThrow(/nonzero: .*cannot be read synchronously from webgpu; use await nonzeroAsync/);
        expect(() => maskedSelect(x, m)).toThrow(/maskedSelect: .*use await maskedSelectAsync/);
        expect(() => unique(x)).toThrow(/unique: .*use await uniqueAsync/);
        for (const u of [x, m]) u.dispose();
      }));
  }
});
