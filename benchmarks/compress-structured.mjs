// Structured pruning that shrinks the model: CNN inference before and after removing 50% of the
// channels (units) of every hidden Conv2d/Linear with lnStructured + shrinkStructured, CPU backend,
// same process, interleaved samples. The bar: ≥ 1.6× faster.
//   node benchmarks/compress-structured.mjs [--quick] [--batch 64] [--json out.json]
// (uses the packages' dist: run `npx tsup` in packages/tensor, nn and compress after changing their source)
import { writeFileSync } from 'node:fs';
import * as nn from '@aimodel/nn';
import * as compress from '../packages/compress/dist/index.js';
import { load, machine, median } from './harness.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const batch = Number(opt('batch', '64'));

await nn.init({ device: 'cpu' });
nn.manualSeed(0);

/** The examples' MNIST CNN: two conv blocks (BatchNorm, ReLU, max-pool), a hidden Linear layer and the classifier. */
function cnn() {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }),
    new nn.BatchNorm2d(32),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }),
    new nn.BatchNorm2d(64),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64 * 7 * 7, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  ).eval();
}

const dense = cnn();
const pruned = cnn();
pruned.loadStateDict(dense.stateDict());
for (const i of [0, 4, 9]) compress.lnStructured(pruned.at(i), 'weight', 0.5, 2, 0);
// exact: false — the removed channels' constants (bias through BatchNorm) fold into the next
// padded conv's bias; the speed is what is measured here
const { layers } = compress.shrinkStructured(pruned, { exact: false });

const x = nn.randn([batch, 1, 28, 28]);
const forward = (model) => () => nn.noGrad(() => nn.scope(() => void model.forward(x).dataSync()));

/** Interleaved samples of ≥ 50 ms each: seconds per forward for each model, sample by sample. */
function timeBoth(a, b) {
  a();
  b();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) a();
    if (performance.now() - t0 >= 50) break;
    reps *= 2;
  }
  const sa = [];
  const sb = [];
  for (let s = 0; s < (quick ? 3 : 9); s++) {
    for (const [fn, out] of [
      [a, sa],
      [b, sb],
    ]) {
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) fn();
      out.push((performance.now() - t0) / reps / 1e3);
    }
  }
  return [sa, sb];
}

const loadBefore = load();
const [samplesDense, samplesPruned] = timeBoth(forward(dense), forward(pruned));
// the median, and the fastest sample (the least disturbed by other processes on a busy machine)
const [tDense, tPruned] = [median(samplesDense), median(samplesPruned)];
const [minDense, minPruned] = [Math.min(...samplesDense), Math.min(...samplesPruned)];
const sizeDense = await compress.modelSize(dense);
const sizePruned = await compress.modelSize(pruned);
const result = {
  date: new Date().toISOString(),
  machine: machine(),
  load: [loadBefore, load()],
  batch,
  layers,
  dense: { msPerBatch: tDense * 1e3, parameters: sizeDense.parameters, bytes: sizeDense.bytes },
  shrunk: { msPerBatch: tPruned * 1e3, parameters: sizePruned.parameters, bytes: sizePruned.bytes },
  speedup: tDense / tPruned,
  speedupOfFastest: minDense / minPruned,
};
console.log(`${result.date} · ${result.machine} · load ${result.load.map((l) => l.toFixed(2)).join(' → ')}`);
console.log(`CNN inference, batch ${batch}, CPU backend`);
console.log(
  `  dense : ${(tDense * 1e3).toFixed(2)} ms/batch (fastest ${(minDense * 1e3).toFixed(2)}), ${sizeDense.parameters} parameters, ${sizeDense.bytes} bytes`,
);
console.log(
  `  shrunk: ${(tPruned * 1e3).toFixed(2)} ms/batch (fastest ${(minPruned * 1e3).toFixed(2)}), ${sizePruned.parameters} parameters, ${sizePruned.bytes} bytes`,
);
console.log(`  speed-up ${result.speedup.toFixed(2)}× median, ${result.speedupOfFastest.toFixed(2)}× fastest (bar: ≥ 1.6×)`);
const json = opt('json', null);
if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
