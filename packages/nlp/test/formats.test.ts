import { ArgumentError, ShapeError } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';
import { WordVectors } from '../src/index';

const wv3 = () => new WordVectors(['the', 'café', '日本'], new Float32Array([0.1, -0.25, 1e-5, 3, -0.000001, 123.456]), 2);

/** Bytes of a word2vec binary file written by hand: header, then `word ` + float32 LE (+ `sep`). */
function w2vBinary(header: string, rows: [string, number[]][], sep = ''): Uint8Array {
  const enc = new TextEncoder();
  const parts: number[] = [...enc.encode(header)];
  for (const [w, vals] of rows) {
    parts.push(...enc.encode(`${w} `));
    const f = new Uint8Array(new Float32Array(vals).buffer);
    parts.push(...f, ...enc.encode(sep));
  }
  return new Uint8Array(parts);
}

describe('GloVe text', () => {
  it('reads rows without a header (CRLF, tabs, trailing spaces, blank lines)', () => {
    const wv = WordVectors.fromGloVeText('the 0.1 0.2\r\nof\t-0.3 4e-1 \n\n, 0.5 0.600000\n');
    expect(wv.words).toEqual(['the', 'of', ',']);
    expect(wv.dim).toBe(2);
    expect([...wv.vectors]).toEqual([0.1, 0.2, -0.3, 0.4, 0.5, 0.6].map(Math.fround));
  });

  it('detects a `count dim` header only when it matches the rows', () => {
    const h = WordVectors.fromGloVeText('2 2\nthe 0.1 0.2\nof 0.3 0.4\n');
    expect(h.words).toEqual(['the', 'of']);
    const one = WordVectors.fromGloVeText('2 1\na 0.5\nb 0.25\n');
    expect(one.words).toEqual(['a', 'b']);
    // count 3 does not match the 2 rows: "3" is a word with the value 1
    const numeric = WordVectors.fromGloVeText('3 1\na 0.5\nb 0.25\n');
    expect(numeric.words).toEqual(['3', 'a', 'b']);
    expect([...numeric.get('3')]).toEqual([1]);
    expect(() => WordVectors.fromGloVeText('3 2\nthe 0.1 0.2\nof 0.3 0.4\n')).toThrow(
      "WordVectors.fromGloVeText: line 2: 'the' has 2 values, but the first row (line 1) gives dimension 1 (line 1 looks like a 'count dim' header, but its count 3 or dim 2 does not match the rows that follow)",
    );
  });

  it('writes what the reference tool writes: 6 decimals, no header by default', () => {
    expect(wv3().toGloVeText()).toBe('the 0.100000 -0.250000\ncafé 0.000010 3.000000\n日本 -0.000001 123.456001\n');
    expect(wv3().toGloVeText({ header: true, decimals: 2 })).toBe('3 2\nthe 0.10 -0.25\ncafé 0.00 3.00\n日本 -0.00 123.46\n');
    expect(() => wv3().toGloVeText({ decimals: -1 })).toThrow(/decimals must be an integer in \[0, 20\], got -1/);
    expect(() => wv3().toGloVeText({ precision: 3 } as never)).toThrow(/unknown option 'precision'/);
  });

  it('round-trips with and without header (within the 6-decimal rounding)', () => {
    for (const header of [false, true]) {
      const back = WordVectors.fromGloVeText(wv3().toGloVeText({ header }));
      expect(back.words).toEqual(['the', 'café', '日本']);
      back.vectors.forEach((v, i) => expect(Math.abs(v - wv3().vectors[i])).toBeLessThanOrEqual(5e-7 + 1e-5 * Math.abs(v)));
    }
  });

  it('errors name the line: dimension, non-numeric and non-finite values, duplicates, empty input', () => {
    expect(() => WordVectors.fromGloVeText('a 1 2\nb 1 2 3\n')).toThrow(ShapeError);
    expect(() => WordVectors.fromGloVeText('a 1 2\nb 1 2 3\n')).toThrow(
      "WordVectors.fromGloVeText: line 2: 'b' has 3 values, but the first row (line 1) gives dimension 2",
    );
    expect(() => WordVectors.fromGloVeText('2 2\na 1 2\nb 1\n')).toThrow("line 3: 'b' has 1 values, but the header (line 1) gives dimension 2");
    expect(() => WordVectors.fromGloVeText('a 1 2\nb 1 x2\n')).toThrow("WordVectors.fromGloVeText: line 2, value 2 of 'b': expected a finite number, got 'x2'");
    expect(() => WordVectors.fromGloVeText('a 1 nan\n')).toThrow(/line 1, value 2 of 'a': expected a finite number, got 'nan'/);
    expect(() => WordVectors.fromGloVeText('a 1 0x10\n')).toThrow(/got '0x10'/);
    expect(() => WordVectors.fromGloVeText('a 1\nb 2\na 3\n')).toThrow(
      "WordVectors.fromGloVeText: line 3: duplicate word 'a' (first on line 1); pass { duplicates: 'keepFirst' } to keep the first",
    );
    const kept = WordVectors.fromGloVeText('a 1\nb 2\na 3\n', { duplicates: 'keepFirst' });
    expect(kept.words).toEqual(['a', 'b']);
    expect([...kept.vectors]).toEqual([1, 2]);
    expect(() => WordVectors.fromGloVeText('')).toThrow(ArgumentError);
    expect(() => WordVectors.fromGloVeText(' \n\n')).toThrow('WordVectors.fromGloVeText: empty file: no vectors');
    expect(() => WordVectors.fromGloVeText('lonely\n')).toThrow(/line 1: a word with no values \('lonely'\)/);
    expect(() => WordVectors.fromGloVeText('a 1\n', { duplicates: 'last' as never })).toThrow(/duplicates must be 'error' or 'keepFirst', got 'last'/);
    expect(() => WordVectors.fromGloVeText(new Uint8Array(2) as never)).toThrow(/expected the file's text as a string/);
  });

  it('refuses to write words the format cannot hold', () => {
    const bad = new WordVectors(['new york'], new Float32Array([1]), 1);
    expect(() => bad.toGloVeText()).toThrow(`WordVectors.toGloVeText: word 0 ("new york") is empty or contains whitespace, which the format cannot represent`);
    expect(() => bad.toWord2VecText()).toThrow(/whitespace/);
    expect(() => bad.toWord2VecBinary()).toThrow(/whitespace/);
  });
});

describe('word2vec text', () => {
  it("reads gensim's (repr floats) and the C tool's (%lf with a trailing space) files", () => {
    const gensim = WordVectors.fromWord2VecText('2 3\nthe 0.1 -2.5e-05 3.0\nof 1e-05 0.0 -1.25\n');
    expect(gensim.words).toEqual(['the', 'of']);
    expect([...gensim.vectors]).toEqual([0.1, -2.5e-5, 3, 1e-5, 0, -1.25].map(Math.fround));
    const c = WordVectors.fromWord2VecText('2 3\n</s> 0.004003 0.004419 -0.003830 \nthe -0.143296 0.130933 0.000001 \n');
    expect(c.words).toEqual(['</s>', 'the']);
    expect(c.get('the')[2]).toBe(Math.fround(1e-6));
  });

  it('writes the shortest decimal that reads back as the same float32, after a header', () => {
    expect(wv3().toWord2VecText()).toBe('3 2\nthe 0.1 -0.25\ncafé 0.00001 3\n日本 -0.000001 123.456\n');
    const odd = new WordVectors(['x'], new Float32Array([1 / 3, 16777217, -1e-38, 3.4028234663852886e38]), 4);
    expect(odd.toWord2VecText()).toBe('1 4\nx 0.33333334 16777216 -1e-38 3.4028235e+38\n');
  });

  it('round-trips exactly (every float32 bit)', () => {
    const vals = Float32Array.from({ length: 5 * 7 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 9) - 4));
    const wv = new WordVectors(['a', 'b', 'c', 'd', 'e'], vals, 7);
    const back = WordVectors.fromWord2VecText(wv.toWord2VecText());
    expect(back.words).toEqual(wv.words);
    expect([...back.vectors]).toEqual([...vals]);
  });

  it('needs the header and its count; errors name the line', () => {
    expect(() => WordVectors.fromWord2VecText('the 0.1 0.2\n')).toThrow(
      "WordVectors.fromWord2VecText: line 1: expected a header 'count dim' (two non-negative integers), got 'the 0.1 0.2'",
    );
    expect(() => WordVectors.fromWord2VecText('3 2\na 1 2\nb 3 4\n')).toThrow(
      'WordVectors.fromWord2VecText: line 4: end of file after 2 rows, fewer than the 3 the header (line 1) declares',
    );
    expect(() => WordVectors.fromWord2VecText('1 2\na 1 2\nb 3 4\n')).toThrow('line 3: more rows than the 1 the header (line 1) declares');
    expect(() => WordVectors.fromWord2VecText('2 3\na 1 2\nb 3 4\n')).toThrow("line 2: 'a' has 2 values, but the header (line 1) gives dimension 3");
    expect(() => WordVectors.fromWord2VecText('0 3\n')).toThrow(/line 1: the header declares 0 vectors/);
    expect(() => WordVectors.fromWord2VecText('1 0\na\n')).toThrow(/header declares dimension 0/);
    expect(() => WordVectors.fromWord2VecText('')).toThrow(/empty file/);
  });
});

