import type { DType, TypedArray } from '../../../dtype';

/**
 * How each dtype is stored on the GPU. WGSL storage buffers hold 32-bit scalars only, so every
 * element takes one 32-bit word, whatever its dtype:
 *
 * | dtype   | WGSL type | word holds                         |
 * |---------|-----------|------------------------------------|
 * | float32 | f32       | the float                          |
 * | int32   | i32       | the integer                        |
 * | int8    | i32       | the value, sign-extended (−128…127) |
 * | uint8   | u32       | the value (0…255)                  |
 * | bool    | u32       | 0 or 1                             |
 *
 * A storage of `size` elements therefore uses `4·size` bytes of GPU memory (rounded up to the
 * buffer pool's size class). Kernels may also declare any buffer as `array<u32>` and bitcast.
 */
export const WGSL_STORAGE_TYPE = {
  float32: 'f32',
  int32: 'i32',
  int8: 'i32',
  uint8: 'u32',
  bool: 'u32',
} as const satisfies Record<DType, 'f32' | 'i32' | 'u32'>;

export type WgslScalar = (typeof WGSL_STORAGE_TYPE)[DType];

/** The WGSL scalar type a storage of `dtype` holds. */
export function wgslType(dtype: DType): WgslScalar {
  return WGSL_STORAGE_TYPE[dtype];
}

/** Bytes one element of any dtype takes on the GPU. */
export const GPU_WORD_BYTES = 4;

/** Host data of `dtype` as the GPU's 32-bit words (little-endian bytes, ready to upload). */
export function toWords(dtype: DType, data: TypedArray): Uint8Array {
  let words: Float32Array | Int32Array | Uint32Array;
  if (dtype === 'float32' || dtype === 'int32') words = data as Float32Array | Int32Array;
  else if (dtype === 'int8') words = Int32Array.from(data);
  else words = Uint32Array.from(data);
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

/** The GPU's 32-bit words (a copy owned by the caller) as the typed array of `dtype`. */
export function fromWords(dtype: DType, words: ArrayBuffer): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(words);
    case 'int32':
      return new Int32Array(words);
    case 'int8':
      return Int8Array.from(new Int32Array(words));
    case 'uint8':
    case 'bool':
      return Uint8Array.from(new Uint32Array(words));
    default:
      return dtype satisfies never;
  }
}

/**
 * WGSL expression converting the stored word `word` (a u32 expression) of dtype `from` into the
 * word of dtype `to`, with the CPU backend's semantics: truncation toward zero for float → int,
 * wrapping to 8 bits for int8/uint8, `x != 0` for bool (NaN counts as true).
 * Out-of-range floats → int32 saturate on the GPU (the CPU wraps modulo 2³²).
 */
export function convertWord(word: string, from: DType, to: DType): string {
  if (from === to) return word;
  const isFloat = from === 'float32';
  const v = isFloat ? `bitcast<f32>(${word})` : `bitcast<i32>(${word})`;
  const asInt = isFloat ? `i32(${v})` : v;
  switch (to) {
    case 'float32':
      return isFloat ? word : `bitcast<u32>(f32(${v}))`;
    case 'int32':
      return `bitcast<u32>(${asInt})`;
    case 'int8':
      return `bitcast<u32>((${asInt} << 24u) >> 24u)`;
    case 'uint8':
      return `(bitcast<u32>(${asInt}) & 255u)`;
    case 'bool':
      // NaN != 0.0 is true, but a compiler may assume no NaNs: test the exponent bits instead.
      return isFloat ? `select(0u, 1u, (${word} & 0x7fffffffu) != 0u)` : `select(0u, 1u, ${word} != 0u)`;
    default:
      return to satisfies never;
  }
}
