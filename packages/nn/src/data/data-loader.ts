import { ArgumentError, defaultGenerator, type Generator, keep, noGrad, randperm, scope, stack, Tensor, tensor } from '@aimodel/tensor';
import { type Dataset, TensorDataset } from './dataset';
import { checkKeys, shuffleGenerator } from './shuffle-options';

/**
 * Options of {@link DataLoader}.
 * @example
 * ```ts
 * const ds = new TensorDataset(randn([100, 4]), randint(0, 3, [100]));
 * new DataLoader(ds, { batchSize: 32, shuffle: true, seed: 0, dropLast: true });
 * ```
 */
export interface DataLoaderOptions {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** A new random order every epoch (default false: dataset order). */
  shuffle?: boolean;
  /**
   * Shorthand for `generator: new Generator({ seed })`: the loader's own stream, so the same seed
   * gives the same sequence of orders whatever else draws random numbers.
   */
  seed?: number;
  /**
   * The stream each epoch's permutation is drawn from (`generator.permutation(n)`, Fisher–Yates).
   * Default: the global stream (reproducible with `manualSeed`).
   */
  generator?: Generator;
  /** Drop the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

const LOADER_KEYS = ['batchSize', 'shuffle', 'seed', 'generator', 'dropLast'];

/**
 * Iterates a dataset in batches (as `torch.utils.data.DataLoader`): each batch is an array with
 * one tensor per dataset field, of shape [B, …]. A {@link TensorDataset} is gathered with one
 * `indexSelect` per tensor when shuffled (the epoch's order is uploaded once per device), as views
 * (`narrow`) otherwise; other datasets are stacked from `at(i)`. Every `for … of` is one epoch;
 * with `shuffle` each epoch draws a new permutation from the loader's generator (each sample
 * exactly once). Batches are new tensors owned by the caller (dispose them, or iterate inside
 * `scope`), computed without recording gradients.
 * @example
 * ```ts
 * const x = randn([100, 4]);
 * const y = randint(0, 3, [100]);
 * const model = new Linear(4, 3);
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
   * const ds = new TensorDataset(randn([100, 4]), randint(0, 3, [100]));
   * new DataLoader(ds).dataset === ds; // true
   * ```
   */
  readonly dataset: D;
  /**
   * Samples per batch.
   * @example
   * ```ts
   * const ds = new TensorDataset(randn([100, 4]), randint(0, 3, [100]));
   * new DataLoader(ds, { batchSize: 16 }).batchSize; // 16
   * ```
   */
  readonly batchSize: number;
  /**
   * Whether every epoch draws a new order.
   * @example
   * ```ts
   * const ds = new TensorDataset(randn([100, 4]), randint(0, 3, [100]));
   * new DataLoader(ds, { shuffle: true }).shuffle; // true
   * ```
   */
  readonly shuffle: boolean;
  /**
   * Whether a last, smaller batch is skipped.
   * @example
   * ```ts
   * const ds = new TensorDataset(randn([100, 4]), randint(0, 3, [100]));
   * new DataLoader(ds, { dropLast: true }).dropLast; // true
   * ```
   */
  readonly dropLast: boolean;
  /**
   * Seed of the shuffling when given as `seed`, or undefined.
   * @example
   * ```ts
   * const ds = new TensorDataset(randn([100, 4]), randint(0, 3, [100]));
   * new DataLoader(ds, { shuffle: true, seed: 7 }).seed; // 7
   * ```
   */
  readonly seed: number | undefined;
  /**
   * The stream the orders are drawn from: the `generator` option, a Generator seeded with
   * `seed`, or the global stream (`defaultGenerator`).
   * @example
   * ```ts
   * const ds = new TensorDataset(randn([100, 4]), randint(0, 3, [100]));
   * new DataLoader(ds, { shuffle: true, seed: 7 }).generator.initialSeed(); // 7
   * ```
   */
  readonly generator: Generator;

