import { describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../../src/backend/webgpu';
import type { Runtime } from '../../src/backend/webgpu/runtime';
import { fromArray } from '../../src/creation';
import { backendOf } from '../../src/device';
import { type DeviceName, memory, noGrad, scope, type Tensor } from '../../src/index';
import { DEVICES, expectClose, randomValues } from '../helpers';

/**
 * Device-level training requirements of the WebGPU backend, with tensor ops only (matmul, add,
 * relu, sub, pow, mean, backward, and an SGD update with assign under noGrad):
 * (a) a whole training step is recorded into one submission, made by the single loss read;
 * (b) memory() and the buffer pool are flat over 1,000 steps after a warm-up;
 * (c) ten steps on the GPU match ten steps on the CPU.
 */

const suite = describe.skipIf(!DEVICES.includes('webgpu'));

/** Two-layer perceptron 4 → 8 → 1 on a fixed batch of 16: tiny, so a software adapter is quick. */
interface Mlp {
  params: Tensor[];
  x: Tensor;
  y: Tensor;
}

function makeMlp(device: DeviceName): Mlp {
  const leaf = (shape: number[], seed: number, scale: number) =>
    fromArray(
      randomValues(
        shape.reduce((a, b) => a * b, 1),
        seed,
        -scale,
        scale,
      ),
      shape,
      { device, requiresGrad: true },
    );
  return {
    params: [leaf([4, 8], 1, 0.5), leaf([8], 2, 0.1), leaf([8, 1], 3, 0.5), leaf([1], 4, 0.1)],
    x: fromArray(randomValues(64, 5), [16, 4], { device }),
    y: fromArray(randomValues(16, 6), [16, 1], { device }),
  };
}

function disposeMlp(m: Mlp): void {
  for (const t of [...m.params, m.x, m.y]) t.dispose();
}

const LR = 0.1;

/**
 * One step: forward, mse loss, backward, SGD p ← p − lr·∇p (in place, outside autograd), gradients
 * cleared. Every temporary dies with the scope; the returned loss is the caller's to read and free.
 */
function trainStep(m: Mlp): Tensor {
  return scope(() => {
    const [w1, b1, w2, b2] = m.params;
    const loss = m.x.matmul(w1).add(b1).relu().matmul(w2).add(b2).sub(m.y).pow(2).mean();
    loss.backward();
    noGrad(() => {
      for (const p of m.params) {
        const g = p.grad as Tensor;
        p.assign(p.sub(g.mul(LR)));
        g.dispose();
        p.grad = null;
      }
    });
    return loss;
  });
}

const runtime = (): Runtime => (backendOf('webgpu') as WebGpuBackend).runtime;

suite('webgpu training: a small MLP with SGD', () => {
  it('(a) forward + backward + update is one submission, made by the single loss read', async () => {
    const m = makeMlp('webgpu');
    for (let warm = 0; warm < 2; warm++) {
      const loss = trainStep(m);
      await loss.item();
      loss.dispose();
    }
    const rt = runtime();
    for (let i = 0; i < 3; i++) {
      const before = rt.stats();
      const loss = trainStep(m);
      expect(rt.stats().submits, 'recording a step submits nothing').toBe(before.submits);
      expect(rt.stats().dispatches).toBeGreaterThan(before.dispatches);
      expect(Number.isFinite(await loss.item())).toBe(true);
      expect(rt.stats().submits - before.submits, 'submissions per step').toBe(1);
      expect(rt.stats().pending).toBe(0);
      loss.dispose();
    }
    disposeMlp(m);
  });

  it('(b) memory() and the buffer pool stay flat across 1,000 steps after a warm-up', { timeout: 120_000 }, async () => {
    const m = makeMlp('webgpu');
    const rt = runtime();
    for (let i = 0; i < 20; i++) {
      const loss = trainStep(m);
      if (i % 10 === 9) await loss.item();
      loss.dispose();
    }
    const mem = memory().devices.webgpu;
    const pool = rt.stats().buffers;
    const losses: number[] = [];
    for (let i = 1; i <= 1000; i++) {
      const loss = trainStep(m);
      const read = i % 100 === 0 ? await loss.item() : null;
      loss.dispose();
      if (read !== null) {
        losses.push(read);
        expect(memory().devices.webgpu, `memory() after step ${i}`).toEqual(mem);
        const now = rt.stats().buffers;
        expect({ live: now.live, pooled: now.pooled, liveBytes: now.liveBytes, pooledBytes: now.pooledBytes }, `buffers after step ${i}`).toEqual({
          live: pool.live,
          pooled: pool.pooled,
          liveBytes: pool.liveBytes,
          pooledBytes: pool.pooledBytes,
        });
      }
    }
    expect(rt.stats().buffers.created, 'no buffer created after the warm-up').toBe(pool.created);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)).toBeLessThan(losses[0]); // it trains
    disposeMlp(m);
  });

  it('(c) ten steps on WebGPU match ten steps on the CPU within 1e-4', async () => {
    const run = async (device: DeviceName) => {
      const m = makeMlp(device);
      const losses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const loss = trainStep(m);
        losses.push(await loss.item());
        loss.dispose();
      }
      const params = await Promise.all(m.params.map((p) => p.toArray()));
      disposeMlp(m);
      return { losses, params };
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expectClose(gpu.losses, cpu.losses, { rtol: 1e-4, atol: 1e-4 });
    gpu.params.forEach((p, k) => {
      expectClose(p, cpu.params[k], { rtol: 1e-4, atol: 1e-4 });
    });
    expect(cpu.losses[9]).toBeLessThan(cpu.losses[0]);
  });
});
