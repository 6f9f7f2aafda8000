// The CNN every row of the table starts from: two conv blocks with BatchNorm (which quantization
// fuses into the convs), a hidden Linear layer and the classifier; ≈ 106 k parameters. Trained
// once and cached in .cache/ (delete it to retrain).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchNorm2d, Conv2d, crossEntropy, Flatten, LearningRateScheduler, Linear, loadWeights, MaxPool2d, ReLU, Sequential, saveWeights } from '@aimodel/nn';
import { Adam, CosineAnnealingLR } from '@aimodel/optim';

export function cnn() {
  return new Sequential(
    new Conv2d(1, 16, 3, { padding: 1 }),
    new BatchNorm2d(16),
    new ReLU(),
    new MaxPool2d(2), // 16 × 14 × 14
    new Conv2d(16, 32, 3, { padding: 1 }),
    new BatchNorm2d(32),
    new ReLU(),
    new MaxPool2d(2), // 32 × 7 × 7
    new Flatten(),
    new Linear(32 * 7 * 7, 64),
    new ReLU(),
    new Linear(64, 10),
  );
}

/** A copy of `model` (same architecture from `make`, same weights). */
export function copyOf(model, make = cnn) {
  const copy = make();
  copy.loadStateDict(model.stateDict());
  return copy;
}

/** Train `model` with Adam and a cosine learning-rate decay; `callbacks` run too. */
export async function train(model, data, { epochs, lr = 2e-3, callbacks = [] }) {
  const optimizer = new Adam(model.parameters(), { lr });
  model.compile({ optimizer, loss: crossEntropy, metrics: ['accuracy'] });
  model.train();
  await model.fit(data.xTrain, data.yTrain, {
    epochs,
    batchSize: 32,
    seed: 0,
    callbacks: [new LearningRateScheduler(new CosineAnnealingLR(optimizer, { tMax: epochs })), ...callbacks],
    verbose: 2,
  });
  return model.eval();
}

const cache = join(dirname(fileURLToPath(import.meta.url)), '.cache', 'cnn.safetensors');

/** The float baseline: loaded from .cache/ when there, else trained (4 epochs) and saved. */
export async function baseline(data) {
  const model = cnn();
  if (existsSync(cache)) {
    loadWeights(model, new Uint8Array(readFileSync(cache)));
    console.log(`baseline: loaded ${cache}`);
    return model.eval();
  }
  console.log('baseline: training the float CNN (4 epochs)');
  await train(model, data, { epochs: 4 });
  mkdirSync(dirname(cache), { recursive: true });
  writeFileSync(cache, await saveWeights(model));
  return model;
}
