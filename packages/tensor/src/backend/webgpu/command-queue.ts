import type { BufferPool } from './buffer-pool';
import { bindingAccess, type KernelSource, type PipelineCache } from './pipeline-cache';

/**
 * Records every dispatch, copy and host→device write of a step into one GPUCommandEncoder and
 * submits it lazily: when data is read back, when `maxPendingDispatches` is reached, or on
 * `flush()`. Reading back is the only sync point.
 *
 * Ordering rule: host writes are recorded as copies from a staging arena, in order with the
 * dispatches around them. `queue.writeBuffer` would run before every command still waiting in
 * the encoder, so a pooled buffer released by one tensor and reused by the next would be
 * overwritten before earlier commands had read it.
 *
 * Kernel parameters: each dispatch's words go to a per-submission params arena (256-byte aligned
 * per dispatch) bound as `var<storage, read> p: array<u32>` after the tensor buffers.
 */

/** GPU-side params arenas are bound at offsets that are multiples of this. */
export const PARAMS_ALIGN = 256;

const COPY_SRC = 0x04;
const STORAGE = 0x80;

interface Chunk {
  buffer: GPUBuffer;
  bytes: Uint8Array;
  used: number;
}

/**
 * Buffers created mapped, filled from the host while commands are recorded, unmapped just before
 * the submission that reads them and destroyed right after it (they are fresh per submission).
 */
class Arena {
  private chunks: Chunk[] = [];
  private nextChunk: number;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly label: string,
    private readonly minChunk: number,
  ) {
    this.nextChunk = minChunk;
  }

  /** Space for `data` (its byte length a multiple of 4) at an `align`-aligned offset. */
  push(data: Uint8Array, align: number): { buffer: GPUBuffer; offset: number } {
    const need = Math.max(4, data.byteLength);
    let chunk = this.chunks.at(-1);
    let offset = chunk ? Math.ceil(chunk.used / align) * align : 0;
    if (!chunk || offset + need > chunk.bytes.byteLength) {
      const size = Math.max(this.nextChunk, Math.ceil(need / 256) * 256);
      this.nextChunk = Math.min(this.nextChunk * 2, 16 * 2 ** 20);
      const buffer = this.device.createBuffer({ label: this.label, size, usage: this.usage, mappedAtCreation: true });
      chunk = { buffer, bytes: new Uint8Array(buffer.getMappedRange()), used: 0 };
      this.chunks.push(chunk);
      offset = 0;
    }
    chunk.bytes.set(data, offset);
    chunk.used = offset + need;
    return { buffer: chunk.buffer, offset };
  }

  unmap(): void {
    for (const c of this.chunks) c.buffer.unmap();
  }

  /** Destroy this submission's chunks (the GPU keeps them until the submitted work is done). */
  reset(): void {
    for (const c of this.chunks) c.buffer.destroy();
    this.chunks = [];
    this.nextChunk = this.minChunk;
  }
}

/** Counters since the queue was created. */
export interface QueueStats {
  /** `queue.submit` calls. */
  submits: number;
  dispatches: number;
  /** Buffer-to-buffer copies, uploads included. */
  copies: number;
  /** Host→device writes. */
  uploads: number;
  /** Commands recorded and not yet submitted. */
  pending: number;
}

/**
 * Watches the dispatches of a profiling session (see `profiler.ts`). While none is attached the
 * queue records exactly as it otherwise would: no query sets, no extra passes.
 */
export interface DispatchProbe {
  /**
   * Called for each dispatch of `key`. Returning timestamp writes gives that dispatch a compute
   * pass of its own that writes them; returning undefined only counts it.
   */
  dispatched(key: string): GPUComputePassTimestampWrites | undefined;
  /** Called just before the encoder is finished (outside any pass): record query resolves here. */
  beforeSubmit(encoder: GPUCommandEncoder): void;
}

export interface CommandQueueOptions {
  /** Submit once this many dispatches are pending (default 2048). */
  maxPendingDispatches?: number;
}

