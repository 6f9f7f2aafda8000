import { describe, expect, it } from 'vitest';
import { Callback, type DeviceName, init, Linear, type Logs, manualSeed, memory, randn, ReLU, Sequential, type Tensor, tensor, transfers } from '../src/index';
import { hasWebGpu } from './webgpu-available';
import { TinySGD } from './tiny-sgd';

/**
 * fit on WebGPU: the same history as on the CPU, with the loss and accuracy kept on the device and
 * read back together — once per step when an onBatchEnd callback shows them, once per epoch
 * otherwise (the accuracy metric used to read predictions and targets back on every step). The
 * only upload is each epoch's order of the samples.
 */

const WEBGPU = await hasWebGpu();

/** 40 points in 3 classes, the model and its compiled config, all on `device`. */
async function setup(device: DeviceName) {
  await init({ device }); // the model's parameters are created on the default device
  manualSeed(7);
  const xs = randn([40, 2], { device: 'cpu' });
  const labels = Array.from(xs.dataSync())
    .filter((_, i) => i % 2 === 0)
    .map((v) => (v > 0.4 ? 2 : v > -0.4 ? 1 : 0));
  const x = xs.to(device);
  if (x !== xs) xs.dispose();
  const y = tensor(labels, { dtype: 'int32', device });
  const model = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 3));
  expect(model.parameters().every((p) => p.device === device)).toBe(true);
  const xent = (logits: Tensor, target: Tensor) => logits.logSoftmax(-1).gather(1, target.unsqueeze(1)).mean().neg();
  model.compile({ optimizer: new TinySGD(model.parameters(), 0.3), loss: xent, metrics: ['accuracy'] });
  return { x, y, model };
}

/** Host↔device transfers on `device` while `fn` runs. */
async function counted<T>(device: DeviceName, fn: () => Promise<T>): Promise<[T, { writes: number; writeBytes: number; reads: number; readBytes: number }]> {
  const before = transfers().devices[device];
  const result = await fn();
  const after = transfers().devices[device];
  return [
    result,
    {
      writes: after.writes - before.writes,
      writeBytes: after.writeBytes - before.writeBytes,
      reads: after.reads - before.reads,
      readBytes: after.readBytes - before.readBytes,
    },
  ];
}

describe.skipIf(!WEBGPU)('fit on WebGPU', () => {
  it('matches the CPU history and reads the loss and accuracy back once per step or once per epoch', async () => {
    await init({ device: 'webgpu' });
    try {
      const histories: Record<string, number[]>[] = [];
      for (const device of ['cpu', 'webgpu'] as const) {
        const { x, y, model } = await setup(device);
        const before = memory().devices[device];
        // per epoch: the order of the 32 training samples (int32, shared by x and y: drawn on the
        // host and uploaded on the CPU, drawn on the device on WebGPU), one read of the 4 steps'
        // loss and accuracy, one of the validation batch's
        const [h, quiet] = await counted(device, () => model.fit(x, y, { epochs: 2, batchSize: 8, seed: 3, verbose: 0, validationSplit: 0.2 }));
        const orderWrites = device === 'cpu' ? 2 : 0;
        expect(quiet, device).toEqual({ writes: orderWrites, writeBytes: orderWrites * 32 * 4, reads: 2 * 2, readBytes: 2 * (4 * 2 + 2) * 4 });
        const seen: Logs[] = [];
        class Watch extends Callback {
          override onBatchEnd(_b: number, logs: Logs) {
            seen.push(logs);
          }
        }
        const [, perStep] = await counted(device, () => model.fit(x, y, { epochs: 1, batchSize: 8, seed: 3, verbose: 0, callbacks: [new Watch()] }));
        const perEpochOrder = device === 'cpu' ? 1 : 0;
        expect(perStep, device).toEqual({ writes: perEpochOrder, writeBytes: perEpochOrder * 40 * 4, reads: 5, readBytes: 5 * 2 * 4 }); // one read per step: loss and accuracy together
        expect(seen.map((l) => Object.keys(l))).toEqual(Array(5).fill(['loss', 'accuracy']));
        for (const p of model.parameters()) {
          p.grad?.dispose();
          p.grad = null;
        }
        expect(memory().devices[device].tensors, device).toBe(before.tensors);
        histories.push(h.history);
        model.dispose();
        x.dispose();
        y.dispose();
      }
      const [cpu, gpu] = histories;
      expect(Object.keys(gpu)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
      for (const k of Object.keys(cpu)) {
        cpu[k].forEach((v, i) => expect(Math.abs(gpu[k][i] - v), `${k}[${i}]: ${gpu[k][i]} vs ${v}`).toBeLessThan(1e-5 * (1 + Math.abs(v))));
      }
      expect(gpu.accuracy.every((a) => a >= 0 && a <= 1)).toBe(true);
    } finally {
      await init({ device: 'cpu' });
    }
  });
});
