import { ArgumentError, batchNorm, keep, layerNorm, noGrad, ones, ShapeError, scope, Tensor, zeros } from '@aimodel/tensor';
import { checkKeys, checkPositiveInt, checkTensor, describeInput, fmtShape } from '../checks';
import { Module } from '../module';
import { reprFields, reprValue } from '../summary';
import { Parameter } from '../parameter';

/**
 * Options of {@link BatchNorm1d} and {@link BatchNorm2d} (PyTorch's names and defaults).
 * @example
 * ```ts
 * new BatchNorm2d(64, { momentum: 0.01, eps: 1e-3 });
 * ```
 */
export interface BatchNormLayerOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /** Running-statistics update rate (default 0.1): r ← (1 − m)·r + m·batch; null for a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` (γ, init 1) and shift `bias` (β, init 0) (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them batch statistics are always used. */
  trackRunningStats?: boolean;
}

/**
 * Options of {@link LayerNorm}.
 * @example
 * ```ts
 * new LayerNorm(512, { eps: 1e-6, bias: false });
 * ```
 */
export interface LayerNormLayerOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /** Learn an elementwise scale `weight` (init 1) and shift `bias` (init 0) (default true). */
  elementwiseAffine?: boolean;
  /** Learn the shift `bias` when `elementwiseAffine` (default true). */
  bias?: boolean;
}

function checkEps(layer: string, eps: number): void {
  if (typeof eps !== 'number' || !(eps > 0)) throw new ArgumentError(layer, `eps must be a positive number, got ${eps}`);
}

/**
 * @internal The fields and checks shared by the batch and instance norms (PyTorch's `_NormBase`):
 * per-channel affine parameters and running statistics, each optional.
 */
export abstract class RunningNormBase extends Module {
  /** Learnable per-channel scale γ [numFeatures] (init 1), or null when not `affine`. @example `new BatchNorm1d(4).weight!.shape // [4]` */
  weight: Parameter | null;
  /** Learnable per-channel shift β [numFeatures] (init 0), or null when not `affine`. @example `new BatchNorm1d(4, { affine: false }).bias // null` */
  bias: Parameter | null;
  /** Running mean [numFeatures] (init 0; key `running_mean`), or null without `trackRunningStats`. @example `Object.keys(new BatchNorm1d(4).stateDict()).includes('running_mean') // true` */
  runningMean: Tensor | null;
  /** Running unbiased variance [numFeatures] (init 1; key `running_var`), or null without `trackRunningStats`. @example `new BatchNorm1d(4).runningVar!.shape // [4]` */
  runningVar: Tensor | null;
  /** Training batches seen, int32 0-d (key `num_batches_tracked`), or null without `trackRunningStats`. @example `new BatchNorm1d(4).numBatchesTracked!.dtype // 'int32'` */
  numBatchesTracked: Tensor | null;
  /** Number of channels C. @example `new BatchNorm2d(16).numFeatures // 16` */
  readonly numFeatures: number;
  /** Added to the variance. @example `new BatchNorm2d(16).eps // 1e-5` */
  readonly eps: number;
  /** Running-statistics update rate (null: cumulative average). @example `new BatchNorm2d(16, { momentum: 0.01 }).momentum // 0.01` */
  readonly momentum: number | null;
  /** Whether `weight` and `bias` exist. @example `new BatchNorm2d(16, { affine: false }).affine // false` */
  readonly affine: boolean;
  /** Whether running statistics exist. @example `new BatchNorm2d(16, { trackRunningStats: false }).runningMean // null` */
  readonly trackRunningStats: boolean;

  protected constructor(
    protected readonly layer: string,
    numFeatures: number,
    opts: BatchNormLayerOptions,
    defaults: { affine: boolean; trackRunningStats: boolean },
  ) {
    super();
    checkKeys(layer, opts, ['eps', 'momentum', 'affine', 'trackRunningStats']);
    const { eps = 1e-5, momentum = 0.1, affine = defaults.affine, trackRunningStats = defaults.trackRunningStats } = opts;
    checkPositiveInt(layer, 'numFeatures', numFeatures);
    checkEps(layer, eps);
    if (momentum !== null && !(typeof momentum === 'number' && momentum >= 0 && momentum <= 1)) {
      throw new ArgumentError(layer, `momentum must be in [0, 1] or null, got ${momentum}`);
    }
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    this.weight = affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures])) : null;
    this.runningMean = trackRunningStats ? keep(zeros([numFeatures])) : null;
    this.runningVar = trackRunningStats ? keep(ones([numFeatures])) : null;
    this.numBatchesTracked = trackRunningStats ? keep(zeros([], { dtype: 'int32' })) : null;
  }
}

