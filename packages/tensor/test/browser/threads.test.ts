// The CPU backend's worker threads in headless Chromium (see harness.ts): the page in
// threads-app/ served plainly (not cross-origin isolated: no SharedArrayBuffer, one thread) and
// with COOP/COEP headers (isolated: Web Workers from a Blob URL over shared WebAssembly memory).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { browserRequired, chromiumPath, runPage } from './harness';
import type { ThreadsReport } from './threads-app/main';

const APP = fileURLToPath(new URL('./threads-app', import.meta.url));
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

describe.runIf(chromiumPath || browserRequired)('CPU threads in headless Chromium, from a Vite build of the package', () => {
  it('a plain page runs on one thread', async () => {
    const { report, pageErrors } = await runPage<ThreadsReport>(APP);
    expect(report.error).toBeUndefined();
    expect(pageErrors).toEqual([]);
    expect(report).toMatchObject({ isolated: false, defaultThreads: 1, threads: 1, sameBits: true });
    expect(report.value).toBeCloseTo(report.expected, 4);
  }, 120_000);

  it('a cross-origin-isolated page splits products over Web Workers, bit for bit as on one thread', async () => {
    const { report, pageErrors } = await runPage<ThreadsReport>(APP, ISOLATED);
    expect(report.error).toBeUndefined();
    expect(pageErrors).toEqual([]);
    expect(report.isolated).toBe(true);
    expect(report.defaultThreads).toBeGreaterThanOrEqual(1); // navigator.hardwareConcurrency
    expect(report.threads).toBe(2); // the workers started (else init falls back to 1)
    expect(report.sameBits).toBe(true);
    expect(report.value).toBeCloseTo(report.expected, 4);
  }, 120_000);
});
