import type { Conv2dParams } from '../backend/backend';
import { ArgumentError, checkOptions, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { fmt, pairOf } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp, type MultiOpFn, type OpFn } from './define-op';
import { stack } from './movement';

type Pair = [number, number];
type Triple = [number, number, number];

/**
 * Options of {@link conv2d} (PyTorch's names and defaults).
 * @example
 * ```ts
 * const x = randn([1, 4, 8, 8]);
 * const w = randn([6, 2, 3, 3]); // [out, in / groups, kh, kw]
 * const b = zeros([6]);
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
 * const x = randn([1, 2, 16]);
 * const w = randn([4, 2, 3]);
 * conv1d(x, w, { stride: 1, padding: 'same', dilation: 2 });
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
 * Options of {@link conv3d}: as {@link Conv2dOptions}, each size a number or a [d, h, w] triple.
 * @example
 * ```ts
 * const x = randn([1, 4, 5, 6, 6]);
 * const w = randn([6, 2, 3, 3, 3]); // [out, in / groups, kd, kh, kw]
 * conv3d(x, w, { bias: zeros([6]), stride: [1, 2, 2], padding: 1, groups: 2 });
 * ```
 */
export interface Conv3dOptions {
  /** Added per output channel, shape [outChannels]. */
  bias?: Tensor | null;
  /** Step between windows (default 1). */
  stride?: number | Triple;
  /** Zeros around the input (default 0), or `'same'` (stride 1 only) / `'valid'`. */
  padding?: number | Triple | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number | Triple;
  /** Split channels into independent groups (default 1). */
  groups?: number;
}

/**
 * Options of {@link convTranspose2d}.
 * @example
 * ```ts
 * const x = randn([1, 4, 8, 8]);
 * const w = randn([4, 2, 3, 3]); // [in, out / groups, kh, kw]
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
  /** The forward's bias needs a gradient (recorded with the op, as the engine records its targets). */
  biasGrad?: boolean;
}

/** The weight gradient's: with `biasDims`, its kernel also sums gy over them (the bias gradient, its `bias` output; empty without). */
interface WeightAttrs extends ConvAttrs {
  biasDims?: number[] | null;
}

// Three primitives whose gradients are each other: y = conv(x, w); dx = convInput(gy, w); dw = convWeight(x, gy).
// The forward also takes a float32 bias [O] (y + b[o] per channel, added as the backend writes y):
// its gradient is gy summed over every dim but the channels, as the engine sums a broadcast add's.
const convOp: OpFn<ConvAttrs> = defineOp<ConvAttrs>('conv2d', {
  infer: (_inputs, a) => ({ shape: a.outShape, dtype: 'float32' }),
  forward: (be, [x, w, b], out, a) => be.conv2d(x, w, out, a.outShape, a.p, b ?? null),
  backward: (gy, [x, w, b], _out, a) => {
    // the bias's: the weight gradient's kernel sums it as well when both are needed (the same
    // reduction of the same gy, without an op between), else a sum of its own
    const dims = [0, ...[2, 3].filter((d) => gy.shape[d] !== 1)];
    const g = gy.contiguous();
    let db: Tensor | null = null;
    return [
      () => convInputOp([g, w], { p: a.p, outShape: [...x.shape] }),
      () => {
        const biasDims = a.biasGrad && g === gy ? dims : null;
        const r = convWeightOp([x, g], { p: a.p, outShape: [...w.shape], biasDims });
        if (biasDims) db = r.outputs.bias;
        return r.out;
      },
      ...(b ? [() => (db ?? gy.sum(dims, { keepdim: true })).reshape(b.shape)] : []),
    ];
  },
});
const convInputOp: OpFn<ConvAttrs> = defineOp<ConvAttrs>('conv2dBackwardInput', {
  infer: (_inputs, a) => ({ shape: a.outShape, dtype: 'float32' }),
  forward: (be, [g, w], out, a) => be.conv2dBackwardInput(g, w, out, a.outShape, a.p),
  backward: (gy, [g, w], _out, a) => [
    () => convOp([gy.contiguous(), w], { p: a.p, outShape: [...g.shape] }),
    () => convWeightOp([gy.contiguous(), g], { p: a.p, outShape: [...w.shape] }).out,
  ],
});
const convWeightOp: MultiOpFn<WeightAttrs, 'bias'> = defineOp<WeightAttrs, 'bias'>('conv2dBackwardWeight', {
  outputs: ['bias'],
  infer: (_inputs, a) => ({ shape: a.outShape, dtype: 'float32', outputs: { bias: { shape: [a.biasDims ? a.outShape[0] : 0], dtype: 'float32' } } }),
  forward: (be, [x, g], out, a, _shape, o) => be.conv2dBackwardWeight(x, g, out, a.outShape, a.p, a.biasDims ? { out: o.bias, dims: a.biasDims } : null),
  backward: (gy, [x, g], _out, a) => [
    () => convInputOp([g, gy.contiguous()], { p: a.p, outShape: [...x.shape] }),
    () => convOp([x, gy.contiguous()], { p: a.p, outShape: [...g.shape] }),
  ],
});

