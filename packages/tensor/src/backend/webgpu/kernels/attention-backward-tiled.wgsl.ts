/**
 * The tiled backward attention kernels `dqTiled` and `dkvTiled` (see `attention-backward.wgsl.ts`
 * for the math and when they run): 32 owned rows, 16-row streamed tiles, 4×2 micro-tiles of vec4
 * dot products, then matmul-like accumulation.
 */
import { type KernelSource, memoKernel } from '../pipeline-cache';
import { wgsl } from '../wgsl/tag';
import { type AttentionKernelConfig, BACKWARD_MAIN, backwardBindings, fourRows } from './attention-common.wgsl';

/** Rows a tiled backward workgroup owns (queries for ∂q, keys for ∂k∂v), and rows per streamed tile. */
export const OWN = 32;
const STREAM = 16;

/** Head width of the tiled backward kernels (≥ 32), and the row stride of their natural tiles in vec4s (one vec4 of padding against bank conflicts). */
const tiledGeometry = (d: number) => {
  const dd = Math.max(32, d);
  return { dd, rs: dd / 4 + 1, runs: dd / 32 };
};

/** Bytes of workgroup memory the tiled ∂k∂v kernel declares (the larger of the two) for head width `d`. */
export function tiledBackwardBytes(d: number): number {
  const { rs } = tiledGeometry(d);
  return 16 * ((2 * OWN + 2 * STREAM) * rs + 2 * STREAM * 8) + 8 * STREAM;
}

/** The tiled kernels' bindings ({@link backwardBindings}) and geometry: head width DD, tile row stride RS (vec4s). */
function tiledHeader(c: AttentionKernelConfig, result: string): string {
  const { dd, rs } = tiledGeometry(c.d);
  return `${backwardBindings(c, result)}
const DD = ${dd}u;
const RS = ${rs}u;`;
}

/**
 * WGSL computing, for the thread's four owned rows 4·rg+a and two streamed rows 2·cg+b, the
 * products s[a][b] = own1[a]·str1[b] (the scores) and dp[a][b] = own2[a]·str2[b] (G·vᵀ, or
 * v·gᵀ), as dot products of vec4s along the head dims. The arrays are zeroed explicitly: declared
 * without an initializer inside a loop, such a var kept its previous value on lavapipe.
 */
function scores(own1: string, own2: string, str1: string, str2: string): string {
  return `var s = array<vec2f, 4>(vec2f(0.0), vec2f(0.0), vec2f(0.0), vec2f(0.0));
    var dp = array<vec2f, 4>(vec2f(0.0), vec2f(0.0), vec2f(0.0), vec2f(0.0));
    for (var d4 = 0u; d4 < DD / 4u; d4++) {
      let x0 = ${str1}[2u * cg * RS + d4]; let x1 = ${str1}[(2u * cg + 1u) * RS + d4];
      let y0 = ${str2}[2u * cg * RS + d4]; let y1 = ${str2}[(2u * cg + 1u) * RS + d4];
      ${fourRows(
        (a) => `{ let oa = ${own1}[(4u * rg + ${a}u) * RS + d4]; let ob = ${own2}[(4u * rg + ${a}u) * RS + d4];
        s[${a}] += vec2f(dot(oa, x0), dot(oa, x1)); dp[${a}] += vec2f(dot(ob, y0), dot(ob, y1)); }`,
      )}
    }`;
}

/** The tiles of scale·Q and G (rows i < L), and of K and V (rows i < S), for {@link loadRows}. */
const Q_G: [string, string, string][] = [
  ['Qn', 'q[at(qb, i, si(10u), e, si(11u))] * scale()', 'i < L && e < E'],
  ['Gn', 'gOut[at(gb, i, si(20u), e, si(21u))]', 'i < L && e < Ev'],
];
const K_V: [string, string, string][] = [
  ['Kn', 'k[at(kb, i, si(12u), e, si(13u))]', 'i < S && e < E'],
  ['Vn', 'v[at(vb, i, si(14u), e, si(15u))]', 'i < S && e < Ev'],
];

/**
 * WGSL loading `rows` rows of [rows, DD] operands into natural (row-major, padded) vec4 tiles:
 * for each [tile, value, condition] of `pairs`, tile[row·RS + e/4][e%4] = value where condition
 * holds, else 0 (value and condition in terms of the operand row `i` = `rowOf` and the dim `e`).
 */
