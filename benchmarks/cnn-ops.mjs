// Per-op CPU timings (one thread) of the small CNN of issue 13 (conv8-pool-conv16-pool-dense10,
// batch 64) for A/B between builds: each build in its own process, alternating, is noisy on a
// shared machine, so this loads two builds of @aimodel/tensor into one process and alternates
// them sample by sample. Reports per call the least wall time and the least process CPU time
// (user + system: under load, a better measure of the work done) of each op, and the paired
// old/new ratio of CPU times (median over the samples). FILTER=<substring> picks ops.
// Usage: node benchmarks/cnn-ops.mjs <old dist dir> [new dist dir = packages/tensor/dist] [samples=7]
const [oldDir, newDir = new URL('../packages/tensor/dist', import.meta.url).pathname, samplesArg] = process.argv.slice(2);
const samples = Number(samplesArg ?? 7);

async function cases(dir) {
  const am = await import(`${dir}/index.js`);
  // THREADS=n: the CPU thread count, for builds that have the option (older ones reject it)
  await am.init({ device: 'cpu', threads: Number(process.env.THREADS ?? 1) }).catch(() => am.init({ device: 'cpu' }));
  am.manualSeed(0);
  const B = 64;
  const x1 = am.randn([B, 1, 28, 28]),
    w1 = am.randn([8, 1, 3, 3]),
    b1 = am.randn([8]);
  const x2 = am.randn([B, 8, 14, 14]),
    w2 = am.randn([16, 8, 3, 3]),
    b2 = am.randn([16]);
  const y1 = am.randn([B, 8, 28, 28]),
    y2 = am.randn([B, 16, 14, 14]);
  const xi = am.randn([8, 64, 32, 32]),
    wi = am.randn([64, 64, 3, 3]),
    gi = am.randn([8, 64, 32, 32]);
  const grads = (x, w, b, gy) => () =>
    am.scope(() => {
      const xx = x.detach();
      xx.requiresGrad = true;
      const ww = w.detach();
      ww.requiresGrad = true;
      const bb = b.detach();
      bb.requiresGrad = true;
      am.conv2d(xx, ww, { bias: bb, padding: 1 }).backward(gy);
    });
  const pool = (y) => () =>
    am.scope(() => {
      const yy = y.detach();
      yy.requiresGrad = true;
      am.maxPool2d(yy, 2).sum().backward();
    });
  const ps = [w1, b1, w2, b2, am.randn([16 * 7 * 7, 10]), am.randn([10])].map((t) => am.scope(() => t.mul(0.1)));
  for (const p of ps) p.requiresGrad = true;
  const labels = am.oneHot(am.randint(0, 10, [B]), 10).to('float32');
  const step = () =>
    am.scope(() => {
      let h = am.maxPool2d(am.conv2d(x1, ps[0], { bias: ps[1], padding: 1 }).relu(), 2);
      h = am.maxPool2d(am.conv2d(h, ps[2], { bias: ps[3], padding: 1 }).relu(), 2);
      const logits = h.reshape([B, -1]).matmul(ps[4]).add(ps[5]);
      am.logSoftmax(logits, -1).mul(labels).sum().neg().div(B).backward();
      am.noGrad(() => {
        for (const p of ps) {
          p.assign(p.sub(p.grad.mul(1e-2)));
          p.grad.dispose();
          p.grad = null;
        }
      });
    });
  return {
    'small CNN train step, batch 64 (SGD)': step,
    'conv1 fwd [64,1,28,28]*[8,1,3,3]+bias': () => am.conv2d(x1, w1, { bias: b1, padding: 1 }).dispose(),
    'conv2 fwd [64,8,14,14]*[16,8,3,3]+bias': () => am.conv2d(x2, w2, { bias: b2, padding: 1 }).dispose(),
    'conv1 fwd+bwd (x, w, bias grads)': grads(x1, w1, b1, y1),
    'conv2 fwd+bwd (x, w, bias grads)': grads(x2, w2, b2, y2),
    'relu [64,8,28,28]': () => y1.relu().dispose(),
    'maxPool2d 2 fwd [64,8,28,28]': () => am.maxPool2d(y1, 2).dispose(),
    'maxPool2d 2 fwd+bwd [64,8,28,28]': pool(y1),
    'maxPool2d 2 fwd+bwd [64,16,14,14]': pool(y2),
    'conv2d x[8,64,32,32] w[64,64,3,3] fwd': () => am.conv2d(xi, wi, { padding: 1 }).dispose(),
    'conv2d x[8,64,32,32] input grad': () => am.convTranspose2d(gi, wi, { padding: 1 }).dispose(),
  };
}
const builds = { old: await cases(oldDir), new: await cases(newDir) };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function sample(f) {
  const reps = 3;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) f();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / reps, cpu: (c.user + c.system) / 1000 / reps };
}
console.log('| op | old wall ms | new wall ms | old CPU ms | new CPU ms | old/new (CPU) |\n|---|---:|---:|---:|---:|---:|');
for (const name of Object.keys(builds.old)) {
  if (process.env.FILTER && !name.includes(process.env.FILTER)) continue;
  for (const b of ['old', 'new']) for (let i = 0; i < 2; i++) builds[b][name]();
  const r = { old: [], new: [] };
  for (let s = 0; s < samples; s++) for (const b of s % 2 ? ['new', 'old'] : ['old', 'new']) r[b].push(sample(builds[b][name]));
  const ratio = median(r.old.map((o, i) => o.cpu / r.new[i].cpu));
  const m = (b, k) => Math.min(...r[b].map((x) => x[k])).toFixed(2);
  console.log(`| ${name} | ${m('old', 'wall')} | ${m('new', 'wall')} | ${m('old', 'cpu')} | ${m('new', 'cpu')} | ${ratio.toFixed(2)}× |`);
}
