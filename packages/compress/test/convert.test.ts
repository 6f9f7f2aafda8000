import { Conv2d, crossEntropy, Flatten, init, Linear, MaxPool2d, memory, noGrad, ReLU, randn, Sequential, scope, type Tensor, tensor } from '@aimodel/nn';
import { Adam } from '@aimodel/optim';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CalibrationError,
  ConvReLU2d,
  convert,
  fuseModules,
  getDefaultQConfig,
  getDefaultQatQConfig,
  getMinMaxQConfig,
  observedLayers,
  prepare,
  prepareQat,
  QuantizedConv2d,
  QuantizedLinear,
} from '../src/index';
import { randomValues } from './quantized-reference';
import { hasWebGpu } from './webgpu-available';

const WEBGPU = await hasWebGpu();

afterAll(() => init({ device: 'cpu' }));
async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

const cnn = () =>
  new Sequential(
    new Conv2d(1, 4, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(4, 8, 3, { padding: 1 }),
    new ReLU(),
    new Flatten(),
    new Linear(8 * 4 * 4, 3),
  ).eval();

describe('convert', () => {
  it('builds each quantized layer from its observers (weight, input, output), fused ReLU included', async () => {
    const model = cnn();
    fuseModules(model, [
      ['0', '1'],
      ['3', '4'],
    ]);
    expect(model.at(0)).toBeInstanceOf(ConvReLU2d);
    prepare(model, getDefaultQConfig());
    const x = randn([8, 1, 8, 8]);
    noGrad(() => model.forward(x));
    // the parameters convert must use, read from the observers beforehand
    const expected = observedLayers(model).map((l) => ({
      weight: l.weight.qparams(),
      input: l.input.qparams(),
      output: l.output.qparams(),
      relu: l.relu,
      layer: l.layer,
    }));
    const reference = expected.map((e) => {
      const io = {
        weight: e.weight,
        input: { scale: e.input.scale as number, zeroPoint: e.input.zeroPoint as number, dtype: e.input.dtype },
        output: { scale: e.output.scale as number, zeroPoint: e.output.zeroPoint as number, dtype: e.output.dtype },
        relu: e.relu,
      };
      return e.layer instanceof Conv2d ? QuantizedConv2d.fromFloat(e.layer, io) : QuantizedLinear.fromFloat(e.layer as Linear, io);
    });
    expect(convert(model)).toBe(model);
    const [c1, c2, fc] = [model.at(0), model.at(3), model.at(6)];
    expect(c1).toBeInstanceOf(QuantizedConv2d);
    expect(c2).toBeInstanceOf(QuantizedConv2d);
    expect(fc).toBeInstanceOf(QuantizedLinear);
    expect((c1 as QuantizedConv2d).relu).toBe(true);
    expect((fc as QuantizedLinear).relu).toBe(false);
    expect((c1 as QuantizedConv2d).weightQScheme).toBe('per_channel_symmetric');
    for (const [i, m] of [c1, c2, fc].entries()) {
      expect(await values((m as QuantizedLinear).weight)).toEqual(await values(reference[i].weight));
      expect((m as QuantizedLinear).inputQParams).toEqual(reference[i].inputQParams);
      expect((m as QuantizedLinear).outputQParams).toEqual(reference[i].outputQParams);
    }
    // the converted model's forward: float in, float out, through the int8 layers
    const y = model.forward(x);
    const manual = reference[2].forward(reference[1].forward(new MaxPool2d(2).forward(reference[0].forward(x))).reshape([8, -1]));
    expect(await values(y)).toEqual(await values(manual));
    for (const m of [model, ...reference]) m.dispose();
  });

  it('misuse: uncalibrated (model left prepared), not prepared, converted twice — typed errors that say what to do', () => {
    const model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2)).eval();
    expect(() => convert(model)).toThrow(/nothing to convert: prepare the model first/);
    prepare(model, getMinMaxQConfig());
    expect(() => convert(model)).toThrow(CalibrationError);
    expect(() => convert(model)).toThrow(/run calibration data through the prepared model/);
    expect(model.at(0)).toBeInstanceOf(Linear);
    expect(observedLayers(model)).toHaveLength(2);
    noGrad(() => model.forward(randn([5, 4])));
    convert(model);
    expect(() => convert(model)).toThrow(/already converted/);
    expect(() => convert(prepare(new Linear(2, 2), getMinMaxQConfig()))).toThrow(/wrap the layer in a container/);
    model.dispose();
  });

  it('after QAT: the FakeQuantize modules give the parameters; converted outputs stay close to the fake-quantized ones', async () => {
    const model = new Sequential(new Linear(6, 8), new ReLU(), new Linear(8, 3));
    prepareQat(model, getDefaultQatQConfig());
    const x = tensor(randomValues(32 * 6, 4, -1, 1)).reshape([32, 6]);
    noGrad(() => model.forward(x)); // fake quantizers observe in training mode
    model.eval();
    const fake = await values(noGrad(() => model.forward(x)));
    convert(model);
    const real = await values(model.forward(x));
    const scale = (model.at(2) as QuantizedLinear).outputQParams.scale;
    for (let i = 0; i < fake.length; i++) expect(Math.abs(real[i] - fake[i])).toBeLessThanOrEqual(2 * scale + 1e-6);
    model.dispose();
  });

  it('a tiny trained classifier keeps its accuracy after static quantization; memory is flat', async () => {
    // three Gaussian blobs in 2-D, mapped through a fixed random lift to 16 features
    const n = 300;
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const noise = randomValues(2 * n, 8, -0.6, 0.6);
    const centers = [
      [1, 0],
      [-0.5, 0.9],
      [-0.5, -0.9],
    ];
    const points = labels.flatMap((c, i) => [centers[c][0] + noise[2 * i], centers[c][1] + noise[2 * i + 1]]);
    const lift = tensor(randomValues(2 * 16, 9, -1, 1)).reshape([2, 16]);
    const x = tensor(points).reshape([n, 2]).matmul(lift);
    const y = tensor(labels, { dtype: 'int32' });
    const model = new Sequential(new Linear(16, 32), new ReLU(), new Linear(32, 3));
    const opt = new Adam(model.parameters(), { lr: 0.02 });
    for (let step = 0; step < 60; step++) {
      scope(() => {
        const loss = crossEntropy(model.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    }
    model.eval();
    const accuracy = async (m: Sequential) => {
      const acc = scope(() => m.forward(x).argmax(1).eq(y).to('float32').mean());
      const v = await acc.item();
      acc.dispose();
      return v;
    };
    const floatAcc = await accuracy(model);
    expect(floatAcc).toBeGreaterThan(0.9);
    model.zeroGrad();
    const before = memory().tensors;
    prepare(model, getDefaultQConfig());
    noGrad(() => scope(() => void model.forward(x)));
    convert(model);
    const int8Acc = await accuracy(model);
    expect(Math.abs(int8Acc - floatAcc)).toBeLessThanOrEqual(0.02);
    model.dispose(); // the float parameters went with convert, the quantized layers and observers now
    expect(memory().tensors).toBe(before - 4);
    for (const t of [lift, x, y]) t.dispose();
  });

  it.runIf(WEBGPU)('a converted CNN moved to WebGPU gives the CPU outputs exactly', async () => {
    const model = cnn();
    fuseModules(model, [
      ['0', '1'],
      ['3', '4'],
    ]);
    prepare(model, getDefaultQConfig());
    const x = tensor(randomValues(4 * 64, 12, -1, 1)).reshape([4, 1, 8, 8]);
    noGrad(() => scope(() => void model.forward(x)));
    convert(model);
    const cpu = await values(model.forward(x));
    await model.to('webgpu');
    const gpu = model.forward(await x.toDevice('webgpu'));
    expect(gpu.device).toBe('webgpu');
    expect(await values(gpu)).toEqual(cpu);
    model.dispose();
  });
});
