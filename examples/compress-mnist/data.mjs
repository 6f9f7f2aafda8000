// The MNIST digits of examples/mnist-data.mjs (as examples/mnist-cnn loads them), and subsets of them.
export { loadMnist } from '../mnist-data.mjs';

/** The first `n` training images (the split is already shuffled), and the first `nTest` test images. */
export function subset(data, n, nTest = data.xTest.shape[0]) {
  const take = (t, k) => t.narrow(0, 0, Math.min(k, t.shape[0]));
  return { xTrain: take(data.xTrain, n), yTrain: take(data.yTrain, n), xTest: take(data.xTest, nTest), yTest: take(data.yTest, nTest) };
}
