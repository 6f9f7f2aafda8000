// Over ~400 lines: one small module class per functional loss (PyTorch's nn.*Loss), each with its
// TSDoc and example; the arithmetic lives in the functional files beside this one.
import type { Tensor } from '@aimodel/tensor';
import { checkKeys } from '../checks';
import { Module } from '../module';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
  BCE_KEYS,
  BCE_WITH_LOGITS_KEYS,
} from './binary-cross-entropy';
import { crossEntropy, type CrossEntropyOptions, nllLoss, type NllLossOptions, CROSS_ENTROPY_KEYS, NLL_LOSS_KEYS } from './cross-entropy';
import { cosineEmbeddingLoss, type CosineEmbeddingLossOptions, klDiv, type KlDivOptions, KL_DIV_KEYS, COSINE_EMBEDDING_LOSS_KEYS } from './divergence';
import type { Reduction, ReductionOptions } from './reduction';
import {
  huberLoss,
  type HuberLossOptions,
  l1Loss,
  mseLoss,
  smoothL1Loss,
  type SmoothL1LossOptions,
  MSE_LOSS_KEYS,
  L1_LOSS_KEYS,
  SMOOTH_L1_LOSS_KEYS,
  HUBER_LOSS_KEYS,
} from './regression';

// Loss modules: options fixed in the constructor, forward(input, target) calls the function form.
// Tensor options (class weights) are fields, so they appear in stateDict() under PyTorch's names
// (`weight`, `pos_weight`) and move with `to(device)`.

/**
 * Module form of {@link mseLoss}.
 * @example
 * ```ts
 * const prediction = randn([4, 2]);
 * const target = randn([4, 2]);
 * const loss = new MSELoss().forward(prediction, target);
 * ```
 */
