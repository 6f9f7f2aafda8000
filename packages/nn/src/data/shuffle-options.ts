import { ArgumentError, Generator } from '@aimodel/tensor';

/**
 * The generator of a shuffle's `{ seed, generator }` options: a new Generator for `seed` (a
 * shorthand), the given one, or undefined for the global stream. Both at once is an error.
 */
export function shuffleGenerator(op: string, opts: { seed?: number; generator?: Generator }): Generator | undefined {
  if (opts.seed !== undefined && opts.generator !== undefined) throw new ArgumentError(op, 'pass seed or generator, not both');
  if (opts.generator !== undefined) {
    if (!(opts.generator instanceof Generator))
      throw new ArgumentError(op, `generator must be a Generator (new Generator({ seed })), got ${opts.generator === null ? 'null' : typeof opts.generator}`);
    return opts.generator;
  }
  if (opts.seed === undefined) return undefined;
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new ArgumentError(op, `seed must be a non-negative safe integer, got ${opts.seed}`);
  return new Generator({ seed: opts.seed });
}

export { checkKeys } from '../checks';
