// Tuning sweep for the WebGPU matmul: every tile configuration (MATMUL_TILES in
// packages/tensor/src/backend/webgpu/kernels/matmul-candidates.ts, forced with
// init({ webgpu: { matmulTile } })) at large square sizes, with Dawn's bounds-check transform on
// (the default) and off (`enable-dawn-features=disable_robustness`). Each configuration is first
// checked against the CPU backend on a 257×300×263 product (sizes off every tile edge), then
// timed at 4096 (default; --sizes for others).
//   node benchmarks/matmul-tune.mjs [--sizes 4096,8192] [--tiles large,large-db] [--quick] [--json out.json]
// --quick: tiny sizes and short timing, a smoke test for software adapters (numbers meaningless).
// Each Dawn flag set runs in a child process of its own (Dawn flags apply when a device is opened).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine, measure, table } from './harness.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const TILES = [
  'auto',
  'large',
  'large-bk8',
  'large-bk32',
  'large-rows',
  'large-db',
  'large-db-rows',
  'large-db16',
  'large-g8',
  'large-db-g8',
  'large-warp',
  'large-db-warp',
  'large-unroll',
  'large-db-unroll',
  'medium',
];
const FLAG_SETS = [[], ['enable-dawn-features=disable_robustness']];

if (argv.includes('--child')) {
  await child(JSON.parse(opt('child')));
} else {
  const sizes = opt('sizes', quick ? '64,130' : '4096')
    .split(',')
    .map(Number);
  const tiles = opt('tiles', TILES.join(',')).split(',');
  const rows = [];
  let adapter = null;
  const robust = (r) => (r.dawnFlags.length ? 'bounds checks off' : 'bounds checks on');
  const named = () => rows.map((r) => ({ ...r, name: `matmul ${r.n}×${r.n}, tile ${r.tile}, ${robust(r)}` }));
  const report = () => ({ date: new Date().toISOString(), machine: machine(), device: 'webgpu (Dawn)', adapter, quick, rows: named() });
  for (const dawnFlags of FLAG_SETS) {
    const job = JSON.stringify({ dawnFlags, sizes, tiles, quick });
    let out;
    try {
      out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', job], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 20 * 60e3,
      });
    } catch (e) {
      console.error(`flags ${JSON.stringify(dawnFlags)}: the sweep failed (${e.message.split('\n')[0]})`);
      out = e.stdout ?? '';
    }
    for (const line of out.split('\n')) {
      if (!line.startsWith('{')) continue;
      const r = JSON.parse(line);
      if (r.adapter) adapter = r.adapter;
      else rows.push(r);
    }
    // written after each flag set, so a time limit on the whole sweep keeps what finished
    if (opt('json')) writeFileSync(opt('json'), JSON.stringify(report(), null, 2));
  }
  const done = report();
  console.log(`\n${done.machine}\nadapter: ${JSON.stringify(adapter)}\n\n${table(done.rows.filter((r) => r.ms != null)).replaceAll('tfjs-cpu', 'peer')}`);
  const best = done.rows.filter((r) => r.rate != null).sort((a, b) => b.rate - a.rate)[0];
  if (best) console.log(`\nfastest: ${best.name}: ${best.rate.toFixed(0)} GFLOP/s`);
}

/** One Dawn flag set: check and time every tile; prints one JSON line per result. */
async function child({ dawnFlags, sizes, tiles, quick }) {
  const am = await import('@aimodel/tensor');
  await am.init({ device: 'webgpu', webgpu: { dawnFlags } });
  const { create } = await import('webgpu');
  const a = await create([...dawnFlags]).requestAdapter({ powerPreference: 'high-performance' });
  const limit = a.limits.maxComputeWorkgroupStorageSize;
  console.log(JSON.stringify({ adapter: { ...pick(a.info, ['vendor', 'architecture', 'device', 'description']), maxComputeWorkgroupStorageSize: limit } }));
  am.manualSeed(0);
  // the reference product, on the CPU
  const [M, K, N] = [257, 300, 263];
  const ca = am.randn([M, K], { device: 'cpu' });
  const cb = am.randn([K, N], { device: 'cpu' });
  const want = await am.matmul(ca, cb).data();
  const [ga, gb] = [ca.to('webgpu'), cb.to('webgpu')];
  for (const tile of tiles) {
    try {
      await am.init({ device: 'webgpu', webgpu: { matmulTile: tile } });
    } catch (e) {
      console.error(`tile ${tile}: ${e.message}`);
      continue;
    }
    const got = await am.matmul(ga, gb).data();
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
    if (!(err < 1e-3)) {
      console.log(JSON.stringify({ tile, dawnFlags, n: M, error: err, ms: null, rate: null, unit: 'GFLOP/s' }));
      console.error(`tile ${tile}: WRONG against the CPU (max relative error ${err})`);
      continue;
    }
    for (const n of sizes) {
      const x = am.randn([n, n], { device: 'webgpu' });
      const y = am.randn([n, n], { device: 'webgpu' });
      const reps = n >= 4096 ? 5 : n >= 1024 ? 20 : 50;
      const run = async () => {
        const outs = [];
        for (let i = 0; i < reps; i++) outs.push(am.matmul(x, y));
        await outs[reps - 1].reshape([-1]).narrow(0, 0, 1).data();
        for (const o of outs) o.dispose();
      };
      await run(); // compile, fill the pools
      const s = (await measure(`${tile} ${n}`, run, { deferred: true, maxTime: quick ? 0.5 : 1.5, minSamples: 5 })) / reps;
      const rate = (2 * n ** 3) / s / 1e9;
      console.log(JSON.stringify({ tile, dawnFlags, n, error: err, ms: s * 1e3, rate, unit: 'GFLOP/s' }));
      console.error(`${tile} ${n}×${n} ${dawnFlags.length ? '(bounds checks off)' : ''}: ${(s * 1e3).toFixed(3)} ms, ${rate.toFixed(0)} GFLOP/s`);
      x.dispose();
      y.dispose();
    }
  }
  process.exit(0);
}

function pick(o, keys) {
  return Object.fromEntries(keys.map((k) => [k, o?.[k]]));
}
