// The int8 tensors static quantized layers hand each other (as PyTorch's converted models pass
// quantized tensors between quantized::conv2d, max_pool2d, flatten, …): a layer's input as the int8
// operand of its integer product, from a float32 input (quantized), an int8 one (already quantized,
// requantized when its qparams are not the layer's) or a uint8 one (quint8 values, shifted).
import { DTypeError, scope, type Tensor, tensor } from '@aimodel/tensor';
import { type ActivationQParams, quantizeActivation, storageShift } from './quantized-ops';

/** uint8 qparams (s, z) as the int8 ones (s, z − 128) that hold the same numbers; int8 ones as they are. @internal */
export function asInt8(p: ActivationQParams): ActivationQParams {
  return { scale: p.scale, zeroPoint: p.zeroPoint - storageShift(p.dtype), dtype: 'int8' };
}

/**
 * The int8 operand (q − shift, quantized with `input`) of a layer's product from its input `x`:
 * float32 → quantized; int8 → taken as quantized with `from` (int8 qparams), and when those are not
 * `input`'s, requantized: quantize(s·(q − z)) with the dequantization computed as the float path
 * computes it (fl(s·(q − z)), the value a dequantizing layer returns) and the quantization of a
 * float input, so the result is the float path's bit for bit; uint8 (when `input` is uint8) →
 * shifted by −128. Other dtypes are a DTypeError. @internal
 */
export function int8Operand(op: string, x: Tensor, input: ActivationQParams, from: ActivationQParams): Tensor {
  if (x.dtype === 'float32') return quantizeActivation(x, input);
  const own = asInt8(input);
  if (x.dtype === 'int8') {
    if (from.scale === own.scale && from.zeroPoint === own.zeroPoint) return x;
    if (x.device !== 'cpu') return requantized(x, from, input);
    // on the CPU, a table of the 256 codes' results (computed by the same ops) in one pass over plain bytes
    return tensor(lookUp(x.dataSync() as Int8Array, tableOf(from, input)), { dtype: 'int8' }).reshape(x.shape);
  }
  checkInputDType(op, x, input);
  return x.to('int32').sub(128).to('int8'); // uint8
}

/** quantize(fl(s·(q − z))) of int8 codes q with `from` = (s, z): a dequantizing layer's output quantized as a float input. */
function requantized(x: Tensor, from: ActivationQParams, input: ActivationQParams): Tensor {
  return quantizeActivation(x.to('float32').sub(from.zeroPoint).mul(from.scale), input);
}

const tables = new Map<string, Uint8Array>();

/** {@link requantized} of the 256 int8 codes, indexed by their bits as unsigned bytes (cached per pair of qparams). */
function tableOf(from: ActivationQParams, input: ActivationQParams): Uint8Array {
  const key = `${from.scale} ${from.zeroPoint} ${input.scale} ${input.zeroPoint} ${input.dtype}`;
  let t = tables.get(key);
  if (!t) {
    const codes = Int8Array.from({ length: 256 }, (_, b) => (b << 24) >> 24);
    const r = scope(() => requantized(tensor(codes, { dtype: 'int8', device: 'cpu' }), from, input).dataSync() as Int8Array);
    t = new Uint8Array(r.buffer, r.byteOffset, 256);
    if (tables.size > 256) tables.clear();
    tables.set(key, t);
  }
  return t;
}

/** out[i] = table[bits of src[i]], four bytes a step where the data are word-aligned. */
function lookUp(src: Int8Array, table: Uint8Array): Int8Array {
  const n = src.length;
  const out = new Int8Array(n);
  const s = new Uint8Array(src.buffer, src.byteOffset, n);
  const o = new Uint8Array(out.buffer);
  let i = 0;
  if (src.byteOffset % 4 === 0) {
    const w = new Uint32Array(src.buffer, src.byteOffset, n >> 2);
    const ow = new Uint32Array(out.buffer, 0, n >> 2);
    for (let k = 0; k < w.length; k++) {
      const v = w[k];
      ow[k] = table[v & 255] | (table[(v >>> 8) & 255] << 8) | (table[(v >>> 16) & 255] << 16) | (table[v >>> 24] << 24);
    }
    i = w.length * 4;
  }
  for (; i < n; i++) o[i] = table[s[i]];
  return out;
}

/** A DTypeError unless x is float32, int8, or uint8 with uint8 input qparams. @internal */
export function checkInputDType(op: string, x: Tensor, input: ActivationQParams): void {
  if (x.dtype === 'float32' || x.dtype === 'int8' || (x.dtype === 'uint8' && input.dtype === 'uint8')) return;
  throw new DTypeError(
    op,
    `expected a float32 input (quantized with the input qparams), an int8 one (already quantized, with quantizedInput) or, as the input qparams are ${input.dtype}, ${input.dtype === 'uint8' ? 'a uint8 one' : 'no uint8 one'}; got ${x.dtype}`,
  );
}

/** Whether `a` and `b` are the same qparams. @internal */
export function sameQParams(a: ActivationQParams, b: ActivationQParams): boolean {
  return a.scale === b.scale && a.zeroPoint === b.zeroPoint && a.dtype === b.dtype;
}
