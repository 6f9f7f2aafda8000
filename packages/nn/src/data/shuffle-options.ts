import { ArgumentError, rand } from '@aimodel/tensor';

// Random orders for shuffling. Without a seed the uniforms come from the library's global Philox
// stream (`rand`), so `manualSeed` makes a whole program reproducible. With a seed they come from
// a stream of their own — a counter hashed with the key (seed, stream) — so a seeded loader gives
// the same orders whatever else draws from the global stream, and never disturbs it.

/** MurmurHash3's 32-bit finaliser: a bijection that mixes every input bit into every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Checks an optional seed (a non-negative safe integer, as `manualSeed`). */
export function checkSeed(name: string, seed: number | undefined): void {
  if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) {
    throw new ArgumentError(name, `seed must be a non-negative safe integer, got ${seed}`);
  }
}

/** `n` uniform numbers in [0, 1). */
function uniforms(n: number, seed: number | undefined, stream: number): Float64Array {
  const out = new Float64Array(n);
  if (seed === undefined) {
    const u = rand([n], { device: 'cpu' });
    out.set(u.dataSync());
    u.dispose();
    return out;
  }
  const key = fmix32(fmix32(seed >>> 0) ^ fmix32((Math.floor(seed / 2 ** 32) + 0x9e3779b9) >>> 0));
  const streamKey = fmix32(key ^ fmix32((stream + 0x632be5ab) >>> 0));
  for (let i = 0; i < n; i++) out[i] = fmix32(streamKey ^ fmix32((i + 0x7f4a7c15) >>> 0)) / 2 ** 32;
  return out;
}

/**
 * A uniformly random permutation of 0 … n − 1 (Fisher–Yates). The same (seed, stream) gives the
 * same permutation; different streams (e.g. epochs) give independent ones.
 */
export function permutation(n: number, seed?: number, stream = 0): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const u = uniforms(n, seed, stream);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u[i] * (i + 1)));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
