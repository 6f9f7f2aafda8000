// Compressing a trained MNIST CNN: a float baseline, then each compression, measured the same way
// (test accuracy, parameters and non-zeros, safetensors file and its gzip, latency of a batch of
// 64 on the CPU and, when an adapter exists, on WebGPU). Training runs on the CPU.
// Run from the repository root:  npm run demo:compress   (add --no-webgpu to skip the WebGPU column)
import { init, manualSeed } from '@aimodel/nn';
import { loadMnist } from './data.mjs';
import { latencies, measure, table } from './measure.mjs';
import { baseline } from './model.mjs';
import { gradual, structured } from './prune.mjs';

await init({ device: 'cpu' });
manualSeed(0);
const data = loadMnist();
console.log(`MNIST: ${data.xTrain.shape[0]} training and ${data.xTest.shape[0]} test images`);

const base = await baseline(data);
const rows = [await measure('float32 baseline', base, data)];

console.log('\npruned 90% unstructured (gradual, fine-tuned)');
rows.push(await measure('pruned 90% unstructured', await gradual(base, data), data));
console.log('\nstructured: 50% of the channels removed, fine-tuned');
rows.push(await measure('structured 50% channels', await structured(base, data), data));

// (quantization and distillation rows are added here)

console.log('\ntiming a batch of 64 on the CPU');
const batch = data.xTest.narrow(0, 0, 64);
(
  await latencies(
    rows.map((r) => r.model),
    batch,
  )
).forEach((ms, i) => {
  rows[i].cpuMs = ms;
});
if (!process.argv.includes('--no-webgpu')) {
  try {
    await init({ device: 'webgpu' });
    console.log('timing a batch of 64 on WebGPU');
    const gpuBatch = batch.to('webgpu');
    for (const row of rows) await row.model.to('webgpu');
    (
      await latencies(
        rows.map((r) => r.model),
        gpuBatch,
      )
    ).forEach((ms, i) => {
      rows[i].gpuMs = ms;
    });
    gpuBatch.dispose();
  } catch (e) {
    console.log(`(no WebGPU column: ${e.message.split('\n')[0]})`);
  }
}

console.log(`\n${table(rows)}`);
