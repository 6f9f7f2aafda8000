/**
 * Batched int8 × int8 → int32 matrix multiply on WebGPU, on packed operands (four int8 per u32
 * word, see `wgsl/dtype.ts`): out[z] = A[z] · B[z], A [M, K], B [K, N] with any strides and
 * offsets, out contiguous int32 [batch, M, N]. Exact: products and sums are integer, wrapping
 * past 2³¹ as int32 hardware does (as the CPU backend).
 *
 * Both operands are staged in workgroup memory as K-packed words: the word for (row, quad q)
 * holds the row's elements at k = 4q … 4q + 3 (zero past K), so one word multiplies four K steps.
 * A workgroup owns a BM×BN block of out, each thread a TM×TN sub-tile of i32 accumulators; per
 * quad a thread reads TM/4 vec4s of A words (its rows) and TN/4 of B words (its columns) and
 * issues TM·TN four-wide dot products:
 *
 * - `dot4`: `dot4I8Packed` (WGSL language feature `packed_4x8_integer_dot_product`, one
 *   instruction where the hardware has it);
 * - `unpack`: each word unpacked once to a `vec4<i32>` by shifts (sign-extending the bytes), then
 *   `dot` of i32 vectors: the fallback where the feature is missing.
 *
 * Operand loads (baked into the key): `w` when the operand's K stride is 1 and its offset, row
 * stride and batch strides are multiples of 4 (its K-packed words are its stored words: one load,
 * the bytes past K masked off; A row-major, and B of a quantized `Linear`, x · Wᵀ); `u` when its
 * K stride is 1 but rows start mid-word (odd K, slices): the run is shifted out of two
 * neighbouring words; `t` when its row stride is 1 and its offset, K stride and batch strides are
 * multiples of 4 (B [K, N] row-major: four stored words, rows r…r+3 at k…k+3, are transposed
 * bytewise into the four rows' K-packed words); `g` otherwise (four byte loads packed into a
 * word: gaps, odd strides, transposed slices starting mid-word).
 *
 * | tile  | BM×BN | TM×TN | K per step | threads | picked when            |
 * |-------|-------|-------|------------|---------|------------------------|
 * | large | 64×64 | 8×8   | 32         | 64      | ≥ 16 such blocks       |
 * | small | 32×32 | 4×4   | 32         | 64      | otherwise              |
 *
 * Params (u32 words): M, N, K, A's M and K strides, B's K and N strides (i32 bits), zBase, then
 * the batch layout (`writeStrided`, operands A and B) from word 8.
 */
import type { Storage, View } from '../../backend';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { loadFn } from '../wgsl/dtype';
import { MAX_WORKGROUPS_PER_DIM } from '../wgsl/grid';
import { stridedIndexWgsl } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';
import { GEMM_PARAM_BASE, GEMM_PARAMS_WGSL, gemmBatch, gemmParams } from './matmul-params';

/** How four-wide int8 dot products are computed (see the file comment). */
export type Int8Dot = 'dot4' | 'unpack';

/** The int8 tiles: block BM×BN, TM×TN outputs per thread, K-quads (4 K each) per step. */
export const INT8_TILES = {
  small: { bm: 32, bn: 32, tm: 4, tn: 4, quads: 8 },
  large: { bm: 64, bn: 64, tm: 8, tn: 8, quads: 8 },
} as const satisfies Record<string, { bm: number; bn: number; tm: number; tn: number; quads: number }>;

export type Int8TileName = keyof typeof INT8_TILES;

/** Everything baked into one int8 matmul kernel. */
export interface Int8MatmulConfig {
  readonly tile: Int8TileName;
  /** `w`/`u`: K-packed words read directly (from word-aligned / any rows); `t`: row-packed words transposed; `g`: four byte loads. */
  readonly a: Int8Load;
  readonly b: Int8Load;
  readonly batchRank: number;
  readonly dot: Int8Dot;
}

/** How an operand's K-packed words are staged (see the file comment). */
export type Int8Load = 'w' | 'u' | 't' | 'g';

