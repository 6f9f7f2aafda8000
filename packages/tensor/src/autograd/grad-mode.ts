let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Run `fn` without recording operations for autograd (like `torch.no_grad()`): results do not
 * require grad and no graph is kept. Use it for inference and parameter updates.
 * @example
 * ```ts
 * const w = randn([3], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
