/**
 * The compressed form of the precomputed WebAssembly modules that the published build carries
 * (./precomputed.ts, tsup.config.ts): LZ77 matches coded with an adaptive binary range coder (the
 * bit model of LZMA, in a smaller format written for this one job), as text in a base-91 alphabet
 * of printable ASCII. On the modules it takes 6.9 kB where DEFLATE took 8.1 kB, the text is 23%
 * larger than the bytes where base64 is 33%, and the decoder is 1.2 kB minified where an inflater
 * was 2.1 kB: apps' bundles are 3 kB smaller. The encoder runs at build time
 * (and in tests); apps' bundles keep only {@link decompress} and {@link fromText}, synchronous
 * because the modules are compiled on first use (browsers only offer asynchronous decompressors).
 *
 * Stream: one token after another until `size` bytes are out. Each token starts with a bit (context:
 * the kinds of the last two tokens): 0 = a literal byte, its 8 bits MSB first in a binary tree; 1 = a
 * copy, then a bit: 0 = a new distance (length, then distance, coded as integers; the distance's
 * table chosen by the length), 1 = the last distance again (length only). Integers n ≥ 0 are coded
 * as n + 1 in Elias-gamma form: k one-bits and a zero (k = bit length − 1), then its k low bits MSB
 * first, the first four in a tree per k, the rest by position. Every bit has its own 11-bit
 * probability, adapted by 1/32 of the error after each use.
 */

const PROB_BITS = 11;
const HALF = 1 << (PROB_BITS - 1);
const ADAPT = 5;
/** Shortest copy and longest copy (longer runs continue in the next token). */
const MIN_COPY = 2;
const MAX_COPY = 273;
/** Probability tables: token kind, copy kind, literal tree, then the integer coders. */
const COPY_KIND = 4;
const LITERAL = 8;
const INTEGERS = LITERAL + 256;
const INTEGER_SIZE = 32 + 32 * 16 + 32;
/** Integer coder k: the new-copy length, distances for lengths 2, 3, 4, 5+, the repeated-copy length. */
const LENGTH = 0;
const distanceCoder = (length: number) => 1 + Math.min(length - MIN_COPY, 3);
const REPEAT_LENGTH = 5;
const PROBS = INTEGERS + 6 * INTEGER_SIZE;

/** Index in the probability table of integer coder `coder`'s bit: unary bit k, or a low bit (tree node or position). */
const unaryAt = (coder: number, k: number) => INTEGERS + coder * INTEGER_SIZE + k;
const lowAt = (coder: number, k: number, node: number, position: number) =>
  INTEGERS + coder * INTEGER_SIZE + (node < 16 ? 32 + k * 16 + node : 32 + 512 + position);

const nextKind = (kind: number, copy: number) => ((kind << 1) | copy) & 3;

/** Bytes of `size` bytes compressed by {@link compress}. @throws RangeError on a malformed stream. */
export function decompress(src: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const p = new Uint16Array(PROBS).fill(HALF);
  const out = new Uint8Array(size);
  let at = 4;
  let range = 0xffffffff;
  let code = ((src[0] << 24) | (src[1] << 16) | (src[2] << 8) | src[3]) >>> 0;
  const fail = (why: string): never => {
    throw new RangeError(`decompress: ${why}`);
  };
  const bit = (i: number): number => {
    const bound = (range >>> PROB_BITS) * p[i];
    let b = 0;
    if (code < bound) {
      range = bound;
      p[i] += ((1 << PROB_BITS) - p[i]) >> ADAPT;
    } else {
      range -= bound;
      code -= bound;
      p[i] -= p[i] >> ADAPT;
      b = 1;
    }
    while (range < 1 << 24) {
      if (at >= src.length + 4) fail('stream ends early');
      range = (range * 256) >>> 0;
      code = (code * 256 + (src[at++] ?? 0)) >>> 0;
    }
    return b;
  };
  const integer = (coder: number): number => {
    let k = 0;
    while (bit(unaryAt(coder, k))) if (++k > 30) fail('integer too large');
    let n = 1;
    for (let i = k - 1; i >= 0; i--) n = n * 2 + bit(lowAt(coder, k, n, i));
    return n - 1;
  };
  let n = 0;
  let kind = 0;
  let distance = 0;
  while (n < size) {
    const copy = bit(kind);
    if (!copy) {
      let node = 1;
      while (node < 256) node = node * 2 + bit(LITERAL + node);
      out[n++] = node & 255;
    } else {
      let length: number;
      if (bit(COPY_KIND + kind)) length = integer(REPEAT_LENGTH) + MIN_COPY;
      else {
        length = integer(LENGTH) + MIN_COPY;
        distance = integer(distanceCoder(length)) + 1;
      }
      if (distance > n || !distance) fail('copy from before the start');
      if (n + length > size) fail(`output exceeds ${size} bytes`);
      for (const end = n + length; n < end; n++) out[n] = out[n - distance];
    }
    kind = nextKind(kind, copy);
  }
  return out;
}

