// int8 convolution for inference (no gradient): PyTorch's quantized::conv2d (fbgemm) on int8 NCHW
// input, the integer products and the requantization of quantizedLinear fused into one kernel
// that writes the NCHW result.
import type { QuantizedConv2dParams } from '../backend/backend';
import { tensor } from '../creation';
import { ArgumentError, checkOptions, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { fmt } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp } from './define-op';
import { maxPool2d } from './pool';
import { type QuantizedLinearOptions, requantizePerTensor, requantizeTable, requantSetup } from './quantized';
import { sum } from './reduce';

type QDType = 'int8' | 'uint8';

type Pair = [number, number];

/**
 * Options of {@link quantizedConv2d}: {@link QuantizedLinearOptions} (per output channel where
 * those are per output row; `weightSums` and `columnTerm` over each channel's C/groups·kh·kw
 * weights) and the geometry, zero padding only (padded with the input's zero point, as PyTorch's
 * quantized convolutions).
 * @example
 * ```ts
 * const opts: QuantizedConv2dOptions = { inputScale: 0.5, weightScale: 0.25, stride: 2, padding: 1, output: { scale: 0.1, zeroPoint: 0, dtype: 'int8' } };
 * ```
 */
export interface QuantizedConv2dOptions extends QuantizedLinearOptions {
  /** Step between windows (default 1). */
  stride?: number | Pair;
  /** Padding on each side (default 0). */
  padding?: number | Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: number | Pair;
  /** Channel groups (default 1). */
  groups?: number;
  /**
   * 2: the quantized output max-pooled over 2×2 windows with stride 2 (⌊Ho/2⌋ × ⌊Wo/2⌋), as
   * `maxPool2d(y, 2)` of the unpooled result, bit for bit; on the CPU the pooling runs in the
   * convolution's epilogue (no unpooled tensor). Needs an int8/uint8 `output` without `dequantize`.
   */
  maxPool?: 2;
  /**
   * The (pooled) quantized output then requantized to this scale and zero point in its dtype, as
   * `requantizePerTensor(y, output.scale, output.zeroPoint, scale, zeroPoint, output.dtype)`, bit
   * for bit (the next layer's input qparams); fused on the CPU. Needs `output` without `dequantize`.
   */
  requantizeTo?: { scale: number; zeroPoint: number };
}

const KEYS = ['inputScale', 'inputZeroPoint', 'weightScale', 'weightZeroPoint', 'weightSums', 'columnTerm', 'bias', 'output', 'relu', 'dequantize'];
const CONV_KEYS = [...KEYS, 'stride', 'padding', 'dilation', 'groups', 'maxPool', 'requantizeTo'];

const qconvOp = defineOp<QuantizedConv2dParams & { outShape: number[]; outDType: 'float32' | 'int8' | 'uint8'; bias: boolean; affine: boolean }>(
  'quantizedConv2d',
  {
    infer: (_, a) => ({ shape: a.outShape, dtype: a.outDType }),
    // inputs: x, weight, column term, multiplier, (bias), (weight zero points)
    forward: (be, views, out, a) => {
      const [x, w, ct, mu] = views;
      const bias = a.bias ? views[4] : null;
      const wz = a.affine ? views[a.bias ? 5 : 4] : null;
      be.quantizedConv2d(x, w, ct, mu, bias, wz, a, out);
    },
  },
);

