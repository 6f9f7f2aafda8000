import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ArgumentError } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';
import { type Corpus, documents, Vocabulary } from '../src/index';

async function collect(c: Corpus): Promise<string[]> {
  const out: string[] = [];
  for await (const d of documents(c)) out.push(d);
  return out;
}

describe('documents', () => {
  it('splits a string on \\n and \\r\\n; a trailing newline gives no extra document', async () => {
    expect(await collect('a b\r\nc\n\nd\n')).toEqual(['a b', 'c', '', 'd']);
    expect(await collect('one')).toEqual(['one']);
    expect(await collect('one\r\n')).toEqual(['one']);
    expect(await collect('')).toEqual([]);
    expect(await collect('\n')).toEqual(['']);
  });

  it('takes each array element as one document (newlines inside included)', async () => {
    expect(await collect(['x y', 'z\nw', ''])).toEqual(['x y', 'z\nw', '']);
  });

  it('streams sync and async iterables lazily, one line at a time', async () => {
    function* sync() {
      yield 'l1';
      yield 'l2';
    }
    expect(await collect(sync())).toEqual(['l1', 'l2']);
    expect(await collect(new Set(['s1', 's2']))).toEqual(['s1', 's2']);
    let produced = 0;
    async function* lines() {
      for (let i = 0; i < 1000; i++) {
        produced++;
        yield `line ${i}`;
      }
    }
    const it = documents(lines())[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('line 0');
    expect(produced).toBe(1); // nothing read ahead
    await it.return?.();
  });

  it('reads a real file line by line through node:readline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlp-corpus-'));
    try {
      const path = join(dir, 'corpus.txt');
      writeFileSync(path, 'The cat sat.\r\nThe dog ran!\nA cat ran\n');
      const rl = () => createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
      expect(await collect(rl())).toEqual(['The cat sat.', 'The dog ran!', 'A cat ran']);
      const vocab = await Vocabulary.build(rl());
      expect(vocab.words).toEqual(['cat', 'ran', 'the', 'a', 'dog', 'sat']);
      expect([vocab.count('cat'), vocab.count('ran'), vocab.count('the'), vocab.count('a')]).toEqual([2, 2, 2, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds a vocabulary from a generated async iterable larger than one string', async () => {
    async function* gen() {
      for (let i = 0; i < 20000; i++) yield `w${i % 7} w${i % 3} common`;
    }
    const vocab = await Vocabulary.build(gen());
    expect(vocab.count('common')).toBe(20000);
    // w0: i%7==0 (2858) + i%3==0 (6667); w1: 2857 + 6667; w2: 2857 + 6666; w3..w6: 2857 each
    expect(vocab.words).toEqual(['common', 'w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
    expect(vocab.count('w0')).toBe(2858 + 6667);
    expect(vocab.count('w2')).toBe(2857 + 6666);
    expect(vocab.count('w6')).toBe(2857);
  });

  it('rejects what is not a corpus, and lines that are not strings', async () => {
    for (const bad of [42, null, undefined, { a: 1 }, true]) {
      expect(() => documents(bad as never)).toThrow(ArgumentError);
    }
    expect(() => documents(42 as never)).toThrow('documents: expected a string, an array of strings or a (sync or async) iterable of lines, got a number (42)');
    await expect(collect(['ok', 3] as never)).rejects.toThrow('documents: document 2 is a number (3), expected a string');
    async function* bad() {
      yield 'fine';
      yield null;
    }
    await expect(collect(bad() as never)).rejects.toThrow('documents: line 2 is null, expected a string');
    await expect(collect(new Set([{}]) as never)).rejects.toThrow('documents: line 1 is an object (Object), expected a string');
    await expect(Vocabulary.build(new Set(['a', 7]) as never)).rejects.toThrow('documents: line 2 is a number (7)');
  });
});
