import { arange, zeros } from '../creation';
import { ArgumentError, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { contiguousStrides, fmt, normDim } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp } from './define-op';

function checkIndexTensor(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') throw new DTypeError(op, `index must be int32, got ${index.dtype}`);
}

const gatherOp = defineOp<{ dim: number }>('gather', {
  infer: ([x, index], { dim }) => {
    checkIndexTensor('gather', index);
    if (index.ndim !== x.ndim || index.shape.some((d, i) => i !== dim && d > x.shape[i])) {
      throw new ShapeError('gather', `index ${fmt(index.shape)} must have the input's rank and fit inside ${fmt(x.shape)} outside dim ${dim}`);
    }
    return { shape: [...index.shape], dtype: x.dtype };
  },
  forward: (be, [x, index], out, { dim }) => be.gather(x, dim, index, out),
  backward: (gy, [x, index], _out, { dim }) => [() => zeros(x.shape, { device: x.device }).scatterAdd(dim, index, gy), null],
});

const scatterAddOp = defineOp<{ dim: number }>('scatterAdd', {
  infer: ([x, index, src], { dim }) => {
    checkIndexTensor('scatterAdd', index);
    if (src.dtype !== x.dtype) throw new DTypeError('scatterAdd', `src dtype ${src.dtype} must match input dtype ${x.dtype}`);
    const fits = index.ndim === x.ndim && index.ndim === src.ndim &&
      index.shape.every((d, i) => d <= src.shape[i] && (i === dim || d <= x.shape[i]));
    if (!fits) {
      throw new ShapeError('scatterAdd', `index ${fmt(index.shape)} must have the rank of input ${fmt(x.shape)} and src ${fmt(src.shape)} and fit inside both (input only outside dim ${dim})`);
    }
    return { shape: [...x.shape], dtype: x.dtype };
  },
  forward: (be, [x, index, src], out, { dim }, shape) => {
    be.copy(x, { storage: out, shape, strides: contiguousStrides(shape), offset: 0 });
    be.scatterAdd(out, shape, dim, index, src);
  },
  backward: (gy, [_x, index, src], _out, { dim }) => [
    () => gy,
    null,
    () => {
      // only the positions of src that index reaches receive gradient: pad the rest with zeros
      const padding = src.shape.map((d, i) => [0, d - index.shape[i]]).reverse().flat();
      return gy.gather(dim, index).pad(padding);
    },
  ],
});

/**
 * out[i][j] = x[index[i][j]][j] for dim 0 (and likewise for other dims): picks values along `dim`.
 * @example
 * ```ts
 * gather(tensor([[1, 2], [3, 4]]), 1, tensor([[1], [0]], { dtype: 'int32' })); // [[2], [3]]
 * ```
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return gatherOp([x, index], { dim: normDim('gather', dim, x.ndim) });
}

/**
 * A copy of `x` with src[p] added at position p with coordinate `dim` replaced by index[p];
 * repeated indices accumulate.
 * @example
 * ```ts
 * scatterAdd(zeros([3]), 0, tensor([0, 0, 2], { dtype: 'int32' }), tensor([1, 2, 5])); // [3, 0, 5]
 * ```
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return scatterAddOp([x, index, src], { dim: normDim('scatterAdd', dim, x.ndim) });
}

/**
 * Entries of `x` along `dim` at the positions in the 1-D int32 `index`.
 * @example
 * ```ts
 * indexSelect(tensor([[1, 2], [3, 4], [5, 6]]), 0, tensor([2, 0], { dtype: 'int32' })); // [[5, 6], [1, 2]]
 * ```
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkInputs('indexSelect', [x, index]);
  checkIndexTensor('indexSelect', index);
  if (index.ndim !== 1) throw new ShapeError('indexSelect', `index must be 1-D, got ${fmt(index.shape)}`);
  const d = normDim('indexSelect', dim, x.ndim);
  const shape = x.shape.map((s, i) => (i === d ? index.shape[0] : s));
  return scope(() => gather(x, d, index.reshape(shape.map((s, i) => (i === d ? s : 1))).expand(shape)));
}

/**
 * Look up rows of `weight` [numEmbeddings, dim] for int32 `indices` of any shape → [...indices.shape, dim].
 * @example
 * ```ts
 * embedding(tensor([[0, 2]], { dtype: 'int32' }), randn([5, 3])).shape; // [1, 2, 3]
 * ```
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  checkInputs('embedding', [indices, weight]);
  checkIndexTensor('embedding', indices);
  if (weight.ndim !== 2) throw new ShapeError('embedding', `weight must be 2-D [numEmbeddings, dim], got ${fmt(weight.shape)}`);
  return scope(() => indexSelect(weight, 0, indices.reshape([-1])).reshape([...indices.shape, weight.shape[1]]));
}

/**
 * One-hot encoding of int32 class indices → int32 [...shape, numClasses]. With numClasses −1
 * (default) it is max(indices) + 1, which reads the data (CPU tensors only).
 * @example
 * ```ts
 * oneHot(tensor([0, 2], { dtype: 'int32' }), 3); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  checkInputs('oneHot', [indices]);
  checkIndexTensor('oneHot', indices);
  let n = numClasses;
  if (n === -1 || indices.device === 'cpu') {
    const values = indices.dataSync();
    let hi = -1;
    for (const v of values) {
      if (v < 0) throw new ArgumentError('oneHot', `class values must be non-negative, got ${v}`);
      hi = Math.max(hi, v);
    }
    if (n === -1) n = hi + 1;
    else if (hi >= n) throw new ArgumentError('oneHot', `class value ${hi} is out of range for numClasses ${n}`);
  }
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError('oneHot', `numClasses must be a non-negative integer or -1, got ${numClasses}`);
  return scope(() => indices.unsqueeze(-1).eq(arange(n, undefined, 1, { dtype: 'int32', device: indices.device })).to('int32'));
}
