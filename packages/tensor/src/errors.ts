const BRAND = /* @__PURE__ */ Symbol.for('aimodel.error');

/**
 * Base class of every error thrown by @aimodel. `op` names the operation that rejected its input.
 * Errors carry a cross-realm brand, so `AimodelError.isInstance(e)` works even when two copies of
 * the library are loaded.
 *
 * @example
 * ```ts
 * try { matmul(zeros([2, 3]), zeros([4, 5])); }
 * catch (e) { if (AimodelError.isInstance(e)) console.log(e.op); } // 'matmul'
 * ```
 */
export class AimodelError extends Error {
  readonly [BRAND] = true;
  /** The operation (or function) that raised the error. */
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.op = op;
    // subclasses state their name: apps' minifiers rename classes, so new.target.name may be 'a'
    this.name = new.target.name;
  }
  /** True when `e` is an error thrown by any copy of @aimodel. */
  static isInstance(e: unknown): e is AimodelError {
    return typeof e === 'object' && e !== null && BRAND in e;
  }
}

/**
 * Shapes that do not fit the operation (inner dimensions, broadcasting, out-of-range dims).
 * @example
 * ```ts
 * matmul(zeros([2, 3]), zeros([4, 5])); // ShapeError: matmul: inner dimensions differ: [2,3] @ [4,5] (3 != 4)
 * ```
 */
export class ShapeError extends AimodelError {
  /** @internal The class name, kept when an app's bundler minifies class names. */
  override readonly name = 'ShapeError';
}

/**
 * A dtype the operation does not accept, e.g. gradients of integer tensors.
 * @example
 * ```ts
 * tensor([1, 2], { dtype: 'int32', requiresGrad: true }); // DTypeError: requiresGrad: only float32 tensors can require gradients, got int32
 * ```
 */
export class DTypeError extends AimodelError {
  /** @internal The class name, kept when an app's bundler minifies class names. */
  override readonly name = 'DTypeError';
}

/**
 * Tensors on different devices, or a request that needs another device.
 * @example
 * ```ts no-run: needs tensors on two devices (the examples test runs on the CPU only)
 * add(a, b); // DeviceError: add: tensors are on different devices: cpu and webgpu
 * ```
 */
export class DeviceError extends AimodelError {
  /** @internal The class name, kept when an app's bundler minifies class names. */
  override readonly name = 'DeviceError';
}

/**
 * Use of a tensor after `dispose()` (or after the `scope` that owned it ended).
 * @example
 * ```ts
 * const x = ones([2]); x.dispose(); x.add(1); // DisposedError: add: tensor was disposed
 * ```
 */
export class DisposedError extends AimodelError {
  /** @internal The class name, kept when an app's bundler minifies class names. */
  override readonly name = 'DisposedError';
}

/**
 * An invalid argument that is not a shape, dtype or device problem (a negative probability, an unknown mode).
 * @example
 * ```ts
 * dropout(ones([2]), 1.5, true); // ArgumentError: dropout: p must be in [0, 1], got 1.5
 * ```
 */
export class ArgumentError extends AimodelError {
  /** @internal The class name, kept when an app's bundler minifies class names. */
  override readonly name = 'ArgumentError';
}

/**
 * A backend that cannot be used on this machine, with hints on how to set it up.
 * @example
 * ```ts
 * await init({ device: 'webgpu' }); // BackendUnavailableError when no adapter is found
 * ```
 */
export class BackendUnavailableError extends AimodelError {
  /** @internal The class name, kept when an app's bundler minifies class names. */
  override readonly name = 'BackendUnavailableError';
}

/**
 * The one check of an options object used across the packages: `undefined` passes (the caller
 * applies its defaults); anything that is not a plain object, or a key outside `allowed`, is an
 * {@link ArgumentError} naming the op and listing the valid keys, with the camelCase spelling
 * suggested for a Keras/PyTorch-style snake_case key (`batch_size` → `batchSize`).
 * @example
 * ```ts
 * checkOptions('fit', { epochs: 2 }, ['epochs', 'batchSize']); // passes
 * checkOptions('fit', { batch_size: 4 }, ['epochs', 'batchSize']); // ArgumentError: fit: unknown option 'batch_size' (did you mean 'batchSize'?) (expected epochs, batchSize)
 * ```
 */
export function checkOptions(op: string, opts: unknown, allowed: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new ArgumentError(op, `expected an options object, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  for (const k of Object.keys(opts)) {
    if (allowed.includes(k)) continue;
    const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const hint = camel !== k && allowed.includes(camel) ? ` (did you mean '${camel}'?)` : '';
    throw new ArgumentError(op, `unknown option '${k}'${hint} (expected ${allowed.join(', ')})`);
  }
}
