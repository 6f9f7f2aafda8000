import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend';
import { TILED_ROWS } from '../../src/backend/webgpu/kernels/attention-tiled.wgsl';
import { attention as gpuAttention } from '../../src/backend/webgpu/kernels/attention.wgsl';
import { scaledDotProductAttention as sdpa, type Tensor, tensor } from '../../src/index';
import { DEVICES } from '../helpers';
import { attentionParity, TOL, whole } from './attention-harness';
import { both as bothOn, expectSame as sameOn, kernelBackends } from './harness';

// ── the kernels against the CPU backend, on hand-made views ────────────────
const { device, gpu, cpu } = await kernelBackends();
const { operand, expectParity, expectFullyMaskedRow } = device ? attentionParity(gpu, cpu) : ({} as ReturnType<typeof attentionParity>);

// On Mesa's lavapipe each attention kernel's first dispatch JIT-compiles it through LLVM: 2–15 s of
// CPU per kernel with a cold shader cache (a new user's first run, a fresh CI machine), a few ms
// once cached. A kernel bakes in its head width class (16, 32, 64, 128), mask kind and batch rank,
// so these tests cover the kernel paths (tiled forward and backward, both mask kinds, causal,
// strided and broadcast operands, block and tile edges, the row forward kernel) with few of those
// variants: heads of ≤ 16 and 64 wide (both key-tile sizes) on the tiled kernels, batch rank 1
// except where rank is the point. test/kernels/attention.test.ts (`npm run test:kernels`) runs
// every width class, the row kernels' backward and masks.
describe.skipIf(!device)('webgpu attention kernels vs the CPU backend', () => {
  it('shapes: 1, primes, non-multiples of the 32-row blocks and key tiles, L ≠ S, E ≠ Ev', async () => {
    const shapes: [number, number, number, number][] = [
      [1, 1, 1, 1],
      [5, 7, 3, 6],
      [17, 33, 8, 8],
      [16, 16, 16, 16],
      [35, 9, 16, 5],
    ];
    let seed = 1;
    for (const [L, S, E, Ev] of shapes) await expectParity({ batch: [2], L, S, E, Ev }, seed++ * 10);
  });

  it('causal: L < S, L = S', async () => {
    await expectParity({ batch: [2], L: 19, S: 19, E: 8, Ev: 8, causal: true }, 90);
    await expectParity({ batch: [2], L: 7, S: 21, E: 8, Ev: 4, causal: true }, 95);
  });

  // a mask kind is baked into the kernels: forward first, then backward, each test compiling a
  // share of them (a cold compile of all three is about 12 s of CPU)
  it.each(['bool', 'float'] as const)('a %s mask broadcast over the batch: forward', async (mask) => {
    await expectParity({ batch: [3], L: 18, S: 10, E: 6, Ev: 5, mask }, 100, undefined, false);
  });

  it.each(['bool', 'float'] as const)('a %s mask broadcast over the batch: forward and backward', async (mask) => {
    await expectParity({ batch: [3], L: 18, S: 10, E: 6, Ev: 5, mask }, 100);
    await expectParity({ batch: [2], L: 5, S: 23, E: 12, Ev: 7, mask }, 110);
  });

  it('strided and broadcast operands: transposed q and v, k/v shared by a 2-D batch', async () => {
    await expectParity({ batch: [2, 3], L: 11, S: 17, E: 8, Ev: 12, transposed: true, broadcastKv: true }, 120);
  });

  // heads ≤ 64 wide run the tiled kernels (forward: 32-row blocks, 32-key tiles; backward: 32 owned
  // rows, 16-row streamed tiles) where the adapter grants their workgroup memory, as lavapipe
  // does; these shapes cross every block and tile edge several times
  it('tiled kernels, 64-wide heads: forward', async () => {
    expect(TILED_ROWS).toBe(32);
    await expectParity({ batch: [2], L: 70, S: 70, E: 64, Ev: 64, causal: true }, 130, undefined, false);
  });

  it('tiled kernels, 64-wide heads: several row blocks and key tiles, causal diagonals, E and Ev below the width', async () => {
    await expectParity({ batch: [2], L: 70, S: 70, E: 64, Ev: 64, causal: true }, 130);
    await expectParity({ batch: [2], L: 97, S: 45, E: 20, Ev: 33 }, 140);
  });

  it('tiled kernels, narrow heads: row blocks and key tiles with causal diagonals and masks, strided', async () => {
    await expectParity({ batch: [2], L: 33, S: 100, E: 16, Ev: 16, causal: true }, 150);
    await expectParity({ batch: [3], L: 65, S: 64, E: 8, Ev: 8, mask: 'bool' }, 160);
    await expectParity({ batch: [2], L: 40, S: 71, E: 12, Ev: 10, mask: 'float', transposed: true, broadcastKv: true }, 170);
  });

  // heads of 65–128 run the row kernels (and every width does without the tiled kernels' workgroup
  // memory). They are the costliest kernels to compile on lavapipe (7–50 s of CPU each, cold), so
  // the default run checks the row forward kernel once; their backward, masks and narrow heads
  // run in test/kernels/attention.test.ts (`npm run test:kernels`).
  it('row kernel, 128-wide heads: forward, causal with L > S', async () => {
    const [L, S, E, Ev] = [20, 13, 100, 128];
    const q = operand([1], L, E, 80);
    const k = operand([1], S, E, 81);
    const v = operand([1], S, Ev, 82);
    const outs = [gpu, cpu].map((be: Backend) => [be.alloc('float32', L * Ev), be.alloc('float32', L)]);
    const p = { scale: 0.1, causal: true };
    gpuAttention(gpu.runtime, q.g, k.g, v.g, null, outs[0][0], outs[0][1], p);
    cpu.attention(q.c, k.c, v.c, null, outs[1][0], outs[1][1], p);
    for (const i of [0, 1]) expect(await gpu.read(whole(outs[0][i]))).toBeAllClose(cpu.readSync(whole(outs[1][i])), TOL);
    for (const s of [...outs[0], q.g.storage, k.g.storage, v.g.storage]) gpu.free(s);
  });

  it('a fully masked row gives NaN out and lse −∞ on both (bool mask broadcast over the batch)', async () => {
    await expectFullyMaskedRow(true);
  });
});

// ── through the public op, webgpu vs cpu ───────────────────────────────────
const hasWebGpu = DEVICES.includes('webgpu');

const both = (shape: number[], seed: number, requiresGrad = false) => bothOn(shape, seed, requiresGrad, [-1.5, 1.5]);
const expectSame = (g: Tensor, c: Tensor) => sameOn(g, c, TOL);

describe.skipIf(!hasWebGpu)('scaledDotProductAttention on webgpu vs cpu', () => {
  it('forward: plain and causal with a broadcast batch, bool mask', async () => {
    const q = both([2, 3, 9, 8], 1);
    const k = both([3, 12, 8], 2);
    const v = both([3, 12, 5], 3);
    await expectSame(sdpa(q.g, k.g, v.g), sdpa(q.c, k.c, v.c));
    await expectSame(sdpa(q.g, q.g, q.g, { causal: true }), sdpa(q.c, q.c, q.c, { causal: true }));
    const q3 = both([3, 9, 8], 4);
    const m = Array.from({ length: 9 }, (_, i) => Array.from({ length: 12 }, (_, j) => (i + 2 * j) % 3 !== 0));
    await expectSame(sdpa(q3.g, k.g, v.g, { mask: tensor(m, { device: 'webgpu' }) }), sdpa(q3.c, k.c, v.c, { mask: tensor(m) }));
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
