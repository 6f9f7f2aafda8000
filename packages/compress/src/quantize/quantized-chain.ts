// convert's last step: the activations between consecutive static quantized layers stay int8, as
// in PyTorch's converted models (quantized tensors through max_pool2d, flatten, dropout in eval).
import { Dropout, Flatten, Identity, MaxPool2d, type Module, Sequential } from '@aimodel/nn';
import { childField } from './convert-modules';
import { FusedIdentity } from './fuse';
import { QuantizedConv2d } from './quantized-conv';
import { QuantizedLayer } from './quantized-linear';
import { sameQParams } from './quantized-input';

/**
 * Modules an int8 activation passes through unchanged in meaning (MaxPool2d pools the integers:
 * dequantization is monotone). A ReLU is not one (on the integers it would clamp at 0, not at the
 * zero point): fuse it into the layer before converting, as PyTorch.
 */
const passesInt8 = (m: Module): boolean =>
  m instanceof MaxPool2d || m instanceof Flatten || m instanceof Dropout || m instanceof Identity || m instanceof FusedIdentity;

/** A MaxPool2d that a QuantizedConv2d's epilogue runs: 2×2 windows, stride 2, no padding or dilation, floor sizes. */
const pools2x2 = (m: Module): m is MaxPool2d =>
  m instanceof MaxPool2d &&
  [m.kernelSize, m.stride].every(([a, b]) => a === 2 && b === 2) &&
  m.padding.every((p) => p === 0) &&
  m.dilation.every((d) => d === 1) &&
  !m.ceilMode;

/**
 * Where convert fused a MaxPool2d into the QuantizedConv2d before it (the convolution's epilogue
 * pools): an identity in the model, holding the pooling module it replaced. @internal
 */
export class FusedMaxPool2d extends FusedIdentity {
  /** The MaxPool2d this replaced (put back when the layers are linked again). @internal */
  readonly _pool: MaxPool2d;
  constructor(pool: MaxPool2d) {
    super();
    this._pool = pool;
  }
}

/**
 * In every Sequential of `model`: a static quantized layer followed (through MaxPool2d, Flatten,
 * Dropout, Identity) by another gets `quantizedOutput`, and the other takes its int8 output with
 * the producer's qparams (`quantizedInput`), requantizing when its own differ; every other static
 * quantized layer returns float32 and takes int8 in its own qparams. A QuantizedConv2d producer
 * also takes over, in its kernel's epilogue, a 2×2 MaxPool2d right after it (through identities;
 * the MaxPool2d becomes a {@link FusedMaxPool2d}) and the requantization to the next layer's input
 * qparams (which then takes its own). Results are the same as with float between the layers, bit
 * for bit. Returns the number of links. @internal
 */
export function linkQuantizedLayers(model: Module): number {
  let links = 0;
  const all = model.namedModules().map(([, m]) => m);
  for (const seq of all) {
    if (!(seq instanceof Sequential)) continue;
    for (const [key, m] of seq.namedChildren()) if (m instanceof FusedMaxPool2d) setChild(seq, key, m._pool);
  }
  for (const m of all) {
    if (!(m instanceof QuantizedLayer)) continue;
    m.quantizedOutput = false;
    m._int8Path = [];
    m.quantizedInput = m.int8InputQParams;
    if (m instanceof QuantizedConv2d) m._fuseNext(null, null);
  }
  for (const seq of all) {
    if (!(seq instanceof Sequential)) continue;
    const named = seq.namedChildren();
    const kids = named.map(([, m]) => m);
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
      if (!(a instanceof QuantizedConv2d)) continue;
      // the convolution pools (a 2×2 MaxPool2d after identities only) and requantizes for b
      let at = i + 1;
      while (at < j && (kids[at] instanceof FusedIdentity || kids[at] instanceof Identity)) at++;
      const pool = at < j && pools2x2(kids[at]) ? (kids[at] as MaxPool2d) : null;
      const own = b.int8InputQParams;
      a._fuseNext(pool, sameQParams(a.int8OutputQParams, own) ? null : own);
      b.quantizedInput = own;
      if (pool) {
        const fused = new FusedMaxPool2d(pool);
        setChild(seq, named[at][0], fused);
        a._int8Path = a._int8Path.map((m) => (m === pool ? fused : m));
      }
    }
  }
  return links;
}

function setChild(parent: Module, key: string, child: Module): void {
  const field = childField(parent, key);
  if (field !== undefined) (parent as unknown as Record<string, Module>)[field] = child;
}
