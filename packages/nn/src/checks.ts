import { ArgumentError, ShapeError, type Shape, Tensor } from '@aimodel/tensor';

// Argument checks and message parts shared by nn's layers, losses, metrics and data utilities, so
// that every message prints shapes and sizes the same way (as @aimodel/tensor's own errors do).

/** `[2,3]`: a shape as the library's messages print it. */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Same dims in the same order. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** What a message says was received: a tensor's shape, or the type of something that is not a tensor. */
export function describeInput(x: unknown): string {
  return x instanceof Tensor ? fmtShape(x.shape) : `a ${x === null ? 'null' : typeof x} (not a Tensor)`;
}

/** A module's input must be a tensor (the ops check its shape and dtype). */
export function checkTensor(layer: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ShapeError(layer, `expected a Tensor input, got ${describeInput(x)}`);
}

/** An options object whose keys are all in `allowed` (a misspelt option must not be ignored): tensor's one check. */
export { checkOptions as checkKeys } from '@aimodel/tensor';

/** A count (features, channels, heads, layers): an integer ≥ 1. */
export function checkPositiveInt(layer: string, name: string, v: unknown): void {
  if (!Number.isInteger(v) || (v as number) < 1) throw new ArgumentError(layer, `${name} must be a positive integer, got ${v}`);
}

/**
 * A size given as one integer or as `n` of them (kernel size, stride, padding, …), each ≥ `min`:
 * `intTuple('Conv2d', 'stride', 2, 2, 1)` → [2, 2].
 */
export function intTuple<N extends 1 | 2 | 3>(layer: string, name: string, v: unknown, n: N, min: number): IntTuple<N> {
  const t = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) ? [...(v as number[])] : [];
  if (t.length !== n || t.some((x) => !Number.isInteger(x) || x < min)) {
    const several = n === 2 ? ' or a pair of them' : n === 3 ? ' or a triple of them' : '';
    throw new ArgumentError(layer, `${name} must be an integer >= ${min}${several}, got ${JSON.stringify(v)}`);
  }
  return t as IntTuple<N>;
}

/** A pooling layer's padding: at most half the kernel size in each dim (printed as a number in 1-D, a shape in 2-D). */
export function checkPoolPadding(layer: string, padding: readonly number[], kernelSize: readonly number[]): void {
  if (padding.some((p, i) => p > kernelSize[i] / 2)) {
    const fmt = (t: readonly number[]) => (t.length === 1 ? String(t[0]) : fmtShape(t));
    throw new ArgumentError(layer, `padding ${fmt(padding)} must be at most half of kernelSize ${fmt(kernelSize)}`);
  }
}

/** An adaptive pool's target size: an integer ≥ 1 for both dims, or a pair whose entries may be null (keep the input's size). */
export function adaptiveSize2d(layer: string, outputSize: unknown): [number | null, number | null] {
  const size = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) ? [...outputSize] : [];
  if (size.length !== 2 || size.some((v) => v !== null && (!Number.isInteger(v) || v < 1))) {
    throw new ArgumentError(layer, `outputSize must be a positive integer or a pair of them (or null), got ${JSON.stringify(outputSize)}`);
  }
  return size as [number | null, number | null];
}

/** A tuple of `N` integers (a size per spatial dim). */
export type IntTuple<N extends 1 | 2 | 3> = N extends 1 ? [number] : N extends 2 ? [number, number] : [number, number, number];
