import { ArgumentError, DeviceError, defaultGenerator, type Generator, ShapeError, scope, Tensor, tensor } from '@aimodel/tensor';
import { checkKeys, shuffleGenerator } from './shuffle-options';
import { fmtShape } from '../checks';

/**
 * Options of {@link trainTestSplit}.
 * @example
 * ```ts
 * const x = randn([100, 4]);
 * const y = randint(0, 2, [100]);
 * trainTestSplit([x, y], { testSize: 0.2, seed: 0, stratify: y });
 * ```
 */
export interface TrainTestSplitOptions {
  /** A fraction in (0, 1) of the samples (rounded up), or a count (default 0.25). */
  testSize?: number;
  /** Shuffle before splitting (default true); without it the last samples are the test set. */
  shuffle?: boolean;
  /** Shorthand for `generator: new Generator({ seed })`. */
  seed?: number;
  /** The stream the shuffle is drawn from (default: the global stream, reproducible with `manualSeed`). */
  generator?: Generator;
  /**
   * Class labels [N] (an int tensor on the CPU, or numbers): each class keeps its proportion
   * in both parts (up to rounding). Needs `shuffle`.
   */
  stratify?: Tensor | ArrayLike<number>;
}

function testCount(n: number, testSize: number): number {
  const nTest = testSize > 0 && testSize < 1 ? Math.ceil(testSize * n) : testSize;
  if (!Number.isInteger(nTest) || nTest < 1 || nTest >= n) {
    throw new ArgumentError(
      'trainTestSplit',
      `testSize ${testSize} must be a fraction in (0, 1) or a count in [1, ${n - 1}] for ${n} samples, leaving both parts non-empty`,
    );
  }
  return nTest;
}

function readStratify(stratify: Tensor | ArrayLike<number>, n: number): ArrayLike<number> {
  if (!(stratify instanceof Tensor)) {
    if (stratify.length !== n) throw new ShapeError('trainTestSplit', `stratify has ${stratify.length} labels for ${n} samples`);
    return stratify;
  }
  const t = stratify;
  if (t.device !== 'cpu') throw new DeviceError('trainTestSplit', `stratify must be on the CPU (or an array), got ${t.device}`);
  if (t.ndim !== 1 || t.shape[0] !== n) throw new ShapeError('trainTestSplit', `stratify must be [${n}], got ${fmtShape(t.shape)}`);
  return t.dataSync();
}

/**
 * Test positions per class by largest remainder: class c gets ⌊nTest·n_c/n⌋ plus one of the
 * leftover places if its remainder is among the largest (ties to the larger class, then the
 * earlier one), so the counts sum to nTest and follow the class proportions.
 */
function stratifiedCounts(counts: Map<number, number>, n: number, nTest: number): Map<number, number> {
  const classes = [...counts.keys()];
  const exact = classes.map((c) => (nTest * counts.get(c)!) / n);
  const out = new Map(classes.map((c, i) => [c, Math.floor(exact[i])]));
  let left = nTest - [...out.values()].reduce((a, b) => a + b, 0);
  const byRemainder = classes
    .map((c, i) => ({ c, r: exact[i] - Math.floor(exact[i]), size: counts.get(c)!, i }))
    .sort((a, b) => b.r - a.r || b.size - a.size || a.i - b.i);
  for (const { c } of byRemainder) {
    if (left-- <= 0) break;
    out.set(c, out.get(c)! + 1);
  }
  return out;
}

/**
 * Split tensors that share dim 0 into a training and a test part, with the same rows in each
 * tensor (as scikit-learn's `train_test_split`, returning `[train, test]` lists). The test set
 * has ⌈testSize·N⌉ samples for a fraction, or `testSize` for a count.
 * @example
 * ```ts
 * const x = randn([100, 4]);
 * const y = randint(0, 2, [100]);
 * const [[xTrain, yTrain], [xTest, yTest]] = trainTestSplit([x, y], { testSize: 0.2, seed: 42, stratify: y });
 * ```
 */
