import { ArgumentError } from '@aimodel/nn';

/**
 * How much to prune: a fraction of the entries (or channels) still unpruned, in [0, 1], or a count
 * of them. JavaScript has one number type, so a whole number above 1 is a count and any number
 * in [0, 1] a fraction (`1` prunes everything, as PyTorch's `1.0`); to prune exactly one entry,
 * write `{ count: 1 }`.
 * @example
 * ```ts
 * const fc = new Linear(4, 2);
 * l1Unstructured(fc, 'weight', 0.25);         // a quarter of the 8 weights: 2
 * l1Unstructured(fc, 'weight', 3);            // 3 more of the 6 left
 * l1Unstructured(fc, 'weight', { count: 1 }); // 1 more
 * ```
 */
export type PruningAmount = number | { count: number };

/** Python's round(): to the nearest integer, halves to the even neighbour (2.5 → 2, 3.5 → 4). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Check `amount` on its own (PyTorch's _validate_pruning_amount_init). */
export function checkAmount(op: string, amount: unknown): void {
  if (amount !== null && typeof amount === 'object') {
    const keys = Object.keys(amount);
    const count = (amount as { count?: unknown }).count;
    if (keys.length !== 1 || keys[0] !== 'count' || typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new ArgumentError(op, `amount as an object must be { count: k } with a whole k >= 0, got ${JSON.stringify(amount)}`);
    }
    return;
  }
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || (amount > 1 && !Number.isInteger(amount))) {
    throw new ArgumentError(op, `amount must be a fraction in [0, 1] or a whole count >= 0, got ${String(amount)}`);
  }
}

/**
 * Entries to prune out of `n` (PyTorch's _compute_nparams_toprune): a count as given, a fraction
 * as round-half-to-even(amount·n); a count above `n` is an error.
 */
export function prunedCount(op: string, amount: PruningAmount, n: number): number {
  checkAmount(op, amount);
  const count = typeof amount === 'object' ? amount.count : amount > 1 ? amount : null;
  if (count === null) return roundHalfEven((amount as number) * n);
  if (count > n) throw new ArgumentError(op, `amount ${count} is more than the ${n} entries left to prune`);
  return count;
}