/** Settings of one convolution, normalized to two spatial dims (conv1d's with a height of 1). */
interface ConvSettings {
  bias: Tensor | null | undefined;
  stride: Pair;
  padding: Pair | 'same';
  dilation: Pair;
  groups: number;
  outputPadding: Pair;
}

/**
 * The checks of conv1d, conv2d and convTranspose2d (their functions copy to contiguous memory and
 * add the bias around the op, so the checks run first, under the public name) and the geometry of
 * the op they run, with `rank` the input's rank (3 for conv1d: read as a height-1 conv2d).
 */
function checkConv(op: string, x: Tensor, w: Tensor, rank: 3 | 4, s: ConvSettings, transposed: boolean): ConvAttrs {
  checkInputs(op, s.bias ? [x, w, s.bias] : [x, w]);
  const { groups } = s;
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
      throw new ShapeError(
        op,
        `input ${fmt(x.shape)} has ${c} channels, weight ${fmt(w.shape)} expects ${w.shape[1] * groups} (= ${w.shape[1]} × groups ${groups})`,
      );
    }
    if (w.shape[0] % groups) throw new ShapeError(op, `output channels ${w.shape[0]} not divisible by groups ${groups}`);
  }
  const o = transposed ? w.shape[1] * groups : w.shape[0];
  if (s.bias && (s.bias.ndim !== 1 || s.bias.shape[0] !== o)) throw new ShapeError(op, `bias must have shape [${o}], got ${fmt(s.bias.shape)}`);
  const [n, , h, wd] = rank === 4 ? x.shape : [x.shape[0], c, 1, x.shape[2]];
  const [kh, kw] = rank === 4 ? w.shape.slice(2) : [1, w.shape[2]];
  return transposed ? transposedGeometry(op, x, [n, o, h, wd], [kh, kw], s) : forwardGeometry(op, x, [n, o, h, wd], [kh, kw], s);
}

function forwardGeometry(op: string, x: Tensor, [n, o, h, w]: number[], [kh, kw]: number[], s: ConvSettings): ConvAttrs {
  const { stride, dilation, groups } = s;
  const span = [dilation[0] * (kh - 1), dilation[1] * (kw - 1)];
  let padding: Pair;
  let outH: number;
  let outW: number;
  if (s.padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new ArgumentError(op, "padding 'same' needs stride 1 (as PyTorch)");
    padding = [Math.floor(span[0] / 2), Math.floor(span[1] / 2)]; // the extra odd pad goes after, as PyTorch
    [outH, outW] = [h, w];
  } else {
    padding = s.padding;
    outH = Math.floor((h + 2 * padding[0] - span[0] - 1) / stride[0]) + 1;
    outW = Math.floor((w + 2 * padding[1] - span[1] - 1) / stride[1]) + 1;
  }
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      op,
      `input ${fmt(x.shape)} is too small for kernel ${kh}×${kw} (dilation ${dilation.join('×')}, padding ${padding.join('×')}): output would be ${outH}×${outW}`,
    );
  }
  return { p: { stride, padding, dilation, groups }, outShape: [n, o, outH, outW] };
}

function transposedGeometry(op: string, x: Tensor, [n, o, h, w]: number[], [kh, kw]: number[], s: ConvSettings): ConvAttrs {
  const { stride, dilation, groups, outputPadding: outPad } = s;
  const padding = s.padding as Pair;
  if (outPad.some((v, i) => v >= stride[i] && v >= dilation[i])) {
    throw new ArgumentError(op, `outputPadding ${outPad.join('×')} must be smaller than stride or dilation`);
  }
  const outH = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + outPad[0] + 1;
  const outW = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + outPad[1] + 1;
  if (outH < 1 || outW < 1) throw new ShapeError(op, `output size would be ${outH}×${outW} for input ${fmt(x.shape)}`);
  return { p: { stride, padding, dilation, groups }, outShape: [n, o, outH, outW] };
}

