// Host time to record one small MLP training step on WebGPU (the RESULTS.md row "host time to
// record one small MLP training step"): 16×64 → 32 → 8 with ReLU, mse loss, backward, SGD update
// in place under noGrad, gradients cleared. A sample records `steps` steps back to back (timed),
// then reads the last loss (not timed: the GPU's work and the wait are excluded); the report is
// the median and the fastest per-step time over `samples` samples. The same for the process's
// CPU time (user + system, `process.cpuUsage`): nothing runs on the GPU while a sample records (it
// submits nothing), so it is the host's work alone, and much less disturbed by other processes
// competing for the cores than the wall time.
//
// Usage: node benchmarks/step-host-time.mjs [path/to/packages/tensor/dist/index.js] [samples] [steps]
// Compare two builds by running it in alternation on two `git worktree`s' dist folders.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const dist = resolve(process.argv[2] ?? 'packages/tensor/dist/index.js');
const samples = Number(process.argv[3] ?? 40);
const steps = Number(process.argv[4] ?? 20);
const t = await import(pathToFileURL(dist).href);
await t.init({ device: 'webgpu' });

const device = 'webgpu';
let seed = 1;
const values = (n, scale) =>
  Float32Array.from({ length: n }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return ((seed / 2 ** 32) * 2 - 1) * scale;
  });
const leaf = (shape, scale) =>
  t
    .tensor(
      values(
        shape.reduce((a, b) => a * b, 1),
        scale,
      ),
      { device, requiresGrad: true },
    )
    .reshape(shape);
const params = [[64, 32], [32], [32, 8], [8]].map((s) => t.keep(t.noGrad(() => leaf(s, 0.2))));
for (const p of params) p.requiresGrad = true;
const x = t.tensor(values(16 * 64, 1), { device }).reshape([16, 64]);
const y = t.tensor(values(16 * 8, 1), { device }).reshape([16, 8]);

function step() {
  return t.scope(() => {
    const [w1, b1, w2, b2] = params;
    const loss = x.matmul(w1).add(b1).relu().matmul(w2).add(b2).sub(y).pow(2).mean();
    loss.backward();
    t.noGrad(() => {
      for (const p of params) {
        p.assign(p.sub(p.grad.mul(0.01)));
        p.grad.dispose();
        p.grad = null;
      }
    });
    return loss;
  });
}

// warm-up: compile every pipeline, fill the buffer pool and the bind-group cache
for (let i = 0; i < 5; i++) {
  const loss = step();
  await loss.item();
  loss.dispose();
}
const wall = [];
const cpu = [];
for (let s = 0; s < samples; s++) {
  const losses = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) losses.push(step());
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  await losses.at(-1).item();
  for (const l of losses) l.dispose();
  wall.push((t1 - t0) / steps);
  cpu.push((c.user + c.system) / 1000 / steps);
}
const stats = (v) => {
  v.sort((a, b) => a - b);
  const at = (q) => +v[Math.floor(q * (v.length - 1))].toFixed(3);
  return { median: at(0.5), p10: at(0.1), min: at(0) };
};
console.log(JSON.stringify({ dist, samples, steps, wallMs: stats(wall), cpuMs: stats(cpu) }));
process.exit(0);
