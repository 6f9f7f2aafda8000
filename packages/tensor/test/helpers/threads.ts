import { expect } from 'vitest';
import { workerChunks } from '../../src/backend/cpu/threads';

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
