import { ArgumentError, memory, ShapeError, tensor } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';
import { Vocabulary } from '../src/index';
import { compareUtf8 } from '../src/vocabulary';

// By hand: 'the' 4, 'cat' 2, 'sat' 2, 'a' 1, 'mat' 1, 'on' 1, 'dog' 1 (ties in byte order).
const CORPUS = 'The cat sat on the mat.\nThe dog sat!\n\nA cat, the end';

describe('Vocabulary.build', () => {
  it('orders by count descending, ties by byte order, and gives ids in that order', async () => {
    const v = await Vocabulary.build(CORPUS);
    expect(v.words).toEqual(['the', 'cat', 'sat', 'a', 'dog', 'end', 'mat', 'on']);
    expect(v.size).toBe(8);
    expect(v.words.map((w) => v.count(w))).toEqual([4, 2, 2, 1, 1, 1, 1, 1]);
    expect(v.indexOf('sat')).toBe(2);
    expect(v.indexOf('zebra')).toBe(-1);
    expect(v.has('on')).toBe(true);
    expect(v.has('zebra')).toBe(false);
    expect(v.count('zebra')).toBe(0);
  });

  it('puts specials first (ids 0..k-1, count 0) and applies minCount and maxSize', async () => {
    const v = await Vocabulary.build(CORPUS, { specials: ['<pad>', '<unk>'], minCount: 2 });
    expect(v.words).toEqual(['<pad>', '<unk>', 'the', 'cat', 'sat']);
    expect(v.specials).toEqual(['<pad>', '<unk>']);
    expect(v.count('<pad>')).toBe(0);
    expect(v.indexOf('<unk>')).toBe(1);
    const small = await Vocabulary.build(CORPUS, { specials: ['<unk>'], maxSize: 3 });
    expect(small.words).toEqual(['<unk>', 'the', 'cat']);
    expect((await Vocabulary.build(CORPUS, { maxSize: 5 })).words).toEqual(['the', 'cat', 'sat', 'a', 'dog']);
  });

  it('ties follow UTF-8 byte order, not JS UTF-16 order', async () => {
    // U+FF01 is EF BC 81 in UTF-8, U+1F600 is F0 9F 98 80: U+FF01 first. In UTF-16, U+1F600
    // starts with the surrogate D83D < FF01, so JS's sort would put it first.
    expect(['\u{1F600}', '\uFF01'].sort()).toEqual(['\u{1F600}', '\uFF01']);
    expect(compareUtf8('\uFF01', '\u{1F600}')).toBeLessThan(0);
    expect(compareUtf8('\u{1F600}', '\uFF01')).toBeGreaterThan(0);
    expect(compareUtf8('ab', 'abc')).toBeLessThan(0);
    expect(compareUtf8('b', 'ab')).toBeGreaterThan(0);
    expect(compareUtf8('\u{1F600}', '\u{1F601}')).toBeLessThan(0);
    const v = await Vocabulary.build(['\u{1F600} \uFF01 z'], { tokenizer: (s) => s.split(' ') });
    expect(v.words).toEqual(['z', '\uFF01', '\u{1F600}']);
    const f = Vocabulary.fromCounts([
      ['\u{1F600}', 3],
      ['\uFF01', 3],
      ['é', 3],
    ]);
    expect(f.words).toEqual(['é', '\uFF01', '\u{1F600}']);
  });

  it('uses a tokenizer given as options or a function; specials in the corpus are not counted as words', async () => {
    const v = await Vocabulary.build(['A a B'], { tokenizer: { lowercase: false } });
    expect(v.words).toEqual(['A', 'B', 'a']);
    const w = await Vocabulary.build(['<unk> x x'], { tokenizer: (s) => s.split(' '), specials: ['<unk>'] });
    expect(w.words).toEqual(['<unk>', 'x']);
    expect(w.count('<unk>')).toBe(0);
  });

  it('rejects an empty corpus, a vocabulary that keeps no words, and bad options', async () => {
    await expect(Vocabulary.build('')).rejects.toThrow('Vocabulary.build: the corpus has no tokens');
    await expect(Vocabulary.build([])).rejects.toThrow(ArgumentError);
    await expect(Vocabulary.build('!!! ...\n')).rejects.toThrow('Vocabulary.build: the corpus has no tokens');
    await expect(Vocabulary.build(CORPUS, { minCount: 5 })).rejects.toThrow(
      'Vocabulary.build: no word occurs at least minCount = 5 times (the most frequent occurs 4 times)',
    );
    await expect(Vocabulary.build(CORPUS, { mincount: 2 } as never)).rejects.toThrow(
      "Vocabulary.build: unknown option 'mincount' (expected minCount, maxSize, specials, tokenizer)",
    );
    await expect(Vocabulary.build(CORPUS, { minCount: 0 })).rejects.toThrow('Vocabulary.build: minCount must be an integer >= 1, got a number (0)');
    await expect(Vocabulary.build(CORPUS, { specials: ['<pad>', '<pad>'] })).rejects.toThrow("Vocabulary.build: special token '<pad>' is given twice");
    await expect(Vocabulary.build(CORPUS, { specials: [''] })).rejects.toThrow('Vocabulary.build: specials must be non-empty strings');
    await expect(Vocabulary.build(CORPUS, { specials: '<pad>' } as never)).rejects.toThrow('Vocabulary.build: specials must be an array of strings');
    await expect(Vocabulary.build(CORPUS, { specials: ['<pad>'], maxSize: 1 })).rejects.toThrow(
      'Vocabulary.build: maxSize must be an integer >= 2, got a number (1)',
    );
    await expect(Vocabulary.build(CORPUS, { tokenizer: { bogus: 1 } } as never)).rejects.toThrow("tokenizer: unknown option 'bogus'");
  });
});

