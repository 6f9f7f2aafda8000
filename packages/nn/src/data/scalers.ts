import { ArgumentError, div, DTypeError, keep, noGrad, ShapeError, scope, type Tensor } from '@aimodel/tensor';
import { checkKeys, fmtShape } from '../checks';

const FLOAT32_EPS = 1.1920928955078125e-7; // 2⁻²³ (a literal: bundles keep an unused `2 ** -23`)

/** x as float32 [N, …features] with N ≥ 1 (integers are converted, as scikit-learn does). */
function fitInput(name: string, x: Tensor): Tensor {
  if (x.ndim === 0 || x.shape[0] === 0) throw new ShapeError(name, `expected samples along dim 0, got ${fmtShape(x.shape)}`);
  if (x.dtype === 'bool') throw new DTypeError(name, 'expected a numeric tensor, got bool');
  return x.to('float32');
}

/** Check that the scaler is fitted and `x` has its feature shape. */
function transformInput(name: string, x: Tensor, stat: Tensor | null): Tensor {
  if (!stat) throw new ArgumentError(name, 'the scaler is not fitted yet (call fit first)');
  const features = x.shape.slice(1);
  if (x.ndim === 0 || features.length !== stat.ndim || features.some((d, i) => d !== stat.shape[i])) {
    throw new ShapeError(name, `expected [N, ${stat.shape.join(', ')}] as in fit, got ${fmtShape(x.shape)}`);
  }
  if (x.dtype === 'bool') throw new DTypeError(name, 'expected a numeric tensor, got bool');
  return x.to('float32');
}

/** Own a statistic: out of every scope, so a fit inside `scope` keeps it. */
function own<T extends Tensor[]>(stats: T): T {
  for (const t of stats) keep(t);
  return stats;
}

/**
 * Options of {@link StandardScaler}.
 * @example
 * ```ts
 * new StandardScaler({ withMean: false }); // scale only, e.g. for sparse-like data
 * ```
 */
export interface StandardScalerOptions {
  /** Subtract the mean (default true). */
  withMean?: boolean;
  /** Divide by the standard deviation (default true). */
  withStd?: boolean;
}

/**
 * Standardise features over dim 0 (scikit-learn's `StandardScaler`): z = (x − μ) / σ with the
 * per-feature mean μ and population standard deviation σ = √(Σ(x − μ)²/N). Features that are
 * constant (variance within float32 rounding of zero) get σ = 1, so they map to 0. Input
 * [N, …features]; the statistics have the feature shape. The scaler owns its statistics:
 * `dispose()` frees them.
 * @example
 * ```ts
 * const scaler = new StandardScaler();
 * const z = scaler.fitTransform(tensor([[1, 10], [3, 10]])); // [[-1, 0], [1, 0]]
 * scaler.inverseTransform(z);                                 // [[1, 10], [3, 10]]
 * ```
 */
export class StandardScaler {
  /**
   * Whether `transform` subtracts the mean.
   * @example
   * ```ts
   * new StandardScaler({ withMean: false }).withMean; // false
   * ```
   */
  readonly withMean: boolean;
  /**
   * Whether `transform` divides by the standard deviation.
   * @example
   * ```ts
   * new StandardScaler({ withStd: false }).withStd; // false
   * ```
   */
  readonly withStd: boolean;
  /**
   * Per-feature mean μ (after fit).
   * @example
   * ```ts
   * new StandardScaler().fit(tensor([[1, 10], [3, 10]])).mean; // [2, 10]
   * ```
   */
  mean: Tensor | null = null;
  /**
   * Per-feature population variance (after fit).
   * @example
   * ```ts
   * new StandardScaler().fit(tensor([[1, 10], [3, 10]])).variance; // [1, 0]
   * ```
   */
  variance: Tensor | null = null;
  /**
   * Per-feature divisor σ, 1 for constant features (after fit).
   * @example
   * ```ts
   * new StandardScaler().fit(tensor([[1, 10], [3, 10]])).scale; // [1, 1]
   * ```
   */
  scale: Tensor | null = null;

  /**
   * @param opts `withMean`, `withStd` (both default true)
   * @example
   * ```ts
   * const scaler = new StandardScaler();
   * ```
   */
  constructor(opts: StandardScalerOptions = {}) {
    checkKeys('StandardScaler', opts, ['withMean', 'withStd']);
    this.withMean = opts.withMean ?? true;
    this.withStd = opts.withStd ?? true;
  }