export function trainTestSplit(tensors: readonly Tensor[], opts: TrainTestSplitOptions = {}): [Tensor[], Tensor[]] {
  const name = 'trainTestSplit';
  if (tensors.length === 0) throw new ArgumentError(name, 'expected at least one tensor');
  const n = tensors[0].ndim === 0 ? 0 : tensors[0].shape[0];
  for (const t of tensors) {
    if (t.ndim === 0 || t.shape[0] !== n) throw new ShapeError(name, `tensors must share dim 0, got ${tensors.map((x) => fmtShape(x.shape)).join(', ')}`);
  }
  checkKeys(name, opts, ['testSize', 'shuffle', 'seed', 'generator', 'stratify']);
  const shuffle = opts.shuffle ?? true;
  const generator = shuffleGenerator(name, opts) ?? defaultGenerator;
  const nTest = testCount(n, opts.testSize ?? 0.25);
  let trainIdx: number[];
  let testIdx: number[];
  if (!shuffle) {
    if (opts.stratify) throw new ArgumentError(name, 'stratify needs shuffle: true');
    trainIdx = Array.from({ length: n - nTest }, (_, i) => i);
    testIdx = Array.from({ length: nTest }, (_, i) => n - nTest + i);
  } else {
    const order = Array.from(generator.permutation(n));
    if (opts.stratify) {
      const labels = readStratify(opts.stratify, n);
      const counts = new Map<number, number>();
      for (let i = 0; i < n; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
      const want = stratifiedCounts(counts, n, nTest);
      trainIdx = [];
      testIdx = [];
      for (const i of order) {
        const c = labels[i];
        const k = want.get(c)!;
        if (k > 0) {
          testIdx.push(i);
          want.set(c, k - 1);
        } else {
          trainIdx.push(i);
        }
      }
    } else {
      testIdx = order.slice(0, nTest);
      trainIdx = order.slice(nTest);
    }
  }
  const take = (idx: number[]) => scope(() => tensors.map((t) => t.indexSelect(0, tensor(Int32Array.from(idx), { device: t.device }))));
  return [take(trainIdx), take(testIdx)];
}

/**
 * One fold of {@link kFold}: sample indices, each list in ascending order.
 * @example
 * ```ts
 * const { trainIndices, testIndices } = kFold(10, { k: 5 })[0]; // test [0, 1], train [2 … 9]
 * ```
 */
export interface Fold {
  trainIndices: number[];
  testIndices: number[];
}

/**
 * Options of {@link kFold}.
 * @example
 * ```ts
 * kFold(100, { k: 10, shuffle: true, seed: 0 });
 * ```
 */
export interface KFoldOptions {
  /** Number of folds, ≥ 2 and ≤ n (default 5). */
  k?: number;
  /** Shuffle the indices before cutting them into folds (default false). */
  shuffle?: boolean;
  /** Shorthand for `generator: new Generator({ seed })`. */
  seed?: number;
  /** The stream the shuffle is drawn from (default: the global stream, reproducible with `manualSeed`). */
  generator?: Generator;
}

/**
 * K-fold cross-validation indices for n samples (scikit-learn's `KFold`): the (shuffled)
 * indices are cut into k consecutive folds, the first n mod k of size ⌊n/k⌋ + 1 and the rest
 * ⌊n/k⌋; fold i tests on fold i and trains on the others. Every index is tested exactly once.
 * @example
 * ```ts
 * const x = randn([100, 4]);
 * for (const { trainIndices, testIndices } of kFold(x.shape[0], { k: 5, shuffle: true, seed: 0 })) {
 *   const xTrain = x.indexSelect(0, tensor(trainIndices, { dtype: 'int32' }));
 * }
 * ```
 */
export function kFold(n: number, opts: KFoldOptions = {}): Fold[] {
  const k = opts.k ?? 5;
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError('kFold', `n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k) || k < 2 || k > n) throw new ArgumentError('kFold', `k must be an integer in [2, n = ${n}], got ${k}`);
  checkKeys('kFold', opts, ['k', 'shuffle', 'seed', 'generator']);
  const generator = shuffleGenerator('kFold', opts) ?? defaultGenerator;
  const order = opts.shuffle ? Array.from(generator.permutation(n)) : Array.from({ length: n }, (_, i) => i);
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const inTest = new Uint8Array(n);
    for (const i of order.slice(start, start + size)) inTest[i] = 1;
    const testIndices: number[] = [];
    const trainIndices: number[] = [];
    for (let i = 0; i < n; i++) (inTest[i] ? testIndices : trainIndices).push(i);
    folds.push({ trainIndices, testIndices });
    start += size;
  }
  return folds;
}
