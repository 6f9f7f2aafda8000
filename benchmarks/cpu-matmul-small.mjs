// Small and medium float32 matmul on the CPU backend (issue 13: 64–512 must not be dominated by
// overhead), one thread, square n×n·n×n, plus a Linear-shaped row (B a transposed view) and a
// matrix·vector row. tfjs-wasm (@tensorflow/tfjs-backend-wasm, XNNPACK) runs side by side in
// the same process when it is installed; it is not a dependency of this repository.
// The issue's conv2d row (x [8,64,32,32], w [64,64,3,3], padding 1) closes the table.
//   node benchmarks/cpu-matmul-small.mjs [--sizes 64,128,256,512] [--json out.json]
// (uses packages/tensor/dist: run `npx tsup` in packages/tensor after changing its source; for
// a before/after comparison, AIMODEL_TENSOR=/path/to/other/checkout/packages/tensor/dist/index.js
// loads another build instead)
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { machine, median } from './harness.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const sizes = opt('sizes', '64,128,256,512,1024').split(',').map(Number);

const am = await import(process.env.AIMODEL_TENSOR ?? '@aimodel/tensor');
await am.init({ device: 'cpu' });
am.manualSeed(0);

let tf = null;
try {
  const require = createRequire(import.meta.url);
  tf = require('@tensorflow/tfjs-core');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount?.(1); // one thread, like ours (must precede the backend's start)
  await tf.setBackend('wasm');
  await tf.ready();
} catch {
  tf = null;
}

/** Median and best seconds per call over 9 samples of ≥ 20 ms each, after a warm-up. */
function time(fn) {
  for (let i = 0; i < 3; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    if (performance.now() - t0 >= 20) break;
    reps *= 2;
  }
  const samples = [];
  for (let s = 0; s < 9; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    samples.push((performance.now() - t0) / reps / 1e3);
  }
  return { median: median(samples), best: Math.min(...samples) };
}

const shapes = [
  ...sizes.map((n) => ({ name: `matmul ${n}×${n}`, M: n, K: n, N: n, t: false })),
  { name: 'Linear 784→256, batch 64 (B = Wᵀ)', M: 64, K: 784, N: 256, t: true },
  { name: 'matrix·vector 1×1024 @ 1024×1024', M: 1, K: 1024, N: 1024, t: false },
];
const rows = [];
for (const { name, M, K, N, t } of shapes) {
  const flops = 2 * M * N * K;
  const a = am.randn([M, K]),
    b = t ? am.randn([N, K]) : am.randn([K, N]);
  const bb = t ? b.transpose(0, 1) : b;
  const ours = time(() => am.matmul(a, bb).dispose());
  let peer = null;
  if (tf) {
    const ta = tf.randomNormal([M, K]),
      tb = t ? tf.randomNormal([N, K]) : tf.randomNormal([K, N]);
    peer = time(() => tf.matMul(ta, tb, false, t).dispose());
    ta.dispose();
    tb.dispose();
  }
  a.dispose();
  b.dispose();
  const row = {
    name,
    gflops: flops / ours.median / 1e9,
    bestGflops: flops / ours.best / 1e9,
    ms: ours.median * 1e3,
    peerGflops: peer ? flops / peer.median / 1e9 : null,
  };
  rows.push(row);
  console.log(
    `${name.padEnd(36)} ${row.ms.toFixed(3).padStart(8)} ms  ${row.gflops.toFixed(1).padStart(5)} GFLOP/s (best ${row.bestGflops.toFixed(1)})${peer ? `  tfjs-wasm ${row.peerGflops.toFixed(1)} GFLOP/s` : ''}`,
  );
}
{
  const x = am.randn([8, 64, 32, 32]),
    w = am.randn([64, 64, 3, 3]);
  const flops = 2 * 8 * 64 * 32 * 32 * 64 * 9;
  const ours = time(() => am.conv2d(x, w, undefined, { padding: 1 }).dispose());
  let peer = null;
  if (tf) {
    const tx = tf.randomNormal([8, 32, 32, 64]),
      tw = tf.randomNormal([3, 3, 64, 64]); // NHWC, the layout tfjs convolves in
    peer = time(() => tf.conv2d(tx, tw, 1, 'same').dispose());
    tx.dispose();
    tw.dispose();
  }
  x.dispose();
  w.dispose();
  const row = {
    name: 'conv2d x[8,64,32,32] w[64,64,3,3]',
    gflops: flops / ours.median / 1e9,
    bestGflops: flops / ours.best / 1e9,
    ms: ours.median * 1e3,
    peerGflops: peer ? flops / peer.median / 1e9 : null,
  };
  rows.push(row);
  console.log(
    `${row.name.padEnd(36)} ${row.ms.toFixed(3).padStart(8)} ms  ${row.gflops.toFixed(1).padStart(5)} GFLOP/s (best ${row.bestGflops.toFixed(1)})${peer ? `  tfjs-wasm ${row.peerGflops.toFixed(1)} GFLOP/s` : ''}`,
  );
}
const report = {
  date: new Date().toISOString(),
  machine: machine(),
  build: process.env.AIMODEL_TENSOR ?? '@aimodel/tensor',
  threads: 1,
  peer: tf ? 'tfjs-wasm' : 'none (tfjs-backend-wasm not installed)',
  rows,
};
console.log(`\n${report.date} · ${report.machine} · peer: ${report.peer}`);
const json = opt('json', null);
if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
