// The pruning rows: 90% global unstructured sparsity reached gradually while fine-tuning, and 50%
// of the channels removed for good (structured, shrunk, then fine-tuned).
import { GradualPruning, lnStructured, removePruning, shrinkStructured } from '@aimodel/compress';
import { Conv2d, Linear } from '@aimodel/nn';
import { cnn, copyOf, train } from './model.mjs';

/** Every Conv2d and Linear weight of `model`, as [module, 'weight'] pairs. */
export const weights = (model) =>
  model
    .children()
    .filter((m) => m instanceof Conv2d || m instanceof Linear)
    .map((m) => [m, 'weight']);

/**
 * 90% of all weights pruned by magnitude on Zhu & Gupta's schedule over the first of `epochs`
 * epochs (about 40 pruning steps, every 2nd step at least), the rest recovery; the pruning is then made permanent.
 */
export async function gradual(base, data, { epochs = 2, verbose = 2 } = {}) {
  const model = copyOf(base);
  const stepsPerEpoch = Math.ceil(data.xTrain.shape[0] / 32);
  const frequency = Math.max(2, Math.floor(stepsPerEpoch / 40));
  const schedule = new GradualPruning({ finalSparsity: 0.9, beginStep: 0, endStep: stepsPerEpoch, frequency, parameters: weights(model) });
  await train(model, data, { epochs, lr: 1e-3, callbacks: [schedule], verbose });
  for (const [m, name] of weights(model)) removePruning(m, name);
  return model;
}

/** Half of the output channels of both convs and of the hidden Linear (smallest L2 norm) removed, then `epochs` of fine-tuning. */
export async function structured(base, data, { epochs = 2, verbose = 2 } = {}) {
  const model = copyOf(base, () => cnn());
  for (const i of [0, 4, 9]) lnStructured(model.at(i), 'weight', 0.5, 2, 0);
  // exact: false — the removed channels' constants (bias through BatchNorm) fold into the next
  // padded conv's bias, exact away from the borders; fine-tuning follows anyway
  shrinkStructured(model, { exact: false });
  await train(model, data, { epochs, lr: 1e-3, verbose });
  return model;
}