  /**
   * Compute μ and σ from `x` [N, …features] (replacing earlier statistics).
   * @example
   * ```ts
   * const xTrain = randn([100, 3]);
   * const scaler = new StandardScaler().fit(xTrain);
   * ```
   */
  fit(x: Tensor): this {
    const stats = noGrad(() =>
      scope(() => {
        const xf = fitInput('StandardScaler.fit', x);
        const n = x.shape[0];
        const mean = xf.mean(0);
        const variance = xf.variance(0, { correction: 0 });
        // a variance below its own rounding error bound is a constant feature
        const bound = variance.mul(n * FLOAT32_EPS).add(mean.mul(n * FLOAT32_EPS).pow(2));
        return [mean, variance, variance.le(bound).where(1, variance.sqrt())];
      }),
    );
    this.dispose();
    [this.mean, this.variance, this.scale] = own(stats);
    return this;
  }

  /**
   * (x − μ) / σ (each step only if enabled), with the statistics of `fit`.
   * @example
   * ```ts
   * const scaler = new StandardScaler().fit(randn([100, 3]));
   * const xTest = randn([10, 3]);
   * const zTest = scaler.transform(xTest);
   * ```
   */
  transform(x: Tensor): Tensor {
    return scope(() => {
      let y = transformInput('StandardScaler.transform', x, this.mean);
      if (this.withMean) y = y.sub(this.mean!);
      if (this.withStd) y = y.div(this.scale!);
      return y === x ? x.clone() : y;
    });
  }

  /**
   * `fit(x)` then `transform(x)`.
   * @example
   * ```ts
   * new StandardScaler().fitTransform(tensor([[1], [3]])); // [[-1], [1]]
   * ```
   */
  fitTransform(x: Tensor): Tensor {
    return this.fit(x).transform(x);
  }

  /**
   * x·σ + μ: undo {@link StandardScaler.transform}.
   * @example
   * ```ts
   * const scaler = new StandardScaler().fit(randn([100, 1]));
   * const model = new Linear(3, 1);
   * const xTest = randn([10, 3]);
   * const prediction = scaler.inverseTransform(model.predict(xTest)); // back in the original units
   * ```
   */
  inverseTransform(x: Tensor): Tensor {
    return scope(() => {
      let y = transformInput('StandardScaler.inverseTransform', x, this.mean);
      if (this.withStd) y = y.mul(this.scale!);
      if (this.withMean) y = y.add(this.mean!);
      return y === x ? x.clone() : y;
    });
  }

  /**
   * Free the statistics (the scaler needs a new fit afterwards).
   * @example
   * ```ts
   * const scaler = new StandardScaler().fit(randn([100, 3]));
   * scaler.dispose();
   * scaler.mean; // null
   * ```
   */
  dispose(): void {
    for (const t of [this.mean, this.variance, this.scale]) t?.dispose();
    this.mean = this.variance = this.scale = null;
  }
}

/**
 * Options of {@link MinMaxScaler}.
 * @example
 * ```ts
 * new MinMaxScaler({ featureRange: [-1, 1] });
 * ```
 */
export interface MinMaxScalerOptions {
  /** Target interval [lo, hi] with lo < hi (default [0, 1]). */
  featureRange?: readonly [number, number];
}

/**
 * Rescale features over dim 0 to `featureRange` (scikit-learn's `MinMaxScaler`):
 * x' = x·s + m with s = (hi − lo) / (max − min) and m = lo − min·s, per feature; a constant
 * feature (max − min below 10·float32 ε) uses max − min = 1, so it maps to lo + 0. Values outside
 * the fitted range map outside `featureRange` (no clipping).
 * @example
 * ```ts
 * const scaler = new MinMaxScaler();
 * scaler.fitTransform(tensor([[0, 5], [2, 5], [4, 5]])); // [[0, 0], [0.5, 0], [1, 0]]
 * ```
 */
