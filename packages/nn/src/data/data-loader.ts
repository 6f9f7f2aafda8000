import { ArgumentError, noGrad, scope, stack, type Tensor, tensor } from '@aimodel/tensor';
import { type Dataset, TensorDataset } from './dataset';
import { checkSeed, permutation } from './shuffle';

/**
 * Options of {@link DataLoader}.
 * @example
 * ```ts
 * new DataLoader(ds, { batchSize: 32, shuffle: true, seed: 0, dropLast: true });
 * ```
 */
export interface DataLoaderOptions {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** A new random order every epoch (default false: dataset order). */
  shuffle?: boolean;
  /**
   * Seed of the shuffling: epoch e uses permutation (seed, e), so the same seed gives the same
   * orders, independently of the global random stream. Without it the orders are drawn from the
   * global stream (reproducible with `manualSeed`).
   */
  seed?: number;
  /** Drop the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

/**
 * Iterates a dataset in batches (as `torch.utils.data.DataLoader`): each batch is an array with
 * one tensor per dataset field, of shape [B, …]. A {@link TensorDataset} is gathered with one
 * `indexSelect` per tensor; other datasets are stacked from `at(i)`. Every `for … of` is one
 * epoch; with `shuffle` each epoch has a new permutation (each sample exactly once). Batches are
 * new tensors owned by the caller (dispose them, or iterate inside `scope`), computed without
 * recording gradients.
 * @example
 * ```ts
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true, seed: 42 });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for (const [xb, yb] of loader) {
 *     scope(() => { const loss = crossEntropy(model.forward(xb), yb); loss.backward(); });
 *     xb.dispose(); yb.dispose();
 *   }
 * }
 * ```
 */
export class DataLoader<D extends Dataset = Dataset> implements Iterable<Tensor[]> {
  /**
   * The dataset being batched.
   * @example
   * ```ts
   * new DataLoader(ds).dataset === ds; // true
   * ```
   */
  readonly dataset: D;
  /**
   * Samples per batch.
   * @example
   * ```ts
   * new DataLoader(ds, { batchSize: 16 }).batchSize; // 16
   * ```
   */
  readonly batchSize: number;
  /**
   * Whether every epoch draws a new order.
   * @example
   * ```ts
   * new DataLoader(ds, { shuffle: true }).shuffle; // true
   * ```
   */
  readonly shuffle: boolean;
  /**
   * Whether a last, smaller batch is skipped.
   * @example
   * ```ts
   * new DataLoader(ds, { dropLast: true }).dropLast; // true
   * ```
   */
  readonly dropLast: boolean;
  /**
   * Seed of the shuffling, or undefined (orders from the global random stream).
   * @example
   * ```ts
   * new DataLoader(ds, { shuffle: true, seed: 7 }).seed; // 7
   * ```
   */
  readonly seed: number | undefined;
  private epoch = 0;

  /**
   * @param dataset a {@link TensorDataset} or any {@link Dataset}
   * @param opts `batchSize` (default 1), `shuffle`, `seed`, `dropLast`
   * @example
   * ```ts
   * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 64, shuffle: true, seed: 0 });
   * ```
   */
  constructor(dataset: D, opts: DataLoaderOptions = {}) {
    const batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError('DataLoader', `batchSize must be a positive integer, got ${batchSize}`);
    checkSeed('DataLoader', opts.seed);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.seed = opts.seed;
  }

  /**
   * Batches per epoch.
   * @example
   * ```ts
   * new DataLoader(new TensorDataset(zeros([10, 2])), { batchSize: 4 }).length;                   // 3
   * new DataLoader(new TensorDataset(zeros([10, 2])), { batchSize: 4, dropLast: true }).length; // 2
   * ```
   */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /**
   * One epoch of batches: each an array with one [B, …] tensor per dataset field.
   * @example
   * ```ts
   * for (const [xb, yb] of loader) {
   *   scope(() => train(xb, yb));
   *   xb.dispose(); yb.dispose();
   * }
   * ```
   */
  *[Symbol.iterator](): Iterator<Tensor[]> {
    const n = this.dataset.length;
    const order = this.shuffle ? permutation(n, this.seed, this.epoch++) : Array.from({ length: n }, (_, i) => i);
    for (let start = 0; start < n; start += this.batchSize) {
      const indices = order.slice(start, start + this.batchSize);
      if (this.dropLast && indices.length < this.batchSize) break;
      yield this.batch(indices);
    }
  }

  private batch(indices: number[]): Tensor[] {
    const ds = this.dataset;
    return noGrad(() =>
      scope(() => {
        if (ds instanceof TensorDataset) {
          const index = Int32Array.from(indices);
          return ds.tensors.map((t) => t.indexSelect(0, tensor(index, { device: t.device })));
        }
        const samples = indices.map((i) => ds.at(i));
        const fields = samples[0].length;
        if (samples.some((s) => s.length !== fields)) throw new ArgumentError('DataLoader', 'every sample of the dataset must have the same number of tensors');
        return Array.from({ length: fields }, (_, k) => stack(samples.map((s) => s[k])));
      }),
    );
  }
}
