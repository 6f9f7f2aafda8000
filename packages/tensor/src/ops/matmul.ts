import { DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { broadcastShapes, broadcastStrides, fmt } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp, type OpFn } from './define-op';

/** float32 × float32, or (for `matmul` only) int8 × int8, the integer product quantized layers use. */
function checkDTypes(op: string, a: Tensor, b: Tensor, allowInt8: boolean): void {
  if (a.dtype === 'float32' && b.dtype === 'float32') return;
  if (allowInt8 && a.dtype === 'int8' && b.dtype === 'int8') return;
  const expected = allowInt8 ? 'float32 tensors (or two int8 tensors)' : 'float32 tensors';
  throw new DTypeError(op, `expected ${expected}, got ${a.dtype} and ${b.dtype}`);
}

/** The checks of {@link matmul} (its function promotes 1-D operands around the op, so they run first). */
function checkMatmul(a: Tensor, b: Tensor): void {
  checkInputs('matmul', [a, b]);
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError('matmul', `both arguments need at least 1 dimension, got ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  checkDTypes('matmul', a, b, true);
  const ka = a.shape.at(-1)!;
  const kb = b.ndim === 1 ? b.shape[0] : b.shape.at(-2)!;
  if (ka !== kb) throw new ShapeError('matmul', `inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (${ka} != ${kb})`);
  broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
}

/** The checks of {@link linear}: its own contract (float32 only, weight [out, in], bias [out]). */
function checkLinear(x: Tensor, weight: Tensor, bias: Tensor | null | undefined): void {
  checkInputs('linear', bias ? [x, weight, bias] : [x, weight]);
  checkDTypes('linear', x, weight, false);
  if (weight.ndim !== 2) throw new ShapeError('linear', `weight must be 2-D [outFeatures, inFeatures], got ${fmt(weight.shape)}`);
  if (x.ndim === 0 || x.shape.at(-1) !== weight.shape[1]) {
    throw new ShapeError(
      'linear',
      `input's last dim must equal weight's inFeatures: input ${fmt(x.shape)}, weight ${fmt(weight.shape)} (expected last dim ${weight.shape[1]})`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError('linear', `bias must have shape [${weight.shape[0]}], got ${fmt(bias.shape)}`);
  }
}

/** Swap the last two dims (a view). */
const mT = (t: Tensor): Tensor => t.transpose(-1, -2);

// a [...A, M, K] @ b [...B, K, N] → [...broadcast(A, B), M, N]; checked by the public functions
const matmulOp: OpFn<undefined> = defineOp<undefined>('matmul', {
  infer: ([a, b]) => {
    const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    return { shape: [...batch, a.shape.at(-2)!, b.shape.at(-1)!], dtype: a.dtype === 'int8' ? 'int32' : 'float32' };
  },
  forward: (be, [a, b], out, _attrs, shape) => {
    const batch = shape.slice(0, -2);
    const view = (v: typeof a, rows: number, cols: number) => {
      const to = [...batch, rows, cols];
      return { storage: v.storage, shape: to, strides: broadcastStrides(v.shape, v.strides, to), offset: v.offset };
    };
    const [m, k] = a.shape.slice(-2);
    be.matmul(view(a, m, k), view(b, k, shape.at(-1)!), out);
  },
  // d(AB)/dA = G Bᵀ, d(AB)/dB = Aᵀ G; the engine sums broadcast batch dims
  backward: (gy, [a, b]) => [() => matmulOp([gy, mT(b)], undefined), () => matmulOp([mT(a), gy], undefined)],
});

/**
 * Matrix product with `torch.matmul` semantics: 1-D·1-D is a dot product, a 1-D operand is
 * promoted to a matrix and the added dim removed afterwards, and leading (batch) dims broadcast.
 * Operands are float32, or both int8: then the products are summed exactly into an int32 result
 * (wrapping past 2³¹ as int32 arithmetic does; exact while K ≤ 131,072), the integer product of
 * quantized layers, as `torch._int_mm` (not differentiable).
 * @example
 * ```ts
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])); // [[17], [39]]
 * matmul(randn([8, 1, 2, 3]), randn([5, 3, 4])).shape;  // [8, 5, 2, 4]
 * const q = tensor([[127, -128]], { dtype: 'int8' });
 * matmul(q, q.transpose(0, 1)); // int32 [[32513]]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkMatmul(a, b);
  return product(a, b);
}

/** The product of checked operands, 1-D ones promoted to matrices and the added dims removed. */
function product(a: Tensor, b: Tensor): Tensor {
  if (a.ndim >= 2 && b.ndim >= 2) return matmulOp([a, b], undefined);
  return scope(() => {
    const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
    const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
    let y = matmulOp([a2, b2], undefined);
    if (b.ndim === 1) y = y.squeeze(-1);
    if (a.ndim === 1) y = y.squeeze(a.ndim === 1 && b.ndim === 1 ? -1 : -2);
    return y;
  });
}

/**
 * Affine map y = x Wᵀ + b, with `weight` [outFeatures, inFeatures] as in `torch.nn.functional.linear`.
 * @example
 * ```ts
 * linear(ones([2, 3]), ones([4, 3]), zeros([4])).shape; // [2, 4]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkLinear(x, weight, bias);
  return scope(() => {
    const y = product(x, mT(weight));
    return bias ? y.add(bias) : y;
  });
}

/**
 * Outer product of two 1-D tensors: out[i, j] = a[i]·b[j].
 * @example
 * ```ts
 * outer(tensor([1, 2]), tensor([3, 4, 5])); // [[3, 4, 5], [6, 8, 10]]
 * ```
 */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkInputs('outer', [a, b]);
  if (a.ndim !== 1 || b.ndim !== 1) throw new ShapeError('outer', `expected two 1-D tensors, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return scope(() => a.unsqueeze(1).mul(b.unsqueeze(0)));
}
