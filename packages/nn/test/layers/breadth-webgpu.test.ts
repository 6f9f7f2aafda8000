import { describe, expect, it } from 'vitest';
import {
  AdaptiveMaxPool2d,
  AvgPool1d,
  Bilinear,
  categoricalCrossentropy,
  ELU,
  EmbeddingBag,
  GroupNorm,
  Hardswish,
  InstanceNorm1d,
  LocalResponseNorm,
  LogSoftmax,
  MaxPool1d,
  Mish,
  manualSeed,
  memory,
  PReLU,
  RMSNorm,
  randn,
  SELU,
  SiLU,
  Softplus,
  scope,
  sparseCategoricalCrossentropy,
  tensor,
  Upsample,
} from '../../src/index';
import { metricNamed } from '../../src/training/keras-names';
import { expectValues } from '../helpers';
import { hasWebGpu } from '../webgpu-available';
import { itMatchesCpu, type LayerCase } from './webgpu-layer-cases';

// The breadth layers on WebGPU: the same outputs and input gradients as on the CPU (each layer is
// composed from tensor ops, so this checks the composition runs there: index tensors made on the
// input's device, no silent host reads).

const WEBGPU = await hasWebGpu();

// Conv3d and TransformerDecoderLayer (10–15 s each for lavapipe to compile on a cold shader cache)
// run in `npm run test:kernels`: test/slow/breadth-webgpu-heavy.test.ts.
const CASES: LayerCase[] = [
  ['SiLU', () => new SiLU(), [2, 6]],
  ['ELU', () => new ELU(0.7), [2, 6]],
  ['SELU', () => new SELU(), [2, 6]],
  ['Softplus', () => new Softplus({ beta: 2 }), [2, 6]],
  ['Mish', () => new Mish(), [2, 6]],
  ['Hardswish', () => new Hardswish(), [2, 6]],
  ['PReLU', () => new PReLU({ numParameters: 3, init: 0.2 }), [2, 3, 4]],
  ['LogSoftmax', () => new LogSoftmax(1), [2, 5]],
  ['GroupNorm', () => new GroupNorm(2, 4), [2, 4, 3]],
  ['InstanceNorm1d', () => new InstanceNorm1d(3, { affine: true, trackRunningStats: true }), [2, 3, 5]],
  ['RMSNorm', () => new RMSNorm(5), [3, 5]],
  ['LocalResponseNorm', () => new LocalResponseNorm(3, { alpha: 0.5 }), [1, 5, 2]],
  ['MaxPool1d', () => new MaxPool1d(3, { stride: 2, padding: 1 }), [2, 2, 7]],
  ['AvgPool1d', () => new AvgPool1d(2), [2, 2, 6]],
  ['AdaptiveMaxPool2d', () => new AdaptiveMaxPool2d([2, 3]), [1, 2, 5, 7]],
  ['Upsample nearest', () => new Upsample({ scaleFactor: 2 }), [1, 2, 3, 3]],
  ['Upsample bilinear', () => new Upsample({ size: [5, 4], mode: 'bilinear', alignCorners: true }), [1, 2, 3, 3]],
];

describe.skipIf(!WEBGPU)('breadth layers on WebGPU match the CPU', () => {
  itMatchesCpu(CASES);

  it('Bilinear, EmbeddingBag, the Keras losses and AUC', async () => {
    const before = memory().tensors;
    manualSeed(4);
    const bil = new Bilinear(3, 2, 2);
    const bag = new EmbeddingBag(6, 3, { mode: 'max', paddingIdx: 0 });
    const a = randn([4, 3]);
    const b = randn([4, 2]);
    const ids = tensor(
      [
        [1, 0, 2],
        [5, 4, 0],
      ],
      { dtype: 'int32' },
    );
    const probs = scope(() => randn([4, 3]).softmax(-1));
    const onehot = tensor([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [0, 1, 0],
    ]);
    const labels = tensor([0, 1, 2, 1], { dtype: 'int32' });
    const scores = tensor([0.9, 0.6, 0.4, 0.2]);
    const truth = tensor([1, 0, 1, 0]);
    const compute = () =>
      scope(() => [
        bil.call(a, b),
        bag.call(ids),
        categoricalCrossentropy(probs, onehot).reshape([1]),
        sparseCategoricalCrossentropy(probs, labels).reshape([1]),
        metricNamed('auc')!.fn(scores, truth).reshape([1]),
      ]);
    const cpu = await Promise.all(compute().map(async (t) => [Array.from(await t.data()), t.dispose()][0] as number[]));
    await bil.to('webgpu');
    await bag.to('webgpu');
    const moved = [a, b, ids, probs, onehot, labels, scores, truth].map((t) => t.to('webgpu'));
    const [ag, bg, idsg, pg, og, lg, sg, tg] = moved;
    const gpu = scope(() => [
      bil.call(ag, bg),
      bag.call(idsg),
      categoricalCrossentropy(pg, og).reshape([1]),
      sparseCategoricalCrossentropy(pg, lg).reshape([1]),
      metricNamed('auc')!.fn(sg, tg).reshape([1]),
    ]);
    for (let i = 0; i < gpu.length; i++) expectValues(Array.from(await gpu[i].data()), cpu[i], 1e-4);
    expect(cpu[4]).toEqual([0.75]);
    for (const t of [...gpu, ...moved, a, b, ids, probs, onehot, labels, scores, truth]) t.dispose();
    bil.dispose();
    bag.dispose();
    expect(memory().tensors).toBe(before);
  });
});