/** `bytes` compressed for {@link decompress} (build time and tests: greedy matching with one step of lookahead). */
export function compress(bytes: Uint8Array): Uint8Array {
  const p = new Uint16Array(PROBS).fill(HALF);
  // the range encoder (LZMA's: `low` up to 2^40 in a double, carries propagated through `cache`)
  const out: number[] = [];
  let low = 0;
  let range = 0xffffffff;
  let cache = 0;
  let pending = 1;
  const shiftLow = () => {
    if (low < 0xff000000 || low >= 2 ** 32) {
      const carry = low >= 2 ** 32 ? 1 : 0;
      for (let b = cache; pending > 0; pending--, b = 0xff) out.push((b + carry) & 0xff);
      cache = Math.floor(low / 2 ** 24) & 0xff;
    }
    pending++;
    low = (low % 2 ** 24) * 256;
  };
  const bit = (i: number, b: number) => {
    const bound = (range >>> PROB_BITS) * p[i];
    if (b) {
      low += bound;
      range -= bound;
      p[i] -= p[i] >> ADAPT;
    } else {
      range = bound;
      p[i] += ((1 << PROB_BITS) - p[i]) >> ADAPT;
    }
    while (range < 1 << 24) {
      range = (range * 256) >>> 0;
      shiftLow();
    }
  };
  const integer = (coder: number, value: number) => {
    const v = value + 1;
    const k = 31 - Math.clz32(v);
    for (let i = 0; i < k; i++) bit(unaryAt(coder, i), 1);
    bit(unaryAt(coder, k), 0);
    for (let i = k - 1, node = 1; i >= 0; i--) {
      const b = (v >> i) & 1;
      bit(lowAt(coder, k, node, i), b);
      node = node * 2 + b;
    }
  };
  // matches: hash chains over 3-byte prefixes
  const heads = new Map<number, number>();
  const previous = new Int32Array(bytes.length).fill(-1);
  const prefix = (i: number) => bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16);
  let inserted = 0;
  const insertUpTo = (end: number) => {
    for (; inserted < end && inserted + 2 < bytes.length; inserted++) {
      previous[inserted] = heads.get(prefix(inserted)) ?? -1;
      heads.set(prefix(inserted), inserted);
    }
  };
  const common = (i: number, from: number) => {
    let l = 0;
    while (i + l < bytes.length && l < MAX_COPY && bytes[from + l] === bytes[i + l]) l++;
    return l;
  };
  const longest = (i: number): [number, number] => {
    let best = 0;
    let at = 0;
    if (i + 2 < bytes.length)
      for (let j = heads.get(prefix(i)) ?? -1; j >= 0 && j < i; j = previous[j]) {
        const l = common(i, j);
        if (l > best) [best, at] = [l, i - j];
      }
    return [best, at];
  };
  let i = 0;
  let kind = 0;
  let distance = 0;
  const repeated = (at: number) => (distance && distance <= at ? common(at, at - distance) : 0);
  while (i < bytes.length) {
    insertUpTo(i);
    const [length, from] = longest(i);
    const again = repeated(i);
    let copy = 1;
    if (again >= MIN_COPY && again + 2 >= length) {
      bit(kind, 1);
      bit(COPY_KIND + kind, 1);
      integer(REPEAT_LENGTH, again - MIN_COPY);
      i += again;
    } else if (length >= 3 || (length === MIN_COPY && from < 256)) {
      insertUpTo(i + 1);
      const [later] = longest(i + 1);
      if (later > length + 1 || repeated(i + 1) > length + 1) copy = 0;
      else {
        bit(kind, 1);
        bit(COPY_KIND + kind, 0);
        integer(LENGTH, length - MIN_COPY);
        integer(distanceCoder(length), from - 1);
        distance = from;
        i += length;
      }
    } else copy = 0;
    if (!copy) {
      bit(kind, 0);
      for (let b = 7, node = 1; b >= 0; b--) {
        const v = (bytes[i] >> b) & 1;
        bit(LITERAL + node, v);
        node = node * 2 + v;
      }
      i++;
    }
    kind = nextKind(kind, copy);
  }
  for (let k = 0; k < 5; k++) shiftLow();
  return Uint8Array.from(out.slice(1));
}

/** The base-91 alphabet: printable ASCII from '#' to '~' without '\' (no escapes in a JS string). */
const digit = (d: number) => String.fromCharCode(d + 35 + (d >= 57 ? 1 : 0));
const value = (c: number) => c - 35 - (c > 92 ? 1 : 0);

/** `bytes` as base-91 text (13 or 14 bits per two characters; 23% larger than the bytes, base64 33%). */
export function toText(bytes: Uint8Array): string {
  let s = '';
  let b = 0;
  let n = 0;
  for (const byte of bytes) {
    b |= byte << n;
    n += 8;
    if (n > 13) {
      let v = b & 8191;
      if (v > 88) {
        b >>= 13;
        n -= 13;
      } else {
        v = b & 16383;
        b >>= 14;
        n -= 14;
      }
      s += digit(v % 91) + digit(Math.floor(v / 91));
    }
  }
  if (n) s += digit(b % 91) + (n > 7 || b > 90 ? digit(Math.floor(b / 91)) : '');
  return s;
}

/** The bytes of {@link toText}'s text. */
export function fromText(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length);
  let o = 0;
  let v = -1;
  let b = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = value(text.charCodeAt(i));
    if (v < 0) v = d;
    else {
      v += d * 91;
      b |= v << n;
      n += (v & 8191) > 88 ? 13 : 14;
      do {
        out[o++] = b & 255;
        b >>= 8;
        n -= 8;
      } while (n > 7);
      v = -1;
    }
  }
  if (v >= 0) out[o++] = (b | (v << n)) & 255;
  return out.slice(0, o);
}
