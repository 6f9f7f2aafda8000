import { expect } from 'vitest';
import type { AttentionParams, Backend, Storage, View } from '../../src/backend/backend';
import type { CpuBackend } from '../../src/backend/cpu';
import type { WebGpuBackend } from '../../src/backend/webgpu';
import { attentionBackward as gpuAttentionBackward } from '../../src/backend/webgpu/kernels/attention-backward.wgsl';
import type { AttentionKernelOptions } from '../../src/backend/webgpu/kernels/attention-common.wgsl';
import { attention as gpuAttention } from '../../src/backend/webgpu/kernels/attention.wgsl';
import { randomValues } from '../helpers';
import type { Pair } from './harness';

// The fused attention kernels (forward and backward, tiled and row variants) against the CPU
// backend on hand-made views: shared by test/parity/attention.test.ts (every kernel path, few
// shader variants) and test/kernels/attention.test.ts (every baked head width and mask kind on both
// variants; `npm run test:kernels`).

export const TOL = { rtol: 2e-3, atol: 2e-4 };

export interface AttentionCase {
  batch: number[];
  L: number;
  S: number;
  E: number;
  Ev: number;
  mask?: 'bool' | 'float';
  causal?: boolean;
  transposed?: boolean;
  broadcastKv?: boolean;
}

export const whole = (s: Storage): View => ({ storage: s, shape: [s.size], strides: [1], offset: 0 });
const dense = (s: Storage, shape: number[]): View => ({
  storage: s,
  shape,
  strides: shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1)),
  offset: 0,
});

/** Operands on both backends, and `expectParity(case, seed, kernel?)` over them. */
export function attentionParity(gpu: WebGpuBackend, cpu: CpuBackend) {
  /** One operand on both backends: a view [...batch, rows, cols], optionally transposed or batch-broadcast. */
  function operand(
    batch: number[],
    rows: number,
    cols: number,
    seed: number,
    o: { transposed?: boolean; broadcast?: boolean; dtype?: 'float32' | 'bool'; lo?: number } = {},
  ): Pair {
    const { transposed = false, broadcast = false, dtype = 'float32' } = o;
    const inner = rows * cols;
    const strides = transposed ? [1, rows] : [cols, 1];
    const bStrides: number[] = [];
    let span = inner;
    for (let d = batch.length - 1; d >= 0; d--) {
      bStrides.unshift(broadcast ? 0 : span);
      if (!broadcast) span *= batch[d];
    }
    const offset = 3;
    const size = offset + span;
    const values = randomValues(size, seed, o.lo ?? -1.5, 1.5);
    const data = dtype === 'bool' ? Uint8Array.from(values, (x) => (x > -0.6 ? 1 : 0)) : Float32Array.from(values);
    const make = (be: Backend): View => {
      const s = be.alloc(dtype, size);
      be.write(s, data);
      return { storage: s, shape: [...batch, rows, cols], strides: [...bStrides, ...strides], offset };
    };
    return { c: make(cpu), g: make(gpu) };
  }

  /**
   * Forward and backward on both backends; compare out, lse, gq, gk, gv (out and lse only when
   * `backward` is false). `kernel` picks the GPU's forward and backward kernels (default: as the
   * backend would).
   */
  async function expectParity(t: AttentionCase, seed: number, kernel?: AttentionKernelOptions, backward = true): Promise<void> {
    const { batch, L, S, E, Ev } = t;
    const Z = batch.reduce((a, b) => a * b, 1);
    const q = operand(batch, L, E, seed, { transposed: t.transposed });
    const k = operand(batch, S, E, seed + 1, { broadcast: t.broadcastKv });
    const v = operand(batch, S, Ev, seed + 2, { broadcast: t.broadcastKv, transposed: t.transposed });
    const mask = t.mask ? operand(batch, L, S, seed + 3, { broadcast: true, dtype: t.mask === 'bool' ? 'bool' : 'float32' }) : null;
    const gOut = operand(batch, L, Ev, seed + 4);
    const p: AttentionParams = { scale: 1 / Math.sqrt(E), causal: t.causal ?? false };
    const results: Storage[][] = [];
    for (const [be, side] of [
      [cpu, 'c'],
      [gpu, 'g'],
    ] as const) {
      const out = be.alloc('float32', Z * L * Ev);
      const lse = be.alloc('float32', Z * L);
      if (kernel && be === gpu) gpuAttention(gpu.runtime, q.g, k.g, v.g, mask?.g ?? null, out, lse, p, kernel);
      else be.attention(q[side], k[side], v[side], mask?.[side] ?? null, out, lse, p);
      if (!backward) {
        results.push([out, lse]);
        continue;
      }
      const [gq, gk, gv] = [Z * L * E, Z * S * E, Z * S * Ev].map((n) => be.alloc('float32', n));
      const args = [
        q[side],
        k[side],
        v[side],
        mask?.[side] ?? null,
        dense(out, [...batch, L, Ev]),
        dense(lse, [...batch, L]),
        gOut[side],
        gq,
        gk,
        gv,
        p,
      ] as const;
      if (kernel && be === gpu) gpuAttentionBackward(gpu.runtime, ...args, kernel);
      else be.attentionBackward(...args);
      results.push([out, lse, gq, gk, gv]);
    }
    const names = ['out', 'lse', 'gq', 'gk', 'gv'].slice(0, results[1].length);
    for (let i = 0; i < names.length; i++) {
      const want = cpu.readSync(whole(results[0][i]));
      const got = await gpu.read(whole(results[1][i]));
      try {
        expect(got).toBeAllClose(want, TOL);
      } catch (e) {
        throw new Error(`${names[i]} differs for ${JSON.stringify(t)}: ${(e as Error).message}`);
      }
    }
    for (const s of [...results[1], q.g.storage, k.g.storage, v.g.storage, gOut.g.storage, ...(mask ? [mask.g.storage] : [])]) gpu.free(s);
  }

  /**
   * A batch of 2 under one bool mask [2, 3] broadcast over it, whose row 1 keeps no key: out is NaN
   * and lse −∞ on that row of each entry, finite elsewhere, as on the CPU. `tiled` picks the kernel.
   */
  async function expectFullyMaskedRow(tiled: boolean): Promise<void> {
    const q = operand([2], 2, 4, 1);
    const k = operand([2], 3, 4, 2);
    const v = operand([2], 3, 4, 3);
    const mask = gpu.alloc('bool', 6);
    gpu.write(mask, Uint8Array.from([1, 0, 1, 0, 0, 0]));
    const out = gpu.alloc('float32', 16);
    const lse = gpu.alloc('float32', 4);
    const m: View = { storage: mask, shape: [2, 2, 3], strides: [0, 3, 1], offset: 0 };
    gpuAttention(gpu.runtime, q.g, k.g, v.g, m, out, lse, { scale: 0.5, causal: false }, { tiled });
    const o = await gpu.read(whole(out));
    const l = await gpu.read(whole(lse));
    for (const b of [0, 1]) {
      expect(Array.from(o.slice(8 * b + 4, 8 * b + 8)).every(Number.isNaN)).toBe(true);
      expect(Array.from(o.slice(8 * b, 8 * b + 4)).every(Number.isFinite)).toBe(true);
      expect(l[2 * b + 1]).toBe(Number.NEGATIVE_INFINITY);
      expect(Number.isFinite(l[2 * b])).toBe(true);
    }
    for (const s of [mask, out, lse, q.g.storage, k.g.storage, v.g.storage]) gpu.free(s);
  }

  return { operand, expectParity, expectFullyMaskedRow };
}
