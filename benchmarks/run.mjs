// `npm run bench [-- --filter matmul --device cpu]`: runs every suite for the requested devices
// and writes JSON results to benchmarks/results/.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs();
const suites = { cpu: 'cpu.bench.mjs', webgpu: 'webgpu.bench.mjs' };
const devices = args.device ? [args.device] : ['cpu']; // webgpu needs an adapter: ask for it with --device webgpu
mkdirSync(join(here, 'results'), { recursive: true });
let failed = false;
for (const device of devices) {
  const file = suites[device];
  if (!file) {
    console.error(`no benchmark suite for device '${device}' (available: ${Object.keys(suites).join(', ')})`);
    failed = true;
    continue;
  }
  const extra = [...(args.filter.length ? ['--filter', args.filter.join(',')] : []), ...(process.argv.includes('--quick') ? ['--quick'] : [])];
  const json = join(here, 'results', `${device}-${new Date().toISOString().slice(0, 10)}.json`);
  const r = spawnSync(process.execPath, [join(here, file), ...extra, '--json', json], { stdio: 'inherit' });
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
