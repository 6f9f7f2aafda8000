import type { Conv2dParams } from '../backend/backend';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { fmt, pairOf } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp, type OpFn } from './define-op';

type Pair = [number, number];

/**
 * Options of {@link conv2d} (PyTorch's names and defaults).
 * @example
 * ```ts
 * conv2d(x, w, { bias: b, stride: [2, 2], padding: 1, groups: 2 });
 * ```
 */
export interface Conv2dOptions {
  /** Added per output channel, shape [outChannels]. */
  bias?: Tensor | null;
  /** Step between windows (default 1). */
  stride?: number | Pair;
  /** Zeros around the input (default 0), or `'same'` (stride 1 only) / `'valid'`. */
  padding?: number | Pair | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number | Pair;
  /** Split channels into independent groups (default 1). */
  groups?: number;
}

/**
 * Options of {@link conv1d}: as {@link Conv2dOptions} with single numbers.
 * @example
 * ```ts
 * conv1d(x, w, { stride: 2, padding: 'same', dilation: 1 });
 * ```
 */
export interface Conv1dOptions {
  bias?: Tensor | null;
  stride?: number;
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
}

/**
 * Options of {@link convTranspose2d}.
 * @example
 * ```ts
 * convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 });
 * ```
 */
export interface ConvTranspose2dOptions {
  bias?: Tensor | null;
  stride?: number | Pair;
  /** Padding of the forward conv this transposes (PyTorch's definition): shrinks the output by 2·padding. */
  padding?: number | Pair;
  /** Extra rows/columns added to one side of the output (must be < stride or < dilation). */
  outputPadding?: number | Pair;
  dilation?: number | Pair;
  groups?: number;
}

interface ConvAttrs {
  p: Conv2dParams;
  /** Shape the op produces (its output). */
  outShape: number[];
}

// Three primitives whose gradients are each other: y = conv(x, w); dx = convInput(gy, w); dw = convWeight(x, gy).
const convOp: OpFn<ConvAttrs> = defineOp<ConvAttrs>('conv2d', {
  infer: (_inputs, a) => ({ shape: a.outShape, dtype: 'float32' }),
  forward: (be, [x, w], out, a) => be.conv2d(x, w, out, a.outShape, a.p),
  backward: (gy, [x, w], _out, a) => [
    () => convInputOp([gy.contiguous(), w], { p: a.p, outShape: [...x.shape] }),
    () => convWeightOp([x, gy.contiguous()], { p: a.p, outShape: [...w.shape] }),
  ],
});
const convInputOp: OpFn<ConvAttrs> = defineOp<ConvAttrs>('conv2dBackwardInput', {
  infer: (_inputs, a) => ({ shape: a.outShape, dtype: 'float32' }),
  forward: (be, [g, w], out, a) => be.conv2dBackwardInput(g, w, out, a.outShape, a.p),
  backward: (gy, [g, w], _out, a) => [
    () => convOp([gy.contiguous(), w], { p: a.p, outShape: [...g.shape] }),
    () => convWeightOp([gy.contiguous(), g], { p: a.p, outShape: [...w.shape] }),
  ],
});
const convWeightOp: OpFn<ConvAttrs> = defineOp<ConvAttrs>('conv2dBackwardWeight', {
  infer: (_inputs, a) => ({ shape: a.outShape, dtype: 'float32' }),
  forward: (be, [x, g], out, a) => be.conv2dBackwardWeight(x, g, out, a.outShape, a.p),
  backward: (gy, [x, g], _out, a) => [
    () => convInputOp([g, gy.contiguous()], { p: a.p, outShape: [...x.shape] }),
    () => convOp([x, gy.contiguous()], { p: a.p, outShape: [...g.shape] }),
  ],
});

function checkConvInputs(op: string, x: Tensor, w: Tensor, rank: number, groups: number, transposed: boolean): void {
  if (x.dtype !== 'float32' || w.dtype !== 'float32') throw new DTypeError(op, `expected float32 input and weight, got ${x.dtype} and ${w.dtype}`);
  if (x.ndim !== rank) throw new ShapeError(op, `expected a ${rank}-D input (batch, channels, spatial…), got ${fmt(x.shape)}`);
  if (w.ndim !== rank) throw new ShapeError(op, `expected a ${rank}-D weight, got ${fmt(w.shape)}`);
  if (!Number.isInteger(groups) || groups < 1) throw new ArgumentError(op, `groups must be a positive integer, got ${groups}`);
  const c = x.shape[1];
  if (transposed) {
    if (w.shape[0] !== c) throw new ShapeError(op, `weight ${fmt(w.shape)} expects ${w.shape[0]} input channels, input ${fmt(x.shape)} has ${c}`);
    if (c % groups) throw new ShapeError(op, `input channels ${c} not divisible by groups ${groups}`);
  } else {
    if (w.shape[1] * groups !== c) {
      throw new ShapeError(op, `input ${fmt(x.shape)} has ${c} channels, weight ${fmt(w.shape)} expects ${w.shape[1] * groups} (= ${w.shape[1]} × groups ${groups})`);
    }
    if (w.shape[0] % groups) throw new ShapeError(op, `output channels ${w.shape[0]} not divisible by groups ${groups}`);
  }
}

function addBias(op: string, y: Tensor, bias: Tensor | null | undefined, spatial: number): Tensor {
  if (!bias) return y;
  const o = y.shape[1];
  if (bias.ndim !== 1 || bias.shape[0] !== o) throw new ShapeError(op, `bias must have shape [${o}], got ${fmt(bias.shape)}`);
  return y.add(bias.reshape([o, ...new Array<number>(spatial).fill(1)]));
}

