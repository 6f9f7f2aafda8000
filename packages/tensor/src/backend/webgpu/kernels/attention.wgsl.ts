/**
 * Fused scaled-dot-product attention on WebGPU (FlashAttention's tiling with an online softmax;
 * the [L, S] score matrix never exists in global memory).
 *
 * Forward, for heads ≤ 64 wide where the adapter grants 29 KiB of workgroup memory:
 * {@link attentionTiledKernel}, register-tiled over 32-row blocks and 32-key tiles (see there).
 * Otherwise the row kernel {@link attentionKernel}, which needs ≤ 12.5 KiB:
 * one workgroup of 64 threads per (batch entry, block of {@link ROWS} = 16 query rows).
 * Four threads share a row: thread (r, c) keeps columns c, c+4, … of scale·q_r and of the output
 * accumulator in registers (D/4 each). K and V stream through workgroup memory in tiles of BK
 * keys; each thread writes partial dot products over its columns, the four partials are summed,
 * and every thread of the row updates the same running max m and sum l (rescaling its
 * accumulator by exp(m_old − m_new) when m grows). Causal blocks stop at their last row's key.
 * The backward kernels live in `attention-backward.wgsl.ts`.
 *
 * Head sizes: E and Ev up to {@link MAX_HEAD_DIM} (the op runs the composite above that). The
 * head width D baked into a kernel is max(E, Ev) rounded up to 16, 32, 64 or 128; BK is 16 for
 * D ≤ 32 and 8 above, so workgroup memory stays ≤ 12.5 KiB (the WebGPU minimum limit is 16 KiB)
 * and each kernel binds ≤ 8 storage buffers (the default per-stage limit), params included.
 *
 * Params (u32 words): L, S, E, Ev, Z (batch entries), blocks per entry, scale (f32), causal,
 * −∞ and NaN bits (WGSL has no literals for them), then i32 strides: q (L, E), k (S, E),
 * v (S, Ev), mask (L, S), out (L, Ev), gOut (L, Ev), lse (L), then from word 23 the batch layout of
 * the operands q, k, v, mask, out, lse, gOut (`writeStrided`).
 */
import type { AttentionParams, Storage, View } from '../../backend';
import { contiguousStrides, numel } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { type ParamWriter, params } from '../wgsl/params';
import { stridedIndexWgsl, writeStrided } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/** Largest E and Ev the kernels take. */
export const MAX_HEAD_DIM = 128;
/** Query rows per workgroup (forward and ∂q), key rows per workgroup (∂k, ∂v). */
export const ROWS = 16;

/** How the mask is read: none, bool (u32 0/1, true keeps) or float (added to the score). */
export type MaskKind = 'none' | 'bool' | 'float';

/** Everything baked into one attention kernel. */
export interface AttentionKernelConfig {
  /** Head width: max(E, Ev) rounded up to 16, 32, 64 or 128. */
  readonly d: 16 | 32 | 64 | 128;
  readonly mask: MaskKind;
  /** Rank of the collapsed batch dims. */
  readonly batchRank: number;
}

/** Keys (or queries) per streamed tile for head width `d`. */
export function tileOf(d: number): number {
  return d <= 32 ? 16 : 8;
}

/** Operand numbers in the batch layout. */
export const OPERAND = { q: 0, k: 1, v: 2, mask: 3, out: 4, lse: 5, gOut: 6 } as const;

/**
 * WGSL shared by the attention kernels: parameter accessors, `at` (strided 2-D address),
 * `batchOffset` and `maskKeep(mb, i, j, s) -> vec2f` (x: 1 when (i, j) takes part, y: the score
 * with the float mask added). Needs `p` and `mk` declared.
 */
export function attentionPrelude(c: AttentionKernelConfig): string {
  const keep =
    c.mask === 'bool'
      ? 'return vec2f(select(0.0, 1.0, mk[at(mb, i, si(16u), j, si(17u))] != 0u), s);'
      : c.mask === 'float'
        ? 'let t = s + mk[at(mb, i, si(16u), j, si(17u))];\n  return vec2f(select(0.0, 1.0, t != neg()), t);'
        : 'return vec2f(1.0, s);';
  return wgsl`
const D = ${c.d}u;
const C = ${c.d / 4}u;
const BK = ${tileOf(c.d)}u;
const BQ = ${ROWS}u;
fn si(w: u32) -> i32 { return bitcast<i32>(p[w]); }
fn neg() -> f32 { return bitcast<f32>(p[8]); }
fn nanv() -> f32 { return bitcast<f32>(p[9]); }
fn scale() -> f32 { return bitcast<f32>(p[6]); }
fn causal() -> bool { return p[7] != 0u; }
fn at(base: u32, i: u32, s0: i32, j: u32, s1: i32) -> u32 { return u32(i32(base) + i32(i) * s0 + i32(j) * s1); }
${stridedIndexWgsl(c.batchRank, 23, 'batchOffset')}
fn maskKeep(mb: u32, i: u32, j: u32, s: f32) -> vec2f {
  ${keep}
}`;
}

