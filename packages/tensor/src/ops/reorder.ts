import { arange } from '../creation';
import { ArgumentError } from '../errors';
import { scope } from '../memory';
import { normDim } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs } from './define-op';
import { cat } from './movement';

/** Reversing and rotating along dims: gathers with device-made indices, and concatenated views. */

function dimsOf(op: string, x: Tensor, dims: number | readonly number[]): number[] {
  const list = (typeof dims === 'number' ? [dims] : [...dims]).map((d) => normDim(op, d, x.ndim));
  if (new Set(list).size !== list.length) throw new ArgumentError(op, `dims must be distinct, got [${list.join(', ')}]`);
  return list;
}

/**
 * The elements in reverse order along each of `dims` (`torch.flip`), as a copy.
 * @example
 * ```ts
 * flip(tensor([[1, 2], [3, 4]]), [0]);    // [[3, 4], [1, 2]]
 * flip(tensor([[1, 2], [3, 4]]), [0, 1]); // [[4, 3], [2, 1]]
 * ```
 */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  checkInputs('flip', [x]);
  const list = dimsOf('flip', x, dims);
  return scope(() => {
    let y = x;
    for (const d of list) {
      const n = x.shape[d];
      if (n > 1) y = y.indexSelect(d, arange(n - 1, -1, -1, { dtype: 'int32', device: x.device }));
    }
    return y === x ? x.clone() : y;
  });
}

/**
 * Rotate elements along dims (`torch.roll`): element i moves to (i + shift) mod n; without `dims`
 * the tensor is rolled as if flattened, then given its shape back.
 * @example
 * ```ts
 * roll(tensor([1, 2, 3, 4]), 1);                  // [4, 1, 2, 3]
 * roll(tensor([[1, 2], [3, 4]]), [1, -1], [0, 1]); // [[4, 3], [2, 1]]
 * ```
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  checkInputs('roll', [x]);
  const s = typeof shifts === 'number' ? [shifts] : [...shifts];
  if (s.some((v) => !Number.isInteger(v))) throw new ArgumentError('roll', `shifts must be integers, got [${s.join(', ')}]`);
  if (dims === undefined) {
    if (s.length !== 1) throw new ArgumentError('roll', `without dims, shifts must be one number, got [${s.join(', ')}]`);
    return scope(() => roll(x.flatten(), s[0], 0).reshape(x.shape));
  }
  const list = dimsOf('roll', x, dims);
  if (list.length !== s.length) throw new ArgumentError('roll', `shifts and dims must have the same length, got ${s.length} and ${list.length}`);
  return scope(() => {
    let y = x;
    list.forEach((d, i) => {
      const n = x.shape[d];
      const k = n === 0 ? 0 : ((s[i] % n) + n) % n;
      if (k !== 0) y = cat([y.narrow(d, n - k, k), y.narrow(d, 0, n - k)], d);
    });
    return y === x ? x.clone() : y;
  });
}
