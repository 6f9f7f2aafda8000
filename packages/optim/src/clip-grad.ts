import { ArgumentError, DeviceError, div, linalg, noGrad, scope, stack, Tensor, zeros } from '@aimodel/tensor';

/**
 * Options of {@link clipGradNorm}.
 * @example
 * ```ts
 * const params = [randn([3], { requiresGrad: true })];
 * params[0].sum().backward();
 * clipGradNorm(params, 1, { normType: 'inf', errorIfNonfinite: true });
 * ```
 */
export interface ClipGradNormOptions {
  /** Order p of the norm: a number > 0, or Infinity / 'inf' for the max-abs norm (default 2). */
  normType?: number | 'inf';
  /**
   * Throw if the total norm is NaN or ±Infinity, before touching the gradients (default false).
   * This reads the norm back synchronously, which only the CPU can do.
   */
  errorIfNonfinite?: boolean;
}

function gradsOf(op: string, params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new ArgumentError(op, `params must contain tensors, got ${typeof p} at index ${i}`);
  });
  return list.flatMap((p) => (p.grad && p.grad.numel() > 0 ? [p.grad] : []));
}

/**
 * Rescale the gradients of `params` in place so that their total norm is at most `maxNorm`
 * (torch.nn.utils.clip_grad_norm_). The total norm is the norm of all gradients together, as if
 * concatenated into one vector:
 * ```
 * total = ‖(‖g₁‖_p, ‖g₂‖_p, …)‖_p          (p = ∞: maxᵢ maxⱼ |gᵢⱼ|)
 * gᵢ ← gᵢ · min(1, maxNorm/(total + 1e-6))
 * ```
 * Everything stays on the device: the total norm comes back as a 0-d tensor (read it with
 * `await total.item()`), and parameters without a gradient are ignored. With no gradients the
 * result is a 0-d zero on the default device.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * loss.backward();
 * const total = clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 * console.log(await total.item()); // the norm before clipping
 * ```
 */
export function clipGradNorm(params: Iterable<Tensor> | Tensor, maxNorm: number, opts: ClipGradNormOptions = {}): Tensor {
  const op = 'clipGradNorm';
  const { normType = 2, errorIfNonfinite = false } = opts ?? {};
  const p = normType === 'inf' ? Infinity : normType;
  if (!(typeof p === 'number' && p > 0)) throw new ArgumentError(op, `invalid normType ${String(normType)} (expected a number > 0 or 'inf')`);
  if (!(typeof maxNorm === 'number' && maxNorm >= 0)) throw new ArgumentError(op, `invalid maxNorm ${String(maxNorm)} (expected >= 0)`);
  const grads = gradsOf(op, params);
  if (grads.length === 0) return zeros([]);
  return noGrad(() =>
    scope(() => {
      const total = linalg.vectorNorm(stack(grads.map((g) => linalg.vectorNorm(g, { ord: p }))), { ord: p });
      if (errorIfNonfinite) {
        if (total.device !== 'cpu') {
          throw new DeviceError(
            op,
            `errorIfNonfinite needs a synchronous read of the norm, which only the CPU offers (gradients are on ${total.device}); check await total.item() yourself instead`,
          );
        }
        const value = total.dataSync()[0];
        if (!Number.isFinite(value)) {
          throw new ArgumentError(
            op,
            `the total norm of order ${p} of the gradients is ${value}, so they cannot be clipped; pass errorIfNonfinite: false to scale them by the non-finite norm anyway`,
          );
        }
      }
      const coef = div(maxNorm, total.add(1e-6)).clamp(null, 1); // min(1, maxNorm/(total + 1e-6))
      for (const g of grads) g.assign(g.mul(coef));
      return total;
    }),
  );
}

/**
 * Clamp every gradient element of `params` into [−clipValue, clipValue], in place
 * (torch.nn.utils.clip_grad_value_): gᵢⱼ ← min(max(gᵢⱼ, −c), c). Parameters without a gradient
 * are ignored.
 * @example
 * ```ts
 * const model = new Linear(2, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const loss = model.forward(ones([4, 2])).pow(2).mean();
 * loss.backward();
 * clipGradValue(model.parameters(), 0.5);
 * opt.step();
 * ```
 */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  const op = 'clipGradValue';
  if (!(typeof clipValue === 'number' && clipValue >= 0)) throw new ArgumentError(op, `invalid clipValue ${String(clipValue)} (expected >= 0)`);
  const grads = gradsOf(op, params);
  noGrad(() => {
    for (const g of grads) scope(() => g.assign(g.clamp(-clipValue, clipValue)));
  });
}
