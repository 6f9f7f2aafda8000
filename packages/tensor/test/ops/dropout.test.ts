import { expect, it } from 'vitest';
import { tensor, ones, dropout, manualSeed, ArgumentError } from '../../src/index';
import { describeOnCpu, awayFromZero } from '../helpers';

describeOnCpu('dropout', (device) => {
  it('in eval mode returns the input itself', async () => {
    const x = tensor([1, -2, 3], { device });
    expect(dropout(x, 0.5, false)).toBe(x);
    expect(x.dropout(0.9, false)).toBe(x);
    await expect(dropout(x, 0.5, false)).toBeAllClose([1, -2, 3]);
  });

  it('p = 0 is the identity and p = 1 gives zeros, in training', async () => {
    const x = tensor(
      [
        [1, -2],
        [3, 4],
      ],
      { device },
    );
    expect(dropout(x, 0, true)).toBe(x);
    await expect(dropout(x, 0)).toBeAllClose([
      [1, -2],
      [3, 4],
    ]);
    const z = dropout(x, 1, true);
    expect(z.shape).toEqual([2, 2]);
    await expect(z).toBeAllClose([
      [0, 0],
      [0, 0],
    ]);
  });

  it('scales survivors by 1/(1−p); the kept fraction of 10,000 elements is within 3% of 1−p', async () => {
    for (const p of [0.2, 0.5, 0.8]) {
      manualSeed(123);
      const y = dropout(ones([100, 100], { device }), p, true);
      expect(y.shape).toEqual([100, 100]);
      const data = await y.data();
      let kept = 0;
      for (const v of data) {
        if (v !== 0) {
          kept++;
          expect(v).toBeAllClose(1 / (1 - p), { rtol: 1e-6, atol: 0 });
        }
      }
      expect(Math.abs(kept / 10_000 - (1 - p))).toBeLessThan(0.03);
    }
  });

  it('default p is 0.5 and training defaults to true', async () => {
    manualSeed(5);
    const data = await ones([4000], { device }).dropout().data();
    const kept = data.filter((v) => v !== 0).length;
    expect(Math.abs(kept / 4000 - 0.5)).toBeLessThan(0.03);
    expect(data.every((v) => v === 0 || v === 2)).toBe(true);
  });

  it('the same seed gives the same mask; a different seed a different one', async () => {
    const x = tensor(awayFromZero(1000, 7), { device });
    manualSeed(42);
    const a = await dropout(x, 0.5, true).data();
    manualSeed(42);
    const b = await dropout(x, 0.5, true).data();
    expect(Array.from(b)).toEqual(Array.from(a));
    const c = await dropout(x, 0.5, true).data(); // the stream moved on
    expect(Array.from(c)).not.toEqual(Array.from(a));
    manualSeed(43);
    const d = await dropout(x, 0.5, true).data();
    expect(Array.from(d)).not.toEqual(Array.from(a));
    const xv = await x.data();
    a.forEach((v, i) => expect(v === 0 || Math.abs(v - xv[i] * 2) <= 1e-6 * Math.abs(xv[i] * 2)).toBe(true));
  });

  it('the gradient equals mask/(1−p)', async () => {
    const values = awayFromZero(200, 3);
    const x = tensor(values, { device, requiresGrad: true });
    manualSeed(9);
    const y = dropout(x, 0.4, true);
    const w = tensor(awayFromZero(200, 4), { device });
    y.mul(w).sum().backward();
    const out = await y.data();
    const grad = await x.grad!.data();
    const mask = Array.from(out, (v): number => (v !== 0 ? 1 : 0));
    const kept = mask.reduce((s, m) => s + m, 0);
    expect(kept).toBeGreaterThan(80);
    expect(kept).toBeLessThan(160);
    const wv = await w.data();
    expect(grad).toBeAllClose(
      mask.map((m, i) => (m / 0.6) * wv[i]),
      { rtol: 1e-5, atol: 1e-6 },
    );
    expect(out).toBeAllClose(
      mask.map((m, i) => (m / 0.6) * Math.fround(values[i])),
      { rtol: 1e-5, atol: 1e-6 },
    );
  });

  it('rejects p outside [0, 1] with ArgumentError', () => {
    const x = ones([3], { device });
    expect(() => dropout(x, -0.1, true)).toThrow(ArgumentError);
    expect(() => dropout(x, 1.5, true)).toThrow(/dropout: p must be in \[0, 1\], got 1.5/);
    expect(() => x.dropout(Number.NaN)).toThrow(ArgumentError);
    expect(() => dropout(x, 2, false)).toThrow(ArgumentError);
  });
});
