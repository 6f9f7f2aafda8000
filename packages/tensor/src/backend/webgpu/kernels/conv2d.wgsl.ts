/**
 * 2-D convolution and its two gradients as implicit GEMMs on the tiled matmul generator
 * (`matmul.wgsl.ts`): no im2col buffer is ever written; load hooks gather image taps while a tile
 * is loaded into workgroup memory, so conv gets matmul's register tiling, tile choice and tuning.
 *
 * Each primitive is one batched GEMM `out[z] = A[z] · B[z]` whose contiguous [M, N] result per
 * batch index is already the NCHW (or OIHW) output, so the generator's own store writes it:
 *
 * | primitive            | batch z  | rows M    | cols N          | reduction K       | A          | B                 |
 * |----------------------|----------|-----------|-----------------|-------------------|------------|-------------------|
 * | conv2d               | (n, g)   | o in g    | (oh, ow)        | (c, i, j)         | w          | x tap (hook)      |
 * | conv2dBackwardInput  | (n, g)   | c in g    | (ih, iw)        | (o, i, j)         | w (hook)   | gy, if a tap (hook) |
 * | conv2dBackwardWeight | g        | o in g    | (c, i, j)       | (n, oh, ow)       | gy (hook)  | x tap (hook)      |
 *
 * Taps outside the image (padding) read 0. In the backward-input gather, input row ih receives
 * from output row oh through tap i when ih + ph − i·dh = oh·sh, so only taps where that is
 * divisible by the stride contribute. Operands that are plain strided matrices take the
 * generator's strided (and, when aligned, vec4) loads instead of a hook: the weight in the
 * forward pass, and for 1×1 kernels at stride 1 without padding ("pointwise") the image too.
 * Groups and the batch are the GEMM's batch dims (through their strides, stride 0 for the weight
 * over n). Hooks read the geometry from the param words after the batch layout (`GEOMETRY`).
 * Each loaded element slot splits its reduction index into counters once, before the K loop, and
 * steps them with carries ({@link digits}): integer division, which lavapipe (and most GPUs) runs
 * one lane at a time, stays out of the K loop except for the backward-input gather at stride > 1.
 */
import type { Conv2dParams, Storage, View } from '../../backend';
import type { Shape } from '../../../shape';
import type { Runtime } from '../runtime';
import type { ParamWriter } from '../wgsl/params';
import type { MatmulLoad } from './matmul-loader';
import { reduce } from '../codegen/reduce';
import { scratchStorage } from '../storage';
import { type Gemm, gemm, pickTile } from './matmul.wgsl';

/** The geometry words the hooks read, in order (`cv_<name>()` in WGSL; the two paddings as i32). */
const GEOMETRY = ['C', 'H', 'W', 'O', 'Ho', 'Wo', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'Cg', 'Og'] as const;
type Geometry = Record<(typeof GEOMETRY)[number], number>;

const geometryWgsl = (first: number) =>
  GEOMETRY.map((g, i) =>
    g === 'ph' || g === 'pw' ? `fn cv_${g}() -> i32 { return bitcast<i32>(p[${first + i}u]); }` : `fn cv_${g}() -> u32 { return p[${first + i}u]; }`,
  ).join('\n');

/**
 * The WGSL helpers behind the hooks, each reading one operand binding (`a` or `b`, scalar `S`).
 * `cv_x`: x at row y, column x of the channel plane starting at `at`, 0 in the padding. `cv_gy`:
 * the gy element an input pixel receives through a tap, at (ty, tx) = (ih + ph − i·dh, iw + pw −
 * j·dw): output (ty / sh, tx / sw) when both divide exactly and lie inside, else 0.
 */
const HELPERS = {
  x: `
fn cv_x(y: i32, x: i32, at: i32) -> S {
  if (y < 0 || x < 0 || y >= i32(cv_H()) || x >= i32(cv_W())) { return S(0); }
  return b[u32(at + y * i32(cv_W()) + x)];
}`,
  gy: `
fn cv_gy(ty: i32, tx: i32, at: i32) -> S {
  if (ty < 0 || tx < 0) { return S(0); }
  var oh = u32(ty); var ow = u32(tx);
  if (cv_sh() != 1u || cv_sw() != 1u) {
    if (oh % cv_sh() != 0u || ow % cv_sw() != 0u) { return S(0); }
    oh = oh / cv_sh(); ow = ow / cv_sw();
  }
  if (oh >= cv_Ho() || ow >= cv_Wo()) { return S(0); }
  return b[u32(at + i32(oh * cv_Wo() + ow))];
}`,
};

