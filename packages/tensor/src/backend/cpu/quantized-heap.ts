/**
 * Byte passes of int8 inference run in place on tensors in the CPU heap (./heap.ts) by the
 * quantized module's kernels (./wasm/quantized.ts), split by ranges across the worker pool with
 * more than one thread: nothing is copied in or out, and every byte is computed as one thread would.
 */
import type { Storage, View } from '../backend';
import { blockSize, heapAlloc, heapFree, heapMemory } from './heap';
import { heapAddress } from './storage';
import { settlePool } from './threads';
import { chunkCount, chunkStarts, heapFn, heapPool, runCalls } from './wasm/heap-pool';
import { type Module, quantizedKernelsOn } from './wasm/quantized';

/** Below this many bytes the JS loops are as fast. */
const MIN_BYTES = 1024;
/** Most chunks of a threaded pass (a max pooling's: one 16-byte tail buffer each). */
const MAX_TAILS = 64;
/** A kept heap block: the lookUp table (256 bytes), quantize's four float32 parameters, then the max poolings' tail buffers. */
let scratchAt = 0;
const PARAMS = 256,
  TAILS = 272;

/** The scratch block's address (0: the heap is full). */
function scratch(): number {
  if (!scratchAt) scratchAt = heapAlloc(TAILS + 16 * MAX_TAILS, true) ?? 0;
  return scratchAt;
}

/**
 * Runs the quantized module's kernel `name` over `units` units (`work` elements in all), split in
 * ranges across the pool with more than one thread: `args(u0, count, chunk)` lists the calls'
 * arguments for a range (the same number of calls for each), chunk −1 for the whole range on
 * this thread.
 */
function split(
  k: Module,
  name: 'lookUp' | 'quantizeAt' | 'maxPool2x2' | 'maxPool2x2U',
  units: number,
  work: number,
  args: (u0: number, count: number, chunk: number) => number[][],
): void {
  const pool = heapPool();
  if (!pool || units < 2 || chunkCount(work, pool.size) < 2) {
    for (const a of args(0, units, -1)) k[name](...a);
    return;
  }
  const fn = heapFn(7, name),
    starts = chunkStarts(units, pool.size, Math.ceil(units / (MAX_TAILS / 2))),
    calls: number[][] = [];
  let rows = 1;
  for (let c = 0; c + 1 < starts.length; c++) {
    const list = args(starts[c], starts[c + 1] - starts[c], c);
    rows = list.length;
    for (const a of list) calls.push([fn, ...a]);
  }
  runCalls(pool, calls, rows);
}

/** The quantized kernels and the scratch block when x and out lie in the heap and out's block has `past` bytes after its n bytes (a last 16-byte store). */
function inPlace(x: View, out: Storage, n: number, past: number): { k: Module; xAt: number; oAt: number; s: number } | null {
  const xAt = heapAddress(x),
    oAt = heapAddress(out);
  const mem = heapMemory();
  if (xAt < 0 || oAt < 0 || !mem || n < MIN_BYTES || blockSize(n) - n < past) return null;
  const k = quantizedKernelsOn(mem);
  const s = k ? scratch() : 0;
  return k && s ? { k, xAt, oAt, s } : null;
}

/** out[i] = table[x[i]] for the n bytes of x and out when both lie in the heap; false: nothing was done. */
export function heapLookUp(x: View, table: Uint8Array, out: Storage, n: number): boolean {
  const h = inPlace(x, out, n, 0);
  if (!h) return false;
  new Uint8Array(h.k.mem.buffer, h.s, 256).set(table);
  split(h.k, 'lookUp', n, n, (i, len) => [[h.xAt + i, h.oAt + i, len, h.s]]);
  return true;
}

/**
 * quantize's SIMD kernel on the n contiguous floats of x into out where they lie in the heap,
 * split across the pool in runs of whole 16-value groups (no two threads store to one byte);
 * false: nothing was done.
 */