/**
 * WGSL shared by the forward and the dq kernel: the keys a block of BQ query rows visits (causal
 * blocks stop at their last row's key), and the opening of the loop that streams BK-key tiles of
 * K and V into the workgroup arrays `kTile`/`vTile` (zero-padded past S, E and Ev). The caller
 * writes the loop body and closes it.
 */
export function keyTiles(kTile: string, vTile: string): string {
  return `var end = S;
  if (causal()) { end = min(S, min(L, i0 + BQ)); }
  for (var j0 = 0u; j0 < end; j0 += BK) {
    for (var x = li; x < BK * D; x += 64u) {
      let j = j0 + x / D; let e = x % D;
      var kv = 0.0; var vv = 0.0;
      if (j < S && e < E) { kv = k[at(kb, j, si(12u), e, si(13u))]; }
      if (j < S && e < Ev) { vv = v[at(vb, j, si(14u), e, si(15u))]; }
      ${kTile}[x] = kv; ${vTile}[x] = vv;
    }
    workgroupBarrier();`;
}

/** The mask binding's declaration at `binding`. */
export function maskBinding(c: AttentionKernelConfig, binding: number): string {
  return `@group(0) @binding(${binding}) var<storage, read> mk: array<${c.mask === 'float' ? 'f32' : 'u32'}>;`;
}

/**
 * The entry point of every attention kernel but the row statistics: 64 threads per workgroup,
 * workgroup g (over a 2-D grid) handling block g % p[5] of batch entry z, whose q, k, v and mask
 * start at qb, kb, vb, mb; opens main's body.
 */
export const BLOCK_MAIN = `@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p[4] * p[5]) { return; }
  let L = p[0]; let S = p[1]; let E = p[2]; let Ev = p[3];
  let z = g / p[5];
  let qb = batchOffset(z, 0u); let kb = batchOffset(z, 1u); let vb = batchOffset(z, 2u);
  let mb = batchOffset(z, 3u);`;

/** The forward kernels' bindings (q, k, v, mask → out, lse) and the shared prelude. */
function forwardHeader(c: AttentionKernelConfig): string {
  return wgsl`
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
${maskBinding(c, 3)}
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;
@group(0) @binding(6) var<storage, read> p: array<u32>;
${attentionPrelude(c)}
`;
}

/** The forward kernel: out and lse for one (batch entry, block of ROWS query rows) per workgroup. */
export const attentionKernel = memoKernel(function attentionKernel(c: AttentionKernelConfig): KernelSource {
  return {
    key: `attention:fwd:${c.d}:${c.mask}:${c.batchRank}`,
    workgroupSize: [64, 1, 1],
    bindings: ['read', 'read', 'read', 'read', 'read_write', 'read_write'],
    code: wgsl`${forwardHeader(c)}
var<workgroup> Ks: array<f32, ${tileOf(c.d) * c.d}>;
var<workgroup> Vs: array<f32, ${tileOf(c.d) * c.d}>;
var<workgroup> Sp: array<f32, ${64 * tileOf(c.d)}>;
${BLOCK_MAIN}
  let i0 = (g % p[5]) * BQ;
  let r = li / 4u; let c = li % 4u;
  let i = i0 + r;
  let live = i < L;
  var qr: array<f32, C>;
  var acc: array<f32, C>;
  for (var t = 0u; t < C; t++) {
    let e = c + 4u * t;
    if (live && e < E) { qr[t] = q[at(qb, i, si(10u), e, si(11u))] * scale(); }
  }
  var m = 0.0;
  var l = 0.0;
  var started = false;
  ${keyTiles('Ks', 'Vs')}
    for (var jj = 0u; jj < BK; jj++) {
      var s = 0.0;
      for (var t = 0u; t < C; t++) { s += qr[t] * Ks[jj * D + c + 4u * t]; }
      Sp[li * BK + jj] = s;
    }
    workgroupBarrier();
    var sc: array<f32, BK>;
    var valid = 0u;
    var tmax = 0.0;
    for (var jj = 0u; jj < BK; jj++) {
      let j = j0 + jj;
      let rb = r * 4u * BK + jj;
      let s = Sp[rb] + Sp[rb + BK] + Sp[rb + 2u * BK] + Sp[rb + 3u * BK];
      if (live && j < S && !(causal() && j > i)) {
        let ks = maskKeep(mb, i, j, s);
        if (ks.x > 0.0) {
          sc[jj] = ks.y;
          tmax = select(ks.y, max(tmax, ks.y), valid != 0u);
          valid |= 1u << jj;
        }
      }
    }
    if (valid != 0u) {
      let mNew = select(tmax, max(m, tmax), started);
      let alpha = select(0.0, exp(m - mNew), started);
      l *= alpha;
      for (var t = 0u; t < C; t++) { acc[t] *= alpha; }
      for (var jj = 0u; jj < BK; jj++) {
        if ((valid & (1u << jj)) == 0u) { continue; }
        let w = exp(sc[jj] - mNew);
        l += w;
        for (var t = 0u; t < C; t++) { acc[t] += w * Vs[jj * D + c + 4u * t]; }
      }
      m = mNew;
      started = true;
    }
    workgroupBarrier();
  }
  if (!live) { return; }
  let ob = batchOffset(z, 4u);
  for (var t = 0u; t < C; t++) {
    let e = c + 4u * t;
    if (e < Ev) { out[at(ob, i, si(18u), e, si(19u))] = select(nanv(), acc[t] / l, started); }
  }
  if (c == 0u) { lse[batchOffset(z, 5u) + i * p[22]] = select(neg(), m + log(l), started); }
}`,
  };
});

