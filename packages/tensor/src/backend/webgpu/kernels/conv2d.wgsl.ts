/**
 * 2-D convolution and its two gradients as implicit GEMMs: no im2col buffer is ever written; the
 * gather from the image happens while a tile is loaded into workgroup memory.
 *
 * Every kernel is one tiled GEMM `C[M × NC] = Σₖ A[m, k]·B[k, n]` per group, specialised by three
 * WGSL functions (`loadA`, `loadB`, `store`) that map GEMM coordinates to tensor elements:
 *
 * | primitive            | rows m          | cols n       | reduction k       | A (gathered)  | B        |
 * |----------------------|-----------------|--------------|-------------------|---------------|----------|
 * | conv2d               | (n, oh, ow)     | o in group   | (c, i, j)         | x window tap  | w        |
 * | conv2dBackwardInput  | (n, ih, iw)     | c in group   | (o, i, j)         | gy, if a tap  | w        |
 * | conv2dBackwardWeight | o in group      | (c, i, j)    | (n, oh, ow)       | gy            | x tap    |
 *
 * In the backward-input gather, input row ih receives from output row oh through tap i when
 * ih + ph − i·dh = oh·sh, so only taps where that is divisible by the stride contribute.
 *
 * Tiling: a workgroup of 256 invocations computes a 64×64 tile of C, 4×4 per invocation, walking
 * the reduction 16 at a time through `var<workgroup>` tiles. Workgroups: x·y (folded past 65,535)
 * over the row tiles, z over groups × column tiles. Every load and store is bounds-checked, so
 * no size needs to be a multiple of a tile.
 */
import type { Conv2dParams, Storage, View } from '../../backend';
import type { Shape } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { wgsl } from '../wgsl/tag';

/** Output tile rows × columns per workgroup, reduction depth per step, outputs per invocation side. */
const TM = 64;
const TN = 64;
const TK = 16;
const PER = 4;
const THREADS = (TM / PER) * (TN / PER);

/** Which of the three implicit GEMMs a kernel computes. */
export type ConvGemmKind = 'forward' | 'backwardInput' | 'backwardWeight';

/**
 * Parameter words shared by the three kernels (read as `p[i]`): GEMM sizes first, then the
 * convolution geometry. Offsets are those of the two input views.
 */
const GEOMETRY_WGSL = wgsl`
fn M() -> u32 { return p[0]; }
fn NC() -> u32 { return p[1]; }
fn KR() -> u32 { return p[2]; }
fn colTiles() -> u32 { return p[3]; }
fn off0() -> u32 { return p[4]; }
fn off1() -> u32 { return p[5]; }
fn C() -> u32 { return p[7]; }
fn H() -> u32 { return p[8]; }
fn W() -> u32 { return p[9]; }
fn O() -> u32 { return p[10]; }
fn Ho() -> u32 { return p[11]; }
fn Wo() -> u32 { return p[12]; }
fn kh() -> u32 { return p[13]; }
fn kw() -> u32 { return p[14]; }
fn sh() -> u32 { return p[15]; }
fn sw() -> u32 { return p[16]; }
fn ph() -> i32 { return bitcast<i32>(p[17]); }
fn pw() -> i32 { return bitcast<i32>(p[18]); }
fn dh() -> u32 { return p[19]; }
fn dw() -> u32 { return p[20]; }
fn Cg() -> u32 { return p[21]; }
fn Og() -> u32 { return p[22]; }

// x[n, g·Cg + c, oh·sh − ph + i·dh, ow·sw − pw + j·dw] for output position r = (n, oh, ow) and
// tap k = (c, i, j); zero in the padding.
fn xTap(x0: u32, g: u32, r: u32, k: u32) -> f32 {
  let ow = r % Wo();
  let t = r / Wo();
  let oh = t % Ho();
  let n = t / Ho();
  let j = k % kw();
  let t2 = k / kw();
  let i = t2 % kh();
  let c = t2 / kh();
  let ih = i32(oh * sh() + i * dh()) - ph();
  let iw = i32(ow * sw() + j * dw()) - pw();
  if (ih < 0 || iw < 0 || ih >= i32(H()) || iw >= i32(W())) { return 0.0; }
  return in0[x0 + ((n * C() + g * Cg() + c) * H() + u32(ih)) * W() + u32(iw)];
}`;