export function heapQuantize(x: View, out: Storage, n: number, inv: number, zp: number, qmin: number, qmax: number): boolean {
  const n16 = Math.ceil(n / 16);
  const h = inPlace(x, out, n, 16 * n16 - n);
  if (!h) return false;
  new Float32Array(h.k.mem.buffer, h.s + PARAMS, 4).set([inv, zp, qmin, qmax]);
  const unsigned = out.dtype === 'uint8' ? 1 : 0;
  split(h.k, 'quantizeAt', n16, n, (g, len) => [[unsigned, len, h.xAt + 64 * g, h.oAt + 16 * g, h.s + PARAMS]]);
  return true;
}

/**
 * 2×2 stride-2 max pooling of `planes` h×w int8/uint8 planes into ho×wo ones where they lie in the
 * heap, split across the pool by runs of planes (the stores of a run's last planes checked, those
 * that would reach past the run through its own tail buffer: no thread writes into another's
 * planes); false: nothing was done.
 */
export function heapMaxPool2x2(x: View, out: Storage, planes: number, h: number, w: number, ho: number, wo: number): boolean {
  const g16 = Math.ceil(wo / 16);
  const back = 16 * g16 - wo;
  const p = inPlace(x, out, planes * ho * wo, back);
  if (!p) return false;
  // a run's last m planes through its tail buffer: those whose stores can reach past the run (back > j·ho·wo for the j-th from the end)
  const m = 1 + Math.floor((back - 1) / (ho * wo));
  const call = (i: number, n: number, tail: number) => [p.xAt + i * h * w, p.oAt + i * ho * wo, n, h, w, ho, g16, back, tail];
  split(p.k, out.dtype === 'uint8' ? 'maxPool2x2U' : 'maxPool2x2', planes, planes * h * w, (i, n, c) => {
    const plain = c < 0 ? n : n - Math.min(n, m);
    return c < 0 ? [call(i, n, 0)] : [call(i, plain, 0), call(i + plain, n - plain, p.s + TAILS + 16 * c)];
  });
  return true;
}

/** A kept heap block for {@link heapRequantize}: its four float32 scalars, then `zeros` float32 zeros (a missing bias). */
let requantScratch = { at: 0, zeros: 0 };

/**
 * requantize's 'dequantize' (`scalars` zp, qmin, qmax, scale) or 'float' (`scalars` xs) pass
 * without affine weights, acc [m, n] (n a multiple of 4) → out, when acc, out and the per-column
 * constants (contiguous views) lie in the heap: the quantized module's requant / requantF straight
 * from acc's block into out's on this thread, no copy in or out. Not split across the pool: the
 * products were just written here (the gemm's last copy), and a worker reading half of them from
 * this core's cache made the pass slower on 2 threads (64×1024: ~62 µs split, ~48 µs here). The same kernels as the streamed pass (./wasm/quantized.ts), so the same bits.
 * False: nothing was done.
 */
export function heapRequantize(acc: View, m: number, n: number, col: View, mult: View, bias: View | null, out: Storage, scalars: number[]): boolean {
  if (n % 4 !== 0) return false;
  const h = inPlace(acc, out, m * n, 0);
  if (!h) return false;
  const colAt = heapAddress(col),
    multAt = heapAddress(mult);
  let biasAt = bias ? heapAddress(bias) : 0;
  if (colAt < 0 || multAt < 0 || biasAt < 0) return false;
  settlePool(); // a job left running may still use the memory read and written here
  if (requantScratch.zeros < n) {
    const zeros = Math.max(n, 2 * requantScratch.zeros);
    const at = heapAlloc(16 + 4 * zeros, true);
    if (at === null) return false;
    if (requantScratch.at) heapFree(requantScratch.at, 16 + 4 * requantScratch.zeros);
    new Float32Array(h.k.mem.buffer, at + 16, zeros).fill(0); // (a reused block holds old values)
    requantScratch = { at, zeros };
  }
  const params = requantScratch.at;
  if (!bias) biasAt = params + 16;
  new Float32Array(h.k.mem.buffer, params, 4).set(scalars);
  const float = scalars.length === 1 ? 1 : 0;
  h.k.requantAt(float, m, n, colAt, biasAt, multAt, h.xAt, h.oAt, params);
  return true;
}
