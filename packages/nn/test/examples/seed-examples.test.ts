// The four seed examples (examples/gan-2d, transfer-learning, federated-averaging, k-fold) run on
// their small slices on the CPU, through the built packages as a user runs them, and what they
// print and return is checked: each example's `main({ small: true })` resolves to its results.
// (Build first: the examples import the built @aimodel/nn and @aimodel/optim.) The transfer-learning
// run on WebGPU is in test/slow (npm run test:kernels): 38 s on lavapipe with a cold shader cache.
import { describe, expect, it } from 'vitest';
import { run } from './seed-run';

interface PointStats {
  mean: [number, number];
  meanRadius: number;
  nearMode: number;
  modesCovered: number;
}

describe('seed examples (small slices, CPU)', () => {
  it('gan-2d: the generated points move from the origin onto the ring of 8 Gaussians (radius 2)', async () => {
    const { result, lines } = await run<{ before: PointStats; after: PointStats; steps: number }>('gan-2d');
    const { before, after } = result;
    expect(result.steps).toBe(400);
    // before training: a blob near the origin, nowhere near the ring
    expect(before.meanRadius).toBeLessThan(0.6);
    expect(before.nearMode).toBeLessThan(0.02);
    expect(before.modesCovered).toBe(0);
    // after: on the ring, centred, close to the modes, several of them covered
    expect(Math.abs(after.meanRadius - 2)).toBeLessThan(0.3);
    expect(Math.hypot(...after.mean)).toBeLessThan(0.6);
    expect(after.nearMode).toBeGreaterThan(0.3);
    expect(after.modesCovered).toBeGreaterThanOrEqual(4);
    expect(lines[0]).toBe('GAN on 8 Gaussians on a ring (radius 2, std 0.05), 400 steps of batch 128, on cpu');
    expect(lines.at(-1)).toMatch(
      /^after: {2}mean \(-?\d\.\d\d, -?\d\.\d\d\), mean radius \d\.\d{3} \(target 2\), \d+\.\d% within 0\.5 of a centre, \d\/8 modes covered/,
    );
  });

  it('transfer-learning: the reloaded backbone is bit-identical, stays so while a new head learns digits 5–9', async () => {
    const { result, lines } = await run<{
      accA: number;
      accB: number;
      reloadedIdentical: boolean;
      frozenIdentical: boolean;
      headChanged: boolean;
      lossB: number[];
    }>('transfer-learning');
    expect(result.reloadedIdentical).toBe(true);
    expect(result.frozenIdentical).toBe(true);
    expect(result.headChanged).toBe(true);
    expect(result.accA).toBeGreaterThan(0.9); // digits 0–4, 5 classes
    expect(result.accB).toBeGreaterThan(0.6); // digits 5–9 on frozen features: chance is 0.2
    expect(result.lossB).toHaveLength(6);
    expect(result.lossB.at(-1)).toBeLessThan((result.lossB[0] as number) * 0.8);
    // 250 test images per task: accuracies are multiples of 1/250
    for (const acc of [result.accA, result.accB]) expect(Math.abs(acc * 250 - Math.round(acc * 250))).toBeLessThan(1e-4);
    expect(lines.join('\n')).toMatch(/frozen backbone bit-identical, head trained/);
  });

  it('federated-averaging: the averaged model beats every client trained alone on the union test set', async () => {
    const { result, lines } = await run<{ federated: number; alone: number[]; counts: number[] }>('federated-averaging');
    // client c: 2 · round(100 · share) own-digit images + 8 · round(round(100 · share) / 12) others
    // (shares 1, 0.6, 0.8, 0.4, 0.7): 200 + 8·8, 120 + 8·5, 160 + 8·7, 80 + 8·3, 140 + 8·6
    expect(result.counts).toEqual([264, 160, 216, 104, 188]);
    expect(result.alone).toHaveLength(5);
    const best = Math.max(...result.alone);
    expect(result.federated).toBeGreaterThan(best + 0.1);
    expect(result.federated).toBeGreaterThan(0.55);
    expect(lines.filter((l) => /^round +\d+: global model/.test(l))).toHaveLength(5);
    expect(lines.filter((l) => /^client \d alone/.test(l))).toHaveLength(5);
  });

  it('k-fold: 5 folds of 100 test samples, per-fold accuracies with their mean ± std', async () => {
    const { result, lines } = await run<{ accuracies: number[]; mean: number; std: number; n: number }>('k-fold');
    expect(result.n).toBe(500);
    expect(result.accuracies).toHaveLength(5);
    for (const acc of result.accuracies) {
      expect(Math.abs(acc * 100 - Math.round(acc * 100))).toBeLessThan(1e-4); // 100 test samples per fold
      expect(acc).toBeGreaterThan(0.5); // 10 classes: chance is 0.1
    }
    const mean = result.accuracies.reduce((s, a) => s + a, 0) / 5;
    expect(result.mean).toBeCloseTo(mean, 12);
    expect(result.std).toBeCloseTo(Math.sqrt(result.accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / 5), 12);
    expect(lines.filter((l) => /^fold \d\/5: train 400, test 100, accuracy \d+\.\d%$/.test(l))).toHaveLength(5);
    expect(lines.at(-1)).toBe(`accuracy ${(100 * mean).toFixed(1)}% ± ${(100 * result.std).toFixed(1)}% (mean ± std over 5 folds)`);
  });
});
