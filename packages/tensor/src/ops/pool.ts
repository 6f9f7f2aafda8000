import type { AvgPool2dParams, Pool2dParams } from '../backend/backend';
import { assertFloat } from '../dtype';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { fmt, pairOf } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp, type OpFn } from './define-op';

type Pair = [number, number];

/**
 * Options of {@link maxPool2d}.
 * @example
 * ```ts
 * const x = randn([1, 3, 9, 9]);
 * maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true });
 * ```
 */
export interface MaxPool2dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: number | Pair;
  /** Implicit −∞ padding on each side (default 0; at most half the kernel). */
  padding?: number | Pair;
  /** Spacing between window taps (default 1). */
  dilation?: number | Pair;
  /** Use ⌈⌉ instead of ⌊⌋ for the output size (default false). */
  ceilMode?: boolean;
}

/**
 * Options of {@link avgPool2d}.
 * @example
 * ```ts
 * const x = randn([1, 3, 9, 9]);
 * avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false });
 * ```
 */
export interface AvgPool2dOptions {
  stride?: number | Pair;
  padding?: number | Pair;
  ceilMode?: boolean;
  /** Count padded zeros in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

/** PyTorch's pooling output length, including the rule that the last ceil-mode window starts inside. */
function outLength(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * The checks of the pooling functions (run first: they copy x to contiguous memory before their
 * op) and the window geometry they share.
 */
function geometry(op: string, x: Tensor, kernelSize: number | Pair, o: MaxPool2dOptions, bytes = false): { p: Pool2dParams; outShape: number[] } {
  checkInputs(op, [x]);
  if (x.dtype !== 'float32' && !(bytes && (x.dtype === 'int8' || x.dtype === 'uint8')))
    throw new DTypeError(op, `expected a float32${bytes ? ', int8 or uint8' : ''} input, got ${x.dtype}`);
  if (x.ndim !== 4) throw new ShapeError(op, `expected a 4-D input [N, C, H, W], got ${fmt(x.shape)}`);
  const kernel = pairOf(op, 'kernelSize', kernelSize, 1);
  const stride = pairOf(op, 'stride', o.stride ?? kernel, 1);
  const padding = pairOf(op, 'padding', o.padding ?? 0, 0);
  const dilation = pairOf(op, 'dilation', o.dilation ?? 1, 1);
  if (padding.some((v, i) => v > Math.floor(kernel[i] / 2))) {
    throw new ArgumentError(op, `padding ${padding.join('×')} must be at most half the kernel size ${kernel.join('×')}`);
  }
  const [n, c, h, w] = x.shape;
  const oh = outLength(h, kernel[0], stride[0], padding[0], dilation[0], o.ceilMode ?? false);
  const ow = outLength(w, kernel[1], stride[1], padding[1], dilation[1], o.ceilMode ?? false);
  if (oh < 1 || ow < 1) throw new ShapeError(op, `input ${fmt(x.shape)} is too small for a ${kernel.join('×')} window: output would be ${oh}×${ow}`);
  return { p: { kernel, stride, padding, dilation }, outShape: [n, c, oh, ow] };
}

/** Max pooling over a contiguous x: window maxima and their argmax (flat h·W + w), a secondary output the node saves. */
const maxOp = defineOp<{ p: Pool2dParams; outShape: number[] }, 'indices'>('maxPool2d', {
  outputs: ['indices'],
  infer: (_inputs, a) => ({ shape: a.outShape, dtype: 'float32', outputs: { indices: { shape: a.outShape, dtype: 'int32' } } }),
  forward: (be, [x], out, a, shape, { indices }) => be.maxPool2d(x, out, indices, shape, a.p),
  // ∂x: each window's gradient goes to its (first) maximum, summed where windows overlap
  backward: (gy, [x], _out, _a, { indices }) => [() => maxBackOp([gy.contiguous(), indices], { inShape: [...x.shape] })],
});

/** Inputs [gy, indices], both contiguous [N, C, Ho, Wo]: zeros of inShape with gy added at the indices (first order). */
const maxBackOp: OpFn<{ inShape: number[] }> = defineOp<{ inShape: number[] }>('maxPool2dBackward', {
  infer: (_inputs, a) => ({ shape: a.inShape, dtype: 'float32' }),
  forward: (be, [gy, indices], out, { inShape }) => be.maxPool2dBackward(gy, indices, out, inShape),
});

/** Max pooling of int8/uint8 x (quantized activations, no gradient): window maxima in x's dtype. */
const maxInt8Op = defineOp<{ p: Pool2dParams; outShape: number[] }>('maxPool2dInt8', {
  infer: (inputs, a) => ({ shape: a.outShape, dtype: inputs[0].dtype }),
  forward: (be, [x], out, a, shape) => be.maxPool2dInt8(x, out, shape, a.p),
});

/**
 * 2-D max pooling over x [N, C, H, W]. The gradient goes to the (first) maximum of each window.
 * int8 and uint8 inputs (quantized activations, as PyTorch's quantized::max_pool2d) are pooled as
 * integers into the same dtype, without gradient; since dequantization s·(q − z) is monotone,
 * pooling the integers equals pooling the dequantized floats.
 * @example
 * ```ts
 * maxPool2d(tensor([[[[1, 2], [3, 4]]]]), 2); // [[[[4]]]]
 * maxPool2d(tensor([[[[-5, 2], [3, -128]]]], { dtype: 'int8' }), 2); // int8 [[[[3]]]]
 * ```
 */
export function maxPool2d(x: Tensor, kernelSize: number | Pair, opts: MaxPool2dOptions = {}): Tensor {
  const g = geometry('maxPool2d', x, kernelSize, opts, true);
  if (x.dtype !== 'float32') return scope(() => maxInt8Op([x.contiguous()], g));
  return scope(() => maxOp([x.contiguous()], g).out); // the indices stay internal
}

interface AvgAttrs {
  p: AvgPool2dParams;
  inShape: number[];
  outShape: number[];
}

// Average pooling is linear; its backward is its adjoint and the adjoint's backward is pooling again.
const avgOp: OpFn<AvgAttrs> = defineOp<AvgAttrs>('avgPool2d', {
  infer: (_inputs, a) => ({ shape: a.outShape, dtype: 'float32' }),
  forward: (be, [x], out, a) => be.avgPool2d(x, out, a.outShape, a.p),
  backward: (gy, _inputs, _out, a) => [() => avgBackOp([gy.contiguous()], a)],
});
const avgBackOp: OpFn<AvgAttrs> = defineOp<AvgAttrs>('avgPool2dBackward', {
  infer: (_inputs, a) => ({ shape: a.inShape, dtype: 'float32' }),
  forward: (be, [g], out, a) => be.avgPool2dBackward(g, out, a.inShape, a.p),
  backward: (gy, _inputs, _out, a) => [() => avgOp([gy.contiguous()], a)],
});

/**
 * 2-D average pooling over x [N, C, H, W].
 * @example
 * ```ts
 * avgPool2d(tensor([[[[1, 2], [3, 4]]]]), 2); // [[[[2.5]]]]
 * ```
 */
export function avgPool2d(x: Tensor, kernelSize: number | Pair, opts: AvgPool2dOptions = {}): Tensor {
  const g = geometry('avgPool2d', x, kernelSize, opts);
  const p: AvgPool2dParams = { window: { ...g.p, countIncludePad: opts.countIncludePad ?? true } };
  return scope(() => avgOp([x.contiguous()], { p, inShape: [...x.shape], outShape: g.outShape }));
}

/**
 * Adaptive average pooling to a fixed output size: output cell i averages input rows
 * ⌊i·H/Ho⌋ … ⌈(i+1)·H/Ho⌉ − 1 (and likewise for columns), as PyTorch.
 * @example
 * ```ts
 * adaptiveAvgPool2d(randn([1, 64, 7, 7]), 1).shape; // [1, 64, 1, 1]
 * ```
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | Pair): Tensor {
  checkInputs('adaptiveAvgPool2d', [x]);
  assertFloat('adaptiveAvgPool2d', x.dtype);
  if (x.ndim !== 4) throw new ShapeError('adaptiveAvgPool2d', `expected a 4-D input [N, C, H, W], got ${fmt(x.shape)}`);
  const [oh, ow] = pairOf('adaptiveAvgPool2d', 'outputSize', outputSize, 1);
  const [n, c, h, w] = x.shape;
  if (h === 0 || w === 0) throw new ShapeError('adaptiveAvgPool2d', `input ${fmt(x.shape)} has an empty spatial dim`);
  return scope(() => avgOp([x.contiguous()], { p: {}, inShape: [n, c, h, w], outShape: [n, c, oh, ow] }));
}
