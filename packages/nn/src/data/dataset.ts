import { ArgumentError, ShapeError, scope, type Tensor } from '@aimodel/tensor';
import { fmtShape } from '../checks';

/**
 * Anything a {@link DataLoader} can batch: a length and the tensors of sample `index`
 * (each sample is a list of tensors, e.g. `[features, label]`, stacked along a new dim 0).
 * @example
 * ```ts
 * const squares: Dataset = { length: 10, at: (i) => [tensor([i]), tensor([i * i])] };
 * ```
 */
export interface Dataset {
  /**
   * Number of samples.
   * @example
   * ```ts
   * const ds: Dataset = { length: 3, at: (i) => [tensor([i])] };
   * ds.length; // 3
   * ```
   */
  readonly length: number;
  /**
   * The tensors of one sample.
   * @example
   * ```ts
   * const dataset = new TensorDataset(randn([10, 4]), randint(0, 3, [10]));
   * const [features, label] = dataset.at(0);
   * ```
   */
  at(index: number): Tensor[];
}

/**
 * A dataset over tensors that share their first dimension: sample i is `[t₀[i], t₁[i], …]`
 * (as `torch.utils.data.TensorDataset`). The tensors are not copied.
 * @example
 * ```ts
 * const ds = new TensorDataset(randn([100, 4]), randint(0, 3, [100]));
 * ds.length;                 // 100
 * const [x, y] = ds.at(0);   // x: [4], y: [] (views; dispose when done)
 * ```
 */
export class TensorDataset implements Dataset {
  /**
   * The wrapped tensors, in the order given.
   * @example
   * ```ts
   * const features = randn([10, 4]);
   * const labels = randint(0, 3, [10]);
   * const [x, y] = new TensorDataset(features, labels).tensors;
   * ```
   */
  readonly tensors: readonly Tensor[];

  /**
   * @param tensors one or more tensors with the same size of dim 0
   * @example
   * ```ts
   * const ds = new TensorDataset(randn([100, 4]), randint(0, 3, [100]));
   * ```
   */
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new ArgumentError('TensorDataset', 'expected at least one tensor');
    for (const t of tensors) {
      if (t.ndim === 0) throw new ShapeError('TensorDataset', 'tensors must have a first (sample) dimension, got a 0-d tensor');
      if (t.shape[0] !== tensors[0].shape[0]) {
        throw new ShapeError('TensorDataset', `size mismatch along dim 0: ${tensors.map((x) => fmtShape(x.shape)).join(', ')}`);
      }
    }
    this.tensors = tensors;
  }

  /**
   * Number of samples (the shared size of dim 0).
   * @example
   * ```ts
   * new TensorDataset(zeros([5, 2])).length; // 5
   * ```
   */
  get length(): number {
    return this.tensors[0].shape[0];
  }

  /**
   * Sample `index` (negative counts from the end): a view of row `index` of each tensor.
   * @example
   * ```ts
   * const [x, y] = new TensorDataset(tensor([[1, 2], [3, 4]]), tensor([0, 1])).at(-1); // x: [3, 4], y: 1
   * ```
   */
  at(index: number): Tensor[] {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) throw new ArgumentError('TensorDataset.at', `index ${index} is out of range for ${n} samples`);
    const i = index < 0 ? index + n : index;
    return scope(() => this.tensors.map((t) => t.narrow(0, i, 1).squeeze(0)));
  }
}
