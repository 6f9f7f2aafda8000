/**
 * A small synchronous DEFLATE decoder (RFC 1951: stored, fixed- and dynamic-Huffman blocks) and a
 * base64 reader, for the CPU WebAssembly modules that the published build carries precomputed
 * and compressed (./modules.ts): browsers only offer an asynchronous decompressor, and the modules
 * are compiled synchronously on first use. Huffman codes are decoded canonically, one bit at a
 * time (the modules are a few tens of kB, decoded once).
 */

/** A canonical Huffman code: how many codes have each length 1–15, and the symbols in code order. */
interface Huffman {
  counts: Uint16Array;
  symbols: Uint16Array;
}

function huffman(lengths: ArrayLike<number>): Huffman {
  const counts = new Uint16Array(16);
  for (let s = 0; s < lengths.length; s++) counts[lengths[s]]++;
  counts[0] = 0;
  const next = new Uint16Array(16);
  for (let len = 1; len < 16; len++) next[len] = next[len - 1] + counts[len - 1];
  const symbols = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]) symbols[next[lengths[s]]++] = s;
  return { counts, symbols };
}

/** Base values and extra bits of the length (257–285) and distance (0–29) symbols. */
function bases(n: number, first: number, extra: (i: number) => number): [number[], number[]] {
  const base: number[] = [];
  const bits: number[] = [];
  for (let i = 0, b = first; i < n; i++) {
    base.push(b);
    bits.push(extra(i));
    b += 1 << bits[i];
  }
  return [base, bits];
}

/** Order in which the code-length code's lengths are stored. */
const ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/**
 * Decodes the raw DEFLATE stream `src` whose decoded size is `size` bytes.
 * @throws RangeError on a malformed stream or one that does not decode to `size` bytes.
 */
export function inflateRaw(src: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const [lenBase, lenBits] = bases(29, 3, (i) => (i < 8 || i === 28 ? 0 : (i - 4) >> 2));
  lenBase[28] = 258;
  const [distBase, distBits] = bases(30, 1, (i) => (i < 4 ? 0 : (i - 2) >> 1));
  const out = new Uint8Array(size);
  let n = 0;
  let bit = 0; // position in src, in bits
  const fail = (why: string): never => {
    throw new RangeError(`inflate: ${why}`);
  };
  const bits = (k: number): number => {
    let v = 0;
    for (let i = 0; i < k; i++, bit++) {
      if (bit >> 3 >= src.length) fail('stream ends early');
      v |= ((src[bit >> 3] >> (bit & 7)) & 1) << i;
    }
    return v;
  };
  // Codes are packed from their most significant bit: walk the lengths, narrowing the range.
  const decode = (h: Huffman): number => {
    for (let len = 1, code = 0, first = 0, index = 0; len < 16; len++) {
      code |= bits(1);
      const count = h.counts[len];
      if (code - first < count) return h.symbols[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    return fail('invalid Huffman code');
  };
  const put = (byte: number) => {
    if (n >= size) fail(`output exceeds ${size} bytes`);
    out[n++] = byte;
  };
  for (let last = 0; !last; ) {
    last = bits(1);
    const type = bits(2);
    if (type === 0) {
      bit = (bit + 7) & ~7;
      const len = bits(16);
      if ((bits(16) ^ 0xffff) !== len) fail('stored block length check failed');
      for (let i = 0; i < len; i++) put(bits(8));
      continue;
    }
    let lit: Huffman;
    let dist: Huffman;
    if (type === 1) {
      const lengths = new Uint8Array(288);
      lengths.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280);
      lit = huffman(lengths);
      dist = huffman(new Uint8Array(30).fill(5));
    } else if (type === 2) {
      const nlen = bits(5) + 257;
      const ndist = bits(5) + 1;
      const ncode = bits(4) + 4;
      const codeLengths = new Uint8Array(19);
      for (let i = 0; i < ncode; i++) codeLengths[ORDER[i]] = bits(3);
      const lengthCode = huffman(codeLengths);
      const lengths = new Uint8Array(nlen + ndist);
      for (let i = 0; i < nlen + ndist; ) {
        const sym = decode(lengthCode);
        if (sym < 16) lengths[i++] = sym;
        else {
          const [value, count] =
            sym === 16 ? [i ? lengths[i - 1] : fail('repeat with no previous length'), 3 + bits(2)] : [0, sym === 17 ? 3 + bits(3) : 11 + bits(7)];
          if (i + count > lengths.length) fail('too many code lengths');
          lengths.fill(value, i, i + count);
          i += count;
        }
      }
      lit = huffman(lengths.subarray(0, nlen));
      dist = huffman(lengths.subarray(nlen));
    } else return fail('invalid block type 3');
    for (;;) {
      const sym = decode(lit);
      if (sym < 256) put(sym);
      else if (sym === 256) break;
      else {
        const l = sym - 257;
        if (l >= 29) fail('invalid length symbol');
        const len = lenBase[l] + bits(lenBits[l]);
        const d = decode(dist);
        if (d >= 30) fail('invalid distance symbol');
        const back = distBase[d] + bits(distBits[d]);
        if (back > n) fail('distance before the start');
        for (let i = 0; i < len; i++) put(out[n - back]);
      }
    }
  }
  if (n !== size) fail(`decoded ${n} bytes, expected ${size}`);
  return out;
}

/** The bytes of a base64 string (`atob`: browsers, Node ≥ 16, Deno, Bun). */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