export class CommandQueue {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uploads: Arena;
  private readonly params: Arena;
  private pendingDispatches = 0;
  private pendingCommands = 0;
  private readonly maxPending: number;
  private readonly counts: QueueStats = { submits: 0, dispatches: 0, copies: 0, uploads: 0, pending: 0 };
  private probe: DispatchProbe | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly pool: BufferPool,
    private readonly pipelines: PipelineCache,
    opts: CommandQueueOptions = {},
  ) {
    this.maxPending = opts.maxPendingDispatches ?? 2048;
    this.uploads = new Arena(device, COPY_SRC, 'aimodel staging', 64 * 1024);
    this.params = new Arena(device, STORAGE, 'aimodel params', 16 * 1024);
  }

  /**
   * Record one dispatch of `kernel` over `buffers` (bindings 0..n-1) with parameter words `params`
   * (bound after the buffers when non-empty) and `workgroups` workgroups.
   */
  dispatch(kernel: KernelSource, buffers: readonly GPUBuffer[], params: Uint32Array, workgroups: readonly number[]): void {
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const access = bindingAccess(kernel, buffers.length);
    if (access.length !== buffers.length) {
      throw new Error(`webgpu: kernel ${kernel.key} declares ${access.length} bindings but got ${buffers.length} buffers`);
    }
    access.forEach((a, i) => {
      if (a === 'read_write' && buffers.some((b, j) => j !== i && b === buffers[i])) {
        throw new Error(`webgpu: kernel ${kernel.key}: buffer ${i} is written and also bound at another binding; copy it first`);
      }
    });
    const withParams = params.length > 0;
    const { pipeline, layout } = this.pipelines.get(kernel, access, withParams);
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    if (withParams) {
      const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
      const at = this.params.push(bytes, PARAMS_ALIGN);
      entries.push({ binding: buffers.length, resource: { buffer: at.buffer, offset: at.offset, size: params.byteLength } });
    }
    const bindGroup = this.device.createBindGroup({ layout, entries });
    // Timestamps are per pass, so a timed dispatch runs alone in its pass (only while profiling).
    const timestampWrites = this.probe?.dispatched(kernel.key);
    if (timestampWrites) this.endPass();
    if (!this.pass) this.pass = this.encode().beginComputePass(timestampWrites ? { timestampWrites } : undefined);
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
    if (timestampWrites) this.endPass();
    this.counts.dispatches++;
    this.pendingCommands++;
    if (++this.pendingDispatches >= this.maxPending) this.submit();
  }

  /** Record a buffer-to-buffer copy (offsets and size multiples of 4). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    this.endPass();
    this.encode().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.counts.copies++;
    this.pendingCommands++;
  }

  /** Record a host→device write of `data` (byte length a multiple of 4), ordered with the other commands. */
  write(dst: GPUBuffer, dstOffset: number, data: Uint8Array): void {
    if (data.byteLength === 0) return;
    const at = this.uploads.push(data, 4);
    this.copy(at.buffer, at.offset, dst, dstOffset, data.byteLength);
    this.counts.uploads++;
  }

  /** Submit everything recorded so far (nothing happens when nothing is pending). */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    this.probe?.beforeSubmit(this.encoder);
    const commands = this.encoder.finish();
    this.encoder = null;
    this.uploads.unmap();
    this.params.unmap();
    this.device.queue.submit([commands]);
    this.uploads.reset();
    this.params.reset();
    this.pool.afterSubmit();
    this.counts.submits++;
    this.pendingDispatches = 0;
    this.pendingCommands = 0;
  }

  /**
   * Attach `probe` to observe the dispatches recorded from now on, or detach it with null. Submit
   * before detaching, so that the probe sees the `beforeSubmit` of the work it timed.
   */
  setProbe(probe: DispatchProbe | null): void {
    if (probe && this.probe) throw new Error('webgpu: a dispatch probe is already attached');
    this.probe = probe;
  }

  /** Whether a probe is attached. */
  get probing(): boolean {
    return this.probe !== null;
  }

  stats(): QueueStats {
    return { ...this.counts, pending: this.pendingCommands };
  }

  private encode(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'aimodel step' });
    return this.encoder;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }
}
