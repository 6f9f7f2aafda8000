// int8 × int8 → int32 matmul against float32 matmul of the same shape, CPU backend, one thread,
// same process, interleaved. The operands are laid out as in a Linear layer: x [M, K] @ Wᵀ
// (W stored [N, K], a transposed view), plus a row-major [K, N] B for the float kernel's own layout.
//   node benchmarks/cpu-int8-matmul.mjs [--quick] [--sizes 64x1024x1024,1x784x256] [--json out.json]
// (uses packages/tensor/dist: run `npx tsup` in packages/tensor after changing its source)
import { writeFileSync } from 'node:fs';
import * as am from '@aimodel/tensor';
import { machine, median } from './harness.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const sizes = opt('sizes', quick ? '64x256x256,1x784x256' : '1x784x256,64x784x256,64x1024x1024,256x1024x1024,256x4096x4096')
  .split(',')
  .map((s) => s.split('x').map(Number));

await am.init({ device: 'cpu' });
am.manualSeed(0);

/** Median seconds per call: warm up, then samples of enough calls to take ≥ 20 ms each. */
function time(fn) {
  fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    const dt = performance.now() - t0;
    if (dt >= 20) break;
    reps *= 2;
  }
  const samples = [];
  const n = quick ? 3 : 7;
  for (let s = 0; s < n; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    samples.push((performance.now() - t0) / reps / 1e3);
  }
  return median(samples);
}

const int8 = (n, shape) => {
  const d = new Int8Array(n);
  for (let i = 0; i < n; i++) d[i] = ((i * 2654435761) >>> 24) - 128;
  return am.tensor(d, { dtype: 'int8' }).reshape(shape);
};

const rows = [];
for (const [M, K, N] of sizes) {
  const macs = M * K * N;
  const xf = am.randn([M, K]),
    wf = am.randn([N, K]),
    bf = am.randn([K, N]);
  const xq = int8(M * K, [M, K]),
    wq = int8(N * K, [N, K]);
  const wfT = wf.transpose(0, 1),
    wqT = wq.transpose(0, 1);
  const run = (a, b) => () => am.matmul(a, b).dispose();
  // Interleave: float, int8, float again (the median of both float runs guards against drift).
  const f1 = time(run(xf, wfT));
  const q1 = time(run(xq, wqT));
  const f2 = time(run(xf, bf));
  const q2 = time(run(xq, wqT));
  const f3 = time(run(xf, wfT));
  const float = (f1 + f3) / 2,
    q = Math.min(q1, q2);
  const row = {
    shape: `${M}×${K} @ ${K}×${N}`,
    floatMs: float * 1e3,
    floatRowMajorMs: f2 * 1e3,
    int8Ms: q * 1e3,
    floatGflops: (2 * macs) / float / 1e9,
    int8Gops: (2 * macs) / q / 1e9,
    speedup: float / q,
  };
  rows.push(row);
  console.log(
    `${row.shape.padEnd(24)} float32 ${row.floatMs.toFixed(3).padStart(9)} ms (${row.floatGflops.toFixed(1)} GFLOP/s; B row-major ${row.floatRowMajorMs.toFixed(3)} ms)  int8 ${row.int8Ms.toFixed(3).padStart(9)} ms (${row.int8Gops.toFixed(1)} GOP/s)  int8 speed-up ${row.speedup.toFixed(2)}×`,
  );
  for (const t of [xf, wf, bf, xq, wq]) t.dispose();
}
const report = { date: new Date().toISOString(), machine: machine(), threads: 1, quick, rows };
console.log(`\n${report.date} · ${report.machine}`);
const json = opt('json', null);
if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
