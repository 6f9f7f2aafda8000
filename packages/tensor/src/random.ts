import { ArgumentError, checkOptions } from './errors';

/**
 * Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011): a counter-based generator. Block `n` under key `k` is a pure function of (n, k), so
 * the sequence is identical on every platform and device, and any offset can be reached directly.
 * A {@link Generator} is one stream: a 64-bit key from the seed and a 64-bit block counter that
 * advances by the blocks each call consumes. Random tensors draw from {@link defaultGenerator}
 * unless given `{ generator }`.
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

function checkSeed(op: string, seed: unknown): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new ArgumentError(op, `seed must be a non-negative safe integer, got ${typeof seed === 'number' ? seed : typeof seed}`);
  }
}

/**
 * Options of {@link Generator}.
 * @example
 * ```ts
 * const g = new Generator({ seed: 42 });
 * ```
 */
export interface GeneratorOptions {
  /** A non-negative safe integer (default 67280421310721, PyTorch's default seed). */
  seed?: number;
}

/**
 * A seeded random stream (as `torch.Generator`): Philox4x32-10 keyed by the seed, so the same seed
 * gives the same values on every platform and device. Pass it as `{ generator }` to `rand`,
 * `randn`, `randint`, `dropout`, nn's initialisers, `DataLoader`, `trainTestSplit` and
 * `kFold`; drawing from it never disturbs the global stream ({@link defaultGenerator}, seeded by
 * {@link manualSeed}), and the global stream never disturbs it.
 * @example
 * ```ts
 * const g = new Generator({ seed: 0 });
 * const a = randn([3], { generator: g });
 * g.manualSeed(0);
 * const b = randn([3], { generator: g }); // same values as a
 * ```
 */
export class Generator {
  private key0 = 0;
  private key1 = 0;
  private seedValue = DEFAULT_SEED;
  private counter = 0; // next block; a double holds counters up to 2^53 exactly

  /**
   * @param opts `seed` (default PyTorch's default seed)
   * @example
   * ```ts
   * new Generator({ seed: 7 }).initialSeed(); // 7
   * ```
   */
  constructor(opts: GeneratorOptions = {}) {
    checkOptions('Generator', opts, ['seed']);
    const seed = opts.seed ?? DEFAULT_SEED;
    checkSeed('Generator', seed);
    this.reset(seed);
  }

  private reset(seed: number): void {
    this.seedValue = seed;
    this.key0 = seed >>> 0;
    this.key1 = Math.floor(seed / 2 ** 32) >>> 0;
    this.counter = 0;
  }

  /**
   * Restart the stream from `seed` (as `torch.Generator.manual_seed`); returns the generator.
   * @example
   * ```ts
   * const g = new Generator();
   * g.manualSeed(3).uniform(2); // the same two numbers after every g.manualSeed(3)
   * ```
   */
  manualSeed(seed: number): this {
    checkSeed('Generator.manualSeed', seed);
    this.reset(seed);
    return this;
  }

  /**
   * The seed the stream was last started from.
   * @example
   * ```ts
   * new Generator({ seed: 5 }).initialSeed(); // 5
   * ```
   */
  initialSeed(): number {
    return this.seedValue;
  }

  /**
   * The next `n` uint32 values of the stream (4 per Philox block; a partial block is consumed whole).
   * @example
   * ```ts
   * new Generator({ seed: 1 }).randomBits(4).length; // 4
   * ```
   */
  randomBits(n: number): Uint32Array {
    checkCount('Generator.randomBits', n);
    const blocks = Math.ceil(n / 4);
    const out = new Uint32Array(blocks * 4);
    for (let b = 0; b < blocks; b++) {
      const c = this.counter + b;
      philox4x32(c >>> 0, Math.floor(c / 2 ** 32) >>> 0, 0, 0, this.key0, this.key1, out, b * 4);
    }
    this.counter += blocks;
    return n === out.length ? out : out.subarray(0, n);
  }

