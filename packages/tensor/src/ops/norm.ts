import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { noGrad } from '../autograd/grad-mode';
import { scope } from '../memory';
import { fmt } from '../shape';
import { checkInputs } from './define-op';
import type { Tensor } from '../tensor';

/**
 * Options of {@link layerNorm}.
 * @example
 * ```ts
 * layerNorm(x, [64], { weight: gamma, bias: beta, eps: 1e-5 });
 * ```
 */
export interface LayerNormOptions {
  /** Scale γ with the normalized shape. */
  weight?: Tensor | null;
  /** Shift β with the normalized shape. */
  bias?: Tensor | null;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Options of {@link batchNorm}.
 * @example
 * ```ts
 * batchNorm(x, runningMean, runningVar, { training: true, momentum: 0.1, eps: 1e-5 });
 * ```
 */
export interface BatchNormOptions {
  /** Per-channel scale γ [C]. */
  weight?: Tensor | null;
  /** Per-channel shift β [C]. */
  bias?: Tensor | null;
  /** Use batch statistics and update the running ones (default false). */
  training?: boolean;
  /** Running-statistics update rate (default 0.1): r ← (1−m)·r + m·batch. */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

function checkEps(op: string, eps: number): void {
  if (!(eps > 0)) throw new ArgumentError(op, `eps must be positive (a zero eps divides by zero on constant inputs), got ${eps}`);
}

function checkParam(op: string, name: string, t: Tensor | null | undefined, shape: readonly number[]): void {
  if (t && (t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
    throw new ShapeError(op, `${name} must have shape ${fmt(shape)}, got ${fmt(t.shape)}`);
  }
}

/**
 * Layer normalization over the trailing `normalizedShape` dims:
 * (x − mean) / √(var + eps) · weight + bias, with the biased variance (as PyTorch).
 * @example
 * ```ts
 * layerNorm(tensor([[1, 2, 3]]), [3]); // ≈ [[-1.2247, 0, 1.2247]]
 * ```
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], opts: LayerNormOptions = {}): Tensor {
  checkInputs('layerNorm', [x, opts.weight, opts.bias].filter((t): t is Tensor => !!t));
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const eps = opts.eps ?? 1e-5;
  checkEps('layerNorm', eps);
  if (x.dtype !== 'float32') throw new DTypeError('layerNorm', `expected a float32 input, got ${x.dtype}`);
  const tail = x.shape.slice(x.ndim - shape.length);
  if (shape.length > x.ndim || tail.some((d, i) => d !== shape[i])) {
    throw new ShapeError('layerNorm', `input ${fmt(x.shape)} does not end with normalizedShape ${fmt(shape)}`);
  }
  checkParam('layerNorm', 'weight', opts.weight, shape);
  checkParam('layerNorm', 'bias', opts.bias, shape);
  const dims = shape.map((_, i) => x.ndim - shape.length + i);
  return scope(() => {
    const mean = x.mean(dims, { keepdim: true });
    const centered = x.sub(mean);
    const variance = centered.mul(centered).mean(dims, { keepdim: true });
    let y = centered.mul(variance.add(eps).rsqrt());
    if (opts.weight) y = y.mul(opts.weight);
    if (opts.bias) y = y.add(opts.bias);
    return y;
  });
}

/**
 * Batch normalization over x [N, C, …] per channel C. In training, normalizes with the batch
 * statistics (biased variance) and updates `runningMean`/`runningVar` in place (unbiased
 * variance), as PyTorch; otherwise normalizes with the running statistics.
 * @example
 * ```ts
 * const rm = zeros([2]), rv = ones([2]);
 * batchNorm(randn([8, 2, 4, 4]), rm, rv, { training: true }); // rm, rv move towards the batch stats
 * ```
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  checkInputs('batchNorm', [x, runningMean, runningVar, opts.weight, opts.bias].filter((t): t is Tensor => !!t));
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  const training = opts.training ?? false;
  checkEps('batchNorm', eps);
  if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentError('batchNorm', `momentum must be in [0, 1], got ${momentum}`);
  if (x.dtype !== 'float32') throw new DTypeError('batchNorm', `expected a float32 input, got ${x.dtype}`);
  if (x.ndim < 2) throw new ShapeError('batchNorm', `expected an input [N, C, …] with at least 2 dims, got ${fmt(x.shape)}`);
  const c = x.shape[1];
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', opts.weight], ['bias', opts.bias]] as const) {
    checkParam('batchNorm', name, t, [c]);
  }
  if (!training && (!runningMean || !runningVar)) {
    throw new ArgumentError('batchNorm', 'runningMean and runningVar are required when training is false');
  }
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const count = dims.reduce((p, d) => p * x.shape[d], 1);
  if (training && count <= 1) {
    throw new ShapeError('batchNorm', `expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
  }
  const perChannel = [1, c, ...new Array<number>(x.ndim - 2).fill(1)];
  return scope(() => {
    let mean: Tensor;
    let variance: Tensor;
    if (training) {
      mean = x.mean(dims, { keepdim: true });
      const centered = x.sub(mean);
      variance = centered.mul(centered).mean(dims, { keepdim: true });
      if (runningMean && runningVar) {
        noGrad(() => {
          runningMean.assign(runningMean.mul(1 - momentum).add(mean.reshape([c]).mul(momentum)));
          runningVar.assign(runningVar.mul(1 - momentum).add(variance.reshape([c]).mul((momentum * count) / (count - 1))));
        });
      }
    } else {
      mean = runningMean!.reshape(perChannel);
      variance = runningVar!.reshape(perChannel);
    }
    let y = x.sub(mean).mul(variance.add(eps).rsqrt());
    if (opts.weight) y = y.mul(opts.weight.reshape(perChannel));
    if (opts.bias) y = y.add(opts.bias.reshape(perChannel));
    return y;
  });
}
