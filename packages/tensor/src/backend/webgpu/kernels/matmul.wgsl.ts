/**
 * Batched float32 matrix multiply on WebGPU: out[z] = A[z] · B[z], A [M, K], B [K, N] with any
 * strides (transposed and stride-0 broadcast operands are read in place, never copied), out
 * contiguous [batch, M, N]. int8 operands (packed four per word) go to their own kernel,
 * `matmul-int8.wgsl.ts` (exact int32 products with `dot4I8Packed`).
 *
 * Register tiling. A workgroup owns a BM×BN block of out; each thread a TM×TN sub-tile kept in
 * TM·TN/4 `vec4f` accumulators. K is streamed in BK-deep steps: every thread loads its share of
 * the A (BM×BK) and B (BK×BN) tiles into workgroup memory, stored k-major (`As[k][m]`,
 * `Bs[k][n]`, as vec4f) so the inner loop reads TM/4 + TN/4 vec4s per k and issues TM·TN/4 vector
 * FMAs. A thread's 8×8 sub-tile in the large config is 2×2 runs of 4 spread over the block's
 * halves (rows 4·ty and 64 + 4·ty), not one contiguous 8×8 square: neighbouring threads then read
 * neighbouring vec4s of workgroup memory (a contiguous square makes them 32 bytes apart, a 2-way
 * bank conflict on NVIDIA's 128-bit loads) and write neighbouring output addresses. The TM×TN FMAs
 * and the stores are unrolled in the generated code; the BK loop has a constant bound for the
 * driver to unroll. Each thread's share of a tile load goes through named registers whose
 * positions (row, k, bounds, address) are computed once, before the K loop. A plain kernel of
 * this shape measured ~27 TFLOP/s on an H100 at 4096; ours is not yet measured on a real GPU.
 *
 * | config | BM×BN×BK    | TM×TN | threads | workgroup memory | picked when                         |
 * |--------|-------------|-------|---------|------------------|-------------------------------------|
 * | large  | 128×128×16  | 8×8   | 256     | 16 KiB           | ≥ 128 such blocks (fills a big GPU)  |
 * | medium | 64×64×16    | 4×4   | 256     | 8 KiB            | ≥ 64 such blocks                    |
 * | small  | 32×32×16    | 4×4   | 64      | 4 KiB            | otherwise                           |
 *
 * Tuning candidates for the large tile (`large-bk8`, `large-db`, …), never picked by shape, live in
 * `matmul-candidates.ts`; they are forced with `init({ webgpu: { matmulTile } })` and measured by
 * benchmarks/matmul-tune.mjs.
 *
 * Operand layouts (baked into the kernel and its key): A is `k` when its K stride is 1
 * (row-major), `m` when its M stride is 1 (a transposed view), `g` otherwise (generic strided
 * scalar loads); B likewise `n`, `k` or `g`. Threads walk the tile along the unit-stride dim so
 * global reads coalesce. A `4` suffix marks vec4 global loads, used when the operand's offset,
 * its other strides and its contiguous extent are all multiples of 4 (every vec4 then lies
 * wholly inside or wholly outside the matrix). Stores are scalar (once per tile, off the hot
 * loop), which keeps the variant count — and lavapipe's compile time in tests — down.
 * Edge tiles load zeros outside [M, K] / [K, N] and store under bounds checks, so any M, N, K
 * (1, primes, K = 0) work. Batch is the grid's z; batch offsets come from the collapsed batch
 * dims' strides (`wgsl/strided.ts` layout, rank ≥ 1 so a 2-D product shares the batch-1
 * kernel), so broadcast batch dims cost nothing.
 *
 * Load hooks ({@link MatmulHooks}) replace how an operand's element (row, k) is read, so other
 * GEMM-shaped kernels get this tiling: conv2d's implicit GEMMs (`conv2d.wgsl.ts`) gather image
 * taps with them. A hook's loads are scalar and walk the tile along K (`k`) or along rows (`m`/`n`);
 * the generator keeps the bounds checks, zero fill, registers and workgroup layout. Without hooks
 * the generated code is exactly the plain strided matmul's.
 *
 * Params (u32 words): M, N, K, A's M and K strides, B's K and N strides (i32 bits), zBase (first
 * batch index of this dispatch), then the batch layout written by `writeStrided`, then the hooks' own words.
 */
