import { describe, expect, it } from 'vitest';
import {
  AdaptiveMaxPool2d,
  AvgPool1d,
  Bilinear,
  categoricalCrossentropy,
  Conv3d,
  ELU,
  EmbeddingBag,
  GroupNorm,
  Hardswish,
  InstanceNorm1d,
  LocalResponseNorm,
  LogSoftmax,
  MaxPool1d,
  Mish,
  type Module,
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
  type Tensor,
  tensor,
  TransformerDecoderLayer,
  Upsample,
} from '../../src/index';
import { metricNamed } from '../../src/training/keras-names';
import { expectValues } from '../helpers';
import { hasWebGpu } from '../webgpu-available';

// The breadth layers on WebGPU: the same outputs and input gradients as on the CPU (each layer is
// composed from tensor ops, so this checks the composition runs there: index tensors made on the
// input's device, no silent host reads).

const WEBGPU = await hasWebGpu();

const CASES: [string, () => Module, number[]][] = [
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
  ['Conv3d', () => new Conv3d(2, 3, [2, 3, 2], { padding: 1, stride: [1, 2, 1], groups: 1, paddingMode: 'replicate' }), [1, 2, 3, 4, 3]],
  ['Conv3d groups 2, unbatched', () => new Conv3d(2, 4, 2, { groups: 2, dilation: [2, 1, 1] }), [2, 4, 3, 3]],
  ['TransformerDecoderLayer', () => new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true }), [2, 3, 8]],
];

/** Output and input gradient of a weighted sum, read back. */
async function run(m: Module, inputs: Tensor[]): Promise<[number[], number[]]> {
  const x = inputs[0];
  x.requiresGrad = true;
  const y = scope(() => m.call(...(m instanceof TransformerDecoderLayer ? [x, inputs[1]] : inputs)) as Tensor);
  scope(() => y.mul(y.detach().sin().add(1.5)).sum().backward());
  const out: [number[], number[]] = [Array.from(await y.data()), Array.from(await x.grad!.data())];
  y.dispose();
  x.grad?.dispose();
  x.grad = null;
  return out;
}

describe.skipIf(!WEBGPU)('breadth layers on WebGPU match the CPU', () => {
  for (const [name, make, shape] of CASES) {
    it(name, async () => {
      const before = memory().tensors;
      manualSeed(3);
      const m = make();
      const x = randn(shape);
      const memoryIn = randn([2, 4, 8]);
      const [yc, gc] = await run(m, [x, memoryIn]);
      await m.to('webgpu');
      const xg = scope(() => x.detach().to('webgpu'));
      const mg = memoryIn.to('webgpu');
      const [yg, gg] = await run(m, [xg, mg]);
      expectValues(yg, yc, 1e-4);
      expectValues(gg, gc, 1e-3);
      for (const t of [x, memoryIn, xg, mg]) t.dispose();
      m.zeroGrad();
      m.dispose();
      expect(memory().tensors).toBe(before);
    });
  }

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
