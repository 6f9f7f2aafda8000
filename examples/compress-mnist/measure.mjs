// One row of the table: test accuracy, parameters, non-zeros, bytes as stored (modelSize), the
// gzip-compressed safetensors file, and the median latency of a batch of 64 on each device.
import { gzipSync } from 'node:zlib';
import { noGrad, saveSafetensors, scope } from '@aimodel/nn';
import { modelSize } from '@aimodel/compress';

export async function accuracy(model, { xTest, yTest }) {
  model.eval();
  const predicted = noGrad(() => scope(() => model.predict(xTest, { batchSize: 250 }).argmax(1)));
  const acc = await predicted.eq(yTest).to('float32').mean().item();
  predicted.dispose();
  return acc;
}

/**
 * Median milliseconds of a forward pass on `batch` (read back) for each model, sampled round-robin
 * (one pass of each model in turn, `rounds` times, after two warm-up rounds) so that a busy
 * machine slows every row alike.
 */
export async function latencies(models, batch, rounds = 21) {
  const times = models.map(() => []);
  for (let r = -2; r < rounds; r++) {
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

/** The measurements of `model` as a table row named `name` (latencies are filled in at the end, by {@link latencies}). */
export async function measure(name, model, data) {
  const size = await modelSize(model);
  const file = await saveSafetensors(model.stateDict());
  const row = {
    name,
    accuracy: await accuracy(model, data),
    parameters: size.parameters,
    nonZeros: size.nonZeros,
    bytes: size.bytes,
    fileBytes: file.length,
    gzipBytes: gzipSync(file, { level: 9 }).length,
    cpuMs: null,
    gpuMs: null,
    model,
  };
  console.log(`  ${name}: test accuracy ${(row.accuracy * 100).toFixed(2)}%, ${row.fileBytes} bytes (${row.gzipBytes} gzipped)`);
  return row;
}

/** The table, with accuracy and size relative to the first row. */
export function table(rows) {
  const [base] = rows;
  const header = ['Model', 'Test acc.', 'Δ acc.', 'Params', 'Non-zero', 'File bytes', 'gzip', 'vs float (gzip)', 'CPU ms/64', 'WebGPU ms/64'];
  const body = rows.map((r) => [
    r.name,
    `${(r.accuracy * 100).toFixed(2)}%`,
    `${((r.accuracy - base.accuracy) * 100).toFixed(2)}`,
    r.parameters.toLocaleString('en-US'),
    r.nonZeros.toLocaleString('en-US'),
    r.fileBytes.toLocaleString('en-US'),
    r.gzipBytes.toLocaleString('en-US'),
    `${(base.gzipBytes / r.gzipBytes).toFixed(1)}×`,
    r.cpuMs === null ? '–' : r.cpuMs.toFixed(1),
    r.gpuMs === null ? '–' : r.gpuMs.toFixed(1),
  ]);
  const lines = [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}
