// @aimodel/nlp benchmarks: co-occurrence counting (tokens/s) on a generated corpus shaped like the
// issue's SpamAssassin one (1.5 M tokens, ≈ 15.7 k words at min count 5), so runs compare across
// machines without a download. Cases are { name, unit, setup: async () => ({ work, run, free }) }:
// `run` is timed (median of benchmark.js samples), `work` (tokens, entries·passes, …) per call
// gives the rate. Training cases join the same `cases` list.
// Usage: node benchmarks/nlp.bench.mjs [--filter counting] [--quick] [--json out.json]
// [--corpus spam [--mails N]] [--passes N] [--webgpu]: `--corpus spam` times the SpamAssassin
// corpus as examples/glove-spam parses it (one document per paragraph; the first N mails with
// --mails), with fewer samples so a run stays within minutes; `--webgpu` adds a training row on
// WebGPU (when trainGloVe supports it).
// (after `npx tsup` in packages/nlp; `--module <path>` times another build of it, e.g. an esbuild
// bundle of the sources).
import { writeFileSync } from 'node:fs';
import { machine, measure, median, parseArgs, selected } from './harness.mjs';

const moduleArg = process.argv.indexOf('--module');
const nlp = await import(moduleArg > 0 ? process.argv[moduleArg + 1] : '@aimodel/nlp');
const args = parseArgs();
const quick = process.argv.includes('--quick');

/**
 * A corpus of `tokens` tokens over `types` word types drawn from a Zipf(1) law (seeded), in lines
 * of 5–25 tokens, as an array of lines (documents).
 */
function zipfCorpus(tokens, types, seed = 1) {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const cdf = new Float64Array(types);
  let acc = 0;
  for (let r = 0; r < types; r++) cdf[r] = acc += 1 / (r + 1);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const words = Array.from({ length: types }, (_, r) => {
    let w = '';
    for (let x = r + 1; x > 0; x = Math.floor(x / 26)) w += letters[x % 26];
    return w + letters[r % 7];
  });
  const lines = [];
  for (let n = 0; n < tokens; ) {
    const len = 5 + Math.floor(rand() * 21);
    const line = [];
    for (let i = 0; i < len; i++) {
      const u = rand() * acc;
      let lo = 0;
      let hi = types - 1;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (cdf[m] < u) lo = m + 1;
        else hi = m;
      }
      line.push(words[lo]);
    }
    lines.push(line.join(' '));
    n += len;
  }
  return lines;
}

const argOf = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const spam = argOf('corpus') === 'spam';
let lines;
if (spam) {
  const { loadMails, mailDocuments } = await import('../examples/glove-spam/mail.mjs');
  const mails = loadMails().slice(0, Number(argOf('mails') ?? Number.POSITIVE_INFINITY));
  lines = mails.flatMap((m) => mailDocuments(m.text));
} else {
  lines = zipfCorpus(quick ? 150_000 : 1_500_000, quick ? 4000 : 16_000);
}
const tokenCount = spam ? lines.reduce((n, l) => n + nlp.tokenize(l).length, 0) : lines.reduce((n, l) => n + l.split(' ').length, 0);
const vocab = await nlp.Vocabulary.build(lines, { minCount: 5 });

const cases = [];
for (const [label, tokenizer] of [
  ['default tokenizer', undefined],
  ['whitespace split', (s) => s.split(' ')],
]) {
  cases.push({
    name: `counting, window 10, ${label}`,
    unit: 'M tokens/s',
    setup: async () => ({
      work: tokenCount / 1e6,
      run: async () => {
        await nlp.cooccurrence(lines, { vocab, window: 10, tokenizer });
      },
      free: () => {},
    }),
  });
}

const X = await nlp.cooccurrence(lines, { vocab, window: 10 });
const corpusInfo = `${tokenCount} tokens in ${lines.length} lines, ${vocab.size} words at min count 5, ${X.nnz} non-zero entries at window 10`;
console.log(`corpus: ${corpusInfo}`);

// GloVe training (nlp-glove): 3 passes at d = 50 per run, set-up included (log X, weights, the
// initial draw, the model's tensors); µs per entry per pass = 1 / rate. benchmarks/nlp-glove.mjs
// times the passes alone, with CPU time beside wall time.
const PASSES = Number(argOf('passes') ?? (spam ? 2 : 3));
const trainings = [
  ['1 thread', {}],
  ['1 thread, shuffle once', { shuffle: 'once' }],
  ['2 threads', { threads: 2 }],
];
if (process.argv.includes('--webgpu')) {
  const tensor = await import('@aimodel/tensor');
  await tensor.init({ device: 'webgpu' });
  const tiny = nlp.Cooccurrence.fromArrays(2, { rows: Int32Array.of(0, 1), cols: Int32Array.of(1, 0), values: Float64Array.of(3, 3) });
  try {
    (await nlp.trainGloVe(tiny, { dim: 2, epochs: 1, device: 'webgpu', progress: false })).model.dispose();
    trainings.push(['WebGPU', { device: 'webgpu' }]);
  } catch (e) {
    console.log(`no WebGPU training row: ${e.message}`);
  }
}
for (const [label, opts] of trainings) {
  cases.push({
    name: `GloVe training, d 50, ${label}`,
    unit: 'M entries·passes/s',
    setup: async () => ({
      work: (X.nnz * PASSES) / 1e6,
      run: async () => {
        const { model } = await nlp.trainGloVe(X, { vocab, dim: 50, epochs: PASSES, progress: false, ...opts });
        model.dispose();
      },
      free: () => {},
    }),
  });
}

const rows = [];
for (const c of cases) {
  if (!selected(args, c.name)) continue;
  const setup = await c.setup();
  await setup.run(); // warm-up (JIT)
  const s = await measure(c.name, setup.run, { deferred: true, maxTime: quick ? 2 : spam ? 8 : 20, minSamples: spam ? 3 : 5 });
  // Process CPU time per run too: on a shared host, wall time also counts other jobs' time slices.
  const cpu = [];
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    await setup.run();
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1e6);
  }
  setup.free();
  const cpuS = median(cpu);
  const row = { name: c.name, s, rate: setup.work / s, cpuS, cpuRate: setup.work / cpuS, unit: c.unit };
  rows.push(row);
  console.log(`${c.name}: ${s.toFixed(3)} s per run (${row.rate.toFixed(3)} ${c.unit}), CPU ${cpuS.toFixed(3)} s (${row.cpuRate.toFixed(3)} ${c.unit})`);
}

const report = { date: new Date().toISOString(), machine: machine(), corpus: corpusInfo, rows };
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
console.log(`\n${report.machine}\n\n| benchmark | median wall | rate (wall) | median CPU | rate (CPU) |\n| --- | ---: | ---: | ---: | ---: |`);
for (const r of rows)
  console.log(`| ${r.name} | ${r.s.toFixed(3)} s | ${r.rate.toFixed(3)} ${r.unit} | ${r.cpuS.toFixed(3)} s | ${r.cpuRate.toFixed(3)} ${r.unit} |`);