/** WGSL lines for the four rows i = 0…3 a thread of a tiled kernel owns. */
export const fourRows = (f: (i: number) => string): string => [0, 1, 2, 3].map(f).join('\n      ');

/** Query rows per workgroup, and keys per streamed tile, of the tiled forward kernel. */
export const TILED_ROWS = 32;

/** The width the tiled forward kernel stores heads at: d, at least 32. */
const tiledWidth = (d: number): number => Math.max(32, d);

/** Bytes of workgroup memory the tiled forward kernel declares for head width `d`. */
export function tiledAttentionBytes(d: number): number {
  const dd = tiledWidth(d);
  return 4 * (3 * dd * TILED_ROWS + TILED_ROWS * TILED_ROWS + TILED_ROWS * 8);
}

/**
 * The tiled forward kernel: out and lse for one (batch entry, block of 32 query rows) per
 * workgroup of 64 threads, register-tiled like a matmul on both products of each 32-key tile.
 * Thread (rg, cg) of an 8×8 grid owns query rows 4·rg…4·rg+3. For S = (scale·Q)·Kᵀ it computes
 * keys 4·cg…4·cg+3 of those rows (16 scores: per head dim one vec4 of Q and one of K from
 * workgroup memory, both stored dim-major); the row maxima of the tile are merged through
 * workgroup memory, so the 8 threads of a row agree on the running max m; the probabilities
 * P = exp(S − m) go to workgroup memory key-major, and for O += P·V the thread owns columns
 * 4·cg + 32·t (per key one vec4 of P, D/32 vec4s of V). Each thread keeps partial row sums l
 * (rescaled with the accumulator), added up at the end. Per shared-memory load it issues 8
 * (S) or 10.7 (O, at D = 64) FMAs, against one in {@link attentionKernel}'s row-per-4-threads
 * design. Needs head width ≤ 64 and {@link tiledAttentionBytes} of workgroup memory (29 KiB at
 * D = 64: over WebGPU's default 16 KiB, within what desktop adapters grant); otherwise the
 * row kernel runs.
 */
