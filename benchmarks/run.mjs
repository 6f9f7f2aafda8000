// `npm run bench [-- --filter matmul --device cpu --quick]`: runs the suite of each requested device
// and writes its JSON to benchmarks/results/<device>-<date>T<time>[-partial][-quick].json — a new
// file every run, so a filtered or smoke run never replaces a committed full one. The first run
// installs the benchmark-only peers of benchmarks/package.json (onnxruntime-node) next to this file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, resultsPath } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs();
const suites = { cpu: 'cpu.bench.mjs', webgpu: 'webgpu.bench.mjs' };
const devices = args.device ? [args.device] : ['cpu']; // webgpu needs an adapter: ask for it with --device webgpu
if (devices.includes('cpu') && !existsSync(join(here, 'node_modules', 'onnxruntime-node'))) {
  console.log('Installing the benchmark-only peer onnxruntime-node into benchmarks/node_modules (once)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', here, '--no-audit', '--no-fund', '--ignore-scripts'], { stdio: 'inherit' });
  if (r.status !== 0) console.log('onnxruntime-node could not be installed: its column will read "—".');
}
mkdirSync(join(here, 'results'), { recursive: true });
let failed = false;
for (const device of devices) {
  const file = suites[device];
  if (!file) {
    console.error(`no benchmark suite for device '${device}' (available: ${Object.keys(suites).join(', ')})`);
    failed = true;
    continue;
  }
  const extra = [...(args.filter.length ? ['--filter', args.filter.join(',')] : []), ...(args.quick ? ['--quick'] : [])];
  const json = resultsPath(join(here, 'results'), device, [...(args.filter.length ? ['partial'] : []), ...(args.quick ? ['quick'] : [])]);
  const r = spawnSync(process.execPath, [join(here, file), ...extra, '--json', json], { stdio: 'inherit' });
  console.log(`results: ${json}`);
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
