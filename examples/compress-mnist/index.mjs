// Compressing a trained MNIST CNN: a float baseline, then each compression, measured the same way
// (test accuracy, parameters and non-zeros, the saved file and its gzip, latency of a batch of 64
// on the CPU and, with --webgpu when an adapter exists, on WebGPU). Training runs on the CPU.
// Run from the repository root:  npm run demo:compress [-- --full] [-- --webgpu]
//   (default)  fine-tuning, QAT and the students train on 2,000 of the 8,000 training images (a few minutes)
//   --full     they train on all 8,000, the students for 3 epochs
//   --small    a smoke test: tiny subsets, one short epoch each, a baseline trained on the spot (not cached)
//   --only qat the float baseline and the QAT row only (the other rows are skipped; with --full or not)
//   --seeds 0,1,2  with --only qat: one QAT row per seed (fit's batch order), to check the bar holds
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOptions, init, manualSeed } from '@aimodel/nn';
import { loadMnist, subset } from './data.mjs';
import { students } from './distill.mjs';
import { latencies, measure, table } from './measure.mjs';
import { baseline } from './model.mjs';
import { gradual, structured } from './prune.mjs';
import { ptq, qat } from './quantize.mjs';

const MODES = {
  small: {
    train: 256,
    test: 100,
    calibration: 64,
    qat: 128,
    qatEpochs: 1,
    students: 128,
    baselineEpochs: 1,
    cached: false,
    epochs: 1,
    studentEpochs: 1,
    rounds: 1,
    warmup: 1,
  },
  default: {
    train: 2000,
    test: Infinity,
    calibration: 1000,
    qat: Infinity,
    qatEpochs: 2,
    students: 2000,
    baselineEpochs: 4,
    cached: true,
    epochs: 2,
    studentEpochs: 2,
    rounds: 21,
    warmup: 2,
  },
  full: {
    train: Infinity,
    test: Infinity,
    calibration: 1000,
    qat: Infinity,
    qatEpochs: 2,
    students: Infinity,
    baselineEpochs: 4,
    cached: true,
    epochs: 2,
    studentEpochs: 3,
    rounds: 21,
    warmup: 2,
  },
};

/** The distillation seeds. */
export const SEEDS = [0, 1, 2];

/**
 * Run the example; returns the rows (name, accuracy (mean over seeds for the students),
 * accuracies, accuracyStd, parameters, nonZeros, bytes, fileBytes, gzipBytes, cpuMs, gpuMs), the
 * printed Markdown `table`, and the issue's `bars`, each with `met`.
 * @param {{ small?: boolean, full?: boolean, webgpu?: boolean, only?: 'qat', seeds?: number[], log?: (line: string) => void, verbose?: 0 | 2 }} opts
 *   (`verbose`: fit's progress lines, 2 by default, 0 with `small`; `only: 'qat'`: the baseline and
 *   the QAT rows alone, one per seed of `seeds` (default [0]))
 */
export async function main(opts = {}) {
  checkOptions('compress-mnist main', opts, ['small', 'full', 'webgpu', 'only', 'seeds', 'log', 'verbose']);
  const { small = false, full = false, webgpu = false, only, seeds = [0], log = console.log, verbose = small ? 0 : 2 } = opts;
  if (only !== undefined && only !== 'qat') throw new Error(`--only: expected 'qat', got ${JSON.stringify(only)}`);
  if (seeds.length !== 1 && only !== 'qat') throw new Error('several QAT seeds are for --only qat (the full table has one QAT row)');
  const mode = MODES[small ? 'small' : full ? 'full' : 'default'];
  await init({ device: 'cpu' });
  manualSeed(0);
  const all = loadMnist();
  const data = subset(all, mode.train, mode.test);
  const kdData = subset(all, mode.students, mode.test);
  log(
    `MNIST: ${all.xTrain.shape[0]} training and ${all.xTest.shape[0]} test images; fine-tuning on ${data.xTrain.shape[0]}, testing on ${data.xTest.shape[0]}`,
  );

  const base = await baseline(small ? data : all, { epochs: mode.baselineEpochs, cached: mode.cached, verbose, log });
  const rows = [await measure('float32 baseline', base, data, { log })];
  const add = async (name, model, models) => {
    rows.push(await measure(name, model, data, { models, log }));
    return model;
  };
  const calibration = all.xTrain.narrow(0, 0, mode.calibration);
  const qatLabel = `QAT int8 (${mode.qatEpochs} epoch${mode.qatEpochs > 1 ? 's' : ''})`;
  const qatRows = async () => {
    log(`\nquantization-aware training (calibrate on ${mode.calibration} training images, ${qatLabel.slice(10, -1)}), then convert`);
    for (const seed of seeds) {
      const label = seeds.length > 1 ? `${qatLabel.slice(0, -1)}, seed ${seed})` : qatLabel;
      await add(label, await qat(base, subset(data, mode.qat), calibration, { epochs: mode.qatEpochs, seed, verbose }));
    }
  };
  if (only === 'qat') {
    await qatRows();
    return finish(rows, [], { mode, data, webgpu, log, all });
  }

  log('\npruned 90% unstructured (gradual, fine-tuned)');
  const pruned = await add('pruned 90% unstructured (gradual)', await gradual(base, data, { epochs: mode.epochs, verbose }));
  log('\nstructured: 50% of the channels removed, fine-tuned');
  await add('structured 50% channels (shrunk)', await structured(base, data, { epochs: mode.epochs, verbose }));

  log(`\npost-training int8 (fuse → prepare → calibrate on ${mode.calibration} training images → convert)`);
  await add('PTQ int8 per-tensor', ptq(base, calibration, { perChannel: false }));
  await add('PTQ int8 per-channel', ptq(base, calibration, { perChannel: true }));
  await qatRows();
  log('\nthe pruned model quantized (per-channel)');
  await add('pruned 90% + int8 per-channel', ptq(pruned, calibration, { perChannel: true }));

  log(`\ndistillation: a student with ¼ of the parameters, seeds ${SEEDS.join(', ')}, ${mode.studentEpochs} epochs on ${kdData.xTrain.shape[0]} images`);
  const alone = await students(null, kdData, { seeds: SEEDS, epochs: mode.studentEpochs, verbose });
  await add(`student ¼ alone (${SEEDS.length} seeds)`, alone[0], alone);
  const taught = await students(base, kdData, { seeds: SEEDS, epochs: mode.studentEpochs, verbose });
  await add(`student ¼ distilled (${SEEDS.length} seeds)`, taught[0], taught);
  return finish(rows, [...alone, ...taught], { mode, data, webgpu, log, all });
}

