import { rand } from '../creation';
import { ArgumentError } from '../errors';
import { scope } from '../memory';
import { type Generator, generatorOf } from '../random';
import type { Tensor } from '../tensor';
import { checkInputs } from './define-op';

/**
 * Options of {@link dropout}.
 * @example
 * ```ts
 * dropout(ones([4]), 0.5, true, { generator: new Generator({ seed: 1 }) });
 * ```
 */
export interface DropoutOptions {
  /** Draw the mask from this generator instead of the global stream (`manualSeed`). */
  generator?: Generator;
}

/**
 * Inverted dropout: while `training`, zero each element with probability `p` and scale the rest
 * by 1/(1−p); otherwise return `x` unchanged. The mask comes from the seeded global stream, or
 * from `opts.generator`.
 * @example
 * ```ts
 * dropout(ones([4]), 0.5, true);  // e.g. [2, 0, 2, 0]
 * dropout(ones([4]), 0.5, false); // [1, 1, 1, 1]
 * const g = new Generator({ seed: 0 });
 * dropout(ones([4]), 0.5, true, { generator: g }); // the same mask for every generator seeded 0
 * ```
 */
export function dropout(x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor {
  checkInputs('dropout', [x]);
  if (!(p >= 0 && p <= 1)) throw new ArgumentError('dropout', `p must be in [0, 1], got ${p}`);
  const generator = generatorOf('dropout', opts, ['generator']);
  if (!training || p === 0) return x;
  return scope(() => {
    if (p === 1) return x.mul(0);
    const keep = rand(x.shape, { device: x.device, generator }).ge(p);
    return x.mul(keep).div(1 - p);
  });
}
