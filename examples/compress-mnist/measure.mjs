// One row of the table: test accuracy, parameters, non-zeros, the file as saved (safetensors:
// saveSafetensors for float models, saveQuantized for int8 ones) and its gzip, and the median
// latency of a batch of 64 on each device.
import { gzipSync } from 'node:zlib';
import { modelSize, QuantizedConv2d, QuantizedLinear, saveQuantized } from '@aimodel/compress';
import { noGrad, saveSafetensors, scope } from '@aimodel/nn';

export async function accuracy(model, { xTest, yTest }) {
  model.eval();
  const predicted = noGrad(() => scope(() => model.predict(xTest, { batchSize: 250 }).argmax(1)));
  const acc = await predicted.eq(yTest).to('float32').mean().item();
  predicted.dispose();
  return acc;
}

/**
 * Median milliseconds of a forward pass on `batch` (read back) for each model, sampled round-robin
 * (one pass of each model in turn, `rounds` times, after `warmup` rounds) so that a busy
 * machine slows every row alike.
 */
export async function latencies(models, batch, rounds = 21, warmup = 2) {
  const times = models.map(() => []);
  for (let r = -warmup; r < rounds; r++) {
    for (const [i, model] of models.entries()) {
      model.eval();
      const t0 = performance.now();
      const y = noGrad(() => model.forward(batch));
      await y.data();
      y.dispose();
      if (r >= 0) times[i].push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[t.length >> 1]);
}

const isQuantized = (model) => model.namedModules().some(([, m]) => m instanceof QuantizedLinear || m instanceof QuantizedConv2d);

/** The model's file: saveQuantized for a model with int8 layers, else its state dict as safetensors. */
export const saveModel = (model) => (isQuantized(model) ? saveQuantized(model) : saveSafetensors(model.stateDict()));

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (0 for one value). */
const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/**
 * The measurements of `model` as a table row named `name` (latencies are filled in at the end, by
 * {@link latencies}). With `models` (several seeds of the same architecture), the accuracy is their
 * mean and `accuracyStd` their sample standard deviation; sizes and latency are of `model`.
 */
export async function measure(name, model, data, { models = [model], log = console.log } = {}) {
  const size = await modelSize(model);
  const file = await saveModel(model);
  const accuracies = [];
  for (const m of models) accuracies.push(await accuracy(m, data));
  const row = {
    name,
    accuracy: mean(accuracies),
    accuracies,
    accuracyStd: models.length > 1 ? std(accuracies) : null,
    parameters: size.parameters,
    nonZeros: size.nonZeros,
    bytes: size.bytes,
    fileBytes: file.length,
    gzipBytes: gzipSync(file, { level: 9 }).length,
    cpuMs: null,
    gpuMs: null,
    model,
  };
  const acc = accuracies.map((a) => `${(a * 100).toFixed(2)}%`).join(', ');
  log(`  ${name}: test accuracy ${acc}, ${row.fileBytes} bytes (${row.gzipBytes} gzipped)`);
  return row;
}

/** The table, with accuracy and sizes relative to the first row (the float baseline). */
export function table(rows) {
  const [base] = rows;
  const pct = (x) => (x * 100).toFixed(2);
  const header = [
    'Model',
    'Test acc. %',
    'Δ acc.',
    'Params',
    'Non-zero',
    'File bytes',
    'File vs float',
    'gzip bytes',
    'Float file ÷ gzip',
    'CPU ms/64',
    'WebGPU ms/64',
  ];
  const body = rows.map((r) => [
    r.name,
    r.accuracyStd === null ? pct(r.accuracy) : `${pct(r.accuracy)} ± ${pct(r.accuracyStd)}`,
    `${r.accuracy >= base.accuracy ? '+' : ''}${pct(r.accuracy - base.accuracy)}`,
    r.parameters.toLocaleString('en-US'),
    r.nonZeros.toLocaleString('en-US'),
    r.fileBytes.toLocaleString('en-US'),
    `${((100 * r.fileBytes) / base.fileBytes).toFixed(1)}%`,
    r.gzipBytes.toLocaleString('en-US'),
    `${(base.fileBytes / r.gzipBytes).toFixed(1)}×`,
    r.cpuMs === null ? '–' : r.cpuMs.toFixed(1),
    r.gpuMs === null ? '–' : r.gpuMs.toFixed(1),
  ]);
  const lines = [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}
