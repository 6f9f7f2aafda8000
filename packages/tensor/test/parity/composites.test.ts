import { describe, expect, it } from 'vitest';
import { cat, dropout, manualSeed, outer, type Tensor } from '../../src/index';
import { DEVICES, randomValues } from '../helpers';
import { type Input, runOn } from './harness';

/**
 * WebGPU vs CPU for the ops SPEC lists that are built from other ops rather than a primitive of
 * their own (leakyRelu, clamp, outer, chunk, repeat, dropout): forward and gradients on the device.
 * dropout's mask comes from the seeded host stream, so one seed gives the same mask on both.
 */

const suite = describe.skipIf(!DEVICES.includes('webgpu'));

const f = (shape: number[], seed: number): Input => ({
  values: randomValues(shape.reduce((a, b) => a * b, 1), seed, -1, 1),
  shape,
  grad: true,
});

const CASES: [string, Input[], (...xs: Tensor[]) => Tensor][] = [
  ['leakyRelu', [f([3, 5], 1)], (x) => x.leakyRelu(0.2)],
  ['clamp to [−0.5, 0.3]', [f([4, 6], 2)], (x) => x.clamp(-0.5, 0.3)],
  ['clamp below only', [f([4, 6], 3)], (x) => x.clamp(0)],
  ['clamp above only', [f([4, 6], 4)], (x) => x.clamp(null, -0.25)],
  ['outer', [f([5], 5), f([7], 6)], (a, b) => outer(a, b)],
  ['chunk (uneven last chunk), scaled and re-joined', [f([7, 4], 7)], (x) => cat(x.chunk(3, 0).map((c, i) => c.mul(i + 1)), 0)],
  ['repeat with a new leading dim', [f([2, 3], 8)], (x) => x.repeat([2, 1, 2])],
  ['dropout p = 0.3 (same seed on both devices)', [f([64], 9)], (x) => {
    manualSeed(5);
    return dropout(x, 0.3, true);
  }],
];

suite('composite ops on webgpu vs cpu', () => {
  for (const [name, inputs, fn] of CASES) {
    it(name, async () => {
      const want = await runOn('cpu', inputs, fn);
      const got = await runOn('webgpu', inputs, fn);
      expect(got.dtype).toBe(want.dtype);
      expect(got.value).toBeAllClose(want.value, { rtol: 1e-5, atol: 1e-6 });
      expect(got.grads.length).toBe(inputs.length);
      got.grads.forEach((g, i) => expect(g).toBeAllClose(want.grads[i], { rtol: 1e-5, atol: 1e-6 }));
    });
  }

  it('dropout zeroes a fraction near p and scales the rest by 1/(1 − p)', async () => {
    const ones = Array.from({ length: 4000 }, () => 1);
    const { value } = await runOn('webgpu', [{ values: ones, shape: [4000] }], (x) => {
      manualSeed(11);
      return dropout(x, 0.25, true);
    });
    const v = value as number[];
    const zeros = v.filter((e) => e === 0).length;
    expect(zeros / v.length).toBeGreaterThan(0.22);
    expect(zeros / v.length).toBeLessThan(0.28);
    expect(v.every((e) => e === 0 || Math.abs(e - 4 / 3) < 1e-6)).toBe(true);
  });
});
