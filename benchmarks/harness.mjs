// Shared benchmark plumbing: benchmark.js runs, medians, throughput and peer ratios.
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);
const Benchmark = require('benchmark');

/** Median of a sample (seconds). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Time `fn` with benchmark.js and return the median seconds per call. `deferred` functions
 * receive a `done` callback (for GPU work that completes asynchronously).
 */
export function measure(name, fn, { deferred = false, maxTime = 3, minSamples = 5 } = {}) {
  return new Promise((resolve, reject) => {
    const bench = new Benchmark(name, {
      defer: deferred,
      fn: deferred ? (d) => fn().then(() => d.resolve(), reject) : fn,
      maxTime,
      minSamples,
      onComplete: () => resolve(median(bench.stats.sample)),
      onError: (e) => reject(e.target?.error ?? e),
    });
    bench.run({ async: true });
  });
}

/** A description of this machine for the results file. */
export function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} cores), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/** Parse `--filter a,b --device cpu` style arguments. */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = { filter: [], device: null, json: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--filter') out.filter = argv[++i].split(',');
    else if (argv[i] === '--device') out.device = argv[++i];
    else if (argv[i] === '--json') out.json = argv[++i];
  }
  return out;
}

export function selected(args, name) {
  return !args.filter.length || args.filter.some((f) => name.includes(f));
}

/** Format rows {name, ms, rate, unit, peer?} as a Markdown table with ratios to the peer. */
export function table(rows) {
  const lines = ['| benchmark | @aimodel median | @aimodel | tfjs-cpu median | tfjs-cpu | ratio (ours/tfjs) |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of rows) {
    const peer = r.peer;
    lines.push(
      `| ${r.name} | ${r.ms.toFixed(3)} ms | ${r.rate.toFixed(2)} ${r.unit} | ${peer ? `${peer.ms.toFixed(3)} ms` : '—'} | ${peer ? `${peer.rate.toFixed(2)} ${r.unit}` : '—'} | ${peer ? `${(r.rate / peer.rate).toFixed(2)}×` : '—'} |`,
    );
  }
  return lines.join('\n');
}