export class MSELoss extends Module {
  /**
   * How the per-element losses are combined: 'mean', 'sum' or 'none'.
   * @example
   * ```ts
   * new MSELoss({ reduction: 'sum' }).reduction; // 'sum'
   * ```
   */
  readonly reduction: Reduction;
  /**
   * @param opts `reduction` (default 'mean')
   * @example
   * ```ts
   * const criterion = new MSELoss();
   * ```
   */
  constructor(opts: ReductionOptions = {}) {
    super();
    checkKeys('MSELoss', opts, MSE_LOSS_KEYS);
    this.reduction = opts.reduction ?? 'mean';
  }
  /**
   * Mean squared error between `input` and `target` (same shape), reduced as `reduction`.
   * @example
   * ```ts
   * new MSELoss().forward(tensor([1, 2]), tensor([1, 4])); // 2
   * ```
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Module form of {@link l1Loss}.
 * @example
 * ```ts
 * const prediction = randn([4, 2]);
 * const target = randn([4, 2]);
 * new L1Loss({ reduction: 'sum' }).forward(prediction, target);
 * ```
 */
export class L1Loss extends Module {
  /**
   * How the per-element losses are combined: 'mean', 'sum' or 'none'.
   * @example
   * ```ts
   * new L1Loss({ reduction: 'sum' }).reduction; // 'sum'
   * ```
   */
  readonly reduction: Reduction;
  /**
   * @param opts `reduction` (default 'mean')
   * @example
   * ```ts
   * const criterion = new L1Loss({ reduction: 'none' });
   * ```
   */
  constructor(opts: ReductionOptions = {}) {
    super();
    checkKeys('L1Loss', opts, L1_LOSS_KEYS);
    this.reduction = opts.reduction ?? 'mean';
  }
  /**
   * Absolute error between `input` and `target` (same shape), reduced as `reduction`.
   * @example
   * ```ts
   * new L1Loss().forward(tensor([1, 2]), tensor([1, 4])); // 1
   * ```
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * Module form of {@link smoothL1Loss}.
 * @example
 * ```ts
 * const prediction = randn([4, 2]);
 * const target = randn([4, 2]);
 * new SmoothL1Loss({ beta: 0.5 }).forward(prediction, target);
 * ```
 */
export class SmoothL1Loss extends Module {
  /**
   * How the per-element losses are combined: 'mean', 'sum' or 'none'.
   * @example
   * ```ts
   * new SmoothL1Loss({ reduction: 'sum' }).reduction; // 'sum'
   * ```
   */
  readonly reduction: Reduction;
  /**
   * Where the loss turns from quadratic to linear.
   * @example
   * ```ts
   * new SmoothL1Loss({ beta: 0.5 }).beta; // 0.5
   * ```
   */
  readonly beta: number;
  /**
   * @param opts `beta` (default 1) and `reduction` (default 'mean')
   * @example
   * ```ts
   * const criterion = new SmoothL1Loss({ beta: 0.5 });
   * ```
   */
  constructor(opts: SmoothL1LossOptions = {}) {
    super();
    checkKeys('SmoothL1Loss', opts, SMOOTH_L1_LOSS_KEYS);
    this.reduction = opts.reduction ?? 'mean';
    this.beta = opts.beta ?? 1;
  }
  /**
   * Smooth L1 loss between `input` and `target` (same shape): quadratic below `beta`, linear above.
   * @example
   * ```ts
   * new SmoothL1Loss().forward(tensor([0, 0]), tensor([0.5, 3])); // (0.125 + 2.5) / 2
   * ```
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * Module form of {@link huberLoss}.
 * @example
 * ```ts
 * const prediction = randn([4, 2]);
 * const target = randn([4, 2]);
 * new HuberLoss({ delta: 2 }).forward(prediction, target);
 * ```
 */
export class HuberLoss extends Module {
  /**
   * How the per-element losses are combined: 'mean', 'sum' or 'none'.
   * @example
   * ```ts
   * new HuberLoss({ reduction: 'sum' }).reduction; // 'sum'
   * ```
   */
  readonly reduction: Reduction;
  /**
   * Where the loss turns from quadratic to linear.
   * @example
   * ```ts
   * new HuberLoss({ delta: 2 }).delta; // 2
   * ```
   */
  readonly delta: number;
  /**
   * @param opts `delta` (default 1) and `reduction` (default 'mean')
   * @example
   * ```ts
   * const criterion = new HuberLoss({ delta: 2 });
   * ```
   */
  constructor(opts: HuberLossOptions = {}) {
    super();
    checkKeys('HuberLoss', opts, HUBER_LOSS_KEYS);
    this.reduction = opts.reduction ?? 'mean';
    this.delta = opts.delta ?? 1;
  }
  /**
   * Huber loss between `input` and `target` (same shape): quadratic below `delta`, linear above.
   * @example
   * ```ts
   * new HuberLoss().forward(tensor([0, 0]), tensor([0.5, 3])); // (0.125 + 2.5) / 2
   * ```
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * Module form of {@link crossEntropy}; `weight` is a buffer (state-dict key `weight`).
 * @example
 * ```ts
 * const logits = randn([4, 3], { requiresGrad: true });
 * const labels = tensor([0, 2, 1, 2], { dtype: 'int32' });
 * const criterion = new CrossEntropyLoss({ labelSmoothing: 0.1 });
 * criterion.forward(logits, labels).backward();
 * ```
 */
export class CrossEntropyLoss extends Module {
  /**
   * Per-class weights [C] (a buffer, key `weight`), or null.
   * @example
   * ```ts
   * new CrossEntropyLoss({ weight: tensor([1, 3]) }).weight!.shape; // [2]
   * ```
   */
  weight: Tensor | null;
  /**
   * How the per-element losses are combined: 'mean', 'sum' or 'none'.
   * @example
   * ```ts
   * new CrossEntropyLoss({ reduction: 'sum' }).reduction; // 'sum'
   * ```
   */
  readonly reduction: Reduction;
  /**
   * Target value that contributes nothing (default −100).
   * @example
   * ```ts
   * new CrossEntropyLoss({ ignoreIndex: 0 }).ignoreIndex; // 0
   * ```
   */
  readonly ignoreIndex: number;
  /**
   * Label smoothing ε in [0, 1] (default 0).
   * @example
   * ```ts
   * new CrossEntropyLoss({ labelSmoothing: 0.1 }).labelSmoothing; // 0.1
   * ```
   */
  readonly labelSmoothing: number;
  /**
   * @param opts `weight`, `ignoreIndex`, `labelSmoothing` and `reduction`, as {@link crossEntropy}
   * @example
   * ```ts
   * const criterion = new CrossEntropyLoss({ weight: tensor([1, 2, 1]), ignoreIndex: -1 });
   * ```
   */
  constructor(opts: CrossEntropyOptions = {}) {
    super();
    checkKeys('CrossEntropyLoss', opts, CROSS_ENTROPY_KEYS);
    this.weight = opts.weight ?? null;
    this.reduction = opts.reduction ?? 'mean';
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  /**
   * Cross-entropy of logits `input` [N, C] against class indices [N] or probabilities [N, C].
   * @example
   * ```ts
   * new CrossEntropyLoss().forward(tensor([[2, 0, -1]]), tensor([0], { dtype: 'int32' })); // ≈ 0.1698
   * ```
   */
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, reduction, ignoreIndex, labelSmoothing } = this;
    return crossEntropy(input, target, { weight, reduction, ignoreIndex, labelSmoothing });
  }
}

/**
 * Module form of {@link nllLoss}; `weight` is a buffer.
 * @example
 * ```ts
 * const logits = randn([4, 3]);
 * const labels = tensor([0, 2, 1, 2], { dtype: 'int32' });
 * new NLLLoss({ ignoreIndex: 0 }).forward(logSoftmax(logits, 1), labels);
 * ```
 */
export class NLLLoss extends Module {
  /**
   * Per-class weights [C] (a buffer, key `weight`), or null.
   * @example
   * ```ts
   * new NLLLoss({ weight: tensor([1, 3]) }).weight!.shape; // [2]
   * ```
   */
  weight: Tensor | null;
  /**
   * How the per-element losses are combined: 'mean', 'sum' or 'none'.
   * @example
   * ```ts
   * new NLLLoss({ reduction: 'sum' }).reduction; // 'sum'
   * ```
   */
  readonly reduction: Reduction;
  /**
   * Target value that contributes nothing (default −100).
   * @example
   * ```ts
   * new NLLLoss({ ignoreIndex: 0 }).ignoreIndex; // 0
   * ```
   */
  readonly ignoreIndex: number;
  /**
   * @param opts `weight`, `ignoreIndex` and `reduction`, as {@link nllLoss}
   * @example
   * ```ts
   * const criterion = new NLLLoss({ ignoreIndex: 0 });
   * ```
   */
  constructor(opts: NllLossOptions = {}) {
    super();
    checkKeys('NLLLoss', opts, NLL_LOSS_KEYS);
    this.weight = opts.weight ?? null;
    this.reduction = opts.reduction ?? 'mean';
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  /**
   * Negative log-likelihood of log-probabilities `input` [N, C] at class indices `target` [N].
   * @example
   * ```ts
   * const logits = randn([4, 3]);
   * const labels = tensor([0, 2, 1, 2], { dtype: 'int32' });
   * new NLLLoss().forward(logSoftmax(logits, 1), labels);
   * ```
   */
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, reduction, ignoreIndex } = this;
    return nllLoss(input, target, { weight, reduction, ignoreIndex });
  }
}

/**
 * Module form of {@link binaryCrossEntropy}; `weight` is a buffer.
 * @example
 * ```ts
 * const logits = randn([4]);
 * const labels = tensor([1, 0, 0, 1]);
 * new BCELoss().forward(logits.sigmoid(), labels);
 * ```
 */
export class BCELoss extends Module {
  /**
   * Per-element rescaling weight (a buffer, key `weight`), or null.
   * @example
   * ```ts
   * new BCELoss({ weight: tensor([1, 2]) }).weight!.shape; // [2]
   * ```
   */
  weight: Tensor | null;
  /**
   * How the per-element losses are combined: 'mean', 'sum' or 'none'.
   * @example
   * ```ts
   * new BCELoss({ reduction: 'sum' }).reduction; // 'sum'
   * ```
   */
  readonly reduction: Reduction;
  /**
   * @param opts `weight` and `reduction`, as {@link binaryCrossEntropy}
   * @example
   * ```ts
   * const criterion = new BCELoss({ reduction: 'sum' });
   * ```
   */
  constructor(opts: BinaryCrossEntropyOptions = {}) {
    super();
    checkKeys('BCELoss', opts, BCE_KEYS);
    this.weight = opts.weight ?? null;
    this.reduction = opts.reduction ?? 'mean';
  }
  /**
   * Binary cross-entropy of probabilities `input` in [0, 1] against targets in [0, 1] (same shape).
   * @example
   * ```ts
   * new BCELoss().forward(tensor([0.8, 0.1]), tensor([1, 0])); // ≈ 0.1643
   * ```
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Module form of {@link binaryCrossEntropyWithLogits}; `weight` and `posWeight` are buffers
 * (state-dict keys `weight`, `pos_weight`).
 * @example
 * ```ts
 * const logits = randn([4]);
 * const labels = tensor([1, 0, 0, 1]);
 * new BCEWithLogitsLoss({ posWeight: tensor([3]) }).forward(logits, labels);
 * ```
 */
export class BCEWithLogitsLoss extends Module {
  /**
   * Per-element rescaling weight (a buffer, key `weight`), or null.
   * @example
   * ```ts
   * new BCEWithLogitsLoss({ weight: tensor([1, 2]) }).weight!.shape; // [2]
   * ```
   */
  weight: Tensor | null;
  /**
   * Weight of the positive examples, per class (a buffer, key `pos_weight`), or null.
   * @example
   * ```ts
   * new BCEWithLogitsLoss({ posWeight: tensor([3]) }).posWeight!.shape; // [1]
   * ```
   */
  posWeight: Tensor | null;
  /**
   * How the per-element losses are combined: 'mean', 'sum' or 'none'.
   * @example
   * ```ts
   * new BCEWithLogitsLoss({ reduction: 'sum' }).reduction; // 'sum'
   * ```
   */
  readonly reduction: Reduction;
  /**
   * @param opts `weight`, `posWeight` and `reduction`, as {@link binaryCrossEntropyWithLogits}
   * @example
   * ```ts
   * const criterion = new BCEWithLogitsLoss({ posWeight: tensor([3]) });
   * ```
   */
  constructor(opts: BinaryCrossEntropyWithLogitsOptions = {}) {
    super();
    checkKeys('BCEWithLogitsLoss', opts, BCE_WITH_LOGITS_KEYS);
    this.weight = opts.weight ?? null;
    this.posWeight = opts.posWeight ?? null;
    this.reduction = opts.reduction ?? 'mean';
  }
  /**
   * Binary cross-entropy of logits `input` against targets in [0, 1] (same shape), computed stably.
   * @example
   * ```ts
   * new BCEWithLogitsLoss().forward(tensor([2, -1]), tensor([1, 0]));
   * ```
   */
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, posWeight, reduction } = this;
    return binaryCrossEntropyWithLogits(input, target, { weight, posWeight, reduction });
  }
}

/**
 * Module form of {@link klDiv}.
 * @example
 * ```ts
 * const student = randn([4, 10]);
 * const teacher = randn([4, 10]);
 * new KLDivLoss({ reduction: 'batchmean' }).forward(logSoftmax(student, 1), softmax(teacher, 1));
 * ```
 */
export class KLDivLoss extends Module {
  /**
   * How the pointwise terms are combined: 'mean', 'batchmean', 'sum' or 'none'.
   * @example
   * ```ts
   * new KLDivLoss({ reduction: 'batchmean' }).reduction; // 'batchmean'
   * ```
   */
  readonly reduction: NonNullable<KlDivOptions['reduction']>;
  /**
   * Whether `target` holds log-probabilities (default false).
   * @example
   * ```ts
   * new KLDivLoss({ logTarget: true }).logTarget; // true
   * ```
   */
  readonly logTarget: boolean;
  /**
   * @param opts `reduction` (`'batchmean'` gives the mathematical KL divergence) and `logTarget`, as {@link klDiv}
   * @example
   * ```ts
   * const criterion = new KLDivLoss({ reduction: 'batchmean' });
   * ```
   */
  constructor(opts: KlDivOptions = {}) {
    super();
    checkKeys('KLDivLoss', opts, KL_DIV_KEYS);
    this.reduction = opts.reduction ?? 'mean';
    this.logTarget = opts.logTarget ?? false;
  }
  /**
   * KL divergence of the distribution `target` from log-probabilities `input` (same shape).
   * @example
   * ```ts
   * const student = randn([4, 10]);
   * const teacher = randn([4, 10]);
   * new KLDivLoss({ reduction: 'batchmean' }).forward(logSoftmax(student, 1), softmax(teacher, 1));
   * ```
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/**
 * Module form of {@link cosineEmbeddingLoss}: `forward(x1, x2, y)`.
 * @example
 * ```ts
 * const a = randn([2, 8]);
 * const b = randn([2, 8]);
 * new CosineEmbeddingLoss({ margin: 0.2 }).forward(a, b, tensor([1, -1]));
 * ```
 */
export class CosineEmbeddingLoss extends Module {
  /**
   * How the per-element losses are combined: 'mean', 'sum' or 'none'.
   * @example
   * ```ts
   * new CosineEmbeddingLoss({ reduction: 'sum' }).reduction; // 'sum'
   * ```
   */
  readonly reduction: Reduction;
  /**
   * Cosine similarity below which dissimilar pairs cost nothing (default 0).
   * @example
   * ```ts
   * new CosineEmbeddingLoss({ margin: 0.5 }).margin; // 0.5
   * ```
   */
  readonly margin: number;
  /**
   * @param opts `margin` (default 0) and `reduction`, as {@link cosineEmbeddingLoss}
   * @example
   * ```ts
   * const criterion = new CosineEmbeddingLoss({ margin: 0.2 });
   * ```
   */
  constructor(opts: CosineEmbeddingLossOptions = {}) {
    super();
    checkKeys('CosineEmbeddingLoss', opts, COSINE_EMBEDDING_LOSS_KEYS);
    this.reduction = opts.reduction ?? 'mean';
    this.margin = opts.margin ?? 0;
  }
  /**
   * For `y` = 1: 1 − cos(x1, x2); for `y` = −1: max(0, cos(x1, x2) − margin); rows of x1, x2 [N, D], y [N].
   * @example
   * ```ts
   * new CosineEmbeddingLoss().forward(tensor([[1, 0]]), tensor([[0, 1]]), tensor([1])); // 1
   * ```
   */
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return cosineEmbeddingLoss(x1, x2, y, { margin: this.margin, reduction: this.reduction });
  }
}