export const attentionTiledKernel = memoKernel(function attentionTiledKernel(c: AttentionKernelConfig): KernelSource {
  const dd = tiledWidth(c.d);
  const runs = dd / 32;
  return {
    key: `attention:fwd-tiled:${c.d}:${c.mask}:${c.batchRank}`,
    workgroupSize: [64, 1, 1],
    bindings: ['read', 'read', 'read', 'read', 'read_write', 'read_write'],
    code: wgsl`${forwardHeader(c)}
const DD = ${dd}u;
const T = ${TILED_ROWS}u;
var<workgroup> Qs: array<vec4f, ${(dd * TILED_ROWS) / 4}>; // [dim][row]
var<workgroup> Ks: array<vec4f, ${(dd * TILED_ROWS) / 4}>; // [dim][key]
var<workgroup> Vs: array<vec4f, ${(dd * TILED_ROWS) / 4}>; // [key][dim]
var<workgroup> Ps: array<vec4f, ${(TILED_ROWS * TILED_ROWS) / 4}>; // [key][row]
var<workgroup> Red: array<f32, ${TILED_ROWS * 8}>; // [row][cg]: partial maxima, then sums
${BLOCK_MAIN}
  let i0 = (g % p[5]) * T;
  let rg = li / 8u; let cg = li % 8u;
  // scale·Q, dim-major, zero past L and E; consecutive threads on consecutive rows
  for (var x = li; x < T * DD; x += 64u) {
    let row = x % T; let e = x / T;
    var qv = 0.0;
    if (i0 + row < L && e < E) { qv = q[at(qb, i0 + row, si(10u), e, si(11u))] * scale(); }
    Qs[x >> 2u][x & 3u] = qv;
  }
  var m = vec4f(neg()); // running row maxima (−∞: no key taken part yet)
  var l = vec4f(0.0); // this thread's share of the row sums
  var acc: array<vec4f, ${4 * runs}>; // [row i][column run t]
  var end = S;
  if (causal()) { end = min(S, min(L, i0 + T)); }
  for (var j0 = 0u; j0 < end; j0 += T) {
    for (var x = li; x < T * DD; x += 64u) {
      let kj = x % T; let ke = x / T;
      var kv = 0.0;
      if (j0 + kj < S && ke < E) { kv = k[at(kb, j0 + kj, si(12u), ke, si(13u))]; }
      Ks[x >> 2u][x & 3u] = kv;
      let vj = x / DD; let ve = x % DD;
      var vv = 0.0;
      if (j0 + vj < S && ve < Ev) { vv = v[at(vb, j0 + vj, si(14u), ve, si(15u))]; }
      Vs[x >> 2u][x & 3u] = vv;
    }
    workgroupBarrier();
    // [row i][key jj], zeroed explicitly: declared without an initializer inside the loop, it kept
    // the previous tile's scores on lavapipe (measured), where WGSL says it is zeroed each time
    var s = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
    for (var e = 0u; e < DD; e++) {
      let qv = Qs[e * 8u + rg];
      let kv = Ks[e * 8u + cg];
      ${fourRows((i) => `s[${i}] = fma(vec4f(qv[${i}]), kv, s[${i}]);`)}
    }
    // masked scores become −∞; this thread's maxima of its four rows
    var tmax = vec4f(neg());
    for (var i = 0u; i < 4u; i++) {
      let row = i0 + 4u * rg + i;
      for (var jj = 0u; jj < 4u; jj++) {
        let j = j0 + 4u * cg + jj;
        var t = neg();
        if (row < L && j < S && !(causal() && j > row)) {
          let ks = maskKeep(mb, row, j, s[i][jj]);
          if (ks.x > 0.0) { t = ks.y; }
        }
        s[i][jj] = t;
        tmax[i] = max(tmax[i], t);
      }
      Red[(4u * rg + i) * 8u + cg] = tmax[i];
    }
    workgroupBarrier();
    var mNew = m;
    for (var i = 0u; i < 4u; i++) {
      for (var c8 = 0u; c8 < 8u; c8++) { mNew[i] = max(mNew[i], Red[(4u * rg + i) * 8u + c8]); }
      // alpha rescales what was summed under the old max (nothing yet: m = −∞, exp gives 0)
      let alpha = select(exp(m[i] - mNew[i]), 1.0, mNew[i] == neg());
      l[i] *= alpha;
      for (var t = 0u; t < ${runs}u; t++) { acc[i * ${runs}u + t] *= alpha; }
      for (var jj = 0u; jj < 4u; jj++) {
        let pv = select(exp(s[i][jj] - mNew[i]), 0.0, s[i][jj] == neg());
        s[i][jj] = pv;
        l[i] += pv;
      }
    }
    m = mNew;
    for (var jj = 0u; jj < 4u; jj++) { Ps[(4u * cg + jj) * 8u + rg] = vec4f(s[0][jj], s[1][jj], s[2][jj], s[3][jj]); }
    workgroupBarrier();
    for (var jj = 0u; jj < T; jj++) {
      let pv = Ps[jj * 8u + rg];
      for (var t = 0u; t < ${runs}u; t++) {
        let vv = Vs[jj * ${dd / 4}u + cg + 8u * t];
        ${fourRows((i) => `acc[${i * runs}u + t] = fma(vec4f(pv[${i}]), vv, acc[${i * runs}u + t]);`)}
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) { Red[(4u * rg + i) * 8u + cg] = l[i]; }
  workgroupBarrier();
  let ob = batchOffset(z, 4u);
  for (var i = 0u; i < 4u; i++) {
    let row = i0 + 4u * rg + i;
    if (row >= L) { break; }
    var lt = 0.0;
    for (var c8 = 0u; c8 < 8u; c8++) { lt += Red[(4u * rg + i) * 8u + c8]; }
    let started = m[i] != neg();
    for (var t = 0u; t < ${runs}u; t++) {
      for (var u = 0u; u < 4u; u++) {
        let e = 4u * cg + 32u * t + u;
        if (e < Ev) { out[at(ob, row, si(18u), e, si(19u))] = select(nanv(), acc[i * ${runs}u + t][u] / lt, started); }
      }
    }
    if (cg == 0u) { lse[batchOffset(z, 5u) + row * p[22]] = select(neg(), m[i] + log(lt), started); }
  }
}`,
  };
});

