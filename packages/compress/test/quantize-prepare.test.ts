import { BatchNorm2d, Conv2d, Flatten, init, Linear, Module, manualSeed, memory, noGrad, ReLU, randn, Sequential, type Tensor, tensor } from '@aimodel/nn';
import { SGD } from '@aimodel/optim';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CalibrationError,
  disableFakeQuant,
  disableObserver,
  enableFakeQuant,
  enableObserver,
  ConvReLU2d,
  FakeQuantize,
  fuseModules,
  getDefaultQatQConfig,
  getDefaultQConfig,
  getMinMaxQConfig,
  HistogramObserver,
  MinMaxObserver,
  observedLayers,
  prepare,
  prepareQat,
} from '../src/index';
import { hasWebGpu } from './webgpu-available';

const WEBGPU = await hasWebGpu();
afterAll(() => init({ device: 'cpu' }));

const minMax = () => ({
  activation: () => new MinMaxObserver(),
  weight: () => new MinMaxObserver({ dtype: 'int8' as const, qscheme: 'per_tensor_symmetric' as const }),
});

function mlp() {
  manualSeed(3);
  return new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
}

describe('prepare', () => {
  it('observes the input and output of every Linear; the forward is unchanged', () => {
    const model = mlp().eval();
    const x = tensor([
      [1, -2, 0.5],
      [0, 3, -1],
    ]);
    const before = noGrad(() => model.forward(x)).dataSync();
    prepare(model, minMax());
    const h = noGrad(() => (model.at(0) as Linear).forward(x));
    const y = noGrad(() => model.forward(x));
    expect(Array.from(y.dataSync())).toEqual(Array.from(before));
    const layers = observedLayers(model);
    expect(layers.map((l) => [l.name, l.kind, l.relu, l.qat])).toEqual([
      ['0', 'linear', false, false],
      ['2', 'linear', false, false],
    ]);
    // input of layer 0 is x: range [−2, 3]; its output (before the unfused ReLU) is h
    const input = layers[0].input as MinMaxObserver;
    expect([input.minVal.dataSync()[0], input.maxVal.dataSync()[0]]).toEqual([-2, 3]);
    const out = layers[0].output as MinMaxObserver;
    const hv = Array.from(h.dataSync());
    expect([out.minVal.dataSync()[0], out.maxVal.dataSync()[0]]).toEqual([Math.min(...hv), Math.max(...hv)]);
    // layer 2 sees relu(h)
    expect((layers[1].input as MinMaxObserver).minVal.dataSync()[0]).toBe(Math.max(0, Math.min(...hv)));
    expect(Object.keys(model.stateDict())).toContain('0.input_observer.min_val');
    expect(Object.keys(model.stateDict())).toContain('2.activation_post_process.max_val');
  });

  it('weights get a fresh observer from the qconfig, fed the current weight (per channel by default)', () => {
    const model = prepare(mlp().eval(), getDefaultQConfig());
    model.forward(randn([8, 3]));
    const [l0] = observedLayers(model);
    expect(l0.input).toBeInstanceOf(HistogramObserver);
    const w = l0.layer.weight.dataSync();
    const q = l0.weight.qparams();
    expect(q).toMatchObject({ axis: 0, dtype: 'int8', qscheme: 'per_channel_symmetric' });
    const rowMax = [0, 1, 2, 3].map((r) => Math.max(...Array.from(w.slice(r * 3, r * 3 + 3), Math.abs)));
    expect(Array.from(q.scale as Float32Array)).toEqual(rowMax.map((m) => Math.fround(m / 127.5)));
  });

  it('fused ConvReLU2d: one layer, relu flag, output observed after the ReLU', () => {
    const model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(8, 3)).eval();
    fuseModules(model, ['0', '1', '2']);
    prepare(model, getMinMaxQConfig());
    model.forward(randn([2, 1, 4, 4]));
    const layers = observedLayers(model);
    expect(layers.map((l) => [l.name, l.kind, l.relu])).toEqual([
      ['0', 'conv2d', true],
      ['4', 'linear', false],
    ]);
    expect(layers[0].module).toBeInstanceOf(ConvReLU2d);
    expect(layers[0].layer).toBe((model.at(0) as ConvReLU2d).conv);
    expect((layers[0].output as MinMaxObserver).minVal.dataSync()[0]).toBeGreaterThanOrEqual(0);
  });

  it('a mapping chooses per part; errors say what to do', () => {
    const model = mlp().eval();
    prepare(model, { '': minMax(), '2': null });
    expect(observedLayers(model).map((l) => l.name)).toEqual(['0']);
    expect(() => prepare(model, minMax())).toThrow(/'0' is already prepared/);
    expect(() => observedLayers(prepare(mlp(), minMax()))[0].input.calculateQParams()).toThrow(CalibrationError);
    const withBn = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
    expect(() => prepare(withBn, { '1': minMax() })).toThrow(/'1' \(BatchNorm2d\) has no quantized version.*fuseModules/);
    expect(() => prepare(withBn, { nope: minMax() })).toThrow(/no submodule 'nope'/);
    expect(() => prepare(new Sequential(new ReLU()), minMax())).toThrow(/no Linear or Conv2d layer/);
    expect(() => prepare(mlp(), { activation: 1 } as never)).toThrow(/expected a QConfig/);
  });
});

