// A GAN learns a 2-D toy distribution: 8 Gaussians on a ring of radius 2 (the classic toy of the
// GAN papers). Two networks, two Adam optimizers; the discriminator is frozen
// (`requiresGrad_(false)`) during the generator's step, so the generator's loss only moves the
// generator. Prints where the generated points lie before and after training.
// Run from the repository root:  npm run example:gan-2d   (or, after `npm run build`:
// node examples/gan-2d/index.mjs [--steps 3000])
import { pathToFileURL } from 'node:url';
import { binaryCrossEntropyWithLogits, init, LeakyReLU, Linear, manualSeed, noGrad, ones, randint, randn, scope, Sequential, tensor, zeros } from '@aimodel/nn';
import { Adam } from '@aimodel/optim';

const MODES = 8;
const RADIUS = 2;
const STD = 0.05;
const LATENT = 8;
const CENTRES = Array.from({ length: MODES }, (_, k) => [RADIUS * Math.cos((2 * Math.PI * k) / MODES), RADIUS * Math.sin((2 * Math.PI * k) / MODES)]);

/** n points of the target: a random ring centre plus N(0, STD²) noise. */
function sampleTarget(centres, n) {
  return scope(() => centres.indexSelect(0, randint(0, MODES, [n])).add(randn([n, 2]).mul(STD)));
}

/** Where n generated points lie: mean, mean distance from the origin, and how many land near a centre. */
async function describe(generator, n) {
  const points = noGrad(() => scope(() => generator.call(randn([n, LATENT]))));
  const xy = await points.data();
  points.dispose();
  let mx = 0;
  let my = 0;
  let radius = 0;
  let near = 0;
  const perMode = new Array(MODES).fill(0);
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i];
    const y = xy[2 * i + 1];
    mx += x / n;
    my += y / n;
    radius += Math.hypot(x, y) / n;
    const dists = CENTRES.map(([cx, cy]) => Math.hypot(x - cx, y - cy));
    const k = dists.indexOf(Math.min(...dists));
    if ((dists[k] ?? Number.POSITIVE_INFINITY) < 0.5) {
      near++;
      perMode[k]++;
    }
  }
  // a mode counts as covered when at least a quarter of its fair share (n / 8) lands within 0.5 of it
  const modesCovered = perMode.filter((c) => c >= n / MODES / 4).length;
  return { mean: [mx, my], meanRadius: radius, nearMode: near / n, modesCovered };
}

const fmt = (s) =>
  `mean (${s.mean.map((v) => v.toFixed(2)).join(', ')}), mean radius ${s.meanRadius.toFixed(3)} (target ${RADIUS}), ` +
  `${(100 * s.nearMode).toFixed(1)}% within 0.5 of a centre, ${s.modesCovered}/${MODES} modes covered`;

/**
 * Train the GAN and return the statistics of 1000 generated points before and after.
 * `small` trains for fewer steps (the test's slice); `device` defaults to the best available.
 */
export async function main({ small = false, steps = small ? 400 : 3000, batchSize = 128, device, log = console.log } = {}) {
  const used = await init(device ? { device } : {});
  manualSeed(0);
  const centres = tensor(CENTRES);

  const generator = new Sequential(new Linear(LATENT, 64), new LeakyReLU(0.2), new Linear(64, 64), new LeakyReLU(0.2), new Linear(64, 2));
  const discriminator = new Sequential(new Linear(2, 64), new LeakyReLU(0.2), new Linear(64, 64), new LeakyReLU(0.2), new Linear(64, 1));
  const gOpt = new Adam(generator.parameters(), { lr: 1e-3, betas: [0.5, 0.999] });
  const dOpt = new Adam(discriminator.parameters(), { lr: 1e-3, betas: [0.5, 0.999] });
  const real = ones([batchSize, 1]);
  const fake = zeros([batchSize, 1]);

  const before = await describe(generator, 1000);
  log(`GAN on ${MODES} Gaussians on a ring (radius ${RADIUS}, std ${STD}), ${steps} steps of batch ${batchSize}, on ${used}`);
  log(`before: ${fmt(before)}`);
  const started = performance.now();
  for (let step = 1; step <= steps; step++) {
    // discriminator step: real points → 1, generated points (detached: G is not trained here) → 0
    const dLoss = scope(() => {
      const generated = noGrad(() => generator.call(randn([batchSize, LATENT])));
      const loss = binaryCrossEntropyWithLogits(discriminator.call(sampleTarget(centres, batchSize)), real).add(
        binaryCrossEntropyWithLogits(discriminator.call(generated), fake),
      );
      dOpt.zeroGrad();
      loss.backward();
      dOpt.step();
      return loss.detach();
    });
    // generator step with the discriminator frozen: backward flows through D into G, but D's
    // parameters get no gradient (and dOpt would have nothing to apply)
    discriminator.requiresGrad_(false);
    const gLoss = scope(() => {
      const loss = binaryCrossEntropyWithLogits(discriminator.call(generator.call(randn([batchSize, LATENT]))), real); // non-saturating loss
      gOpt.zeroGrad();
      loss.backward();
      gOpt.step();
      return loss.detach();
    });
    discriminator.requiresGrad_(true);
    if (step % Math.max(1, Math.floor(steps / 5)) === 0 || step === steps) {
      log(`step ${String(step).padStart(5)}  D loss ${(await dLoss.item()).toFixed(4)}  G loss ${(await gLoss.item()).toFixed(4)}`);
    }
    dLoss.dispose();
    gLoss.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await describe(generator, 1000);
  log(`after:  ${fmt(after)}  (${seconds.toFixed(1)} s)`);

  for (const t of [centres, real, fake]) t.dispose();
  generator.dispose();
  discriminator.dispose();
  return { before, after, steps, seconds };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--steps');
  await main(i > 0 ? { steps: Number(process.argv[i + 1]) } : {});
}
