import { ArgumentError, type Tensor } from '@aimodel/tensor';
import type { Module } from '../module';

/**
 * What `fit` needs from an optimizer (any @aimodel/optim optimizer qualifies).
 * @example
 * ```ts
 * const opt: OptimizerLike = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * ```
 */
export interface OptimizerLike {
  zeroGrad(): void;
  step(): void;
}

/**
 * A loss: a function or a loss module, `(prediction, target) → scalar tensor`.
 * @example
 * ```ts
 * model.compile({ optimizer, loss: crossEntropy });               // a function
 * model.compile({ optimizer, loss: new MSELoss() });              // a module
 * model.compile({ optimizer, loss: (p, t) => huberLoss(p, t, { delta: 2 }) });
 * ```
 */
export type LossLike = ((prediction: Tensor, target: Tensor) => Tensor) | (Module & { forward(prediction: Tensor, target: Tensor): Tensor });

/**
 * A metric computed per batch from predictions and targets; `'accuracy'` is built in.
 * @example
 * ```ts
 * const mae: MetricLike = { name: 'mae', fn: (p, t) => l1Loss(p, t).item() };
 * model.compile({ optimizer, loss: mseLoss, metrics: [mae] });
 * ```
 */
export type MetricLike = 'accuracy' | { name: string; fn: (prediction: Tensor, target: Tensor) => number | Promise<number> };

/**
 * Settings of {@link Module.compile}.
 * @example
 * ```ts
 * model.compile({ optimizer: new Adam(model.parameters(), { lr: 1e-3 }), loss: crossEntropy, metrics: ['accuracy'] });
 * ```
 */
export interface CompileConfig {
  optimizer: OptimizerLike;
  loss: LossLike;
  metrics?: MetricLike[];
}

/** A compiled configuration with the loss and metrics resolved to functions. */
export interface Compiled {
  optimizer: OptimizerLike;
  loss: (prediction: Tensor, target: Tensor) => Tensor;
  metrics: { name: string; fn: (prediction: Tensor, target: Tensor) => number | Promise<number> }[];
}

/**
 * Fraction of rows whose predicted class matches: predictions [N, C] are arg-maxed (a single
 * column is thresholded at 0.5); targets are class indices [N] or one-hot/probabilities [N, C].
/**
 * Fraction of rows whose predicted class matches: predictions [N, C] are arg-maxed (a single
 * column is thresholded at 0.5); targets are class indices [N] or one-hot/probabilities [N, C].
 * Reads the data back (asynchronously, so it works on every device).
 * @example
 * ```ts
 * await batchAccuracy(tensor([[0.1, 0.9], [0.8, 0.2]]), tensor([1, 1])); // 0.5
 * ```
 */
export async function batchAccuracy(prediction: Tensor, target: Tensor): Promise<number> {
  const p = await prediction.data();
  const t = await target.data();
  const n = prediction.shape[0] ?? 1;
  const c = prediction.ndim > 1 ? prediction.numel() / n : 1;
  const tc = target.ndim > 1 ? target.numel() / n : 1;
  const argmax = (a: ArrayLike<number>, at: number, len: number) => {
    let best = 0;
    for (let j = 1; j < len; j++) if (a[at + j] > a[at + best]) best = j;
    return best;
  };
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const pred = c === 1 ? (p[i] >= 0.5 ? 1 : 0) : argmax(p, i * c, c);
    const truth = tc === 1 ? Math.round(t[i]) : argmax(t, i * tc, tc);
    if (pred === truth) hits++;
  }
  return n ? hits / n : 0;
}

export function resolveCompile(config: CompileConfig): Compiled {
  if (!config || typeof config.optimizer?.step !== 'function' || typeof config.optimizer?.zeroGrad !== 'function') {
    throw new ArgumentError('compile', 'optimizer must have step() and zeroGrad() (e.g. new SGD(model.parameters(), { lr: 0.1 }))');
  }
  const l = config.loss;
  let loss: Compiled['loss'];
  if (typeof l === 'function') loss = l;
  else if (l && typeof (l as Module).forward === 'function') loss = (p, t) => (l as Module).forward(p, t);
  else throw new ArgumentError('compile', 'loss must be a function (prediction, target) → tensor or a loss module');
  const metrics = (config.metrics ?? []).map((m) => {
    if (m === 'accuracy') return { name: 'accuracy', fn: batchAccuracy };
    if (m && typeof m === 'object' && typeof m.fn === 'function' && typeof m.name === 'string') return m;
    throw new ArgumentError('compile', `unknown metric ${JSON.stringify(m)} (expected 'accuracy' or { name, fn })`);
  });
  return { optimizer: config.optimizer, loss, metrics };
}
