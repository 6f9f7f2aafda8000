/**
 * Byte passes of int8 inference run in place on tensors in the CPU heap (./heap.ts) by the
 * quantized module's kernels (./wasm/quantized.ts), split by ranges across the worker pool with
 * more than one thread: nothing is copied in or out, and every byte is computed as one thread would.
 */
import type { Storage, View } from '../backend';
import { heapAlloc, heapMemory } from './heap';
import { heapAddress } from './storage';
import { chunkCount, heapFn, heapPool, runCalls } from './wasm/heap-pool';
import { quantizedKernelsOn } from './wasm/quantized';

/** Below this many bytes the JS loop is as fast. */
const MIN_BYTES = 4096;
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
