/**
 * The CPU heap: one shared `WebAssembly.Memory` that holds tensor storage, carved into 64-byte
 * aligned blocks by size class, with a free list per class. Storages are typed-array views into
 * it, so the SIMD kernels (./wasm/simd-driver.ts) work on them in place, and a freed block is
 * reused by the next allocation of its class (already paged in: no first-touch faults, no GC).
 *
 * The memory is shared (its buffer a SharedArrayBuffer) because a shared memory never detaches
 * its views when it grows: views made before a `grow` stay valid. It also lets worker threads
 * and other wasm modules import it ({@link heapMemory}). Without shared memory (a browser page
 * that is not cross-origin isolated), with `AIMODEL_CPU_POOL=0`, or when the heap is full,
 * {@link heapAlloc} returns null and the caller allocates a plain typed array instead.
 *
 * Blocks are never returned to the system: the heap grows to the largest live set seen (at most
 * `MAX_BYTES`), and each block is reused only by its own size class (4 classes per power of two,
 * so at most 25% is lost to rounding). Allocation past `SOFT_BYTES` with no free block of the
 * class also goes to plain arrays: tensors nobody disposes are freed by the garbage collector, which
 * does not see the heap's memory, so plain arrays keep the collector's pressure honest.
 */

const PAGE = 65536;
/** The memory's maximum (address space reserved up front for a shared memory): 2 GiB. */
const MAX_BYTES = 2 ** 31;
/** Beyond this many heap bytes, a class without a free block gets a plain array instead. */
const SOFT_BYTES = 2 ** 30;
/** Block alignment and the smallest block. */
export const ALIGN = 64;
/** Bytes kept free at the top of the memory, so a 16-byte load past a block's end stays inside. */
const SLACK = 64;

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;

interface Heap {
  mem: WebAssembly.Memory;
  /** Next never-used address. */
  top: number;
  /** Free block addresses by block size. */
  free: Map<number, number[]>;
  /** Bytes in live blocks (block sizes). */
  live: number;
}

let enabled = env?.AIMODEL_CPU_POOL !== '0';
let heap: Heap | null | undefined;

function create(): Heap | null {
  try {
    if (typeof SharedArrayBuffer !== 'function' || typeof WebAssembly !== 'object') return null;
    const mem = new WebAssembly.Memory({ initial: 16, maximum: MAX_BYTES / PAGE, shared: true });
    if (!(mem.buffer instanceof SharedArrayBuffer)) return null;
    // address 0 is never handed out (0 reads as "no block")
    return { mem, top: ALIGN, free: new Map(), live: 0 };
  } catch {
    return null;
  }
}

function get(): Heap | null {
  if (heap === undefined) heap = create();
  return heap;
}

/**
 * The heap's memory, for other wasm modules to import (declare the import shared with a
 * maximum of 65536 pages, e.g. `memoryImport` in ./wasm/encoder.ts), or null when there is no
 * heap (pool disabled, or no shared memory). Its buffer grows: take `heapMemory().buffer` afresh
 * after any allocation, or keep views made before (they stay valid).
 * @internal
 */
export function heapMemory(): WebAssembly.Memory | null {
  return enabled ? (get()?.mem ?? null) : null;
}

/** The block size that serves `bytes`: 64 up to 256, then 4 classes per power of two. */
export function blockSize(bytes: number): number {
  if (bytes <= 256) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const quarter = 2 ** (31 - Math.clz32(bytes - 1)) / 4; // 2^⌊log2(bytes − 1)⌋ / 4
  return Math.ceil(bytes / quarter) * quarter;
}

/** Whether the last block {@link heapAlloc} returned was reused (else it is fresh: all zeros). @internal */
export let reusedLast = false;

/**
 * A 64-byte aligned block of at least `bytes` bytes (its size is {@link blockSize}), as a byte
 * address in {@link heapMemory}; null when there is no heap or it is full (allocate elsewhere).
 * Past `SOFT_BYTES` only a free block of the class serves, unless `pastSoftLimit` (scratch space).
 * A reused block ({@link reusedLast}) holds whatever its last user left; a fresh one is zeroed.
 * @internal
 */
export function heapAlloc(bytes: number, pastSoftLimit = false): number | null {
  if (!enabled) return null;
  const h = get();
  if (!h) return null;
  const size = blockSize(bytes);
  const list = h.free.get(size);
  if (list?.length) {
    h.live += size;
    reusedLast = true;
    return list.pop() as number;
  }
  reusedLast = false;
  if (h.top + size + SLACK > SOFT_BYTES && !pastSoftLimit) return null;
  const end = h.top + size + SLACK;
  const have = h.mem.buffer.byteLength;
  if (end > have) {
    if (end > MAX_BYTES) return null;
    // grow by at least an eighth (fewer, larger grows), within the maximum
    const want = Math.min(MAX_BYTES, Math.max(end, have + have / 8));
    try {
      h.mem.grow(Math.ceil((want - have) / PAGE));
    } catch {
      return null;
    }
  }
  const at = h.top;
  h.top += size;
  h.live += size;
  return at;
}

/** Returns the block at `at` (from {@link heapAlloc}(`bytes`)) to its free list. @internal */
export function heapFree(at: number, bytes: number): void {
  const h = heap;
  if (!h) return;
  const size = blockSize(bytes);
  let list = h.free.get(size);
  if (!list) h.free.set(size, (list = []));
  list.push(at);
  h.live -= size;
}

/**
 * The heap's state: bytes in live blocks, bytes ever carved (the high-water mark), the memory's
 * size, and blocks on the free lists (all 0 without a heap).
 * @internal
 */
export function heapStats(): { live: number; used: number; reserved: number; freeBlocks: number } {
  const h = heap;
  if (!h) return { live: 0, used: 0, reserved: 0, freeBlocks: 0 };
  let freeBlocks = 0;
  for (const l of h.free.values()) freeBlocks += l.length;
  return { live: h.live, used: h.top - ALIGN, reserved: h.mem.buffer.byteLength, freeBlocks };
}

/**
 * Turns heap allocation on or off (`AIMODEL_CPU_POOL=0` starts it off). Existing blocks stay
 * valid and are freed as usual; new storage comes from plain typed arrays while off.
 * @internal
 */
export function setHeapEnabled(on: boolean): void {
  enabled = on;
}

/** Whether new CPU storage comes from the heap (enabled and available). @internal */
export function heapEnabled(): boolean {
  return enabled && get() !== null;
}
