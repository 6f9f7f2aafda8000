import { describe, expect, it } from 'vitest';
import { Adam } from '@aimodel/optim';
import {
  Conv2d,
  crossEntropy,
  type DeviceName,
  Flatten,
  Linear,
  manualSeed,
  MaxPool2d,
  memory,
  ReLU,
  scope,
  Sequential,
  tensor,
  transfers,
} from '../src/index';
import { hasWebGpu } from './webgpu-available';

/**
 * The acceptance test of "zero hidden uploads": one training step of an MNIST-shaped CNN with Adam
 * on WebGPU, written as a manual loop (forward, loss, backward, step, zeroGrad, await loss.item()),
 * moves exactly its batch to the device (the inputs and the labels: two writes) and reads exactly
 * the loss back (one read), in steady state. Scalars reach kernels as parameters, constants (the
 * backward seed, pooling and gather gradients' zeros, Adam's state) are filled on the device.
 */

const WEBGPU = await hasWebGpu();
const BATCH = 8;

/** A fixed batch: inputs in [0, 1) and labels 0..9, from a small LCG (no tensor draws). */
function batch(seed: number): { x: Float32Array; y: Int32Array } {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return { x: Float32Array.from({ length: BATCH * 28 * 28 }, next), y: Int32Array.from({ length: BATCH }, () => Math.floor(next() * 10)) };
}

async function trainer(device: DeviceName) {
  manualSeed(0);
  const model = new Sequential(
    new Conv2d(1, 4, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(4, 8, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(8 * 7 * 7, 10),
  );
  await model.to(device);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  /** One step on host data, as a user writes it; returns the loss read back. */
  const step = async (data: { x: Float32Array; y: Int32Array }): Promise<number> => {
    const flat = tensor(data.x, { device });
    const x = flat.reshape([BATCH, 1, 28, 28]);
    const y = tensor(data.y, { device });
    const loss = scope(() => crossEntropy(model.forward(x), y));
    loss.backward();
    opt.step();
    opt.zeroGrad();
    const value = await loss.item();
    for (const t of [loss, x, flat, y]) t.dispose();
    return value;
  };
  const dispose = () => {
    for (const state of opt.state.values()) for (const v of Object.values(state)) if (typeof v === 'object' && v) (v as { dispose(): void }).dispose();
    model.dispose();
  };
  return { step, dispose };
}

describe.skipIf(!WEBGPU)('an MNIST-CNN Adam step on WebGPU', () => {
  it('uploads exactly its batch (inputs + labels) and reads back exactly once, with the CPU losses', async () => {
    const batches = [batch(1), batch(2), batch(3)];
    const gpu = await trainer('webgpu');
    const losses = [await gpu.step(batches[0])]; // warm-up: creates Adam's state, compiles the kernels
    const mem = memory().devices.webgpu;
    for (const b of batches.slice(1)) {
      const before = transfers().devices.webgpu;
      losses.push(await gpu.step(b));
      const after = transfers().devices.webgpu;
      expect({
        writes: after.writes - before.writes,
        writeBytes: after.writeBytes - before.writeBytes,
        reads: after.reads - before.reads,
        readBytes: after.readBytes - before.readBytes,
      }).toEqual({ writes: 2, writeBytes: 4 * (BATCH * 28 * 28 + BATCH), reads: 1, readBytes: 4 });
      expect(memory().devices.webgpu).toEqual(mem);
    }
    gpu.dispose();
    const cpu = await trainer('cpu');
    const cpuLosses = [];
    for (const b of batches) cpuLosses.push(await cpu.step(b));
    cpu.dispose();
    for (let i = 0; i < losses.length; i++)
      expect(Math.abs(losses[i] - cpuLosses[i]), `step ${i}: ${losses[i]} vs ${cpuLosses[i]}`).toBeLessThan(1e-4 * (1 + Math.abs(cpuLosses[i])));
    expect(losses[0]).toBeGreaterThan(1.5); // ≈ ln 10 for a fresh 10-class model
  });
});
