import { describe, expect, it } from 'vitest';
import type { AttentionParams, Backend, Storage, View } from '../../src/backend/backend';
import type { AttentionKernelOptions } from '../../src/backend/webgpu/kernels/attention-common.wgsl';
import { TILED_ROWS } from '../../src/backend/webgpu/kernels/attention-tiled.wgsl';
import { attention as gpuAttention } from '../../src/backend/webgpu/kernels/attention.wgsl';
import { attentionBackward as gpuAttentionBackward } from '../../src/backend/webgpu/kernels/attention-backward.wgsl';
import { scaledDotProductAttention as sdpa, type Tensor, tensor } from '../../src/index';
import { DEVICES, expectClose, randomValues } from '../helpers';
import { both as bothOn, expectSame as sameOn, kernelBackends, type Pair } from './harness';

const TOL = { rtol: 2e-3, atol: 2e-4 };

// ── the kernels against the CPU backend, on hand-made views ────────────────
const { device, gpu, cpu } = await kernelBackends();

/** One operand on both backends: a view [...batch, rows, cols], optionally transposed or batch-broadcast. */
function operand(batch: number[], rows: number, cols: number, seed: number, o: { transposed?: boolean; broadcast?: boolean; dtype?: 'float32' | 'bool'; lo?: number } = {}): Pair {
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

const whole = (s: Storage): View => ({ storage: s, shape: [s.size], strides: [1], offset: 0 });
const dense = (s: Storage, shape: number[]): View => ({ storage: s, shape, strides: shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1)), offset: 0 });

