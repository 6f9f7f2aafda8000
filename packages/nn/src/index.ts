/**
 * Layers, losses, metrics, data loading and Keras-style training (`compile`/`fit`) on top of @aimodel/tensor. It re-exports the whole tensor API (documented under @aimodel/tensor), so `npm install @aimodel/nn` is enough for an app.
 * @packageDocumentation
 * @module @aimodel/nn
 */

// Public API of @aimodel/nn: explicit exports, grouped; no logic here.
// The whole tensor API is re-exported so that `npm install @aimodel/nn` is enough for an app.
export * from '@aimodel/tensor';

// modules
export { Module, stateKey } from './module';
export type { LoadStateDictOptions, LoadStateDictResult, RegisterBufferOptions } from './module';
export type { SummaryOptions } from './summary';
export type { ForwardHook, ForwardPreHook, FullBackwardHook, FullBackwardPreHook, HookOptions, RemovableHandle } from './hooks';
export { Parameter } from './parameter';

// Keras-style training and weights I/O
export { Callback, EarlyStopping, ModelCheckpoint } from './training/callbacks';
export type { Logs, EarlyStoppingOptions, ModelCheckpointOptions } from './training/callbacks';
export { LearningRateScheduler } from './training/lr-scheduler-callback';
export type { SchedulerLike, LearningRateSchedule, LearningRateSchedulerOptions } from './training/lr-scheduler-callback';
export { batchAccuracy } from './training/compile';
export type { CompileConfig, OptimizerLike, LossLike, MetricLike } from './training/compile';
export type { OptimizerName, LossName, MetricName } from './training/keras-names';
export type { FitOptions, EvaluateOptions, History, FitData } from './training/fit';
export type { StepLogs } from './training/step';
export type { ProgressStream } from './training/progress-bar';
export { saveWeights, loadWeights } from './io/weights';
export { federatedAverage } from './training/federated';

// recurrent layers
export { RNNBase, RNN, LSTM, GRU } from './layers/rnn';
export type { RNNBaseOptions, RNNOptions } from './layers/rnn';

// attention
export { MultiheadAttention } from './layers/attention';
export type { MultiheadAttentionOptions, MultiheadAttentionForwardOptions } from './layers/attention';

// layers and initialisation
export { init } from './init-namespace';
export type { InitNamespace } from './init-namespace';
export { Linear, Flatten } from './layers/linear';
export type { LinearOptions, FlattenOptions } from './layers/linear';
export { Identity, Unflatten } from './layers/reshape';
export { Bilinear } from './layers/bilinear';
export { Conv1d, Conv2d, ConvTranspose2d } from './layers/conv';
export type { Conv1dLayerOptions, Conv2dLayerOptions, ConvTranspose2dLayerOptions, PaddingMode } from './layers/conv';
export { Conv3d } from './layers/conv3d';
export type { Conv3dLayerOptions } from './layers/conv3d';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './layers/pool';
export { MaxPool1d, AvgPool1d, AdaptiveMaxPool2d } from './layers/pool1d';
export type { MaxPool1dOptions, AvgPool1dOptions } from './layers/pool1d';
export { Upsample } from './layers/upsample';
export type { UpsampleOptions } from './layers/upsample';
export { BatchNorm1d, BatchNorm2d, LayerNorm } from './layers/norm';
export type { BatchNormLayerOptions, LayerNormLayerOptions } from './layers/norm';
export { GroupNorm, InstanceNorm1d, InstanceNorm2d } from './layers/norm-group';
export type { GroupNormOptions, InstanceNormOptions } from './layers/norm-group';
export { RMSNorm, LocalResponseNorm } from './layers/norm-rms';
export type { RMSNormOptions, LocalResponseNormOptions } from './layers/norm-rms';
export { Dropout } from './layers/dropout';
export type { DropoutLayerOptions } from './layers/dropout';
export { Embedding } from './layers/embedding';
export type { EmbeddingOptions, EmbeddingFromPretrainedOptions } from './layers/embedding';
export { EmbeddingBag } from './layers/embedding-bag';
export type { EmbeddingBagOptions } from './layers/embedding-bag';
export { ReLU, GELU, Sigmoid, Tanh, LeakyReLU, Softmax, LogSoftmax } from './layers/activation';
export { SiLU, ELU, SELU, Softplus, Mish, Hardswish } from './layers/activation-smooth';
export type { SoftplusOptions } from './layers/activation-smooth';
export { PReLU } from './layers/prelu';
export type { PReLUOptions } from './layers/prelu';
export { Sequential, ModuleList } from './layers/container';
export { ModuleDict, ParameterList } from './layers/module-dict';

// losses
export type { Reduction, ReductionOptions } from './losses/reduction';
export { mseLoss, l1Loss, smoothL1Loss, huberLoss } from './losses/regression';
export type { SmoothL1LossOptions, HuberLossOptions } from './losses/regression';
export { crossEntropy, nllLoss } from './losses/cross-entropy';
export type { CrossEntropyOptions, NllLossOptions } from './losses/cross-entropy';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits } from './losses/binary-cross-entropy';
export type { BinaryCrossEntropyOptions, BinaryCrossEntropyWithLogitsOptions } from './losses/binary-cross-entropy';
export { klDiv, cosineEmbeddingLoss } from './losses/divergence';
export { categoricalCrossentropy, sparseCategoricalCrossentropy } from './losses/keras';
export type { KerasCrossentropyOptions } from './losses/keras';
export type { KlDivOptions, CosineEmbeddingLossOptions } from './losses/divergence';
export {
  MSELoss,
  L1Loss,
  SmoothL1Loss,
  HuberLoss,
  CrossEntropyLoss,
  NLLLoss,
  BCELoss,
  BCEWithLogitsLoss,
  KLDivLoss,
  CosineEmbeddingLoss,
} from './losses/modules';

// metrics
export { accuracy, precision, recall, f1, confusionMatrix } from './metrics/classification';
export type { AverageOptions, ConfusionMatrixOptions } from './metrics/classification';
export { classificationReport } from './metrics/classification-report';
export type { ClassificationReportOptions } from './metrics/classification-report';
export { rocAuc } from './metrics/roc-auc';
export type { RocAucOptions } from './metrics/roc-auc';

// data
export { TensorDataset } from './data/dataset';
export type { Dataset } from './data/dataset';
export { DataLoader } from './data/data-loader';
export type { DataLoaderOptions } from './data/data-loader';
export { trainTestSplit, kFold } from './data/split';
export type { TrainTestSplitOptions, KFoldOptions, Fold } from './data/split';
export { StandardScaler, MinMaxScaler } from './data/scalers';
export type { StandardScalerOptions, MinMaxScalerOptions } from './data/scalers';

// transformer
export { TransformerEncoderLayer, TransformerEncoder } from './layers/transformer';
export type {
  TransformerActivation,
  TransformerEncoderLayerOptions,
  TransformerEncoderLayerForwardOptions,
  TransformerEncoderOptions,
  TransformerEncoderForwardOptions,
} from './layers/transformer';
export { TransformerDecoderLayer, TransformerDecoder } from './layers/transformer-decoder';
export type { TransformerDecoderLayerOptions, TransformerDecoderForwardOptions, TransformerDecoderOptions } from './layers/transformer-decoder';
export { Transformer } from './layers/transformer-model';
export type { TransformerOptions, TransformerForwardOptions } from './layers/transformer-model';