  /**
   * @param dataset a {@link TensorDataset} or any {@link Dataset}
   * @param opts `batchSize` (default 1), `shuffle`, `seed` or `generator`, `dropLast`
   * @example
   * ```ts
   * const x = randn([100, 4]);
   * const y = randint(0, 3, [100]);
   * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 64, shuffle: true, seed: 0 });
   * ```
   */
  constructor(dataset: D, opts: DataLoaderOptions = {}) {
    checkKeys('DataLoader', opts, LOADER_KEYS);
    if (!dataset || Array.isArray(dataset) || typeof dataset.length !== 'number' || (!(dataset instanceof TensorDataset) && typeof dataset.at !== 'function')) {
      throw new ArgumentError('DataLoader', 'expected a Dataset ({ length, at(i) }) such as a TensorDataset');
    }
    const batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError('DataLoader', `batchSize must be a positive integer, got ${batchSize}`);
    this.generator = shuffleGenerator('DataLoader', opts) ?? defaultGenerator;
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
   * const loader = new DataLoader(new TensorDataset(randn([100, 4]), randint(0, 3, [100])), { batchSize: 32 });
   * const model = new Linear(4, 3);
   * const train = (xb: Tensor, yb: Tensor) => crossEntropy(model.forward(xb), yb).backward();
   * for (const [xb, yb] of loader) {
   *   scope(() => train(xb, yb));
   *   xb.dispose(); yb.dispose();
   * }
   * ```
   */
  *[Symbol.iterator](): Iterator<Tensor[]> {
    const n = this.dataset.length;
    const ds = this.dataset;
    // a shuffled TensorDataset gathers each batch with a slice of the epoch's order, as a tensor on
    // the data's device: drawn there when the data all lives on one device that can (WebGPU: the
    // same permutation as the host's, no upload), else drawn on the host and uploaded once per device
    const uploaded = new Map<string, Tensor>();
    const device = ds instanceof TensorDataset && ds.tensors.every((t) => t.device === ds.tensors[0].device) ? ds.tensors[0].device : null;
    const onDevice = this.shuffle && device !== null && device !== 'cpu';
    if (onDevice) uploaded.set(device, keep(randperm(n, { device, generator: this.generator })));
    const order = this.shuffle && !onDevice ? this.generator.permutation(n) : null;
    try {
      for (let start = 0; start < n; start += this.batchSize) {
        const size = Math.min(this.batchSize, n - start);
        if (this.dropLast && size < this.batchSize) break;
        yield this.batch(start, size, order, uploaded);
      }
    } finally {
      for (const t of uploaded.values()) t.dispose();
    }
  }

  /** Samples start … start + size − 1 of `order` (of the dataset when null). */
  private batch(start: number, size: number, order: Int32Array | null, uploaded: Map<string, Tensor>): Tensor[] {
    const ds = this.dataset;
    return noGrad(() =>
      scope(() => {
        if (ds instanceof TensorDataset) {
          if (!order && uploaded.size === 0) return ds.tensors.map((t) => t.narrow(0, start, size));
          return ds.tensors.map((t) => {
            let index = uploaded.get(t.device);
            if (!index) uploaded.set(t.device, (index = keep(tensor(order as Int32Array, { device: t.device }))));
            return t.indexSelect(0, index.narrow(0, start, size));
          });
        }
        const samples = Array.from({ length: size }, (_, i) => checkSample(ds.at(order ? order[start + i] : start + i), order ? order[start + i] : start + i));
        const fields = samples[0].length;
        if (samples.some((s) => s.length !== fields)) throw new ArgumentError('DataLoader', 'every sample of the dataset must have the same number of tensors');
        return Array.from({ length: fields }, (_, k) => stack(samples.map((s) => s[k])));
      }),
    );
  }
}

/** A sample is an array of tensors; a Promise (an async `at`) or anything else is named, never batched as empty. */
function checkSample(sample: unknown, index: number): Tensor[] {
  if (sample && typeof (sample as { then?: unknown }).then === 'function')
    throw new ArgumentError(
      'DataLoader',
      `dataset.at(${index}) returned a Promise; samples must be synchronous — load the data first (e.g. into a TensorDataset) or prefetch it before iterating`,
    );
  if (!Array.isArray(sample) || sample.length === 0 || !sample.every((t) => t instanceof Tensor))
    throw new ArgumentError(
      'DataLoader',
      `dataset.at(${index}) must return a non-empty array of tensors, got ${Array.isArray(sample) ? `an array of ${sample.length} values` : typeof sample}`,
    );
  return sample;
}
