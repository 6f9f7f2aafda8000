/**
 * Max pooling of packed 8-bit integer tensors (int8 / uint8, four per word; see ../wgsl/dtype.ts),
 * values only, operation for operation as the CPU's (../../cpu/pool-int8.ts): one invocation per
 * output word of four windows, each reading its taps' bytes (sign-extended for int8), padding never
 * winning, an all-padding window taking the nearest in-plane value.
 * Params (u32 unless noted): total, x offset (elements), H, W, Ho, Wo, kh, kw, sh, sw, ph, pw (i32),
 * dh, dw.
 */
import type { Pool2dParams, Storage, View } from '../../backend';
import { numel, type Shape } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { maxPoolParams, VALID_TAPS_WGSL } from './pool.wgsl';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { wgsl } from '../wgsl/tag';

const WG = 64;

const kernel = memoKernel(function maxPool2dInt8Kernel(signed: boolean): KernelSource {
  const byte = signed ? 'extractBits(bitcast<i32>(X[i >> 2u]), (i & 3u) * 8u, 8u)' : 'i32(extractBits(X[i >> 2u], (i & 3u) * 8u, 8u))';
  return {
    key: `maxPool2dInt8:${signed}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> Y: array<u32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;

fn xbyte(i: u32) -> i32 { return ${byte}; }

${VALID_TAPS_WGSL}

fn value(o: u32) -> i32 {
  let H = i32(p[2]);
  let W = i32(p[3]);
  let Ho = p[4];
  let Wo = p[5];
  let kh = i32(p[6]);
  let kw = i32(p[7]);
  let dh = i32(p[12]);
  let dw = i32(p[13]);
  let ow = o % Wo;
  let oh = (o / Wo) % Ho;
  let base = p[1] + (o / (Wo * Ho)) * u32(H * W);
  let hs = i32(oh * p[8]) - bitcast<i32>(p[10]);
  let ws = i32(ow * p[9]) - bitcast<i32>(p[11]);
  let ti = validTaps(hs, kh, dh, H);
  let tj = validTaps(ws, kw, dw, W);
  if (ti.x >= ti.y || tj.x >= tj.y) {
    return xbyte(base + u32(clamp(hs + ti.x * dh, 0, H - 1) * W + clamp(ws + tj.x * dw, 0, W - 1)));
  }
  var best = -256;
  for (var i = ti.x; i < ti.y; i++) {
    let row = base + u32((hs + i * dh) * W + ws);
    for (var j = tj.x; j < tj.y; j++) {
      best = max(best, xbyte(row + u32(j * dw)));
    }
  }
  return best;
}

@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let w = ${linearIndex(WG)};
  let total = p[0];
  if (w * 4u >= total) { return; }
  var word = 0u;
  for (var t = 0u; t < 4u; t++) {
    let e = w * 4u + t;
    if (e < total) { word = word | ((bitcast<u32>(value(e)) & 255u) << (8u * t)); }
  }
  Y[w] = word;
}`,
  };
});

/** Window maxima of a packed int8/uint8 x [N, C, H, W] (contiguous) → out (same dtype) [N, C, Ho, Wo]. */
export function maxPool2dInt8(rt: Runtime, x: View, out: Storage, outShape: Shape, p: Pool2dParams): void {
  rt.checkAlive();
  const n = numel(outShape);
  if (n === 0) return;
  const words = maxPoolParams(n, x, outShape, p);
  rt.dispatch(kernel(x.storage.dtype === 'int8'), [bufferOf(x), bufferOf(out)], words, linearGrid(Math.ceil(n / 4), WG));
}
