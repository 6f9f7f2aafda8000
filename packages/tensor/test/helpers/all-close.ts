import { expect } from 'vitest';
import { Tensor } from '../../src/index';

/** Tolerances of {@link toBeAllClose}: |actual − expected| ≤ atol + rtol·|expected| elementwise. */
export interface AllCloseTolerance {
  rtol?: number;
  atol?: number;
}

declare module 'vitest' {
  interface Assertion<T> {
    /**
     * Elementwise closeness, the one rule every tensor test uses: |a − e| ≤ atol + rtol·|e|
     * (defaults rtol 1e-5, atol 1e-6, as torch.testing.assert_close for float32); NaN matches
     * NaN and ±∞ must match exactly. Numbers, booleans, nested arrays and typed arrays compare
     * flattened (element counts must agree). A Tensor on either side is read asynchronously
     * (its shape must then equal the other side's shape when that is a Tensor too): await it.
     */
    toBeAllClose(expected: unknown, tol?: AllCloseTolerance): T extends Tensor ? Promise<void> : void;
  }
  interface AsymmetricMatchersContaining {
    toBeAllClose(expected: unknown, tol?: AllCloseTolerance): void;
  }
}

function flatten(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v === 'boolean') return [v ? 1 : 0];
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.every((e) => typeof e === 'number') ? v : v.flatMap(flatten);
  throw new Error(`toBeAllClose cannot compare ${String(v)}`);
}

/** The first element that breaks the rule, described; null when all are close. */
export function allCloseMismatch(actual: unknown, expected: unknown, { rtol = 1e-5, atol = 1e-6 }: AllCloseTolerance = {}): string | null {
  const a = flatten(actual);
  const e = flatten(expected);
  if (a.length !== e.length) return `element count: got ${a.length}, expected ${e.length}`;
  let bad = 0;
  let first = '';
  for (let i = 0; i < a.length; i++) {
    const ok = Number.isNaN(e[i]) ? Number.isNaN(a[i]) : !Number.isFinite(e[i]) ? a[i] === e[i] : Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    if (!ok && bad++ === 0) first = `element ${i}: got ${a[i]}, expected ${e[i]}`;
  }
  return bad === 0 ? null : `${first} (${bad} of ${a.length} elements differ; rtol ${rtol}, atol ${atol})`;
}

const read = async (v: unknown): Promise<unknown> => (v instanceof Tensor ? v.toArray() : v);

expect.extend({
  toBeAllClose(actual: unknown, expected: unknown, tol?: AllCloseTolerance) {
    const verdict = (msg: string | null) => ({
      pass: msg === null,
      message: () => (msg === null ? `expected values not to be all close (rtol ${tol?.rtol ?? 1e-5}, atol ${tol?.atol ?? 1e-6})` : msg),
    });
    if (actual instanceof Tensor || expected instanceof Tensor) {
      return (async () => {
        if (actual instanceof Tensor && expected instanceof Tensor && actual.shape.join() !== expected.shape.join()) {
          return verdict(`shape: got [${actual.shape}], expected [${expected.shape}]`);
        }
        return verdict(allCloseMismatch(await read(actual), await read(expected), tol));
      })();
    }
    return verdict(allCloseMismatch(actual, expected, tol));
  },
});