export class MinMaxScaler {
  /**
   * Target interval [lo, hi].
   * @example
   * ```ts
   * new MinMaxScaler().featureRange; // [0, 1]
   * ```
   */
  readonly featureRange: readonly [number, number];
  /**
   * Per-feature minimum seen in fit.
   * @example
   * ```ts
   * new MinMaxScaler().fit(tensor([[0, 5], [4, 5]])).dataMin; // [0, 5]
   * ```
   */
  dataMin: Tensor | null = null;
  /**
   * Per-feature maximum seen in fit.
   * @example
   * ```ts
   * new MinMaxScaler().fit(tensor([[0, 5], [4, 5]])).dataMax; // [4, 5]
   * ```
   */
  dataMax: Tensor | null = null;
  /**
   * Per-feature max − min.
   * @example
   * ```ts
   * new MinMaxScaler().fit(tensor([[0, 5], [4, 5]])).dataRange; // [4, 0]
   * ```
   */
  dataRange: Tensor | null = null;
  /**
   * Per-feature factor s = (hi − lo) / (max − min).
   * @example
   * ```ts
   * new MinMaxScaler().fit(tensor([[0, 5], [4, 5]])).scale; // [0.25, 1]
   * ```
   */
  scale: Tensor | null = null;
  /**
   * Per-feature offset m = lo − min·s.
   * @example
   * ```ts
   * new MinMaxScaler().fit(tensor([[0, 5], [4, 5]])).min; // [0, -5]
   * ```
   */
  min: Tensor | null = null;

  /**
   * @param opts `featureRange` (default [0, 1])
   * @example
   * ```ts
   * const scaler = new MinMaxScaler({ featureRange: [-1, 1] });
   * ```
   */
  constructor(opts: MinMaxScalerOptions = {}) {
    checkKeys('MinMaxScaler', opts, ['featureRange']);
    const range = opts.featureRange ?? [0, 1];
    if (!Array.isArray(range) || range.length !== 2 || !(range[0] < range[1]) || !range.every(Number.isFinite)) {
      throw new ArgumentError('MinMaxScaler', `featureRange must be [lo, hi] with finite lo < hi, got ${JSON.stringify(range)}`);
    }
    this.featureRange = [range[0], range[1]];
  }

  /**
   * Compute the per-feature minimum and maximum of `x` [N, …features].
   * @example
   * ```ts
   * const xTrain = rand([100, 3]);
   * const scaler = new MinMaxScaler().fit(xTrain);
   * ```
   */
  fit(x: Tensor): this {
    const [lo, hi] = this.featureRange;
    const stats = noGrad(() =>
      scope(() => {
        const xf = fitInput('MinMaxScaler.fit', x);
        const dataMin = xf.min(0);
        const dataMax = xf.max(0);
        const dataRange = dataMax.sub(dataMin);
        const scale = div(hi - lo, dataRange.lt(10 * FLOAT32_EPS).where(1, dataRange));
        return [dataMin, dataMax, dataRange, scale, dataMin.mul(scale).neg().add(lo)];
      }),
    );
    this.dispose();
    [this.dataMin, this.dataMax, this.dataRange, this.scale, this.min] = own(stats);
    return this;
  }

  /**
   * x·s + m, with the statistics of `fit` (no clipping).
   * @example
   * ```ts
   * new MinMaxScaler().fit(tensor([[0], [4]])).transform(tensor([[2], [8]])); // [[0.5], [2]]
   * ```
   */
  transform(x: Tensor): Tensor {
    return scope(() => transformInput('MinMaxScaler.transform', x, this.scale).mul(this.scale!).add(this.min!));
  }

  /**
   * `fit(x)` then `transform(x)`.
   * @example
   * ```ts
   * new MinMaxScaler().fitTransform(tensor([[0], [2], [4]])); // [[0], [0.5], [1]]
   * ```
   */
  fitTransform(x: Tensor): Tensor {
    return this.fit(x).transform(x);
  }

  /**
   * (x − m) / s: undo {@link MinMaxScaler.transform}.
   * @example
   * ```ts
   * const x = rand([100, 3]);
   * const scaler = new MinMaxScaler().fit(x);
   * scaler.inverseTransform(scaler.transform(x)); // ≈ x
   * ```
   */
  inverseTransform(x: Tensor): Tensor {
    return scope(() => transformInput('MinMaxScaler.inverseTransform', x, this.scale).sub(this.min!).div(this.scale!));
  }

  /**
   * Free the statistics (the scaler needs a new fit afterwards).
   * @example
   * ```ts
   * const scaler = new MinMaxScaler().fit(rand([100, 3]));
   * scaler.dispose();
   * ```
   */
  dispose(): void {
    for (const t of [this.dataMin, this.dataMax, this.dataRange, this.scale, this.min]) t?.dispose();
    this.dataMin = this.dataMax = this.dataRange = this.scale = this.min = null;
  }
}
