/**
 * Model compression: pruning (PyTorch's masks, gradual schedules, structured shrinking), int8
 * quantization (observers, fake quantization, static and dynamic quantization with int8 kernels)
 * and knowledge distillation, with size and sparsity reports.
 * @packageDocumentation
 * @module @aimodel/compress
 */

// Public API of @aimodel/compress: explicit exports, grouped; no logic here.

// quantization: arithmetic
export {
  quantizePerTensor,
  quantizePerChannel,
  dequantize,
  fakeQuantizePerTensorAffine,
  fakeQuantizePerChannelAffine,
  quantRange,
} from './quantize/arith';
export type { QuantDType, QScheme, QParams, DequantizeOptions } from './quantize/arith';

// pruning and the compression report
export { l1Unstructured, randomUnstructured } from './prune/magnitude';
export type { L1UnstructuredOptions, RandomUnstructuredOptions } from './prune/magnitude';
export { lnStructured } from './prune/structured';
export type { LnStructuredOptions } from './prune/structured';
export { globalUnstructured, customFromMask } from './prune/global';
export type { GlobalUnstructuredOptions } from './prune/global';
export { removePruning, isPruned } from './prune/remove';
export type { PruningAmount } from './prune/amount';
export type { Pruned } from './prune/state';
export { GradualPruning } from './prune/schedule';
export type { GradualPruningOptions } from './prune/schedule';
export { shrinkStructured } from './prune/shrink';
export type { ShrinkStructuredOptions, ShrunkLayer } from './prune/shrink';
export { sparsity, modelSize } from './report';
export type { SparsityReport, ParameterSparsity, SparsityOptions, ModelSizeReport, LayerSize } from './report';

// quantization: quantized modules, convert, dynamic quantization, save/load
export { QuantizedLinear } from './quantize/quantized-linear';
export type { QuantizedLayerInit } from './quantize/quantized-linear';
export { QuantizedConv2d } from './quantize/quantized-conv';
export type { QuantizedConv2dOptions } from './quantize/quantized-conv';
export type { ActivationQParams } from './quantize/quantized-ops';
export { DynamicQuantizedLinear, quantizeDynamic } from './quantize/dynamic';
export type { QuantizeDynamicOptions } from './quantize/dynamic';
export { saveQuantized, loadQuantized } from './quantize/serialize';
export { convert } from './quantize/convert';

// quantization: observers
export {
  Observer,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  CalibrationError,
  FLOAT32_EPS,
} from './quantize/observers';
export type { ObserverOptions } from './quantize/observers';
export { HistogramObserver } from './quantize/histogram-observer';

// quantization: FakeQuantize, QConfig, fusion, prepare
export { FakeQuantize, disableObserver, enableObserver, disableFakeQuant, enableFakeQuant } from './quantize/fake-quantize';
export { getDefaultQConfig, getDefaultQatQConfig, getMinMaxQConfig } from './quantize/qconfig';
export type { QConfig, QuantBackend } from './quantize/qconfig';
export { fuseModules, ConvReLU2d, LinearReLU, FusedIdentity } from './quantize/fuse';
export { prepare, prepareQat, observedLayers } from './quantize/prepare';
export type { ObservedLayer, QConfigMapping } from './quantize/prepare';

// knowledge distillation
export { distillationLoss, Distiller } from './distill';
export type { DistillationLossOptions, DistillerOptions, HintOptions } from './distill';
