import { expect, it } from 'vitest';
import {
  type DeviceName,
  DisposedError,
  batchNorm,
  clamp,
  dropout,
  layerNorm,
  leakyRelu,
  logsumexp,
  mean,
  ones,
  scaledDotProductAttention,
  ShapeError,
  tensor,
  variance,
  zeros,
} from '../../src/index';
import { describeOnCpu } from '../helpers';

// Composites are built from other ops; a disposed input must still be reported under the
// composite's own name, not the name of whichever inner op happens to run first.
describeOnCpu('composite ops name themselves in errors', (device: DeviceName) => {
  const disposed = () => {
    const t = ones([2, 3], { device });
    t.dispose();
    return t;
  };
  const cases: [string, (t: ReturnType<typeof disposed>) => unknown][] = [
    ['layerNorm', (t) => layerNorm(t, [3])],
    ['batchNorm', (t) => batchNorm(t, zeros([3], { device }), ones([3], { device }))],
    ['mean', (t) => mean(t)],
    ['variance', (t) => variance(t)],
    ['logsumexp', (t) => logsumexp(t, 1)],
    ['clamp', (t) => clamp(t, 0, 1)],
    ['leakyRelu', (t) => leakyRelu(t)],
    ['dropout', (t) => dropout(t, 0.5, true)],
    ['scaledDotProductAttention', (t) => scaledDotProductAttention(t, t, t)],
  ];
  for (const [name, call] of cases) {
    it(`${name} on a disposed tensor`, () => {
      expect(() => call(disposed())).toThrow(DisposedError);
      expect(() => call(disposed())).toThrow(new RegExp(`^${name}: tensor was disposed`));
    });
  }

  it('zeros and ones name themselves in shape errors', () => {
    expect(() => zeros([2, -1], { device })).toThrow(ShapeError);
    expect(() => zeros([2, -1], { device })).toThrow(/^zeros: invalid shape/);
    expect(() => ones([1.5], { device })).toThrow(/^ones: invalid shape/);
  });

  it('casting to bool maps NaN and non-zero values to true, as PyTorch', async () => {
    await expect(tensor([0, Number.NaN, -2, 0.5], { device }).to('bool')).toBeAllClose([0, 1, 1, 1]);
  });
});
