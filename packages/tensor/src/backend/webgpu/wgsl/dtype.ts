import type { DType, TypedArray } from '../../../dtype';

/**
 * How each dtype is stored on the GPU. WGSL storage buffers hold 32-bit scalars only. 32-bit
 * dtypes and bool take one word per element; int8 and uint8 are **packed four per word**, element
 * e in byte e % 4 (bits 8·(e % 4)…) of word ⌊e / 4⌋ — the little-endian byte order of an
 * Int8Array/Uint8Array, so uploads and readbacks are plain byte copies:
 *
 * | dtype   | storage            | an element, as kernels compute with it (its "word") |
 * |---------|--------------------|-----------------------------------------------------|
 * | float32 | one f32 word       | the float bits                                      |
 * | int32   | one i32 word       | the integer                                         |
 * | int8    | one byte, 4 a word | the value, sign-extended to 32 bits (−128…127)      |
 * | uint8   | one byte, 4 a word | the value (0…255)                                   |
 * | bool    | one u32 word       | 0 or 1                                              |
 *
 * Kernels never index a packed buffer by element: they read an element's word through
 * {@link loadFn} (an `extractBits` of its byte) and write 8-bit outputs a whole word at a time
 * (each invocation owns the words it writes) or, into strided views, with atomics on the byte's
 * word. A storage of `size` elements uses {@link storageBytes} bytes (rounded up to the buffer
 * pool's size class), so `memory()` reports 1 byte per int8 element.
 */
export const WGSL_STORAGE_TYPE = {
  float32: 'f32',
  int32: 'i32',
  int8: 'i32',
  uint8: 'u32',
  bool: 'u32',
} as const satisfies Record<DType, 'f32' | 'i32' | 'u32'>;

export type WgslScalar = (typeof WGSL_STORAGE_TYPE)[DType];

/** The WGSL scalar type an element's word of `dtype` holds (int8: a sign-extended i32). */
export function wgslType(dtype: DType): WgslScalar {
  return WGSL_STORAGE_TYPE[dtype];
}

/** Bytes one element of a 32-bit dtype (and bool) takes on the GPU. */
export const GPU_WORD_BYTES = 4;

/** Whether `dtype` is stored packed, four elements per 32-bit word. */
export function isPacked(dtype: DType): dtype is 'int8' | 'uint8' {
  return dtype === 'int8' || dtype === 'uint8';
}

/** Bytes of element storage of `dtype` on the GPU (a multiple of 4); `elementBytes` for one element. */
export function elementBytes(dtype: DType): number {
  return isPacked(dtype) ? 1 : GPU_WORD_BYTES;
}

/** Bytes a storage of `size` elements of `dtype` needs: a whole number of words, at least one. */
export function storageBytes(dtype: DType, size: number): number {
  return Math.max(4, Math.ceil((size * elementBytes(dtype)) / 4) * 4);
}

/**
 * Host data of `dtype` as the bytes the GPU stores (little-endian, ready to upload), padded with
 * zero bytes to a multiple of 4 (buffer writes move whole words).
 */
export function toWords(dtype: DType, data: TypedArray): Uint8Array {
  if (isPacked(dtype)) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength % 4 === 0) return bytes;
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    return padded;
  }
  let words: Float32Array | Int32Array | Uint32Array;
  if (dtype === 'float32' || dtype === 'int32') words = data as Float32Array | Int32Array;
  else words = Uint32Array.from(data);
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

/**
 * `n` elements of `dtype` from the bytes the GPU stores (a copy owned by the caller), starting
 * `skip` elements into `bytes` (a packed read starts at the word holding its first element).
 */
export function fromStored(dtype: DType, bytes: ArrayBuffer, n: number, skip = 0): TypedArray {
  const size = elementBytes(dtype);
  const own = skip === 0 && bytes.byteLength === n * size ? bytes : bytes.slice(skip * size, (skip + n) * size);
  if (dtype === 'int8') return new Int8Array(own);
  if (dtype === 'uint8') return new Uint8Array(own);
  return fromWords(dtype, own);
}

/** Element words (one 32-bit word per element, int8 sign-extended) as the typed array of `dtype`. */
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
 * WGSL function `fn <name>(e: u32) -> u32` returning the word of element `e` (see the table
 * above) of the module-scope `array<u32>` `buffer` holding `dtype`: the stored word, or for
 * int8/uint8 the element's byte, sign-extended or zero-extended.
 */
export function loadFn(name: string, buffer: string, dtype: DType): string {
  if (dtype === 'int8') return `fn ${name}(e: u32) -> u32 { return bitcast<u32>(extractBits(bitcast<i32>(${buffer}[e >> 2u]), (e & 3u) * 8u, 8u)); }`;
  if (dtype === 'uint8') return `fn ${name}(e: u32) -> u32 { return extractBits(${buffer}[e >> 2u], (e & 3u) * 8u, 8u); }`;
  return `fn ${name}(e: u32) -> u32 { return ${buffer}[e]; }`;
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
