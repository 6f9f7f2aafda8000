import { Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@aimodel/nn';

/** The MNIST CNN of examples/mnist-cnn (in training mode, as constructed). */
export function mnistCnn(): Sequential {
  return new Sequential(
    new Conv2d(1, 16, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(16, 32, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Dropout(0.3),
    new Linear(32 * 7 * 7, 10),
  );
}