  /**
   * `n` uniform floats in [0, 1) with 24 random bits each (exactly representable in float32).
   * @example
   * ```ts
   * new Generator({ seed: 0 }).uniform(3); // three numbers in [0, 1)
   * ```
   */
  uniform(n: number): Float32Array {
    checkCount('Generator.uniform', n);
    const bits = this.randomBits(n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (bits[i] >>> 8) * 2 ** -24;
    return out;
  }

  /**
   * `n` standard normal floats, by the Box–Muller transform on pairs of uniforms.
   * @example
   * ```ts
   * new Generator({ seed: 0 }).normal(4); // mean 0, variance 1
   * ```
   */
  normal(n: number): Float32Array {
    checkCount('Generator.normal', n);
    const bits = this.randomBits(2 * Math.ceil(n / 2));
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

  /**
   * `n` uniform integers in [low, high) (integers, high − low ≤ 2^32).
   * @example
   * ```ts
   * new Generator({ seed: 0 }).integers(5, 0, 6); // five dice rolls minus one
   * ```
   */
  integers(n: number, low: number, high: number): Int32Array {
    checkCount('Generator.integers', n);
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low || high - low > 2 ** 32) {
      throw new ArgumentError('Generator.integers', `expected integers low < high (range up to 2^32), got low=${low}, high=${high}`);
    }
    const bits = this.randomBits(n);
    const range = high - low;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = low + Math.floor((bits[i] * range) / 2 ** 32);
    return out;
  }

  /**
   * A uniformly random permutation of 0 … n − 1 (Fisher–Yates; each swap index from 53 random
   * bits, so the bias is below n/2^53). The one shuffle of the library: `randperm`, `DataLoader`,
   * `trainTestSplit` and `kFold` all use it.
   * @example
   * ```ts
   * new Generator({ seed: 0 }).permutation(5); // 0 … 4 in a random order
   * ```
   */
  permutation(n: number): Int32Array {
    checkPermutationSize(n);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (n < 2) return order;
    const bits = this.randomBits(2 * (n - 1)); // two words a swap: keep in step with _permutationStream
    for (let i = n - 1, at = 0; i > 0; i--, at += 2) {
      const u = ((bits[at] >>> 5) * 2 ** 26 + (bits[at + 1] >>> 6)) * 2 ** -53; // [0, 1), 53 bits
      const j = Math.floor(u * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /**
   * @internal The stream state `permutation(n)` starts from, this generator then advanced past what
   * it uses: for a backend that draws the same permutation on its device (Backend.permutation).
   */
  _permutationStream(n: number): { key0: number; key1: number; counter: number } {
    checkPermutationSize(n);
    const at = { key0: this.key0, key1: this.key1, counter: this.counter };
    if (n >= 2) this.counter += Math.ceil((2 * (n - 1)) / 4);
    return at;
  }
}

function checkCount(op: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new ArgumentError(op, `n must be a non-negative integer, got ${n}`);
}

/** The size of a permutation: a count below 2^31 (its indices are int32). */
function checkPermutationSize(n: number): void {
  checkCount('Generator.permutation', n);
  if (n > 2 ** 31 - 1) throw new ArgumentError('Generator.permutation', `n must be below 2^31, got ${n}`);
}

/**
 * The global random stream (as `torch.default_generator`): what `rand`, `randn`, `randint`,
 * `dropout`, initialisers and shuffles draw from when no `generator` is given. {@link manualSeed}
 * reseeds it.
 * @example
 * ```ts
 * manualSeed(1);
 * defaultGenerator.initialSeed(); // 1
 * ```
 */
export const defaultGenerator = /* @__PURE__ */ new Generator({ seed: DEFAULT_SEED });

/**
 * Seed the global random stream ({@link defaultGenerator}, like `torch.manual_seed`). The same
 * seed gives the same tensors from `rand`, `randn`, `randint`, `dropout` and layer
 * initialisation, on every platform.
 * @example
 * ```ts
 * manualSeed(42); const a = randn([3]);
 * manualSeed(42); const b = randn([3]); // same values as a
 * ```
 */
export function manualSeed(seed: number): void {
  checkSeed('manualSeed', seed);
  defaultGenerator.manualSeed(seed);
}

/**
 * The generator a random function draws from: `opts.generator`, else the global stream. Also
 * rejects option keys outside `allowed` (the function's options).
 */
export function generatorOf(op: string, opts: object, allowed: readonly string[]): Generator {
  checkOptions(op, opts, allowed);
  const generator = (opts as { generator?: unknown }).generator;
  if (generator === undefined) return defaultGenerator;
  if (!(generator instanceof Generator))
    throw new ArgumentError(op, `generator must be a Generator (new Generator({ seed })), got ${generator === null ? 'null' : typeof generator}`);
  return generator;
}