function loadRows(rows: number, pairs: [string, string, string][], rowOf: string): string {
  return `for (var x = li; x < ${rows}u * DD; x += 64u) {
    let row = x / DD; let e = x % DD; let i = ${rowOf};
    ${pairs.map(([tile, value, cond]) => `{ var w = 0.0; if (${cond}) { w = ${value}; } ${tile}[row * RS + e / 4u][e % 4u] = w; }`).join('\n    ')}
  }`;
}

/**
 * Tiled ∂q: one workgroup of 64 threads per (batch entry, 32 query rows), streaming 16-key tiles
 * of K and V in natural layout. Thread (rg, cg) of an 8×8 grid computes S and G·Vᵀ for rows
 * 4·rg… and keys 2·cg, 2·cg+1 (dot products of vec4s along the head dims), forms
 * ∂s = P·(G·v − D) and shares it key-major through workgroup memory; then ∂q += ∂s·K for its
 * rows and columns 4·cg + 32·t.
 */
export const dqTiledKernel = memoKernel(function dqTiledKernel(c: AttentionKernelConfig): KernelSource {
  const { rs, runs } = tiledGeometry(c.d);
  return {
    key: `attention:dq-tiled:${c.d}:${c.batchRank}`,
    workgroupSize: [64, 1, 1],
    code: wgsl`${tiledHeader(c, 'gq')}
var<workgroup> Qn: array<vec4f, ${OWN * rs}>; // scale·q, [row][dim]
var<workgroup> Gn: array<vec4f, ${OWN * rs}>;
var<workgroup> Kn: array<vec4f, ${STREAM * rs}>;
var<workgroup> Vn: array<vec4f, ${STREAM * rs}>;
var<workgroup> dSt: array<vec4f, ${STREAM * 8}>; // ∂s, [key][row quad]
${BACKWARD_MAIN}
  let i0 = (g % p[5]) * ${OWN}u;
  let rg = li / 8u; let cg = li % 8u;
  ${loadRows(OWN, Q_G, 'i0 + row')}
  var lse = vec4f(0.0); var Dr = vec4f(0.0);
  for (var a = 0u; a < 4u; a++) {
    let i = i0 + 4u * rg + a;
    if (i < L) { lse[a] = stats[2u * (z * L + i)]; Dr[a] = stats[2u * (z * L + i) + 1u]; }
  }
  var dq: array<vec4f, ${4 * runs}>; // [row a][column run t]
  var end = S;
  if (causal()) { end = min(S, min(L, i0 + ${OWN}u)); }
  for (var j0 = 0u; j0 < end; j0 += ${STREAM}u) {
    ${loadRows(STREAM, K_V, 'j0 + row')}
    workgroupBarrier();
    ${scores('Qn', 'Gn', 'Kn', 'Vn')}
    for (var b = 0u; b < 2u; b++) {
      let j = j0 + 2u * cg + b;
      var col = vec4f(0.0);
      for (var a = 0u; a < 4u; a++) {
        let i = i0 + 4u * rg + a;
        if (i < L && j < S && !(causal() && j > i)) {
          let w = prob(maskKeep(mb, i, j, s[a][b]), lse[a]);
          col[a] = w * (dp[a][b] - Dr[a]);
        }
      }
      dSt[(2u * cg + b) * 8u + rg] = col;
    }
    workgroupBarrier();
    for (var jj = 0u; jj < ${STREAM}u; jj++) {
      let ds = dSt[jj * 8u + rg];
      for (var t = 0u; t < ${runs}u; t++) {
        let kv = Kn[jj * RS + cg + 8u * t];
        ${fourRows((a) => `dq[${a * runs}u + t] = fma(vec4f(ds[${a}]), kv, dq[${a * runs}u + t]);`)}
      }
    }
    workgroupBarrier();
  }
  for (var a = 0u; a < 4u; a++) {
    let i = i0 + 4u * rg + a;
    if (i >= L) { break; }
    for (var t = 0u; t < ${runs}u; t++) {
      for (var u = 0u; u < 4u; u++) {
        let e = 4u * cg + 32u * t + u;
        if (e < E) { gq[(z * L + i) * E + e] = dq[a * ${runs}u + t][u] * scale(); }
      }
    }
  }
}`,
  };
});

