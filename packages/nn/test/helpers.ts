import { expect } from 'vitest';
import type { Tensor } from '../src/index';

/** PyTorch's state-dict keys of layer 0 of a bidirectional RNN, LSTM or GRU, in order, spelt out. */
export const BIDIRECTIONAL_LAYER0_KEYS = [
  'weight_ih_l0',
  'weight_hh_l0',
  'bias_ih_l0',
  'bias_hh_l0',
  'weight_ih_l0_reverse',
  'weight_hh_l0_reverse',
  'bias_ih_l0_reverse',
  'bias_hh_l0_reverse',
];

/** Nested arrays → flat list of numbers. */
export const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

/** Elementwise |a − e| ≤ tol·(1 + |e|) (an expected NaN needs NaN), with the failing element named. */
export function expectValues(actual: ArrayLike<number>, expected: number[], tol = 1e-5): void {
  expect(actual.length, 'element count').toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) expect(actual[i], `element ${i}`).toBeNaN();
    else if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])))) expect.fail(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

/** A CPU tensor's values against (nested) expected numbers. */
export function expectTensorValues(actual: Tensor, expected: unknown, tol = 1e-5): void {
  expectValues(actual.dataSync(), flat(expected), tol);
}

/** Run `fn` with some of a module's fields replaced (e.g. to feed a gradcheck input as a weight). */
export function withFields<T>(m: object, fields: Record<string, Tensor | null>, fn: () => T): T {
  const r = m as Record<string, unknown>;
  const saved = Object.fromEntries(Object.keys(fields).map((k) => [k, r[k]]));
  Object.assign(r, fields);
  try {
    return fn();
  } finally {
    Object.assign(r, saved);
  }
}