/** `y` plus the (checked) per-channel bias. */
function addBias(y: Tensor, bias: Tensor | null | undefined, spatial: number): Tensor {
  return bias ? y.add(bias.reshape([y.shape[1], ...new Array<number>(spatial).fill(1)])) : y;
}

/** convOp of x and w plus the (checked) bias: a float32 one added by the op itself (fused), another dtype by an add. */
function convWithBias(x: Tensor, w: Tensor, bias: Tensor | null | undefined, a: ConvAttrs): Tensor {
  if (bias?.dtype === 'float32') return convOp([x, w, bias.contiguous()], { ...a, biasGrad: bias.requiresGrad });
  return addBias(convOp([x, w], a), bias, 2);
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
  const op = 'conv2d';
  const padding = opts.padding === 'same' ? ('same' as const) : opts.padding === 'valid' ? ([0, 0] as Pair) : pairOf(op, 'padding', opts.padding ?? 0, 0);
  const settings = {
    bias: opts.bias,
    stride: pairOf(op, 'stride', opts.stride ?? 1, 1),
    padding,
    dilation: pairOf(op, 'dilation', opts.dilation ?? 1, 1),
    groups: opts.groups ?? 1,
    outputPadding: [0, 0] as Pair,
  };
  const a = checkConv(op, x, weight, 4, settings, false);
  return scope(() => convWithBias(x.contiguous(), weight.contiguous(), opts.bias, a));
}

/**
 * 1-D convolution of x [N, C, L] with weight [O, C/groups, k]: conv2d over a height of 1.
 * @example
 * ```ts
 * conv1d(randn([2, 4, 10]), randn([8, 4, 3])).shape; // [2, 8, 8]
 * ```
 */
export function conv1d(x: Tensor, weight: Tensor, opts: Conv1dOptions = {}): Tensor {
  const op = 'conv1d';
  const one = (name: string, v: number, min: number): Pair => [1, pairOf(op, name, v, min)[1]];
  const padding = opts.padding === 'same' ? ('same' as const) : ([0, opts.padding === 'valid' ? 0 : pairOf(op, 'padding', opts.padding ?? 0, 0)[1]] as Pair);
  const settings = {
    bias: opts.bias,
    stride: one('stride', opts.stride ?? 1, 1),
    padding,
    dilation: one('dilation', opts.dilation ?? 1, 1),
    groups: opts.groups ?? 1,
    outputPadding: [0, 0] as Pair,
  };
  const a = checkConv(op, x, weight, 3, settings, false);
  return scope(() => convWithBias(x.unsqueeze(2).contiguous(), weight.unsqueeze(2).contiguous(), opts.bias, a).squeeze(2));
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
  const op = 'convTranspose2d';
  const settings = {
    bias: opts.bias,
    stride: pairOf(op, 'stride', opts.stride ?? 1, 1),
    padding: pairOf(op, 'padding', opts.padding ?? 0, 0),
    dilation: pairOf(op, 'dilation', opts.dilation ?? 1, 1),
    groups: opts.groups ?? 1,
    outputPadding: pairOf(op, 'outputPadding', opts.outputPadding ?? 0, 0),
  };
  const a = checkConv(op, x, weight, 4, settings, true);
  return scope(() => addBias(convInputOp([x.contiguous(), weight.contiguous()], a), opts.bias, 2));
}

/** A conv3d size: one number for all three dims or a [d, h, w] triple of integers ≥ min. */
function tripleOf(op: string, name: string, v: unknown, min: number): Triple {
  const t = typeof v === 'number' ? [v, v, v] : v;
  if (!Array.isArray(t) || t.length !== 3 || t.some((x) => !Number.isInteger(x) || x < min)) {
    throw new ArgumentError(op, `${name} must be an integer ≥ ${min} or a triple of them, got ${JSON.stringify(v)}`);
  }
  return t as Triple;
}

/**
 * 3-D convolution (cross-correlation, as PyTorch) of x [N, C, D, H, W] with weight
 * [O, C/groups, kd, kh, kw]. Output [N, O, Do, Ho, Wo], Do = ⌊(D + 2·padding − dilation·(kd−1) − 1)/stride⌋ + 1
 * (likewise Ho, Wo). Composed from differentiable ops, so it runs on every backend with gradients:
 * the kd depth taps of each output depth are strided slices of the (zero-padded) depth axis, stacked
 * next to the channels and folded into the batch, and one conv2d over [N·Do, kd·C, H, W] with the
 * weight's depth taps moved next to its channels does the rest (one GEMM, kd× the input in memory).
 * @example
 * ```ts
 * conv3d(randn([1, 2, 4, 6, 6]), randn([8, 2, 3, 3, 3]), { padding: 1 }).shape; // [1, 8, 4, 6, 6]
 * ```
 */
