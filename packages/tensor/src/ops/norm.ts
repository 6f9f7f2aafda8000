import type { NormParams, View } from '../backend/backend';
import { ArgumentError, ShapeError } from '../errors';
import { noGrad } from '../autograd/grad-mode';
import { assertFloat } from '../dtype';
import { scope } from '../memory';
import { broadcastStrides, contiguousStrides, fmt, type Shape } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp } from './define-op';

/**
 * Options of {@link layerNorm}.
 * @example
 * ```ts
 * const x = randn([2, 10, 64]);
 * const gamma = ones([64]);
 * const beta = zeros([64]);
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
 * const x = randn([8, 3]);
 * const runningMean = zeros([3]);
 * const runningVar = ones([3]);
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

/** layerNorm's checks, run by its op's `infer` (inputs [x, weight?, bias?]). */
function checkLayerNorm([x, ...affine]: Tensor[], a: NormAttrs & { normalizedShape: number[] }): void {
  const shape = a.normalizedShape;
  checkEps('layerNorm', a.eps);
  assertFloat('layerNorm', x.dtype);
  const tail = x.shape.slice(x.ndim - shape.length);
  if (shape.length > x.ndim || tail.some((d, i) => d !== shape[i])) {
    throw new ShapeError('layerNorm', `input ${fmt(x.shape)} does not end with normalizedShape ${fmt(shape)}`);
  }
  checkParam('layerNorm', 'weight', a.weight ? affine[0] : null, shape);
  checkParam('layerNorm', 'bias', a.bias ? affine[a.weight ? 1 : 0] : null, shape);
}

