import { arange, zeros } from '../creation';
import { ArgumentError, ShapeError } from '../errors';
import { scope } from '../memory';
import { fmt, normDim } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp, defineView } from './define-op';
import { where } from './elementwise';

/**
 * Triangles and diagonals of matrices: tril/triu (a mask made on the device from two aranges),
 * diagonal (a strided view), diag (a vector onto a diagonal, or a matrix's diagonal) and trace.
 */

function checkMatrixLike(op: string, x: Tensor): void {
  checkInputs(op, [x]);
  if (x.ndim < 2) throw new ShapeError(op, `expected a matrix or a batch of matrices [..., m, n], got ${fmt(x.shape)}`);
}

/** [m, n] bool: true where column − row ≥ k (upper) or ≤ k (lower), made on x's device. */
function triangleMask(x: Tensor, k: number, upper: boolean): Tensor {
  const m = x.shape.at(-2)!;
  const n = x.shape.at(-1)!;
  const rows = arange(m, { dtype: 'int32', device: x.device }).unsqueeze(1).add(k);
  const cols = arange(n, { dtype: 'int32', device: x.device });
  return upper ? cols.ge(rows) : cols.le(rows);
}

function checkK(op: string, k: number): void {
  if (!Number.isInteger(k)) throw new ArgumentError(op, `diagonal must be an integer, got ${k}`);
}

/**
 * The lower triangle of the last two dims (`torch.tril`): elements with column − row ≤ `diagonal`
 * kept, the others zero. Differentiable (the gradient is masked the same way).
 * @example
 * ```ts
 * tril(ones([3, 3]));     // [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
 * tril(ones([2, 3]), -1); // [[0, 0, 0], [1, 0, 0]]
 * ```
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  checkMatrixLike('tril', x);
  checkK('tril', diagonal);
  return scope(() => where(triangleMask(x, diagonal, false), x, 0));
}

/**
 * The upper triangle of the last two dims (`torch.triu`): elements with column − row ≥ `diagonal`
 * kept, the others zero.
 * @example
 * ```ts
 * triu(ones([3, 3]), 1); // [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
 * ```
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  checkMatrixLike('triu', x);
  checkK('triu', diagonal);
  return scope(() => where(triangleMask(x, diagonal, true), x, 0));
}

interface DiagonalAttrs {
  offset: number;
  dim1: number;
  dim2: number;
}

/** Geometry of the diagonal view: dims dim1 and dim2 removed, the diagonal appended last. */
function diagonalGeometry(shape: readonly number[], strides: readonly number[], { offset, dim1, dim2 }: DiagonalAttrs) {
  const len = Math.max(0, offset >= 0 ? Math.min(shape[dim1], shape[dim2] - offset) : Math.min(shape[dim1] + offset, shape[dim2]));
  const start = len === 0 ? 0 : offset >= 0 ? offset * strides[dim2] : -offset * strides[dim1];
  const keep = shape.map((_, i) => i).filter((i) => i !== dim1 && i !== dim2);
  return { shape: [...keep.map((i) => shape[i]), len], strides: [...keep.map((i) => strides[i]), strides[dim1] + strides[dim2]], start };
}

const diagonalView = defineView<DiagonalAttrs>('diagonal', {
  view: (x, a) => {
    const g = diagonalGeometry(x.shape, x.strides, a);
    return { shape: g.shape, strides: g.strides, offset: x.offset + g.start };
  },
  backward: (gy, [x], _out, a) => [
    () => {
      const g = zeros(x.shape, { device: x.device });
      diagonalView(g, a).assign(gy);
      return g;
    },
  ],
});

/**
 * The diagonal of dims `dim1`, `dim2` (default the last two) as a view with those dims removed and
 * the diagonal appended last (`torch.diagonal`); `offset` > 0 above the main diagonal, < 0 below.
 * @example
 * ```ts
 * diagonal(tensor([[1, 2, 3], [4, 5, 6]]));    // [1, 5]
 * diagonal(tensor([[1, 2, 3], [4, 5, 6]]), 1); // [2, 6]
 * ```
 */
export function diagonal(x: Tensor, offset = 0, dim1 = -2, dim2 = -1): Tensor {
  checkMatrixLike('diagonal', x);
  checkK('diagonal', offset);
  const d1 = normDim('diagonal', dim1, x.ndim);
  const d2 = normDim('diagonal', dim2, x.ndim);
  if (d1 === d2) throw new ArgumentError('diagonal', `dim1 and dim2 must differ, both are ${d1}`);
  return diagonalView(x, { offset, dim1: d1, dim2: d2 });
}

/** A [n + |k|, n + |k|] matrix with the vector on diagonal k, zeros elsewhere (backend fill + strided copy). */
const diagEmbed = defineOp<{ k: number }>('diag', {
  infer: ([x], { k }) => {
    const n = x.shape[0] + Math.abs(k);
    return { shape: [n, n], dtype: x.dtype };
  },
  forward: (be, [x], out, { k }, shape) => {
    const n = shape[0];
    be.fill({ storage: out, shape, strides: [n, 1], offset: 0 }, 0);
    const len = x.shape[0];
    be.copy(x, { storage: out, shape: [len], strides: [n + 1], offset: k >= 0 ? k : -k * n });
  },
  backward: (gy, _x, _out, { k }) => [() => diagonal(gy, k).contiguous()],
});

/**
 * `torch.diag`: a 1-D tensor becomes a square matrix with it on diagonal `diagonal`; a matrix gives
 * its diagonal (a copy).
 * @example
 * ```ts
 * diag(tensor([1, 2]));             // [[1, 0], [0, 2]]
 * diag(tensor([[1, 2], [3, 4]]));   // [1, 4]
 * ```
 */
export function diag(x: Tensor, diagonal_ = 0): Tensor {
  checkInputs('diag', [x]);
  checkK('diag', diagonal_);
  if (x.ndim === 1) return diagEmbed([x], { k: diagonal_ });
  if (x.ndim === 2) return scope(() => diagonal(x, diagonal_).contiguous());
  throw new ShapeError('diag', `expected a 1-D or 2-D tensor, got ${fmt(x.shape)}`);
}

/**
 * Sum of the main diagonal of a matrix (`torch.trace`).
 * @example
 * ```ts
 * trace(tensor([[1, 2], [3, 4]])); // 5
 * ```
 */
export function trace(x: Tensor): Tensor {
  checkInputs('trace', [x]);
  if (x.ndim !== 2) throw new ShapeError('trace', `expected a matrix, got ${fmt(x.shape)}`);
  return scope(() => diagonal(x).sum());
}
