// The CNN every row of the table starts from: two conv blocks with BatchNorm (which quantization
// fuses into the convs), a hidden Linear layer and the classifier; ≈ 106 k parameters. Trained
// once and cached in .cache/ (delete it to retrain). `cnn(0.5)` is the distillation student: half
// the channels and units, ≈ ¼ of the parameters.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchNorm2d, Conv2d, crossEntropy, Flatten, LearningRateScheduler, Linear, loadWeights, MaxPool2d, ReLU, Sequential, saveWeights } from '@aimodel/nn';
import { Adam, CosineAnnealingLR } from '@aimodel/optim';

/** The CNN; `width` scales every hidden layer (1: 16/32 channels and 64 units). */
export function cnn(width = 1) {
  const [c1, c2, h] = [16, 32, 64].map((n) => Math.round(n * width));
  return new Sequential(
    new Conv2d(1, c1, 3, { padding: 1 }),
    new BatchNorm2d(c1),
    new ReLU(),
    new MaxPool2d(2), // c1 × 14 × 14
    new Conv2d(c1, c2, 3, { padding: 1 }),
    new BatchNorm2d(c2),
    new ReLU(),
    new MaxPool2d(2), // c2 × 7 × 7
    new Flatten(),
    new Linear(c2 * 7 * 7, h),
    new ReLU(),
    new Linear(h, 10),
  );
}

/** A copy of `model` (same architecture from `make`, same weights). */
export function copyOf(model, make = cnn) {
  const copy = make();
  copy.loadStateDict(model.stateDict());
  return copy;
}

/**
 * Train `model` with Adam and a cosine learning-rate decay; `callbacks` run too. `trainer` is what
 * is compiled and fitted when it is not the model itself (a Distiller around it).
 */
export async function train(model, data, { epochs, lr = 2e-3, callbacks = [], trainer = model, seed = 0, verbose = 2 }) {
  const optimizer = new Adam(trainer.parameters(), { lr });
  trainer.compile({ optimizer, loss: crossEntropy, metrics: ['accuracy'] });
  trainer.train();
  await trainer.fit(data.xTrain, data.yTrain, {
    epochs,
    batchSize: 32,
    seed,
    callbacks: [new LearningRateScheduler(new CosineAnnealingLR(optimizer, { tMax: epochs })), ...callbacks],
    verbose,
  });
  return model.eval();
}

const cache = join(dirname(fileURLToPath(import.meta.url)), '.cache', 'cnn.safetensors');

/**
 * The float baseline: loaded from .cache/ when there, else trained (`epochs`, default 4) and saved;
 * `cached: false` trains without reading or writing the cache (the --small mode).
 */
export async function baseline(data, { epochs = 4, cached = true, verbose = 2, log = console.log } = {}) {
  const model = cnn();
  if (cached && existsSync(cache)) {
    loadWeights(model, new Uint8Array(readFileSync(cache)));
    log(`baseline: loaded ${cache}`);
    return model.eval();
  }
  log(`baseline: training the float CNN (${epochs} epochs)`);
  await train(model, data, { epochs, verbose });
  if (cached) {
    mkdirSync(dirname(cache), { recursive: true });
    writeFileSync(cache, await saveWeights(model));
  }
  return model;
}
