/**
 * The compressed form of the precomputed WebAssembly modules that the published build carries
 * (./precomputed.ts, tsup.config.ts): LZ77 matches coded with an adaptive binary range coder (the
 * bit model of LZMA, in a smaller format written for this one job), as text in a base-91 alphabet
 * of printable ASCII. On the modules it takes 6.9 kB where DEFLATE took 8.1 kB, the text is 23%
 * larger than the bytes where base64 is 33%, and the decoder is 1.2 kB minified where an inflater
 * was 2.1 kB: apps' bundles are 3 kB smaller. Literals coded in context (the byte before, the
 * byte at the last distance after a copy) and adapted twice as fast took the modules of 2026-12-03
 * from 8.69 to 8.25 kB (text 10.69 -> 10.14 kB) for 0.16 kB of decoder; random bytes grow 2.4%
 * instead of 1.4%, which no module is. The encoder runs at build time
 * (and in tests); apps' bundles keep only {@link decompress} and {@link fromText}, synchronous
 * because the modules are compiled on first use (browsers only offer asynchronous decompressors).
 *
 * Stream: one token after another until `size` bytes are out. Each token starts with a bit (context:
 * the kinds of the last two tokens): 0 = a literal byte, its 8 bits MSB first in a binary tree (one
 * per top 3 bits of the byte before; right after a copy, the tree also follows the byte at the last
 * distance while the bits agree with it, as LZMA's matched literals); 1 = a copy, then a bit: 0 = a
 * new distance (length, then distance, coded as integers; the distance's table chosen by the
 * length), 1 = the last distance again (length only). Integers n ≥ 0 are coded
 * as n + 1 in Elias-gamma form: k one-bits and a zero (k = bit length − 1), then its k low bits MSB
 * first, the first four in a tree per k, the rest by position. Every bit has its own 11-bit
 * probability, adapted by 1/16 of the error after each use.
 */

const PROB_BITS = 11;
const HALF = 1 << (PROB_BITS - 1);
const ADAPT = 4;
/** Shortest copy and longest copy (longer runs continue in the next token). */
const MIN_COPY = 2;
const MAX_COPY = 273;
/** Probability tables: token kind, copy kind, literal trees, then the integer coders. */
const COPY_KIND = 4;
const LITERAL = 8;
/** A literal tree: 256 nodes, then 2 × 256 for the nodes whose bits so far agree with the match byte (its next bit 0 or 1). */
const LITERAL_TREE = 768;
/** Literal trees are chosen by the top `LITERAL_CONTEXT_BITS` bits of the byte before. */
const LITERAL_CONTEXT_BITS = 3;
const INTEGERS = LITERAL + (LITERAL_TREE << LITERAL_CONTEXT_BITS);
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

/**
 * The bits of a literal byte, MSB first, through `code(index, bit)` (the bit read or written; `byte`
 * is 0 when decoding). `before` is the byte before it; `match` is the byte at the last distance, or
 * -1 when the last token was a literal.
 */
function literal(code: (i: number, b: number) => number, byte: number, before: number, match: number): number {
  const tree = LITERAL + (before >> (8 - LITERAL_CONTEXT_BITS)) * LITERAL_TREE;
  let matched = match < 0 ? 0 : 256;
  let node = 1;
  for (let i = 7; i >= 0; i--) {
    const m = (match << (8 - i)) & matched;
    const b = code(tree + matched + m + node, (byte >> i) & 1);
    node = node * 2 + b;
    matched &= b ? m : ~m;
  }
  return node & 255;
}

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
      out[n] = literal(bit, 0, out[n - 1], kind & 1 ? out[n - distance] : -1);
      n++;
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

/** A token of the stream: a literal byte, a copy from `distance` back, or a copy at the last distance. */
type Token = { type: 'literal' } | { type: 'copy'; length: number; distance: number } | { type: 'repeat'; length: number };

/**
 * `bytes` compressed for {@link decompress} (build time and tests). The tokens are chosen by a
 * shortest-path parse priced with the bit model's probabilities (first as the stream starts, then
 * as a first encoding left them; the smaller result wins), as LZMA's optimal parser does.
 */
export function compress(bytes: Uint8Array): Uint8Array {
  let probs: Uint16Array = new Uint16Array(PROBS).fill(HALF);
  let best: Uint8Array | undefined;
  for (let pass = 0; pass < 2; pass++) {
    const encoded = encode(parse(bytes, probs), bytes);
    if (!best || encoded.out.length < best.length) best = encoded.out;
    probs = encoded.probs;
  }
  return best as Uint8Array;
}

/** Copies at least this long are only taken whole (a shorter prefix hardly ever pays, and the parse stays fast). */
const NICE_COPY = 32;
/** Sources tried per position, nearest first (long runs would otherwise make the parse quadratic). */
const MAX_SOURCES = 48;

