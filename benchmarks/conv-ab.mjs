// A/B of WebGPU conv2d between two builds of @aimodel/tensor in one process: the old and the new
// build take turns sample by sample, so both see the same machine load (on a shared or busy
// machine, separate runs minutes apart differ by 2× or more). Reports per call the median wall
// time, the median of the paired old/new wall-time ratios, and the median process CPU time, which
// includes lavapipe's worker threads and so measures the work done even under load.
// Usage (old build from a git worktree of the base commit, each built with tsup):
//   node benchmarks/conv-ab.mjs <old dist dir> <new dist dir> [samples=8] [reps=3] [--grad]
// Shapes: x [8, 64, 32, 32], w [64, 64, 3, 3], padding 1 (forward, convTranspose2d = the input
// gradient's kernel, and with --grad forward plus both gradients).
const [oldDir, newDir] = process.argv.slice(2, 4);
if (!oldDir || !newDir) throw new Error('usage: node benchmarks/conv-ab.mjs <old dist> <new dist> [samples] [reps] [--grad]');
const samples = Number(process.argv[4] ?? 8);
const reps = Number(process.argv[5] ?? 3);
const grad = process.argv.includes('--grad');

const builds = {};
for (const [name, dir] of [
  ['old', oldDir],
  ['new', newDir],
]) {
  const am = await import(`${dir}/index.js`);
  await am.init({ device: 'webgpu' });
  am.manualSeed(0);
  const x = am.randn([8, 64, 32, 32], { device: 'webgpu' });
  const w = am.randn([64, 64, 3, 3], { device: 'webgpu' });
  const gy = am.randn([8, 64, 32, 32], { device: 'webgpu' });
  const cases = {
    'conv2d forward': () => am.conv2d(x, w, { padding: 1 }),
    'convTranspose2d (input-gradient kernel)': () => am.convTranspose2d(gy, w, { padding: 1 }),
  };
  if (grad) {
    cases['conv2d forward + both gradients'] = () =>
      am.scope(() => {
        const xx = x.detach();
        xx.requiresGrad = true;
        const ww = w.detach();
        ww.requiresGrad = true;
        am.conv2d(xx, ww, { padding: 1 }).backward(gy);
        return am.keep(ww.grad.add(xx.grad.narrow(0, 0, 1).sum()));
      });
  }
  builds[name] = cases;
}

const sync = async (t) => {
  await t.reshape([-1]).narrow(0, 0, 1).data();
};
async function sample(f) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ys = [];
  for (let r = 0; r < reps; r++) ys.push(f());
  await sync(ys.at(-1));
  const wall = (performance.now() - t0) / reps;
  const c = process.cpuUsage(c0);
  for (const t of ys) t.dispose();
  return { wall, cpu: (c.user + c.system) / 1000 / reps };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const name of Object.keys(builds.old)) {
  for (const b of ['old', 'new']) {
    const y = builds[b][name](); // compile and warm up
    await sync(y);
    y.dispose();
  }
  const r = { old: [], new: [] };
  for (let s = 0; s < samples; s++) {
    for (const b of s % 2 ? ['new', 'old'] : ['old', 'new']) r[b].push(await sample(builds[b][name]));
  }
  const wall = (b) => median(r[b].map((x) => x.wall)).toFixed(1);
  const cpu = (b) => median(r[b].map((x) => x.cpu)).toFixed(0);
  const ratio = median(r.old.map((o, i) => o.wall / r.new[i].wall)).toFixed(2);
  console.log(`${name}: wall old ${wall('old')} ms, new ${wall('new')} ms (paired old/new ${ratio}×); CPU old ${cpu('old')} ms, new ${cpu('new')} ms`);
}
process.exit(0);
