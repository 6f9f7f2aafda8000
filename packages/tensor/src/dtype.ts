import { DTypeError } from './errors';

/**
 * Element types a tensor can hold. `int8`/`uint8` are for quantized storage.
 * @example
 * ```ts
 * tensor([1, 2], { dtype: 'int32' }).dtype; // 'int32'
 * ```
 */
export type DType = 'float32' | 'int32' | 'bool' | 'int8' | 'uint8';

/**
 * The typed array that stores each dtype.
 * @example
 * ```ts
 * const x = ones([2]);
 * const values: TypedArray = await x.data();
 * ```
 */
export type TypedArray = Float32Array | Int32Array | Uint8Array | Int8Array;

/** Every dtype, in promotion order for the integer kinds. */
export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool', 'int8', 'uint8'];

const CTORS = {
  float32: Float32Array,
  int32: Int32Array,
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
} satisfies Record<DType, { new (n: number): TypedArray; BYTES_PER_ELEMENT: number }>;

export function isDType(v: unknown): v is DType {
  return typeof v === 'string' && v in CTORS;
}

export function bytesPerElement(dtype: DType): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

export function allocArray(dtype: DType, size: number): TypedArray {
  return new CTORS[dtype](size);
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32';
}

/**
 * Result dtype of an arithmetic op on two dtypes, as PyTorch's type promotion restricted to our
 * dtypes: float32 wins; otherwise int32; two equal dtypes keep their type; int8 with uint8 (which
 * PyTorch widens to int16) becomes int32; bool with an integer type becomes that type.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'bool') return b;
  if (b === 'bool') return a;
  return 'int32';
}

/** Convert a JS number to the value stored in `dtype` (truncation, wrapping, bool as 0/1). */
export function castScalar(v: number, dtype: DType): number {
  switch (dtype) {
    case 'float32':
      return Math.fround(v);
    case 'int32':
      return Math.trunc(v) | 0;
    case 'bool':
      return v ? 1 : 0;
    case 'int8':
      return (Math.trunc(v) << 24) >> 24;
    case 'uint8':
      return Math.trunc(v) & 255;
    default:
      return dtype satisfies never;
  }
}

export function assertFloat(op: string, dtype: DType, what = 'input'): void {
  if (dtype !== 'float32') throw new DTypeError(op, `expected a float32 ${what}, got ${dtype}`);
}
