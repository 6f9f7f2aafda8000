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
 */
import type { Conv2dParams, Storage, View } from '../../backend';
import type { Shape } from '../../../shape';
import type { Runtime } from '../runtime';
import type { ParamWriter } from '../wgsl/params';
import type { MatmulLoad } from './matmul-loader';
import { type Gemm, gemm } from './matmul.wgsl';

/** The geometry words the hooks read, in order (`cv_<name>()` in WGSL; the two paddings as i32). */
const GEOMETRY = ['C', 'H', 'W', 'O', 'Ho', 'Wo', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'Cg', 'Og'] as const;
type Geometry = Record<(typeof GEOMETRY)[number], number>;

const geometryWgsl = (first: number) =>
  GEOMETRY.map((g, i) =>
    g === 'ph' || g === 'pw'
      ? `fn cv_${g}() -> i32 { return bitcast<i32>(p[${first + i}u]); }`
      : `fn cv_${g}() -> u32 { return p[${first + i}u]; }`,
  ).join('\n');

/**
 * The WGSL helpers behind the hooks. Each reads one operand binding (`a` or `b`, scalar `S`).
 * Integer division and remainder split a GEMM index into tensor coordinates.
 */
const TAPS = {
  // x[base + (c·H + y0 + i·dh)·W + x0 + j·dw] for tap k = (c, i, j), where (y0, x0) is the output
  // pixel's top-left input position (may lie in the padding)
  xTap: `
fn cv_xTap(y0: i32, x0: i32, base: i32, k: u32) -> S {
  let j = k % cv_kw(); let t = k / cv_kw(); let i = t % cv_kh(); let c = t / cv_kh();
  let y = y0 + i32(i * cv_dh()); let x = x0 + i32(j * cv_dw());
  if (y < 0 || x < 0 || y >= i32(cv_H()) || x >= i32(cv_W())) { return S(0); }
  return b[u32(base + i32(c * cv_H() * cv_W()) + y * i32(cv_W()) + x)];
}`,
  // x[base + n·C·H·W + (y0 + oh·sh)·W + x0 + ow·sw] for r = (n, oh, ow), where (y0, x0) is the
  // tap's offset from the window corner and base includes its channel
  xAt: `
fn cv_xAt(y0: i32, x0: i32, base: i32, r: u32) -> S {
  let ow = r % cv_Wo(); let t = r / cv_Wo(); let oh = t % cv_Ho(); let n = t / cv_Ho();
  let y = y0 + i32(oh * cv_sh()); let x = x0 + i32(ow * cv_sw());
  if (y < 0 || x < 0 || y >= i32(cv_H()) || x >= i32(cv_W())) { return S(0); }
  return b[u32(base + i32(n * cv_C() * cv_H() * cv_W()) + y * i32(cv_W()) + x)];
}`,
  // gy[base + ((o·Ho + oh)·Wo + ow)] for k = (o, i, j), where (y0, x0) = (ih + ph, iw + pw) and
  // oh = (y0 − i·dh) / sh when that is a whole output row (likewise ow); 0 otherwise
  gyTap: `
fn cv_gyTap(y0: i32, x0: i32, base: i32, k: u32) -> S {
  let j = k % cv_kw(); let t = k / cv_kw(); let i = t % cv_kh(); let o = t / cv_kh();
  let ty = y0 - i32(i * cv_dh()); let tx = x0 - i32(j * cv_dw());
  if (ty < 0 || tx < 0) { return S(0); }
  let uy = u32(ty); let ux = u32(tx);
  if (uy % cv_sh() != 0u || ux % cv_sw() != 0u) { return S(0); }
  let oh = uy / cv_sh(); let ow = ux / cv_sw();
  if (oh >= cv_Ho() || ow >= cv_Wo()) { return S(0); }
  return b[u32(base + i32((o * cv_Ho() + oh) * cv_Wo() + ow))];
}`,
  // gy[base + n·O·Ho·Wo + p] for r = (n, p), base at the row's channel
  gyRow: `
fn cv_gyRow(base: i32, r: u32) -> S {
  let P = cv_Ho() * cv_Wo();
  return a[u32(base + i32((r / P) * cv_O() * P + r % P))];
}`,
  // w[base + o·Cg·kh·kw + (i, j)] for k = (o, i, j), base at the row's input channel
  wT: `
fn cv_wT(base: i32, k: u32) -> S {
  let taps = cv_kh() * cv_kw();
  return a[u32(base + i32((k / taps) * cv_Cg() * taps + k % taps))];
}`,
};

/** A hooked operand: its helper, its walk through the tile and the hook itself. */
interface Hook {
  helper: keyof typeof TAPS;
  along: 'k' | 'rows';
  load: MatmulLoad;
}