/** The train/eval logic shared by BatchNorm1d and BatchNorm2d. */
abstract class BatchNormBase extends RunningNormBase {
  protected constructor(layer: string, numFeatures: number, opts: BatchNormLayerOptions) {
    super(layer, numFeatures, opts, { affine: true, trackRunningStats: true });
  }

  /** Throw a ShapeError naming the expected layout unless `x` fits. */
  protected abstract checkInput(x: Tensor): void;

  /**
   * Normalize per channel. Training: with the batch mean and biased variance, updating the
   * running statistics (r ← (1 − momentum)·r + momentum·batch, unbiased variance) and
   * `numBatchesTracked`. Evaluation: with the running statistics (batch statistics when
   * `trackRunningStats` is false), also in training mode when the layer is not
   * {@link Module.trainable} (Keras's frozen batch norm). Then scale by `weight` and shift by `bias`.
   * @example
   * ```ts
   * const bn = new BatchNorm1d(3);
   * bn.forward(randn([16, 3])).shape; // [16, 3]; bn.runningMean moved 10% towards the batch mean
   * ```
   */
  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    const { runningMean: rm, runningVar: rv, numBatchesTracked: nbt } = this;
    const affine = { weight: this.weight, bias: this.bias, eps: this.eps };
    // a layer frozen Keras's way (trainable = false) normalises as in evaluation mode
    const training = this.training && this.trainable;
    if (!training && rm && rv) return batchNorm(x, rm, rv, { ...affine, training: false });
    const count = x.numel() / this.numFeatures;
    if (count <= 1) throw new ShapeError(this.layer, `expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
    if (!training || !rm || !rv || !nbt) return batchNorm(x, null, null, { ...affine, training: true });
    noGrad(() => scope(() => void nbt.assign(nbt.add(1))));
    if (this.momentum !== null) return batchNorm(x, rm, rv, { ...affine, training: true, momentum: this.momentum });
    // cumulative average: r ← r + (batch − r) / numBatchesTracked, with the batch statistics
    // taken from a momentum-1 update of scratch statistics
    return scope(() => {
      const batchMean = zeros([this.numFeatures], { device: x.device });
      const batchVar = ones([this.numFeatures], { device: x.device });
      const y = batchNorm(x, batchMean, batchVar, { ...affine, training: true, momentum: 1 });
      noGrad(() => {
        const n = nbt.to('float32');
        rm.assign(rm.add(batchMean.sub(rm).div(n)));
        rv.assign(rv.add(batchVar.sub(rv).div(n)));
      });
      return y;
    });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new BatchNorm1d(8)) // 'BatchNorm1d(8, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)'` */
  override extraRepr(): string {
    return `${this.numFeatures}, ${reprFields({ eps: this.eps, momentum: this.momentum, affine: this.affine, trackRunningStats: this.trackRunningStats })}`;
  }
}

/**
 * Batch normalization over [N, C] or [N, C, L] input, as `torch.nn.BatchNorm1d`:
 * y = (x − E[x]) / √(Var[x] + eps) · γ + β per channel C, with statistics over N (and L).
 *
 * Shapes: [N, numFeatures] or [N, numFeatures, L] → same shape. Parameters `weight`, `bias`
 * [numFeatures]; buffers `running_mean`, `running_var` [numFeatures] and
 * `num_batches_tracked` (int32 scalar), the same keys as PyTorch.
 * @example
 * ```ts
 * const bn = new BatchNorm1d(4);
 * bn.forward(randn([32, 4])).shape; // [32, 4]
 * Object.keys(bn.stateDict()); // ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
 * ```
 */
export class BatchNorm1d extends BatchNormBase {
  /**
   * @param numFeatures channels C
   * @example
   * ```ts
   * new BatchNorm1d(128, { affine: false });
   * ```
   */
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super('BatchNorm1d', numFeatures, opts);
  }

  protected override checkInput(x: Tensor): void {
    if (!(x instanceof Tensor) || (x.ndim !== 2 && x.ndim !== 3) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError('BatchNorm1d', `expected 2-D input [N, C=${this.numFeatures}] or 3-D input [N, C=${this.numFeatures}, L], got ${describeInput(x)}`);
    }
  }
}

