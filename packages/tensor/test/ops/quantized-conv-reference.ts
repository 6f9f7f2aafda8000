// PyTorch's quantized conv2d (fbgemm, float bias) written out by hand from its definition, for
// the tests: integer window sums of (x − x_zp)·(w − w_zp[j]) (padding holds x_zp, so contributes
// 0), then in float32 step by step (the scales float32 too): m = fl(s_x·s_w[j]), f = fl(fl(raw) + fl(bias/m)),
// q = clamp(roundHalfEven(fl(f·fl(m/s_y))) + y_zp, qmin, qmax). Written independently of the
// kernels: direct loops, no im2col, Math.round with an explicit tie fix.

const f32 = Math.fround;

/** Round half to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties toward +∞
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface RefConv {
  x: ArrayLike<number>;
  xShape: number[];
  w: ArrayLike<number>;
  wShape: number[];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
  xScale: number;
  xZero: number;
  wScale: number[];
  wZero: number[];
  bias?: number[];
  /** Omitted: the float (dynamic) result fl(fl(raw)·s_x)·s_w + bias. */
  out?: { scale: number; zero: number; qmin: number; qmax: number; dequantize?: boolean };
}

/** The NCHW result, row-major. */
export function referenceQuantizedConv2d(c: RefConv): number[] {
  const [N, C, H, W] = c.xShape;
  const [O, cg, kh, kw] = c.wShape;
  const [sh, sw] = c.stride ?? [1, 1];
  const [ph, pw] = c.padding ?? [0, 0];
  const [dh, dw] = c.dilation ?? [1, 1];
  const og = O / (c.groups ?? 1);
  const Ho = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / og);
      for (let oh = 0; oh < Ho; oh++) {
        for (let ow = 0; ow < Wo; ow++) {
          let raw = 0;
          for (let ci = 0; ci < cg; ci++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const ih = oh * sh - ph + i * dh;
                const iw = ow * sw - pw + j * dw;
                const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
                const xv = inside ? c.x[((n * C + g * cg + ci) * H + ih) * W + iw] : c.xZero;
                raw += (xv - c.xZero) * (c.w[((o * cg + ci) * kh + i) * kw + j] - c.wZero[o]);
              }
            }
          }
          const m = f32(f32(c.xScale) * f32(c.wScale[o])); // the scales are float32 (fbgemm's float arithmetic)
          if (!c.out) {
            const y = f32(f32(f32(raw) * f32(c.xScale)) * f32(c.wScale[o]));
            out.push(c.bias ? f32(y + f32(c.bias[o])) : y);
            continue;
          }
          let f = f32(raw);
          if (c.bias) f = f32(f + f32(f32(c.bias[o]) / m));
          const q = Math.min(c.out.qmax, Math.max(c.out.qmin, roundHalfEven(f32(f * f32(m / f32(c.out.scale)))) + c.out.zero));
          out.push(c.out.dequantize ? f32((q - c.out.zero) * f32(c.out.scale)) : q);
        }
      }
    }
  }
  return out;
}
