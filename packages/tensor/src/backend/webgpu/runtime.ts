import { DeviceError } from '../../errors';
import { BufferPool, type BufferPoolOptions, type BufferPoolStats } from './buffer-pool';
import { CommandQueue, type CommandQueueOptions, type DispatchProbe, type QueueStats } from './command-queue';
import { wgslLanguageFeatures } from './gpu';
import type { Int8Dot } from './kernels/matmul-int8.wgsl';
import { PipelineCache, type KernelSource } from './pipeline-cache';
import { readBuffer } from './readback';
import { type ParamWriter, paramWords } from './wgsl/params';

/** Everything `Runtime.stats()` reports. */
export interface RuntimeStats extends QueueStats {
  buffers: BufferPoolStats;
  /** Pipelines compiled (cache misses). */
  pipelines: number;
}

export type RuntimeOptions = BufferPoolOptions & CommandQueueOptions;

/**
 * The WebGPU runtime kernels are written against: one device, its buffer pool, pipeline cache and
 * command queue. Dispatches, copies and writes are recorded in order and submitted together when
 * data is read back (`read`) or on `flush()`.
 *
 * After the device is lost every call throws `DeviceError('webgpu', 'device lost: …')`.
 * @example
 * ```ts no-run: internal to the WebGPU backend (not exported)
 * const out = rt.createBuffer(4 * n);
 * rt.dispatch(kernel, [x, out], params().u32(n), linearGrid(n, 64));
 * const words = await rt.read(out, 0, 4 * n);
 * ```
 */
export class Runtime {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly queue: CommandQueue;
  /** Resolves with the reason when the device is lost (never rejects). */
  readonly lost: Promise<string>;
  /**
   * How int8 matmuls compute four-wide dot products: `dot4` (`dot4I8Packed`) where the WGSL
   * language feature `packed_4x8_integer_dot_product` exists, else `unpack`; tests set it to run
   * the fallback.
   */
  int8Dot: Int8Dot;
  private lostReason: string | null = null;
  private validationError: string | null = null;

  constructor(
    readonly device: GPUDevice,
    opts: RuntimeOptions = {},
  ) {
    this.pool = new BufferPool(device, opts);
    this.pipelines = new PipelineCache(device);
    this.queue = new CommandQueue(device, this.pool, this.pipelines, opts);
    this.int8Dot = wgslLanguageFeatures(device).has('packed_4x8_integer_dot_product') ? 'dot4' : 'unpack';
    this.lost = device.lost.then((info) => {
      this.lostReason = info.message || info.reason || 'unknown reason';
      return this.lostReason;
    });
    device.onuncapturederror = (e: GPUUncapturedErrorEvent) => {
      this.validationError ??= e.error.message;
    };
  }

  /** Whether the device has been lost (calls then throw). */
  get isLost(): boolean {
    return this.lostReason !== null;
  }

  /** The device's optional features that are enabled ('subgroups', 'timestamp-query', …). */
  hasFeature(name: string): boolean {
    return this.device.features.has(name);
  }

  /**
   * Attach a dispatch probe (the profiler's) to the queue, or detach it with null. Throws
   * `DeviceError` when one is attached already. Submits what is pending first, in both
   * directions, so a probe sees exactly the submissions made while it was attached.
   */
  setProbe(probe: DispatchProbe | null): void {
    if (probe && this.queue.probing) throw new DeviceError('webgpu', 'a profile is already running on this device');
    if (this.lostReason === null) this.queue.submit();
    this.queue.setProbe(probe);
  }

  /** Throw `DeviceError` when the device was lost. Every entry point calls it first. */
  checkAlive(): void {
    if (this.lostReason !== null) throw new DeviceError('webgpu', `device lost: ${this.lostReason}`);
  }

  /** A pooled storage buffer of at least `bytes` bytes. */
  createBuffer(bytes: number): GPUBuffer {
    this.checkAlive();
    return this.pool.acquire(bytes);
  }

  /** Give a buffer back to the pool; commands recorded before still see its old contents. */
  releaseBuffer(buffer: GPUBuffer): void {
    if (this.lostReason === null) this.pool.release(buffer);
  }

  /**
   * Record a dispatch: `buffers` bind at 0..n-1 (read-only first, output last, unless
   * `kernel.bindings` says otherwise); the params words, when any, bind after them as
   * `var<storage, read> p: array<u32>`; `workgroups` is [x, y?, z?].
   */
  dispatch(kernel: KernelSource, buffers: readonly GPUBuffer[], params: ParamWriter | readonly number[] | undefined, workgroups: readonly number[]): void {
    this.checkAlive();
    this.queue.dispatch(kernel, buffers, paramWords(params), workgroups);
  }

  /** Record a copy of `bytes` bytes (offsets and size multiples of 4). */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkAlive();
    this.queue.copy(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Record a host→device write, ordered after every command recorded so far. */
  write(dst: GPUBuffer, dstOffset: number, data: Uint8Array): void {
    this.checkAlive();
    this.queue.write(dst, dstOffset, data);
  }

  /** Submit what is recorded and read `byteLength` bytes of `buffer` from `byteOffset`. */
  async read(buffer: GPUBuffer, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
    this.checkAlive();
    let data: ArrayBuffer;
    try {
      data = await readBuffer(this.device, this.queue, buffer, byteOffset, byteLength);
    } catch (e) {
      // A lost device rejects pending maps; its `lost` promise settles in the same turn or the next.
      await Promise.race([this.lost, new Promise((r) => setTimeout(r, 50))]);
      this.checkAlive();
      throw e;
    }
    if (this.validationError !== null) {
      const message = this.validationError;
      this.validationError = null;
      throw new DeviceError('webgpu', `a WebGPU command failed: ${message}`);
    }
    return data;
  }

  /** Submit everything recorded so far without waiting for it. */
  flush(): void {
    this.checkAlive();
    this.queue.submit();
  }

  /** Free the pooled (unused) buffers. */
  trim(): void {
    this.checkAlive();
    this.pool.trim();
    this.queue.submit();
    this.pool.afterSubmit();
  }

  stats(): RuntimeStats {
    return { ...this.queue.stats(), buffers: this.pool.stats(), pipelines: this.pipelines.size };
  }
}