describe('Vocabulary.fromCounts', () => {
  it('selects and orders like build', () => {
    const v = Vocabulary.fromCounts(
      new Map([
        ['b', 2],
        ['a', 2],
        ['c', 5],
        ['d', 1],
      ]),
      { minCount: 2, specials: ['<unk>'] },
    );
    expect(v.words).toEqual(['<unk>', 'c', 'a', 'b']);
    expect(v.count('c')).toBe(5);
  });

  it('rejects duplicates, bad counts and bad pairs', () => {
    expect(() =>
      Vocabulary.fromCounts([
        ['a', 1],
        ['a', 2],
      ]),
    ).toThrow("Vocabulary.fromCounts: word 'a' is given twice");
    expect(() => Vocabulary.fromCounts([['a', 1.5]])).toThrow("Vocabulary.fromCounts: the count of 'a' must be a non-negative integer, got a number (1.5)");
    expect(() => Vocabulary.fromCounts([['a', -1]])).toThrow(ArgumentError);
    expect(() => Vocabulary.fromCounts([['', 1]])).toThrow('Vocabulary.fromCounts: expected [word, count] pairs with a non-empty word, got ["",1]');
    expect(() => Vocabulary.fromCounts([['a']] as never)).toThrow('expected [word, count] pairs');
    expect(() => Vocabulary.fromCounts(5 as never)).toThrow('Vocabulary.fromCounts: expected an iterable of [word, count] pairs');
    expect(() => Vocabulary.fromCounts([])).toThrow('Vocabulary.fromCounts: no word occurs at least minCount = 1 times (the most frequent occurs 0 times)');
    expect(() => Vocabulary.fromCounts([['a', 0]])).toThrow('no word occurs at least minCount = 1 times');
  });
});

