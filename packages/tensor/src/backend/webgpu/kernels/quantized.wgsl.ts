import type { PrimitiveArgs, QuantizeParams, RequantizeMode, Storage, View } from '../../backend';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { wgsl } from '../wgsl/tag';

/**
 * int8 inference kernels, operation for operation as the CPU's (../../cpu/quantized.ts) so the two
 * backends agree bit for bit. Packed int8/uint8 outputs are written a word (four elements) per
 * invocation; the float32 products are correctly rounded in WGSL and no multiply feeds an add
 * except in 'float' mode's bias (see the note there).
 */

const WG = 64;

/**
 * Quantize float32 X (contiguous from element p[1]) into packed bytes: one invocation per word.
 * Params: n, x offset, inv (f32), zero point, qmin, qmax (i32).
 */
const quantizeKernel = memoKernel(function quantizeKernel(): KernelSource {
  return {
    key: 'quantize',
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> O: array<u32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;

fn q1(e: u32) -> u32 {
  if (e >= p[0]) { return 0u; }
  let bits = X[p[1] + e];
  let zp = bitcast<i32>(p[3]);
  var q = zp;
  // NaN → the zero point, tested on the bits (a compiler may assume no NaNs)
  if ((bits & 0x7fffffffu) <= 0x7f800000u) {
    let r = clamp(round(bitcast<f32>(bits) * bitcast<f32>(p[2])), -4096.0, 4096.0);
    q = clamp(i32(r) + zp, bitcast<i32>(p[4]), bitcast<i32>(p[5]));
  }
  return bitcast<u32>(q) & 255u;
}

@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let w = ${linearIndex(WG)};
  if (w * 4u >= p[0]) { return; }
  let e = w * 4u;
  O[w] = q1(e) | (q1(e + 1u) << 8u) | (q1(e + 2u) << 16u) | (q1(e + 3u) << 24u);
}`,
  };
});

/** See `Backend.quantize`; `x` contiguous. */
export function quantize(rt: Runtime, x: View, p: QuantizeParams, out: Storage): void {
  rt.checkAlive();
  const n = out.size;
  if (n === 0) return;
  const w = params().u32(n).u32(x.offset).f32(p.inv).i32(p.zeroPoint).i32(p.qmin).i32(p.qmax);
  rt.dispatch(quantizeKernel(), [bufferOf(x), bufferOf(out)], w, linearGrid(Math.ceil(n / 4), WG));
}

/**
 * Bytes through a 256-entry table (see `Backend.lookUpBytes`): one invocation per output word.
 * Params: n, x offset (bytes), then the table, four entries a word.
 */
const lookUpKernel = memoKernel(function lookUpKernel(): KernelSource {
  return {
    key: 'lookUpBytes',
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> O: array<u32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;

fn t1(e: u32) -> u32 {
  if (e >= p[0]) { return 0u; }
  let i = p[1] + e;
  let b = (X[i >> 2u] >> ((i & 3u) * 8u)) & 255u;
  return (p[2u + (b >> 2u)] >> ((b & 3u) * 8u)) & 255u;
}

@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let w = ${linearIndex(WG)};
  if (w * 4u >= p[0]) { return; }
  let e = w * 4u;
  O[w] = t1(e) | (t1(e + 1u) << 8u) | (t1(e + 2u) << 16u) | (t1(e + 3u) << 24u);
}`,
  };
});

/** See `Backend.lookUpBytes`; `x` contiguous. */
export function lookUpBytes(rt: Runtime, x: View, table: Uint8Array, out: Storage): void {
  rt.checkAlive();
  const n = out.size;
  if (n === 0) return;
  const w = params().u32(n).u32(x.offset);
  const words = new Uint32Array(table.buffer, table.byteOffset, 64);
  for (let k = 0; k < 64; k++) w.u32(words[k]);
  rt.dispatch(lookUpKernel(), [bufferOf(x), bufferOf(out)], w, linearGrid(Math.ceil(n / 4), WG));
}

/**
 * The requantization epilogue (see `Backend.requantize`). One invocation per output word: four
 * floats, or four packed bytes. Params: total, n, then the element offsets of acc, column term,
 * multiplier, bias, weight zero points, row sums; two unused words; x_scale, out scale (f32),
 * out zero point, qmin, qmax (i32).
 */
