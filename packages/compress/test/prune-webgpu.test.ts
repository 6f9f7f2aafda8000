// Pruned models on WebGPU: masks move with model.to(), the masked weight is recomputed on the new
// device, GradualPruning reads the weights asynchronously during fit, and the synchronous pruning
// functions say to prune on the CPU. Skipped without an adapter unless AIMODEL_REQUIRE_WEBGPU=1.
import { crossEntropy, init, Linear, manualSeed, randint, randn, ReLU, Sequential, type Tensor } from '@aimodel/nn';
import { SGD } from '@aimodel/optim';
import { afterAll, describe, expect, it } from 'vitest';
import { hasWebGpu } from '../../nn/test/webgpu-available';
import { GradualPruning, l1Unstructured, modelSize, sparsity } from '../src/index';

const WEBGPU = await hasWebGpu();

afterAll(async () => {
  await init({ device: 'cpu' });
});

describe.skipIf(!WEBGPU)('pruning on WebGPU', () => {
  it('moves masks with the model and recomputes the masked weight there', async () => {
    await init({ device: 'cpu' });
    manualSeed(4);
    const model = new Sequential(new Linear(6, 5), new ReLU(), new Linear(5, 2));
    l1Unstructured(model.at(0), 'weight', 0.6);
    const x = randn([3, 6]);
    const onCpu = Array.from((model.forward(x) as Tensor).dataSync() as Float32Array);
    await model.to('webgpu');
    const fc = model.at(0) as Linear & { weightMask: Tensor };
    expect(fc.weightMask.device).toBe('webgpu');
    expect(fc.weight.device).toBe('webgpu');
    const out = Array.from((await (model.forward(x.to('webgpu')) as Tensor).data()) as Float32Array);
    out.forEach((v, i) => expect(v).toBeCloseTo(onCpu[i], 5));
    expect(() => l1Unstructured(model.at(2), 'weight', 0.5)).toThrow(
      /masks are computed from the weights' values, read synchronously only on the CPU; this weight is on webgpu/,
    );
    const size = await modelSize(model);
    expect([size.parameters, size.nonZeros]).toEqual([35 + 12, 35 + 12 - 18]);
  });

  it('GradualPruning prunes a model training on WebGPU', async () => {
    await init({ device: 'webgpu' });
    manualSeed(5);
    const model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
    model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy });
    const x = randn([64, 4]);
    const y = randint(0, 3, [64]);
    await model.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      callbacks: [new GradualPruning({ finalSparsity: 0.5, endStep: 4, frequency: 2, scope: 'layer' })],
      verbose: 0,
    });
    const report = await sparsity(model, { weightsOnly: true });
    expect(report.parameters.map((p) => p.zeros)).toEqual([32, 24]); // half of 64 and of 48
    await init({ device: 'cpu' });
  });
});
