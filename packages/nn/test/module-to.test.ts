import { Adam } from '@aimodel/optim';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, DeviceError, Linear, memory, Module, mseLoss, noGrad, Parameter, ReLU, scope, Sequential, Tensor, tensor } from '../src/index';
import { hasWebGpu } from './webgpu-available';

const webgpu = await hasWebGpu();

function live() {
  const m = memory();
  return { cpu: [m.devices.cpu.tensors, m.devices.cpu.bytes], webgpu: [m.devices.webgpu.tensors, m.devices.webgpu.bytes] };
}

/** A 4×4 input batch and its 4×2 regression targets, on WebGPU. */
function batchOnWebGpu(): { x: Tensor; y: Tensor } {
  const x = tensor(
    [
      [1, 2, 3, 4],
      [-1, 0, 1, 2],
      [0.5, -0.5, 2, -2],
      [3, 1, -1, 0],
    ],
    { device: 'webgpu' },
  );
  const y = tensor(
    [
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 0],
    ],
    { device: 'webgpu' },
  );
  return { x, y };
}

/** Two fields sharing one Parameter (tied weights), plus a buffer. */
class Tied extends Module {
  encoder = new Linear(3, 3, { bias: false });
  decoder = new Linear(3, 3, { bias: false });
  scale = tensor([2, 2, 2]);
  constructor() {
    super();
    this.decoder.weight.dispose();
    this.decoder.weight = this.encoder.weight;
  }
  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.encoder.forward(x)).mul(this.scale);
  }
}

describe.skipIf(!webgpu)('Module.to between the CPU and WebGPU', () => {
  it('keeps the same Parameter objects: an Adam created before the move trains on WebGPU and back on the CPU', async () => {
    const before = live();
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
    const params = model.parameters();
    const opt = new Adam(params, { lr: 0.05 });
    await model.to('webgpu');
    expect(model.parameters()).toEqual(params);
    model.parameters().forEach((p, i) => expect(p).toBe(params[i]));
    expect(params.every((p) => p.device === 'webgpu' && !p.isDisposed && p.requiresGrad && p.grad === null)).toBe(true);
    expect(live().cpu).toEqual(before.cpu); // the CPU copies are freed
    expect(live().webgpu[0]).toBe(before.webgpu[0] + 4);

    const { x, y } = batchOnWebGpu();
    const losses: number[] = [];
    for (let step = 0; step < 10; step++) {
      opt.zeroGrad();
      const loss = scope(() => mseLoss(model.forward(x), y));
      loss.backward();
      opt.step();
      losses.push(await loss.item());
      loss.dispose();
    }
    expect(losses[9]).toBeLessThan(losses[0] * 0.7);
    expect(params.every((p) => p.grad?.device === 'webgpu')).toBe(true);

    // back to the CPU: same objects again, gradients moved with them; the optimizer's state
    // (moments on WebGPU) belongs to the old device, so a fresh optimizer continues on the CPU
    const grads = params.map((p) => p.grad!);
    const want = Array.from(await grads[0].data());
    await model.to('cpu');
    model.parameters().forEach((p, i) => expect(p).toBe(params[i]));
    params.forEach((p, i) => {
      expect(p.device).toBe('cpu');
      expect(p.grad).toBe(grads[i]);
      expect(p.grad!.device).toBe('cpu');
    });
    Array.from(grads[0].dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    const xc = await x.toDevice('cpu');
    const yc = await y.toDevice('cpu');
    const cpuLoss = scope(() => mseLoss(model.forward(xc), yc));
    expect(await cpuLoss.item()).toBeCloseTo(losses[9], 1);
    // the optimizer's moments stayed on WebGPU: stepping it now is a typed error, not a silent no-op
    expect(() => opt.step()).toThrow(DeviceError);
    expect(params[0].device).toBe('cpu');

    for (const st of opt.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    for (const t of [x, y, xc, yc, cpuLoss]) t.dispose();
    model.dispose();
    expect(live()).toEqual(before);
  });

  it('trains on WebGPU, then await model.to("cpu") gives the same outputs on the CPU', async () => {
    const before = live();
    const model = new Sequential(new Linear(4, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 2));
    expect(await model.to('webgpu')).toBe(model);
    expect(model.parameters().every((p) => p.device === 'webgpu' && p instanceof Parameter && p.requiresGrad)).toBe(true);
    expect(model.namedBuffers().every(([, b]) => b.device === 'webgpu')).toBe(true);
    const { x, y } = batchOnWebGpu();
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      const loss = scope(() => mseLoss(model.forward(x), y));
      loss.backward();
      losses.push(await loss.item());
      noGrad(() => {
        for (const p of model.parameters()) scope(() => p.assign(p.sub(p.grad!.mul(0.1))));
      });
      model.zeroGrad();
      loss.dispose();
    }
    expect(losses[4]).toBeLessThan(losses[0]);
    model.eval(); // running statistics (buffers trained on the GPU) take part
    const onGpu = scope(() => model.forward(x));
    const want = Array.from(await onGpu.data(), Number);

    const params = model.parameters();
    const buffers = model.namedBuffers().map(([, b]) => b);
    expect(await model.to('cpu')).toBe(model);
    expect(model.parameters()).toEqual(params); // moved in place: the same objects
    expect(model.namedBuffers().every(([, b], i) => b === buffers[i])).toBe(true);
    expect(model.parameters().every((p) => p.device === 'cpu' && p instanceof Parameter && p.requiresGrad && p.grad === null)).toBe(true);
    expect(model.namedBuffers().map(([k, b]) => [k, b.device])).toEqual([
      ['1.running_mean', 'cpu'],
      ['1.running_var', 'cpu'],
      ['1.num_batches_tracked', 'cpu'],
    ]);
    const xc = await x.toDevice('cpu');
    const onCpu = scope(() => model.forward(xc));
    Array.from(onCpu.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));

    for (const t of [x, y, onGpu, xc, onCpu]) t.dispose();
    model.dispose();
    expect(live()).toEqual(before);
  });

  it('keeps tied weights tied, and leaves the module unchanged when a move fails', async () => {
    const before = live();
    const m = new Tied();
    await m.to('webgpu');
    expect(m.decoder.weight).toBe(m.encoder.weight);
    expect(m.parameters().length).toBe(1);
    await m.to('cpu');
    expect(m.decoder.weight).toBe(m.encoder.weight);
    expect(m.encoder.weight.device).toBe('cpu');
    expect(m.scale.device).toBe('cpu');
    const w = m.encoder.weight;
    await expect(m.to('tpu' as 'cpu')).rejects.toThrow("toDevice: unknown device 'tpu' (expected 'cpu' or 'webgpu')");
    expect(m.encoder.weight).toBe(w);
    expect(w.isDisposed).toBe(false);
    m.dispose();
    expect(live()).toEqual(before);
  });
});
