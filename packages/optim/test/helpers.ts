import { expect } from 'vitest';
import { type Tensor, tensor } from '@aimodel/tensor';
import { type LRScheduler, type Optimizer, SGD } from '../src/index';

/** Elementwise |a − e| ≤ atol + rtol·|e|, with a message naming the element and `what`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, { rtol = 1e-6, atol = 1e-7, what = '' } = {}): void {
  expect(actual.length, `${what} element count`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) expect.fail(`${what} element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

// The test problem: f(θ) = ½ Σ aᵢ(θᵢ − cᵢ)² on θ ∈ R³ (times `sign`; −1 makes a problem to maximize).
export const A = [1, 2, 0.5];
export const C = [1, -2, 3];
export const THETA0 = [0.5, 0.3, -0.7];

/** The loss as a tensor (for autograd). */
export function quadraticLoss(p: Tensor, sign = 1): Tensor {
  return p
    .sub(tensor(C))
    .pow(2)
    .mul(tensor(A))
    .sum()
    .mul(0.5 * sign);
}

/** ∇f at θ in float64: sign·aᵢ(θᵢ − cᵢ). */
export function quadraticGrad(theta: readonly number[], sign = 1): number[] {
  return theta.map((t, i) => sign * A[i] * (t - C[i]));
}

/** The schedulers' optimizer: SGD over `groups` groups of one 2-element parameter each. */
export function schedulerSgd(lr: number, groups = 1, momentum = 0): SGD {
  return new SGD(
    Array.from({ length: groups }, () => ({ params: [tensor([1, 2], { requiresGrad: true })] })),
    { lr, momentum },
  );
}

/** lr of group `g` after construction and after each of `steps` steps (also checks the groups agree). */
export function lrSequence(s: LRScheduler, steps: number, g = 0): number[] {
  const out = [s.getLastLr()[g]];
  for (let i = 0; i < steps; i++) {
    s.step();
    expect(s.getLastLr()).toEqual(s.optimizer.paramGroups.map((group) => group.lr));
    out.push(s.getLastLr()[g]);
  }
  return out;
}

/** A float64 reference step: updates θ in place given the gradient at θ. */
export type Reference = (theta: number[], grad: number[]) => void;

/**
 * Minimize f (or, with `maximize`, maximize −f) for `steps` steps with autograd gradients and check
 * θ after every step against the reference run from the same (float32-rounded) start, within `tol`;
 * then check that the steps moved θ at all.
 */
export async function compareTrajectory(
  make: (p: Tensor) => Optimizer,
  reference: Reference,
  { maximize = false, steps = 10, tol = { rtol: 1e-6, atol: 1e-6 } } = {},
): Promise<void> {
  const sign = maximize ? -1 : 1;
  const p = tensor(THETA0, { requiresGrad: true });
  const opt = make(p);
  const theta = Array.from(await p.data());
  for (let step = 1; step <= steps; step++) {
    opt.zeroGrad();
    quadraticLoss(p, sign).backward();
    opt.step();
    reference(theta, quadraticGrad(theta, sign));
    expectClose(await p.data(), theta, { ...tol, what: `step ${step}:` });
  }
  expect(theta).not.toEqual(Array.from(THETA0, Math.fround));
}