describe('prepareQat', () => {
  it('fake-quantizes input, weight and output; gradients reach the float weights straight through', () => {
    const model = prepareQat(mlp());
    const [l0, l2] = observedLayers(model);
    expect(l0.qat).toBe(true);
    expect(l0.weight).toBeInstanceOf(FakeQuantize);
    expect(Object.keys(model.stateDict())).toContain('0.weight_fake_quant.scale');
    const x = randn([6, 3]);
    const y = model.forward(x);
    // the output of the last layer lies on its FakeQuantize grid: (q − zp)·scale
    const fq = l2.output as FakeQuantize;
    const scale = fq.scale.dataSync()[0];
    const zp = fq.zeroPoint.dataSync()[0];
    for (const v of y.dataSync()) expect(Math.abs(v / scale + zp - Math.round(v / scale + zp))).toBeLessThan(1e-3);
    y.pow(2).mean().backward();
    expect(l0.layer.weight.grad?.shape).toEqual([4, 3]);
    expect(Array.from(l0.layer.weight.grad?.dataSync() ?? []).some((g) => g !== 0)).toBe(true);
    expect(() => prepareQat(mlp().eval())).toThrow(/training mode/);
  });

  it('trains under fit: the loss falls, and nothing leaks per step', async () => {
    manualSeed(11);
    const model = prepareQat(new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 1)), getDefaultQatQConfig());
    const x = randn([64, 2]);
    const y = x.sum(1, true).mul(0.5);
    model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: (p: Tensor, t: Tensor) => p.sub(t).pow(2).mean() });
    const first = (await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 })).history.loss[0];
    const before = memory().tensors;
    const last = (await model.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 })).history.loss.at(-1) as number;
    expect(memory().tensors).toBe(before);
    expect(last).toBeLessThan(first * 0.5);
  });

  it('model-wide switches reach every FakeQuantize', () => {
    const model = prepareQat(mlp());
    const fqs = model.namedModules().flatMap(([, m]) => (m instanceof FakeQuantize ? [m] : []));
    expect(fqs.length).toBe(6); // input, weight and output of two layers
    disableObserver(model);
    expect(fqs.every((m) => !m.observerEnabled)).toBe(true);
    enableObserver(model);
    expect(fqs.every((m) => m.observerEnabled)).toBe(true);
    const x = randn([3, 3]);
    disableFakeQuant(model);
    const plain = noGrad(() => model.forward(x));
    expect(Array.from(plain.dataSync())).toEqual(
      Array.from(noGrad(() => (model.at(2) as Linear).forward((model.at(0) as Linear).forward(x).relu())).dataSync()),
    );
    enableFakeQuant(model);
    expect(fqs.every((m) => m.fakeQuantEnabled)).toBe(true);
    expect(() => disableObserver({} as Module)).toThrow(/expected a Module/);
  });

  it('works for a model class with camelCase fields calling forward directly', () => {
    class Net extends Module {
      hiddenLayer = new Linear(2, 3);
      outputLayer = new Linear(3, 1);
      forward(x: Tensor) {
        return this.outputLayer.forward(this.hiddenLayer.forward(x).relu());
      }
    }
    const net = prepareQat(new Net());
    net.forward(randn([4, 2]));
    expect(observedLayers(net).map((l) => l.name)).toEqual(['hidden_layer', 'output_layer']);
    expect((observedLayers(net)[0].input as FakeQuantize).activationPostProcess.calculateQParams()).toBeTruthy();
  });
});

describe.runIf(WEBGPU)('prepareQat on WebGPU', () => {
  // Sizes with no multiple of 4 (no vectorized kernel variants) and a mul/sum loss keep the number
  // of distinct kernels lavapipe compiles at first use low; the conv and linear QAT paths are two
  // tests (each compiles its own kernels; the observers' are shared), each with its weight gradient.
  const run = async (device: 'cpu' | 'webgpu', layers: () => Module[], x: () => Tensor): Promise<number[][]> => {
    await init({ device });
    manualSeed(5);
    const model = prepareQat(new Sequential(...layers()));
    manualSeed(6);
    const y = model.forward(x());
    y.mul(y).sum().backward();
    const layer = model.at(0) as Conv2d | Linear;
    expect(layer.weight.device).toBe(device);
    return [Array.from(await y.data(), Number), Array.from(await (layer.weight.grad as Tensor).data(), Number)];
  };
  const same = (cpu: number[][], gpu: number[][], outputs: number) => {
    expect(gpu[0].length).toBe(outputs);
    for (let k = 0; k < 2; k++) for (let i = 0; i < cpu[k].length; i++) expect(gpu[k][i]).toBeCloseTo(cpu[k][i], 4);
  };

  it('a QAT Conv2d + ReLU: forward and weight gradient match the CPU for the same weights and data', async () => {
    const layers = () => [new Conv2d(1, 3, 3, { padding: 1 }), new ReLU()];
    const x = () => randn([2, 1, 3, 5]);
    same(await run('cpu', layers, x), await run('webgpu', layers, x), 90);
  });

  it('a QAT Linear: forward and weight gradient match the CPU for the same weights and data', async () => {
    const layers = () => [new Linear(45, 3)];
    const x = () => randn([2, 45]);
    same(await run('cpu', layers, x), await run('webgpu', layers, x), 6);
  });
});
