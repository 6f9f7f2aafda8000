import type { DType } from './dtype';
import type { DeviceName, Storage, TransferCounts } from './backend/backend';
import { backendOf, openedBackend } from './device';
import { ArgumentError } from './errors';
import { Tensor } from './tensor';

/**
 * Live tensors and bytes on one device.
 * @example
 * ```ts
 * const { tensors, bytes } = memory().devices.cpu;
 * ```
 */
export interface DeviceMemory {
  /** User-visible tensors alive on the device (views count; autograd's internal handles do not). */
  tensors: number;
  /**
   * Bytes of device memory held by the storages of those tensors and of the autograd graph, as
   * allocated: a typed array's byteLength on the CPU (1 byte per int8/uint8/bool element); on
   * WebGPU the GPU buffers' real sizes, which store int8/uint8 four per 32-bit word (1 byte each)
   * and the other dtypes as 32-bit words, rounded up to the buffer pool's size class (at least 256 bytes). Pooled buffers no tensor uses are not counted.
   * Packed copies that kernels keep of operands are not included: see {@link MemoryInfo.packed}.
   */
  bytes: number;
}

/**
 * What `memory()` reports: user-visible tensors that are alive (not disposed, not collected) and
 * the bytes of device memory they and the autograd graph hold, in total and per device.
 * @example
 * ```ts
 * const { tensors, bytes, devices } = memory();
 * ```
 */
export interface MemoryInfo extends DeviceMemory {
  devices: Record<DeviceName, DeviceMemory>;
  /**
   * User-visible tensors (views included) that were never disposed and that the garbage
   * collector's safety net freed since the program started: a leak diagnostic. It stays 0 when
   * every tensor is disposed (by `dispose()` or a `scope`); when it grows, a tensor was dropped
   * undisposed, and its memory stayed held until a collection happened to run.
   * @example
   * ```ts
   * const leaksBefore = memory().collected;
   * scope(() => tensor([1, 2]).mul(2)); // disposed by the scope: not a leak
   * memory().collected === leaksBefore; // true
   * ```
   */
  collected: number;
  /**
   * Bytes of the packed copies that kernels keep of tensors' values between calls, beside
   * `bytes`: the CPU int8 matmul keeps its B operand (a quantized Linear's weight) packed in its
   * kernel's layout from the second product with it on, and the threaded int8 convolution its
   * weight from the first, until the tensor's values are read or written or its storage is freed.
   * @example
   * ```ts
   * const w = zeros([64, 64], { dtype: 'int8' });
   * const x = ones([8, 64], { dtype: 'int8' });
   * const before = memory().packed;
   * for (let i = 0; i < 2; i++) x.matmul(w).dispose();
   * memory().packed - before; // 8192: w's values as int16 pairs (4352 where the relaxed-SIMD kernel runs: bytes and column sums)
   * w.dispose();
   * memory().packed === before; // true
   * ```
   */
  packed: number;
}

const usage: Record<DeviceName, DeviceMemory> = { cpu: { tensors: 0, bytes: 0 }, webgpu: { tensors: 0, bytes: 0 } };
let collected = 0;

/**
 * Live tensors and bytes, in total and per device, how many undisposed tensors the garbage
 * collector has freed (`collected`, a count of leaks), and the bytes of packed copies kernels keep
 * (`packed`). Compare two readings to find leaks.
 * @example
 * ```ts
 * const before = memory().tensors;
 * scope(() => ones([100]).mul(2));
 * memory().tensors === before; // true: the scope freed both tensors
 * ```
 */
export function memory(): MemoryInfo {
  const devices = { cpu: { ...usage.cpu }, webgpu: { ...usage.webgpu } };
  return {
    tensors: devices.cpu.tensors + devices.webgpu.tensors,
    bytes: devices.cpu.bytes + devices.webgpu.bytes,
    devices,
    collected,
    packed: openedBackend('cpu')?.derivedBytes?.() ?? 0,
  };
}

/**
 * What {@link transfers} reports: the counts summed over devices, and per device.
 * @example
 * ```ts
 * const { writes, reads, devices } = transfers();
 * ```
 */
export interface TransferInfo extends TransferCounts {
  devices: Record<DeviceName, TransferCounts>;
}

const NO_TRANSFERS: TransferCounts = { writes: 0, writeBytes: 0, reads: 0, readBytes: 0 };