describe('word2vec binary', () => {
  it('reads the C tool (newline after each vector) and gensim (none) layouts', () => {
    const rows: [string, number[]][] = [
      ['</s>', [0.5, -1]],
      ['café', [2, 0.25]],
    ];
    for (const sep of ['', '\n']) {
      const wv = WordVectors.fromWord2VecBinary(w2vBinary('2 2\n', rows, sep));
      expect(wv.words).toEqual(['</s>', 'café']);
      expect([...wv.vectors]).toEqual([0.5, -1, 2, 0.25]);
    }
  });

  it('writes the C layout byte for byte and round-trips exactly', () => {
    const bytes = new WordVectors(['a'], new Float32Array([1]), 1).toWord2VecBinary();
    expect([...bytes]).toEqual([0x31, 0x20, 0x31, 0x0a, 0x61, 0x20, 0x00, 0x00, 0x80, 0x3f, 0x0a]); // "1 1\na " 1.0f "\n"
    const back = WordVectors.fromWord2VecBinary(wv3().toWord2VecBinary());
    expect(back.words).toEqual(['the', 'café', '日本']);
    expect([...back.vectors]).toEqual([...wv3().vectors]);
    // a float whose bytes contain 0x0a and 0x20 is read as data, not as separators
    const tricky = new Float32Array(new Uint8Array([0x0a, 0x20, 0x0a, 0x20]).buffer)[0];
    const t = WordVectors.fromWord2VecBinary(new WordVectors(['n', 'm'], new Float32Array([tricky, tricky]), 1).toWord2VecBinary());
    expect([...t.vectors]).toEqual([tricky, tricky]);
  });

  it('errors name the byte offset; nothing is half-loaded', () => {
    const good = w2vBinary('2 2\n', [
      ['ab', [1, 2]],
      ['cd', [3, 4]],
    ]); // header 4 bytes; 'ab ' at 4, floats at 7; 'cd ' at 15, floats at 18
    const op = 'WordVectors.fromWord2VecBinary';
    expect(() => WordVectors.fromWord2VecBinary(good.subarray(0, 22))).toThrow(ShapeError);
    expect(() => WordVectors.fromWord2VecBinary(good.subarray(0, 22))).toThrow(
      `${op}: byte 18: file ends inside the vector of 'cd' (word 2 of 2): 4 bytes left, 8 needed (truncated)`,
    );
    expect(() => WordVectors.fromWord2VecBinary(good.subarray(0, 16))).toThrow(`${op}: byte 15: file ends inside word 2 of 2 (truncated)`);
    expect(() => WordVectors.fromWord2VecBinary(new Uint8Array([...good, 0x7a]))).toThrow(`${op}: byte 26: 1 bytes after the 2 vectors the header declares`);
    expect(WordVectors.fromWord2VecBinary(new Uint8Array([...good, 0x0a, 0x0a])).size).toBe(2);
    expect(() => WordVectors.fromWord2VecBinary(new Uint8Array())).toThrow(`${op}: empty file`);
    expect(() => WordVectors.fromWord2VecBinary(new TextEncoder().encode('2 x\n'))).toThrow(
      `${op}: byte 0: expected a header 'count dim' (two non-negative integers), got '2 x'`,
    );
    expect(() => WordVectors.fromWord2VecBinary(new Uint8Array(100).fill(0x41))).toThrow(/byte 0: expected a header line/);
    expect(() => WordVectors.fromWord2VecBinary(w2vBinary('1 0\n', []))).toThrow(/header declares 1 vectors of dimension 0/);
    const latin1 = new Uint8Array([...new TextEncoder().encode('1 1\n'), 0x63, 0xe9, 0x20, 0, 0, 0x80, 0x3f]);
    expect(() => WordVectors.fromWord2VecBinary(latin1)).toThrow(`${op}: byte 4: word 1 of 1 is not valid UTF-8`);
    expect(() => WordVectors.fromWord2VecBinary(w2vBinary('1 2\n', [['x', [1, Number.NaN]]]))).toThrow(
      `${op}: byte 10: value 2 of 'x' is NaN (expected a finite number)`,
    );
    const dup = w2vBinary('3 1\n', [
      ['a', [1]],
      ['b', [2]],
      ['a', [3]],
    ]);
    expect(() => WordVectors.fromWord2VecBinary(dup)).toThrow(
      `${op}: byte 16: duplicate word 'a' (first at byte 4); pass { duplicates: 'keepFirst' } to keep the first`,
    );
    const kept = WordVectors.fromWord2VecBinary(dup, { duplicates: 'keepFirst' });
    expect([kept.words, [...kept.vectors]]).toEqual([
      ['a', 'b'],
      [1, 2],
    ]);
    expect(() => WordVectors.fromWord2VecBinary('2 2\n' as never)).toThrow(/expected the file's bytes as a Uint8Array/);
    expect(() => WordVectors.fromWord2VecBinary(good, { strict: true } as never)).toThrow(/unknown option 'strict'/);
  });

  it('the three formats describe the same vectors', () => {
    const wv = wv3();
    const fromBin = WordVectors.fromWord2VecBinary(wv.toWord2VecBinary());
    const fromText = WordVectors.fromWord2VecText(wv.toWord2VecText());
    const fromGlove = WordVectors.fromGloVeText(wv.toGloVeText({ decimals: 9 }));
    expect([...fromText.vectors]).toEqual([...fromBin.vectors]);
    expect([...fromGlove.vectors]).toEqual([...fromBin.vectors]);
  });
});