/**
 * Batch normalization over [N, C, H, W] images, as `torch.nn.BatchNorm2d`:
 * y = (x − E[x]) / √(Var[x] + eps) · γ + β per channel C, with statistics over N, H and W.
 *
 * Shapes: [N, numFeatures, H, W] → same shape. Parameters `weight`, `bias` [numFeatures];
 * buffers `running_mean`, `running_var` [numFeatures] and `num_batches_tracked` (int32 scalar).
 * @example
 * ```ts
 * const bn = new BatchNorm2d(16);
 * bn.forward(randn([8, 16, 5, 5])).shape; // [8, 16, 5, 5]
 * bn.eval(); // now normalizes with running_mean / running_var
 * ```
 */
export class BatchNorm2d extends BatchNormBase {
  /**
   * @param numFeatures channels C
   * @example
   * ```ts
   * new BatchNorm2d(64, { momentum: null }); // cumulative running average
   * ```
   */
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super('BatchNorm2d', numFeatures, opts);
  }

  protected override checkInput(x: Tensor): void {
    if (!(x instanceof Tensor) || x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw new ShapeError('BatchNorm2d', `expected 4-D input [N, C=${this.numFeatures}, H, W], got ${describeInput(x)}`);
    }
  }
}

/**
 * Layer normalization over the trailing `normalizedShape` dims, as `torch.nn.LayerNorm`:
 * y = (x − E[x]) / √(Var[x] + eps) · weight + bias, statistics (biased variance) per sample.
 *
 * Shapes: `[*, …normalizedShape]` → same shape. Parameters `weight` and `bias` with
 * `normalizedShape` (init 1 and 0).
 * @example
 * ```ts
 * const ln = new LayerNorm(3);
 * ln.forward(tensor([[1, 2, 3]])); // ≈ [[-1.2247, 0, 1.2247]]
 * ```
 */
export class LayerNorm extends Module {
  /** Learnable elementwise scale (init 1), or null without `elementwiseAffine`. @example `new LayerNorm(8).weight!.shape // [8]` */
  weight: Parameter | null;
  /** Learnable elementwise shift (init 0), or null without `elementwiseAffine` or `bias`. @example `new LayerNorm(8, { bias: false }).bias // null` */
  bias: Parameter | null;
  /** The trailing dims normalized over. @example `new LayerNorm(8).normalizedShape // [8]` */
  readonly normalizedShape: number[];
  /** Added to the variance. @example `new LayerNorm(8, { eps: 1e-6 }).eps // 1e-6` */
  readonly eps: number;
  /** Whether `weight` (and `bias`) exist. @example `new LayerNorm(8, { elementwiseAffine: false }).weight // null` */
  readonly elementwiseAffine: boolean;

  /**
   * @param normalizedShape size of the last dim, or the sizes of the trailing dims
   * @example
   * ```ts
   * new LayerNorm([8, 8], { elementwiseAffine: false });
   * ```
   */
  constructor(normalizedShape: number | readonly number[], opts: LayerNormLayerOptions = {}) {
    super();
    checkKeys('LayerNorm', opts, ['eps', 'elementwiseAffine', 'bias']);
    const { eps = 1e-5, elementwiseAffine = true, bias = true } = opts;
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : [];
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ArgumentError('LayerNorm', `normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
    }
    checkEps('LayerNorm', eps);
    this.normalizedShape = shape;
    this.eps = eps;
    this.elementwiseAffine = elementwiseAffine;
    this.weight = elementwiseAffine ? new Parameter(ones(shape)) : null;
    this.bias = elementwiseAffine && bias ? new Parameter(zeros(shape)) : null;
  }

  /**
   * Normalize `x` `[*, …normalizedShape]` over its trailing dims.
   * @example
   * ```ts
   * new LayerNorm(4).forward(randn([2, 5, 4])).shape; // [2, 5, 4]
   * ```
   */
  override forward(x: Tensor): Tensor {
    checkTensor('LayerNorm', x);
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  /** PyTorch's extra_repr, in our names. @example `String(new LayerNorm(8)) // 'LayerNorm([8], eps=0.00001, elementwiseAffine=true)'` */
  override extraRepr(): string {
    return `${reprValue(this.normalizedShape)}, ${reprFields({ eps: this.eps, elementwiseAffine: this.elementwiseAffine })}`;
  }
}
