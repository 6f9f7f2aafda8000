// int8 against float32 inference, same process, interleaved samples: Linear layers (float32
// Linear, static QuantizedLinear with 8-bit and with 7-bit activations, DynamicQuantizedLinear) at
// batch 1/64/256 for 784→256, 1024→1024 and 4096→4096, and the MNIST CNN of examples/mnist-cnn
// statically quantized (fuse Conv+ReLU, prepare, calibrate, convert; the 'aimodel' and the 'x86'
// qconfig) at batch 64. CPU backend; --webgpu adds WebGPU. Each forward runs in a scope (its
// intermediates freed at once, as an app would), the output read back.
// 7-bit activations (uint8 [0, 127], PyTorch's reduce_range on x86) let the CPU take the
// relaxed-SIMD int8 kernel where the engine has relaxed SIMD (Node ≥ 22, Chrome ≥ 114; Node 20:
// `node --experimental-wasm-relaxed-simd benchmarks/compress-int8.mjs`); the header says which.
// The bars: int8 Linear 1024→1024 at batch 64 ≥ 2.5× float32, static int8 CNN ≥ 2×.
// The CNN is also timed with the int8 links convert makes between its layers cleared (every layer
// dequantizing to float32 and the next quantizing again: the path before those links), interleaved.
// --cpu-time times by the process's CPU time (user + system) instead of the wall clock (a loaded
// machine); --cnn-only skips the Linear table.
//   node benchmarks/compress-int8.mjs [--quick] [--webgpu] [--cpu-time] [--cnn-only] [--json out.json]
// (uses the packages' dist: run `npx tsup` in packages/tensor, nn and compress after changing their source)
import { writeFileSync } from 'node:fs';
import * as nn from '@aimodel/nn';
import * as compress from '../packages/compress/dist/index.js';
import { load, machine, median } from './harness.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const devices = argv.includes('--webgpu') ? ['cpu', 'webgpu'] : ['cpu'];
const cpuTime = argv.includes('--cpu-time');
const cnnOnly = argv.includes('--cnn-only');
/** Milliseconds: the process's CPU time with --cpu-time, else the wall clock. */
const now = cpuTime
  ? () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e3;
    }
  : () => performance.now();
const shapes = [
  [784, 256],
  [1024, 1024],
  [4096, 4096],
];
const batches = [1, 64, 256];

await nn.init({ device: 'cpu' });
nn.manualSeed(0);

/** Interleaved samples (≥ 30 ms each; `count`, default 3 with --quick, else 7) of every function: median seconds per call of each. */
async function timeAll(fns, device, count = quick ? 3 : 7) {
  const sync = device === 'cpu' ? (t) => t.dataSync() : (t) => t.data();
  const run = async (fn) => {
    const y = nn.scope(() => nn.noGrad(() => fn()));
    await sync(y);
    y.dispose();
  };
  for (const fn of fns) await run(fn);
  let reps = 1;
  for (;;) {
    const t0 = now();
    for (let r = 0; r < reps; r++) await run(fns[0]);
    if (now() - t0 >= 30) break;
    reps *= 2;
  }
  const samples = fns.map(() => []);
  for (let s = 0; s < count; s++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = now();
      for (let r = 0; r < reps; r++) await run(fn);
      samples[i].push((now() - t0) / reps / 1e3);
    }
  }
  return samples.map(median);
}

/** Whether this engine has WebAssembly relaxed SIMD (a module of one i16x8.relaxed_dot_i8x16_i7x16_s validates). */
const relaxedSimd = WebAssembly.validate(
  Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 123, 123, 1, 123, 3, 2, 1, 0, 10, 11, 1, 9, 0, 32, 0, 32, 1, 0xfd, 0x92, 0x02, 11]),
);

/** Static int8 version of a float Linear with activation qparams for inputs in [−4, 4]: uint8 [0, 255], or [0, 127] with `reduceRange`. */
function staticLinear(fc, reduceRange = false) {
  const weight = new compress.PerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric' });
  weight.forward(fc.weight);
  const act = reduceRange ? { scale: 8 / 127, zeroPoint: 64, dtype: 'uint8' } : { scale: 8 / 255, zeroPoint: 128, dtype: 'uint8' };
  const q = compress.QuantizedLinear.fromFloat(fc, { weight: weight.qparams(), input: act, output: { scale: 0.05, zeroPoint: 128, dtype: 'uint8' } });
  weight.dispose();
  return q;
}

function mnistCnn() {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Dropout(0.3),
    new nn.Linear(32 * 7 * 7, 10),
  ).eval();
}