import type { Storage, View } from '../../backend';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { MAX_WORKGROUPS_PER_DIM } from '../wgsl/grid';
import type { ParamWriter } from '../wgsl/params';
import { stridedIndexWgsl, stridedWords } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';
import { matmulInt8 } from './matmul-int8.wgsl';
import { type MatmulHooks, operandLoader } from './matmul-loader';
import { GEMM_PARAM_BASE, GEMM_PARAMS_WGSL, gemmBatch, gemmParams } from './matmul-params';

/**
 * A tile configuration: block BM×BN, K step BK, per-thread sub-tile TM×TN (multiples of 4);
 * `buffers` 2 double-buffers the workgroup tiles (the next K step is fetched into registers while
 * the current one is multiplied; one barrier per step); `kOrder` is how threads walk a tile of an
 * operand read with vec4s along K: `k` puts BK/4 neighbouring threads on one row (global reads
 * coalesce, the transposing stores into workgroup memory hit one bank 4 times), `rows` puts
 * neighbouring threads on neighbouring rows (conflict-free stores, each read half a 32-byte sector).
 * `group` G > 0 orders the blocks in bands of G block-rows, column by column within a band, so
 * workgroups running at the same time share A and B panels in L2 (0: row by row). `warp` arranges
 * each 32 consecutive threads (an NVIDIA warp) as a 4×8 block of the thread grid instead of two
 * rows of it, so a warp reads 4 + 8 distinct vec4s of A and B per k and per sub-tile run instead
 * of 2 + 16 (less workgroup-memory traffic); any other subgroup size gets the same result.
 * `unroll` writes out the BK steps of the inner loop in the WGSL (constant workgroup-memory
 * offsets) instead of leaving the unrolling of a counted loop to the driver.
 */
export interface MatmulTile {
  readonly name: string;
  readonly bm: number;
  readonly bn: number;
  readonly bk: number;
  readonly tm: number;
  readonly tn: number;
  readonly buffers: 1 | 2;
  readonly kOrder: 'k' | 'rows';
  readonly group: number;
  readonly warp: boolean;
  readonly unroll: boolean;
}

type TileKnobs = Partial<Pick<MatmulTile, 'buffers' | 'kOrder' | 'group' | 'warp' | 'unroll'>>;

/** A tile configuration named `name` (knobs default to one buffer, `k` order, no grouping, no warp blocks, no unrolling). */
/* @__NO_SIDE_EFFECTS__ */
export function matmulTile(name: string, bm: number, bn: number, bk: number, tm: number, tn: number, k: TileKnobs = {}): MatmulTile {
  return { name, bm, bn, bk, tm, tn, buffers: k.buffers ?? 1, kOrder: k.kOrder ?? 'k', group: k.group ?? 0, warp: k.warp ?? false, unroll: k.unroll ?? false };
}

/**
 * The tile configurations {@link pickTile} chooses from by shape (the tuning candidates are in
 * `matmul-candidates.ts`).
 */
export const SHAPE_TILES = {
  small: matmulTile('small', 32, 32, 16, 4, 4),
  medium: matmulTile('medium', 64, 64, 16, 4, 4),
  large: matmulTile('large', 128, 128, 16, 8, 8),
} as const satisfies Record<string, MatmulTile>;

/** Bytes of workgroup memory a tile configuration's kernel declares. */
export function tileWorkgroupBytes(t: MatmulTile): number {
  return t.buffers * t.bk * (t.bm + t.bn) * 4;
}

/** How an operand is read: along its unit-stride dim (first letter), with vec4 loads (`4`). */
export type ALayout = 'k' | 'm' | 'g' | 'k4' | 'm4';
export type BLayout = 'n' | 'k' | 'g' | 'n4' | 'k4';

/** Everything baked into one matmul kernel. */
export interface MatmulConfig {
  readonly tile: MatmulTile;
  readonly a: ALayout;
  readonly b: BLayout;
  /** Rank of the collapsed batch dims. */
  readonly batchRank: number;
  /** Custom element loads for A and/or B (their layout must then be a scalar `k`, `m` or `n`). */
  readonly hooks?: MatmulHooks;
}