/** The cheapest tokens for `bytes` by the bit prices of `probs` (each node keeps its best path's last distance). */
function parse(bytes: Uint8Array, probs: Uint16Array): Token[] {
  const n = bytes.length;
  const price = (i: number, b: number) => -Math.log2((b ? (1 << PROB_BITS) - probs[i] : probs[i]) / (1 << PROB_BITS));
  const integerPrice = (coder: number, value: number) => {
    const v = value + 1;
    const k = 31 - Math.clz32(v);
    let s = price(unaryAt(coder, k), 0);
    for (let i = 0; i < k; i++) s += price(unaryAt(coder, i), 1);
    for (let i = k - 1, node = 1; i >= 0; i--) {
      const b = (v >> i) & 1;
      s += price(lowAt(coder, k, node, i), b);
      node = node * 2 + b;
    }
    return s;
  };
  const literalPrice = (at: number, match: number) => {
    let s = 0;
    const priced = (i: number, b: number) => {
      s += price(i, b);
      return b;
    };
    literal(priced, bytes[at], bytes[at - 1], match);
    return s;
  };
  // per position: cost of the best path to it, its last token, and that path's token kind and last distance
  const cost = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  cost[0] = 0;
  const token: Token[] = new Array(n + 1);
  const kinds = new Uint8Array(n + 1);
  const distances = new Int32Array(n + 1);
  const relax = (from: number, to: number, c: number, t: Token) => {
    if (c >= cost[to]) return;
    cost[to] = c;
    token[to] = t;
    kinds[to] = nextKind(kinds[from], t.type === 'literal' ? 0 : 1);
    distances[to] = t.type === 'copy' ? t.distance : distances[from];
  };
  // matches: hash chains over 3-byte prefixes
  const heads = new Map<number, number>();
  const previous = new Int32Array(n).fill(-1);
  const prefix = (i: number) => bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16);
  const common = (i: number, from: number) => {
    let l = 0;
    while (i + l < n && l < MAX_COPY && bytes[from + l] === bytes[i + l]) l++;
    return l;
  };
  const LITERAL_TOKEN: Token = { type: 'literal' };
  for (let i = 0; i < n; i++) {
    const kind = kinds[i];
    const last = distances[i];
    relax(i, i + 1, cost[i] + price(kind, 0) + literalPrice(i, kind & 1 ? bytes[i - last] : -1), LITERAL_TOKEN);
    if (last && last <= i) {
      const l = common(i, i - last);
      const head = cost[i] + price(kind, 1) + price(COPY_KIND + kind, 1);
      for (let length = l > NICE_COPY ? l : MIN_COPY; length <= l; length++)
        relax(i, i + length, head + integerPrice(REPEAT_LENGTH, length - MIN_COPY), { type: 'repeat', length });
    }
    // new copies: the nearest source for each length (chain order is nearest first)
    const head = cost[i] + price(kind, 1) + price(COPY_KIND + kind, 0);
    const copy = (length: number, distance: number) =>
      relax(i, i + length, head + integerPrice(LENGTH, length - MIN_COPY) + integerPrice(distanceCoder(length), distance - 1), {
        type: 'copy',
        length,
        distance,
      });
    let longest = MIN_COPY - 1;
    if (i + 2 < n) {
      for (let j = heads.get(prefix(i)) ?? -1, tries = MAX_SOURCES; j >= 0 && longest < MAX_COPY && tries-- > 0; j = previous[j]) {
        const l = common(i, j);
        for (let length = l > NICE_COPY ? Math.max(l, longest + 1) : longest + 1; length <= l; length++) copy(length, i - j);
        longest = Math.max(longest, l);
      }
      previous[i] = heads.get(prefix(i)) ?? -1;
      heads.set(prefix(i), i);
    }
    // two-byte copies (the chains index three bytes): the nearest within 256
    if (longest < MIN_COPY && i + 1 < n)
      for (let d = 1; d <= Math.min(i, 256); d++)
        if (bytes[i - d] === bytes[i] && bytes[i - d + 1] === bytes[i + 1]) {
          copy(MIN_COPY, d);
          break;
        }
  }
  const tokens: Token[] = [];
  for (let at = n; at > 0; ) {
    const t = token[at];
    tokens.push(t);
    at -= t.type === 'literal' ? 1 : t.length;
  }
  return tokens.reverse();
}

/** The stream of `tokens` over `bytes`, and the probabilities as the stream leaves them. */
function encode(tokens: Token[], bytes: Uint8Array): { out: Uint8Array; probs: Uint16Array } {
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
    return b;
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
  let at = 0;
  let kind = 0;
  let distance = 0;
  for (const t of tokens) {
    if (t.type === 'literal') {
      bit(kind, 0);
      literal(bit, bytes[at], bytes[at - 1], kind & 1 ? bytes[at - distance] : -1);
      at++;
    } else {
      bit(kind, 1);
      bit(COPY_KIND + kind, t.type === 'repeat' ? 1 : 0);
      if (t.type === 'repeat') integer(REPEAT_LENGTH, t.length - MIN_COPY);
      else {
        integer(LENGTH, t.length - MIN_COPY);
        integer(distanceCoder(t.length), t.distance - 1);
        distance = t.distance;
      }
      at += t.length;
    }
    kind = nextKind(kind, t.type === 'literal' ? 0 : 1);
  }
  for (let k = 0; k < 5; k++) shiftLow();
  return { out: Uint8Array.from(out.slice(1)), probs: p };
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
