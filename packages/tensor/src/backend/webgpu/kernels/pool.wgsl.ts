/**
 * 2-D pooling kernels: one invocation per output element, each (n, c) plane pooled on its own.
 * Semantics follow the CPU backend (`backend/cpu/pool.ts`) exactly:
 *
 * - max pooling returns the flat index h·W + w of the first maximum; padding never wins; a NaN
 *   wins at once; a window entirely in the padding points at the nearest in-plane position;
 * - average pooling divides by the product of the per-axis window sizes: clipped to the input,
 *   or (countIncludePad) clipped only to input + padding, as PyTorch's ceil-mode rule; an empty
 *   window gives 0. Adaptive windows (no `p.window`) span ⌊o·L/Lo⌋ … ⌈(o+1)·L/Lo⌉;
 * - the average-pooling gradient is a gather: each input pixel sums gy/divisor over the outputs
 *   whose window covers it, so no atomics are needed.
 */
import type { AvgPool2dParams, Pool2dParams, Storage, View } from '../../backend';
import { numel, type Shape } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { type ParamWriter, params } from '../wgsl/params';
import { wgsl } from '../wgsl/tag';

/** WGSL `validTaps(start, k, d, L) -> vec2i`: the taps t in [0, k) with start + t·d in [0, L), as (first, end). */
export const VALID_TAPS_WGSL = /* wgsl */ `fn validTaps(start: i32, k: i32, d: i32, L: i32) -> vec2i {
  var lo = 0;
  if (start < 0) { lo = (-start + d - 1) / d; }
  var hi = 0;
  if (start < L) { hi = min(k, (L - 1 - start) / d + 1); }
  lo = min(lo, k);
  return vec2i(lo, max(lo, hi));
}`;

const WG = 64;

/** Params shared by every pooling kernel: count, input offset, H, W, Ho, Wo (words 0‥5). */
const SIZES_WGSL = wgsl`
fn total() -> u32 { return p[0]; }
fn off() -> u32 { return p[1]; }
fn H() -> u32 { return p[2]; }
fn W() -> u32 { return p[3]; }
fn Ho() -> u32 { return p[4]; }
fn Wo() -> u32 { return p[5]; }`;

/**
 * Max-pool argmax kernel. Params after the sizes: kh kw sh sw ph pw dh dw (pads as i32).
 * Bindings: x (f32, read), out (i32, write), params.
 */