/** Times the rows, prints the table and the bars, disposes the models (and `all`'s tensors). */
async function finish(rows, extra, { mode, data, webgpu, log, all }) {
  log('\ntiming a batch of 64 on the CPU');
  const batch = data.xTest.narrow(0, 0, 64);
  const cpu = await latencies(
    rows.map((r) => r.model),
    batch,
    mode.rounds,
    mode.warmup,
  );
  cpu.forEach((ms, i) => {
    rows[i].cpuMs = ms;
  });
  if (webgpu) {
    try {
      await init({ device: 'webgpu' });
      log('timing a batch of 64 on WebGPU');
      const gpuBatch = batch.to('webgpu');
      for (const row of rows) await row.model.to('webgpu');
      const gpu = await latencies(
        rows.map((r) => r.model),
        gpuBatch,
        mode.rounds,
        mode.warmup,
      );
      gpu.forEach((ms, i) => {
        rows[i].gpuMs = ms;
      });
      gpuBatch.dispose();
    } catch (e) {
      log(`(no WebGPU column: ${String(e?.message ?? e).split('\n')[0]})`);
    }
  }

  const printed = table(rows);
  const bars = checkBars(rows);
  log(`\n${printed}\n`);
  for (const b of bars) log(`${b.met ? 'met    ' : 'NOT met'}  ${b.bar}: ${b.value}`);

  for (const m of new Set([...rows.map((r) => r.model), ...extra])) m.dispose();
  for (const t of Object.values(all)) t.dispose();
  return { rows: rows.map(({ model, ...r }) => r), table: printed, bars };
}

/** The issue's bars, checked on the rows (by name); with `--only qat`, the QAT bar of each QAT row. */
export function checkBars(rows) {
  const [base] = rows;
  const row = (prefix) => rows.find((r) => r.name.startsWith(prefix));
  const drop = (r) => (base.accuracy - r.accuracy) * 100;
  const signed = (d) => `${d > 5e-5 ? '+' : d < -5e-5 ? '−' : ''}${Math.abs(d).toFixed(2)}`;
  const points = (r, max, bar) => ({ bar, value: `${signed(-drop(r))} points`, met: drop(r) <= max + 1e-9 });
  const qatRows = rows.filter((r) => r.name.startsWith('QAT int8'));
  const qatBars = qatRows.map((r) => points(r, 0.1, `QAT int8 loses ≤ 0.1 points${qatRows.length > 1 ? ` (${r.name.slice(10, -1)})` : ''}`));
  if (!row('PTQ int8 per-tensor')) return qatBars;
  const kdAlone = row('student ¼ alone');
  const kdTaught = row('student ¼ distilled');
  const gain = (kdTaught.accuracy - kdAlone.accuracy) * 100;
  const int8 = row('PTQ int8 per-channel');
  const packed = row('pruned 90% + int8');
  return [
    points(row('PTQ int8 per-tensor'), 0.2, 'PTQ int8 per-tensor loses ≤ 0.2 points'),
    points(int8, 0.2, 'PTQ int8 per-channel loses ≤ 0.2 points'),
    ...qatBars,
    points(row('pruned 90% unstructured'), 0.5, '90% gradual pruning loses ≤ 0.5 points'),
    {
      bar: 'int8 file ≤ 27% of the float file',
      value: `${((100 * int8.fileBytes) / base.fileBytes).toFixed(1)}%`,
      met: int8.fileBytes <= 0.27 * base.fileBytes,
    },
    {
      bar: 'pruned + int8 + gzip ≥ 15× smaller than the float file',
      value: `${(base.fileBytes / packed.gzipBytes).toFixed(1)}×`,
      met: base.fileBytes >= 15 * packed.gzipBytes,
    },
    {
      bar: 'distillation: student distilled vs alone (reported, no bar)',
      value: `${signed(gain)} points (± ${(kdAlone.accuracyStd * 100).toFixed(2)} / ${(kdTaught.accuracyStd * 100).toFixed(2)} std over seeds)`,
      met: true,
    },
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = (f) => process.argv.includes(f);
  const value = (f) => {
    if (!flag(f)) return undefined;
    const v = process.argv[process.argv.indexOf(f) + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${f} needs a value (e.g. --only qat, --seeds 0,1,2)`);
    return v;
  };
  const seeds = value('--seeds')?.split(',').map(Number) ?? [0];
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds: expected comma-separated integers ≥ 0, got ${value('--seeds')}`);
  await main({ small: flag('--small'), full: flag('--full'), webgpu: flag('--webgpu'), only: value('--only'), seeds });
}