/**
 * A slot's reduction index k as mixed-radix digits `names` (most significant first, unbounded; each
 * later one below its radix in `radices`): `init` splits the first k (and the step BK, once), `next`
 * adds BK with one conditional carry per digit (a digit plus a carry plus the step's digit stays
 * below twice its radix), so the K loop never divides.
 */
function digits(id: string, names: string[], radixExprs: string[]) {
  const radices = radixExprs.map((r) => `(${r})`);
  const d = (i: number) => `${id}${names[i]}`;
  const s = (i: number) => `${id}s${names[i]}`;
  const split = (k: string, v: (i: number) => string, decl: string) => {
    const out: string[] = [];
    let rest = k;
    for (let i = names.length - 1; i > 0; i--) {
      out.push(`${decl} ${v(i)} = (${rest}) % ${radices[i - 1]};`);
      rest = `(${rest}) / ${radices[i - 1]}`;
    }
    out.push(`${decl} ${v(0)} = ${rest};`);
    return out.join(' ');
  };
  return {
    init: (k: string, step: number) => `${split(k, d, 'var')}\n  ${split(`${step}u`, s, 'let')}`,
    next: () => {
      const out: string[] = [];
      for (let i = names.length - 1; i > 0; i--) {
        out.push(`${d(i)} += ${s(i)}; if (${d(i)} >= ${radices[i - 1]}) { ${d(i)} -= ${radices[i - 1]}; ${d(i - 1)} += 1u; }`);
      }
      out.push(`${d(0)} += ${s(0)};`);
      return out.join('\n    ');
    },
  };
}

/** A hooked operand: its name (in the kernel key), helper, walk through the tile and the hook itself. */
interface Hook {
  name: string;
  helper?: keyof typeof HELPERS;
  along: 'k' | 'rows';
  load: MatmulLoad;
}

/** Build a hook whose reduction index k runs over the digits `names`. */
/* @__NO_SIDE_EFFECTS__ */
function hook(
  name: string,
  along: 'k' | 'rows',
  helper: Hook['helper'],
  names: string[],
  radices: string[],
  setup: (id: string, row: string, base: string) => string,
  load: (id: string) => string,
): Hook {
  return {
    name,
    along,
    ...(helper && { helper }),
    load: {
      setup: (id, row, base, k, step) => `${setup(id, row, base)}\n  ${digits(id, names, radices).init(k, step)}`,
      load: (id) => load(id),
      advance: (id) => digits(id, names, radices).next(),
    },
  };
}

const HOOKS = {
  // B of the forward pass: row = output pixel (oh, ow), k = tap (c, i, j)
  xTap: hook(
    'xTap',
    'rows',
    'x',
    ['c', 'i', 'j'],
    ['cv_kh()', 'cv_kw()'],
    (id, row, base) =>
      `let ${id}y = i32((${row}) / cv_Wo() * cv_sh()) - cv_ph(); let ${id}x = i32((${row}) % cv_Wo() * cv_sw()) - cv_pw(); let ${id}b = ${base};`,
    (id) => `cv_x(${id}y + i32(${id}i * cv_dh()), ${id}x + i32(${id}j * cv_dw()), ${id}b + i32(${id}c * cv_H() * cv_W()))`,
  ),
  // B of the weight gradient: row = tap (c, i, j), k = output position (n, oh, ow)
  xAt: hook(
    'xAt',
    'k',
    'x',
    ['n', 'oh', 'ow'],
    ['cv_Ho()', 'cv_Wo()'],
    (id, row, base) => `let ${id}tj = (${row}) % cv_kw(); let ${id}tt = (${row}) / cv_kw();
  let ${id}y = i32(${id}tt % cv_kh() * cv_dh()) - cv_ph(); let ${id}x = i32(${id}tj * cv_dw()) - cv_pw();
  let ${id}b = ${base} + i32(${id}tt / cv_kh() * cv_H() * cv_W());`,
    (id) => `cv_x(${id}y + i32(${id}oh * cv_sh()), ${id}x + i32(${id}ow * cv_sw()), ${id}b + i32(${id}n * cv_C() * cv_H() * cv_W()))`,
  ),
  // B of the input gradient: row = input pixel (ih, iw), k = (o, i, j)
  gyTap: hook(
    'gyTap',
    'rows',
    'gy',
    ['o', 'i', 'j'],
    ['cv_kh()', 'cv_kw()'],
    (id, row, base) => `let ${id}y = i32((${row}) / cv_W()) + cv_ph(); let ${id}x = i32((${row}) % cv_W()) + cv_pw(); let ${id}b = ${base};`,
    (id) => `cv_gy(${id}y - i32(${id}i * cv_dh()), ${id}x - i32(${id}j * cv_dw()), ${id}b + i32(${id}o * cv_Ho() * cv_Wo()))`,
  ),
  // A of the weight gradient: row = output channel o, k = (n, q): gy[n, o, q]
  gyRow: hook(
    'gyRow',
    'k',
    undefined,
    ['n', 'q'],
    ['cv_Ho() * cv_Wo()'],
    (id, row, base) => `let ${id}b = ${base} + i32((${row}) * cv_Ho() * cv_Wo());`,
    (id) => `a[u32(${id}b + i32(${id}n * cv_O() * cv_Ho() * cv_Wo() + ${id}q))]`,
  ),
  // A of the input gradient: row = input channel c, k = (o, t) with t the tap: w[o, c, t]
  wT: hook(
    'wT',
    'k',
    undefined,
    ['o', 't'],
    ['cv_kh() * cv_kw()'],
    (id, row, base) => `let ${id}b = ${base} + i32((${row}) * cv_kh() * cv_kw());`,
    (id) => `a[u32(${id}b + i32(${id}o * cv_Cg() * cv_kh() * cv_kw() + ${id}t))]`,
  ),
} satisfies Record<string, Hook>;

