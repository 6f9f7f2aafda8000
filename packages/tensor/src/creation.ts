import type { DeviceName } from './backend/backend';
import { backendOf, getDefaultDevice } from './device';
import { allocArray, type DType, isDType, type TypedArray } from './dtype';
import { ArgumentError, checkOptions, DTypeError, ShapeError } from './errors';
import { allocStorage } from './memory';
import { type Generator, generatorOf } from './random';
import { checkShape, contiguousStrides, numel, type Shape } from './shape';
import { Tensor } from './tensor';

/**
 * Where and how to create a tensor.
 * @example
 * ```ts
 * zeros([2, 3], { dtype: 'int32', device: 'cpu' });
 * ```
 */
export interface TensorOptions {
  /** Element type (default float32; bool for boolean data). */
  dtype?: DType;
  /** Device (default: the one selected by `init`, initially `'cpu'`). */
  device?: DeviceName;
  /** Track gradients of this leaf (float32 only). */
  requiresGrad?: boolean;
}

/** The keys of {@link TensorOptions}: creation functions reject any other. */
const TENSOR_KEYS = ['dtype', 'device', 'requiresGrad'];

/** Typed arrays `tensor()` accepts: the storage types plus those it converts (see {@link tensor}).
 * @example
 * ```ts
 * const h: HostArray = new Float64Array([0.5, 1]);
 * tensor(h).dtype; // 'float32'
 * ```
 */
export type HostArray = TypedArray | Float64Array | Int16Array | Uint16Array | Uint32Array | Uint8ClampedArray;

/**
 * Nested arrays of numbers or booleans, or a typed array (1-D).
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]); tensor(new Int32Array([1, 2]));
 * ```
 */
export type TensorData = number | boolean | HostArray | readonly TensorData[];

/**
 * The dtype a typed array maps to: the exact match where there is one (Float32Array, Int32Array, Int8Array,
 * Uint8Array/Uint8ClampedArray); Float64Array converts to float32 (the nearest float32 per element, as
 * TensorFlow.js does; we have no float64); Int16Array/Uint16Array widen to int32 (exact); Uint32Array gives
 * int32 when every value fits, else a DTypeError. Anything else (BigInt arrays, DataView) is a DTypeError —
 * never a reinterpretation of the bytes.
 */
function dtypeOfArray(a: ArrayBufferView): DType {
  if (a instanceof Float32Array || a instanceof Float64Array) return 'float32';
  if (a instanceof Int32Array || a instanceof Int16Array || a instanceof Uint16Array) return 'int32';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  if (a instanceof Uint32Array) {
    for (let i = 0; i < a.length; i++)
      if (a[i]! > 0x7fffffff) throw new DTypeError('tensor', `Uint32Array value ${a[i]} at index ${i} does not fit int32 (expected values ≤ 2147483647)`);
    return 'int32';
  }
  throw new DTypeError(
    'tensor',
    `unsupported typed array ${a.constructor.name} (expected Float32Array, Float64Array, Int32Array, Int16Array, Uint16Array, Uint32Array, Int8Array, Uint8Array or Uint8ClampedArray)`,
  );
}

/** `opts.dtype`, float32 by default, checked. */
function dtypeOption(op: string, opts: TensorOptions): DType {
  const dtype = opts.dtype ?? 'float32';
  if (!isDType(dtype)) throw new DTypeError(op, `unknown dtype '${String(dtype)}' (expected float32, int32, bool, int8 or uint8)`);
  return dtype;
}

