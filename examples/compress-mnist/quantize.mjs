// The int8 rows: post-training static quantization (fuse → prepare → calibrate → convert) with
// per-tensor or per-channel weights, quantization-aware training, and the pruned model quantized.
import {
  convert,
  disableFakeQuant,
  disableObserver,
  enableFakeQuant,
  fuseModules,
  getDefaultQatQConfig,
  getDefaultQConfig,
  prepare,
  prepareQat,
} from '@aimodel/compress';
import { Callback, noGrad, scope } from '@aimodel/nn';
import { copyOf, train } from './model.mjs';

/** Conv+BatchNorm+ReLU twice and the hidden Linear+ReLU of the CNN (the classifier stays alone). */
const FUSE = [
  ['0', '1', '2'],
  ['4', '5', '6'],
  ['9', '10'],
];

/** Runs `images` through the prepared model `q` (100 at a time, no gradients): its observers record ranges. */
function calibrate(q, images) {
  noGrad(() => {
    for (let i = 0; i < images.shape[0]; i += 100) {
      scope(() => q.forward(images.narrow(0, i, Math.min(100, images.shape[0] - i))));
    }
  });
}

/**
 * Post-training static int8 quantization of a copy of `model`: fuse, prepare with `qconfig`, run
 * `calibration` images (100 at a time) through it, convert. `perChannel: false` uses PyTorch's
 * qnnpack preset (per-tensor symmetric weights), true its default (per-channel); activations are
 * uint8 from histogram observers either way.
 */
export function ptq(model, calibration, { perChannel }) {
  const q = copyOf(model).eval();
  fuseModules(q, FUSE);
  prepare(q, getDefaultQConfig(perChannel ? 'aimodel' : 'qnnpack'));
  calibrate(q, calibration);
  return convert(q);
}

/** Stops every observer of `model` at the start of epoch `at` (0-based): the ranges freeze. */
class FreezeObservers extends Callback {
  constructor(model, at) {
    super();
    this.target = model;
    this.at = at;
  }
  onEpochBegin(epoch) {
    if (epoch === this.at) disableObserver(this.target);
  }
}

/**
 * Quantization-aware training of a copy of the trained float `model`, PyTorch's QAT recipe for
 * fine-tuning a trained model:
 * 1. fuse Conv+BatchNorm+ReLU and Linear+ReLU in eval mode: BatchNorm is folded into the
 *    convolutions with its running statistics, so its statistics are frozen from the first step
 *    (PyTorch keeps BatchNorm in its QAT ConvBn modules and freezes its statistics, `freeze_bn_stats`,
 *    after a few epochs);
 * 2. `prepareQat` with the default QAT qconfig (per-channel int8 weights, uint8 activations with
 *    moving-average observers);
 * 3. calibrate: the observers watch the `calibration` images with fake quantization off
 *    (`disableFakeQuant`), so training starts from the float model's ranges;
 * 4. fine-tune `epochs` with Adam at 5e-5 (1/40 of the float training's rate: the model is already
 *    trained, and a larger step drifts from it — at 1e-4 the 2,000-image default mode lost up to 0.10
 *    points over 8 seeds, at 5e-5 at most 0.05), the observers frozen (`disableObserver`) from the
 *    second half on, so the weights adapt to the ranges `convert` will use;
 * 5. `convert`.
 */
export async function qat(model, data, calibration, { epochs = 2, seed = 0, verbose = 2 } = {}) {
  const q = copyOf(model).eval();
  fuseModules(q, FUSE);
  q.train();
  prepareQat(q, getDefaultQatQConfig());
  disableFakeQuant(q);
  calibrate(q, calibration);
  enableFakeQuant(q);
  const callbacks = epochs > 1 ? [new FreezeObservers(q, Math.ceil(epochs / 2))] : [];
  await train(q, data, { epochs, lr: 5e-5, seed, verbose, callbacks });
  return convert(q.eval());
}