/** The per-kind mapping from GEMM coordinates to tensor elements (see the table above). */
const MAPPINGS: Record<ConvGemmKind, string> = {
  // in0 = x, in1 = w; out [N, O, Ho, Wo]
  forward: wgsl`
fn loadA(g: u32, m: u32, k: u32) -> f32 { return xTap(off0(), g, m, k); }
fn loadB(g: u32, k: u32, n: u32) -> f32 { return in1[off1() + (g * Og() + n) * KR() + k]; }
fn store(g: u32, m: u32, n: u32, v: f32) {
  let P = Ho() * Wo();
  y[((m / P) * O() + g * Og() + n) * P + m % P] = v;
}`,
  // in0 = gy [N, O, Ho, Wo], in1 = w; out [N, C, H, W]
  backwardInput: wgsl`
fn loadA(g: u32, m: u32, k: u32) -> f32 {
  let iw = m % W();
  let t = m / W();
  let ih = t % H();
  let n = t / H();
  let j = k % kw();
  let t2 = k / kw();
  let i = t2 % kh();
  let o = t2 / kh();
  let th = i32(ih) + ph() - i32(i * dh());
  let tw = i32(iw) + pw() - i32(j * dw());
  if (th < 0 || tw < 0) { return 0.0; }
  let uh = u32(th);
  let uw = u32(tw);
  if (uh % sh() != 0u || uw % sw() != 0u) { return 0.0; }
  let oh = uh / sh();
  let ow = uw / sw();
  if (oh >= Ho() || ow >= Wo()) { return 0.0; }
  return in0[off0() + ((n * O() + g * Og() + o) * Ho() + oh) * Wo() + ow];
}
fn loadB(g: u32, k: u32, c: u32) -> f32 {
  let taps = kh() * kw();
  return in1[off1() + ((g * Og() + k / taps) * Cg() + c) * taps + k % taps];
}
fn store(g: u32, m: u32, c: u32, v: f32) {
  let P = H() * W();
  y[((m / P) * C() + g * Cg() + c) * P + m % P] = v;
}`,
  // in0 = x, in1 = gy; out [O, Cg, kh, kw]
  backwardWeight: wgsl`
fn loadA(g: u32, o: u32, r: u32) -> f32 {
  let P = Ho() * Wo();
  return in1[off1() + ((r / P) * O() + g * Og() + o) * P + r % P];
}
fn loadB(g: u32, r: u32, k: u32) -> f32 { return xTap(off0(), g, r, k); }
fn store(g: u32, o: u32, k: u32, v: f32) { y[(g * Og() + o) * NC() + k] = v; }`,
};

/**
 * The tiled implicit-GEMM kernel for one `kind`. Bindings: in0, in1 (read), y (write), params.
 * Nothing but the kind and the tile sizes is baked into the code.
 */