/** Build a tensor from host values (the one place host data enters a device). */
export function fromArray(values: ArrayLike<number>, shape: Shape, opts: TensorOptions = {}, op = 'tensor'): Tensor {
  checkOptions(op, opts, TENSOR_KEYS);
  const dtype = dtypeOption(op, opts);
  checkShape(op, shape);
  const device = opts.device ?? getDefaultDevice();
  const size = numel(shape);
  const host = allocArray(dtype, size);
  if (dtype === 'bool') for (let i = 0; i < size; i++) host[i] = values[i] ? 1 : 0;
  else host.set(values as ArrayLike<number>);
  const storage = allocStorage(device, dtype, size);
  backendOf(device).write(storage, host);
  const t = Tensor._create(storage, [...shape], contiguousStrides(shape), 0);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * A tensor from (nested) arrays of numbers or booleans, a number, or a typed array.
 * Numbers give float32 (unless `dtype` says otherwise), booleans give bool, typed arrays keep their type where
 * the library has it: Float64Array converts to float32, Int16Array/Uint16Array/Uint32Array to int32 (values are
 * converted, never reinterpreted); BigInt arrays and DataViews are a `DTypeError`.
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);            // float32 [2, 2]
 * const m = tensor([true, false]);               // bool [2]
 * const i = tensor([0, 2], { dtype: 'int32' });  // int32 [2]
 * ```
 */
export function tensor(data: TensorData, opts: TensorOptions = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const dtype = dtypeOfArray(data); // validates the array type even when opts.dtype converts it
    return fromArray(data as HostArray, [(data as HostArray).length], { ...opts, dtype: opts.dtype ?? dtype });
  }
  const shape: number[] = [];
  let probe: TensorData = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
    if (probe === undefined) break;
  }
  const flat: number[] = [];
  let sawBool = false;
  const walk = (v: TensorData, dim: number): void => {
    if (dim === shape.length) {
      if (typeof v === 'boolean') sawBool = true;
      else if (typeof v !== 'number')
        throw new ShapeError('tensor', `expected a number or boolean at depth ${dim}, got ${Array.isArray(v) ? 'an array' : typeof v}`);
      flat.push(Number(v));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ShapeError('tensor', `ragged nested array: expected length ${shape[dim]} at depth ${dim}, got ${Array.isArray(v) ? v.length : typeof v}`);
    }
    for (const e of v) walk(e, dim + 1);
  };
  walk(data, 0);
  return fromArray(flat, shape, { ...opts, dtype: opts.dtype ?? (sawBool ? 'bool' : 'float32') });
}

/**
 * A tensor of `shape` filled with `value`.
 * @example
 * ```ts
 * full([2, 3], 7); // [[7, 7, 7], [7, 7, 7]]
 * ```
 */
export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  return filled('full', shape, value, opts);
}

/** A fresh allocation filled on the device (`Backend.fill`): no host array, no host→device write. */
function filled(op: string, shape: Shape, value: number, opts: TensorOptions, fill = true): Tensor {
  checkOptions(op, opts, TENSOR_KEYS);
  checkShape(op, shape);
  const dtype = dtypeOption(op, opts);
  if (opts.requiresGrad && dtype !== 'float32') throw new DTypeError(op, `only float32 tensors can require gradients, got ${dtype}`);
  const device = opts.device ?? getDefaultDevice();
  const t = Tensor._create(allocStorage(device, dtype, numel(shape)), [...shape], contiguousStrides(shape), 0);
  if (fill && (value !== 0 || device !== 'cpu')) backendOf(device).fill(t._view(), value); // CPU allocations start zeroed
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * A tensor of zeros.
 * @example
 * ```ts
 * zeros([2, 2]); // [[0, 0], [0, 0]]
 * ```
 */
export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  return filled('zeros', shape, 0, opts);
}

/**
 * A tensor of ones.
 * @example
 * ```ts
 * ones([3]); // [1, 1, 1]
 * ```
 */
export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return filled('ones', shape, 1, opts);
}

function likeOpts(x: Tensor, opts: TensorOptions): TensorOptions {
  return { ...opts, dtype: opts.dtype ?? x.dtype, device: opts.device ?? x.device };
}

/**
 * Zeros with `x`'s shape, dtype and device.
 * @example
 * ```ts
 * zerosLike(tensor([1, 2])); // [0, 0]
 * ```
 */
export function zerosLike(x: Tensor, opts: TensorOptions = {}): Tensor {
  return full(x.shape, 0, likeOpts(x, opts));
}

/**
 * Ones with `x`'s shape, dtype and device.
 * @example
 * ```ts
 * onesLike(tensor([1, 2])); // [1, 1]
 * ```
 */
export function onesLike(x: Tensor, opts: TensorOptions = {}): Tensor {
  return full(x.shape, 1, likeOpts(x, opts));
}

/**
 * A tensor of `value` with `x`'s shape, dtype and device (as `torch.full_like`).
 * @example
 * ```ts
 * fullLike(tensor([1, 2]), 7); // [7, 7]
 * ```
 */
export function fullLike(x: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return filled('fullLike', x.shape, value, likeOpts(x, opts));
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) in steps of `step`, like `torch.arange`.
 * With one number it counts from 0; the options may follow any number of the numbers
 * (`arange(5, { dtype: 'int32' })`). Integer arguments give float32 unless `dtype` is set.
 * Integer ranges (below 2^24 in magnitude) into int32 or float32 are made on the device, without
 * a host→device write.
 * @example
 * ```ts
 * arange(4);                     // [0, 1, 2, 3]
 * arange(1, 2, 0.25);            // [1, 1.25, 1.5, 1.75]
 * arange(3, { dtype: 'int32' }); // int32 [0, 1, 2]
 * ```
 */
export function arange(start: number, end?: number | TensorOptions, step: number | TensorOptions = 1, opts: TensorOptions = {}): Tensor {
  if (end !== null && typeof end === 'object') [end, step, opts] = [undefined, 1, end];
  else if (step !== null && typeof step === 'object') [step, opts] = [1, step];
  for (const [name, v] of [
    ['start', start],
    ['end', end],
    ['step', step],
  ] as const)
    if (v !== undefined && typeof v !== 'number') throw new ArgumentError('arange', `${name} must be a number, got ${v === null ? 'null' : typeof v}`);
  if (end === undefined) [start, end] = [0, start];
  const by = step as number;
  if (by === 0 || !Number.isFinite(by)) throw new ArgumentError('arange', `step must be a finite non-zero number, got ${by}`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new ArgumentError('arange', `start and end must be finite, got ${start} and ${end}`);
  const n = Math.max(0, Math.ceil(((end as number) - start) / by));
  const dtype = opts.dtype ?? 'float32';
  const exact = (v: number) => Number.isInteger(v) && Math.abs(v) < 2 ** 24;
  if ((dtype === 'int32' || dtype === 'float32') && exact(start) && exact(by) && exact(start + (n - 1) * by)) {
    const t = filled('arange', [n], 0, { ...opts, device: opts.device ?? getDefaultDevice() }, false);
    backendOf(t.device).arange(t._view().storage, start, by);
    return t;
  }
  return fromArray(
    Array.from({ length: n }, (_, i) => start + i * by),
    [n],
    opts,
    'arange',
  );
}

/**
 * `steps` evenly spaced values from `start` to `end`, both included.
 * @example
 * ```ts
 * linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError('linspace', `steps must be a non-negative integer, got ${steps}`);
  const d = steps > 1 ? (end - start) / (steps - 1) : 0;
  return fromArray(
    Array.from({ length: steps }, (_, i) => (i > 0 && i === steps - 1 ? end : start + i * d)),
    [steps],
    opts,
    'linspace',
  );
}

