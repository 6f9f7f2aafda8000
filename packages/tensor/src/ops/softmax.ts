import { assertFloat } from '../dtype';
import { normDim } from '../shape';
import type { Tensor } from '../tensor';
import { defineOp } from './define-op';

/* @__NO_SIDE_EFFECTS__ */
function softmaxOp(name: 'softmax' | 'logSoftmax') {
  const log = name === 'logSoftmax';
  return defineOp<{ dim: number }>(name, {
    infer: ([x]) => {
      assertFloat(name, x.dtype);
      return { shape: [...x.shape], dtype: 'float32' };
    },
    forward: (be, [x], out, { dim }) => be.softmax(x, dim, log, out),
    backward: (gy, _inputs, y, { dim }) => [
      log
        ? () => gy.sub(y.exp().mul(gy.sum(dim, { keepdim: true }))) // ∂/∂x log softmax: g − softmax·Σg
        : () => y.mul(gy.sub(gy.mul(y).sum(dim, { keepdim: true }))), // ∂/∂x softmax: y ⊙ (g − Σ g⊙y)
    ],
  });
}

const softmaxRun = softmaxOp('softmax');
const logSoftmaxRun = softmaxOp('logSoftmax');

/**
 * Softmax along `dim` (default −1): exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x).
 * @example
 * ```ts
 * softmax(tensor([[1, 2, 3]]), -1); // ≈ [[0.0900, 0.2447, 0.6652]]
 * ```
 */
export function softmax(x: Tensor, dim = -1): Tensor {
  return softmaxRun([x], { dim: x.ndim === 0 ? 0 : normDim('softmax', dim, x.ndim) });
}

/**
 * log(softmax(x)) along `dim` (default −1), computed stably as x − logsumexp(x).
 * @example
 * ```ts
 * logSoftmax(tensor([0, 0])); // [-0.6931, -0.6931]
 * ```
 */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return logSoftmaxRun([x], { dim: x.ndim === 0 ? 0 : normDim('logSoftmax', dim, x.ndim) });
}
