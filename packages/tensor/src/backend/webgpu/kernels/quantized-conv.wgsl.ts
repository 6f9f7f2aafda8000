import type { PrimitiveArgs, RequantizeMode } from '../../backend';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { wgsl } from '../wgsl/tag';
import { requantizeValue, storeMain } from './quantized.wgsl';

/**
 * int8 convolution with the requantization epilogue (see `Backend.quantizedConv2d`), operation
 * for operation as the CPU's (../../cpu/quantized-conv.ts and `requantizeRows`): one invocation
 * per output element (float32 out) or per word of four (packed int8/uint8 out), each summing its
 * window directly from the packed int8 input and weight (bytes sign-extended by extractBits),
 * out-of-range taps reading the input's zero point.
 * Params (u32 unless noted): total, N, C, H, W, O, C/groups, kh, kw, Ho, Wo, sh, sw, ph, pw, dh,
 * dw, x offset, weight offset, then the element offsets of column term, multiplier, bias, weight
 * zero points; input zero point (i32), x_scale, out scale (f32), out zero point, qmin, qmax (i32).
 */

const WG = 64;

const kernel = memoKernel(function quantizedConvKernel(mode: RequantizeMode, bias: boolean, affine: boolean): KernelSource {
  const bindings: string[] = ['X: array<u32>', 'Wt: array<u32>', 'CT: array<i32>', 'MU: array<f32>'];
  if (bias) bindings.push('B: array<f32>');
  if (affine) bindings.push('WZ: array<i32>');
  const decl = bindings.map((b, i) => `@group(0) @binding(${i}) var<storage, read> ${b};`).join('\n');
  const o = bindings.length;
  const packed = mode === 'quantized';
  const value = requantizeValue(mode, bias, 'oc', 20, 24);
  return {
    key: `quantized-conv:${mode}:${bias}:${affine}`,
    workgroupSize: [WG, 1, 1],
    bindings: [...bindings.map(() => 'read' as const), 'read_write'],
    code: wgsl`
${decl}
@group(0) @binding(${o}) var<storage, read_write> O: array<u32>;
@group(0) @binding(${o + 1}) var<storage, read> p: array<u32>;

fn xbyte(i: u32) -> i32 { return extractBits(bitcast<i32>(X[i >> 2u]), (i & 3u) * 8u, 8u); }
fn wbyte(i: u32) -> i32 { return extractBits(bitcast<i32>(Wt[i >> 2u]), (i & 3u) * 8u, 8u); }

// element e of the [N, O, Ho, Wo] result (${packed ? 'the clamped integer' : 'float32'})
fn value(e: u32) -> ${packed ? 'i32' : 'f32'} {
  let C = p[2]; let H = p[3]; let W = p[4]; let Oc = p[5]; let cg = p[6]; let kh = p[7]; let kw = p[8];
  let Ho = p[9]; let Wo = p[10];
  let ow = e % Wo; let t1 = e / Wo; let oh = t1 % Ho; let t2 = t1 / Ho; let oc = t2 % Oc; let n = t2 / Oc;
  let g = oc / (Oc / (C / cg));
  let xzp = bitcast<i32>(p[23]);
  var acc = 0i;
  var xs = 0i;
  for (var c = 0u; c < cg; c++) {
    let plane = p[17] + (n * C + g * cg + c) * H * W;
    let wrow = p[18] + (oc * cg + c) * kh * kw;
    for (var i = 0u; i < kh; i++) {
      let ih = i32(oh * p[11] + i * p[15]) - i32(p[13]);
      for (var j = 0u; j < kw; j++) {
        let iw = i32(ow * p[12] + j * p[16]) - i32(p[14]);
        var xv = xzp;
        if (ih >= 0 && ih < i32(H) && iw >= 0 && iw < i32(W)) { xv = xbyte(plane + u32(ih) * W + u32(iw)); }
        acc = acc + xv * wbyte(wrow + i * kw + j);
        xs = xs + xv;
      }
    }
  }
  var raw = acc + CT[p[19] + oc];
  ${affine ? 'raw = raw - WZ[p[22] + oc] * xs;' : ''}
  var f = f32(raw);
  ${value}
}

${storeMain(packed)}`,
  };
});

/** See `Backend.quantizedConv2d`; every view contiguous. */
export function quantizedConv2d(rt: Runtime, ...[x, weight, columnTerm, multiplier, bias, weightZeroPoints, p, out]: PrimitiveArgs<'quantizedConv2d'>): void {
  rt.checkAlive();
  const [n, c, h, w] = x.shape;
  const [o, cg, kh, kw] = weight.shape;
  const ho = Math.floor((h + 2 * p.padding[0] - p.dilation[0] * (kh - 1) - 1) / p.stride[0]) + 1;
  const wo = Math.floor((w + 2 * p.padding[1] - p.dilation[1] * (kw - 1) - 1) / p.stride[1]) + 1;
  const total = n * o * ho * wo;
  if (total === 0) return;
  const prm = params()
    .u32(total)
    .u32s([n, c, h, w, o, cg, kh, kw, ho, wo])
    .u32s([...p.stride, ...p.padding, ...p.dilation])
    .u32(x.offset)
    .u32(weight.offset)
    .u32(columnTerm.offset)
    .u32(multiplier.offset)
    .u32(bias ? bias.offset : 0)
    .u32(weightZeroPoints ? weightZeroPoints.offset : 0)
    .i32(p.inputZeroPoint)
    .f32(p.inputScale)
    .f32(p.outScale)
    .i32(p.outZeroPoint)
    .i32(p.qmin)
    .i32(p.qmax);
  const buffers = [bufferOf(x), bufferOf(weight), bufferOf(columnTerm), bufferOf(multiplier)];
  if (bias) buffers.push(bufferOf(bias));
  if (weightZeroPoints) buffers.push(bufferOf(weightZeroPoints));
  buffers.push(bufferOf(out));
  const words = p.mode === 'quantized' ? Math.ceil(total / 4) : total;
  rt.dispatch(kernel(p.mode, bias !== null, weightZeroPoints !== null), buffers, prm, linearGrid(words, WG));
}