function pair(op: string, name: string, v: number | Pair | undefined, dflt: number, min: number): Pair {
  const p = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new ArgumentError(op, `${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

/**
 * int8 2-D convolution with fbgemm's requantization (PyTorch's quantized Conv2d), in one kernel:
 * for output channel j and window p, acc = Σ x·w over the window (int8 × int8 → int32, the input
 * padded with its zero point x_zp), then exactly {@link quantizedLinear}'s epilogue with K =
 * C/groups·kh·kw and Σₖ x over the window:
 *   raw = acc − x_zp·Σₖ w[j] − w_zp[j]·Σₖ x[p] + K·x_zp·w_zp[j]
 *   q = clamp(round((fl(raw) + fl(bias[j]/m)) · fl(m/s_y)) + y_zp, qmin, qmax), m = fl(s_x·s_w[j])
 * returned as q (int8/uint8), as s_y·(q − y_zp) with `dequantize`, or without `output` as
 * fl(fl(raw)·s_x)·s_w[j] + bias[j]. No gradient.
 *
 * Shapes: x int8 [N, C, H, W], weight int8 [O, C/groups, kh, kw] → [N, O, Ho, Wo] with
 * Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1 (likewise Wo); with `maxPool: 2`,
 * shape [N, O, ⌊Ho/2⌋, ⌊Wo/2⌋]: the 2×2 max pooling (and `requantizeTo`'s requantization) of the
 * quantized bytes, as the separate ops give them, run in the CPU kernel's epilogue (what a
 * converted Conv2d → MaxPool2d → next quantized layer uses).
 * @throws DTypeError for non-int8 operands; ShapeError for mismatched channels or a window
 * larger than the padded input; ArgumentError for bad geometry, scales, zero points or options.
 * @example
 * ```ts
 * const x = tensor([[[[1, 2], [3, 4]]]], { dtype: 'int8' });
 * const w = tensor([[[[1, 1], [1, 1]]]], { dtype: 'int8' });
 * quantizedConv2d(x, w, { inputScale: 0.5, weightScale: 0.5, padding: 1, output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' } });
 * // int8 [[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]]: each window's sum · 0.25 / 0.25
 * quantizedConv2d(x, w, { inputScale: 0.5, weightScale: 0.5, padding: 1, output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' }, maxPool: 2 });
 * // int8 [[[[10]]]]: the top-left 2×2 window's maximum
 * ```
 */
export function quantizedConv2d(x: Tensor, weight: Tensor, opts: QuantizedConv2dOptions): Tensor {
  const op = 'quantizedConv2d';
  if (opts === null || typeof opts !== 'object') throw new ArgumentError(op, 'expected an options object { inputScale, weightScale, … }');
  checkOptions(op, opts, CONV_KEYS);
  for (const [what, t] of [
    ['x', x],
    ['weight', weight],
  ] as const) {
    if (t?.dtype !== 'int8') throw new DTypeError(op, `${what} must be an int8 tensor, got ${t?.dtype ?? String(t)}`);
    if (t.ndim !== 4) throw new ShapeError(op, `${what} must be 4-D (${what === 'x' ? '[N, C, H, W]' : '[O, C/groups, kh, kw]'}), got ${fmt(t.shape)}`);
  }
  const [n, c, h, w] = x.shape;
  const [o, cg, kh, kw] = weight.shape;
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ArgumentError(op, `groups must be a positive integer, got ${String(groups)}`);
  if (c !== cg * groups || o % groups)
    throw new ShapeError(op, `x ${fmt(x.shape)} and weight ${fmt(weight.shape)} need C = ${cg}·groups and O divisible by groups (groups ${groups})`);
  const stride = pair(op, 'stride', opts.stride, 1, 1);
  const padding = pair(op, 'padding', opts.padding, 0, 0);
  const dilation = pair(op, 'dilation', opts.dilation, 1, 1);
  const ho = Math.floor((h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const wo = Math.floor((w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  if (ho < 1 || wo < 1) throw new ShapeError(op, `x ${fmt(x.shape)} is smaller than the (dilated) kernel [${kh}, ${kw}] after padding ${fmt(padding)}`);
  const k = cg * kh * kw;
  if (opts.weightSums !== undefined) {
    const s = opts.weightSums;
    if (s?.dtype !== 'int32' || s.ndim !== 1 || s.shape[0] !== o)
      throw new ShapeError(op, `weightSums must be an int32 [${o}] tensor, got ${s?.dtype} ${s ? fmt(s.shape) : String(s)}`);
  }
  if (opts.columnTerm !== undefined) {
    const ct = opts.columnTerm;
    if ((ct?.dtype !== 'int32' && ct?.dtype !== 'float32') || ct.ndim !== 1 || ct.shape[0] !== o)
      throw new ShapeError(op, `columnTerm must be an int32 or float32 [${o}] tensor, got ${ct?.dtype} ${ct ? fmt(ct.shape) : String(ct)}`);
    if (opts.weightSums !== undefined) throw new ArgumentError(op, 'give weightSums or columnTerm, not both');
  }
  const s = requantSetup(op, opts, o);
  const affine = s.affine;
  const { maxPool, requantizeTo } = opts;
  if (maxPool !== undefined && maxPool !== 2) throw new ArgumentError(op, `maxPool must be 2 (2×2 windows, stride 2), got ${String(maxPool)}`);
  if ((maxPool || requantizeTo) && s.mode !== 'quantized')
    throw new ArgumentError(op, 'maxPool and requantizeTo act on the quantized bytes: give output { scale, zeroPoint, dtype } without dequantize');
  if (maxPool && (ho < 2 || wo < 2)) throw new ShapeError(op, `maxPool 2 needs an output of at least 2×2 before pooling, got ${ho}×${wo}`);
  if (requantizeTo !== undefined) {
    if (requantizeTo === null || typeof requantizeTo !== 'object')
      throw new ArgumentError(op, `requantizeTo must be { scale, zeroPoint }, got ${String(requantizeTo)}`);
    checkOptions(`${op} requantizeTo`, requantizeTo, ['scale', 'zeroPoint']);
  }
  const qd = s.outDType as QDType;
  const table = requantizeTo ? requantizeTable(op, qd, s.ys, s.yzp, requantizeTo.scale, requantizeTo.zeroPoint, qd) : null;
  // the CPU backend pools and maps in the convolution's epilogue; elsewhere the ops in sequence
  const fused = x.device === 'cpu';
  return scope(() => {
    const device = x.device;
    let ct: Tensor;
    if (opts.columnTerm) ct = opts.columnTerm.to('int32');
    else if (s.xzp === 0) ct = tensor(new Int32Array(o), { device });
    else {
      ct = (opts.weightSums ?? sum(weight.reshape([o, k]), 1)).mul(-s.xzp); // int32, wrapping
      if (affine)
        ct = ct.add(
          tensor(
            Int32Array.from(s.wZeros, (z) => k * s.xzp * z),
            { device },
          ),
        );
    }
    const inputs = [x.contiguous(), weight.contiguous(), ct.contiguous(), tensor(s.mult, { device })];
    if (s.biasTerm) inputs.push(tensor(s.biasTerm, { device }));
    if (affine) inputs.push(tensor(Int32Array.from(s.wZeros), { device }));
    const y = qconvOp(inputs, {
      mode: s.mode,
      inputScale: s.xs,
      outScale: s.ys,
      outZeroPoint: s.yzp,
      qmin: s.qmin,
      qmax: s.qmax,
      stride,
      padding,
      dilation,
      groups,
      inputZeroPoint: s.xzp,
      pool: fused && maxPool === 2,
      table: fused ? table : null,
      outShape: fused && maxPool ? [n, o, ho >> 1, wo >> 1] : [n, o, ho, wo],
      outDType: s.outDType,
      bias: s.biasTerm !== null,
      affine,
    });
    if (fused) return y;
    const pooled = maxPool ? maxPool2d(y, 2) : y;
    return requantizeTo ? requantizePerTensor(pooled, s.ys, s.yzp, requantizeTo.scale, requantizeTo.zeroPoint, qd) : pooled;
  });
}
