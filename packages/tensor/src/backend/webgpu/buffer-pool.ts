/**
 * GPU buffers for tensor storage, pooled by size class so that a training step that frees and
 * allocates the same shapes every iteration reuses its buffers instead of creating new ones.
 *
 * Size classes are powers of two from 256 bytes, so a request wastes at most half its class.
 * Where the power of two would exceed the largest buffer a kernel can bind
 * (`maxStorageBufferBindingSize`, also capped by `maxBufferSize`) the request is rounded up to a
 * multiple of 256 bytes instead.
 * A released buffer waits in its class's free list; when the pooled bytes exceed `maxPooledBytes`
 * the oldest pooled buffers are queued for destruction, which happens after the next submission
 * (commands already recorded may still use them).
 */

import { USAGE } from './usage';

/** Usage of every tensor buffer: bound as storage, source and destination of copies. */
export const STORAGE_USAGE = /* @__PURE__ */ (() => USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST)(); // an arrow call, which bundles can drop

/** The smallest size class, in bytes. */
export const MIN_BUFFER_BYTES = 256;

/** Counters for tests and `stats()`. */
export interface BufferPoolStats {
  /** Buffers handed out and not yet released. */
  live: number;
  /** Bytes of the live buffers (their class sizes). */
  liveBytes: number;
  /** Buffers waiting in the free lists. */
  pooled: number;
  /** Bytes of the pooled buffers. */
  pooledBytes: number;
  /** Buffers created since the pool began (a reuse does not count). */
  created: number;
  /** Buffers destroyed since the pool began. */
  destroyed: number;
}

export interface BufferPoolOptions {
  /** Pooled bytes kept for reuse before older free buffers are destroyed (default 256 MiB). */
  maxPooledBytes?: number;
}

/** The size class (bytes) for a request of `bytes`, given the largest bindable buffer size. */
export function sizeClass(bytes: number, maxBindable: number): number {
  if (bytes <= MIN_BUFFER_BYTES) return MIN_BUFFER_BYTES;
  const pow = 2 ** Math.ceil(Math.log2(bytes));
  return pow <= maxBindable ? pow : Math.ceil(bytes / MIN_BUFFER_BYTES) * MIN_BUFFER_BYTES;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  /** Pooled buffers in release order, for eviction of the oldest first. */
  private readonly order: GPUBuffer[] = [];
  /** Evicted or trimmed buffers, destroyed once the commands that may use them are submitted. */
  private doomed: GPUBuffer[] = [];
  private readonly maxPooledBytes: number;
  private counts: BufferPoolStats = { live: 0, liveBytes: 0, pooled: 0, pooledBytes: 0, created: 0, destroyed: 0 };

  constructor(
    private readonly device: GPUDevice,
    opts: BufferPoolOptions = {},
  ) {
    this.maxPooledBytes = opts.maxPooledBytes ?? 256 * 2 ** 20;
  }

  /** A buffer of at least `bytes` bytes (its size is the size class), reused when one is pooled. */
  acquire(bytes: number): GPUBuffer {
    const { maxBufferSize, maxStorageBufferBindingSize } = this.device.limits;
    const size = sizeClass(bytes, Math.min(maxBufferSize, maxStorageBufferBindingSize));
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.order.splice(this.order.lastIndexOf(buffer), 1);
      this.counts.pooled--;
      this.counts.pooledBytes -= size;
    } else {
      buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE });
      this.counts.created++;
    }
    this.counts.live++;
    this.counts.liveBytes += size;
    return buffer;
  }

  /** Return a buffer for reuse. Commands recorded earlier may still read it: reuse is ordered by the queue. */
  release(buffer: GPUBuffer): void {
    this.counts.live--;
    this.counts.liveBytes -= buffer.size;
    let list = this.free.get(buffer.size);
    if (!list) {
      list = [];
      this.free.set(buffer.size, list);
    }
    list.push(buffer);
    this.order.push(buffer);
    this.counts.pooled++;
    this.counts.pooledBytes += buffer.size;
    while (this.counts.pooledBytes > this.maxPooledBytes && this.order.length > 0) this.evict(this.order[0]);
  }

  /** Queue every pooled buffer for destruction (after the next submission). */
  trim(): void {
    while (this.order.length > 0) this.evict(this.order[0]);
  }

  /** Destroy the buffers queued for destruction; call right after a submission. */
  afterSubmit(): void {
    for (const b of this.doomed) b.destroy();
    this.counts.destroyed += this.doomed.length;
    this.doomed = [];
  }

  stats(): BufferPoolStats {
    return { ...this.counts };
  }

  private evict(buffer: GPUBuffer): void {
    this.order.shift();
    const list = this.free.get(buffer.size);
    list?.splice(list.indexOf(buffer), 1);
    this.counts.pooled--;
    this.counts.pooledBytes -= buffer.size;
    this.doomed.push(buffer);
  }
}
