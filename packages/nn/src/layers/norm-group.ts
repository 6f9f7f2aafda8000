import { ArgumentError, layerNorm, noGrad, ones, ShapeError, scope, Tensor, zeros } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, describeInput } from '../checks';
import { Module } from '../module';
import { Parameter } from '../parameter';
import { RunningNormBase } from './norm';
import { reprFields } from '../summary';

// Group and instance normalization, composed from layerNorm over reshaped inputs (each group, or
// each (sample, channel) pair, is one row), then a per-channel affine.

/**
 * Options of {@link GroupNorm} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new GroupNorm(4, 16, { eps: 1e-6, affine: false });
 * ```
 */
export interface GroupNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn per-channel `weight` (init 1) and `bias` (init 0) (default true). */
  affine?: boolean;
}

function checkEps(layer: string, eps: unknown): void {
  if (typeof eps !== 'number' || !(eps > 0)) throw new ArgumentError(layer, `eps must be a positive number, got ${eps}`);
}

/** weight·y + bias with [C] parameters broadcast along dim 1 of y [N, C, …]. */
function channelAffine(y: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const shape = [y.shape[1], ...new Array<number>(y.ndim - 2).fill(1)];
  let out = y;
  if (weight) out = out.mul(weight.reshape(shape));
  if (bias) out = out.add(bias.reshape(shape));
  return out;
}

/**
 * Group normalization, as `torch.nn.GroupNorm`: the channels are split into `numGroups` groups and
 * each (sample, group) is normalized over its channels and positions, y = (x − E[x]) / √(Var[x] +
 * eps) (biased variance), then scaled and shifted per channel.
 *
 * Shapes: [N, C, *] → same. Parameters `weight`, `bias` [C] (init 1, 0) when `affine`.
 * @example
 * ```ts
 * const gn = new GroupNorm(2, 4);
 * gn.forward(randn([8, 4, 5, 5])).shape; // [8, 4, 5, 5]
 * ```
 */
export class GroupNorm extends Module {
  /** Per-channel scale [C] (init 1), or null without `affine`. @example `new GroupNorm(2, 4).weight!.shape // [4]` */
  weight: Parameter | null;
  /** Per-channel shift [C] (init 0), or null without `affine`. @example `new GroupNorm(2, 4).bias!.shape // [4]` */
  bias: Parameter | null;
  /** Number of groups. @example `new GroupNorm(2, 4).numGroups // 2` */
  readonly numGroups: number;
  /** Number of channels C. @example `new GroupNorm(2, 4).numChannels // 4` */
  readonly numChannels: number;
  /** Added to the variance. @example `new GroupNorm(2, 4).eps // 1e-5` */
  readonly eps: number;
  /** Whether `weight` and `bias` exist. @example `new GroupNorm(2, 4).affine // true` */
  readonly affine: boolean;

  /**
   * @param numGroups groups the channels are split into (must divide numChannels)
   * @param numChannels channels C of the input
   * @example
   * ```ts
   * new GroupNorm(32, 256);
   * ```
   */
  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    checkKeys('GroupNorm', opts, ['eps', 'affine']);
    checkPositiveInt('GroupNorm', 'numGroups', numGroups);
    checkPositiveInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) throw new ArgumentError('GroupNorm', `numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    const { eps = 1e-5, affine = true } = opts;
    checkEps('GroupNorm', eps);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = eps;
    this.affine = affine;
    this.weight = affine ? new Parameter(ones([numChannels])) : null;
    this.bias = affine ? new Parameter(zeros([numChannels])) : null;
  }

  /**
   * Normalize `x` [N, C, *] per (sample, group).
   * @example
   * ```ts
   * new GroupNorm(1, 2).forward(tensor([[1, 3]])); // ≈ [[-1, 1]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new ShapeError('GroupNorm', `expected input [N, C=${this.numChannels}, *], got ${describeInput(x)}`);
    }
    return scope(() => {
      const n = x.shape[0];
      const rows = x.reshape([n, this.numGroups, -1]);
      const y = layerNorm(rows, [rows.shape[2]], { eps: this.eps }).reshape(x.shape);
      return channelAffine(y, this.weight, this.bias);
    });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new GroupNorm(2, 4)) // 'GroupNorm(2, 4, eps=0.00001, affine=true)'` */
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, ${reprFields({ eps: this.eps, affine: this.affine })}`;
  }
}

/**
 * Options of {@link InstanceNorm1d} and {@link InstanceNorm2d} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new InstanceNorm2d(3, { affine: true, trackRunningStats: true });
 * ```
 */
export interface InstanceNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Running-statistics update rate (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  /** Learn per-channel `weight` (init 1) and `bias` (init 0) (default false). */
  affine?: boolean;
  /** Keep running statistics, used in evaluation mode (default false). */
  trackRunningStats?: boolean;
}

