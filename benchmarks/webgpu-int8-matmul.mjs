// int8 × int8 → int32 matmul against float32 matmul of the same shape on WebGPU (int8 packed four
// per 32-bit word, multiplied with dot4I8Packed where the adapter has the WGSL language feature
// packed_4x8_integer_dot_product), same process, interleaved. The operands are laid out as in a
// Linear layer: x [M, K] @ Wᵀ (W stored [N, K], a transposed view), plus a row-major [K, N] B.
//   node benchmarks/webgpu-int8-matmul.mjs [--quick] [--sizes 64x1024x1024,1x784x256] [--json out.json]
// (uses packages/tensor/dist: run `npx tsup` in packages/tensor after changing its source; on a
// software adapter such as lavapipe the GPU is the CPU, so numbers compare kernels, not hardware)
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as am from '@aimodel/tensor';
import { machine, median } from './harness.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const sizes = opt('sizes', quick ? '64x256x256,1x784x256' : '1x784x256,64x784x256,64x1024x1024,256x1024x1024,1024x1024x1024')
  .split(',')
  .map((s) => s.split('x').map(Number));

const device = 'webgpu';
await am.init({ device });
am.manualSeed(0);

// the adapter and whether its WGSL has the packed int8 dot product (the kernel's dot4 path)
let adapter = {};
try {
  const { create } = createRequire(import.meta.url)('webgpu');
  const gpu = create([]);
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  adapter = { description: a.info.description || a.info.device || a.info.vendor, dot4I8Packed: gpu.wgslLanguageFeatures.has('packed_4x8_integer_dot_product') };
} catch (e) {
  adapter = { error: e.message };
}

/** One call, timed to completion: the product, then one element read back (the read waits for the GPU). */
async function once(fn) {
  const t0 = performance.now();
  const out = fn();
  await out.reshape([-1]).narrow(0, 0, 1).data();
  const ms = performance.now() - t0;
  out.dispose();
  return ms;
}

/** Median ms per call after a warm-up call (which compiles the kernel). */
async function time(fn) {
  await once(fn);
  const samples = [];
  for (let s = 0; s < (quick ? 3 : 7); s++) samples.push(await once(fn));
  return median(samples);
}

const int8 = (n, shape) => {
  const d = new Int8Array(n);
  for (let i = 0; i < n; i++) d[i] = ((i * 2654435761) >>> 24) - 128;
  return am.tensor(d, { device, dtype: 'int8' }).reshape(shape);
};

const rows = [];
for (const [M, K, N] of sizes) {
  const macs = M * K * N;
  const xf = am.randn([M, K], { device }),
    wf = am.randn([N, K], { device }),
    bf = am.randn([K, N], { device });
  const xq = int8(M * K, [M, K]),
    wq = int8(N * K, [N, K]),
    bq = int8(K * N, [K, N]);
  const wfT = wf.transpose(0, 1),
    wqT = wq.transpose(0, 1);
  const run = (a, b) => () => am.matmul(a, b);
  // Interleave: float, int8, float again (the mean of both float runs guards against drift).
  const f1 = await time(run(xf, wfT));
  const q1 = await time(run(xq, wqT));
  const qRow = await time(run(xq, bq));
  const q2 = await time(run(xq, wqT));
  const f2 = await time(run(xf, wfT));
  const float = (f1 + f2) / 2,
    q = Math.min(q1, q2);
  const row = {
    shape: `${M}×${K} @ ${K}×${N}`,
    floatMs: float,
    int8Ms: q,
    int8RowMajorMs: qRow,
    floatGflops: (2 * macs) / float / 1e6,
    int8Gops: (2 * macs) / q / 1e6,
    speedup: float / q,
  };
  rows.push(row);
  console.log(
    `${row.shape.padEnd(24)} float32 ${row.floatMs.toFixed(2).padStart(9)} ms (${row.floatGflops.toFixed(1)} GFLOP/s)  int8 ${row.int8Ms.toFixed(2).padStart(9)} ms (${row.int8Gops.toFixed(1)} GOP/s; B row-major ${row.int8RowMajorMs.toFixed(2)} ms)  int8 speed-up ${row.speedup.toFixed(2)}×`,
  );
  for (const t of [xf, wf, bf, xq, wq, bq]) t.dispose();
}
const report = { date: new Date().toISOString(), machine: machine(), adapter, quick, rows };
console.log(`\n${report.date} · ${report.machine} · ${JSON.stringify(adapter)}`);
const json = opt('json', null);
if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
process.exit(0);
