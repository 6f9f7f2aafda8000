/**
 * Byte passes of int8 inference run in place on tensors in the CPU heap (./heap.ts) by the
 * quantized module's kernels (./wasm/quantized.ts), split by ranges across the worker pool with
 * more than one thread: nothing is copied in or out, and every byte is computed as one thread would.
 */
import type { Storage, View } from '../backend';
import { blockSize, heapAlloc, heapMemory } from './heap';
import { heapAddress } from './storage';
import { chunkCount, heapFn, heapPool, runCalls } from './wasm/heap-pool';
import { type Module, quantizedKernelsOn } from './wasm/quantized';

/** Below this many bytes the JS loops are as fast. */
const MIN_BYTES = 1024;
/** Most chunks of a threaded max pooling (one 16-byte tail buffer each). */
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

/** out[i] = table[x[i]] for the n bytes of x and out when both lie in the heap; false: nothing was done. */
export function heapLookUp(x: View, table: Uint8Array, out: Storage, n: number): boolean {
  const xAt = heapAddress(x),
    oAt = heapAddress(out);
  const mem = heapMemory();
  const k = xAt >= 0 && oAt >= 0 && mem && n >= MIN_BYTES ? quantizedKernelsOn(mem) : null;
  const tableAt = k ? scratch() : 0;
  if (!k || !mem || !tableAt) return false;
  new Uint8Array(mem.buffer, tableAt, 256).set(table);
  const pool = heapPool();
  const chunks = pool ? chunkCount(n, pool.size) : 1;
  if (!pool || chunks === 1) {
    k.lookUp(xAt, oAt, n, tableAt);
    return true;
  }
  const fn = heapFn(7, 'lookUp');
  const per = Math.ceil(n / chunks);
  const calls: number[][] = [];
  for (let i = 0; i < n; i += per) calls.push([fn, xAt + i, oAt + i, Math.min(per, n - i), tableAt]);
  runCalls(pool, calls, 1);
  return true;
}

/** The quantized kernels over the heap when x and out lie there and out's block has `past` bytes after its n bytes (a last 16-byte store). */
function inPlace(x: View, out: Storage, n: number, past: number): { k: Module; xAt: number; oAt: number } | null {
  const xAt = heapAddress(x),
    oAt = heapAddress(out);
  const mem = heapMemory();
  if (xAt < 0 || oAt < 0 || !mem || n < MIN_BYTES || blockSize(n) - n < past) return null;
  const k = quantizedKernelsOn(mem);
  return k && { k, xAt, oAt };
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
  const unsigned = out.dtype === 'uint8';
  const pool = heapPool();
  const chunks = pool ? chunkCount(n, pool.size) : 1;
  const s = chunks > 1 ? scratch() : 0;
  if (!pool || !s) {
    (unsigned ? h.k.quantizeU8 : h.k.quantize)(n16, h.xAt, h.oAt, inv, zp, qmin, qmax);
    return true;
  }
  new Float32Array(h.k.mem.buffer, s + PARAMS, 4).set([inv, zp, qmin, qmax]);
  const fn = heapFn(7, 'quantizeAt');
  const per = Math.ceil(n16 / chunks);
  const calls: number[][] = [];
  for (let g = 0; g < n16; g += per) calls.push([fn, unsigned ? 1 : 0, Math.min(per, n16 - g), h.xAt + 64 * g, h.oAt + 16 * g, s + PARAMS]);
  runCalls(pool, calls, 1);
  return true;
}

/**
 * 2×2 stride-2 max pooling of `planes` h×w int8/uint8 planes into ho×wo ones where they lie in the
 * heap, split across the pool by runs of planes (the stores of a run's last planes checked, those
 * that would reach past the run through its own tail buffer:
 * no thread writes into another's planes); false: nothing was done.
 */
export function heapMaxPool2x2(x: View, out: Storage, planes: number, h: number, w: number, ho: number, wo: number): boolean {
  const g16 = Math.ceil(wo / 16);
  const back = 16 * g16 - wo;
  const p = inPlace(x, out, planes * ho * wo, back);
  if (!p) return false;
  const name = out.dtype === 'uint8' ? 'maxPool2x2U' : 'maxPool2x2';
  const pool = heapPool();
  const chunks = pool ? Math.min(planes, MAX_TAILS, chunkCount(planes * h * w, pool.size)) : 1;
  const s = chunks > 1 ? scratch() : 0;
  if (!pool || !s) {
    p.k[name](p.xAt, p.oAt, planes, h, w, ho, g16, back, 0);
    return true;
  }
  const fn = heapFn(7, name);
  const per = Math.ceil(planes / chunks);
  // a run's last m planes through its tail buffer: those whose stores can reach past the run (back > j·ho·wo for the j-th from the end)
  const m = 1 + Math.floor((back - 1) / (ho * wo));
  const calls: number[][] = [];
  for (let i = 0, c = 0; i < planes; i += per, c++) {
    const n = Math.min(per, planes - i),
      tail = Math.min(n, m),
      plain = n - tail;
    calls.push([fn, p.xAt + i * h * w, p.oAt + i * ho * wo, plain, h, w, ho, g16, back, 0]);
    calls.push([fn, p.xAt + (i + plain) * h * w, p.oAt + (i + plain) * ho * wo, tail, h, w, ho, g16, back, s + TAILS + 16 * c]);
  }
  runCalls(pool, calls, 2);
  return true;
}
