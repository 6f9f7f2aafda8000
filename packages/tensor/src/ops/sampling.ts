import { fromArray, rand, type RandomOptions } from '../creation';
import { backendOf, getDefaultDevice } from '../device';
import { allocStorage } from '../memory';
import { ArgumentError, DeviceError, DTypeError, ShapeError } from '../errors';
import { scope } from '../memory';
import { generatorOf } from '../random';
import { fmt } from '../shape';
import { Tensor } from '../tensor';
import { checkInputs } from './define-op';
import { where } from './elementwise';

/** Random sampling from the seeded generators: permutations, Bernoulli draws, categorical draws. */

/**
 * A random permutation of 0 … n − 1 (`torch.randperm`), int32 unless `dtype` says otherwise,
 * from the global stream or `opts.generator` (the same permutation `DataLoader` shuffles with).
 * On WebGPU it is drawn on the device (nothing uploaded), value for value the permutation the
 * CPU gives for the same generator state.
 * @example
 * ```ts
 * randperm(5, { generator: new Generator({ seed: 0 }) }); // 0 … 4 in a seeded random order
 * ```
 */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError('randperm', `n must be a non-negative integer, got ${n}`);
  const g = generatorOf('randperm', opts, ['dtype', 'device', 'requiresGrad', 'generator']);
  const { generator: _, ...tensorOpts } = opts;
  const dtype = opts.dtype ?? 'int32';
  const device = opts.device ?? getDefaultDevice();
  const be = backendOf(device);
  if (dtype === 'int32' && !opts.requiresGrad && be.permutation) {
    // made on the device (no upload), the same permutation as the host's
    const { key0, key1, counter } = g._permutationStream(n);
    const storage = allocStorage(device, 'int32', n);
    be.permutation(storage, key0, key1, counter);
    return Tensor._create(storage, [n], [1], 0);
  }
  return fromArray(g.permutation(n), [n], { ...tensorOpts, dtype }, 'randperm');
}

/**
 * 1 with probability p, else 0, elementwise (`torch.bernoulli`): uniform draws compared with `p`
 * on p's device (only the uniforms are uploaded). float32 result.
 * @example
 * ```ts
 * bernoulli(tensor([0, 1, 0.5]), { generator: new Generator({ seed: 1 }) }); // [0, 1, 0 or 1]
 * ```
 */
export function bernoulli(p: Tensor, opts: { generator?: RandomOptions['generator'] } = {}): Tensor {
  checkInputs('bernoulli', [p]);
  if (p.dtype !== 'float32') throw new DTypeError('bernoulli', `expected float32 probabilities, got ${p.dtype}`);
  const generator = generatorOf('bernoulli', opts, ['generator']);
  return scope(() => rand(p.shape, { device: p.device, generator }).lt(p).to('float32'));
}

/**
 * Options of {@link multinomial}.
 * @example
 * ```ts
 * multinomial(tensor([1, 1, 1]), 3, { replacement: false, generator: new Generator({ seed: 2 }) }); // 0, 1, 2 in some order
 * ```
 */
export interface MultinomialOptions {
  /** Draw with replacement (default false: each category at most once per row). */
  replacement?: boolean;
  /** The stream to draw from (default the global one). */
  generator?: RandomOptions['generator'];
}

/**
 * `numSamples` category indices per row of non-negative weights [n] or [rows, n]
 * (`torch.multinomial`), int32. Without replacement, each draw removes the chosen category
 * (sequential sampling, as PyTorch's definition). Reads the weights: CPU tensors only.
 * @example
 * ```ts
 * multinomial(tensor([0, 10, 0]), 2, { replacement: true }); // [1, 1]
 * ```
 */
export function multinomial(weights: Tensor, numSamples: number, opts: MultinomialOptions = {}): Tensor {
  checkInputs('multinomial', [weights]);
  const generator = generatorOf('multinomial', opts, ['replacement', 'generator']);
  if (weights.device !== 'cpu') throw new DeviceError('multinomial', "reads the weights on the host: move them first with await w.toDevice('cpu')");
  if (weights.ndim !== 1 && weights.ndim !== 2) throw new ShapeError('multinomial', `expected [n] or [rows, n] weights, got ${fmt(weights.shape)}`);
  const replacement = opts.replacement ?? false;
  const n = weights.shape.at(-1)!;
  const rows = weights.ndim === 2 ? weights.shape[0] : 1;
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new ArgumentError('multinomial', `numSamples must be a positive integer, got ${numSamples}`);
  if (!replacement && numSamples > n) throw new ArgumentError('multinomial', `cannot draw ${numSamples} samples without replacement from ${n} categories`);
  const w = weights.dataSync();
  const out = new Int32Array(rows * numSamples);
  const u = generator.uniform(rows * numSamples);
  for (let r = 0; r < rows; r++) {
    const row = Float64Array.from(w.subarray(r * n, (r + 1) * n));
    for (const v of row)
      if (!(v >= 0) || !Number.isFinite(v)) throw new ArgumentError('multinomial', `weights must be finite and non-negative, got ${v} in row ${r}`);
    for (let s = 0; s < numSamples; s++) {
      let total = 0;
      for (const v of row) total += v;
      if (total <= 0) throw new ArgumentError('multinomial', `row ${r} has no positive weight left to draw from`);
      let target = u[r * numSamples + s] * total;
      let pick = n - 1;
      for (let k = 0; k < n; k++) {
        if (row[k] <= 0) continue;
        if (target < row[k]) {
          pick = k;
          break;
        }
        target -= row[k];
      }
      while (row[pick] <= 0) pick--; // rounding at the top end: the last positive category
      out[r * numSamples + s] = pick;
      if (!replacement) row[pick] = 0;
    }
  }
  return fromArray(out, weights.ndim === 2 ? [rows, numSamples] : [numSamples], { dtype: 'int32', device: 'cpu' }, 'multinomial');
}

/**
 * `value` where `mask` is true, `x` elsewhere (`torch.Tensor.masked_fill`); the mask broadcasts.
 * @example
 * ```ts
 * maskedFill(tensor([1, 2, 3]), tensor([true, false, true]), 0); // [0, 2, 0]
 * ```
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkInputs('maskedFill', [x, mask]);
  if (mask.dtype !== 'bool') throw new DTypeError('maskedFill', `mask must be bool, got ${mask.dtype}`);
  if (typeof value !== 'number') throw new ArgumentError('maskedFill', `value must be a number, got ${typeof value}`);
  return where(mask, value, x);
}