export const maxPool2dIndicesKernel = memoKernel(function maxPool2dIndicesKernel(): KernelSource {
  return {
    key: 'maxPool2dIndices',
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<i32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
${SIZES_WGSL}

${VALID_TAPS_WGSL}

@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let o = ${linearIndex(WG)};
  if (o >= total()) { return; }
  let kh = i32(p[6]);
  let kw = i32(p[7]);
  let dh = i32(p[12]);
  let dw = i32(p[13]);
  let ow = o % Wo();
  let oh = (o / Wo()) % Ho();
  let plane = o / (Wo() * Ho());
  let hs = i32(oh * p[8]) - bitcast<i32>(p[10]);
  let ws = i32(ow * p[9]) - bitcast<i32>(p[11]);
  let h = i32(H());
  let w = i32(W());
  let ti = validTaps(hs, kh, dh, h);
  let tj = validTaps(ws, kw, dw, w);
  // The first valid tap (or, for an all-padding window, the nearest in-plane position).
  var bestIdx = clamp(hs + ti.x * dh, 0, h - 1) * w + clamp(ws + tj.x * dw, 0, w - 1);
  let base = off() + plane * H() * W();
  if (ti.y > ti.x && tj.y > tj.x) {
    var best = bitcast<f32>(x[base + u32(bestIdx)]);
    var done = (x[base + u32(bestIdx)] & 0x7fffffffu) > 0x7f800000u; // NaN wins at once
    for (var i = ti.x; i < ti.y && !done; i++) {
      let row = (hs + i * dh) * w;
      for (var j = tj.x; j < tj.y; j++) {
        let idx = row + ws + j * dw;
        let bits = x[base + u32(idx)];
        let v = bitcast<f32>(bits);
        if ((bits & 0x7fffffffu) > 0x7f800000u) { bestIdx = idx; done = true; break; }
        if (v > best) { best = v; bestIdx = idx; }
      }
    }
  }
  y[o] = bestIdx;
}`,
  };
});

/**
 * WGSL `fn axis(o, L, Lo, a) -> vec3i` giving output o's clipped window [start, end) and divisor
 * factor along axis `a` (0 = rows, 1 = columns). Fixed windows read params from word 6:
 * kh kw sh sw ph pw countIncludePad.
 */
function axisWgsl(adaptive: boolean): string {
  if (adaptive) {
    return wgsl`
fn axis(o: i32, L: i32, Lo: i32, a: u32) -> vec3i {
  let s = (o * L) / Lo;
  let e = ((o + 1) * L + Lo - 1) / Lo;
  return vec3i(s, e, e - s);
}`;
  }
  return wgsl`
fn axis(o: i32, L: i32, Lo: i32, a: u32) -> vec3i {
  let k = i32(p[6u + a]);
  let pad = i32(p[10u + a]);
  let s0 = o * i32(p[8u + a]) - pad;
  let e0 = min(s0 + k, L + pad);
  let s = max(s0, 0);
  let e = max(s, min(e0, L));
  return vec3i(s, e, select(e - s, e0 - s0, p[12] != 0u));
}`;
}

/** Words after the sizes for avg pooling: nothing (adaptive) or kh kw sh sw ph pw countIncludePad. */
function avgWords(p: AvgPool2dParams) {
  const w = params();
  const win = p.window;
  // Average pooling has no dilation (as in PyTorch); win.dilation is ignored, as on the CPU.
  if (win)
    w.u32s(win.kernel)
      .u32s(win.stride)
      .u32s(win.padding)
      .u32(win.countIncludePad ? 1 : 0);
  return w.finish();
}

/** Average-pool forward kernel, fixed or adaptive windows. Bindings: x, out (f32), params. */
export const avgPool2dKernel = memoKernel(function avgPool2dKernel(adaptive: boolean): KernelSource {
  return {
    key: `avgPool2d:${adaptive ? 'adaptive' : 'fixed'}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
${SIZES_WGSL}
${axisWgsl(adaptive)}

@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let o = ${linearIndex(WG)};
  if (o >= total()) { return; }
  let ow = o % Wo();
  let oh = (o / Wo()) % Ho();
  let plane = o / (Wo() * Ho());
  let ah = axis(i32(oh), i32(H()), i32(Ho()), 0u);
  let aw = axis(i32(ow), i32(W()), i32(Wo()), 1u);
  let div = ah.z * aw.z;
  let base = off() + plane * H() * W();
  var s = 0.0;
  for (var ih = ah.x; ih < ah.y; ih++) {
    let row = base + u32(ih) * W();
    for (var iw = aw.x; iw < aw.y; iw++) { s += x[row + u32(iw)]; }
  }
  y[o] = select(0.0, s / f32(div), div > 0);
}`,
  };
});

/**
 * Average-pool backward kernel (gather per input pixel). The candidate outputs along an axis are
 * bounded arithmetically, then each is checked against the forward window, so the windows are
 * defined in exactly one place. Bindings: gy, out (f32), params.
 */
export const avgPool2dBackwardKernel = memoKernel(function avgPool2dBackwardKernel(adaptive: boolean): KernelSource {
  // Outputs o whose window may contain input i: fixed, o·s ∈ (i + pad − k, i + pad];
  // adaptive, ⌊i·Lo/L⌋ ≤ o ≤ ⌈(i+1)·Lo/L⌉ − 1.
  const range = adaptive
    ? 'vec2i((i * Lo) / L, min(Lo - 1, ((i + 1) * Lo + L - 1) / L - 1))'
    : wgsl`vec2i(max(0, (i + i32(p[10u + a]) - i32(p[6u + a])) / i32(p[8u + a]) - 1),
               min(Lo - 1, (i + i32(p[10u + a])) / i32(p[8u + a])))`;
  return {
    key: `avgPool2dBackward:${adaptive ? 'adaptive' : 'fixed'}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> p: array<u32>;
${SIZES_WGSL}
${axisWgsl(adaptive)}

fn candidates(i: i32, L: i32, Lo: i32, a: u32) -> vec2i { return ${range}; }

@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let o = ${linearIndex(WG)};
  if (o >= total()) { return; }
  let iw = i32(o % W());
  let ih = i32((o / W()) % H());
  let plane = o / (W() * H());
  let h = i32(H());
  let w = i32(W());
  let ho = i32(Ho());
  let wo = i32(Wo());
  let ch = candidates(ih, h, ho, 0u);
  let cw = candidates(iw, w, wo, 1u);
  let base = off() + plane * Ho() * Wo();
  var s = 0.0;
  for (var oh = ch.x; oh <= ch.y; oh++) {
    let ah = axis(oh, h, ho, 0u);
    if (ih < ah.x || ih >= ah.y) { continue; }
    for (var ow = cw.x; ow <= cw.y; ow++) {
      let aw = axis(ow, w, wo, 1u);
      let div = ah.z * aw.z;
      if (iw < aw.x || iw >= aw.y || div <= 0) { continue; }
      s += gy[base + u32(oh * wo + ow)] / f32(div);
    }
  }
  y[o] = s;
}`,
  };
});

/** The params of the max-pool kernels (here and ./pool-int8.wgsl.ts): sizes, offset, geometry. */
export function maxPoolParams(n: number, x: View, outShape: Shape, p: Pool2dParams): ParamWriter {
  const [, , H, W] = x.shape;
  return params().u32(n).u32(x.offset).u32(H).u32(W).u32(outShape[2]).u32(outShape[3]).u32s(p.kernel).u32s(p.stride).i32s(p.padding).u32s(p.dilation);
}

/** Flat index (h·W + w, int32) of each window's maximum in x [N, C, H, W] → out [N, C, Ho, Wo]. */
export function maxPool2dIndices(rt: Runtime, x: View, out: Storage, outShape: Shape, p: Pool2dParams): void {
  rt.checkAlive();
  const n = numel(outShape);
  if (n === 0) return;
  const words = maxPoolParams(n, x, outShape, p);
  rt.dispatch(maxPool2dIndicesKernel(), [bufferOf(x), bufferOf(out)], words, linearGrid(n, WG));
}

/** Window means of x [N, C, H, W] → out [N, C, Ho, Wo]. */
export function avgPool2d(rt: Runtime, x: View, out: Storage, outShape: Shape, p: AvgPool2dParams): void {
  rt.checkAlive();
  const n = numel(outShape);
  if (n === 0) return;
  const [, , H, W] = x.shape;
  const words = params().u32(n).u32(x.offset).u32(H).u32(W).u32(outShape[2]).u32(outShape[3]).u32s(avgWords(p));
  rt.dispatch(avgPool2dKernel(!p.window), [bufferOf(x), bufferOf(out)], words, linearGrid(n, WG));
}

/** Gradient of avgPool2d: gy [N, C, Ho, Wo] → out [N, C, H, W] (`outShape`). */
export function avgPool2dBackward(rt: Runtime, gy: View, out: Storage, outShape: Shape, p: AvgPool2dParams): void {
  rt.checkAlive();
  const n = numel(outShape);
  if (n === 0) return;
  const [, , H, W] = outShape;
  const words = params().u32(n).u32(gy.offset).u32(H).u32(W).u32(gy.shape[2]).u32(gy.shape[3]).u32s(avgWords(p));
  rt.dispatch(avgPool2dBackwardKernel(!p.window), [bufferOf(gy), bufferOf(out)], words, linearGrid(n, WG));
}
