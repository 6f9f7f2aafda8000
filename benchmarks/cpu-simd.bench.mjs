// CPU elementwise / softmax / reduction throughput, one thread, side by side in one run:
//   simd       @aimodel/tensor's CPU backend (WebAssembly SIMD kernels, the default)
//   js         the same build with AIMODEL_CPU_SIMD=0 (the plain-JS loops: the "before")
//   tfjs-wasm  @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD, one thread), when it can be loaded:
//              from node_modules, or from TFJS_WASM_DIR (a folder with its own node_modules holding
//              @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm of one version)
// Each stack runs in its own process (`--child <stack>`), the three alternately, `--rounds` times
// (default 2); the table keeps each case's best median. GB/s counts bytes read plus written by
// each op (an op chain counts every op). Usage:
//   node benchmarks/cpu-simd.bench.mjs [--quick] [--rounds 2] [--filter softmax,relu] [--json out.json]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, median } from './harness.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const quick = argv.includes('--quick');
const filter = (opt('--filter', '') || '').split(',').filter(Boolean);
const N = quick ? 1 << 16 : 1 << 22; // floats per elementwise operand
const [R, C] = quick ? [256, 128] : [4096, 1024]; // rows × cols of the softmax / reduction input

/** The cases: name, bytes moved per call, and a factory per stack giving `run` (one call, result disposed). */
function cases(lib) {
  const { randn, chain, softmax, logSoftmax, sum, max, dispose } = lib;
  const c = [];
  const el = (name, bytes, make) => c.push({ name, bytes, make });
  el(`relu(x·y + z), ${N} floats (3 ops)`, 4 * N * 8, () => {
    const [x, y, z] = [randn([N]), randn([N]), randn([N])];
    return { run: () => chain(() => lib.relu(lib.add(lib.mul(x, y), z))), free: () => dispose(x, y, z) };
  });
  el(`add, ${N} + ${N}`, 4 * N * 3, () => {
    const [x, y] = [randn([N]), randn([N])];
    return { run: () => chain(() => lib.add(x, y)), free: () => dispose(x, y) };
  });
  el(`add row bias [${R},${C}] + [${C}]`, 4 * R * C * 2, () => {
    const [x, b] = [randn([R, C]), randn([C])];
    return { run: () => chain(() => lib.add(x, b)), free: () => dispose(x, b) };
  });
  el(`mul column [${R},${C}] · [${R},1]`, 4 * R * C * 2, () => {
    const [x, b] = [randn([R, C]), randn([R, 1])];
    return { run: () => chain(() => lib.mul(x, b)), free: () => dispose(x, b) };
  });
  el(`mul by scalar, ${N} floats`, 4 * N * 2, () => {
    const x = randn([N]);
    return { run: () => chain(() => lib.mul(x, 1.5)), free: () => dispose(x) };
  });
  for (const op of ['exp', 'tanh', 'sigmoid', 'gelu'])
    el(`${op}, ${N} floats`, 4 * N * 2, () => {
      const x = randn([N]);
      return { run: () => chain(() => lib[op](x)), free: () => dispose(x) };
    });
  el(`softmax ${R}×${C} (last dim)`, 4 * R * C * 2, () => {
    const x = randn([R, C]);
    return { run: () => chain(() => softmax(x)), free: () => dispose(x) };
  });
  el(`logSoftmax ${R}×${C} (last dim)`, 4 * R * C * 2, () => {
    const x = randn([R, C]);
    return { run: () => chain(() => logSoftmax(x)), free: () => dispose(x) };
  });
  el(`layerNorm ${R}×${C} with weight and bias`, 4 * R * C * 2, () => {
    const [x, w, b] = [randn([R, C]), randn([C]), randn([C])];
    return { run: () => chain(() => lib.layerNorm(x, w, b)), free: () => dispose(x, w, b) };
  });
  el(`sum ${R}×${C} over the last dim`, 4 * R * C, () => {
    const x = randn([R, C]);
    return { run: () => chain(() => sum(x, -1)), free: () => dispose(x) };
  });
  el(`max ${R}×${C} over the last dim`, 4 * R * C, () => {
    const x = randn([R, C]);
    return { run: () => chain(() => max(x, -1)), free: () => dispose(x) };
  });
  el(`sum of all ${R * C}`, 4 * R * C, () => {
    const x = randn([R, C]);
    return { run: () => chain(() => sum(x)), free: () => dispose(x) };
  });
  return c.filter((k) => !filter.length || filter.some((f) => k.name.includes(f)));
}

/** Median ms per call over samples of `reps` calls, after a warm-up sample. */
function time(run) {
  const once = () => {
    const t0 = performance.now();
    run();
    return performance.now() - t0;
  };
  const first = once();
  const reps = Math.max(1, Math.min(50, Math.round(100 / Math.max(first, 0.05))));
  const samples = [];
  const deadline = performance.now() + (quick ? 300 : 1500);
  while (samples.length < 5 || (performance.now() < deadline && samples.length < 30)) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    samples.push((performance.now() - t0) / reps);
  }
  return median(samples);
}

