import type { NormParams, View } from '../backend/backend';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { noGrad } from '../autograd/grad-mode';
import { scope } from '../memory';
import { broadcastStrides, contiguousStrides, fmt, type Shape } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp, extraOutput } from './define-op';

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

interface NormAttrs extends NormParams {
  /** x's dims reordered as [...row dims, ...normalized dims]. */
  perm: number[];
  weight: boolean;
  bias: boolean;
}

/** `v` broadcast to `shape` and permuted by `perm`: the [...rows, ...cols] view the primitives take. */
function rowView(v: View, shape: Shape, perm: readonly number[]): View {
  const strides = broadcastStrides(v.shape, v.strides, shape);
  return { storage: v.storage, shape: perm.map((d) => shape[d]), strides: perm.map((d) => strides[d]), offset: v.offset };
}

/** The contiguous output of `shape` as a [...rows, ...cols] view. */
function outView(out: View['storage'], shape: Shape, perm: readonly number[]): View {
  return rowView({ storage: out, shape, strides: contiguousStrides(shape), offset: 0 }, shape, perm);
}

/**
 * The fused normalization shared by layerNorm and batchNorm (training). Inputs
 * [x, mean, variance, weight?, bias?]: `mean` and `variance` are outputs in disguise, fresh buffers of
 * the statistics' keepdim shape that the forward fills and the node saves for backward (as attention's
 * lse). Backward: one fused primitive gives ∂x and, with a weight, gy·x̂ (an output in disguise
 * again), which the engine sums over the broadcast dims into ∂weight; ∂bias = Σ gy likewise.
 */
function normOp(name: 'layerNorm' | 'batchNorm') {
  // inputs [x, gy, mean, variance, weight?, gyXhat?]: weight and gyXhat come together (a.weight)
  const backwardOp = defineOp<NormAttrs>(`${name}Backward`, {
    infer: ([x]) => ({ shape: [...x.shape], dtype: 'float32' }),
    forward: (be, [x, gy, mean, variance, w, gyXhat], gx, a, shape) => {
      const v = (t: View) => rowView(t, shape, a.perm);
      const h = gyXhat ? outView(gyXhat.storage, shape, a.perm) : null;
      be.normalizeBackward(v(x), w ? v(w) : null, v(gy), mean, variance, outView(gx, shape, a.perm), h, a);
    },
  });
  return defineOp<NormAttrs>(name, {
    infer: ([x]) => ({ shape: [...x.shape], dtype: 'float32' }),
    forward: (be, [x, mean, variance, ...affine], out, a, shape) => {
      const v = (t: View) => rowView(t, shape, a.perm);
      const w = a.weight ? v(affine[0]) : null;
      const b = a.bias ? v(affine[a.weight ? 1 : 0]) : null;
      be.normalize(v(x), w, b, outView(out, shape, a.perm), mean.storage, variance.storage, a);
    },
    backward: (gy, [x, mean, variance, ...affine], _y, a) => {
      // one dispatch (or two for split rows) serves both ∂x and ∂weight, whichever is asked first
      let grads: { gx: Tensor; gyXhat: Tensor | null } | undefined;
      const run = () => {
        if (!grads) {
          const gyXhat = a.weight ? extraOutput(x.device, [...x.shape]) : null;
          const extra = gyXhat ? [affine[0], gyXhat] : [];
          grads = { gx: backwardOp([x, gy, mean, variance, ...extra], a), gyXhat };
        }
        return grads;
      };
      return [
        () => run().gx,
        null,
        null,
        ...(a.weight ? [() => run().gyXhat as Tensor] : []),
        ...(a.bias ? [() => gy] : []),
      ];
    },
  });
}

const layerNormOp = normOp('layerNorm');
const batchNormOp = normOp('batchNorm');

/**
 * Layer normalization over the trailing `normalizedShape` dims:
 * (x − mean) / √(var + eps) · weight + bias, with the biased variance (as PyTorch).
 * One fused kernel computes each row's statistics and its output, and one its input gradient;
 * gradients are first order.
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
  const rowDims = x.ndim - shape.length;
  const statShape = x.shape.map((d, i) => (i < rowDims ? d : 1));
  const affine = [opts.weight, opts.bias].filter((t): t is Tensor => !!t);
  const attrs = { rowDims, eps, perm: x.shape.map((_, i) => i), weight: !!opts.weight, bias: !!opts.bias };
  return scope(() => layerNormOp([x, extraOutput(x.device, statShape), extraOutput(x.device, statShape), ...affine], attrs));
}

/**
 * Batch normalization over x [N, C, …] per channel C. In training, normalizes with the batch
 * statistics (biased variance) and updates `runningMean`/`runningVar` in place (unbiased
 * variance), as PyTorch; otherwise normalizes with the running statistics. In training the
 * statistics and output come from one fused kernel (channels read through a permuted view), as
 * does the input gradient.
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
    if (!training) {
      // fixed statistics: one affine map per channel, folded on the [C] vectors so that the
      // input takes two elementwise passes, y = x·scale + shift
      let scale = runningVar!.add(eps).rsqrt();
      if (opts.weight) scale = scale.mul(opts.weight);
      let shift = runningMean!.mul(scale).neg();
      if (opts.bias) shift = shift.add(opts.bias);
      return x.mul(scale.reshape(perChannel)).add(shift.reshape(perChannel));
    }
    // channels become the rows: x read as [C, N, …] through a permuted view, no copy
    const weight = opts.weight?.reshape(perChannel);
    const bias = opts.bias?.reshape(perChannel);
    const mean = extraOutput(x.device, perChannel);
    const variance = extraOutput(x.device, perChannel);
    const perm = [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)];
    const affine = [weight, bias].filter((t): t is Tensor => !!t);
    const y = batchNormOp([x, mean, variance, ...affine], { rowDims: 1, eps, perm, weight: !!weight, bias: !!bias });
    if (runningMean && runningVar) {
      noGrad(() => {
        runningMean.assign(runningMean.mul(1 - momentum).add(mean.reshape([c]).mul(momentum)));
        runningVar.assign(runningVar.mul(1 - momentum).add(variance.reshape([c]).mul((momentum * count) / (count - 1))));
      });
    }
    return y;
  });
}
