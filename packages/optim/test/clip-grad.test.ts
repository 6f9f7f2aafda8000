import { describe, expect, it } from 'vitest';
import { ArgumentError, memory, type Tensor, tensor } from '@aimodel/tensor';
import { clipGradNorm, clipGradValue } from '../src/index';
import { expectClose } from './helpers';

/** A parameter whose gradient is `grad` (as if backward had run). */
function withGrad(grad: number[]): Tensor {
  const p = tensor(
    grad.map(() => 0),
    { requiresGrad: true },
  );
  p.grad = tensor(grad);
  return p;
}

const gradOf = (p: Tensor): number[] => Array.from(p.grad!.dataSync());

describe('clipGradNorm', () => {
  it('2-norm over all gradients; scales by maxNorm/(total + 1e-6) when above', () => {
    const a = withGrad([3, 4]);
    const b = withGrad([12]);
    const total = clipGradNorm([a, b], 6.5);
    expect(total.shape).toEqual([]);
    expect(total.dataSync()[0]).toBeCloseTo(13, 5);
    const coef = 6.5 / (13 + 1e-6);
    expectClose(gradOf(a), [3 * coef, 4 * coef]);
    expectClose(gradOf(b), [12 * coef]);
  });

  it('leaves gradients unchanged when the norm is below maxNorm', () => {
    const a = withGrad([3, 4]);
    expect(clipGradNorm(a, 10).dataSync()[0]).toBeCloseTo(5, 6);
    expect(gradOf(a)).toEqual([3, 4]);
  });

  it("inf norm ('inf' or Infinity): the largest |g|", () => {
    const a = withGrad([1, -7]);
    const b = withGrad([3]);
    expect(clipGradNorm([a, b], 3.5, { normType: 'inf' }).dataSync()[0]).toBe(7);
    const coef = 3.5 / (7 + 1e-6);
    expectClose(gradOf(a), [coef, -7 * coef]);
    expectClose(gradOf(b), [3 * coef]);
    expect(clipGradNorm([withGrad([-2, 1])], 100, { normType: Infinity }).dataSync()[0]).toBe(2);
  });

  it('p-norms: 1 and 3', () => {
    expect(clipGradNorm([withGrad([1, -2]), withGrad([3])], 100, { normType: 1 }).dataSync()[0]).toBeCloseTo(6, 5);
    const p3 = Math.cbrt(1 + 8 + 27);
    expect(clipGradNorm([withGrad([1, -2]), withGrad([3])], 100, { normType: 3 }).dataSync()[0]).toBeCloseTo(p3, 5);
  });

  it('ignores parameters without gradients; none at all gives 0', () => {
    const a = withGrad([3, 4]);
    const bare = tensor([1, 2], { requiresGrad: true });
    expect(clipGradNorm([a, bare], 1).dataSync()[0]).toBeCloseTo(5, 6);
    expect(bare.grad).toBeNull();
    expect(clipGradNorm([bare], 1).dataSync()[0]).toBe(0);
  });

  it('errorIfNonfinite throws before touching the gradients; otherwise they are scaled anyway', () => {
    const a = withGrad([Infinity, 1]);
    expect(() => clipGradNorm(a, 1, { errorIfNonfinite: true })).toThrow(ArgumentError);
    expect(() => clipGradNorm(a, 1, { errorIfNonfinite: true })).toThrow('clipGradNorm: the total norm of order 2 of the gradients is Infinity');
    expect(gradOf(a)).toEqual([Infinity, 1]);
    expect(clipGradNorm(a, 1).dataSync()[0]).toBe(Infinity);
    expect(gradOf(a)[1]).toBe(0); // 1 · 1/(∞ + 1e-6)
  });

  it('frees its temporaries: only the returned norm stays alive', () => {
    const ps = [withGrad([3, 4]), withGrad([1, 2, 3])];
    const before = memory().tensors;
    const total = clipGradNorm(ps, 1);
    expect(memory().tensors).toBe(before + 1);
    total.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('validates its arguments', () => {
    const a = withGrad([1]);
    expect(() => clipGradNorm(a, -1)).toThrow('clipGradNorm: invalid maxNorm -1 (expected >= 0)');
    expect(() => clipGradNorm(a, 1, { normType: 0 })).toThrow("clipGradNorm: invalid normType 0 (expected a number > 0 or 'inf')");
    expect(() => clipGradNorm([a, 2] as never, 1)).toThrow('clipGradNorm: params must contain tensors, got number at index 1');
  });
});

describe('clipGradValue', () => {
  it('clamps every gradient element into [−c, c], in place', () => {
    const a = withGrad([-3, 0.5, 2]);
    const b = withGrad([10]);
    const g = a.grad;
    const before = memory().tensors;
    clipGradValue([a, b], 1);
    expect(memory().tensors).toBe(before);
    expect(a.grad).toBe(g);
    expect(gradOf(a)).toEqual([-1, 0.5, 1]);
    expect(gradOf(b)).toEqual([1]);
  });

  it('validates clipValue', () => {
    expect(() => clipGradValue([withGrad([1])], -0.5)).toThrow('clipGradValue: invalid clipValue -0.5 (expected >= 0)');
  });
});
