import { rand } from '../creation';
import { ArgumentError } from '../errors';
import { scope } from '../memory';
import type { Tensor } from '../tensor';
import { checkInputs } from './define-op';

/**
 * Inverted dropout: while `training`, zero each element with probability `p` and scale the rest
 * by 1/(1−p); otherwise return `x` unchanged. The mask comes from the seeded global stream.
 * @example
 * ```ts
 * dropout(ones([4]), 0.5, true);  // e.g. [2, 0, 2, 0]
 * dropout(ones([4]), 0.5, false); // [1, 1, 1, 1]
 * ```
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkInputs('dropout', [x]);
  if (!(p >= 0 && p <= 1)) throw new ArgumentError('dropout', `p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  return scope(() => {
    if (p === 1) return x.mul(0);
    const keep = rand(x.shape, { device: x.device }).ge(p);
    return x.mul(keep).div(1 - p);
  });
}
