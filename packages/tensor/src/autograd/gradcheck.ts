import { ArgumentError, checkOptions, ShapeError } from '../errors';
import { fromArray } from '../creation';
import { scope } from '../memory';
import type { Tensor } from '../tensor';
import { noGrad } from './grad-mode';

/**
 * Options of {@link gradcheck}.
 * @example
 * ```ts
 * gradcheck((x) => x.exp().sum(), [randn([4])], { eps: 1e-3, rtol: 1e-2 });
 * ```
 */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-3, suited to float32). */
  eps?: number;
  /** Relative tolerance (default 1e-2). */
  rtol?: number;
  /** Absolute tolerance (default 1e-3). */
  atol?: number;
}

/**
 * One input element whose analytic and numeric derivatives disagree.
 * @example
 * ```ts
 * const x = randn([3], { requiresGrad: true });
 * const fn = (t: Tensor) => t.pow(3).sum();
 * for (const m of gradcheck(fn, [x]).mismatches) console.log(m.index, m.analytic, m.numeric);
 * ```
 */
export interface GradcheckMismatch {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

/**
 * Outcome of {@link gradcheck}.
 * @example
 * ```ts
 * const { ok, maxError } = gradcheck((x) => x.tanh().sum(), [randn([4])]);
 * ```
 */
export interface GradcheckResult {
  ok: boolean;
  /** Largest |analytic − numeric| seen. */
  maxError: number;
  mismatches: GradcheckMismatch[];
}

function scalarOf(y: Tensor): number {
  if (y.numel() !== 1) throw new ShapeError('gradcheck', `fn must return a one-element tensor, got ${y.shape.length} dims`);
  return y.dataSync()[0];
}

/**
 * Compare the gradients that `backward()` computes for `fn(...inputs)` (a one-element tensor)
 * with central differences (f(x+ε) − f(x−ε)) / 2ε, perturbing each input element in turn and
 * accumulating the difference in float64. Inputs must be float32 CPU tensors; all are checked.
 * @example
 * ```ts
 * const r = gradcheck((x) => x.mul(x).sum(), [randn([3])]);
 * r.ok; // true
 * ```
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  checkOptions('gradcheck', opts, ['eps', 'rtol', 'atol']);
  const eps = opts.eps ?? 1e-3;
  const rtol = opts.rtol ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  for (const t of inputs) {
    if (t.dtype !== 'float32' || t.device !== 'cpu') throw new ArgumentError('gradcheck', `inputs must be float32 CPU tensors, got ${t.dtype} on ${t.device}`);
  }
  const values = inputs.map((t) => Float64Array.from(t.dataSync()));
  const make = (k: number, override?: Float64Array) => fromArray(override ?? values[k], inputs[k].shape, { requiresGrad: override === undefined });
  const analytic = scope(() => {
    const leaves = inputs.map((_, k) => make(k));
    fn(...leaves).backward();
    return leaves.map((l) => (l.grad ? Float64Array.from(l.grad.dataSync()) : new Float64Array(l.numel())));
  });
  const mismatches: GradcheckMismatch[] = [];
  let maxError = 0;
  noGrad(() => {
    inputs.forEach((_, k) => {
      const probe = Float64Array.from(values[k]);
      for (let i = 0; i < probe.length; i++) {
        const at = (delta: number) =>
          scope(() => {
            probe[i] = values[k][i] + delta;
            const args = inputs.map((__, j) => (j === k ? make(j, probe) : make(j, values[j])));
            return scalarOf(fn(...args));
          });
        const f1 = at(eps);
        const f0 = at(-eps);
        // float32 rounding of x ± ε: divide by the step actually taken
        const step = Math.fround(values[k][i] + eps) - Math.fround(values[k][i] - eps);
        probe[i] = values[k][i];
        const numeric = (f1 - f0) / step;
        const a = analytic[k][i];
        const err = Math.abs(a - numeric);
        maxError = Math.max(maxError, err);
        if (!(err <= atol + rtol * Math.abs(numeric))) mismatches.push({ input: k, index: i, analytic: a, numeric });
      }
    });
  });
  return { ok: mismatches.length === 0, maxError, mismatches };
}
