// Shared benchmark plumbing: benchmark.js runs, medians, throughput and peer ratios.
import { existsSync } from 'node:fs';
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
 * Time `fn` with benchmark.js: seconds per call as { median, min, max, samples } over the samples
 * benchmark.js took. `deferred` functions return a Promise (GPU work, onnxruntime's async run).
 */
export function measureStats(name, fn, { deferred = false, maxTime = 3, minSamples = 5 } = {}) {
  return new Promise((resolve, reject) => {
    const bench = new Benchmark(name, {
      defer: deferred,
      fn: deferred ? (d) => fn().then(() => d.resolve(), reject) : fn,
      maxTime,
      minSamples,
      onComplete: () => {
        const xs = bench.stats.sample;
        resolve({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs.length });
      },
      onError: (e) => reject(e.target?.error ?? e),
    });
    bench.run({ async: true });
  });
}

/** {@link measureStats}, returning the median seconds per call only. */
export async function measure(name, fn, opts) {
  return (await measureStats(name, fn, opts)).median;
}

/**
 * A results path that never overwrites: `results/<device>-<date>T<hh-mm-ss>[-<tag>].json`, with a
 * counter if that exists too. Tags mark partial (`--filter`) and smoke (`--quick`) runs.
 */
export function resultsPath(dir, device, tags = []) {
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
  const base = `${device}-${stamp}${tags.map((t) => `-${t}`).join('')}`;
  let path = `${dir}/${base}.json`;
  for (let i = 2; existsSync(path); i++) path = `${dir}/${base}-${i}.json`;
  return path;
}

/** The one-minute load average, for the results file (a busy machine moves absolute figures). */
export function load() {
  return os.loadavg()[0];
}

/** A description of this machine for the results file. */
export function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} cores), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/** Parse `--filter a,b --device cpu` style arguments. */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = { filter: [], device: null, json: null, quick: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') out.quick = true;
    else if (argv[i] === '--filter') out.filter = argv[++i].split(',');
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

/**
 * Rows { name, unit, sides: { '@aimodel': stats, <peer>: stats | undefined } } (stats: median/min/max
 * seconds, samples, rate) as two Markdown tables: throughput with ours/peer ratios, then the spread.
 */
export function peerTables(rows, peers) {
  const cell = (s, unit) => (s ? `${s.rate.toFixed(2)} ${unit}` : '—');
  const head = ['benchmark', '@aimodel', ...peers, ...peers.map((p) => `ours/${p}`)];
  const lines = [
    `| ${head.join(' | ')} |`,
    `| --- | ${head
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
  ];
  for (const r of rows) {
    const ours = r.sides['@aimodel'];
    const ratios = peers.map((p) => (r.sides[p] ? `${(ours.rate / r.sides[p].rate).toFixed(2)}×` : '—'));
    lines.push(`| ${r.name} | ${cell(ours, r.unit)} | ${peers.map((p) => cell(r.sides[p], r.unit)).join(' | ')} | ${ratios.join(' | ')} |`);
  }
  const spread = ['| benchmark | side | median | min | max | samples |', '| --- | --- | ---: | ---: | ---: | ---: |'];
  const ms = (x) => (x * 1e3 < 1 ? `${(x * 1e6).toFixed(1)} µs` : `${(x * 1e3).toFixed(3)} ms`);
  for (const r of rows)
    for (const [side, s] of Object.entries(r.sides))
      if (s) spread.push(`| ${r.name} | ${side} | ${ms(s.median)} | ${ms(s.min)} | ${ms(s.max)} | ${s.samples} |`);
  return `${lines.join('\n')}\n\n${spread.join('\n')}`;
}