/**
 * An n×m identity matrix (m defaults to n).
 * @example
 * ```ts
 * eye(2); // [[1, 0], [0, 1]]
 * ```
 */
export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const v = new Array<number>(n * m).fill(0);
  for (let i = 0; i < Math.min(n, m); i++) v[i * m + i] = 1;
  return fromArray(v, [n, m], opts, 'eye');
}

function floatOnly(op: string, opts: TensorOptions): void {
  if (opts.dtype && opts.dtype !== 'float32') throw new DTypeError(op, `produces float32, got dtype ${opts.dtype}`);
}

/**
 * Options of `rand`, `randn` and `randint`: {@link TensorOptions} and the stream to draw from.
 * @example
 * ```ts
 * rand([2], { generator: new Generator({ seed: 1 }), device: 'cpu' });
 * ```
 */
export interface RandomOptions extends TensorOptions {
  /** Draw from this generator instead of the global stream (`manualSeed`). */
  generator?: Generator;
}

const RANDOM_KEYS = ['dtype', 'device', 'requiresGrad', 'generator'] as const;

function randomArgs(op: string, opts: RandomOptions): [Generator, TensorOptions] {
  const g = generatorOf(op, opts, RANDOM_KEYS);
  const { generator: _, ...tensorOpts } = opts;
  return [g, tensorOpts];
}

/**
 * Uniform random values in [0, 1) from the seeded global stream (see `manualSeed`), or from
 * `opts.generator`.
 * @example
 * ```ts
 * manualSeed(0); rand([2, 2]);
 * rand([3], { generator: new Generator({ seed: 7 }) }); // the same for every Generator seeded 7
 * ```
 */
export function rand(shape: Shape, opts: RandomOptions = {}): Tensor {
  checkShape('rand', shape);
  floatOnly('rand', opts);
  const [g, tensorOpts] = randomArgs('rand', opts);
  return fromArray(g.uniform(numel(shape)), shape, tensorOpts, 'rand');
}

/**
 * Standard normal random values (mean 0, variance 1) from the seeded global stream, or from
 * `opts.generator`.
 * @example
 * ```ts
 * const w = randn([3, 4], { requiresGrad: true });
 * const g = randn([2], { generator: new Generator({ seed: 1 }) });
 * ```
 */
export function randn(shape: Shape, opts: RandomOptions = {}): Tensor {
  checkShape('randn', shape);
  floatOnly('randn', opts);
  const [g, tensorOpts] = randomArgs('randn', opts);
  return fromArray(g.normal(numel(shape)), shape, tensorOpts, 'randn');
}

/**
 * Uniform random integers in [low, high), int32 by default, from the global stream or
 * `opts.generator`.
 * @example
 * ```ts
 * randint(0, 10, [5]); // e.g. [3, 7, 0, 9, 2]
 * randint(0, 2, [4], { generator: new Generator({ seed: 3 }) });
 * ```
 */
export function randint(low: number, high: number, shape: Shape, opts: RandomOptions = {}): Tensor {
  checkShape('randint', shape);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low || high - low > 2 ** 32) {
    throw new ArgumentError('randint', `expected integers low < high (range up to 2^32), got low=${low}, high=${high}`);
  }
  const [g, tensorOpts] = randomArgs('randint', opts);
  return fromArray(g.integers(numel(shape), low, high), shape, { ...tensorOpts, dtype: opts.dtype ?? 'int32' }, 'randint');
}
