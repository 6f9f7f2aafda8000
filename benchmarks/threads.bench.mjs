// CPU worker threads: each case at 1 thread and at N threads (default 2), interleaved in one
// process (rounds alternate 1, N, 1, N … so a busy machine slows both sides alike), with the
// speed-up N-thread/1-thread of the medians. Results are also checked to be bit-identical.
// Cases: matmul 256/512/1024 (2·n³ flops), conv2d x[8,64,32,32] w[64,64,3,3] pad 1 (the CPU
// suite's row), and the small-CNN training step (conv8-pool-conv16-pool-dense10, batch 64).
// Before the rounds, each case runs for --warmup seconds (default 3) at each thread count, untimed:
// V8 optimizes the library's JavaScript during a training loop's first seconds (the small-CNN step
// on the 2-core VM: ~1 s of TurboFan compiling on background threads over the first ~4 s, 2026-12-03),
// and on 2 cores those threads take CPU from the second thread, not from a spare core — timing
// from a cold start measured that warm-up (2-thread steps ~3.5 or ~7 ms) more than the step.
// Usage: node benchmarks/threads.bench.mjs [--threads 2] [--rounds 7] [--warmup 3] [--filter matmul,conv,cnn] [--dist <tensor dist dir>]
import { load, machine } from './harness.mjs';
import { smallCnn } from './small-cnn.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const threads = Number(arg('threads', 2));
const rounds = Number(arg('rounds', 7));
const warmup = Number(arg('warmup', 3));
if (!(warmup >= 0)) throw new RangeError(`threads.bench: --warmup must be a number of seconds ≥ 0, got ${arg('warmup', 3)}`);
const filter = arg('filter', '').split(',').filter(Boolean);
const dist = arg('dist', null);
const am = await import(dist ? `${dist}/index.js` : '@aimodel/tensor');

await am.init({ device: 'cpu', threads: 1 });
am.manualSeed(0);
const cases = [];
for (const n of [256, 512, 1024]) {
  cases.push({
    name: `matmul ${n}`,
    flops: 2 * n ** 3,
    setup: () => {
      const a = am.randn([n, n]),
        b = am.randn([n, n]);
      return { run: () => am.matmul(a, b), free: () => [a, b].forEach((t) => t.dispose()) };
    },
  });
}
cases.push({
  name: 'conv2d x[8,64,32,32] w[64,64,3,3]',
  flops: 2 * 8 * 64 * 32 * 32 * 64 * 9,
  setup: () => {
    const x = am.randn([8, 64, 32, 32]),
      w = am.randn([64, 64, 3, 3]);
    return { run: () => am.conv2d(x, w, { padding: 1 }), free: () => [x, w].forEach((t) => t.dispose()) };
  },
});
cases.push({
  name: 'small CNN training step, batch 64',
  samples: 64,
  setup: () => {
    // the step's loss (weights are not updated, so every round computes the same thing)
    const { step, tensors } = smallCnn(am, 64, { update: false });
    return { run: step, free: () => tensors.forEach((t) => t.dispose()) };
  },
});

/** Median seconds per call of `run` over about `budget` seconds (at least 3 calls). */
function time(run, budget) {
  const xs = [];
  const end = performance.now() + budget * 1000;
  while (xs.length < 3 || performance.now() < end) {
    const t0 = performance.now();
    run().dispose();
    xs.push((performance.now() - t0) / 1000);
  }
  xs.sort((p, q) => p - q);
  return xs[xs.length >> 1];
}

const sameBits = (x, y) =>
  x.length === y.length && Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;

console.log(`${machine()}; load ${load().toFixed(2)}; 1 vs ${threads} threads, ${rounds} interleaved rounds after ${warmup} s of warm-up at each`);
console.log(`| case | 1 thread | ${threads} threads | speed-up | same bits |`);
console.log('| --- | ---: | ---: | ---: | :---: |');
for (const c of cases) {
  if (filter.length && !filter.some((f) => c.name.includes(f))) continue;
  const { run, free } = c.setup();
  const out = {};
  const t = { 1: [], [threads]: [] };
  for (const n of [1, threads]) {
    await am.init({ device: 'cpu', threads: n });
    for (const end = performance.now() + warmup * 1000; performance.now() < end; ) run().dispose();
  }
  for (let r = 0; r < rounds; r++) {
    for (const n of [1, threads]) {
      await am.init({ device: 'cpu', threads: n });
      const y = run(); // warm-up, and the result to compare
      out[n] = y.dataSync().slice();
      y.dispose();
      t[n].push(time(run, 0.4));
    }
  }
  free();
  const med = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
  const rate = (s) => (c.flops ? `${(c.flops / s / 1e9).toFixed(1)} GFLOP/s` : `${(c.samples / s).toFixed(0)} samples/s`);
  const [s1, sn] = [med(t[1]), med(t[threads])];
  console.log(`| ${c.name} | ${rate(s1)} | ${rate(sn)} | ${(s1 / sn).toFixed(2)}× | ${sameBits(out[1], out[threads]) ? 'yes' : 'NO'} |`);
}
console.log(`load after: ${load().toFixed(2)}`);
