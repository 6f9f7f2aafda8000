// GloVe training speed of @aimodel/nlp: µs per co-occurrence entry per pass on a synthetic
// Zipfian matrix (15 k words, ~1 M entries, d = 50), the unit of the C reference's 1.9 µs (one
// thread, gcc -O3, on the project's 2-core machine). Rows: float32 / float64 parameters, per-pass
// vs one-time shuffle, 1 and 2 Hogwild threads; passes interleaved so that machine load hits every
// row alike. Run after building: `npm run build && node benchmarks/nlp-glove.mjs [--passes 3]`.
import os from 'node:os';
import { Cooccurrence, trainGloVe } from '@aimodel/nlp';
import { machine, median } from './harness.mjs';

const V = 15_000;
const TARGET = 1_000_000;
const DIM = 50;
const passesArg = process.argv.indexOf('--passes');
const PASSES = passesArg > 0 ? Number(process.argv[passesArg + 1]) : 3;
const ROUNDS = 2;

/** Seeded LCG in [0, 1). */
function random(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Entries (i, j) with i, j ~ Zipf(1) over V words, X = Σ 1/d of random distances d ≤ 10. */
function matrix() {
  const rand = random(12345);
  const zipf = () => Math.min(V - 1, Math.floor(Math.exp(rand() * Math.log(V + 1))) - 1);
  const sums = new Map();
  while (sums.size < TARGET) {
    const k = zipf() * V + zipf();
    sums.set(k, (sums.get(k) ?? 0) + 1 / (1 + Math.floor(rand() * 10)));
  }
  const keys = Float64Array.from(sums.keys()).sort();
  return Cooccurrence.fromArrays(V, {
    rows: Int32Array.from(keys, (k) => Math.floor(k / V)),
    cols: Int32Array.from(keys, (k) => k % V),
    values: Float64Array.from(keys, (k) => sums.get(k)),
  });
}

const X = matrix();
const rows = [
  { name: '1 thread, float32, shuffle each pass', opts: {} },
  { name: '1 thread, float32, shuffle once', opts: { shuffle: 'once' } },
  { name: '1 thread, float64, shuffle each pass', opts: { precision: 'float64' } },
  { name: '2 threads, float32, shuffle each pass', opts: { threads: 2 } },
  { name: '2 threads, float32, shuffle once', opts: { threads: 2, shuffle: 'once' } },
];
for (const r of rows) {
  r.samples = [];
  r.cpu = [];
}
// Wall time per pass (onEpoch's seconds) and the process's CPU time per pass (all threads, the
// shuffle included): on a loaded machine the CPU time is the steadier of the two.
for (let round = 0; round < ROUNDS; round++) {
  for (const r of rows) {
    let cpu = process.cpuUsage();
    const { model } = await trainGloVe(X, {
      dim: DIM,
      epochs: PASSES,
      seed: round,
      progress: false,
      ...r.opts,
      onEpoch: ({ seconds }) => {
        const used = process.cpuUsage(cpu);
        cpu = process.cpuUsage();
        r.samples.push((seconds * 1e6) / X.nnz);
        if (r.samples.length % PASSES !== 1) r.cpu.push((used.user + used.system) / X.nnz); // the first pass's CPU includes set-up
      },
    });
    model.dispose();
  }
}
console.log(
  `GloVe training, d = ${DIM}, V = ${V}, N = ${X.nnz} entries; ${machine()}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('| configuration | median wall µs / entry / pass | median CPU µs / entry / pass | passes timed |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.name} | ${median(r.samples).toFixed(3)} | ${median(r.cpu).toFixed(3)} | ${r.samples.length} |`);
const one = median(rows[0].samples);
console.log(`2 threads / 1 thread speed-up, shuffle each pass: ${(one / median(rows[3].samples)).toFixed(2)}×`);
console.log(
  `2 threads / 1 thread speed-up, shuffle once (the reference's setting: its shuffle is a separate step): ${(median(rows[1].samples) / median(rows[4].samples)).toFixed(2)}×`,
);
