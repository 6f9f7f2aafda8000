// The int8 tensors static quantized layers hand each other (as PyTorch's converted models pass
// quantized tensors between quantized::conv2d, max_pool2d, flatten, …): a layer's input as the int8
// operand of its integer product, from a float32 input (quantized), an int8 one (already quantized,
// requantized when its qparams are not the layer's) or a uint8 one (quint8 values, shifted).
import { DTypeError, requantizePerTensor, type Tensor } from '@aimodel/tensor';
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
    // quantize(fl(s·(q − z))) of each of the 256 codes once, the bytes mapped through that table (tensor's op)
    return requantizePerTensor(x, from.scale, from.zeroPoint, input.scale, own.zeroPoint, 'int8');
  }
  checkInputDType(op, x, input);
  return x.to('int32').sub(128).to('int8'); // uint8
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
