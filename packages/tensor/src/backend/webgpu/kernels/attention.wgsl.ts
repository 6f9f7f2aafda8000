/**
 * Fused scaled-dot-product attention on WebGPU (FlashAttention's tiling with an online softmax;
 * the [L, S] score matrix never exists in global memory).
 *
 * Forward, for heads ≤ 64 wide where the adapter grants 29 KiB of workgroup memory:
 * `attentionTiledKernel` (`attention-tiled.wgsl.ts`), register-tiled over 32-row blocks and 32-key tiles.
 * Otherwise the row kernel {@link attentionKernel}, which needs ≤ 12.5 KiB:
 * one workgroup of 64 threads per (batch entry, block of {@link ROWS} = 16 query rows).
 * Four threads share a row: thread (r, c) keeps columns c, c+4, … of scale·q_r and of the output
 * accumulator in registers (D/4 each). K and V stream through workgroup memory in tiles of BK
 * keys; each thread writes partial dot products over its columns, the four partials are summed,
 * and every thread of the row updates the same running max m and sum l (rescaling its
 * accumulator by exp(m_old − m_new) when m grows). Causal blocks stop at their last row's key.
 * The backward kernels live in `attention-backward.wgsl.ts` and `attention-backward-tiled.wgsl.ts`,
 * the pieces all of them share in `attention-common.wgsl.ts`.
 *
 * Head sizes: E and Ev up to {@link MAX_HEAD_DIM} (the op runs the composite above that). The
 * head width D baked into a kernel is max(E, Ev) rounded up to 16, 32, 64 or 128; BK is 16 for
 * D ≤ 32 and 8 above, so workgroup memory stays ≤ 12.5 KiB (the WebGPU minimum limit is 16 KiB)
 * and each kernel binds ≤ 8 storage buffers (the default per-stage limit), params included.
 *
 * Params (u32 words): see `attention-common.wgsl.ts`.
 */
import type { AttentionParams, Storage, View } from '../../backend';
import { numel } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { linearGrid } from '../wgsl/grid';
import { wgsl } from '../wgsl/tag';
import {
  type AttentionKernelConfig,
  type AttentionKernelOptions,
  attentionConfig,
  attentionParams,
  BLOCK_MAIN,
  bakedWidth,
  denseView,
  forwardHeader,
  keyTiles,
  ROWS,
  tileOf,
} from './attention-common.wgsl';
import { attentionTiledKernel, TILED_ROWS, tiledAttentionBytes } from './attention-tiled.wgsl';

/** The forward kernel: out and lse for one (batch entry, block of ROWS query rows) per workgroup. */
export const attentionKernel = memoKernel(function attentionKernel(c: AttentionKernelConfig): KernelSource {
  return {
    key: `attention:fwd:${c.d}:${c.batchRank}`,
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

/**
 * Fused forward (see `Backend.attention`); q, k, v, mask share one batch shape. The tiled kernel
 * runs when the head width is ≤ 64 and the device grants its workgroup memory; the row kernel
 * otherwise.
 */
export function attention(
  rt: Runtime,
  q: View,
  k: View,
  v: View,
  mask: View | null,
  out: Storage,
  lse: Storage,
  p: AttentionParams,
  opts: AttentionKernelOptions = {},
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
  const { words, batchRank } = attentionParams({ q, k, v, mask, out: outView, lse: lseView, gOut: outView }, blocks, p);
  const config = attentionConfig(q, v, batchRank);
  const kernel = tiled ? attentionTiledKernel(config) : attentionKernel(config);
  const buffers = [q, k, v, mask ?? q, out, lse].map(bufferOf);
  rt.dispatch(kernel, buffers, words, linearGrid(numel(batch) * blocks, 1));
}
