import { expect } from 'vitest';
import type { Backend, NormParams, Storage, View } from '../../src/backend/backend';
import type { CpuBackend } from '../../src/backend/cpu';
import type { WebGpuBackend } from '../../src/backend/webgpu';
import { normalize, normalizeBackward } from '../../src/backend/webgpu/kernels/norm.wgsl';
import { randomValues } from '../helpers';
import type { Pair } from './harness';

// The fused normalize kernels (forward and backward) against the CPU backend on hand-made strided
// views: shared by test/parity/norm.test.ts (one row length per workgroup size and register-cache
// mode) and test/kernels/norm.test.ts (the row-length sweeps; `npm run test:kernels`).

export const TOL = { rtol: 1e-4, atol: 1e-5 };

/** One normalize problem: the shape, its layouts, affine or not, and how the GPU splits rows. */
export interface NormCase {
  /** The [...rows, ...cols] shape. */
  shape: number[];
  rowDims: number;
  /** x's strides (default contiguous) and offset. */
  xStrides?: number[];
  /** Strides of out/gx over a fresh storage (default contiguous): a permutation of a contiguous layout. */
  outStrides?: number[];
  /** Strides of weight and bias (0 on broadcast dims); absent: no affine. */
  wStrides?: number[];
  bias?: boolean;
  eps?: number;
  /** Spans per row on the GPU (default: the kernel's own choice). */
  chunks?: number;
  /** false: read x twice instead of keeping rows in registers. */
  cache?: boolean;
}

export const contiguous = (shape: number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
export const whole = (s: Storage): View => ({ storage: s, shape: [s.size], strides: [1], offset: 0 });

/**
 * `expectKernelParity(case, seed)`: forward (out, mean, variance) and backward (gx, and gy·x̂ when
 * there is a weight) on both backends; every output must agree.
 */
export function normParity(gpu: WebGpuBackend, cpu: CpuBackend) {
  /** Seeded values in a storage of `size + offset` on both backends, read through `shape`/`strides` from `offset`. */
  function operand(shape: number[], strides: number[], offset: number, seed: number, [lo, hi] = [-2, 3]): Pair {
    let span = 1;
    shape.forEach((d, i) => {
      span += (d - 1) * Math.abs(strides[i]);
    });
    const size = offset + span;
    const data = Float32Array.from(randomValues(size, seed, lo, hi));
    const make = (be: Backend): View => {
      const s = be.alloc('float32', size);
      be.write(s, data);
      return { storage: s, shape, strides, offset };
    };
    return { c: make(cpu), g: make(gpu) };
  }

  return async function expectKernelParity(t: NormCase, seed: number): Promise<void> {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const rows = t.shape.slice(0, t.rowDims).reduce((a, b) => a * b, 1);
    const p: NormParams = { rowDims: t.rowDims, eps: t.eps ?? 1e-5 };
    const x = operand(t.shape, t.xStrides ?? contiguous(t.shape), 2, seed);
    const w = t.wStrides ? operand(t.shape, t.wStrides, 1, seed + 1, [0.5, 1.5]) : null;
    const b = t.wStrides && t.bias ? operand(t.shape, t.wStrides, 0, seed + 2) : null;
    const gy = operand(t.shape, contiguous(t.shape), 0, seed + 3);
    const outStrides = t.outStrides ?? contiguous(t.shape);
    const results: Storage[][] = [];
    for (const [be, side] of [
      [cpu, 'c'],
      [gpu, 'g'],
    ] as const) {
      const out = be.alloc('float32', n);
      const mean = be.alloc('float32', rows);
      const variance = be.alloc('float32', rows);
      const o = (s: Storage): View => ({ storage: s, shape: t.shape, strides: outStrides, offset: 0 });
      const gx = be.alloc('float32', n);
      // with a weight, also gy·x̂ (its gradient per element), through the same permuted layout as gx
      const gh = w ? be.alloc('float32', n) : null;
      if (be === gpu && (t.chunks || t.cache === false)) {
        const opts = { chunks: t.chunks, cache: t.cache };
        normalize(gpu.runtime, x.g, w?.g ?? null, b?.g ?? null, o(out), mean, variance, p, opts);
        normalizeBackward(gpu.runtime, x.g, w?.g ?? null, gy.g, whole(mean), whole(variance), o(gx), gh && o(gh), p, opts);
      } else {
        be.normalize(x[side], w?.[side] ?? null, b?.[side] ?? null, o(out), mean, variance, p);
        be.normalizeBackward(x[side], w?.[side] ?? null, gy[side], whole(mean), whole(variance), o(gx), gh && o(gh), p);
      }
      results.push([out, mean, variance, gx, ...(gh ? [gh] : [])]);
    }
    const names = ['out', 'mean', 'variance', 'gx', ...(w ? ['gyXhat'] : [])];
    for (let i = 0; i < names.length; i++) {
      const want = cpu.readSync(whole(results[0][i]));
      const got = await gpu.read(whole(results[1][i]));
      try {
        expect(got).toBeAllClose(want, names[i] === 'gx' ? { rtol: 1e-3, atol: 1e-4 } : TOL);
      } catch (e) {
        throw new Error(`${names[i]} differs for ${JSON.stringify(t)}: ${(e as Error).message}`);
      }
    }
    for (const s of [...results[1], x.g.storage, gy.g.storage, ...(w ? [w.g.storage] : []), ...(b ? [b.g.storage] : [])]) gpu.free(s);
  };
}
