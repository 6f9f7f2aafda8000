import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index';
import { allCloseMismatch } from './all-close';

// The shared matcher itself: its rule (|a − e| ≤ atol + rtol·|e|; NaN matches NaN; ±∞ exactly) and its failures.
describe('toBeAllClose', () => {
  it('passes within atol + rtol·|expected| and fails just outside', () => {
    expect([1, 2.00001, -3]).toBeAllClose([1, 2, -3], { rtol: 1e-5, atol: 0 }); // 1e-5 ≤ 2e-5
    expect(allCloseMismatch([2.0001], [2], { rtol: 1e-5, atol: 1e-6 })).toMatch(/element 0: got 2.0001, expected 2/);
    expect([9e-7]).toBeAllClose([0]); // default rtol 1e-5, atol 1e-6
    expect([1.5e-6]).not.toBeAllClose([0]);
  });

  it('NaN matches only NaN; ±∞ must match exactly; counts must agree', () => {
    expect([Number.NaN, Infinity, -Infinity]).toBeAllClose([Number.NaN, Infinity, -Infinity]);
    expect(allCloseMismatch([0], [Number.NaN])).not.toBeNull();
    expect(allCloseMismatch([Number.NaN], [0])).not.toBeNull();
    expect(allCloseMismatch([1e38], [Infinity], { rtol: 1, atol: 1 })).not.toBeNull();
    expect(allCloseMismatch([1, 2], [1, 2, 3])).toMatch(/element count/);
    expect([1, 2]).not.toBeAllClose([1, 3]);
  });

  it('flattens nested arrays, typed arrays and booleans; reads tensors asynchronously', async () => {
    expect(new Float32Array([1, 0])).toBeAllClose([[true], [false]]);
    await expect(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    ).toBeAllClose([1, 2, 3, 4.000001]);
    await expect(tensor([1, 2])).not.toBeAllClose(tensor([1, 2]).reshape([2, 1]));
  });
});