const result = { date: new Date().toISOString(), machine: machine(), relaxedSimd, load: [load()], quick, linear: [], cnn: [] };
console.log(`${result.date} · ${result.machine} · WebAssembly relaxed SIMD: ${relaxedSimd ? 'yes' : 'no'}`);
for (const device of devices) {
  if (device === 'webgpu') await nn.init({ device: 'webgpu' });
  console.log(`\nLinear, ${device}: ms per forward (median), speed-up of int8 over float32`);
  for (const [k, n] of cnnOnly ? [] : shapes) {
    const fc = new nn.Linear(k, n);
    const stat = staticLinear(fc);
    const stat7 = staticLinear(fc, true);
    const dyn = compress.DynamicQuantizedLinear.fromFloat(fc);
    if (device !== 'cpu') for (const m of [fc, stat, stat7, dyn]) await m.to(device);
    for (const b of batches) {
      if (quick && k === 4096 && b === 256) continue;
      const x = nn.rand([b, k], { device }).mul(8).sub(4);
      const [tf, ts, t7, td] = await timeAll([() => fc.forward(x), () => stat.forward(x), () => stat7.forward(x), () => dyn.forward(x)], device);
      const row = {
        device,
        shape: `${k}→${n}`,
        batch: b,
        float32Ms: tf * 1e3,
        staticInt8Ms: ts * 1e3,
        static7BitMs: t7 * 1e3,
        dynamicInt8Ms: td * 1e3,
        staticSpeedup: tf / ts,
        static7BitSpeedup: tf / t7,
        dynamicSpeedup: tf / td,
      };
      result.linear.push(row);
      console.log(
        `  ${row.shape.padEnd(10)} batch ${String(b).padStart(3)}: float32 ${row.float32Ms.toFixed(3)} · static int8 ${row.staticInt8Ms.toFixed(3)} (${row.staticSpeedup.toFixed(2)}×) · 7-bit act. ${row.static7BitMs.toFixed(3)} (${row.static7BitSpeedup.toFixed(2)}×) · dynamic int8 ${row.dynamicInt8Ms.toFixed(3)} (${row.dynamicSpeedup.toFixed(2)}×)`,
      );
      x.dispose();
    }
    for (const m of [fc, stat, stat7, dyn]) m.dispose();
  }

  const float = mnistCnn();
  /** The CNN statically quantized with `backend`'s qconfig ('x86': activations with reduceRange, 7-bit). */
  const quantized = (backend) => {
    const q = mnistCnn();
    q.loadStateDict(float.stateDict());
    compress.fuseModules(q, [
      ['0', '1'],
      ['3', '4'],
    ]);
    compress.prepare(q, compress.getDefaultQConfig(backend));
    nn.manualSeed(1);
    const calib = nn.rand([256, 1, 28, 28]);
    nn.noGrad(() => nn.scope(() => void q.forward(calib)));
    compress.convert(q);
    calib.dispose();
    return q;
  };
  /** The same model with the int8 links between its layers cleared: float32 between them. */
  const unlinked = (backend) => {
    const m = quantized(backend);
    for (const l of m.children()) {
      if (!(l instanceof compress.QuantizedConv2d || l instanceof compress.QuantizedLinear)) continue;
      l.quantizedOutput = false;
      l.quantizedInput = l.int8InputQParams;
    }
    return m;
  };
  const models = [float, quantized('aimodel'), quantized('x86'), unlinked('aimodel'), unlinked('x86')];
  if (device !== 'cpu') for (const m of models) await m.to(device);
  const x = nn.rand([64, 1, 28, 28], { device });
  // 7 samples even with --quick (the CNN's are short): on 2 threads the pool may leave its workers
  // asleep for 16–512 ms after slow wakes on a shared machine (../packages/tensor/src/backend/cpu/thread-pool.ts),
  // which can land on any one model's sample; the median of 7 rides out two such
  const [tf, tq, t7, tqf, t7f] = await timeAll(
    models.map((m) => () => m.forward(x)),
    device,
    7,
  );
  const row = {
    device,
    batch: 64,
    float32Ms: tf * 1e3,
    staticInt8Ms: tq * 1e3,
    speedup: tf / tq,
    x86QConfigMs: t7 * 1e3,
    x86Speedup: tf / t7,
    floatBetweenMs: tqf * 1e3,
    floatBetweenSpeedup: tf / tqf,
    x86FloatBetweenMs: t7f * 1e3,
    x86FloatBetweenSpeedup: tf / t7f,
  };
  result.cnn.push(row);
  const ms = (t, r) => `${t.toFixed(2)} ms (${r.toFixed(2)}×)`;
  console.log(
    `\nMNIST CNN (examples/mnist-cnn), batch 64, ${device}${cpuTime ? ', CPU time' : ''}: float32 ${row.float32Ms.toFixed(2)} ms · static int8 ${ms(row.staticInt8Ms, row.speedup)} · 'x86' qconfig (7-bit activations) ${ms(row.x86QConfigMs, row.x86Speedup)}` +
      `\n  with float32 between the layers (no int8 links): static int8 ${ms(row.floatBetweenMs, row.floatBetweenSpeedup)} · 'x86' ${ms(row.x86FloatBetweenMs, row.x86FloatBetweenSpeedup)}`,
  );
  for (const t of [x]) t.dispose();
  for (const m of models) m.dispose();
}
result.load.push(load());
console.log(`\nload ${result.load.map((l) => l.toFixed(2)).join(' → ')}; bars: Linear 1024→1024 batch 64 ≥ 2.5×, CNN ≥ 2×`);
const json = opt('json', null);
if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
