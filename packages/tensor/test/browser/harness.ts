// Running a test page in a real browser, for the browser tests of the packages (tensor's here,
// nn's in packages/nn/test/browser): the page's folder is built by Vite from the published
// packages (dist/, as an app that ran `npm install` gets them), served on loopback and loaded in
// headless Chromium, whose WebGPU runs on SwiftShader (a CPU Vulkan driver shipped with Debian's
// chromium). The page leaves a promise on `window.report`; runPage returns what it resolves to.
//
// Needs Chromium (AIMODEL_CHROMIUM, or /usr/bin/chromium: Debian's `chromium` package; see
// scripts/install-chromium.sh). Without one the suites skip, unless AIMODEL_REQUIRE_BROWSER=1
// (CI sets it), which makes a missing browser a failure.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from 'vite';

/** AIMODEL_REQUIRE_BROWSER=1: a missing browser fails the suite instead of skipping it. */
export const browserRequired = process.env.AIMODEL_REQUIRE_BROWSER === '1';

/** The Chromium to drive, or undefined when there is none. */
export const chromiumPath = [process.env.AIMODEL_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
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

/** A static file server for the built app on a free loopback port, adding `headers` to every response. */
async function serve(root: string, headers: Record<string, string> = {}): Promise<Server> {
  const server = createServer(async (req, res) => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
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

/** What a page run gives: its report, the built JavaScript (all chunks) and uncaught page errors. */
export interface PageRun<R> {
  report: R;
  bundle: string;
  pageErrors: string[];
}

/**
 * Build the Vite app in `appDir` (its index.html), load it in Chromium and await `window.report`;
 * `headers` go on every response (e.g. COOP/COEP, which make the page cross-origin isolated).
 */
export async function runPage<R>(appDir: string, headers: Record<string, string> = {}): Promise<PageRun<R>> {
  if (!chromiumPath) throw new Error('AIMODEL_REQUIRE_BROWSER=1 but no Chromium was found: bash scripts/install-chromium.sh, or set AIMODEL_CHROMIUM');
  const outDir = await mkdtemp(join(tmpdir(), 'aimodel-browser-'));
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  let server: Server | undefined;
  try {
    await build({ root: appDir, configFile: false, logLevel: 'error', build: { outDir, emptyOutDir: true, target: 'es2022', minify: false } });
    const assets = join(outDir, 'assets');
    const chunks = (await readdir(assets)).filter((f) => f.endsWith('.js'));
    const bundle = (await Promise.all(chunks.map((f) => readFile(join(assets, f), 'utf8')))).join('\n');
    server = await serve(outDir, headers);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const report = (await page.evaluate('window.report')) as R;
    return { report, bundle, pageErrors };
  } finally {
    await browser.close();
    server?.close();
    await rm(outDir, { recursive: true, force: true });
  }
}