const requantizeKernel = memoKernel(function requantizeKernel(mode: RequantizeMode, bias: boolean, affine: boolean): KernelSource {
  const bindings: string[] = ['A: array<i32>', 'CT: array<i32>', 'MU: array<f32>'];
  if (bias) bindings.push('B: array<f32>');
  if (affine) bindings.push('WZ: array<i32>', 'RS: array<i32>');
  const decl = bindings.map((b, i) => `@group(0) @binding(${i}) var<storage, read> ${b};`).join('\n');
  const o = bindings.length;
  const packed = mode === 'quantized';
  const value = requantizeValue(mode, bias, 'j', 4, 10);
  return {
    key: `requantize:${mode}:${bias}:${affine}`,
    workgroupSize: [WG, 1, 1],
    bindings: [...bindings.map(() => 'read' as const), 'read_write'],
    code: wgsl`
${decl}
@group(0) @binding(${o}) var<storage, read_write> O: array<u32>;
@group(0) @binding(${o + 1}) var<storage, read> p: array<u32>;

// element e of the [M, N] result (${packed ? 'the clamped integer' : 'float32'})
fn value(e: u32) -> ${packed ? 'i32' : 'f32'} {
  let n = p[1];
  let i = e / n;
  let j = e - i * n;
  var raw = A[p[2] + e] + CT[p[3] + j];
  ${affine ? 'raw = raw - WZ[p[6] + j] * RS[p[7] + i];' : ''}
  var f = f32(raw);
  ${value}
}

${storeMain(packed)}`,
  };
});

/**
 * WGSL statements ending `fn value`: the requantization of `f` (the float32 of the integer
 * accumulator) for output channel `ch`, PyTorch's (fbgemm's) arithmetic. Param words: the
 * multiplier's and the bias's element offsets at `mu` and `mu + 1`; x_scale, the output scale,
 * zero point, and clamp bounds at `scales` … `scales + 4`. In 'float' mode y = f·x_scale·mult (+
 * bias): a driver may contract the last multiply and the bias add into an fma, so the product is
 * stored to the output and read back before the add, which no contraction crosses.
 */
export function requantizeValue(mode: RequantizeMode, bias: boolean, ch: string, mu: number, scales: number): string {
  if (mode === 'float') {
    const y = `let y = (f * bitcast<f32>(p[${scales}])) * MU[p[${mu}] + ${ch}];`;
    return `${y}${bias ? ` O[e] = bitcast<u32>(y); return bitcast<f32>(O[e]) + B[p[${mu + 1}] + ${ch}];` : ' return y;'}`;
  }
  return `${bias ? `f = f + B[p[${mu + 1}] + ${ch}];` : ''}
  let zp = bitcast<i32>(p[${scales + 2}]);
  let r = clamp(round(f * MU[p[${mu}] + ${ch}]), -4096.0, 4096.0);
  let q = clamp(i32(r) + zp, bitcast<i32>(p[${scales + 3}]), bitcast<i32>(p[${scales + 4}]));
  ${mode === 'quantized' ? 'return q;' : `return f32(q - zp) * bitcast<f32>(p[${scales + 1}]);`}`;
}

/** The entry point storing `value(e)` for every output element: four int8 per word when `packed`. */
export function storeMain(packed: boolean): string {
  return `@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let w = ${linearIndex(WG)};
  let total = p[0];
  ${
    packed
      ? `if (w * 4u >= total) { return; }
  var word = 0u;
  for (var t = 0u; t < 4u; t++) {
    let e = w * 4u + t;
    if (e < total) { word = word | ((bitcast<u32>(value(e)) & 255u) << (8u * t)); }
  }
  O[w] = word;`
      : `if (w >= total) { return; }
  O[w] = bitcast<u32>(value(w));`
  }
}`;
}

/** See `Backend.requantize`; every view contiguous. */
export function requantize(rt: Runtime, ...[acc, columnTerm, multiplier, bias, affine, p, out]: PrimitiveArgs<'requantize'>): void {
  rt.checkAlive();
  const [m, n] = acc.shape;
  const total = m * n;
  if (total === 0) return;
  const w = params()
    .u32(total)
    .u32(n)
    .u32(acc.offset)
    .u32(columnTerm.offset)
    .u32(multiplier.offset)
    .u32(bias ? bias.offset : 0)
    .u32(affine ? affine.weightZeroPoints.offset : 0)
    .u32(affine ? affine.inputRowSums.offset : 0)
    .u32(0)
    .u32(0)
    .f32(p.inputScale)
    .f32(p.outScale)
    .i32(p.outZeroPoint)
    .i32(p.qmin)
    .i32(p.qmax);
  const buffers = [bufferOf(acc), bufferOf(columnTerm), bufferOf(multiplier)];
  if (bias) buffers.push(bufferOf(bias));
  if (affine) buffers.push(bufferOf(affine.weightZeroPoints), bufferOf(affine.inputRowSums));
  buffers.push(bufferOf(out));
  const words = p.mode === 'quantized' ? Math.ceil(total / 4) : total;
  rt.dispatch(requantizeKernel(p.mode, bias !== null, affine !== null), buffers, w, linearGrid(words, WG));
}