describe('encode / decode', () => {
  const v = Vocabulary.fromCounts(
    [
      ['the', 3],
      ['cat', 2],
      ['sat', 1],
    ],
    { specials: ['<pad>', '<unk>'] },
  );

  it('encodes to int32 tensors: unknown words → <unk>, truncation, padding with <pad>', () => {
    const before = memory().tensors;
    const a = v.encode(['the', 'dog', 'sat']);
    expect(a.dtype).toBe('int32');
    expect(a.shape).toEqual([3]);
    expect(Array.from(a.dataSync())).toEqual([2, 1, 4]);
    const b = v.encode(['the', 'cat', 'sat', 'the'], { maxLength: 2 });
    expect(Array.from(b.dataSync())).toEqual([2, 3]);
    const c = v.encode(['cat'], { maxLength: 4, padding: true });
    expect(Array.from(c.dataSync())).toEqual([3, 0, 0, 0]);
    const d = v.encode([]);
    expect(d.shape).toEqual([0]);
    expect(memory().tensors).toBe(before + 4);
    for (const t of [a, b, c, d]) t.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('decodes tensors and arrays', () => {
    const t = tensor([4, 3, 2, 0], { dtype: 'int32' });
    expect(v.decode(t)).toEqual(['sat', 'cat', 'the', '<pad>']);
    t.dispose();
    expect(v.decode([1, 2])).toEqual(['<unk>', 'the']);
    expect(v.decode(new Int32Array([3]))).toEqual(['cat']);
    const round = v.encode(['the', 'cat']);
    expect(v.decode(round)).toEqual(['the', 'cat']);
    round.dispose();
  });

  it('rejects unknown words without <unk>, padding without <pad> or maxLength, bad ids', () => {
    const plain = Vocabulary.fromCounts([['a', 1]]);
    const before = memory().tensors;
    expect(() => plain.encode(['a', 'zebra'])).toThrow("Vocabulary.encode: word 'zebra' is not in the vocabulary");
    expect(() => plain.encode(['a'], { maxLength: 3, padding: true })).toThrow("Vocabulary.encode: padding: true needs '<pad>' among the specials");
    expect(() => v.encode(['a'], { padding: true })).toThrow('Vocabulary.encode: padding: true needs maxLength');
    expect(() => v.encode(['a'], { maxLength: 0 })).toThrow('Vocabulary.encode: maxLength must be an integer >= 1');
    expect(() => v.encode(['a'], { pad: true } as never)).toThrow("Vocabulary.encode: unknown option 'pad' (expected maxLength, padding)");
    expect(() => v.encode('the cat' as never)).toThrow('Vocabulary.encode: expected an array of tokens, got a string');
    expect(() => v.encode([1] as never)).toThrow('Vocabulary.encode: token 0 is a number (1), expected a string');
    expect(memory().tensors).toBe(before);
    expect(() => v.decode([5])).toThrow('Vocabulary.decode: id 5 at position 0 is not an integer in [0, 5)');
    expect(() => v.decode([0, -1])).toThrow('Vocabulary.decode: id -1 at position 1');
    expect(() => v.decode([1.5])).toThrow(ArgumentError);
    const m = tensor([[1, 2]], { dtype: 'int32' });
    expect(() => v.decode(m)).toThrow(ShapeError);
    expect(() => v.decode(m)).toThrow('Vocabulary.decode: expected a 1-D tensor of ids, got shape [1,2]');
    m.dispose();
    const b = tensor([true]);
    expect(() => v.decode(b)).toThrow('Vocabulary.decode: expected integer ids, got a bool tensor');
    b.dispose();
    expect(() => v.decode('1 2' as never)).toThrow('Vocabulary.decode: expected a Tensor or an array of ids');
  });
});

describe('save and load', () => {
  it('JSON round-trips (object and text), keeping ids, counts and specials', async () => {
    const v = await Vocabulary.build(CORPUS, { specials: ['<pad>', '<unk>'] });
    const json = v.toJSON();
    expect(json).toEqual({
      format: 'aimodel-vocabulary',
      version: 1,
      specials: ['<pad>', '<unk>'],
      words: ['the', 'cat', 'sat', 'a', 'dog', 'end', 'mat', 'on'],
      counts: [4, 2, 2, 1, 1, 1, 1, 1],
    });
    for (const back of [Vocabulary.fromJSON(json), Vocabulary.fromJSON(JSON.stringify(v))]) {
      expect(back.words).toEqual(v.words);
      expect(back.specials).toEqual(v.specials);
      expect(back.words.map((w) => back.count(w))).toEqual(v.words.map((w) => v.count(w)));
    }
  });

  it('the word count text format round-trips and matches the reference layout', async () => {
    const v = await Vocabulary.build(CORPUS, { specials: ['<unk>'] });
    const text = v.toCountsText();
    expect(text).toBe('the 4\ncat 2\nsat 2\na 1\ndog 1\nend 1\nmat 1\non 1\n');
    const back = Vocabulary.fromCountsText(text, { specials: ['<unk>'] });
    expect(back.words).toEqual(v.words);
    expect(back.count('sat')).toBe(2);
    // without a trailing newline, with \r\n and tabs; the order of the file is kept
    const loose = Vocabulary.fromCountsText('b 1\r\na\t5');
    expect(loose.words).toEqual(['b', 'a']);
    expect(loose.count('a')).toBe(5);
  });

  it('JSON loading rejects malformed input, naming the problem', () => {
    const ok = { format: 'aimodel-vocabulary', version: 1, specials: ['<unk>'], words: ['a', 'b'], counts: [2, 1] };
    const bad: [unknown, string][] = [
      ['{oops', 'Vocabulary.fromJSON: not valid JSON'],
      [[1], 'Vocabulary.fromJSON: expected a vocabulary object, got an array'],
      [{ ...ok, format: 'x' }, 'expected format \'aimodel-vocabulary\' version 1, got format "x" version 1'],
      [{ ...ok, version: 2 }, 'version 2'],
      [{ ...ok, words: 'a' }, 'Vocabulary.fromJSON: words and counts must be arrays'],
      [{ ...ok, counts: [1] }, 'Vocabulary.fromJSON: words and counts differ in length (2 and 1)'],
      [{ ...ok, counts: [2, 'x'] }, "Vocabulary.fromJSON: counts[1] (of 'b') must be a non-negative integer, got a string"],
      [{ ...ok, words: ['a', 3] }, 'Vocabulary.fromJSON: words[1] must be a non-empty string, got a number (3)'],
      [{ ...ok, words: ['a', 'a'] }, "Vocabulary.fromJSON: words[1]: word 'a' is already at words[0]"],
      [{ ...ok, words: ['a', '<unk>'] }, "Vocabulary.fromJSON: words[1]: word '<unk>' is already a special token"],
      [{ ...ok, specials: ['<unk>', '<unk>'] }, "Vocabulary.fromJSON: special token '<unk>' is given twice"],
      [{ ...ok, words: [], counts: [] }, 'Vocabulary.fromJSON: the vocabulary has no words'],
    ];
    for (const [input, message] of bad) {
      expect(() => Vocabulary.fromJSON(input), message).toThrow(ArgumentError);
      expect(() => Vocabulary.fromJSON(input)).toThrow(message);
    }
  });

  it('text loading rejects missing fields, non-integer counts and duplicates, naming the line', () => {
    const bad: [string, string][] = [
      ['a 1\nb\n', 'Vocabulary.fromCountsText: line 2: expected \'word count\', got "b"'],
      ['a 1\nb 2 3\n', 'line 2: expected \'word count\', got "b 2 3"'],
      ['a 1\n\nb 2\n', 'line 2: expected \'word count\', got ""'],
      ['a 1\nb 2.5\n', "Vocabulary.fromCountsText: line 2: the count of 'b' must be a non-negative integer, got '2.5'"],
      ['a -1\n', "line 1: the count of 'a' must be a non-negative integer, got '-1'"],
      ['a 99999999999999999999\n', 'line 1: the count of'],
      ['a 1\nb 1\na 3\n', "Vocabulary.fromCountsText: line 3: word 'a' is already at line 1"],
      ['', 'Vocabulary.fromCountsText: the vocabulary has no words'],
    ];
    for (const [text, message] of bad) {
      expect(() => Vocabulary.fromCountsText(text), JSON.stringify(text)).toThrow(ArgumentError);
      expect(() => Vocabulary.fromCountsText(text)).toThrow(message);
    }
    expect(() => Vocabulary.fromCountsText('<unk> 3\n', { specials: ['<unk>'] })).toThrow("line 1: word '<unk>' is already a special token");
    expect(() => Vocabulary.fromCountsText(3 as never)).toThrow("Vocabulary.fromCountsText: expected the text of a 'word count' file");
    expect(() => Vocabulary.fromCountsText('a 1', { special: [] } as never)).toThrow("Vocabulary.fromCountsText: unknown option 'special' (expected specials)");
  });

  it('toCountsText refuses words with whitespace', async () => {
    const v = await Vocabulary.build(['new york'], { tokenizer: (s) => [s] });
    expect(() => v.toCountsText()).toThrow('Vocabulary.toCountsText: word "new york" contains whitespace');
    expect(Vocabulary.fromJSON(JSON.stringify(v)).words).toEqual(['new york']);
  });
});
