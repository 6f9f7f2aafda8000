/**
 * Optimizers (SGD, Adam, AdamW, RMSprop, Adagrad, …) and learning-rate schedulers with PyTorch's update rules, running on the tensors' device.
 * @packageDocumentation
 * @module @aimodel/optim
 */

// Public API of @aimodel/optim: explicit exports, grouped; no logic here.

// optimizers
export { Optimizer } from './optimizer';
export type {
  OptimizerOptions,
  ParamGroup,
  ParamGroupInput,
  OptimizerParams,
  ParamState,
  OptimizerStateDict,
  ZeroGradOptions,
} from './optimizer';
export { SGD, type SGDOptions, type SGDState } from './sgd';
export { Adam, type AdamOptions, type AdamState } from './adam';
export { AdamW, type AdamWOptions } from './adamw';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop';
export { Adagrad, type AdagradOptions, type AdagradState } from './adagrad';
export { NAdam, type NAdamOptions, type NAdamState } from './nadam';
export { RAdam, type RAdamOptions, type RAdamState } from './radam';
export { Adamax, type AdamaxOptions, type AdamaxState } from './adamax';
export { Adadelta, type AdadeltaOptions, type AdadeltaState } from './adadelta';
export { LBFGS, type LBFGSOptions, type LBFGSClosure, type LBFGSState } from './lbfgs';

// learning-rate schedulers
export { LRScheduler, type LRSchedulerOptions, type SchedulerStateDict } from './lr-scheduler/lr-scheduler';
export { StepLR, type StepLROptions } from './lr-scheduler/step-lr';
export { MultiStepLR, type MultiStepLROptions } from './lr-scheduler/multi-step-lr';
export { ExponentialLR, type ExponentialLROptions } from './lr-scheduler/exponential-lr';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './lr-scheduler/cosine-annealing-lr';
export { LinearLR, type LinearLROptions } from './lr-scheduler/linear-lr';
export { OneCycleLR, type OneCycleLROptions } from './lr-scheduler/one-cycle-lr';
export { LambdaLR, type LambdaLROptions, type LrLambda } from './lr-scheduler/lambda-lr';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './lr-scheduler/reduce-lr-on-plateau';
export { CosineAnnealingWarmRestarts, type CosineAnnealingWarmRestartsOptions } from './lr-scheduler/cosine-annealing-warm-restarts';
export { CyclicLR, type CyclicLROptions } from './lr-scheduler/cyclic-lr';
export { PolynomialLR, type PolynomialLROptions } from './lr-scheduler/polynomial-lr';
export { ConstantLR, type ConstantLROptions } from './lr-scheduler/constant-lr';
export { MultiplicativeLR, type MultiplicativeLROptions } from './lr-scheduler/multiplicative-lr';
export { SequentialLR, type SequentialLROptions } from './lr-scheduler/sequential-lr';
export { ChainedScheduler } from './lr-scheduler/chained-scheduler';

// gradient clipping
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip-grad';
