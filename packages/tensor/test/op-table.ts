import { BREADTH_OPS } from './op-table/breadth';
import type { OpInfo } from './op-table/samples';
import { BINARY_OPS, UNARY_OPS } from './op-table/elementwise';
import { ELEMENTWISE_MORE_OPS } from './op-table/elementwise-more';
import { CONV_OPS, LINALG_OPS, POOL_OPS } from './op-table/linalg';
import { INDEXING_OPS, NN_OPS } from './op-table/nn';
import { REDUCE_OPS, SOFTMAX_OPS } from './op-table/reduce';
import { SHAPE_OPS } from './op-table/shape';
import { SORTING_OPS } from './op-table/sorting';
import { QUANTIZED_OPS } from './op-table/quantized';

/**
 * The op table (STYLE.md §14, after PyTorch's OpInfo): one entry per public tensor op, with the
 * function, sample inputs (broadcast, strided views, size-1 and empty dims, IEEE specials with
 * PyTorch's results), input domain, dtypes, whether it is differentiable and the tolerances.
 * `test/ops/op-table*.test.ts` run every entry on every device; an op exported from src/index.ts
 * without an entry here (or a reason in NOT_OPS) fails that suite.
 */
export const OPS: OpInfo[] = [
  ...UNARY_OPS,
  ...BINARY_OPS,
  ...ELEMENTWISE_MORE_OPS,
  ...REDUCE_OPS,
  ...SOFTMAX_OPS,
  ...LINALG_OPS,
  ...CONV_OPS,
  ...POOL_OPS,
  ...NN_OPS,
  ...INDEXING_OPS,
  ...SHAPE_OPS,
  ...BREADTH_OPS,
  ...SORTING_OPS,
  ...QUANTIZED_OPS,
];

/**
 * The table in two parts for WebGPU, one test file each (`op-table-webgpu-*.test.ts`), so that
 * vitest's forks compile their kernels in parallel on a cold shader cache: the elementwise,
 * reduction and softmax families (their kernels come from one generator), and the rest. Together
 * they are {@link OPS}, in order (the completeness test checks it).
 */
export const WEBGPU_PARTS: Record<'elementwise' | 'structured', OpInfo[]> = {
  elementwise: [...UNARY_OPS, ...BINARY_OPS, ...ELEMENTWISE_MORE_OPS, ...REDUCE_OPS, ...SOFTMAX_OPS],
  structured: [...LINALG_OPS, ...CONV_OPS, ...POOL_OPS, ...NN_OPS, ...INDEXING_OPS, ...SHAPE_OPS, ...BREADTH_OPS, ...SORTING_OPS, ...QUANTIZED_OPS],
};

/** Functions exported from src/index.ts that are not tensor → tensor ops, and why. */
export const NOT_OPS: Record<string, string> = {
  Tensor: 'the class; its methods call the ops in the table',
  // linalg: float64 factorizations on the host, CPU tensors only (a WebGPU tensor is a DeviceError);
  // hand-worked values, identities and gradchecks in test/linalg.test.ts
  randperm: 'random permutation from the seeded generator (test/sampling.test.ts)',
  bernoulli: 'random draws from the seeded generator (test/sampling.test.ts)',
  multinomial: 'random draws from the seeded generator, CPU (test/sampling.test.ts)',
  'linalg.inv': 'CPU-only host factorization (test/linalg.test.ts)',
  'linalg.solve': 'CPU-only host factorization (test/linalg.test.ts)',
  'linalg.det': 'CPU-only host factorization (test/linalg.test.ts)',
  'linalg.slogdet': 'CPU-only host factorization (test/linalg.test.ts)',
  'linalg.cholesky': 'CPU-only host factorization (test/linalg.test.ts)',
  'linalg.qr': 'CPU-only host factorization (test/linalg.test.ts)',
  'linalg.svd': 'CPU-only host factorization (test/linalg.test.ts)',
  'linalg.svdvals': 'CPU-only host factorization (test/linalg.test.ts)',
  'linalg.eigh': 'CPU-only host factorization (test/linalg.test.ts)',
  'linalg.pinv': 'through the SVD: CPU only (test/linalg.test.ts)',
  'linalg.matrixNorm': "a composite of abs/sum/max (the SVD for 'nuc' and ±2): test/linalg.test.ts",
  'linalg.vectorNorm': 'a composite of abs/pow/sum/max: test/linalg.test.ts',
  // data-dependent output shapes: a sync call cannot run on WebGPU (a DeviceError names the async
  // form), so values on every device, gradcheck, disposal and device errors are in test/ops/select.test.ts
  nonzero: 'data-dependent shape, CPU (test/ops/select.test.ts)',
  nonzeroAsync: 'data-dependent shape, async on every device (test/ops/select.test.ts)',
  maskedSelect: 'data-dependent shape, CPU (test/ops/select.test.ts)',
  maskedSelectAsync: 'data-dependent shape, async on every device (test/ops/select.test.ts)',
  unique: 'data-dependent shape, CPU (test/ops/select.test.ts)',
  uniqueAsync: 'data-dependent shape, async on every device (test/ops/select.test.ts)',
  init: 'device set-up',
  getDefaultDevice: 'device query',
  getThreads: 'device query (CPU worker threads)',
  profile: 'WebGPU kernel timing (test/webgpu/profiler.test.ts)',
  tensor: 'creation from host data (test/creation.test.ts)',
  // creation from x's shape, dtype and device: they read no values (test/creation.test.ts)
  zerosLike: 'creation like x',
  onesLike: 'creation like x',
  fullLike: 'creation like x',
  full: 'creation',
  zeros: 'creation',
  ones: 'creation',
  arange: 'creation',
  linspace: 'creation',
  eye: 'creation',
  rand: 'random creation',
  randn: 'random creation',
  randint: 'random creation',
  manualSeed: 'seeds the global generator',
  Generator: 'the seeded generator class',
  noGrad: 'autograd mode',
  hookGradients: 'an autograd identity that routes gradients through a hook (test/autograd/backward-hook.test.ts)',
  gradcheck: 'the finite-difference checker the table uses',
  checkOptions: 'validates an options object (no tensors)',
  scope: 'memory management',
  keep: 'memory management',
  memory: 'memory accounting',
  transfers: 'host↔device transfer counters',
  toDevice: 'asynchronous device transfer (test/ops/to-device.test.ts)',
  saveSafetensors: 'serialization (test/io)',
  loadSafetensors: 'serialization (test/io)',
  AimodelError: 'error class',
  ShapeError: 'error class',
  DTypeError: 'error class',
  DeviceError: 'error class',
  DisposedError: 'error class',
  ArgumentError: 'error class',
  BackendUnavailableError: 'error class',
  gloveStep_: 'in-place GloVe training primitive without autograd (test/ops/glove.test.ts)',
  adamStep_: 'in-place fused optimizer step without autograd (test/ops/optimizer-steps.test.ts)',
  sgdStep_: 'in-place fused optimizer step without autograd (test/ops/optimizer-steps.test.ts)',
  rmspropStep_: 'in-place fused optimizer step without autograd (test/ops/adaptive-steps.test.ts)',
  adagradStep_: 'in-place fused optimizer step without autograd (test/ops/adaptive-steps.test.ts)',
};
