// convert's last step: the activations between consecutive static quantized layers stay int8, as
// in PyTorch's converted models (quantized tensors through max_pool2d, flatten, dropout in eval).
import { Dropout, Flatten, Identity, MaxPool2d, type Module, Sequential } from '@aimodel/nn';
import { FusedIdentity } from './fuse';
import { QuantizedLayer } from './quantized-linear';

/**
 * Modules an int8 activation passes through unchanged in meaning (MaxPool2d pools the integers:
 * dequantization is monotone). A ReLU is not one (on the integers it would clamp at 0, not at the
 * zero point): fuse it into the layer before converting, as PyTorch.
 */
const passesInt8 = (m: Module): boolean =>
  m instanceof MaxPool2d || m instanceof Flatten || m instanceof Dropout || m instanceof Identity || m instanceof FusedIdentity;

/**
 * In every Sequential of `model`: a static quantized layer followed (through MaxPool2d, Flatten,
 * Dropout, Identity) by another gets `quantizedOutput`, and the other takes its int8 output with
 * the producer's qparams (`quantizedInput`), requantizing when its own differ; every other static
 * quantized layer returns float32 and takes int8 in its own qparams. Results are the same as with
 * float between the layers, bit for bit. Returns the number of links. @internal
 */
export function linkQuantizedLayers(model: Module): number {
  let links = 0;
  const all = model.namedModules().map(([, m]) => m);
  for (const m of all) {
    if (!(m instanceof QuantizedLayer)) continue;
    m.quantizedOutput = false;
    m._int8Path = [];
    m.quantizedInput = m.int8InputQParams;
  }
  for (const seq of all) {
    if (!(seq instanceof Sequential)) continue;
    const kids = seq.children();
    for (let i = 0; i < kids.length; i++) {
      const a = kids[i];
      if (!(a instanceof QuantizedLayer)) continue;
      let j = i + 1;
      while (j < kids.length && passesInt8(kids[j])) j++;
      const b = kids[j];
      if (!(b instanceof QuantizedLayer)) continue;
      a.quantizedOutput = true;
      a._int8Path = kids.slice(i + 1, j);
      b.quantizedInput = a.int8OutputQParams;
      links++;
    }
  }
  return links;
}