/** WGSL staging one operand's tile (`rows` × quads words) into workgroup memory `tile_<name>`. */
function stage(o: {
  name: 'a' | 'b';
  layout: Int8Load;
  rows: number;
  quads: number;
  threads: number;
  r0: string;
  rLimit: string;
  base: string;
  rs: string;
  ks: string;
}): string {
  const { name: n, layout, rows, quads, threads } = o;
  const out: string[] = [];
  if (layout === 't') {
    // a 4×4 byte block per slot: the words of rows r…r+3 at k…k+3 (K rows of 4 row-contiguous
    // bytes), transposed into the rows' K-packed words; rows past the limit are never stored
    const blocks = (rows / 4) * quads;
    for (let l = 0; l < blocks / threads; l++) {
      const e = `(tid + ${l * threads}u)`;
      out.push(`{
    let r4 = ${e} % ${rows / 4}u; let q = ${e} / ${rows / 4}u;
    let row = ${o.r0} + r4 * 4u; let k = k0 + q * 4u;
    var v = vec4<u32>();
    if (row < ${o.rLimit}) {
      let at = ${o.base} + i32(row);
      for (var j = 0u; j < 4u; j++) {
        if (k + j < K) { v[j] = ${n}[u32(at + i32(k + j) * ${o.ks}) >> 2u]; }
      }
    }
    let place = vec4<u32>(1u, 256u, 65536u, 16777216u);
    tile_${n}[q * ${rows / 4}u + r4] = vec4<u32>(dot(v & vec4<u32>(255u), place), dot((v >> vec4<u32>(8u)) & vec4<u32>(255u), place),
      dot((v >> vec4<u32>(16u)) & vec4<u32>(255u), place), dot(v >> vec4<u32>(24u), place));
  }`);
    }
    return out.join('\n  ');
  }
  for (let l = 0; l < (rows * quads) / threads; l++) {
    const e = `(tid + ${l * threads}u)`;
    // walk along K where K is contiguous (`w`, `u`), along rows otherwise
    const alongK = layout === 'w' || layout === 'u';
    const [r, q] = alongK ? [`${e} / ${quads}u`, `${e} % ${quads}u`] : [`${e} % ${rows}u`, `${e} / ${rows}u`];
    const reads = {
      w: `if (row < ${o.rLimit} && k < K) {
      w = ${n}[u32(${o.base} + i32(row) * ${o.rs} + i32(k)) >> 2u];
      if (K - k < 4u) { w &= (1u << ((K - k) * 8u)) - 1u; }
    }`,
      // the run of min(4, K − k) bytes from byte e: the top of one word, then the bottom of the next
      // (read only when the run reaches into it, so never past the operand)
      u: `if (row < ${o.rLimit} && k < K) {
      let e = u32(${o.base} + i32(row) * ${o.rs} + i32(k));
      let shift = (e & 3u) * 8u;
      let need = min(4u, K - k);
      w = ${n}[e >> 2u] >> shift;
      if ((e & 3u) + need > 4u) { w |= ${n}[(e >> 2u) + 1u] << (32u - shift); }
      if (need < 4u) { w &= (1u << (need * 8u)) - 1u; }
    }`,
      g: `if (row < ${o.rLimit}) {
      let at = ${o.base} + i32(row) * ${o.rs};
      for (var j = 0u; j < 4u; j++) {
        if (k + j < K) { w |= byte_${n}(u32(at + i32(k + j) * ${o.ks})) << (j * 8u); }
      }
    }`,
    };
    const read = reads[layout];
    out.push(`{
    let r = ${r}; let q = ${q};
    let row = ${o.r0} + r; let k = k0 + q * 4u;
    var w = 0u;
    ${read}
    tile_${n}[q * ${rows / 4}u + r / 4u][r % 4u] = w;
  }`);
  }
  return out.join('\n  ');
}

/** The kernel for one configuration (see the file comment for the design). */
export const int8MatmulKernel = memoKernel(function int8MatmulKernel(c: Int8MatmulConfig): KernelSource {
  const { bm, bn, tm, tn, quads } = INT8_TILES[c.tile];
  const threadsN = bn / tn;
  const threads = (bm / tm) * threadsN;
  const rows = Array.from({ length: tm }, (_, i) => i);
  const cols4 = Array.from({ length: tn / 4 }, (_, j) => j);
  const acc = (i: number, j: number) => `acc${i}_${j}`;
  const aw = (i: number) => `av${i >> 2}[${i & 3}]`;
  const unpack = (w: string) => `(vec4<i32>(bitcast<i32>(${w})) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u)`;
  const reads = [
    ...Array.from({ length: tm / 4 }, (_, i) => `let av${i} = tile_a[q * ${bm / 4}u + ty * ${tm / 4}u + ${i}u];`),
    ...cols4.map((j) => `let bv${j} = tile_b[q * ${bn / 4}u + tx * ${tn / 4}u + ${j}u];`),
  ];
  const multiply =
    c.dot === 'dot4'
      ? rows.flatMap((i) =>
          cols4.map((j) => `${acc(i, j)} += vec4<i32>(${['x', 'y', 'z', 'w'].map((e) => `dot4I8Packed(${aw(i)}, bv${j}.${e})`).join(', ')});`),
        )
      : [
          ...cols4.flatMap((j) => ['x', 'y', 'z', 'w'].map((e, l) => `let b${j * 4 + l} = ${unpack(`bv${j}.${e}`)};`)),
          ...rows.map(
            (i) =>
              `{ let a = ${unpack(aw(i))};\n        ${cols4.map((j) => `${acc(i, j)} += vec4<i32>(${[0, 1, 2, 3].map((l) => `dot(a, b${j * 4 + l})`).join(', ')});`).join('\n        ')} }`,
          ),
        ];
  const operand = (name: 'a' | 'b', layout: Int8Load, rows: number) =>
    name === 'a'
      ? stage({ name, layout, rows, quads, threads, r0: 'm0', rLimit: 'M', base: 'aBase', rs: 'aSm', ks: 'aSk' })
      : stage({ name, layout, rows, quads, threads, r0: 'n0', rLimit: 'N', base: 'bBase', rs: 'bSn', ks: 'bSk' });
  const store = rows.map(
    (i) => `if (row0 + ${i}u < M) {
    let at = outBase + (row0 + ${i}u) * N + col0;
    ${cols4.flatMap((j) => [0, 1, 2, 3].map((l) => `if (col0 + ${j * 4 + l}u < N) { out[at + ${j * 4 + l}u] = ${acc(i, j)}[${l}]; }`)).join('\n    ')}
  }`,
  );
  return {
    key: `matmul-int8:${c.tile}:a${c.a}:b${c.b}:r${c.batchRank}:${c.dot}`,
    workgroupSize: [threads, 1, 1],
    code: wgsl`
@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;
@group(0) @binding(3) var<storage, read> p: array<u32>;
${stridedIndexWgsl(c.batchRank, GEMM_PARAM_BASE, 'batchOffset')}
${loadFn('byte_a', 'a', 'uint8')}
${loadFn('byte_b', 'b', 'uint8')}
var<workgroup> tile_a: array<vec4<u32>, ${(quads * bm) / 4}>;
var<workgroup> tile_b: array<vec4<u32>, ${(quads * bn) / 4}>;

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  ${GEMM_PARAMS_WGSL}
  let m0 = wg.y * ${bm}u;
  let n0 = wg.x * ${bn}u;
  let tx = tid % ${threadsN}u;
  let ty = tid / ${threadsN}u;
  ${rows.flatMap((i) => cols4.map((j) => `var ${acc(i, j)} = vec4<i32>();`)).join(' ')}
  for (var k0 = 0u; k0 < K; k0 += ${quads * 4}u) {
  ${operand('a', c.a, bm)}
  ${operand('b', c.b, bn)}
    workgroupBarrier();
    for (var q = 0u; q < ${quads}u; q++) {
      ${[...reads, ...multiply].join('\n      ')}
    }
    workgroupBarrier();
  }
  let outBase = z * M * N;
  let row0 = m0 + ty * ${tm}u;
  let col0 = n0 + tx * ${tn}u;
  ${store.join('\n  ')}
}`,
  };
});

