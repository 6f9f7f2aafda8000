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
/** A heap block holding the table of the current call (kept). */
let tableAt = 0;

/** out[i] = table[x[i]] for the n bytes of x and out when both lie in the heap; false: nothing was done. */
export function heapLookUp(x: View, table: Uint8Array, out: Storage, n: number): boolean {
  const xAt = heapAddress(x),
    oAt = heapAddress(out);
  const mem = heapMemory();
  const k = xAt >= 0 && oAt >= 0 && mem && n >= MIN_BYTES ? quantizedKernelsOn(mem) : null;
  if (!k || !mem) return false;
  if (!tableAt) tableAt = heapAlloc(256, true) ?? 0;
  if (!tableAt) return false;
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

/** quantize's SIMD kernel on the n contiguous floats of x into out where they lie in the heap; false: nothing was done. */
export function heapQuantize(x: View, out: Storage, n: number, inv: number, zp: number, qmin: number, qmax: number): boolean {
  const n16 = Math.ceil(n / 16);
  const h = inPlace(x, out, n, 16 * n16 - n);
  if (!h) return false;
  (out.dtype === 'uint8' ? h.k.quantizeU8 : h.k.quantize)(n16, h.xAt, h.oAt, inv, zp, qmin, qmax);
  return true;
}

/** 2×2 stride-2 max pooling of `planes` h×w int8/uint8 planes into ho×wo ones where they lie in the heap; false: nothing was done. */
export function heapMaxPool2x2(x: View, out: Storage, planes: number, h: number, w: number, ho: number, wo: number): boolean {
  const g16 = Math.ceil(wo / 16);
  const p = inPlace(x, out, planes * ho * wo, 16 * g16 - wo);
  if (!p) return false;
  (out.dtype === 'uint8' ? p.k.maxPool2x2U : p.k.maxPool2x2)(p.xAt, p.oAt, planes, h, w, ho, g16, 16 * g16 - wo);
  return true;
}
