// @aimodel/tensor in a real browser: the page in app/ is built by Vite from the published package
// (dist/, as an app that ran `npm install @aimodel/tensor` gets it), served on localhost and loaded
// in headless Chromium, whose WebGPU runs on SwiftShader (a CPU Vulkan driver shipped with Debian's
// chromium). The page opens WebGPU through navigator.gpu and compares every case of app/cases.ts
// with the CPU backend, forward and gradients; this file checks its report.
//
// Needs Chromium (AIMODEL_CHROMIUM, or /usr/bin/chromium: Debian's `chromium` package; see
// scripts/install-chromium.sh). Without one the suite is skipped, unless AIMODEL_REQUIRE_BROWSER=1
// (CI sets it), which makes a missing browser a failure.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES } from './app/cases';
import type { Report } from './app/main';

const APP = fileURLToPath(new URL('./app', import.meta.url));
const required = process.env.AIMODEL_REQUIRE_BROWSER === '1';
const executable = [process.env.AIMODEL_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (p): p is string => !!p && existsSync(p),
);

/** Headless Chromium with WebGPU on SwiftShader, on a machine without network or GPU. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan,WebGPUService',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

/** A static file server for the built app on a free loopback port. */
async function serve(root: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = normalize(join(root, req.url === '/' ? 'index.html' : decodeURIComponent((req.url ?? '').split('?')[0])));
    try {
      if (!path.startsWith(root)) throw new Error('outside the app');
      const body = await readFile(path);
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe.runIf(executable || required)('in headless Chromium (WebGPU on SwiftShader), from a Vite build of the package', () => {
  let outDir = '';
  let bundle = '';
  let report: Report;
  let browser: Browser | undefined;
  let server: Server | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!executable) throw new Error('AIMODEL_REQUIRE_BROWSER=1 but no Chromium was found: bash scripts/install-chromium.sh, or set AIMODEL_CHROMIUM');
    outDir = await mkdtemp(join(tmpdir(), 'aimodel-browser-'));
    await build({ root: APP, configFile: false, logLevel: 'error', build: { outDir, emptyOutDir: true, target: 'es2022', minify: false } });
    const assets = join(outDir, 'assets');
    const chunks = await readdir(assets);
    bundle = (await Promise.all(chunks.filter((f) => f.endsWith('.js')).map((f) => readFile(join(assets, f), 'utf8')))).join('\n');
    server = await serve(outDir);
    browser = await chromium.launch({ executablePath: executable, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    report = await page.evaluate(() => window.report);
    if (report.fatal) throw new Error(`the page failed: ${report.fatal}`);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('the app bundles without Dawn: the Node-only `webgpu` package is not followed, and the page runs without errors', () => {
    expect(bundle).toContain('navigator');
    expect(bundle).not.toMatch(/dawn\.node|createRequire|node:path/);
    expect(pageErrors).toEqual([]);
  });

  it("init({ device: 'webgpu' }) opens navigator.gpu; 'auto' keeps the CPU on a software adapter", () => {
    expect(report.userAgent).toMatch(/Chrome\//);
    const { vendor, architecture, description } = report.adapter;
    expect(`${vendor} ${architecture} ${description}`).toMatch(/swiftshader/i);
    expect(report.device).toBe('webgpu');
    expect(report.autoDevice).toBe('cpu');
  });

  it('every case of app/cases.ts ran', () => {
    expect(report.cases.map((c) => c.name)).toEqual(CASES.map((c) => c.name));
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: WebGPU matches the CPU, values and gradients', (_name, i) => {
    const r = report.cases[i];
    const c = CASES[i];
    expect(r.error).toBeUndefined();
    const gradInputs = c.inputs.filter((x) => x.grad).length;
    expect(r.grads).toHaveLength(gradInputs);
    for (const [what, cmp] of [['value', r.value], ...r.grads.map((g, k) => [`gradient ${k}`, g] as const)] as const) {
      expect(cmp.shapes[0], `${what} shape`).toEqual(cmp.shapes[1]);
      expect(cmp.count, `${what} elements`).toBeGreaterThan(0);
      expect(cmp.scale, `${what}: the CPU result is not all zeros`).toBeGreaterThan(0);
      expect(cmp.worst, `${what}: worst element ${cmp.at}: webgpu ${cmp.gpu} vs cpu ${cmp.cpu}`).toBeLessThanOrEqual(1);
    }
  });

  it('mistakes on WebGPU tensors are typed errors naming the op and what it received', () => {
    expect(report.errors.matmul).toEqual({ name: 'ShapeError', message: 'matmul: inner dimensions differ: [2,3] @ [4,5] (3 != 4)', typed: true });
    expect(report.errors.dataSync.typed).toBe(true);
    expect(report.errors.dataSync.message).toMatch(/dataSync/);
    expect(report.errors.mixedDevices.typed).toBe(true);
    expect(report.errors.mixedDevices.message).toMatch(/add.*(cpu.*webgpu|webgpu.*cpu)/);
  });

  it('a two-layer MLP trains to the same losses on WebGPU as on the CPU', () => {
    const { cpu, webgpu } = report.training;
    expect(webgpu).toHaveLength(25);
    for (let i = 0; i < cpu.length; i++) expect(Math.abs(webgpu[i] - cpu[i]), `step ${i}`).toBeLessThanOrEqual(1e-3 * cpu[i]);
    expect(cpu[24]).toBeLessThan(0.8 * cpu[0]);
  });

  it('a module worker opens WebGPU through its own navigator.gpu and matches the CPU', () => {
    const w = report.worker;
    expect(w.error).toBeUndefined();
    expect(w.device).toBe('webgpu');
    expect(w.gpu).toHaveLength(23);
    const close = (got: number[], want: number[]) => {
      expect(got).toHaveLength(want.length);
      got.forEach((g, i) => expect(Math.abs(g - want[i]), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(want[i])));
    };
    close(w.gpu!, w.cpu!);
    close(w.grad![0], w.grad![1]);
    expect(Math.max(...w.grad![1].map(Math.abs))).toBeGreaterThan(0);
  });

  it('every WebGPU tensor the page made was freed', () => {
    expect(report.memory.after).toEqual(report.memory.before);
  });
});