/**
 * Tiled ∂k, ∂v: one workgroup of 64 threads per (batch entry, 32 key rows), K and V of those keys
 * resident in natural layout, streaming 16-query tiles of scale·Q and G. Thread (rg, cg) computes
 * Sᵀ and V·Gᵀ for keys 4·rg… and queries 2·cg, 2·cg+1, shares P and ∂s query-major through
 * workgroup memory, then ∂v += Pᵀ·G and ∂k += ∂sᵀ·(scale·Q) for its keys and columns 4·cg + 32·t.
 * Writes ∂k and ∂v side by side into the packed scratch, as the row kernel.
 */
export const dkvTiledKernel = memoKernel(function dkvTiledKernel(c: AttentionKernelConfig): KernelSource {
  const { rs, runs } = tiledGeometry(c.d);
  return {
    key: `attention:dkv-tiled:${c.d}:${c.batchRank}`,
    workgroupSize: [64, 1, 1],
    code: wgsl`${tiledHeader(c, 'gkv')}
var<workgroup> Kn: array<vec4f, ${OWN * rs}>; // [key][dim]
var<workgroup> Vn: array<vec4f, ${OWN * rs}>;
var<workgroup> Qn: array<vec4f, ${STREAM * rs}>; // scale·q
var<workgroup> Gn: array<vec4f, ${STREAM * rs}>;
var<workgroup> Pt: array<vec4f, ${STREAM * 8}>; // P, [query][key quad]
var<workgroup> dSt: array<vec4f, ${STREAM * 8}>; // ∂s, [query][key quad]
var<workgroup> Ls: array<f32, ${STREAM}>;
var<workgroup> Ds: array<f32, ${STREAM}>;
${BACKWARD_MAIN}
  let j0 = (g % p[5]) * ${OWN}u;
  let rg = li / 8u; let cg = li % 8u;
  ${loadRows(OWN, K_V, 'j0 + row')}
  var dk: array<vec4f, ${4 * runs}>; // [key a][column run t]
  var dv: array<vec4f, ${4 * runs}>;
  var start = 0u;
  if (causal()) { start = (j0 / ${STREAM}u) * ${STREAM}u; }
  for (var i0 = start; i0 < L; i0 += ${STREAM}u) {
    ${loadRows(STREAM, Q_G, 'i0 + row')}
    if (li < ${STREAM}u && i0 + li < L) { Ls[li] = stats[2u * (z * L + i0 + li)]; Ds[li] = stats[2u * (z * L + i0 + li) + 1u]; }
    workgroupBarrier();
    ${scores('Kn', 'Vn', 'Qn', 'Gn')}
    for (var b = 0u; b < 2u; b++) {
      let i = i0 + 2u * cg + b;
      var pc = vec4f(0.0);
      var dc = vec4f(0.0);
      for (var a = 0u; a < 4u; a++) {
        let j = j0 + 4u * rg + a;
        if (i < L && j < S && !(causal() && j > i)) {
          let w = prob(maskKeep(mb, i, j, s[a][b]), Ls[2u * cg + b]);
          pc[a] = w;
          dc[a] = w * (dp[a][b] - Ds[2u * cg + b]);
        }
      }
      Pt[(2u * cg + b) * 8u + rg] = pc;
      dSt[(2u * cg + b) * 8u + rg] = dc;
    }
    workgroupBarrier();
    for (var ii = 0u; ii < ${STREAM}u; ii++) {
      let pv = Pt[ii * 8u + rg];
      let dsv = dSt[ii * 8u + rg];
      for (var t = 0u; t < ${runs}u; t++) {
        let gv = Gn[ii * RS + cg + 8u * t];
        let qv = Qn[ii * RS + cg + 8u * t];
        ${fourRows((a) => `dv[${a * runs}u + t] = fma(vec4f(pv[${a}]), gv, dv[${a * runs}u + t]); dk[${a * runs}u + t] = fma(vec4f(dsv[${a}]), qv, dk[${a * runs}u + t]);`)}
      }
    }
    workgroupBarrier();
  }
  for (var a = 0u; a < 4u; a++) {
    let j = j0 + 4u * rg + a;
    if (j >= S) { break; }
    let row = (z * S + j) * (E + Ev);
    for (var t = 0u; t < ${runs}u; t++) {
      for (var u = 0u; u < 4u; u++) {
        let e = 4u * cg + 32u * t + u;
        if (e < E) { gkv[row + e] = dk[a * ${runs}u + t][u]; }
        if (e < Ev) { gkv[row + E + e] = dv[a * ${runs}u + t][u]; }
      }
    }
  }
}`,
  };
});
