// @aimodel/nn in a real browser, the way an app uses it: app/ imports @aimodel/nn and
// @aimodel/optim, Vite bundles them, and headless Chromium (WebGPU on SwiftShader) trains a small
// CNN with compile/fit on the CPU and on WebGPU, evaluates it and round-trips its weights through
// safetensors bytes. The page and browser handling are tensor's browser harness.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserRequired, chromiumPath, runPage } from '../../../tensor/test/browser/harness';
import type { Report } from './app/main';

const APP = fileURLToPath(new URL('./app', import.meta.url));

describe.runIf(chromiumPath || browserRequired)('@aimodel/nn in headless Chromium: compile, fit, evaluate, save and load', () => {
  let report: Report;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    ({ report, pageErrors } = await runPage<Report>(APP));
    if (report.fatal) throw new Error(`the page failed: ${report.fatal}`);
  }, 300_000);

  it('trains on both devices without page errors, the parameters on the device init chose', () => {
    expect(pageErrors).toEqual([]);
    expect(report.runs.map((r) => [r.device, r.paramDevice])).toEqual([
      ['cpu', 'cpu'],
      ['webgpu', 'webgpu'],
    ]);
  });

  it('the CNN learns: loss falls and accuracy ends above 90 %', () => {
    for (const r of report.runs) {
      expect(r.loss).toHaveLength(6);
      expect(r.loss[5], r.device).toBeLessThan(0.5 * r.loss[0]);
      expect(r.evaluated.accuracy, r.device).toBeGreaterThan(0.9);
    }
  });

  it('WebGPU follows the CPU epoch by epoch (same seed, same batches)', () => {
    const [cpu, gpu] = report.runs;
    cpu.loss.forEach((l, i) => expect(Math.abs(gpu.loss[i] - l), `epoch ${i + 1}`).toBeLessThanOrEqual(2e-3 * l));
    expect(Math.abs(gpu.evaluated.loss - cpu.evaluated.loss)).toBeLessThanOrEqual(2e-3 * cpu.evaluated.loss);
  });

  it('weights saved to safetensors bytes load into a fresh model that predicts the same', () => {
    for (const r of report.runs) expect(r.reloadDiff, r.device).toBe(0);
  });
});
