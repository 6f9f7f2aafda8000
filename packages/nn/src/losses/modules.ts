import type { Tensor } from '@aimodel/tensor';
import { Module } from '../module';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, type BinaryCrossEntropyOptions, type BinaryCrossEntropyWithLogitsOptions } from './binary-cross-entropy';
import { crossEntropy, type CrossEntropyOptions, nllLoss, type NllLossOptions } from './cross-entropy';
import { cosineEmbeddingLoss, type CosineEmbeddingLossOptions, klDiv, type KlDivOptions } from './divergence';
import type { Reduction, ReductionOptions } from './reduction';
import { huberLoss, type HuberLossOptions, l1Loss, mseLoss, smoothL1Loss, type SmoothL1LossOptions } from './regression';

// Loss modules: options fixed in the constructor, forward(input, target) calls the function form.
// Tensor options (class weights) are fields, so they appear in stateDict() under PyTorch's names
// (`weight`, `pos_weight`) and move with `to(device)`.

/**
 * Module form of {@link mseLoss}.
 * @example
 * ```ts
 * const loss = new MSELoss().forward(prediction, target);
 * ```
 */
export class MSELoss extends Module {
  readonly reduction: Reduction;
  constructor(opts: ReductionOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Module form of {@link l1Loss}.
 * @example
 * ```ts
 * new L1Loss({ reduction: 'sum' }).forward(prediction, target);
 * ```
 */
export class L1Loss extends Module {
  readonly reduction: Reduction;
  constructor(opts: ReductionOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * Module form of {@link smoothL1Loss}.
 * @example
 * ```ts
 * new SmoothL1Loss({ beta: 0.5 }).forward(prediction, target);
 * ```
 */
export class SmoothL1Loss extends Module {
  readonly reduction: Reduction;
  readonly beta: number;
  constructor(opts: SmoothL1LossOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.beta = opts.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * Module form of {@link huberLoss}.
 * @example
 * ```ts
 * new HuberLoss({ delta: 2 }).forward(prediction, target);
 * ```
 */
export class HuberLoss extends Module {
  readonly reduction: Reduction;
  readonly delta: number;
  constructor(opts: HuberLossOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.delta = opts.delta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * Module form of {@link crossEntropy}; `weight` is a buffer (state-dict key `weight`).
 * @example
 * ```ts
 * const criterion = new CrossEntropyLoss({ labelSmoothing: 0.1 });
 * criterion.forward(logits, labels).backward();
 * ```
 */
export class CrossEntropyLoss extends Module {
  weight: Tensor | null;
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: CrossEntropyOptions = {}) {
    super();
    this.weight = opts.weight ?? null;
    this.reduction = opts.reduction ?? 'mean';
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, reduction, ignoreIndex, labelSmoothing } = this;
    return crossEntropy(input, target, { weight, reduction, ignoreIndex, labelSmoothing });
  }
}

/**
 * Module form of {@link nllLoss}; `weight` is a buffer.
 * @example
 * ```ts
 * new NLLLoss({ ignoreIndex: 0 }).forward(logSoftmax(logits, 1), labels);
 * ```
 */
export class NLLLoss extends Module {
  weight: Tensor | null;
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  constructor(opts: NllLossOptions = {}) {
    super();
    this.weight = opts.weight ?? null;
    this.reduction = opts.reduction ?? 'mean';
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, reduction, ignoreIndex } = this;
    return nllLoss(input, target, { weight, reduction, ignoreIndex });
  }
}

/**
 * Module form of {@link binaryCrossEntropy}; `weight` is a buffer.
 * @example
 * ```ts
 * new BCELoss().forward(logits.sigmoid(), labels);
 * ```
 */
export class BCELoss extends Module {
  weight: Tensor | null;
  readonly reduction: Reduction;
  constructor(opts: BinaryCrossEntropyOptions = {}) {
    super();
    this.weight = opts.weight ?? null;
    this.reduction = opts.reduction ?? 'mean';
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Module form of {@link binaryCrossEntropyWithLogits}; `weight` and `posWeight` are buffers
 * (state-dict keys `weight`, `pos_weight`).
 * @example
 * ```ts
 * new BCEWithLogitsLoss({ posWeight: tensor([3]) }).forward(logits, labels);
 * ```
 */
export class BCEWithLogitsLoss extends Module {
  weight: Tensor | null;
  posWeight: Tensor | null;
  readonly reduction: Reduction;
  constructor(opts: BinaryCrossEntropyWithLogitsOptions = {}) {
    super();
    this.weight = opts.weight ?? null;
    this.posWeight = opts.posWeight ?? null;
    this.reduction = opts.reduction ?? 'mean';
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, posWeight, reduction } = this;
    return binaryCrossEntropyWithLogits(input, target, { weight, posWeight, reduction });
  }
}

/**
 * Module form of {@link klDiv}.
 * @example
 * ```ts
 * new KLDivLoss({ reduction: 'batchmean' }).forward(logSoftmax(student, 1), softmax(teacher, 1));
 * ```
 */
export class KLDivLoss extends Module {
  readonly reduction: NonNullable<KlDivOptions['reduction']>;
  readonly logTarget: boolean;
  constructor(opts: KlDivOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.logTarget = opts.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/**
 * Module form of {@link cosineEmbeddingLoss}: `forward(x1, x2, y)`.
 * @example
 * ```ts
 * new CosineEmbeddingLoss({ margin: 0.2 }).forward(a, b, tensor([1, -1]));
 * ```
 */
export class CosineEmbeddingLoss extends Module {
  readonly reduction: Reduction;
  readonly margin: number;
  constructor(opts: CosineEmbeddingLossOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.margin = opts.margin ?? 0;
  }
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return cosineEmbeddingLoss(x1, x2, y, { margin: this.margin, reduction: this.reduction });
  }
}