/**
 * 2-D convolution (cross-correlation, as PyTorch) of x [N, C, H, W] with weight [O, C/groups, kh, kw].
 * Output [N, O, Ho, Wo], Ho = ⌊(H + 2·padding − dilation·(kh−1) − 1)/stride⌋ + 1.
 * @example
 * ```ts
 * conv2d(randn([1, 3, 8, 8]), randn([16, 3, 3, 3]), { padding: 1 }).shape; // [1, 16, 8, 8]
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  checkInputs('conv2d', opts.bias ? [x, weight, opts.bias] : [x, weight]);
  const groups = opts.groups ?? 1;
  checkConvInputs('conv2d', x, weight, 4, groups, false);
  const stride = pairOf('conv2d', 'stride', opts.stride ?? 1, 1);
  const dilation = pairOf('conv2d', 'dilation', opts.dilation ?? 1, 1);
  const [n, , h, w] = x.shape;
  const [o, , kh, kw] = weight.shape;
  const span = [dilation[0] * (kh - 1), dilation[1] * (kw - 1)];
  let padding: Pair;
  let outH: number;
  let outW: number;
  if (opts.padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new ArgumentError('conv2d', "padding 'same' needs stride 1 (as PyTorch)");
    padding = [Math.floor(span[0] / 2), Math.floor(span[1] / 2)]; // the extra odd pad goes after, as PyTorch
    [outH, outW] = [h, w];
  } else {
    padding = opts.padding === 'valid' ? [0, 0] : pairOf('conv2d', 'padding', opts.padding ?? 0, 0);
    outH = Math.floor((h + 2 * padding[0] - span[0] - 1) / stride[0]) + 1;
    outW = Math.floor((w + 2 * padding[1] - span[1] - 1) / stride[1]) + 1;
  }
  if (outH < 1 || outW < 1) {
    throw new ShapeError('conv2d', `input ${fmt(x.shape)} is too small for kernel ${kh}×${kw} (dilation ${dilation.join('×')}, padding ${padding.join('×')}): output would be ${outH}×${outW}`);
  }
  const p: Conv2dParams = { stride, padding, dilation, groups };
  return scope(() => addBias('conv2d', convOp([x.contiguous(), weight.contiguous()], { p, outShape: [n, o, outH, outW] }), opts.bias, 2));
}

/**
 * 1-D convolution of x [N, C, L] with weight [O, C/groups, k]: conv2d over a height of 1.
 * @example
 * ```ts
 * conv1d(randn([2, 4, 10]), randn([8, 4, 3])).shape; // [2, 8, 8]
 * ```
 */
export function conv1d(x: Tensor, weight: Tensor, opts: Conv1dOptions = {}): Tensor {
  checkInputs('conv1d', opts.bias ? [x, weight, opts.bias] : [x, weight]);
  checkConvInputs('conv1d', x, weight, 3, opts.groups ?? 1, false);
  const padding = typeof opts.padding === 'string' ? opts.padding : ([0, opts.padding ?? 0] as Pair);
  return scope(() =>
    conv2d(x.unsqueeze(2), weight.unsqueeze(2), {
      bias: opts.bias,
      stride: [1, opts.stride ?? 1],
      padding,
      dilation: [1, opts.dilation ?? 1],
      groups: opts.groups,
    }).squeeze(2),
  );
}

/**
 * Transposed 2-D convolution (the gradient of conv2d with respect to its input) of
 * x [N, Cin, H, W] with weight [Cin, Cout/groups, kh, kw]. Output size
 * (H−1)·stride − 2·padding + dilation·(kh−1) + outputPadding + 1.
 * @example
 * ```ts
 * convTranspose2d(randn([1, 8, 4, 4]), randn([8, 3, 2, 2]), { stride: 2 }).shape; // [1, 3, 8, 8]
 * ```
 */
export function convTranspose2d(x: Tensor, weight: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  checkInputs('convTranspose2d', opts.bias ? [x, weight, opts.bias] : [x, weight]);
  const groups = opts.groups ?? 1;
  checkConvInputs('convTranspose2d', x, weight, 4, groups, true);
  const stride = pairOf('convTranspose2d', 'stride', opts.stride ?? 1, 1);
  const padding = pairOf('convTranspose2d', 'padding', opts.padding ?? 0, 0);
  const dilation = pairOf('convTranspose2d', 'dilation', opts.dilation ?? 1, 1);
  const outPad = pairOf('convTranspose2d', 'outputPadding', opts.outputPadding ?? 0, 0);
  if (outPad.some((v, i) => v >= stride[i] && v >= dilation[i])) {
    throw new ArgumentError('convTranspose2d', `outputPadding ${outPad.join('×')} must be smaller than stride or dilation`);
  }
  const [n, , h, w] = x.shape;
  const [, cPerGroup, kh, kw] = weight.shape;
  const outH = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + outPad[0] + 1;
  const outW = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + outPad[1] + 1;
  if (outH < 1 || outW < 1) throw new ShapeError('convTranspose2d', `output size would be ${outH}×${outW} for input ${fmt(x.shape)}`);
  const p: Conv2dParams = { stride, padding, dilation, groups };
  return scope(() =>
    addBias('convTranspose2d', convInputOp([x.contiguous(), weight.contiguous()], { p, outShape: [n, cPerGroup * groups, outH, outW] }), opts.bias, 2),
  );
}
