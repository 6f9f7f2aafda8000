// Weight initialisation, as torch.nn.init: each function fills a tensor in place (outside
// autograd) and returns it. Random values come from the library's seeded stream (`manualSeed`), or
// from the `generator` option.
import { ArgumentError, type Generator, noGrad, rand, randn, scope, ShapeError, Tensor } from '@aimodel/tensor';
import { checkKeys } from './checks';

/**
 * Names accepted by {@link calculateGain} (PyTorch's, in camelCase; snake_case such as
 * `'leaky_relu'` is accepted too).
 * @example
 * ```ts
 * init.calculateGain('leakyRelu', 0.2); // 'leakyRelu' is a Nonlinearity
 * ```
 */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

/**
 * Options of {@link uniform}: the interval [a, b).
 * @example
 * ```ts
 * const w = zeros([4, 3]);
 * init.uniform(w, { a: -0.1, b: 0.1 });
 * ```
 */
export interface UniformOptions {
  /** Lower bound (default 0). */
  a?: number;
  /** Upper bound (default 1). */
  b?: number;
  /** Draw from this generator instead of the global stream. */
  generator?: Generator;
}

/**
 * Options of {@link normal}.
 * @example
 * ```ts
 * const w = zeros([4, 3]);
 * init.normal(w, { mean: 0, std: 0.02 });
 * ```
 */
export interface NormalOptions {
  /** Mean (default 0). */
  mean?: number;
  /** Standard deviation (default 1). */
  std?: number;
  /** Draw from this generator instead of the global stream. */
  generator?: Generator;
}

/**
 * Options of {@link xavierUniform} and {@link xavierNormal}.
 * @example
 * ```ts
 * const w = zeros([4, 3]);
 * init.xavierUniform(w, { gain: init.calculateGain('tanh') });
 * ```
 */
export interface XavierOptions {
  /** Scaling factor (default 1). */
  gain?: number;
  /** Draw from this generator instead of the global stream. */
  generator?: Generator;
}

/**
 * Options of {@link kaimingUniform} and {@link kaimingNormal}.
 * @example
 * ```ts
 * const w = zeros([16, 3, 3, 3]);
 * init.kaimingNormal(w, { mode: 'fanOut', nonlinearity: 'relu' });
 * ```
 */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (default 0; only used with `'leakyRelu'`). */
  a?: number;
  /** Preserve the variance of the forward pass (`'fanIn'`, default) or of the backward pass (`'fanOut'`). */
  mode?: 'fanIn' | 'fanOut';
  /** The nonlinearity that follows (default `'leakyRelu'`, as PyTorch). */
  nonlinearity?: Nonlinearity;
  /** Draw from this generator instead of the global stream. */
  generator?: Generator;
}

function checkTensor(fn: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(fn, `expected a Tensor, got ${typeof t}`);
}

function checkNumber(fn: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(fn, `${name} must be a finite number, got ${v}`);
}

/** Overwrite `t` with `make()` (a tensor of t's shape), outside autograd, freeing the temporaries. */
function fill<T extends Tensor>(t: T, make: () => Tensor): T {
  noGrad(() => scope(() => void t.assign(make())));
  return t;
}

/**
 * Fill `t` with values drawn from U(a, b).
 * @example
 * ```ts
 * init.uniform(zeros([2, 3]), { a: -1, b: 1 });
 * init.uniform(zeros([2]), { generator: new Generator({ seed: 0 }) }); // the same for every generator seeded 0
 * ```
 */
export function uniform<T extends Tensor>(t: T, opts: UniformOptions = {}): T {
  return uniformFrom('init.uniform', t, opts);
}

function uniformFrom<T extends Tensor>(fn: string, t: T, opts: UniformOptions): T {
  checkTensor(fn, t);
  checkKeys(fn, opts, ['a', 'b', 'generator']);
  const { a = 0, b = 1, generator } = opts;
  checkNumber(fn, 'a', a);
  checkNumber(fn, 'b', b);
  if (a > b) throw new ArgumentError(fn, `expected a <= b, got a=${a}, b=${b}`);
  return fill(t, () =>
    rand(t.shape, { device: t.device, generator })
      .mul(b - a)
      .add(a),
  );
}

/**
 * Fill `t` with values drawn from N(mean, std²).
 * @example
 * ```ts
 * init.normal(zeros([2, 3]), { std: 0.02 });
 * ```
 */
export function normal<T extends Tensor>(t: T, opts: NormalOptions = {}): T {
  return normalFrom('init.normal', t, opts);
}

function normalFrom<T extends Tensor>(fn: string, t: T, opts: NormalOptions): T {
  checkTensor(fn, t);
  checkKeys(fn, opts, ['mean', 'std', 'generator']);
  const { mean = 0, std = 1, generator } = opts;
  checkNumber(fn, 'mean', mean);
  checkNumber(fn, 'std', std);
  if (std < 0) throw new ArgumentError(fn, `std must be non-negative, got ${std}`);
  return fill(t, () => randn(t.shape, { device: t.device, generator }).mul(std).add(mean));
}

/**
 * Fill `t` with `value`.
 * @example
 * ```ts
 * init.constant(zeros([3]), 0.5); // [0.5, 0.5, 0.5]
 * ```
 */
export function constant<T extends Tensor>(t: T, value: number): T {
  return fillConstant('init.constant', t, value);
}

function fillConstant<T extends Tensor>(fn: string, t: T, value: number): T {
  checkTensor(fn, t);
  checkNumber(fn, 'value', value);
  noGrad(() => t.assign(value));
  return t;
}

/**
 * Fill `t` with zeros.
 * @example
 * ```ts
 * init.zeros(randn([3])); // [0, 0, 0]
 * ```
 */
