import { ArgumentError, type Tensor } from '@aimodel/tensor';

/**
 * How a loss combines its per-element values: `'mean'` (default), `'sum'`, or `'none'`
 * (the unreduced tensor), as PyTorch's `reduction` argument.
 * @example
 * ```ts
 * const input = randn([4, 2]);
 * const target = randn([4, 2]);
 * mseLoss(input, target, { reduction: 'sum' });
 * ```
 */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * The `reduction` option shared by every loss.
 * @example
 * ```ts
 * const input = randn([4, 2]);
 * const target = randn([4, 2]);
 * l1Loss(input, target, { reduction: 'none' }); // same shape as input
 * ```
 */
export interface ReductionOptions {
  /** `'mean'` (default), `'sum'` or `'none'`. */
  reduction?: Reduction;
}

const REDUCTIONS: readonly string[] = ['mean', 'sum', 'none'];

/** The validated reduction of `opts` (default 'mean'). */
export function reductionOf(name: string, reduction: string | undefined, allowed: readonly string[] = REDUCTIONS): string {
  const r = reduction ?? 'mean';
  if (!allowed.includes(r)) {
    throw new ArgumentError(name, `reduction must be ${allowed.map((a) => `'${a}'`).join(', ')}, got '${String(r)}'`);
  }
  return r;
}

/** Apply 'mean' / 'sum' / 'none' to per-element losses (call inside the loss's scope). */
export function applyReduction(loss: Tensor, reduction: string): Tensor {
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'mean') return loss.mean();
  return loss;
}
