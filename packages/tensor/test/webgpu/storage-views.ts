import { expect } from 'vitest';
import type { Storage, View } from '../../src/backend/backend';
import type { CpuBackend } from '../../src/backend/cpu';
import type { WebGpuBackend } from '../../src/backend/webgpu';
import { allocArray, type DType, type TypedArray } from '../../src/dtype';

// Random strided views on storages held by both the CPU and the WebGPU backend, for the runtime's
// fill/copy tests (test/webgpu/runtime.test.ts) and their full sweep (test/kernels/copy.test.ts).

/** Deterministic generator (an LCG). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
export const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** Host values of `dtype`: floats with fractions, negatives and values past 8 bits. */
export function hostValues(dtype: DType, n: number, r: () => number): TypedArray {
  const a = allocArray(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = (r() - 0.5) * 700;
    a[i] = dtype === 'bool' ? (r() < 0.5 ? 1 : 0) : dtype === 'float32' ? v : Math.trunc(v);
  }
  return a;
}

/** The same storage, filled with the same data, on the CPU and on the GPU. */
export function pairOn(cpu: CpuBackend, gpu: WebGpuBackend, dtype: DType, data: TypedArray): { c: Storage; g: Storage } {
  const c = cpu.alloc(dtype, data.length);
  const g = gpu.alloc(dtype, data.length);
  cpu.write(c, data);
  gpu.write(g, data);
  return { c, g };
}

export const on = (storage: Storage, v: Omit<View, 'storage'>): View => ({ storage, ...v });
export const whole = (s: Storage): View => ({ storage: s, shape: [s.size], strides: [1], offset: 0 });

/** A random view that may overlap itself (stride 0 broadcasts, gaps, permuted dims). */
export function sourceView(r: () => number, shape: number[]): { strides: number[]; offset: number; size: number } {
  const strides = shape.map(() => (r() < 0.2 ? 0 : int(r, 1, 9)));
  const offset = int(r, 0, 5);
  const size = offset + shape.reduce((s, d, i) => s + Math.max(d - 1, 0) * strides[i], 0) + int(r, 1, 4);
  return { strides, offset, size };
}

/** A random non-overlapping view: a permuted, padded row-major layout. */
export function targetView(r: () => number, shape: number[]): { strides: number[]; offset: number; size: number } {
  const padded = shape.map((d) => d + int(r, 0, 2));
  const order = shape.map((_, i) => i).sort(() => r() - 0.5);
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let k = order.length - 1; k >= 0; k--) {
    strides[order[k]] = step;
    step *= padded[order[k]];
  }
  const offset = int(r, 0, 5);
  return { strides, offset, size: offset + step + int(r, 0, 3) };
}

export function randomShape(r: () => number): number[] {
  const rank = int(r, 0, 5);
  return Array.from({ length: rank }, () => (r() < 0.05 ? 0 : int(r, 1, 7)));
}

/** The CPU storage `c` and the GPU storage `g` hold the same bits. */
export async function expectSameStorageOn(cpu: CpuBackend, gpu: WebGpuBackend, c: Storage, g: Storage, what: string): Promise<void> {
  const want = cpu.readSync(whole(c));
  const got = await gpu.read(whole(g));
  expect(got.constructor, what).toBe(want.constructor);
  expect(Array.from(got), what).toEqual(Array.from(want));
}