export function zeros<T extends Tensor>(t: T): T {
  return fillConstant('init.zeros', t, 0);
}

/**
 * Fill `t` with ones.
 * @example
 * ```ts
 * init.ones(randn([3])); // [1, 1, 1]
 * ```
 */
export function ones<T extends Tensor>(t: T): T {
  return fillConstant('init.ones', t, 1);
}

/**
 * Recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`: 1 for linear, conv
 * and sigmoid; 5/3 for tanh; √2 for relu; √(2 / (1 + slope²)) for leaky relu (`param` is the
 * negative slope, default 0.01); 3/4 for selu.
 * @example
 * ```ts
 * init.calculateGain('relu');         // 1.4142…
 * init.calculateGain('leakyRelu', 0.2); // 1.3867…
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  const name = String(nonlinearity).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  switch (name) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'convTranspose1d':
    case 'convTranspose2d':
    case 'convTranspose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      checkNumber('init.calculateGain', 'negative slope', slope);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ArgumentError(
        'init.calculateGain',
        `unsupported nonlinearity '${nonlinearity}' (expected linear, conv1d…3d, convTranspose1d…3d, sigmoid, tanh, relu, leakyRelu or selu)`,
      );
  }
}

/**
 * Fan-in and fan-out of a weight, as PyTorch computes them: for a weight [d0, d1, k…],
 * fanIn = d1·∏k and fanOut = d0·∏k (so Linear [out, in] has fanIn = in; Conv2d
 * [out, in/groups, kh, kw] has fanIn = in/groups·kh·kw; ConvTranspose2d [in, out/groups, kh, kw]
 * has fanIn = out/groups·kh·kw).
 * @example
 * ```ts
 * init.fanInAndFanOut(zeros([16, 3, 5, 5])); // { fanIn: 75, fanOut: 400 }
 * ```
 */
export function fanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  checkTensor('init.fanInAndFanOut', t);
  if (t.ndim < 2) {
    throw new ShapeError('init.fanInAndFanOut', `fan in and fan out need a tensor with at least 2 dims, got [${t.shape}]`);
  }
  const receptiveField = t.shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: t.shape[1] * receptiveField, fanOut: t.shape[0] * receptiveField };
}

function xavierStd(fn: string, t: Tensor, gain: number): number {
  checkTensor(fn, t);
  checkNumber(fn, 'gain', gain);
  const { fanIn, fanOut } = fanInAndFanOut(t);
  return fanIn + fanOut === 0 ? 0 : gain * Math.sqrt(2 / (fanIn + fanOut));
}

/**
 * Glorot/Xavier uniform: U(−a, a) with a = gain·√(6 / (fanIn + fanOut)).
 * @example
 * ```ts
 * init.xavierUniform(zeros([256, 128]));
 * ```
 */
export function xavierUniform<T extends Tensor>(t: T, opts: XavierOptions = {}): T {
  checkKeys('init.xavierUniform', opts, ['gain', 'generator']);
  const bound = Math.sqrt(3) * xavierStd('init.xavierUniform', t, opts.gain ?? 1);
  return uniformFrom('init.xavierUniform', t, { a: -bound, b: bound, generator: opts.generator });
}

/**
 * Glorot/Xavier normal: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)).
 * @example
 * ```ts
 * init.xavierNormal(zeros([256, 128]), { gain: 1 });
 * ```
 */
export function xavierNormal<T extends Tensor>(t: T, opts: XavierOptions = {}): T {
  checkKeys('init.xavierNormal', opts, ['gain', 'generator']);
  return normalFrom('init.xavierNormal', t, { mean: 0, std: xavierStd('init.xavierNormal', t, opts.gain ?? 1), generator: opts.generator });
}

function kaimingStd(fn: string, t: Tensor, opts: KaimingOptions): number {
  checkTensor(fn, t);
  checkKeys(fn, opts, ['a', 'mode', 'nonlinearity', 'generator']);
  const { a = 0, mode = 'fanIn', nonlinearity = 'leakyRelu' } = opts;
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new ArgumentError(fn, `mode must be 'fanIn' or 'fanOut', got '${mode}'`);
  const fans = fanInAndFanOut(t);
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  // a zero fan only happens for zero-element tensors, which PyTorch leaves alone
  return fan === 0 ? 0 : calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * He/Kaiming uniform: U(−bound, bound) with bound = gain·√(3 / fan), gain =
 * `calculateGain(nonlinearity, a)` and fan = fanIn or fanOut per `mode`. PyTorch's default for
 * Linear and Conv weights is `{ a: √5 }`, i.e. bound = 1/√fanIn.
 * @example
 * ```ts
 * init.kaimingUniform(zeros([64, 32]), { nonlinearity: 'relu' });
 * init.kaimingUniform(zeros([4, 3]), { a: Math.sqrt(5), generator: new Generator({ seed: 1 }) });
 * ```
 */
export function kaimingUniform<T extends Tensor>(t: T, opts: KaimingOptions = {}): T {
  const bound = Math.sqrt(3) * kaimingStd('init.kaimingUniform', t, opts);
  return uniformFrom('init.kaimingUniform', t, { a: -bound, b: bound, generator: opts.generator });
}

/**
 * He/Kaiming normal: N(0, std²) with std = gain / √fan (see {@link kaimingUniform}).
 * @example
 * ```ts
 * init.kaimingNormal(zeros([64, 32, 3, 3]), { mode: 'fanOut', nonlinearity: 'relu' });
 * ```
 */
export function kaimingNormal<T extends Tensor>(t: T, opts: KaimingOptions = {}): T {
  return normalFrom('init.kaimingNormal', t, { mean: 0, std: kaimingStd('init.kaimingNormal', t, opts), generator: opts.generator });
}
