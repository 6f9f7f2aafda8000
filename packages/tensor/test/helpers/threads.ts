import { afterAll, beforeAll, expect } from 'vitest';
import { heapEnabled, setHeapEnabled } from '../../src/backend/cpu/heap';
import { warmGemmThreads } from '../../src/backend/cpu/matmul';
import { resetPoolQuiet, setCpuThreads, workerChunks } from '../../src/backend/cpu/threads';
import { heapSplit } from '../../src/backend/cpu/wasm/heap-pool';
import { setSplitSettings } from '../../src/backend/cpu/wasm/gemm-driver';
import { setSimdPath } from '../../src/backend/cpu/wasm/simd-driver';
import { scope, type Tensor } from '../../src/index';

type Bits = { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
const bytes = (x: Bits) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/**
 * Runs `f` until a worker thread has taken at least one chunk of its jobs (at most `tries` runs)
 * and returns the first run's result; every run must give the same bytes. The calling thread
 * claims chunks too, so on a loaded machine it can finish a job alone before a worker wakes: one
 * run is no proof either way, and a test that asserts the workers took part needs this. Each run
 * starts with the pool waking its workers (a loaded machine's slow wakes leave them asleep up to
 * 512 ms otherwise: ThreadPool's quiet mode); if the caller still finished every run alone, a last
 * run leaves all chunks to the workers.
 */
export function untilWorkersHelp<T extends Bits>(f: () => T, tries = 20): T {
  const before = workerChunks();
  resetPoolQuiet();
  const first = f();
  for (let i = 1; i < tries && workerChunks() === before; i++) {
    resetPoolQuiet();
    const again = f();
    expect(Buffer.compare(bytes(again), bytes(first)), `run ${i + 1} differs from the first`).toBe(0);
  }
  if (workerChunks() === before) {
    // a machine so loaded that the caller always finished first: once more with every chunk left
    // to the workers (the caller only waits)
    const prev = setSplitSettings({ callerHelps: false });
    try {
      expect(Buffer.compare(bytes(f()), bytes(first)), 'the workers-only run differs from the first').toBe(0);
    } finally {
      setSplitSettings(prev);
    }
  }
  return first;
}

/** Runs `f` on one thread and on two (until a worker took part); returns both results. */
export async function oneAndTwo(f: () => Float32Array): Promise<[Float32Array, Float32Array]> {
  setCpuThreads(1);
  const one = f();
  setCpuThreads(2);
  expect(await warmGemmThreads()).toBe(true);
  return [one, untilWorkersHelp(f)];
}

/** Expects x and y to hold the same float32 bits (the first index that differs, else −1). */
export function expectSameBits(x: Float32Array, y: Float32Array): void {
  expect(y.length).toBe(x.length);
  const bx = new Uint32Array(x.buffer, x.byteOffset, x.length),
    by = new Uint32Array(y.buffer, y.byteOffset, y.length);
  let diff = -1;
  for (let i = 0; i < bx.length && diff < 0; i++) if (bx[i] !== by[i]) diff = i;
  expect(diff).toBe(-1);
}

/**
 * `f`'s result data on the JS path (`jsPath(true)` selects it, `jsPath(false)` restores the
 * default), then on one thread and on two (until a worker took part), and how many chunks the
 * workers ran in that two-thread run.
 */
export async function threePaths(
  f: () => Tensor,
  jsPath: (on: boolean) => void,
): Promise<{ js: ArrayLike<number>; one: ArrayLike<number>; two: ArrayLike<number>; worked: number }> {
  const data = () => scope(() => f().dataSync()) as ArrayLike<number> & Bits;
  jsPath(true);
  const js = data();
  jsPath(false);
  setCpuThreads(1);
  const one = data();
  setCpuThreads(2);
  expect(await warmGemmThreads()).toBe(true);
  const before = workerChunks();
  const two = untilWorkersHelp(data);
  const worked = workerChunks() - before;
  setCpuThreads(1);
  return { js, one, two, worked };
}

/**
 * For the calling file: tensors in the CPU heap and the caller leaving every chunk of a heap job to
 * the workers (so they surely run); afterwards one thread, the SIMD path and the heap as they were.
 */
export function heapWorkersOnly(): void {
  let wasOn = true;
  beforeAll(() => {
    wasOn = heapEnabled();
    setHeapEnabled(true);
    heapSplit.callerHelps = false;
  });
  afterAll(() => {
    heapSplit.callerHelps = true;
    setCpuThreads(1);
    setSimdPath('auto');
    setHeapEnabled(wasOn);
  });
}
