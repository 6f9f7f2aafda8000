/**
 * Constructor options of a QuantizedLinear or QuantizedConv2d with 4 int8 weights (scale 0.1) and an
 * int8 input and output (scale 0.1, zero point 0): a valid base that the error tests change one field of.
 */
export function int8BaseOptions() {
  return {
    weight: new Int8Array(4),
    weightScale: 0.1,
    input: { scale: 0.1, zeroPoint: 0, dtype: 'int8' },
    output: { scale: 0.1, zeroPoint: 0, dtype: 'int8' },
  } as const;
}
