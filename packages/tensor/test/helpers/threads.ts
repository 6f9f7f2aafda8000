import { expect } from 'vitest';
import { warmGemmThreads } from '../../src/backend/cpu/matmul';
import { setCpuThreads, workerChunks } from '../../src/backend/cpu/threads';

type Bits = { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
const bytes = (x: Bits) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/**
 * Runs `f` until a worker thread has taken at least one chunk of its jobs (at most `tries` runs)
 * and returns the first run's result; every run must give the same bytes. The calling thread
 * claims chunks too, so on a loaded machine it can finish a job alone before a worker wakes: one
 * run is no proof either way, and a test that asserts the workers took part needs this.
 */
export function untilWorkersHelp<T extends Bits>(f: () => T, tries = 20): T {
  const before = workerChunks();
  const first = f();
  for (let i = 1; i < tries && workerChunks() === before; i++) {
    const again = f();
    expect(Buffer.compare(bytes(again), bytes(first)), `run ${i + 1} differs from the first`).toBe(0);
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