/**
 * Copies of tensor data between the host and each device since its backend was opened (the
 * companion of {@link memory}; `profile()` reports the same counts for what it runs):
 * host→device `writes` (creating a tensor from host values: `tensor`, `rand`, a batch moved with
 * `.to()`) and device→host `reads` (`data()`, `item()`, `toArray()`), with their bytes as moved
 * (WebGPU moves whole 32-bit words: one per element, or per four int8/uint8 elements). Ops, `zeros`/`full`/`onesLike` and number operands
 * (`x.mul(2)`) make none. Compare two readings to count a step's transfers.
 * @example
 * ```ts
 * const before = transfers().devices.cpu;
 * const x = tensor([1, 2, 3]);           // one write of 12 bytes
 * x.mul(2).add(1).sum().dataSync();     // one read; the numbers are not uploaded
 * const after = transfers().devices.cpu;
 * after.writes - before.writes;         // 1
 * after.reads - before.reads;           // 1
 * ```
 */
export function transfers(): TransferInfo {
  const devices = {
    cpu: openedBackend('cpu')?.transfers() ?? { ...NO_TRANSFERS },
    webgpu: openedBackend('webgpu')?.transfers() ?? { ...NO_TRANSFERS },
  };
  const { cpu: c, webgpu: g } = devices;
  return { writes: c.writes + g.writes, writeBytes: c.writeBytes + g.writeBytes, reads: c.reads + g.reads, readBytes: c.readBytes + g.readBytes, devices };
}

export function allocStorage(device: DeviceName, dtype: DType, size: number): Storage {
  const s = backendOf(device).alloc(dtype, size);
  s.refs = 0;
  usage[device].bytes += s.bytes;
  return s;
}

/** A scalar constant storage (`Backend.constant`): an op operand made without a host→device write. */
export function constantStorage(device: DeviceName, dtype: DType, value: number): Storage {
  const s = backendOf(device).constant(dtype, value);
  s.refs = 0;
  usage[device].bytes += s.bytes;
  return s;
}

export function retainStorage(s: Storage): void {
  s.refs++;
}

export function releaseStorage(s: Storage): void {
  if (--s.refs > 0) return;
  usage[s.device].bytes -= s.bytes;
  backendOf(s.device).free(s);
}

export function countTensor(device: DeviceName, delta: 1 | -1): void {
  usage[device].tensors += delta;
}

/** The safety net freed a counted tensor that was never disposed (`memory().collected`). */
export function countCollected(): void {
  collected++;
}

// ── scopes ───────────────────────────────────────────────────────────────
const scopes: Set<Tensor>[] = [];

/** Register a new tensor with the innermost scope, if any. */
export function track(t: Tensor): void {
  const s = scopes.at(-1);
  if (s) {
    s.add(t);
    t._scope = s;
  }
}

/**
 * Take a tensor out of every scope so that it outlives the scope it was created in.
 * @example
 * ```ts
 * let kept!: Tensor;
 * scope(() => { kept = keep(ones([3])); zeros([3]); }); // zeros freed, kept survives
 * ```
 */
export function keep<T extends Tensor>(t: T): T {
  t._scope?.delete(t);
  t._scope = undefined;
  return t;
}

function collect(value: unknown, out: Set<Tensor>, depth = 0): void {
  if (value instanceof Tensor) out.add(value);
  else if (depth < 4 && Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (depth < 4 && value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

/**
 * Run `fn` and dispose every tensor created during it, except those it returns (a tensor, or
 * tensors inside a returned array or plain object), which move to the enclosing scope.
 * `fn` must be synchronous. Autograd keeps what `backward` needs alive on its own, so a loss
 * returned from a scope can still be differentiated.
 * @example
 * ```ts
 * const x = randn([4]);
 * const y = scope(() => x.mul(2).add(1).relu()); // the two temporaries are freed here
 * ```
 */
export function scope<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError('scope', `expected a function, got ${fn === null ? 'null' : typeof fn}`);
  if (fn.constructor?.name === 'AsyncFunction')
    throw new ArgumentError('scope', 'received an async function; scope() only takes synchronous functions (dispose tensors yourself across await)');
  const mine = new Set<Tensor>();
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of mine) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    for (const t of mine) t.dispose();
    throw new ArgumentError('scope', 'the function returned a Promise; scope() only takes synchronous functions');
  }
  const returned = new Set<Tensor>();
  collect(result, returned);
  for (const t of mine) {
    if (returned.has(t)) {
      t._scope = undefined;
      track(t);
    } else {
      t.dispose();
    }
  }
  return result;
}
