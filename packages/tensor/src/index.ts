/**
 * Tensors with autograd on the CPU (typed arrays and WebAssembly) and WebGPU: creation, math, reductions, shape and indexing, neural-network ops, devices, memory and serialization.
 * @packageDocumentation
 * @module @aimodel/tensor
 */

// Public API of @aimodel/tensor: explicit exports, grouped; no logic here.

// tensors, devices, creation
export { Tensor } from './tensor';
export type { NestedArray, TensorLike, Dim } from './tensor';
export type { PrintOptions } from './format';
export { init, getDefaultDevice, getThreads } from './device';
export type { InitOptions, WebGpuOptions } from './device';
export type { MatmulTileName } from './backend/webgpu/kernels/matmul-candidates';
export type { DeviceName, TransferCounts } from './backend/backend';
export { profile, type ProfileOptions, type ProfileResult, type KernelProfile } from './backend/webgpu/profiler';
export type { DType, TypedArray } from './dtype';
export type { Shape } from './shape';
export { tensor, full, zeros, ones, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint } from './creation';
export type { TensorOptions, TensorData, HostArray, RandomOptions } from './creation';
export { manualSeed, Generator, defaultGenerator } from './random';
export type { GeneratorOptions } from './random';

// operations
export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  neg,
  abs,
  sign,
  exp,
  log,
  sqrt,
  rsqrt,
  relu,
  leakyRelu,
  gelu,
  sigmoid,
  erf,
  tanh,
  sin,
  cos,
  floor,
  ceil,
  round,
  clamp,
  where,
} from './ops/elementwise';
export type { GeluOptions } from './ops/elementwise';
export { trunc, log1p, expm1, log2, exp2, asin, acos, atan, sinh, cosh, atan2, fmod, remainder, frac, reciprocal, square } from './ops/math';
export { softplus, silu, mish, elu, selu, hardswish, hardsigmoid } from './ops/activations';
export type { SoftplusOptions, EluOptions } from './ops/activations';
export { isnan, isinf, isfinite, nanToNum, logicalAnd, logicalOr, logicalXor, logicalNot, any, all } from './ops/logical';
export type { NanToNumOptions } from './ops/logical';
export { sum, mean, prod, max, min, argmax, argmin, variance, std, logsumexp } from './ops/reduce';
export type { ReduceOptions, VarianceOptions } from './ops/reduce';
export { sort, argsort, topk, kthvalue, median, quantile } from './ops/sort';
export type { SortOptions, SortResult, TopkOptions, OrderStatOptions, QuantileOptions, QuantileInterpolation } from './ops/sort';
export { cumsum, cumprod } from './ops/scan';
export { nonzero, nonzeroAsync, maskedSelect, maskedSelectAsync, unique, uniqueAsync } from './ops/select';
export type { NonzeroOptions, UniqueOptions, UniqueResult } from './ops/select';

// triangles, diagonals, reordering, similarity, einsum, resampling, sampling
export { tril, triu, diagonal, diag, trace } from './ops/triangular';
export { flip, roll } from './ops/reorder';
export { norm, cosineSimilarity, normalize, cdist } from './ops/similarity';
export type { NormOptions, CosineSimilarityOptions, NormalizeOptions } from './ops/similarity';
export { einsum } from './ops/einsum';
export { interpolate } from './ops/interpolate';
export type { InterpolateOptions } from './ops/interpolate';
export { randperm, bernoulli, multinomial, maskedFill } from './ops/sampling';
export type { MultinomialOptions } from './ops/sampling';

// linear algebra: torch.linalg's names under one namespace
export { linalg } from './linalg/index';
export type { MatrixNormOptions, VectorNormOptions } from './linalg/index';
export { matmul, linear, outer } from './ops/matmul';
export { conv1d, conv2d, conv3d, convTranspose2d } from './ops/conv';
export type { Conv1dOptions, Conv2dOptions, Conv3dOptions, ConvTranspose2dOptions } from './ops/conv';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d } from './ops/pool';
export type { MaxPool2dOptions, AvgPool2dOptions } from './ops/pool';
export { softmax, logSoftmax } from './ops/softmax';
export { scaledDotProductAttention } from './ops/attention';
export type { AttentionOptions } from './ops/attention';
export { layerNorm, batchNorm } from './ops/norm';
export type { LayerNormOptions, BatchNormOptions } from './ops/norm';
export { dropout } from './ops/dropout';
export type { DropoutOptions } from './ops/dropout';
export {
  reshape,
  view,
  flatten,
  permute,
  transpose,
  squeeze,
  unsqueeze,
  expand,
  narrow,
  slice,
  cat,
  stack,
  split,
  chunk,
  contiguous,
  clone,
  assign,
  toDevice,
} from './ops/movement';
export { pad, tile, repeat } from './ops/pad';
export type { PadOptions } from './ops/pad';
export { indexSelect, gather, scatterAdd, indexAdd_, scatterAdd_, embedding, oneHot } from './ops/indexing';
export { gloveStep_, type GloveEntries, type GloveStepOptions } from './ops/glove';
export { adamStep_, sgdStep_, type AdamStepOptions, type SgdStepOptions } from './ops/optimizer-steps';
export { adagradStep_, rmspropStep_, type AdagradStepOptions, type RmspropStepOptions } from './ops/adaptive-steps';
export { quantize, quantizedLinear, type QuantizedLinearOptions, requantizePerTensor } from './ops/quantized';
export { quantizedConv2d, type QuantizedConv2dOptions } from './ops/quantized-conv';
export type { IndexAddOptions } from './ops/indexing';

// autograd
export { noGrad } from './autograd/grad-mode';
export { hookGradients } from './autograd/backward-hook';
export type { GradientsHook, HookGradientsOptions } from './autograd/backward-hook';
export { gradcheck } from './autograd/gradcheck';
export type { GradcheckOptions, GradcheckResult, GradcheckMismatch } from './autograd/gradcheck';

// memory
export { scope, keep, memory, transfers } from './memory';
export type { MemoryInfo, DeviceMemory, TransferInfo } from './memory';

// serialization
export { saveSafetensors, loadSafetensors } from './io/safetensors';
export type { LoadSafetensorsOptions } from './io/safetensors';

// errors
export { AimodelError, ShapeError, DTypeError, DeviceError, DisposedError, ArgumentError, BackendUnavailableError, checkOptions } from './errors';
