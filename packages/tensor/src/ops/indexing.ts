import { isGradEnabled } from '../autograd/grad-mode';
import { arange, zeros } from '../creation';
import { backendOf } from '../device';
import { ArgumentError, checkOptions, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { contiguousStrides, fmt, isContiguous, normDim } from '../shape';
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
    const fits = index.ndim === x.ndim && index.ndim === src.ndim && index.shape.every((d, i) => d <= src.shape[i] && (i === dim || d <= x.shape[i]));
    if (!fits) {
      throw new ShapeError(
        'scatterAdd',
        `index ${fmt(index.shape)} must have the rank of input ${fmt(x.shape)} and src ${fmt(src.shape)} and fit inside both (input only outside dim ${dim})`,
      );
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
      const padding = src.shape
        .map((d, i) => [0, d - index.shape[i]])
        .reverse()
        .flat();
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

// ── in place, outside autograd: row-sparse updates without copying the destination ──────
/**
 * Options of {@link indexAdd_}.
 * @example
 * ```ts
 * indexAdd_(zeros([3]), 0, tensor([1], { dtype: 'int32' }), tensor([2]), { alpha: -0.5 }); // [0, -1, 0]
 * ```
 */
export interface IndexAddOptions {
  /** Multiplies `source` before it is added (default 1; an integer for integer tensors). */
  alpha?: number;
}

/** The checks both in-place adds share: disposal, devices, dtypes, layout, grad mode and dest's rank. */
function checkInPlace(op: string, dest: Tensor, index: Tensor, src: Tensor): void {
  checkInputs(op, [dest, index, src]);
  checkIndexTensor(op, index);
  if (src.dtype !== dest.dtype) throw new DTypeError(op, `source dtype ${src.dtype} must match dest dtype ${dest.dtype}`);
  if (!isContiguous(dest.shape, dest.strides)) {
    throw new ArgumentError(
      op,
      `dest must be contiguous to be updated in place, got shape ${fmt(dest.shape)} with strides ${fmt(dest.strides)} (update dest.contiguous() and assign() it back)`,
    );
  }
  if (dest.requiresGrad && isGradEnabled()) {
    throw new ArgumentError(op, 'dest requires grad: an in-place update would bypass autograd (run it inside noGrad(), or update a detached tensor)');
  }
  if (dest.ndim === 0) throw new ShapeError(op, 'dest must have at least one dim, got a 0-d tensor');
}

/**
 * Throw for an index outside [−size, size) before anything is written, when the index is in host
 * memory. WebGPU kernels cannot throw: there an out-of-range index is skipped (see the kernel).
 */
function checkRange(op: string, index: Tensor, size: number, dim: number): void {
  const be = backendOf(index.device);
  if (!be.readSync) return;
  for (const i of be.readSync(index._view())) {
    if (i < -size || i >= size) throw new ArgumentError(op, `index ${i} is out of bounds for dim ${dim} with size ${size}`);
  }
}

/**
 * In place, outside autograd (as `torch.Tensor.index_add_`): for each i, adds `alpha·source`'s
 * i-th slice along `dim` to `dest`'s slice `index[i]` (repeated indices accumulate; negative ones
 * count from the end). `index` is 1-D int32; `source` has dest's shape with `index.length` at
 * `dim`. Writes into dest's own memory (no copy: the cost is that of `source`, so adding a few
 * rows to a large embedding matrix is cheap) and returns `dest`. dest must be contiguous and must
 * not require grad while grad mode is on. An out-of-range index throws on the CPU before any
 * write; on WebGPU, where kernels cannot throw, it is skipped.
 * @example
 * ```ts
 * const table = zeros([4, 2]);
 * indexAdd_(table, 0, tensor([3, 0, 3], { dtype: 'int32' }), tensor([[1, 1], [2, 2], [3, 3]]));
 * table.dataSync(); // [2, 2, 0, 0, 0, 0, 4, 4]
 * ```
 */
export function indexAdd_(dest: Tensor, dim: number, index: Tensor, source: Tensor, opts: IndexAddOptions = {}): Tensor {
  const op = 'indexAdd_';
  checkInPlace(op, dest, index, source);
  checkOptions(op, opts, ['alpha']);
  const alpha = opts.alpha ?? 1;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || (dest.dtype !== 'float32' && !Number.isInteger(alpha))) {
    throw new ArgumentError(op, `alpha must be a finite number${dest.dtype === 'float32' ? '' : ` (an integer for ${dest.dtype})`}, got ${String(alpha)}`);
  }
  const d = normDim(op, dim, dest.ndim);
  if (index.ndim !== 1) throw new ShapeError(op, `index must be 1-D, got ${fmt(index.shape)}`);
  const want = dest.shape.map((s, i) => (i === d ? index.shape[0] : s));
  if (source.ndim !== dest.ndim || source.shape.some((s, i) => s !== want[i])) {
    throw new ShapeError(
      op,
      `source must have shape ${fmt(want)} (dest ${fmt(dest.shape)} with index length ${index.shape[0]} at dim ${d}), got ${fmt(source.shape)}`,
    );
  }
  checkRange(op, index, dest.shape[d], d);
  if (index.shape[0] === 0 || source.numel() === 0) return dest;
  scope(() => {
    const src = alpha === 1 ? source : source.detach().mul(alpha).to(dest.dtype);
    // index[i] repeated over every other dim: a stride-0 view, nothing is materialised
    const strides = want.map((_, i) => (i === d ? index.strides[0] : 0));
    const indexView = { storage: index._storage, shape: want, strides, offset: index.offset };
    backendOf(dest.device).scatterAdd(dest._storage, dest.shape, d, indexView, src._view(), dest.offset);
  });
  return dest;
}

/**
 * In place, outside autograd (as `torch.Tensor.scatter_add_`): dest[p with `dim` replaced by
 * index[p]] += src[p] for every position p of `index` (repeated indices accumulate). The
 * in-place form of {@link scatterAdd}, with its shape rules; writes into dest's own memory and
 * returns `dest`. dest must be contiguous and must not require grad while grad mode is on. An
 * out-of-range index throws on the CPU before any write; on WebGPU it is skipped.
 * @example
 * ```ts
 * const counts = zeros([3]);
 * scatterAdd_(counts, 0, tensor([2, 0, 2], { dtype: 'int32' }), tensor([1, 1, 1]));
 * counts.dataSync(); // [1, 0, 2]
 * ```
 */
export function scatterAdd_(dest: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const op = 'scatterAdd_';
  checkInPlace(op, dest, index, src);
  const d = normDim(op, dim, dest.ndim);
  const fits = index.ndim === dest.ndim && index.ndim === src.ndim && index.shape.every((s, i) => s <= src.shape[i] && (i === d || s <= dest.shape[i]));
  if (!fits) {
    throw new ShapeError(
      op,
      `index ${fmt(index.shape)} must have the rank of dest ${fmt(dest.shape)} and src ${fmt(src.shape)} and fit inside both (dest only outside dim ${d})`,
    );
  }
  checkRange(op, index, dest.shape[d], d);
  if (index.numel() === 0) return dest;
  backendOf(dest.device).scatterAdd(dest._storage, dest.shape, d, index._view(), src._view(), dest.offset);
  return dest;
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
  return scope(() =>
    indices
      .unsqueeze(-1)
      .eq(arange(n, undefined, 1, { dtype: 'int32', device: indices.device }))
      .to('int32'),
  );
}