/** The hooks of one GEMM: their key names the hooks, which is all they bake into the code. */
function hooks(a: Hook | null, b: Hook | null, g: Geometry): NonNullable<Gemm['hooks']> {
  const helpers = [...new Set([a?.helper, b?.helper].filter((h) => h !== undefined))];
  return {
    key: `conv:${a?.name ?? '-'}:${b?.name ?? '-'}`,
    decls: (first) => [geometryWgsl(first), ...helpers.map((h) => HELPERS[h])].join('\n'),
    along: { ...(a && { a: a.along }), ...(b && { b: b.along }) },
    ...(a && { a: a.load }),
    ...(b && { b: b.load }),
    words: (p: ParamWriter) => {
      for (const name of GEOMETRY) {
        if (name === 'ph' || name === 'pw') p.i32(g[name]);
        else p.u32(g[name]);
      }
    },
  };
}

/** The geometry of x [N, C, H, W] ⋆ w [O, Cg, kh, kw] → y [N, O, Ho, Wo]. */
function geometry(xShape: Shape, wShape: Shape, yShape: Shape, p: Conv2dParams): Geometry & { N: number; G: number; pointwise: boolean } {
  const [N, C, H, W] = xShape;
  const [O, Cg, kh, kw] = wShape;
  const [, , Ho, Wo] = yShape;
  const [sh, sw] = p.stride;
  const [ph, pw] = p.padding;
  const [dh, dw] = p.dilation;
  const G = p.groups;
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && ph === 0 && pw === 0 && Ho === H && Wo === W;
  return { N, C, H, W, O, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, Cg, Og: O / G, G, pointwise };
}

/** x [N, C, H, W] ⋆ w [O, C/groups, kh, kw] → out [N, O, Ho, Wo] (`outShape`). */
export function conv2d(rt: Runtime, x: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams): void {
  rt.checkAlive();
  const g = geometry(x.shape, w.shape, outShape, p);
  const { C, H, W, Cg, Og, kh, kw } = g;
  const KR = Cg * kh * kw;
  // out[n, g·Og + o, q] = Σₖ w[g·Og + o, k] · x̂[n, g](k, q)
  gemm(
    rt,
    {
      M: Og,
      N: g.Ho * g.Wo,
      K: KR,
      batchShape: [g.N, g.G],
      a: { storage: w.storage, offset: w.offset, batchStrides: [0, Og * KR], rowStride: KR, kStride: 1 },
      b: { storage: x.storage, offset: x.offset, batchStrides: [C * H * W, Cg * H * W], rowStride: 1, kStride: H * W },
      ...(!g.pointwise && { hooks: hooks(null, HOOKS.xTap, g) }),
    },
    out,
  );
}

