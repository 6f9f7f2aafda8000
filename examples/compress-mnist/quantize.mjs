// The int8 rows: post-training static quantization (fuse → prepare → calibrate → convert) with
// per-tensor or per-channel weights, quantization-aware training, and the pruned model quantized.
import { convert, disableObserver, fuseModules, getDefaultQatQConfig, getDefaultQConfig, prepare, prepareQat } from '@aimodel/compress';
import { Callback, noGrad, scope } from '@aimodel/nn';
import { copyOf, train } from './model.mjs';

/** Conv+BatchNorm+ReLU twice and the hidden Linear+ReLU of the CNN (the classifier stays alone). */
const FUSE = [
  ['0', '1', '2'],
  ['4', '5', '6'],
  ['9', '10'],
];

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
  noGrad(() => {
    for (let i = 0; i < calibration.shape[0]; i += 100) {
      scope(() => q.forward(calibration.narrow(0, i, Math.min(100, calibration.shape[0] - i))));
    }
  });
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
 * Quantization-aware training: a copy of `model` fused (BatchNorm folded, in eval mode), prepared
 * with FakeQuantize modules (per-channel int8 weights, uint8 activations with moving-average
 * observers), fine-tuned `epochs` with a small learning rate, then converted. As in PyTorch's QAT
 * recipe, the observers are frozen (`disableObserver`) for the last epoch when there is more than
 * one, so the weights adapt to fixed quantization ranges before `convert` (BatchNorm is already
 * folded into the convolutions, so there are no BatchNorm statistics left to freeze).
 */
export async function qat(model, data, { epochs = 2, verbose = 2 } = {}) {
  const q = copyOf(model).eval();
  fuseModules(q, FUSE);
  q.train();
  prepareQat(q, getDefaultQatQConfig());
  const callbacks = epochs > 1 ? [new FreezeObservers(q, epochs - 1)] : [];
  await train(q, data, { epochs, lr: 1e-4, verbose, callbacks });
  return convert(q.eval());
}
