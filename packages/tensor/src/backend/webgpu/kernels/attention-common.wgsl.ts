/**
 * Pieces shared by the fused attention kernels on WebGPU: the forward ones (`attention.wgsl.ts`
 * row kernel, `attention-tiled.wgsl.ts`) and the backward ones (`attention-backward.wgsl.ts` row
 * kernels, `attention-backward-tiled.wgsl.ts`): config, WGSL prelude, key-tile streaming, entry
 * points, bindings and the parameter words.
 *
 * Params (u32 words): L, S, E, Ev, Z (batch entries), blocks per entry, scale (f32), flags
 * (bit 0 causal, bits 1-2 the mask kind: 0 none, 1 bool, 2 float), −∞ and NaN bits (WGSL has no literals for them), then i32 strides: q (L, E), k (S, E),
 * v (S, Ev), mask (L, S), out (L, Ev), gOut (L, Ev), lse (L), then from word 23 the batch layout of
 * the operands q, k, v, mask, out, lse, gOut (`writeStrided`, padded to rank ≥ {@link MIN_BATCH_RANK}).
 *
 * Only the head width and a batch rank above 2 are baked into a kernel: the mask kind and the
 * causal flag are read from the params (uniform branches), and batch layouts of rank 0-2 are
 * written at rank 2, so one pipeline per head width serves every mask and batch shape (each
 * variant costs a compile: on a software Vulkan driver seconds of CPU).
 */
import type { AttentionParams, Storage, View } from '../../backend';
import { contiguousStrides, numel } from '../../../shape';
import { type ParamWriter, params } from '../wgsl/params';
import { stridedIndexWgsl, writeStrided } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';

/** Largest E and Ev the kernels take. */
export const MAX_HEAD_DIM = 128;
/** Query rows per workgroup (forward and ∂q), key rows per workgroup (∂k, ∂v). */
export const ROWS = 16;

/** How the mask is read: none, bool (u32 0/1, true keeps) or float (added to the score); params word 7, bits 1-2. */
const MASK_KIND = { none: 0, bool: 1, float: 2 } as const;

/** Batch layouts of a lower rank are written at this rank (a size-1 dim costs a modulo per workgroup, a variant a compile). */
export const MIN_BATCH_RANK = 2;