/** ∂L/∂x of conv2d: gy [N, O, Ho, Wo], w → out [N, C, H, W] (`outShape`). */
export function conv2dBackwardInput(rt: Runtime, gy: View, w: View, out: Storage, outShape: Shape, p: Conv2dParams): void {
  rt.checkAlive();
  const g = geometry(outShape, w.shape, gy.shape, p);
  const { O, Cg, Og, kh, kw } = g;
  const P = g.Ho * g.Wo;
  const taps = kh * kw;
  // out[n, g·Cg + c, q] = Σ_(o,i,j) w[g·Og + o, c, i, j] · ĝy[n, g]((o, i, j), q)
  const a = taps === 1 ? null : HOOKS.wT;
  const b = g.pointwise ? null : HOOKS.gyTap;
  gemm(
    rt,
    {
      M: Cg,
      N: g.H * g.W,
      K: Og * taps,
      batchShape: [g.N, g.G],
      a: { storage: w.storage, offset: w.offset, batchStrides: [0, Og * Cg * taps], rowStride: 1, kStride: Cg },
      b: { storage: gy.storage, offset: gy.offset, batchStrides: [O * P, Og * P], rowStride: 1, kStride: P },
      ...((a || b) && { hooks: hooks(a, b, g) }),
    },
    out,
  );
}

/**
 * Images per K split of the weight gradient: its GEMM has few output tiles (out channels × taps)
 * and a long reduction over N·Ho·Wo, which one workgroup per tile would walk alone. Splitting the
 * images into chunks (a divisor of N) gives about {@link SPLIT_TARGET} workgroups in all, each
 * reduction still ≥ {@link SPLIT_MIN_K} long; the chunks' partial sums are added by one reduction.
 */
function imagesPerSplit(N: number, P: number, tiles: number): number {
  let chunk = N;
  for (let c = N - 1; c >= 1; c--) {
    if (N % c !== 0) continue;
    if (c * P < SPLIT_MIN_K || tiles * (N / c) > SPLIT_TARGET) break;
    chunk = c;
  }
  return chunk;
}
const SPLIT_TARGET = 128;
const SPLIT_MIN_K = 256;

/** ∂L/∂w of conv2d: x [N, C, H, W], gy [N, O, Ho, Wo] → out [O, C/groups, kh, kw] (`outShape`), summed over the batch. */
export function conv2dBackwardWeight(rt: Runtime, x: View, gy: View, out: Storage, outShape: Shape, p: Conv2dParams): void {
  rt.checkAlive();
  const g = geometry(x.shape, outShape, gy.shape, p);
  const { C, H, W, O, Cg, Og, kh, kw } = g;
  const P = g.Ho * g.Wo;
  const taps = Cg * kh * kw;
  // out[g·Og + o, (c, i, j)] = Σ_(n, q) gy[n, g·Og + o, q] · x̂[g]((n, q), (c, i, j)), the images
  // taken `chunk` at a time: split s sums images s·chunk … (s + 1)·chunk − 1
  const tile = pickTile(Og, taps, g.G);
  const chunk = imagesPerSplit(g.N, P, Math.ceil(Og / tile.bm) * Math.ceil(taps / tile.bn) * g.G);
  const splits = chunk === 0 ? 1 : g.N / chunk; // an empty batch: one GEMM with K = 0 writes the zeros
  const single = g.N === 1;
  const a = single ? null : HOOKS.gyRow;
  const b = single && g.pointwise ? null : HOOKS.xAt;
  const partial = splits > 1 ? scratchStorage(rt, splits * g.G * Og * taps) : null;
  gemm(
    rt,
    {
      M: Og,
      N: taps,
      K: chunk * P,
      batchShape: [splits, g.G],
      a: { storage: gy.storage, offset: gy.offset, batchStrides: [chunk * O * P, Og * P], rowStride: P, kStride: 1 },
      b: { storage: x.storage, offset: x.offset, batchStrides: [chunk * C * H * W, Cg * H * W], rowStride: H * W, kStride: 1 },
      ...((a || b) && { hooks: hooks(a, b, g) }),
    },
    partial ?? out,
    tile,
  );
  if (partial) {
    const size = g.G * Og * taps;
    reduce(rt, 'sum', { storage: partial, shape: [splits, size], strides: [size, 1], offset: 0 }, [0], out);
    rt.releaseBuffer(partial.buffer);
  }
}
