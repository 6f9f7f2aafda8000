import { ArgumentError } from '../errors';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Run `fn` without recording operations for autograd (like `torch.no_grad()`): results do not
 * require grad and no graph is kept. Use it for inference and parameter updates. `fn` must be
 * synchronous: an async function is an `ArgumentError` (the mode could not follow it across `await`).
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const asyncError = () =>
    new ArgumentError(
      'noGrad',
      'received an async function (or one returning a Promise); gradient mode cannot follow it across await — call noGrad around the synchronous code between awaits',
    );
  if (typeof fn !== 'function') throw new ArgumentError('noGrad', `expected a function, got ${fn === null ? 'null' : typeof fn}`);
  if (fn.constructor?.name === 'AsyncFunction') throw asyncError();
  const prev = enabled;
  enabled = false;
  let result: T;
  try {
    result = fn();
  } finally {
    enabled = prev;
  }
  if (result && typeof (result as { then?: unknown }).then === 'function') throw asyncError();
  return result;
}