/** The kernel for one configuration (see the file comment for the design). */
export const matmulKernel = memoKernel(function matmulKernel(c: MatmulConfig): KernelSource {
  const t = c.tile;
  const { bm, bn, bk, tm, tn } = t;
  const threadsN = bn / tn;
  const threads = (bm / tm) * threadsN;
  const tn4 = tn / 4;
  const tm4 = tm / 4;
  const double = t.buffers === 2;
  const elem = (layout: string) => (layout.endsWith('4') ? 'V' : 'S');
  const rows = Array.from({ length: tm }, (_, i) => i);
  const quads = Array.from({ length: tn4 }, (_, q) => q);
  const acc = (i: number, q: number) => `acc${i}_${q}`;
  const aSize = (bk * bm) / 4;
  const bSize = (bk * bn) / 4;

  // A thread's TM rows are TM/4 runs of 4, one in each of TM/4 equal slices of the block (a run
  // at bm/(TM/4)·i + 4·ty), and likewise its TN cols; so at each k the threads of a row of the
  // grid read consecutive vec4s of Bs (no bank conflicts) and store to consecutive addresses.
  const rowSlice = bm / tm4;
  const colSlice = bn / tn4;
  const aCur = double ? 'aCur + ' : '';
  const bCur = double ? 'bCur + ' : '';
  const inner = (kk: string) => [
    ...Array.from({ length: tm4 }, (_, i) => `let a${i} = As[${aCur}${kk} * ${bm / 4}u + ${(i * rowSlice) / 4}u + ty];`),
    ...quads.map((q) => `let b${q} = Bs[${bCur}${kk} * ${bn / 4}u + ${(q * colSlice) / 4}u + tx];`),
    ...rows.flatMap((i) => quads.map((q) => `${acc(i, q)} = fma(V(a${i >> 2}[${i & 3}]), b${q}, ${acc(i, q)});`)),
  ];
  const store = rows.map((i) => {
    const body = quads.flatMap((q) =>
      [0, 1, 2, 3].map((e) => {
        const c = `col + ${q * colSlice + e}u`;
        return `if (${c} < N) { out[rowBase + ${c}] = ${acc(i, q)}[${e}]; }`;
      }),
    );
    return `{\n    let row = row0 + ${(i >> 2) * rowSlice + (i & 3)}u;\n    let rowBase = outBase + row * N;\n    if (row < M) {\n      ${body.join('\n      ')}\n    }\n  }`;
  });

  const A = operandLoader(
    { name: 'a', dst: 'As', layout: c.a, outer: bm, r0: 'm0', rLimit: 'M', base: 'aBase', rStride: 'aSm', kStride: 'aSk', hook: c.hooks?.a },
    t,
    threads,
  );
  const B = operandLoader(
    { name: 'b', dst: 'Bs', layout: c.b, outer: bn, r0: 'n0', rLimit: 'N', base: 'bBase', rStride: 'bSn', kStride: 'bSk', hook: c.hooks?.b },
    t,
    threads,
  );
  // the BK steps as a loop the driver may unroll, or unrolled here (constant workgroup addresses)
  const multiply = t.unroll
    ? Array.from({ length: bk }, (_, kk) => `{\n      ${inner(`${kk}u`).join('\n      ')}\n    }`).join('\n    ')
    : `for (var kk = 0u; kk < ${bk}u; kk++) {\n      ${inner('kk').join('\n      ')}\n    }`;
  // single buffer: load, barrier, multiply, barrier. Double: the next step's reads are issued
  // before the multiply and stored into the other buffer after it; the one barrier per step also
  // separates this step's reads of a buffer from the next step's writes to it.
  const kLoop = double
    ? `${A.fetch('0u')}
    ${B.fetch('0u')}
    ${A.put('')}
    ${B.put('')}
  workgroupBarrier();
  var cur = 0u;
  for (var k0 = 0u; k0 < K; k0 += ${bk}u) {
    let aCur = cur * ${aSize}u; let bCur = cur * ${bSize}u;
    let aNext = ${aSize}u - aCur; let bNext = ${bSize}u - bCur;
    ${A.fetch(`k0 + ${bk}u`)}
    ${B.fetch(`k0 + ${bk}u`)}
    ${multiply}
    ${A.put('aNext + ')}
    ${B.put('bNext + ')}
    cur = 1u - cur;
    workgroupBarrier();
  }`
    : `for (var k0 = 0u; k0 < K; k0 += ${bk}u) {
    ${A.fetch('k0')}
    ${B.fetch('k0')}
    ${A.put('')}
    ${B.put('')}
    workgroupBarrier();
    ${multiply}
    workgroupBarrier();
  }`;

  // the thread's place (tx, ty) in the grid of threads: row by row, or each 32 consecutive threads
  // as a 4×8 block (warps of 4×8 blocks laid row by row)
  const threadPosition = t.warp
    ? `let lane = tid % 32u; let w = tid / 32u;
  let tx = (w % ${threadsN / 8}u) * 8u + lane % 8u;
  let ty = (w / ${threadsN / 8}u) * 4u + lane / 8u;`
    : `let tx = tid % ${threadsN}u;
  let ty = tid / ${threadsN}u;`;
  // block (bx, by) of this workgroup: row by row, or in bands of G block-rows walked column by
  // column (the last band may be narrower)
  const blockOrder = t.group
    ? `let lin = wg.y * nwg.x + wg.x; let per = ${t.group}u * nwg.x;
  let first = (lin / per) * ${t.group}u; let bandRows = min(nwg.y - first, ${t.group}u);
  let by = first + (lin % per) % bandRows; let bx = (lin % per) / bandRows;`
    : 'let bx = wg.x; let by = wg.y;';
  const key = `matmul:${t.name}:a${c.a}:b${c.b}:r${c.batchRank}${c.hooks ? `:${c.hooks.key}` : ''}`;
  const decls = c.hooks ? `\n${c.hooks.decls(GEMM_PARAM_BASE + stridedWords(c.batchRank, 2))}` : '';
  return {
    key,
    workgroupSize: [threads, 1, 1],
    code: wgsl`
alias S = f32;
alias V = vec4<S>;
@group(0) @binding(0) var<storage, read> a: array<${elem(c.a)}>;
@group(0) @binding(1) var<storage, read> b: array<${elem(c.b)}>;
@group(0) @binding(2) var<storage, read_write> out: array<S>;
@group(0) @binding(3) var<storage, read> p: array<u32>;
${stridedIndexWgsl(c.batchRank, GEMM_PARAM_BASE, 'batchOffset')}${decls}
var<workgroup> As: array<V, ${t.buffers * aSize}>;
var<workgroup> Bs: array<V, ${t.buffers * bSize}>;

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) tid: u32) {
  ${GEMM_PARAMS_WGSL}
  ${blockOrder}
  let m0 = by * ${bm}u;
  let n0 = bx * ${bn}u;
  ${threadPosition}
  ${A.setup}
  ${B.setup}
  ${rows.flatMap((i) => quads.map((q) => `var ${acc(i, q)} = V();`)).join('\n  ')}
  ${kLoop}
  let outBase = z * M * N;
  let row0 = m0 + ty * 4u;
  let col = n0 + tx * 4u;
  ${store.join('\n  ')}
}`,
  };
});