/** batchNorm's checks: its function is a composite (running statistics, an eval path), so they run first there. */
function checkBatchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  o: BatchNormOptions & { eps: number; momentum: number; training: boolean },
): void {
  checkInputs(
    'batchNorm',
    [x, runningMean, runningVar, o.weight, o.bias].filter((t): t is Tensor => !!t),
  );
  checkEps('batchNorm', o.eps);
  if (!(o.momentum >= 0 && o.momentum <= 1)) throw new ArgumentError('batchNorm', `momentum must be in [0, 1], got ${o.momentum}`);
  assertFloat('batchNorm', x.dtype);
  if (x.ndim < 2) throw new ShapeError('batchNorm', `expected an input [N, C, …] with at least 2 dims, got ${fmt(x.shape)}`);
  const c = x.shape[1];
  for (const [name, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', o.weight],
    ['bias', o.bias],
  ] as const) {
    checkParam('batchNorm', name, t, [c]);
  }
  if (!o.training && (!runningMean || !runningVar)) {
    throw new ArgumentError('batchNorm', 'runningMean and runningVar are required when training is false');
  }
  if (o.training && perChannelCount(x) <= 1) {
    throw new ShapeError('batchNorm', `expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
  }
}

/** Values per channel of x [N, C, …]: N·(spatial sizes). */
function perChannelCount(x: Tensor): number {
  return x.shape.reduce((p, d, i) => (i === 1 ? p : p * d), 1);
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
 * Backward of the fused normalization: ∂x from the saved statistics and, with a weight, gy·x̂ as
 * a secondary output (∂weight per element, which the engine sums over the broadcast dims) from
 * the same pass. Inputs [x, gy, mean, variance, weight?].
 */
function normBackwardOp(name: string) {
  const infer = ([x]: Tensor[]) => ({ shape: [...x.shape], dtype: 'float32' as const });
  const plain = defineOp<NormAttrs>(`${name}Backward`, {
    infer,
    forward: (be, [x, gy, mean, variance], gx, a, shape) =>
      be.normalizeBackward(rowView(x, shape, a.perm), null, rowView(gy, shape, a.perm), mean, variance, outView(gx, shape, a.perm), null, a),
  });
  const affine = defineOp<NormAttrs, 'gyXhat'>(`${name}Backward`, {
    outputs: ['gyXhat'],
    infer: ([x]) => ({ ...infer([x]), outputs: { gyXhat: infer([x]) } }),
    forward: (be, [x, gy, mean, variance, w], gx, a, shape, { gyXhat }) => {
      const v = (t: View) => rowView(t, shape, a.perm);
      be.normalizeBackward(v(x), v(w), v(gy), mean, variance, outView(gx, shape, a.perm), outView(gyXhat, shape, a.perm), a);
    },
  });
  return { plain, affine };
}

/**
 * The fused normalization shared by layerNorm and batchNorm (training). Inputs [x, weight?, bias?];
 * the kernel also writes each row's mean and biased variance, declared as secondary outputs of the
 * statistics' keepdim shape: the node saves them for backward, and batchNorm reads them to update
 * its running statistics. Backward: one fused primitive gives ∂x and, with a weight, gy·x̂, which
 * the engine sums over the broadcast dims into ∂weight; ∂bias = Σ gy likewise.
 */
/* @__NO_SIDE_EFFECTS__ */
function normOp<A extends NormAttrs>(name: 'layerNorm' | 'batchNorm', check?: (inputs: Tensor[], a: A) => void) {
  const back = normBackwardOp(name);
  return defineOp<A, 'mean' | 'variance'>(name, {
    outputs: ['mean', 'variance'],
    infer: (inputs, a) => {
      check?.(inputs, a);
      const [x] = inputs;
      const rows = new Set(a.perm.slice(0, a.rowDims));
      const stat = { shape: x.shape.map((d, i) => (rows.has(i) ? d : 1)), dtype: 'float32' as const };
      return { shape: [...x.shape], dtype: 'float32', outputs: { mean: stat, variance: stat } };
    },
    forward: (be, [x, ...affine], out, a, shape, { mean, variance }) => {
      const v = (t: View) => rowView(t, shape, a.perm);
      const w = a.weight ? v(affine[0]) : null;
      const b = a.bias ? v(affine[a.weight ? 1 : 0]) : null;
      be.normalize(v(x), w, b, outView(out, shape, a.perm), mean, variance, a);
    },
    backward: (gy, [x, ...affine], _y, a, { mean, variance }) => {
      // one dispatch (or two for split rows) serves both ∂x and ∂weight, whichever is asked first
      let grads: { gx: Tensor; gyXhat: Tensor | null } | undefined;
      const run = () => {
        if (!grads) {
          if (a.weight) {
            const r = back.affine([x, gy, mean, variance, affine[0]], a);
            grads = { gx: r.out, gyXhat: r.outputs.gyXhat };
          } else {
            grads = { gx: back.plain([x, gy, mean, variance], a), gyXhat: null };
          }
        }
        return grads;
      };
      return [() => run().gx, ...(a.weight ? [() => run().gyXhat as Tensor] : []), ...(a.bias ? [() => gy] : [])];
    },
  });
}

const layerNormOp = normOp<NormAttrs & { normalizedShape: number[] }>('layerNorm', checkLayerNorm);
const batchNormOp = normOp<NormAttrs>('batchNorm');

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
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const rowDims = Math.max(0, x.ndim - shape.length);
  const affine = [opts.weight, opts.bias].filter((t): t is Tensor => !!t);
  const attrs = { rowDims, eps: opts.eps ?? 1e-5, perm: x.shape.map((_, i) => i), weight: !!opts.weight, bias: !!opts.bias, normalizedShape: shape };
  const { out, outputs } = layerNormOp([x, ...affine], attrs);
  outputs.mean.dispose(); // the statistics stay internal (the node keeps its own reference)
  outputs.variance.dispose();
  return out;
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
  const o = { ...opts, eps: opts.eps ?? 1e-5, momentum: opts.momentum ?? 0.1, training: opts.training ?? false };
  checkBatchNorm(x, runningMean, runningVar, o);
  const { eps, momentum } = o;
  const c = x.shape[1];
  const perChannel = [1, c, ...new Array<number>(x.ndim - 2).fill(1)];
  return scope(() => {
    if (!o.training) {
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
    const perm = [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)];
    const affine = [weight, bias].filter((t): t is Tensor => !!t);
    const { out: y, outputs } = batchNormOp([x, ...affine], { rowDims: 1, eps, perm, weight: !!weight, bias: !!bias });
    if (runningMean && runningVar) {
      const count = perChannelCount(x);
      noGrad(() => {
        runningMean.assign(runningMean.mul(1 - momentum).add(outputs.mean.reshape([c]).mul(momentum)));
        runningVar.assign(runningVar.mul(1 - momentum).add(outputs.variance.reshape([c]).mul((momentum * count) / (count - 1))));
      });
    }
    return y;
  });
}
