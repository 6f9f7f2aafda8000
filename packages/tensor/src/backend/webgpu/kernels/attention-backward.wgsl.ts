/**
 * Backward of the fused attention on WebGPU (FlashAttention-2 style: the weights P are recomputed
 * per tile from the saved row logsumexp; no [L, S] matrix in memory, no atomics). With
 * s = scale·q·kᵀ + mask, P = exp(s − lse), O = P·V and G = ∂L/∂O:
 *
 *   D_i = Σ_c G_ic·O_ic;   ∂L/∂s_ij = P_ij·(G_i·v_j − D_i);
 *   ∂L/∂q_i = scale·Σ_j ∂L/∂s_ij·k_j;   ∂L/∂k_j = scale·Σ_i ∂L/∂s_ij·q_i;   ∂L/∂v_j = Σ_i P_ij·G_i.
 *
 * Three dispatches: `rowStats` packs (lse_i, D_i) per query row; ∂q runs one workgroup per block
 * of query rows streaming K and V tiles; ∂k∂v one per block of key rows streaming Q and G tiles,
 * writing ∂k and ∂v side by side into one scratch [Z, S, E + Ev] (so every kernel binds ≤ 8
 * buffers) that two strided copies split into gk and gv. For heads ≤ 64 wide, where the adapter
 * grants {@link tiledBackwardBytes} (30 KiB at 64) of workgroup memory, the tiled kernels
 * `dqTiled`/`dkvTiled` (32 owned rows, 16-row tiles, 4×2 micro-tiles of vec4 dot products, then
 * matmul-like accumulation) run; otherwise the row kernels `dq`/`dkv` (16 rows, four threads per
 * row, the forward row kernel's layout). A fully masked row (lse = −∞) gives P = NaN. The tiled
 * kernels live in `attention-backward-tiled.wgsl.ts`, the pieces all attention kernels share in
 * `attention-common.wgsl.ts`.
 */
import type { PrimitiveArgs, View } from '../../backend';
import { numel } from '../../../shape';
import { copy } from '../codegen/copy';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf, scratchStorage as scratch } from '../storage';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { wgsl } from '../wgsl/tag';
import {
  type AttentionKernelConfig,
  type AttentionKernelOptions,
  attentionConfig,
  attentionParams,
  attentionPrelude,
  BACKWARD_MAIN,
  backwardBindings,
  denseView,
  keyTiles,
  ROWS,
  tileOf,
} from './attention-common.wgsl';
import { dkvTiledKernel, dqTiledKernel, OWN, tiledBackwardBytes } from './attention-backward-tiled.wgsl';

const ROW_STATS_WG = 64;

