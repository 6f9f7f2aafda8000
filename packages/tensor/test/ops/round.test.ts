import { describe, expect, it } from 'vitest';
import { DTypeError, type DType, memory, round, scope, tensor } from '../../src/index';
import { DEVICES } from '../helpers';

/** torch.round: nearest integer, ties to even; NaN/±∞/±0 kept (values from PyTorch 2.x). */
const CASES: [number, number][] = [
  [0.5, 0],
  [1.5, 2],
  [2.5, 2],
  [3.5, 4],
  [-0.5, -0],
  [-1.5, -2],
  [-2.5, -2],
  [-3.5, -4],
  [0.49999997, 0],
  [0.50000006, 1],
  [-0.50000006, -1],
  [1.4, 1],
  [-1.6, -2],
  [2.6, 3],
  [0, 0],
  [-0, -0],
  [-0.2, -0],
  [0.2, 0],
  [NaN, NaN],
  [Infinity, Infinity],
  [-Infinity, -Infinity],
  // ties near the float32 integer limit 2²³, where spacing becomes 1
  [8388607.5, 8388608],
  [8388606.5, 8388606],
  [-8388607.5, -8388608],
  [4194304.5, 4194304],
  [4194305.5, 4194306],
  // from 2²³ on every float32 is an integer
  [8388609, 8388609],
  [16777216, 16777216],
  [Math.fround(1e20), Math.fround(1e20)],
  [-3.4028234663852886e38, -3.4028234663852886e38],
];

describe.each(DEVICES)('round [%s]', (device) => {
  it('rounds half to even and keeps NaN, ±∞ and the sign of zero', async () => {
    const before = memory();
    const x = tensor(
      CASES.map(([v]) => v),
      { device },
    );
    const y = round(x);
    expect(y.dtype).toBe('float32');
    const got = Array.from(await y.data());
    CASES.forEach(([v, want], i) => {
      expect(Object.is(got[i], want), `round(${v}) = ${got[i]}, want ${Object.is(want, -0) ? '-0' : want}`).toBe(true);
    });
    // the method form, on a transposed (strided) view
    const m = tensor(
      [
        [0.5, 1.5],
        [2.5, -2.5],
        [-0.7, 7.5],
      ],
      { device },
    );
    const r = scope(() => m.transpose(0, 1).round());
    expect(await r.toArray()).toEqual([
      [0, 2, -1],
      [2, -2, 8],
    ]);
    for (const t of [x, y, m, r]) t.dispose();
    expect(memory()).toEqual(before);
  });

  it('returns integer tensors unchanged, with their dtype; rejects bool', async () => {
    const cases: [DType, number[]][] = [
      ['int32', [-2147483648, 2147483647, -3, 0, 5]],
      ['int8', [-128, 127, -3]],
      ['uint8', [0, 255, 7]],
    ];
    for (const [dtype, values] of cases) {
      const y = scope(() => tensor(values, { device, dtype }).round());
      expect(y.dtype).toBe(dtype);
      expect(Array.from(await y.data())).toEqual(values);
      y.dispose();
    }
    const b = tensor([true, false], { device, dtype: 'bool' });
    expect(() => b.round()).toThrow(DTypeError);
    expect(() => b.round()).toThrow(/round: expected a numeric tensor, got bool/);
    b.dispose();
  });

  it('has a zero gradient, as PyTorch', async () => {
    const x = tensor([0.5, 1.7, -2.5], { device, requiresGrad: true });
    const y = x
      .round()
      .mul(tensor([1, 2, 3], { device }))
      .sum();
    y.backward();
    expect(Array.from(await x.grad!.data())).toEqual([0, 0, 0]);
    for (const t of [x, y]) t.dispose();
  });
});
