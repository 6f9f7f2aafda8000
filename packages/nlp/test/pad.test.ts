import { ArgumentError, memory } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';
import { padBatch } from '../src/index';

describe('padBatch', () => {
  it('pads to the longest sequence with padId, mask true on real tokens', () => {
    const before = memory().tensors;
    const { ids, mask } = padBatch([[5, 6, 7], [8], []], { padId: -1 });
    expect(ids.dtype).toBe('int32');
    expect(mask.dtype).toBe('bool');
    expect(ids.shape).toEqual([3, 3]);
    expect(mask.shape).toEqual([3, 3]);
    expect(Array.from(ids.dataSync())).toEqual([5, 6, 7, 8, -1, -1, -1, -1, -1]);
    expect(Array.from(mask.dataSync())).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0]);
    ids.dispose();
    mask.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('maxLength truncates longer sequences and pads shorter ones up to it; padId defaults to 0', () => {
    const { ids, mask } = padBatch([[1, 2, 3, 4], new Int32Array([9]) as unknown as number[]], { maxLength: 3 });
    expect(ids.shape).toEqual([2, 3]);
    expect(Array.from(ids.dataSync())).toEqual([1, 2, 3, 9, 0, 0]);
    expect(Array.from(mask.dataSync())).toEqual([1, 1, 1, 1, 0, 0]);
    ids.dispose();
    mask.dispose();
    const wide = padBatch([[1], [2]], { maxLength: 0 });
    expect(wide.ids.shape).toEqual([2, 0]);
    wide.ids.dispose();
    wide.mask.dispose();
    const empty = padBatch([[], []]);
    expect(empty.ids.shape).toEqual([2, 0]);
    empty.ids.dispose();
    empty.mask.dispose();
  });

  it('rejects empty batches, non-integer ids, bad options, creating no tensor', () => {
    const before = memory().tensors;
    const bad: [unknown, unknown, string][] = [
      [[], undefined, 'padBatch: expected at least one sequence, got an empty batch'],
      ['abc', undefined, 'padBatch: expected an array of id sequences, got a string'],
      [[[1], 2], undefined, 'padBatch: sequence 1 is a number (2), expected an array of ids'],
      [[[1, 2.5]], undefined, 'padBatch: sequence 0, position 1: expected an int32 id, got a number (2.5)'],
      [[[1, 2 ** 31]], undefined, 'padBatch: sequence 0, position 1: expected an int32 id'],
      [[[1, 2, 'x']], { maxLength: 1 }, 'padBatch: sequence 0, position 2: expected an int32 id, got a string'],
      [[[1]], { padId: 0.5 }, 'padBatch: padId must be an int32 integer, got a number (0.5)'],
      [[[1]], { maxLength: -1 }, 'padBatch: maxLength must be an integer >= 0, got a number (-1)'],
      [[[1]], { padid: 0 }, "padBatch: unknown option 'padid' (expected maxLength, padId)"],
      [[[1]], 'x', 'padBatch: expected an options object, got string'],
    ];
    for (const [seqs, opts, message] of bad) {
      expect(() => padBatch(seqs as never, opts as never), message).toThrow(ArgumentError);
      expect(() => padBatch(seqs as never, opts as never)).toThrow(message);
    }
    expect(memory().tensors).toBe(before);
  });
});