/** The tile configuration for an M×N product repeated `batch` times. */
export function pickTile(M: number, N: number, batch: number): MatmulTile {
  const blocks = (t: MatmulTile) => Math.ceil(M / t.bm) * Math.ceil(N / t.bn) * batch;
  if (M >= 128 && N >= 128 && blocks(SHAPE_TILES.large) >= 128) return SHAPE_TILES.large;
  if (M >= 64 && N >= 64 && blocks(SHAPE_TILES.medium) >= 64) return SHAPE_TILES.medium;
  return SHAPE_TILES.small;
}

const aligned = (...xs: number[]) => xs.every((x) => x % 4 === 0);

/**
 * The layout of an operand whose rows (`rows` long, stride `rs`) and K dim (`K` long, stride
 * `ks`) come with batch strides `batch` and element offset `offset`. Size-1 dims count as unit
 * stride (their stride is never used).
 */
function operandLayout(rows: number, rs: number, K: number, ks: number, offset: number, batch: readonly number[]): { along: 'r' | 'k' | 'g'; vec4: boolean } {
  if (K <= 1) ks = 1;
  else if (rows <= 1) rs = 1;
  if (ks === 1) return { along: 'k', vec4: aligned(K, rs, offset, ...batch) };
  if (rs === 1) return { along: 'r', vec4: aligned(rows, ks, offset, ...batch) };
  return { along: 'g', vec4: false };
}

