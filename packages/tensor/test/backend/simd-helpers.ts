import { expect } from 'vitest';
import type { View } from '../../src/backend/backend';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import { setSimdPath } from '../../src/backend/cpu/wasm/simd-driver';
import type { DType, TypedArray } from '../../src/dtype';

// Shared by the cpu-simd*.test.ts files: seeded inputs, raw CPU views, and running a backend call
// on the SIMD or the JS path.

/** Seeded LCG → uniform floats in [lo, hi). */
export function rand(n: number, seed: number, lo = -3, hi = 3): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 4294967296;
  });
}
export function storage(data: TypedArray, dtype: DType = 'float32'): CpuStorage {
  return { device: 'cpu', dtype, size: data.length, bytes: data.byteLength, refs: 1, data };
}
export function contiguous(shape: readonly number[]): number[] {
  const st: number[] = [];
  for (let i = shape.length - 1, s = 1; i >= 0; s *= shape[i], i--) st[i] = s;
  return st;
}
export function view(data: TypedArray, shape: number[], strides = contiguous(shape), offset = 0, dtype: DType = 'float32'): View {
  return { storage: storage(data, dtype), shape, strides, offset };
}
export const numel = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** Runs `body` with the SIMD kernels forced on ('wasm') or off ('js'). */
export function on<T>(path: 'js' | 'wasm', body: () => T): T {
  expect(setSimdPath(path)).toBe(true);
  try {
    return body();
  } finally {
    setSimdPath('auto');
  }
}

/** Index of the first element where a and b differ (NaN equals NaN, +0 ≠ −0), or −1. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] !== a[i] && b[i] !== b[i])) return i;
  return -1;
}
