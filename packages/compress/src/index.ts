// Public API of @aimodel/compress. Nothing is exported yet: the package is reserved in the monorepo so
// that its name, build and dependency direction are fixed; its features arrive in later releases.
export {};

// quantization: arithmetic (helper B)
export {
  quantizePerTensor,
  quantizePerChannel,
  dequantize,
  fakeQuantizePerTensorAffine,
  fakeQuantizePerChannelAffine,
  quantRange,
} from './quantize/arith';
export type { QuantDType, QScheme, QParams, DequantizeOptions } from './quantize/arith';