const HOOKS = {
  // B of the forward pass: row = output pixel (oh, ow)
  xTap: { helper: 'xTap', along: 'rows', load: {
    setup: (id, row, base) => `let ${id}y = i32((${row}) / cv_Wo() * cv_sh()) - cv_ph(); let ${id}x = i32((${row}) % cv_Wo() * cv_sw()) - cv_pw(); let ${id}b = ${base};`,
    load: (id, k) => `cv_xTap(${id}y, ${id}x, ${id}b, ${k})`,
  } },
  // B of the weight gradient: row = tap (c, i, j)
  xAt: { helper: 'xAt', along: 'k', load: {
    setup: (id, row, base) => `let ${id}j = (${row}) % cv_kw(); let ${id}t = (${row}) / cv_kw();
  let ${id}y = i32(${id}t % cv_kh() * cv_dh()) - cv_ph(); let ${id}x = i32(${id}j * cv_dw()) - cv_pw();
  let ${id}b = ${base} + i32(${id}t / cv_kh() * cv_H() * cv_W());`,
    load: (id, k) => `cv_xAt(${id}y, ${id}x, ${id}b, ${k})`,
  } },
  // B of the input gradient: row = input pixel (ih, iw)
  gyTap: { helper: 'gyTap', along: 'rows', load: {
    setup: (id, row, base) => `let ${id}y = i32((${row}) / cv_W()) + cv_ph(); let ${id}x = i32((${row}) % cv_W()) + cv_pw(); let ${id}b = ${base};`,
    load: (id, k) => `cv_gyTap(${id}y, ${id}x, ${id}b, ${k})`,
  } },
  // A of the weight gradient: row = output channel o
  gyRow: { helper: 'gyRow', along: 'k', load: {
    setup: (id, row, base) => `let ${id}b = ${base} + i32((${row}) * cv_Ho() * cv_Wo());`,
    load: (id, k) => `cv_gyRow(${id}b, ${k})`,
  } },
  // A of the input gradient: row = input channel c
  wT: { helper: 'wT', along: 'k', load: {
    setup: (id, row, base) => `let ${id}b = ${base} + i32((${row}) * cv_kh() * cv_kw());`,
    load: (id, k) => `cv_wT(${id}b, ${k})`,
  } },
} satisfies Record<string, Hook>;

/** The hooks of one GEMM: their key names the helpers, which is all they bake into the code. */
function hooks(a: Hook | null, b: Hook | null, g: Geometry): NonNullable<Gemm['hooks']> {
  const used = [a, b].filter((h): h is Hook => h !== null);
  return {
    key: `conv:${a?.helper ?? '-'}:${b?.helper ?? '-'}`,
    decls: (first) => [geometryWgsl(first), ...used.map((h) => TAPS[h.helper])].join('\n'),
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
  gemm(rt, {
    M: Og, N: g.Ho * g.Wo, K: KR, batchShape: [g.N, g.G],
    a: { storage: w.storage, offset: w.offset, batchStrides: [0, Og * KR], rowStride: KR, kStride: 1 },
    b: { storage: x.storage, offset: x.offset, batchStrides: [C * H * W, Cg * H * W], rowStride: 1, kStride: H * W },
    ...(!g.pointwise && { hooks: hooks(null, HOOKS.xTap, g) }),
  }, out);
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
  gemm(rt, {
    M: Cg, N: g.H * g.W, K: Og * taps, batchShape: [g.N, g.G],
    a: { storage: w.storage, offset: w.offset, batchStrides: [0, Og * Cg * taps], rowStride: 1, kStride: Cg },
    b: { storage: gy.storage, offset: gy.offset, batchStrides: [O * P, Og * P], rowStride: 1, kStride: P },
    ...((a || b) && { hooks: hooks(a, b, g) }),
  }, out);
}

/** ∂L/∂w of conv2d: x [N, C, H, W], gy [N, O, Ho, Wo] → out [O, C/groups, kh, kw] (`outShape`), summed over the batch. */
export function conv2dBackwardWeight(rt: Runtime, x: View, gy: View, out: Storage, outShape: Shape, p: Conv2dParams): void {
  rt.checkAlive();
  const g = geometry(x.shape, outShape, gy.shape, p);
  const { H, W, Cg, Og, kh, kw } = g;
  const P = g.Ho * g.Wo;
  // out[g·Og + o, (c, i, j)] = Σ_(n, q) gy[n, g·Og + o, q] · x̂[g]((n, q), (c, i, j))
  const single = g.N === 1;
  const a = single ? null : HOOKS.gyRow;
  const b = single && g.pointwise ? null : HOOKS.xAt;
  gemm(rt, {
    M: Og, N: Cg * kh * kw, K: g.N * P, batchShape: [g.G],
    a: { storage: gy.storage, offset: gy.offset, batchStrides: [Og * P], rowStride: P, kStride: 1 },
    b: { storage: x.storage, offset: x.offset, batchStrides: [Cg * H * W], rowStride: H * W, kStride: 1 },
    ...((a || b) && { hooks: hooks(a, b, g) }),
  }, out);
}
