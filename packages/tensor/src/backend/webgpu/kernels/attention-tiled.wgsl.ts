/**
 * The tiled forward attention kernel (see `attention.wgsl.ts` for when it runs): 32 query rows per
 * workgroup, register-tiled over 32-key tiles.
 */
import { type KernelSource, memoKernel } from '../pipeline-cache';
import { wgsl } from '../wgsl/tag';
import { type AttentionKernelConfig, BLOCK_MAIN, forwardHeader, fourRows } from './attention-common.wgsl';

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
    key: `attention:fwd-tiled:${c.d}:${c.batchRank}`,
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
