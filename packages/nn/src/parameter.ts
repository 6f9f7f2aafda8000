import { keep, Tensor } from '@aimodel/tensor';

/**
 * A tensor that a {@link Module} owns as a learnable weight: it requires grad by default and is
 * returned by `parameters()`. It takes over the memory of the tensor it wraps: that handle is
 * disposed, so `new Parameter(randn([3, 4]))` leaves exactly one live tensor. Wrap a `clone()` to
 * keep using the original. Parameters are not freed by an enclosing `scope()`; `Module.dispose()` frees them.
 * @example
 * ```ts
 * class Scale extends Module {
 *   weight = new Parameter(ones([3]));
 *   forward(x: Tensor) { return x.mul(this.weight); }
 * }
 * ```
 */
export class Parameter extends Tensor {
  /**
   * @param data the initial values; this tensor handle is taken over (disposed)
   * @param requiresGrad whether the parameter learns (default true; false for a frozen weight)
   * @example
   * ```ts
   * const w = new Parameter(randn([3, 4]).mul(0.01));
   * const frozen = new Parameter(ones([4]), false);
   * ```
   */
  constructor(data: Tensor, requiresGrad = true) {
    super(data._storage, data.shape, data.strides, data.offset, true);
    if (requiresGrad) this.requiresGrad = true;
    data.dispose(); // the storage stays alive through this Parameter's own reference
    keep(this); // a model built inside a scope() keeps its weights
  }
}
