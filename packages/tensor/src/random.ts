import { ArgumentError } from './errors';

/**
 * Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011): a counter-based generator. Block `n` under key `k` is a pure function of (n, k), so
 * the sequence is identical on every platform and device, and any offset can be reached directly.
 * All random tensors draw from one global stream: a 64-bit key from the seed and a 64-bit block
 * counter that advances by the blocks each call consumes.
 */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32s, from 16-bit halves (JS numbers are doubles). */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const lh = aL * bH;
  const hl = aH * bL;
  const mid = ((aL * bL) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aH * bH + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/** One Philox4x32-10 block: 4 uint32 outputs written to `out` at `at`. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array, at = 0): void {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[at] = c0;
  out[at + 1] = c1;
  out[at + 2] = c2;
  out[at + 3] = c3;
}

/** PyTorch's default CPU seed, so an unseeded program is still reproducible. */
const DEFAULT_SEED = 67280421310721;
let key0 = 0;
let key1 = 0;
let counter = 0; // next block; a double holds counters up to 2^53 exactly

/**
 * Seed the global random stream (like `torch.manual_seed`). The same seed gives the same
 * tensors from `rand`, `randn`, `randint`, `dropout` and layer initialisation, on every platform.
 * @example
 * ```ts
 * manualSeed(42); const a = randn([3]);
 * manualSeed(42); const b = randn([3]); // same values as a
 * ```
 */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError('manualSeed', `seed must be a non-negative safe integer, got ${seed}`);
  key0 = seed >>> 0;
  key1 = Math.floor(seed / 2 ** 32) >>> 0;
  counter = 0;
}
manualSeed(DEFAULT_SEED);

/** The next `n` uint32 values of the global stream. */
export function randomBits(n: number): Uint32Array {
  const blocks = Math.ceil(n / 4);
  const out = new Uint32Array(blocks * 4);
  for (let b = 0; b < blocks; b++) {
    const c = counter + b;
    philox4x32(c >>> 0, Math.floor(c / 2 ** 32) >>> 0, 0, 0, key0, key1, out, b * 4);
  }
  counter += blocks;
  return n === out.length ? out : out.subarray(0, n);
}

/** Uniform floats in [0, 1) with 24 random bits each (exactly representable in float32). */
export function uniform(n: number): Float32Array {
  const bits = randomBits(n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (bits[i] >>> 8) * 2 ** -24;
  return out;
}

/** Standard normal floats by the Box–Muller transform on pairs of uniforms. */
export function normal(n: number): Float32Array {
  const bits = randomBits(2 * Math.ceil(n / 2));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = ((bits[i] >>> 8) + 1) * 2 ** -24; // (0, 1]: log stays finite
    const u2 = (bits[i + 1] >>> 8) * 2 ** -24;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** Uniform integers in [low, high) (range below 2^32). */
export function integers(n: number, low: number, high: number): Int32Array {
  const bits = randomBits(n);
  const range = high - low;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + Math.floor((bits[i] * range) / 2 ** 32);
  return out;
}