/** Shared by InstanceNorm1d and InstanceNorm2d: `spatial` is 1 or 2. */
abstract class InstanceNormBase extends RunningNormBase {
  protected constructor(
    layer: string,
    private readonly spatial: 1 | 2,
    numFeatures: number,
    opts: InstanceNormOptions,
  ) {
    super(layer, numFeatures, opts, { affine: false, trackRunningStats: false });
  }

  /**
   * Normalize each (sample, channel) over its positions with its own statistics (biased
   * variance), updating the running statistics when they are tracked (mean over the batch of the
   * per-instance mean and unbiased variance); in evaluation mode with tracked statistics (or when
   * not {@link Module.trainable}), normalize with the running ones. Then the affine, if any.
   * @example
   * ```ts
   * new InstanceNorm1d(1).forward(tensor([[[1, 3]]])); // ≈ [[[-1, 1]]]
   * ```
   */
  override forward(x: Tensor): Tensor {
    const d = this.spatial + 2;
    if (!(x instanceof Tensor) || (x.ndim !== d && x.ndim !== d - 1) || x.shape[x.ndim - this.spatial - 1] !== this.numFeatures) {
      const dims = this.spatial === 1 ? 'L' : 'H, W';
      throw new ShapeError(this.layer, `expected ${d}-D input [N, C=${this.numFeatures}, ${dims}] (or ${d - 1}-D unbatched), got ${describeInput(x)}`);
    }
    const { runningMean: rm, runningVar: rv, numBatchesTracked: nbt } = this;
    const useInputStats = (this.training && this.trainable) || !rm || !rv;
    return scope(() => {
      const x4 = x.ndim === d ? x : x.unsqueeze(0);
      const [n, c] = x4.shape;
      const rows = x4.reshape([n, c, -1]);
      let y: Tensor;
      if (useInputStats) {
        if (rows.shape[2] <= 1 && this.training)
          throw new ShapeError(this.layer, `expected more than 1 spatial element per channel when training, got input ${describeInput(x)}`);
        y = layerNorm(rows, [rows.shape[2]], { eps: this.eps });
        if (this.training && rm && rv && nbt) this.updateRunning(rows, rm, rv, nbt);
      } else {
        y = rows.sub((rm as Tensor).reshape([1, c, 1])).div((rv as Tensor).add(this.eps).sqrt().reshape([1, c, 1]));
      }
      const out = channelAffine(y.reshape(x4.shape), this.weight, this.bias);
      return x.ndim === d ? out : out.squeeze(0);
    });
  }

  private updateRunning(rows: Tensor, rm: Tensor, rv: Tensor, nbt: Tensor): void {
    noGrad(() => {
      nbt.assign(nbt.add(1));
      const mean = rows.mean(2).mean(0);
      const unbiased = rows.variance(2, { correction: 1 }).mean(0);
      // r ← r + m·(batch − r), with m = momentum, or 1/numBatchesTracked for a cumulative average
      const m = this.momentum ?? nbt.to('float32').pow(-1);
      rm.assign(rm.add(mean.sub(rm).mul(m)));
      rv.assign(rv.add(unbiased.sub(rv).mul(m)));
    });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new InstanceNorm1d(3)) // 'InstanceNorm1d(3, eps=0.00001, momentum=0.1, affine=false, trackRunningStats=false)'` */
  override extraRepr(): string {
    return `${this.numFeatures}, ${reprFields({ eps: this.eps, momentum: this.momentum, affine: this.affine, trackRunningStats: this.trackRunningStats })}`;
  }
}

/**
 * Instance normalization over [N, C, L] (or [C, L]) input, as `torch.nn.InstanceNorm1d`: each
 * (sample, channel) normalized over L. No parameters by default (`affine: false`), no running
 * statistics (`trackRunningStats: false`), as PyTorch.
 * @example
 * ```ts
 * new InstanceNorm1d(4).forward(randn([2, 4, 10])).shape; // [2, 4, 10]
 * ```
 */
export class InstanceNorm1d extends InstanceNormBase {
  /**
   * @param numFeatures channels C
   * @example
   * ```ts
   * new InstanceNorm1d(16, { affine: true });
   * ```
   */
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super('InstanceNorm1d', 1, numFeatures, opts);
  }
}

/**
 * Instance normalization over [N, C, H, W] (or [C, H, W]) input, as `torch.nn.InstanceNorm2d`:
 * each (sample, channel) normalized over H·W (style transfer's normalization). No parameters by
 * default (`affine: false`), no running statistics (`trackRunningStats: false`), as PyTorch.
 * @example
 * ```ts
 * new InstanceNorm2d(3).forward(randn([1, 3, 8, 8])).shape; // [1, 3, 8, 8]
 * ```
 */
export class InstanceNorm2d extends InstanceNormBase {
  /**
   * @param numFeatures channels C
   * @example
   * ```ts
   * new InstanceNorm2d(64, { affine: true, trackRunningStats: true });
   * ```
   */
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super('InstanceNorm2d', 2, numFeatures, opts);
  }
}
