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
export { SGD } from './sgd';
export type { SGDOptions, SGDState } from './sgd';
export { Adam } from './adam';
export type { AdamOptions, AdamState } from './adam';
export { AdamW } from './adamw';
export type { AdamWOptions } from './adamw';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions, RMSpropState } from './rmsprop';
export { Adagrad } from './adagrad';
export type { AdagradOptions, AdagradState } from './adagrad';
export { NAdam } from './nadam';
export type { NAdamOptions, NAdamState } from './nadam';
export { RAdam } from './radam';
export type { RAdamOptions, RAdamState } from './radam';
export { Adamax } from './adamax';
export type { AdamaxOptions, AdamaxState } from './adamax';
export { Adadelta } from './adadelta';
export type { AdadeltaOptions, AdadeltaState } from './adadelta';
export { LBFGS } from './lbfgs';
export type { LBFGSOptions, LBFGSClosure, LBFGSState } from './lbfgs';

// learning-rate schedulers
export { LRScheduler } from './lr-scheduler/lr-scheduler';
export type { LRSchedulerOptions, SchedulerStateDict } from './lr-scheduler/lr-scheduler';
export { StepLR } from './lr-scheduler/step-lr';
export type { StepLROptions } from './lr-scheduler/step-lr';
export { MultiStepLR } from './lr-scheduler/multi-step-lr';
export type { MultiStepLROptions } from './lr-scheduler/multi-step-lr';
export { ExponentialLR } from './lr-scheduler/exponential-lr';
export type { ExponentialLROptions } from './lr-scheduler/exponential-lr';
export { CosineAnnealingLR } from './lr-scheduler/cosine-annealing-lr';
export type { CosineAnnealingLROptions } from './lr-scheduler/cosine-annealing-lr';
export { LinearLR } from './lr-scheduler/linear-lr';
export type { LinearLROptions } from './lr-scheduler/linear-lr';
export { OneCycleLR } from './lr-scheduler/one-cycle-lr';
export type { OneCycleLROptions } from './lr-scheduler/one-cycle-lr';
export { LambdaLR } from './lr-scheduler/lambda-lr';
export type { LambdaLROptions, LrLambda } from './lr-scheduler/lambda-lr';
export { ReduceLROnPlateau } from './lr-scheduler/reduce-lr-on-plateau';
export type { ReduceLROnPlateauOptions } from './lr-scheduler/reduce-lr-on-plateau';
export { CosineAnnealingWarmRestarts } from './lr-scheduler/cosine-annealing-warm-restarts';
export type { CosineAnnealingWarmRestartsOptions } from './lr-scheduler/cosine-annealing-warm-restarts';
export { CyclicLR } from './lr-scheduler/cyclic-lr';
export type { CyclicLROptions } from './lr-scheduler/cyclic-lr';
export { PolynomialLR } from './lr-scheduler/polynomial-lr';
export type { PolynomialLROptions } from './lr-scheduler/polynomial-lr';
export { ConstantLR } from './lr-scheduler/constant-lr';
export type { ConstantLROptions } from './lr-scheduler/constant-lr';
export { MultiplicativeLR } from './lr-scheduler/multiplicative-lr';
export type { MultiplicativeLROptions } from './lr-scheduler/multiplicative-lr';
export { SequentialLR } from './lr-scheduler/sequential-lr';
export type { SequentialLROptions } from './lr-scheduler/sequential-lr';
export { ChainedScheduler } from './lr-scheduler/chained-scheduler';

// gradient clipping
export { clipGradNorm, clipGradValue } from './clip-grad';
export type { ClipGradNormOptions } from './clip-grad';