/** One operand of {@link gemm}: per batch index a rows × K matrix (rows are M for A, N for B). */
export interface GemmOperand {
  readonly storage: Storage;
  /** Element offset of batch index 0. */
  readonly offset: number;
  /** Strides of the batch dims (stride 0 broadcasts). */
  readonly batchStrides: readonly number[];
  /** Row and K strides of a strided matrix; unused when the operand's load is hooked. */
  readonly rowStride: number;
  readonly kStride: number;
}

/** A batched GEMM: out[z] (contiguous [M, N]) = A[z] · B[z] over the batch dims `batchShape`. */
export interface Gemm {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly batchShape: readonly number[];
  readonly a: GemmOperand;
  readonly b: GemmOperand;
  /** Load hooks, with `along` the way their tiles are walked, and the param words they read. */
  readonly hooks?: MatmulHooks & { readonly along: { readonly a?: 'k' | 'rows'; readonly b?: 'k' | 'rows' }; words(p: ParamWriter): void };
}

/**
 * Dispatch one GEMM through the tiled generator: plain matmuls ({@link matmul}) and implicit
 * GEMMs with load hooks (conv2d). `tile` overrides the configuration {@link pickTile} would choose.
 */
export function gemm(rt: Runtime, g: Gemm, out: Storage, tile?: MatmulTile): void {
  const { M, N, K, a, b, hooks } = g;
  const batchShape = [...g.batchShape];
  const batch = batchShape.reduce((n, d) => n * d, 1);
  if (M === 0 || N === 0 || batch === 0) return;
  const layout = (o: GemmOperand, rows: number, hooked: 'k' | 'rows' | undefined, rowLetter: 'm' | 'n') => {
    if (hooked) return hooked === 'k' ? 'k' : rowLetter;
    const l = operandLayout(rows, o.rowStride, K, o.kStride, o.offset, o.batchStrides);
    return (l.along === 'r' ? rowLetter : l.along) + (l.vec4 ? '4' : '');
  };
  const aLayout = layout(a, M, hooks?.along.a, 'm') as ALayout;
  const bLayout = layout(b, N, hooks?.along.b, 'n') as BLayout;
  tile ??= pickTile(M, N, batch);
  const grid = [Math.ceil(N / tile.bn), Math.ceil(M / tile.bm)];
  const c = gemmBatch(batchShape, a.batchStrides, b.batchStrides);
  for (let z0 = 0; z0 < batch; z0 += MAX_WORKGROUPS_PER_DIM) {
    const p = gemmParams(M, N, K, a, b, z0, c);
    hooks?.words(p);
    const kernel = matmulKernel({ tile, a: aLayout, b: bLayout, batchRank: c.shape.length, ...(hooks && { hooks }) });
    rt.dispatch(kernel, [bufferOf(a.storage), bufferOf(b.storage), bufferOf(out)], p, [...grid, Math.min(MAX_WORKGROUPS_PER_DIM, batch - z0)]);
  }
}

/**
 * out = a · b per the `Backend.matmul` contract: a [...batch, M, K], b [...batch, K, N] (same
 * batch shape, broadcast through stride 0, any strides) → out contiguous float32 [...batch, M, N],
 * or int32 for int8 operands (`matmulInt8`; a `tile` of at most 32 rows forces its small tile,
 * any other its large one). `tile` overrides the configuration {@link pickTile} would choose
 * (tests run every config).
 */
export function matmul(rt: Runtime, a: View, b: View, out: Storage, tile?: MatmulTile): void {
  rt.checkAlive();
  if (a.storage.dtype === 'int8') {
    matmulInt8(rt, a, b, out, tile && { tile: tile.bm <= 32 ? 'small' : 'large' });
    return;
  }
  const r = a.shape.length;
  const [M, K] = a.shape.slice(r - 2);
  const [aSm, aSk] = a.strides.slice(r - 2);
  const [bSk, bSn] = b.strides.slice(r - 2);
  gemm(
    rt,
    {
      M,
      N: b.shape[r - 1],
      K,
      batchShape: a.shape.slice(0, r - 2),
      a: { storage: a.storage, offset: a.offset, batchStrides: a.strides.slice(0, r - 2), rowStride: aSm, kStride: aSk },
      b: { storage: b.storage, offset: b.offset, batchStrides: b.strides.slice(0, r - 2), rowStride: bSn, kStride: bSk },
    },
    out,
    tile,
  );
}
