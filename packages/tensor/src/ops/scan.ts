import type { ScanOp } from '../backend/backend';
import { scope } from '../memory';
import { normDim } from '../shape';
import type { Tensor } from '../tensor';
import { checkInputs, defineOp } from './define-op';
import { cast } from './movement';

/** Cumulative sums and products along one dim: inclusive scans on the backends. */

interface ScanAttrs {
  dim: number;
  /** Scan from the end of the dim (the gradient of a forward scan). */
  reverse: boolean;
}

/* @__NO_SIDE_EFFECTS__ */
function scanOp(op: ScanOp, name: string, backward: (gy: Tensor, x: Tensor, y: Tensor, a: ScanAttrs) => Tensor) {
  return defineOp<ScanAttrs>(name, {
    infer: ([x]) => ({ shape: [...x.shape], dtype: x.dtype }),
    forward: (be, [x], out, { dim, reverse }) => be.scan(op, x, dim, reverse, out),
    backward: (gy, [x], y, a) => [() => backward(gy, x, y, a)],
  });
}

// y_i = Σ_{j≤i} x_j, so ∂L/∂x_j = Σ_{i≥j} gy_i: the scan of gy from the other end
const cumsumOp = scanOp('sum', 'cumsum', (gy, _x, _y, { dim, reverse }) => cumsumOp([gy], { dim, reverse: !reverse }));

// y_i = Π_{j≤i} x_j. Before the first zero of a line, ∂L/∂x_k = Σ_{i≥k} gy_i·y_i / x_k. At the first
// zero z, ∂L/∂x_z = Σ_{i≥z} gy_i·Π_{j≤i, j≠z} x_j: the same sum over the products with x_z taken
// as 1. After it every product holds that zero besides x_k, so the gradient is 0 (PyTorch's rule).
const cumprodOp = scanOp('prod', 'cumprod', (gy, x, y, a) => {
  const z = cast(x.eq(0), 'int32');
  const zerosSoFar = cumsumOp([z], { dim: a.dim, reverse: false });
  const before = zerosSoFar.eq(0);
  const first = zerosSoFar.mul(z).eq(1);
  const back = (t: Tensor) => cumsumOp([t], { dim: a.dim, reverse: true });
  const atFirst = back(gy.mul(cumprodOp([first.where(1, x)], a)));
  return before.where(back(gy.mul(y)).div(x), first.where(atFirst, 0));
});

function scan(name: 'cumsum' | 'cumprod', run: (inputs: Tensor[], a: ScanAttrs) => Tensor, x: Tensor, dim: number): Tensor {
  checkInputs(name, [x]);
  const d = normDim(name, dim, Math.max(x.ndim, 1)); // checks it is an integer
  const attrs = { dim: x.ndim === 0 ? 0 : d, reverse: false };
  if (x.dtype === 'float32' || x.dtype === 'int32') return run([x], attrs);
  return scope(() => run([cast(x, 'int32')], attrs)); // bool and 8-bit integers accumulate in int32
}

/**
 * Cumulative sum along `dim` (`torch.cumsum`): yᵢ = x₀ + … + xᵢ. float32 stays float32; int32,
 * int8, uint8 and bool inputs accumulate in int32 (PyTorch's int64; sums wrap modulo 2³²).
 * Differentiable: the gradient is the cumulative sum of the gradient taken from the end.
 * @example
 * ```ts
 * cumsum(tensor([1, 2, 3, 4]), 0);       // [1, 3, 6, 10]
 * cumsum(tensor([[1, 2], [3, 4]]), -1);  // [[1, 3], [3, 7]]
 * ```
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  return scan('cumsum', cumsumOp, x, dim);
}

/**
 * Cumulative product along `dim` (`torch.cumprod`): yᵢ = x₀·…·xᵢ. Dtypes as {@link cumsum}.
 * Differentiable with PyTorch's rule, zeros included (no division by a zero input).
 * @example
 * ```ts
 * cumprod(tensor([1, 2, 3, 4]), 0);  // [1, 2, 6, 24]
 * cumprod(tensor([2, 0, 5]), 0);     // [2, 0, 0]
 * ```
 */
export function cumprod(x: Tensor, dim: number): Tensor {
  return scan('cumprod', cumprodOp, x, dim);
}
