import { Tensor } from '@aimodel/tensor';

/**
 * A tensor that a {@link Module} owns as a learnable weight: it requires grad by default and is
 * returned by `parameters()`. It shares memory with the tensor it wraps (as `torch.nn.Parameter`).
 * @example
 * ```ts
 * class Scale extends Module {
 *   weight = new Parameter(ones([3]));
 *   forward(x: Tensor) { return x.mul(this.weight); }
 * }
 * ```
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(data._storage, data.shape, data.strides, data.offset, true);
    if (requiresGrad) this.requiresGrad = true;
  }
}