/** The int8 tile for an M×N product repeated `batch` times. */
export function pickInt8Tile(M: number, N: number, batch: number): Int8TileName {
  const { bm, bn } = INT8_TILES.large;
  return Math.ceil(M / bm) * Math.ceil(N / bn) * batch >= 16 ? 'large' : 'small';
}

const aligned = (...xs: number[]) => xs.every((x) => x % 4 === 0);

/**
 * out = a · b for int8 views a [...batch, M, K], b [...batch, K, N] (same batch shape, broadcast
 * through stride 0, any strides) → out contiguous int32 [...batch, M, N]. `tile` overrides
 * {@link pickInt8Tile}; `dot` is the runtime's choice unless given.
 */
export function matmulInt8(rt: Runtime, a: View, b: View, out: Storage, opts: { tile?: Int8TileName; dot?: Int8Dot } = {}): void {
  const r = a.shape.length;
  const [M, K] = a.shape.slice(r - 2);
  const N = b.shape[r - 1];
  const [aSm, aSk] = a.strides.slice(r - 2);
  const [bSk, bSn] = b.strides.slice(r - 2);
  const batchShape = a.shape.slice(0, r - 2);
  const batch = batchShape.reduce((n, d) => n * d, 1);
  if (M === 0 || N === 0 || batch === 0) return;
  const c = gemmBatch(batchShape, a.strides.slice(0, r - 2), b.strides.slice(0, r - 2));
  // K-packed words are the stored words when K is contiguous and every row starts a word (`w`);
  // when the rows are contiguous and every K index starts a word, 4×4 blocks transpose (`t`)
  const words = (rows: number, rs: number, ks: number, offset: number, bs: readonly number[]): Int8Load => {
    if (K <= 1 || ks === 1) return (rows <= 1 || aligned(rs)) && aligned(offset, ...bs) ? 'w' : 'u';
    return (rows <= 1 || rs === 1) && (K <= 1 || aligned(ks)) && aligned(offset, ...bs) ? 't' : 'g';
  };
  const tile = opts.tile ?? pickInt8Tile(M, N, batch);
  const kernel = int8MatmulKernel({
    tile,
    a: words(M, aSm, aSk, a.offset, c.strides[0]),
    b: words(N, bSn, bSk, b.offset, c.strides[1]),
    batchRank: c.shape.length,
    dot: opts.dot ?? rt.int8Dot,
  });
  const { bm, bn } = INT8_TILES[tile];
  for (let z0 = 0; z0 < batch; z0 += MAX_WORKGROUPS_PER_DIM) {
    const p = gemmParams(M, N, K, { offset: a.offset, rowStride: aSm, kStride: aSk }, { offset: b.offset, rowStride: bSn, kStride: bSk }, z0, c);
    const grid = [Math.ceil(N / bn), Math.ceil(M / bm), Math.min(MAX_WORKGROUPS_PER_DIM, batch - z0)];
    rt.dispatch(kernel, [bufferOf(a), bufferOf(b), bufferOf(out)], p, grid);
  }
}