/** The head width D baked into a kernel for heads `width` wide. */
function bakedWidth(width: number): AttentionKernelConfig['d'] {
  return width <= 16 ? 16 : width <= 32 ? 32 : width <= 64 ? 64 : 128;
}

/** Geometry read from the views, and the kernel config for them. */
export function attentionConfig(q: View, v: View, mask: View | null, batchRank: number): AttentionKernelConfig {
  const r = q.shape.length;
  return { d: bakedWidth(Math.max(q.shape[r - 1], v.shape[r - 1])), mask: mask ? (mask.storage.dtype === 'bool' ? 'bool' : 'float') : 'none', batchRank };
}

/** The parameter words shared by every attention kernel (see the file comment). */
export function attentionParams(
  q: View, k: View, v: View, mask: View | null, out: View, lse: View, gOut: View, blocks: number, p: AttentionParams,
): { words: ParamWriter; batchRank: number } {
  const r = q.shape.length;
  const batch = q.shape.slice(0, r - 2);
  const inner = (x: View): number[] => [x.strides[r - 2], x.strides[r - 1]];
  const m = mask ?? q;
  const words = params()
    .u32s([q.shape[r - 2], k.shape[r - 2], q.shape[r - 1], v.shape[r - 1], numel(batch), blocks])
    .f32(p.scale)
    .u32(p.causal ? 1 : 0)
    .f32(Number.NEGATIVE_INFINITY)
    .f32(Number.NaN)
    .i32s([...inner(q), ...inner(k), ...inner(v), ...inner(m), ...inner(out), ...inner(gOut), lse.strides[r - 2]]);
  const operands = [q, k, v, m, out, lse, gOut].map((x) => ({ strides: x.strides.slice(0, r - 2), offset: x.offset }));
  return { words, batchRank: writeStrided(words, batch, operands) };
}

/** A contiguous view of `s` with `shape`. */
export function denseView(s: Storage, shape: number[]): View {
  return { storage: s, shape, strides: contiguousStrides(shape), offset: 0 };
}

/** Options for tests: `tiled: false` runs the row kernel where the tiled one would. */
export interface AttentionKernelOptions {
  tiled?: boolean;
}

/**
 * Fused forward (see `Backend.attention`); q, k, v, mask share one batch shape. The tiled kernel
 * runs when the head width is ≤ 64 and the device grants its workgroup memory; the row kernel
 * otherwise.
 */
export function attention(
  rt: Runtime, q: View, k: View, v: View, mask: View | null, out: Storage, lse: Storage, p: AttentionParams, opts: AttentionKernelOptions = {},
): void {
  rt.checkAlive();
  const r = q.shape.length;
  const batch = q.shape.slice(0, r - 2);
  const L = q.shape[r - 2];
  const outView = denseView(out, [...batch, L, v.shape[r - 1]]);
  const lseView = denseView(lse, [...batch, L, 1]);
  const d = bakedWidth(Math.max(q.shape[r - 1], v.shape[r - 1]));
  const tiled = (opts.tiled ?? true) && d <= 64 && tiledAttentionBytes(d) <= rt.device.limits.maxComputeWorkgroupStorageSize;
  const blocks = Math.ceil(L / (tiled ? TILED_ROWS : ROWS));
  const { words, batchRank } = attentionParams(q, k, v, mask, outView, lseView, outView, blocks, p);
  const config = attentionConfig(q, v, mask, batchRank);
  const kernel = tiled ? attentionTiledKernel(config) : attentionKernel(config);
  const buffers = [q, k, v, mask ?? q, out, lse].map(bufferOf);
  rt.dispatch(kernel, buffers, words, linearGrid(numel(batch) * blocks, 1));
}