export const convGemmKernel = memoKernel(function convGemmKernel(kind: ConvGemmKind): KernelSource {
  return {
    key: `conv2d:${kind}:${TM}x${TN}x${TK}:${PER}`,
    workgroupSize: [THREADS, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> p: array<u32>;

var<workgroup> As: array<f32, ${TK * TM}>; // [k][m]
var<workgroup> Bs: array<f32, ${TK * TN}>; // [k][n]
${GEOMETRY_WGSL}
${MAPPINGS[kind]}

@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let m0 = (wid.x + wid.y * nwg.x) * ${TM}u;
  let g = wid.z / colTiles();
  let n0 = (wid.z % colTiles()) * ${TN}u;
  let tx = li % ${TN / PER}u;
  let ty = li / ${TN / PER}u;
  var acc: array<vec4f, ${PER}>;
  for (var k0 = 0u; k0 < KR(); k0 += ${TK}u) {
    for (var e = li; e < ${TK * TM}u; e += ${THREADS}u) {
      let mm = e % ${TM}u;
      let kk = e / ${TM}u;
      var a = 0.0;
      if (m0 + mm < M() && k0 + kk < KR()) { a = loadA(g, m0 + mm, k0 + kk); }
      As[e] = a;
    }
    for (var e = li; e < ${TK * TN}u; e += ${THREADS}u) {
      let nn = e % ${TN}u;
      let kk = e / ${TN}u;
      var b = 0.0;
      if (n0 + nn < NC() && k0 + kk < KR()) { b = loadB(g, k0 + kk, n0 + nn); }
      Bs[e] = b;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      let ar = kk * ${TM}u + ty * ${PER}u;
      let br = kk * ${TN}u + tx * ${PER}u;
      let b = vec4f(Bs[br], Bs[br + 1u], Bs[br + 2u], Bs[br + 3u]);
      for (var i = 0u; i < ${PER}u; i++) { acc[i] += As[ar + i] * b; }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${PER}u; i++) {
    let m = m0 + ty * ${PER}u + i;
    if (m >= M()) { break; }
    for (var j = 0u; j < ${PER}u; j++) {
      let n = n0 + tx * ${PER}u + j;
      if (n < NC()) { store(g, m, n, acc[i][j]); }
    }
  }
}`,
  };
});

/** Dispatch one implicit GEMM: `xShape` [N, C, H, W], `wShape` [O, Cg, kh, kw], `yShape` [N, O, Ho, Wo]. */
function runGemm(
  rt: Runtime, kind: ConvGemmKind, in0: View, in1: View, out: Storage,
  xShape: Shape, wShape: Shape, yShape: Shape, p: Conv2dParams,
): void {
  const [N, C, H, W] = xShape;
  const [O, Cg, kh, kw] = wShape;
  const [, , Ho, Wo] = yShape;
  const G = p.groups, Og = O / G, taps = Cg * kh * kw;
  const [M, NC, KR] =
    kind === 'forward' ? [N * Ho * Wo, Og, taps]
    : kind === 'backwardInput' ? [N * H * W, Cg, Og * kh * kw]
    : [Og, taps, N * Ho * Wo];
  if (M * NC * G === 0) return; // empty output (a zero-length reduction still writes zeros)
  const colTiles = Math.ceil(NC / TN);
  const words = params().u32(M).u32(NC).u32(KR).u32(colTiles).u32(in0.offset).u32(in1.offset)
    .u32(N).u32(C).u32(H).u32(W).u32(O).u32(Ho).u32(Wo).u32(kh).u32(kw)
    .u32(p.stride[0]).u32(p.stride[1]).i32(p.padding[0]).i32(p.padding[1])
    .u32(p.dilation[0]).u32(p.dilation[1]).u32(Cg).u32(Og);
  const [gx, gy] = linearGrid(M, TM);
  rt.dispatch(convGemmKernel(kind), [bufferOf(in0), bufferOf(in1), bufferOf(out)], words, [gx, gy, G * colTiles]);
}

/** x [N, C, H, W] ⋆ w [O, C/groups, kh, kw] → out [N, O, Ho, Wo] (`outShape`). */
export function conv2d(rt: Runtime, x: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams): void {
  rt.checkAlive();
  runGemm(rt, 'forward', x, w, out, x.shape, w.shape, outShape, p);
}

/** ∂L/∂x of conv2d: gy [N, O, Ho, Wo], w → out [N, C, H, W] (`outShape`). */
export function conv2dBackwardInput(rt: Runtime, gy: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams): void {
  rt.checkAlive();
  runGemm(rt, 'backwardInput', gy, w, out, outShape, w.shape, gy.shape, p);
}

/** ∂L/∂w of conv2d: x [N, C, H, W], gy [N, O, Ho, Wo] → out [O, C/groups, kh, kw] (`outShape`), summed over the batch. */
export function conv2dBackwardWeight(rt: Runtime, x: View, gy: View, out: Storage, outShape: Shape, p: Conv2dParams): void {
  rt.checkAlive();
  runGemm(rt, 'backwardWeight', x, gy, out, x.shape, outShape, gy.shape, p);
}