/** stats[2·row] = lse_row, stats[2·row + 1] = Σ_c G·O over the row; one thread per query row. */
export const rowStatsKernel = memoKernel(function rowStatsKernel(batchRank: number): KernelSource {
  return {
    key: `attention:rowstats:${batchRank}`,
    workgroupSize: [ROW_STATS_WG, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> out: array<f32>;
@group(0) @binding(1) var<storage, read> gOut: array<f32>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
@group(0) @binding(4) var<storage, read> p: array<u32>;
${attentionPrelude({ d: 16, batchRank }, false)}
@compute @workgroup_size(${ROW_STATS_WG})
fn main(${LINEAR_BUILTINS}) {
  let row = ${linearIndex(ROW_STATS_WG)};
  let L = p[0];
  if (row >= p[4] * L) { return; }
  let z = row / L; let i = row % L;
  let ob = batchOffset(z, 4u); let gb = batchOffset(z, 6u);
  var d = 0.0;
  for (var c = 0u; c < p[3]; c++) { d += out[at(ob, i, si(18u), c, si(19u))] * gOut[at(gb, i, si(20u), c, si(21u))]; }
  stats[2u * row] = lse[batchOffset(z, 5u) + i * p[22]];
  stats[2u * row + 1u] = d;
}`,
  };
});

/** Bindings and workgroup arrays of the row kernels `dq` and `dkv` (BK: rows per streamed tile). */
function header(c: AttentionKernelConfig, result: string): string {
  const t = tileOf(c.d);
  return wgsl`${backwardBindings(c, result)}
var<workgroup> As: array<f32, ${t * c.d}>;
var<workgroup> Bs: array<f32, ${t * c.d}>;
var<workgroup> Sp: array<f32, ${64 * t}>;
var<workgroup> Gp: array<f32, ${64 * t}>;
var<workgroup> Ls: array<f32, ${t}>;
var<workgroup> Ds: array<f32, ${t}>;
// the four partial sums of row r, entry jj (workgroup pointers cannot be passed to functions)
fn sumS(r: u32, jj: u32) -> f32 { let b = r * 4u * BK + jj; return Sp[b] + Sp[b + BK] + Sp[b + 2u * BK] + Sp[b + 3u * BK]; }
fn sumG(r: u32, jj: u32) -> f32 { let b = r * 4u * BK + jj; return Gp[b] + Gp[b + BK] + Gp[b + 2u * BK] + Gp[b + 3u * BK]; }`;
}

/** The row kernels' entry point: four threads per row, thread (r, c). */
const START = /* @__PURE__ */ BACKWARD_MAIN.concat(`
  let r = li / 4u; let c = li % 4u;`);

/** ∂q for one (batch entry, block of ROWS query rows) per workgroup, streaming K (As) and V (Bs). */
export const dqKernel = memoKernel(function dqKernel(c: AttentionKernelConfig): KernelSource {
  return {
    key: `attention:dq:${c.d}:${c.batchRank}`,
    workgroupSize: [64, 1, 1],
    code: wgsl`${header(c, 'gq')}
${START}
  let i0 = (g % p[5]) * BQ;
  let i = i0 + r;
  let live = i < L;
  var qr: array<f32, C>;
  var gr: array<f32, C>;
  var dq: array<f32, C>;
  var lse = 0.0; var Dr = 0.0;
  if (live) {
    lse = stats[2u * (z * L + i)]; Dr = stats[2u * (z * L + i) + 1u];
    for (var t = 0u; t < C; t++) {
      let e = c + 4u * t;
      if (e < E) { qr[t] = q[at(qb, i, si(10u), e, si(11u))] * scale(); }
      if (e < Ev) { gr[t] = gOut[at(gb, i, si(20u), e, si(21u))]; }
    }
  }
  ${keyTiles('As', 'Bs')}
    for (var jj = 0u; jj < BK; jj++) {
      var s = 0.0; var dp = 0.0;
      for (var t = 0u; t < C; t++) { s += qr[t] * As[jj * D + c + 4u * t]; dp += gr[t] * Bs[jj * D + c + 4u * t]; }
      Sp[li * BK + jj] = s; Gp[li * BK + jj] = dp;
    }
    workgroupBarrier();
    for (var jj = 0u; jj < BK; jj++) {
      let j = j0 + jj;
      if (!live || j >= S || (causal() && j > i)) { continue; }
      let w = prob(maskKeep(mb, i, j, sumS(r, jj)), lse);
      let ds = w * (sumG(r, jj) - Dr);
      for (var t = 0u; t < C; t++) { dq[t] += ds * As[jj * D + c + 4u * t]; }
    }
    workgroupBarrier();
  }
  if (!live) { return; }
  for (var t = 0u; t < C; t++) {
    let e = c + 4u * t;
    if (e < E) { gq[(z * L + i) * E + e] = dq[t] * scale(); }
  }
}`,
  };
});

/** ∂k, ∂v for one (batch entry, block of ROWS key rows) per workgroup, streaming scale·Q (As) and G (Bs). */
export const dkvKernel = memoKernel(function dkvKernel(c: AttentionKernelConfig): KernelSource {
  return {
    key: `attention:dkv:${c.d}:${c.batchRank}`,
    workgroupSize: [64, 1, 1],
    code: wgsl`${header(c, 'gkv')}
${START}
  let j0 = (g % p[5]) * BQ;
  let j = j0 + r;
  let live = j < S;
  var kr: array<f32, C>;
  var vr: array<f32, C>;
  var dk: array<f32, C>;
  var dv: array<f32, C>;
  if (live) {
    for (var t = 0u; t < C; t++) {
      let e = c + 4u * t;
      if (e < E) { kr[t] = k[at(kb, j, si(12u), e, si(13u))]; }
      if (e < Ev) { vr[t] = v[at(vb, j, si(14u), e, si(15u))]; }
    }
  }
  var start = 0u;
  if (causal()) { start = (j0 / BK) * BK; }
  for (var i0 = start; i0 < L; i0 += BK) {
    for (var x = li; x < BK * D; x += 64u) {
      let i = i0 + x / D; let e = x % D;
      var qv = 0.0; var gv = 0.0;
      if (i < L && e < E) { qv = q[at(qb, i, si(10u), e, si(11u))] * scale(); }
      if (i < L && e < Ev) { gv = gOut[at(gb, i, si(20u), e, si(21u))]; }
      As[x] = qv; Bs[x] = gv;
    }
    if (li < BK && i0 + li < L) { Ls[li] = stats[2u * (z * L + i0 + li)]; Ds[li] = stats[2u * (z * L + i0 + li) + 1u]; }
    workgroupBarrier();
    for (var ii = 0u; ii < BK; ii++) {
      var s = 0.0; var dp = 0.0;
      for (var t = 0u; t < C; t++) { s += kr[t] * As[ii * D + c + 4u * t]; dp += vr[t] * Bs[ii * D + c + 4u * t]; }
      Sp[li * BK + ii] = s; Gp[li * BK + ii] = dp;
    }
    workgroupBarrier();
    for (var ii = 0u; ii < BK; ii++) {
      let i = i0 + ii;
      if (!live || i >= L || (causal() && j > i)) { continue; }
      let w = prob(maskKeep(mb, i, j, sumS(r, ii)), Ls[ii]);
      let ds = w * (sumG(r, ii) - Ds[ii]);
      for (var t = 0u; t < C; t++) {
        dv[t] += w * Bs[ii * D + c + 4u * t];
        dk[t] += ds * As[ii * D + c + 4u * t];
      }
    }
    workgroupBarrier();
  }
  if (!live) { return; }
  let row = (z * S + j) * (E + Ev);
  for (var t = 0u; t < C; t++) {
    let e = c + 4u * t;
    if (e < E) { gkv[row + e] = dk[t]; }
    if (e < Ev) { gkv[row + E + e] = dv[t]; }
  }
}`,
  };
});

/** Fused backward (see `Backend.attentionBackward`); q, k, v, mask, out, lse, gOut share one batch shape. */
export function attentionBackward(rt: Runtime, ...args: [...PrimitiveArgs<'attentionBackward'>, AttentionKernelOptions?]): void {
  const [q, k, v, mask, out, lse, gOut, gq, gk, gv, p, opts = {}] = args;
  rt.checkAlive();
  const r = q.shape.length;
  const batch = q.shape.slice(0, r - 2);
  const Z = numel(batch);
  const [L, E] = q.shape.slice(r - 2);
  const [S, Ev] = v.shape.slice(r - 2);
  const lse2: View = { ...lse, shape: [...lse.shape, 1], strides: [...lse.strides, 0] };
  const stats = scratch(rt, 2 * Z * L);
  const packed = scratch(rt, Z * S * (E + Ev));
  const run = (blocks: number) => attentionParams({ q, k, v, mask, out, lse: lse2, gOut }, blocks, p);
  const inputs = [q, k, v, mask ?? q, gOut].map(bufferOf);

  const s = run(1);
  rt.dispatch(rowStatsKernel(s.batchRank), [out, gOut, lse2, stats].map(bufferOf), s.words, linearGrid(Z * L, ROW_STATS_WG));
  const config = attentionConfig(q, v, s.batchRank);
  const tiled = (opts.tiled ?? true) && config.d <= 64 && tiledBackwardBytes(config.d) <= rt.device.limits.maxComputeWorkgroupStorageSize;
  const rows = tiled ? OWN : ROWS;
  const qBlocks = Math.ceil(L / rows);
  const dq = run(qBlocks);
  rt.dispatch((tiled ? dqTiledKernel : dqKernel)(config), [...inputs, stats.buffer, bufferOf(gq)], dq.words, linearGrid(Z * qBlocks, 1));
  const kBlocks = Math.ceil(S / rows);
  const dkv = run(kBlocks);
  rt.dispatch((tiled ? dkvTiledKernel : dkvKernel)(config), [...inputs, stats.buffer, packed.buffer], dkv.words, linearGrid(Z * kBlocks, 1));

  const rowStride = E + Ev;
  const split = (offset: number, width: number): View => ({ storage: packed, shape: [Z, S, width], strides: [S * rowStride, rowStride, 1], offset });
  copy(rt, split(0, E), denseView(gk, [Z, S, E]));
  copy(rt, split(E, Ev), denseView(gv, [Z, S, Ev]));
  rt.releaseBuffer(stats.buffer);
  rt.releaseBuffer(packed.buffer);
}