interface Case {
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

/**
 * Forward and backward on both backends; compare out, lse, gq, gk, gv. `kernel` picks the GPU's
 * forward and backward kernels (default: as the backend would).
 */
async function expectParity(t: Case, seed: number, kernel?: AttentionKernelOptions): Promise<void> {
  const { batch, L, S, E, Ev } = t;
  const Z = batch.reduce((a, b) => a * b, 1);
  const q = operand(batch, L, E, seed, { transposed: t.transposed });
  const k = operand(batch, S, E, seed + 1, { broadcast: t.broadcastKv });
  const v = operand(batch, S, Ev, seed + 2, { broadcast: t.broadcastKv, transposed: t.transposed });
  const mask = t.mask ? operand(batch, L, S, seed + 3, { broadcast: true, dtype: t.mask === 'bool' ? 'bool' : 'float32' }) : null;
  const gOut = operand(batch, L, Ev, seed + 4);
  const p: AttentionParams = { scale: 1 / Math.sqrt(E), causal: t.causal ?? false };
  const results: Storage[][] = [];
  for (const [be, side] of [[cpu, 'c'], [gpu, 'g']] as const) {
    const out = be.alloc('float32', Z * L * Ev);
    const lse = be.alloc('float32', Z * L);
    if (kernel && be === gpu) gpuAttention(gpu.runtime, q.g, k.g, v.g, mask?.g ?? null, out, lse, p, kernel);
    else be.attention(q[side], k[side], v[side], mask?.[side] ?? null, out, lse, p);
    const [gq, gk, gv] = [Z * L * E, Z * S * E, Z * S * Ev].map((n) => be.alloc('float32', n));
    const args = [q[side], k[side], v[side], mask?.[side] ?? null, dense(out, [...batch, L, Ev]), dense(lse, [...batch, L]), gOut[side], gq, gk, gv, p] as const;
    if (kernel && be === gpu) gpuAttentionBackward(gpu.runtime, ...args, kernel);
    else be.attentionBackward(...args);
    results.push([out, lse, gq, gk, gv]);
  }
  const names = ['out', 'lse', 'gq', 'gk', 'gv'];
  for (let i = 0; i < names.length; i++) {
    const want = cpu.readSync(whole(results[0][i]));
    const got = await gpu.read(whole(results[1][i]));
    try {
      expectClose(got, want, TOL);
    } catch (e) {
      throw new Error(`${names[i]} differs for ${JSON.stringify(t)}: ${(e as Error).message}`);
    }
  }
  for (const s of [...results[1], q.g.storage, k.g.storage, v.g.storage, gOut.g.storage, ...(mask ? [mask.g.storage] : [])]) gpu.free(s);
}

// On Mesa's lavapipe each attention kernel's first dispatch JIT-compiles it through LLVM: 2–25 s per
// kernel on a 2-core machine with a cold shader cache (a fresh CI machine), a few ms once cached.
// These tests compile a dozen variants each, hence the long timeout.
const JIT = { timeout: 300_000 };

describe.skipIf(!(device))('webgpu attention kernels vs the CPU backend', JIT, () => {
  it('shapes: 1, primes, non-multiples of the 16-row blocks and tiles, L ≠ S, E ≠ Ev', async () => {
    const shapes: [number, number, number, number][] = [[1, 1, 1, 1], [5, 7, 3, 6], [17, 33, 8, 8], [16, 16, 16, 16], [3, 40, 20, 5], [33, 9, 64, 48]];
    let seed = 1;
    for (const [L, S, E, Ev] of shapes) await expectParity({ batch: [2], L, S, E, Ev }, seed++ * 10);
  });

  it('head widths 32, 64 and 128 (every baked D)', async () => {
    await expectParity({ batch: [1], L: 9, S: 11, E: 32, Ev: 30 }, 70);
    await expectParity({ batch: [1], L: 20, S: 13, E: 100, Ev: 128 }, 80);
  });

  it('causal, bool and float masks (broadcast over the batch)', async () => {
    await expectParity({ batch: [2], L: 19, S: 19, E: 8, Ev: 8, causal: true }, 90);
    await expectParity({ batch: [2], L: 7, S: 21, E: 8, Ev: 4, causal: true }, 95);
    await expectParity({ batch: [3], L: 18, S: 10, E: 6, Ev: 5, mask: 'bool' }, 100);
    await expectParity({ batch: [2], L: 5, S: 23, E: 12, Ev: 7, mask: 'float' }, 110);
  });

  it('strided and broadcast operands: transposed q and v, k/v shared by a 2-D batch', async () => {
    await expectParity({ batch: [2, 3], L: 11, S: 17, E: 8, Ev: 12, transposed: true, broadcastKv: true }, 120);
  });

  // heads ≤ 64 wide run the tiled kernels (forward: 32-row blocks, 32-key tiles; backward: 32 owned
  // rows, 16-row streamed tiles) where the adapter grants their workgroup memory, as lavapipe
  // does; these shapes cross every block and tile edge several times
  it('tiled kernels: several row blocks and key tiles, causal diagonals, masks, L ≠ S', async () => {
    expect(TILED_ROWS).toBe(32);
    await expectParity({ batch: [2], L: 70, S: 70, E: 64, Ev: 64, causal: true }, 130);
    await expectParity({ batch: [1], L: 97, S: 45, E: 20, Ev: 33 }, 140);
    await expectParity({ batch: [2], L: 33, S: 100, E: 16, Ev: 16, causal: true }, 150);
    await expectParity({ batch: [3], L: 65, S: 64, E: 8, Ev: 8, mask: 'bool' }, 160);
    await expectParity({ batch: [2], L: 40, S: 71, E: 48, Ev: 40, mask: 'float', transposed: true, broadcastKv: true }, 170);
  });

  it('the row kernels (heads > 64, or too little workgroup memory) on heads ≤ 64 too', async () => {
    await expectParity({ batch: [2], L: 70, S: 70, E: 64, Ev: 64, causal: true }, 130, { tiled: false });
    await expectParity({ batch: [2], L: 5, S: 23, E: 12, Ev: 7, mask: 'float' }, 110, { tiled: false });
    await expectParity({ batch: [2, 3], L: 11, S: 17, E: 8, Ev: 12, transposed: true, broadcastKv: true }, 120, { tiled: false });
  });

  it('a fully masked row gives NaN out and lse −∞ on both', async () => {
    const q = operand([], 2, 4, 1);
    const k = operand([], 3, 4, 2);
    const v = operand([], 3, 4, 3);
    const mk = (be: Backend) => {
      const s = be.alloc('bool', 6);
      be.write(s, Uint8Array.from([1, 0, 1, 0, 0, 0]));
      return { storage: s, shape: [2, 3], strides: [3, 1], offset: 0 };
    };
    for (const tiled of [true, false]) {
      const out = gpu.alloc('float32', 8);
      const lse = gpu.alloc('float32', 2);
      gpuAttention(gpu.runtime, q.g, k.g, v.g, mk(gpu), out, lse, { scale: 0.5, causal: false }, { tiled });
      const o = await gpu.read(whole(out));
      expect(Array.from(o.slice(4)).every(Number.isNaN)).toBe(true);
      expect(Array.from(o.slice(0, 4)).every(Number.isFinite)).toBe(true);
      const l = await gpu.read(whole(lse));
      expect(l[1]).toBe(Number.NEGATIVE_INFINITY);
      expect(Number.isFinite(l[0])).toBe(true);
    }
  });
});

// ── through the public op, webgpu vs cpu ───────────────────────────────────
const hasWebGpu = DEVICES.includes('webgpu');

const both = (shape: number[], seed: number, requiresGrad = false) => bothOn(shape, seed, requiresGrad, [-1.5, 1.5]);
const expectSame = (g: Tensor, c: Tensor) => sameOn(g, c, TOL);

describe.skipIf(!(hasWebGpu))('scaledDotProductAttention on webgpu vs cpu', JIT, () => {
  it('forward: plain, causal, bool mask, broadcast batch', async () => {
    const q = both([2, 3, 9, 8], 1);
    const k = both([3, 12, 8], 2);
    const v = both([3, 12, 5], 3);
    await expectSame(sdpa(q.g, k.g, v.g), sdpa(q.c, k.c, v.c));
    await expectSame(sdpa(q.g, q.g, q.g, { causal: true }), sdpa(q.c, q.c, q.c, { causal: true }));
    const m = Array.from({ length: 9 }, (_, i) => Array.from({ length: 12 }, (_, j) => (i + 2 * j) % 3 !== 0));
    await expectSame(sdpa(q.g, k.g, v.g, { mask: tensor(m, { device: 'webgpu' }) }), sdpa(q.c, k.c, v.c, { mask: tensor(m) }));
  });

  it('heads wider than the kernels take (E > 128) run the composite, with the same result', async () => {
    const q = both([3, 130], 9, true);
    const y = sdpa(q.g, q.g, q.g);
    expect(y._node?.op).not.toBe('scaledDotProductAttention');
    await expectSame(y, sdpa(q.c, q.c, q.c));
  });

  it('gradients of q, k and v match the CPU (float mask, broadcast k/v)', async () => {
    const q = both([2, 7, 6], 4, true);
    const k = both([10, 6], 5, true);
    const v = both([10, 4], 6, true);
    const gy = both([2, 7, 4], 7);
    const fm = both([7, 10], 8);
    sdpa(q.g, k.g, v.g, { mask: fm.g, scale: 0.7 }).backward(gy.g);
    sdpa(q.c, k.c, v.c, { mask: fm.c, scale: 0.7 }).backward(gy.c);
    for (const t of [q, k, v]) await expectSame(t.g.grad!, t.c.grad!);
  });
});