async function ours() {
  const am = await import('@aimodel/tensor');
  await am.init({ device: 'cpu' });
  am.manualSeed(0);
  return {
    ...am,
    randn: (s) => am.randn(s),
    chain: (f) => am.scope(f).dispose(), // every intermediate and the result freed
    softmax: (x) => am.softmax(x, -1),
    logSoftmax: (x) => am.logSoftmax(x, -1),
    sum: (x, d) => (d === undefined ? x.sum() : x.sum(d)),
    max: (x, d) => x.max(d),
    layerNorm: (x, w, b) => am.layerNorm(x, [x.shape.at(-1)], { weight: w, bias: b }),
    dispose: (...ts) => ts.forEach((t) => t.dispose()),
  };
}

async function tfjsWasm() {
  const dir = process.env.TFJS_WASM_DIR;
  const require = createRequire(dir ? path.join(path.resolve(dir), 'index.js') : import.meta.url);
  const tf = require('@tensorflow/tfjs-core');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount?.(1);
  await tf.setBackend('wasm');
  await tf.ready();
  return {
    version: `tfjs-backend-wasm ${wasm.version_wasm}, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}`,
    randn: (s) => tf.randomNormal(s),
    chain: (f) => tf.tidy(f).dispose(),
    relu: tf.relu,
    add: tf.add,
    mul: tf.mul,
    exp: tf.exp,
    tanh: tf.tanh,
    sigmoid: tf.sigmoid,
    // tfjs has no erf-GELU op: the same formula composed, as a user would write it
    gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)),
    softmax: (x) => tf.softmax(x),
    logSoftmax: (x) => tf.logSoftmax(x),
    sum: (x, d) => tf.sum(x, d),
    max: (x, d) => tf.max(x, d),
    // tfjs has no fused layer norm: moments and elementwise ops, as a user would write it
    layerNorm: (x, w, b) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), w), b);
    },
    dispose: (...ts) => ts.forEach((t) => t.dispose()),
  };
}

async function child(stack) {
  let lib;
  try {
    lib = stack === 'tfjs-wasm' ? await tfjsWasm() : await ours();
  } catch (e) {
    process.stdout.write(JSON.stringify({ unavailable: String(e.message ?? e).split('\n')[0] }));
    return;
  }
  const out = {};
  for (const c of cases(lib)) {
    const { run, free } = c.make();
    out[c.name] = time(run);
    free();
  }
  process.stdout.write(JSON.stringify({ version: lib.version, results: out }));
}

async function main() {
  const self = fileURLToPath(import.meta.url);
  const stacks = [
    ['simd', {}],
    ['js', { AIMODEL_CPU_SIMD: '0' }],
    ['tfjs-wasm', {}],
  ];
  const best = Object.fromEntries(stacks.map(([s]) => [s, {}]));
  const notes = {};
  const rounds = Number(opt('--rounds', quick ? 1 : 2));
  for (let r = 0; r < rounds; r++)
    for (const [stack, env] of stacks) {
      const args = [self, '--child', stack, ...argv];
      const res = JSON.parse(execFileSync(process.execPath, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 24 }).toString());
      if (res.unavailable) notes[stack] = `not measured: ${res.unavailable}`;
      if (res.version) notes[stack] = res.version;
      for (const [k, ms] of Object.entries(res.results ?? {})) best[stack][k] = Math.min(best[stack][k] ?? Infinity, ms);
    }
  const names = cases({ ...Object.fromEntries(['randn', 'chain', 'softmax', 'logSoftmax', 'sum', 'max', 'dispose'].map((k) => [k, null])) }).map((c) => [
    c.name,
    c.bytes,
  ]);
  const cell = (ms, bytes) => (ms === undefined ? '—' : `${ms.toFixed(2)} ms, ${(bytes / ms / 1e6).toFixed(1)} GB/s`);
  const lines = [
    `${new Date().toISOString().slice(0, 10)} · ${machine()} · one thread · best median of ${rounds} round(s)`,
    '',
    '| case | @aimodel SIMD | @aimodel JS loops | tfjs-wasm | SIMD / JS | SIMD / tfjs-wasm |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, bytes] of names) {
    const [s, j, t] = [best.simd[name], best.js[name], best['tfjs-wasm'][name]];
    lines.push(
      `| ${name} | ${cell(s, bytes)} | ${cell(j, bytes)} | ${cell(t, bytes)} | ${j ? `${(j / s).toFixed(1)}×` : '—'} | ${t ? `${(t / s).toFixed(2)}×` : '—'} |`,
    );
  }
  for (const [k, v] of Object.entries(notes)) lines.push('', `${k}: ${v}`);
  console.log(lines.join('\n'));
  const json = opt('--json');
  if (json) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), machine: machine(), best, notes }, null, 2));
}

if (argv[0] === '--child') await child(argv[1]);
else await main();