/** Everything baked into one attention kernel. */
export interface AttentionKernelConfig {
  /** Head width: max(E, Ev) rounded up to 16, 32, 64 or 128. */
  readonly d: 16 | 32 | 64 | 128;
  /** Rank of the batch layout in the params (the collapsed batch dims, at least {@link MIN_BATCH_RANK}). */
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
 * `batchOffset` and, when `masked`, `maskKeep(mb, i, j, s) -> vec2f` (x: 1 when (i, j) takes part,
 * y: the score with the float mask added). Needs `p` declared, and `mk` when `masked`.
 */
export function attentionPrelude(c: AttentionKernelConfig, masked = true): string {
  const keep = `fn maskKeep(mb: u32, i: u32, j: u32, s: f32) -> vec2f {
  let kind = p[7] >> 1u;
  if (kind == 0u) { return vec2f(1.0, s); }
  let w = mk[at(mb, i, si(16u), j, si(17u))];
  if (kind == 1u) { return vec2f(select(0.0, 1.0, w != 0u), s); }
  let t = s + bitcast<f32>(w);
  return vec2f(select(0.0, 1.0, t != neg()), t);
}`;
  return wgsl`
const D = ${c.d}u;
const C = ${c.d / 4}u;
const BK = ${tileOf(c.d)}u;
const BQ = ${ROWS}u;
fn si(w: u32) -> i32 { return bitcast<i32>(p[w]); }
fn neg() -> f32 { return bitcast<f32>(p[8]); }
fn nanv() -> f32 { return bitcast<f32>(p[9]); }
fn scale() -> f32 { return bitcast<f32>(p[6]); }
fn causal() -> bool { return (p[7] & 1u) != 0u; }
fn at(base: u32, i: u32, s0: i32, j: u32, s1: i32) -> u32 { return u32(i32(base) + i32(i) * s0 + i32(j) * s1); }
${stridedIndexWgsl(c.batchRank, 23, 'batchOffset')}
${masked ? keep : ''}`;
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

/** The mask binding's declaration at `binding` (u32 words: a bool's 0/1, a float mask's bits). */
export function maskBinding(binding: number): string {
  return `@group(0) @binding(${binding}) var<storage, read> mk: array<u32>;`;
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
export function forwardHeader(c: AttentionKernelConfig): string {
  return wgsl`
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
${maskBinding(3)}
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;
@group(0) @binding(6) var<storage, read> p: array<u32>;
${attentionPrelude(c)}
`;
}

/** WGSL lines for the four rows i = 0…3 a thread of a tiled kernel owns. */
export const fourRows = (f: (i: number) => string): string => [0, 1, 2, 3].map(f).join('\n      ');

/** The head width D baked into a kernel for heads `width` wide. */
export function bakedWidth(width: number): AttentionKernelConfig['d'] {
  return width <= 16 ? 16 : width <= 32 ? 32 : width <= 64 ? 64 : 128;
}

/** Geometry read from the views, and the kernel config for them. */
export function attentionConfig(q: View, v: View, batchRank: number): AttentionKernelConfig {
  const r = q.shape.length;
  return { d: bakedWidth(Math.max(q.shape[r - 1], v.shape[r - 1])), batchRank };
}

/** The operands an attention kernel reads, by {@link OPERAND} name (a forward kernel passes its out as gOut). */
export type AttentionOperands = { q: View; k: View; v: View; mask: View | null; out: View; lse: View; gOut: View };

/** The parameter words shared by every attention kernel (see the file comment). */
export function attentionParams(views: AttentionOperands, blocks: number, p: AttentionParams): { words: ParamWriter; batchRank: number } {
  const { q, k, v, mask, out, lse, gOut } = views;
  const r = q.shape.length;
  const batch = q.shape.slice(0, r - 2);
  const inner = (x: View): number[] => [x.strides[r - 2], x.strides[r - 1]];
  const m = mask ?? q;
  const words = params()
    .u32s([q.shape[r - 2], k.shape[r - 2], q.shape[r - 1], v.shape[r - 1], numel(batch), blocks])
    .f32(p.scale)
    .u32((p.causal ? 1 : 0) | (MASK_KIND[mask ? (mask.storage.dtype === 'bool' ? 'bool' : 'float') : 'none'] << 1))
    .f32(Number.NEGATIVE_INFINITY)
    .f32(Number.NaN)
    .i32s([...inner(q), ...inner(k), ...inner(v), ...inner(m), ...inner(out), ...inner(gOut), lse.strides[r - 2]]);
  const operands = [q, k, v, m, out, lse, gOut].map((x) => ({ strides: x.strides.slice(0, r - 2), offset: x.offset }));
  return { words, batchRank: writeStrided(words, batch, operands, MIN_BATCH_RANK) };
}

/** A contiguous view of `s` with `shape`. */
export function denseView(s: Storage, shape: number[]): View {
  return { storage: s, shape, strides: contiguousStrides(shape), offset: 0 };
}

/** Options for tests: `tiled: false` runs the row kernel where the tiled one would. */
export interface AttentionKernelOptions {
  tiled?: boolean;
}

/** Bindings of the ∂q and ∂k∂v kernels (`result` written), the prelude and `prob`. */
export function backwardBindings(c: AttentionKernelConfig, result: string): string {
  return wgsl`
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
${maskBinding(3)}
@group(0) @binding(4) var<storage, read> gOut: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;
@group(0) @binding(6) var<storage, read_write> ${result}: array<f32>;
@group(0) @binding(7) var<storage, read> p: array<u32>;
${attentionPrelude(c)}
// P_ij for a row with logsumexp lse (NaN for a fully masked row)
fn prob(keep: vec2f, lse: f32) -> f32 {
  if (lse == neg()) { return nanv(); }
  return select(0.0, exp(keep.y - lse), keep.x > 0.0);
}`;
}

/** The backward kernels' entry point: {@link BLOCK_MAIN} and the base gb of G (concat, marked pure: bundlers keep an unused template literal that interpolates). */
export const BACKWARD_MAIN = /* @__PURE__ */ BLOCK_MAIN.concat(`
  let gb = batchOffset(z, 6u);`);
