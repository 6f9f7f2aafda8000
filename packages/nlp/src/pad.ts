import { ArgumentError, type Tensor, tensor } from '@aimodel/tensor';
import { checkInt, checkKeys, describe } from './checks';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Stacks id sequences of different lengths into one batch: `ids` is int32 `[batch, length]`,
 * padded with `padId` (default 0) at the end, and `mask` is bool `[batch, length]`, true where a
 * real token is. `length` is `maxLength` when given (longer sequences are truncated, shorter ones
 * padded up to it), else the longest sequence's length.
 *
 * @throws ArgumentError for an empty batch, ids or padId that are not int32 integers, bad options.
 *
 * @example
 * ```ts
 * const { ids, mask } = padBatch([[5, 6, 7], [8]], { padId: 0 });
 * ids; // [[5, 6, 7], [8, 0, 0]]
 * mask; // [[true, true, true], [true, false, false]]
 * padBatch([[1, 2, 3, 4], [5]], { maxLength: 2 }).ids; // [[1, 2], [5, 0]]
 * const opts = JSON.parse('{ "padid": 0 }');
 * padBatch([[1]], opts); // ArgumentError: padBatch: unknown option 'padid'
 * ```
 */
export function padBatch(sequences: readonly (readonly number[])[], opts: { maxLength?: number; padId?: number } = {}): { ids: Tensor; mask: Tensor } {
  const op = 'padBatch';
  checkKeys(op, opts, ['maxLength', 'padId']);
  const { maxLength, padId = 0 } = opts;
  checkInt(op, 'maxLength', maxLength, 0);
  if (typeof padId !== 'number' || !Number.isInteger(padId) || padId < INT32_MIN || padId > INT32_MAX)
    throw new ArgumentError(op, `padId must be an int32 integer, got ${describe(padId)}`);
  if (!Array.isArray(sequences)) throw new ArgumentError(op, `expected an array of id sequences, got ${describe(sequences)}`);
  if (sequences.length === 0) throw new ArgumentError(op, 'expected at least one sequence, got an empty batch');
  let longest = 0;
  sequences.forEach((s, b) => {
    if (!Array.isArray(s) && !ArrayBuffer.isView(s)) throw new ArgumentError(op, `sequence ${b} is ${describe(s)}, expected an array of ids`);
    longest = Math.max(longest, (s as ArrayLike<number>).length);
  });
  const length = maxLength ?? longest;
  const ids: number[][] = [];
  const mask: boolean[][] = [];
  sequences.forEach((s, b) => {
    const row = new Array<number>(length).fill(padId);
    const real = new Array<boolean>(length).fill(false);
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX)
        throw new ArgumentError(op, `sequence ${b}, position ${i}: expected an int32 id, got ${describe(v)}`);
      if (i >= length) continue;
      row[i] = v;
      real[i] = true;
    }
    ids.push(row);
    mask.push(real);
  });
  return { ids: tensor(ids, { dtype: 'int32' }), mask: tensor(mask, { dtype: 'bool' }) };
}
