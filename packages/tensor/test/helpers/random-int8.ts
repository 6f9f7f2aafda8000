/** Seeded int8 values in [lo, hi] (a linear congruential generator; the same bytes for a seed everywhere). */
export function randInt8(n: number, seed: number, lo = -128, hi = 127): Int8Array {
  let s = seed >>> 0;
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) % (hi - lo + 1));
  }
  return out;
}
