// @aimodel/tensor in a real browser (see harness.ts): the page in app/ opens WebGPU through
// navigator.gpu and compares every case of app/cases.ts with the CPU backend, forward and
// gradients, on the main thread and in a module worker; this file checks its report.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CASES } from './app/cases';
import type { Report } from './app/main';
import { browserRequired, chromiumPath, runPage } from './harness';

const APP = fileURLToPath(new URL('./app', import.meta.url));

describe.runIf(chromiumPath || browserRequired)('in headless Chromium (WebGPU on SwiftShader), from a Vite build of the package', () => {
  let bundle = '';
  let report: Report;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    ({ report, bundle, pageErrors } = await runPage<Report>(APP));
    if (report.fatal) throw new Error(`the page failed: ${report.fatal}`);
  }, 300_000);

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
    expect(w.gpu).toBeAllClose(w.cpu, { rtol: 1e-3, atol: 1e-4 });
    expect(w.grad![0]).toBeAllClose(w.grad![1], { rtol: 1e-3, atol: 1e-4 });
    expect(Math.max(...w.grad![1].map(Math.abs))).toBeGreaterThan(0);
  });

  it('every WebGPU tensor the page made was freed', () => {
    expect(report.memory.after).toEqual(report.memory.before);
  });
});