export function conv3d(x: Tensor, weight: Tensor, opts: Conv3dOptions = {}): Tensor {
  const op = 'conv3d';
  checkOptions(op, opts, ['bias', 'stride', 'padding', 'dilation', 'groups']);
  const bias = opts.bias;
  checkInputs(op, bias ? [x, weight, bias] : [x, weight]);
  const stride = tripleOf(op, 'stride', opts.stride ?? 1, 1);
  const dilation = tripleOf(op, 'dilation', opts.dilation ?? 1, 1);
  const same = opts.padding === 'same';
  if (same && stride.some((s) => s !== 1)) throw new ArgumentError(op, "padding 'same' needs stride 1 (as PyTorch)");
  const padding = same ? null : opts.padding === 'valid' ? ([0, 0, 0] as Triple) : tripleOf(op, 'padding', opts.padding ?? 0, 0);
  const groups = opts.groups ?? 1;
  if (x.dtype !== 'float32' || weight.dtype !== 'float32') throw new DTypeError(op, `expected float32 input and weight, got ${x.dtype} and ${weight.dtype}`);
  if (x.ndim !== 5) throw new ShapeError(op, `expected a 5-D input [N, C, D, H, W], got ${fmt(x.shape)}`);
  if (weight.ndim !== 5) throw new ShapeError(op, `expected a 5-D weight [O, C/groups, kd, kh, kw], got ${fmt(weight.shape)}`);
  if (!Number.isInteger(groups) || groups < 1) throw new ArgumentError(op, `groups must be a positive integer, got ${groups}`);
  const [n, c, d, h, wd] = x.shape;
  const [o, cg, kd, kh, kw] = weight.shape;
  if (cg * groups !== c)
    throw new ShapeError(op, `input ${fmt(x.shape)} has ${c} channels, weight ${fmt(weight.shape)} expects ${cg * groups} (= ${cg} × groups ${groups})`);
  if (o % groups) throw new ShapeError(op, `output channels ${o} not divisible by groups ${groups}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) throw new ShapeError(op, `bias must have shape [${o}], got ${fmt(bias.shape)}`);
  // depth: padded here (PyTorch's 'same' puts the odd pad after), height and width: by conv2d
  const spanD = dilation[0] * (kd - 1);
  const padD: Pair = padding ? [padding[0], padding[0]] : [Math.floor(spanD / 2), spanD - Math.floor(spanD / 2)];
  const outD = Math.floor((d + padD[0] + padD[1] - spanD - 1) / stride[0]) + 1;
  if (outD < 1) {
    throw new ShapeError(
      op,
      `input ${fmt(x.shape)} is too small for kernel depth ${kd} (dilation ${dilation[0]}, padding ${padD.join('+')}): output depth would be ${outD}`,
    );
  }
  const settings = {
    bias,
    stride: [stride[1], stride[2]] as Pair,
    padding: padding ? ([padding[1], padding[2]] as Pair) : ('same' as const),
    dilation: [dilation[1], dilation[2]] as Pair,
    groups,
    outputPadding: [0, 0] as Pair,
  };
  const a = forwardGeometry(op, x, [n * outD, o, h, wd], [kh, kw], settings);
  const [, , outH, outW] = a.outShape;
  return scope(() => {
    const xp = padD[0] || padD[1] ? x.pad([0, 0, 0, 0, padD[0], padD[1]]) : x;
    const taps = Array.from({ length: kd }, (_, i) => xp.slice(2, i * dilation[0], i * dilation[0] + stride[0] * (outD - 1) + 1, stride[0]));
    const cols = stack(taps, 2) // [N, C, kd, Do, H, W] → [N·Do, groups·kd·C/groups, H, W]: each group's channels tap-major
      .reshape([n, groups, cg, kd, outD, h, wd])
      .permute([0, 4, 1, 3, 2, 5, 6])
      .reshape([n * outD, groups * kd * cg, h, wd]);
    const w2 = weight.permute([0, 2, 1, 3, 4]).reshape([o, kd * cg, kh, kw]); // same tap-major order per output channel
    const y = convOp([cols.contiguous(), w2.contiguous()], a).reshape([n, outD, o, outH, outW]).permute([0, 2, 1, 3, 4]);
    return addBias(y, bias, 3).contiguous();
  });
}
