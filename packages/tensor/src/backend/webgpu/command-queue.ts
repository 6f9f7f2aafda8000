import type { BufferPool } from './buffer-pool';
import { bindingAccess, type KernelSource, type PipelineCache } from './pipeline-cache';
import { USAGE } from './usage';

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
 * Kernel parameters: each dispatch's words go to a host-side params block (256-byte aligned per
 * dispatch), written into one persistent params buffer with `queue.writeBuffer` just before the
 * submission that reads them (queue order puts that write after every earlier submission and
 * before this one), and bound as `var<storage, read> p: array<u32>` after the tensor buffers at a
 * dynamic offset. Bind groups therefore depend only on the kernel's layout and the tensor buffers,
 * and are cached: creating one costs tens of microseconds in Dawn's Node binding, more than the
 * rest of a dispatch, and a training step reuses the same pooled buffers in the same places step
 * after step.
 */

/** Each dispatch's params block starts at a multiple of this (the dynamic-offset alignment WebGPU guarantees). */
export const PARAMS_ALIGN = 256;

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
  /** Host→device writes of tensor data (kernel parameters are not counted), and their bytes. */
  uploads: number;
  uploadBytes: number;
  /** Device→host reads (each one a submission and a wait), and their bytes. */
  reads: number;
  readBytes: number;
  /** Commands recorded and not yet submitted. */
  pending: number;
  /** Bind groups cached for reuse, and dispatches that reused one. */
  bindGroups: number;
  bindGroupHits: number;
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
  /** Bind groups kept for reuse, least recently used dropped first (default 4096). */
  bindGroupCacheSize?: number;
}

/** Bytes of the persistent params buffer; a submission whose params would overflow it is split. */
export const PARAMS_BYTES = 0x100000; // 1 MiB (a literal: bundles keep an unused `1 << 20`)
/** Bytes of every params binding (a dispatch's words are fewer; larger ones bind more). */
const PARAMS_BINDING = 1024;

/** Small integer ids of GPU objects, for bind-group cache keys. */
const ids = new WeakMap<object, number>();
let nextId = 1;
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++;
    ids.set(o, id);
  }
  return id;
}

export class CommandQueue {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uploads: Arena;
  /** The persistent params buffer, its host-side contents for the pending submission, bytes used. */
  private readonly paramsBuffer: GPUBuffer;
  private readonly paramBytes = new Uint8Array(PARAMS_BYTES);
  private paramsUsed = 0;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bindGroupCacheSize: number;
  private readonly offsets = new Uint32Array(1);
  private bindGroupHits = 0;
  private pendingDispatches = 0;
  private pendingCommands = 0;
  private readonly maxPending: number;
  private readonly counts = { submits: 0, dispatches: 0, copies: 0, uploads: 0, uploadBytes: 0, reads: 0, readBytes: 0 };
  private probe: DispatchProbe | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly pool: BufferPool,
    private readonly pipelines: PipelineCache,
    opts: CommandQueueOptions = {},
  ) {
    this.maxPending = opts.maxPendingDispatches ?? 2048;
    this.bindGroupCacheSize = opts.bindGroupCacheSize ?? 4096;
    this.uploads = new Arena(device, USAGE.COPY_SRC, 'aimodel staging', 64 * 1024);
    this.paramsBuffer = device.createBuffer({ label: 'aimodel params', size: PARAMS_BYTES, usage: USAGE.STORAGE | USAGE.COPY_DST });
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
    // the params block first: when it overflows the params buffer, what is pending is submitted
    const paramsSize = Math.max(PARAMS_BINDING, Math.ceil(params.byteLength / PARAMS_ALIGN) * PARAMS_ALIGN);
    const offset = withParams ? this.pushParams(params, paramsSize) : 0;
    const bindGroup = this.bindGroup(layout, buffers, withParams ? paramsSize : 0);
    // Timestamps are per pass, so a timed dispatch runs alone in its pass (only while profiling).
    const timestampWrites = this.probe?.dispatched(kernel.key);
    if (timestampWrites) this.endPass();
    if (!this.pass) this.pass = this.encode().beginComputePass(timestampWrites ? { timestampWrites } : undefined);
    this.pass.setPipeline(pipeline);
    if (withParams) {
      this.offsets[0] = offset;
      this.pass.setBindGroup(0, bindGroup, this.offsets, 0, 1);
    } else {
      this.pass.setBindGroup(0, bindGroup);
    }
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
    this.counts.uploadBytes += data.byteLength;
  }

  /** Count a device→host read of `bytes` bytes (`readback.ts` makes them). */
  countRead(bytes: number): void {
    this.counts.reads++;
    this.counts.readBytes += bytes;
  }

  /** Submit everything recorded so far (nothing happens when nothing is pending). */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    this.probe?.beforeSubmit(this.encoder);
    const commands = this.encoder.finish();
    this.encoder = null;
    this.uploads.unmap();
    // queue order: after every earlier submission (which read the previous contents), before this one
    if (this.paramsUsed > 0) this.device.queue.writeBuffer(this.paramsBuffer, 0, this.paramBytes, 0, this.paramsUsed);
    this.paramsUsed = 0;
    this.device.queue.submit([commands]);
    this.uploads.reset();
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
    return { ...this.counts, pending: this.pendingCommands, bindGroups: this.bindGroups.size, bindGroupHits: this.bindGroupHits };
  }

  /** Copy `params` into the pending params block at an aligned offset (submitting first when full). */
  private pushParams(params: Uint32Array, size: number): number {
    let offset = Math.ceil(this.paramsUsed / PARAMS_ALIGN) * PARAMS_ALIGN;
    if (offset + size > PARAMS_BYTES) {
      this.submit();
      offset = 0;
    }
    this.paramBytes.set(new Uint8Array(params.buffer, params.byteOffset, params.byteLength), offset);
    this.paramsUsed = offset + params.byteLength;
    return offset;
  }

  /** The bind group of `buffers` (and the params buffer, `paramsSize` bytes at a dynamic offset) for `layout`, cached. */
  private bindGroup(layout: GPUBindGroupLayout, buffers: readonly GPUBuffer[], paramsSize: number): GPUBindGroup {
    let key = `${idOf(layout)}:${paramsSize}`;
    for (const b of buffers) key += `,${idOf(b)}`;
    let group = this.bindGroups.get(key);
    if (group) {
      this.bindGroupHits++;
      this.bindGroups.delete(key); // most recently used last
    } else {
      const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
      if (paramsSize) entries.push({ binding: buffers.length, resource: { buffer: this.paramsBuffer, offset: 0, size: paramsSize } });
      group = this.device.createBindGroup({ layout, entries });
      if (this.bindGroups.size >= this.bindGroupCacheSize) this.bindGroups.delete(this.bindGroups.keys().next().value as string);
    }
    this.bindGroups.set(key, group);
    return group;
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
