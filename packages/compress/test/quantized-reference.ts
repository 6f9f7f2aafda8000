// A plain-JavaScript transcription of PyTorch's fbgemm reference path (ReQuantizeOutput with a
// float bias), element by element on host arrays, to check the tensor-op pipeline against.
const f = Math.fround;

/** nearbyint: round half to even. */
export function rint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** PyTorch's quantize: clamp(zp + nearbyint(x · fl(1/scale)), qmin, qmax). */
export function quantize(x: ArrayLike<number>, scale: number, zp: number, qmin: number, qmax: number): number[] {
  const inv = f(1 / f(scale));
  return Array.from(x, (v) => Math.min(qmax, Math.max(qmin, zp + rint(f(f(v) * inv)))));
}

export interface RefLayer {
  /** int8 weight [N, K] row-major */
  w: ArrayLike<number>;
  wScale: ArrayLike<number>;
  wZp: ArrayLike<number>;
  bias: ArrayLike<number> | null;
  inScale: number;
  inZp: number;
  outScale: number;
  outZp: number;
  qmin: number;
  qmax: number;
  relu?: boolean;
}

/** fbgemm's requantized output for quantized rows xq [M, K] (values in the activation dtype), dequantized. */
export function refRequantize(xq: number[], m: number, k: number, l: RefLayer): number[] {
  const n = l.wScale.length;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let raw = 0;
      for (let t = 0; t < k; t++) raw += (xq[i * k + t] - l.inZp) * (l.w[j * k + t] - l.wZp[j]);
      const actW = f(f(l.inScale) * f(l.wScale[j]));
      let rawF = f(raw);
      if (l.bias) rawF = f(rawF + f(l.bias[j] / actW));
      const ab = f(rawF * f(actW / f(l.outScale)));
      const q = Math.min(l.qmax, Math.max(l.relu ? l.outZp : l.qmin, rint(ab) + l.outZp));
      out.push(f((q - l.outZp) * f(l.outScale)));
    }
  }
  return out;
}

/** im2col of a quantized NCHW input (pad value = zero point) into rows [N·Ho·Wo, C·kh·kw]. */
export function refIm2col(
  xq: number[],
  [n, c, h, w]: number[],
  [kh, kw]: number[],
  [sh, sw]: number[],
  [ph, pw]: number[],
  [dh, dw]: number[],
  zp: number,
): { rows: number[]; ho: number; wo: number } {
  const ho = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const rows: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < ho; y++) {
      for (let x = 0; x < wo; x++) {
        for (let ch = 0; ch < c; ch++) {
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const yy = y * sh - ph + i * dh;
              const xx = x * sw - pw + j * dw;
              rows.push(yy < 0 || yy >= h || xx < 0 || xx >= w ? zp : xq[((b * c + ch) * h + yy) * w + xx]);
            }
          }
        }
      }
    }
  }
  return { rows, ho, wo };
}

/** Deterministic pseudo-random numbers in [lo, hi). */
export function randomValues(count: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: count }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return lo + ((s >>> 0) / 2 ** 32) * (hi - lo);
  });
}
