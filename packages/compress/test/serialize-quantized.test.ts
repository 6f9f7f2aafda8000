import {
  ArgumentError,
  Conv2d,
  DeviceError,
  Dropout,
  DTypeError,
  Flatten,
  init,
  Linear,
  loadWeights,
  MaxPool2d,
  memory,
  ReLU,
  randn,
  saveSafetensors,
  saveWeights,
  Sequential,
  ShapeError,
  type Tensor,
  tensor,
} from '@aimodel/nn';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamicQuantizedLinear, loadQuantized, QuantizedConv2d, QuantizedLinear, quantizeDynamic, saveQuantized } from '../src/index';
import type { QParams } from '../src/index';
import { hasWebGpu } from './webgpu-available';
import { mnistCnn } from './mnist-cnn';

const WEBGPU = await hasWebGpu();
afterAll(() => init({ device: 'cpu' }));
async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Symmetric int8 weight qparams from the weight's range (per output channel or per tensor). */
async function weightQParams(w: Tensor, perChannel: boolean): Promise<QParams> {
  const v = await w.data();
  const rows = w.shape[0];
  const per = v.length / rows;
  const maxAbs = (from: number, to: number) => Math.max(1e-8, ...Array.from(v.subarray(from, to), Math.abs));
  if (!perChannel) return { scale: maxAbs(0, v.length) / 127.5, zeroPoint: 0, dtype: 'int8', qscheme: 'per_tensor_symmetric', quantMin: -128, quantMax: 127 };
  const scale = Float32Array.from({ length: rows }, (_, i) => maxAbs(i * per, (i + 1) * per) / 127.5);
  return { scale, zeroPoint: new Int32Array(rows), axis: 0, dtype: 'int8', qscheme: 'per_channel_symmetric', quantMin: -128, quantMax: 127 };
}

/** Statically quantize the CNN's three layers with fixed activation qparams (convert's output shape). */
async function quantizeCnn(model: Sequential, perChannel: boolean): Promise<Sequential> {
  const act = { scale: 0.05, zeroPoint: 10, dtype: 'uint8' } as const;
  const q = [0, 3, 8].map(async (i) => {
    const m = model.at(i) as Conv2d | Linear;
    const weight = await weightQParams(m.weight, perChannel);
    return m instanceof Conv2d
      ? QuantizedConv2d.fromFloat(m, { weight, input: act, output: act, relu: true })
      : QuantizedLinear.fromFloat(m, { weight, input: act, output: act });
  });
  const [c1, c2, fc] = await Promise.all(q);
  const layers = [c1, new ReLU(), new MaxPool2d(2), c2, new ReLU(), new MaxPool2d(2), new Flatten(), new Dropout(0.3), fc];
  return new Sequential(...layers);
}

describe('saveQuantized / loadQuantized', () => {
  for (const perChannel of [false, true]) {
    it(`a quantized MNIST CNN (${perChannel ? 'per-channel' : 'per-tensor'}) round-trips, and its file is ≤ 27% of the float one`, async () => {
      const float = mnistCnn().eval();
      const floatBytes = await saveWeights(float);
      const quantized = (await quantizeCnn(float, perChannel)).eval();
      const bytes = await saveQuantized(quantized);
      expect(bytes.length / floatBytes.length).toBeLessThanOrEqual(0.27);
      const loaded = loadQuantized(mnistCnn().eval(), bytes);
      expect(loaded.at(0)).toBeInstanceOf(QuantizedConv2d);
      expect(loaded.at(8)).toBeInstanceOf(QuantizedLinear);
      const x = randn([3, 1, 28, 28]);
      expect(await values(loaded.forward(x))).toEqual(await values(quantized.forward(x)));
      const a = loaded.at(3) as QuantizedConv2d;
      expect(a.inputQParams).toEqual(quantized.at(3) instanceof QuantizedConv2d ? (quantized.at(3) as QuantizedConv2d).inputQParams : null);
      expect(a.weightQScheme).toBe(perChannel ? 'per_channel_symmetric' : 'per_tensor_symmetric');
      for (const m of [float, quantized, loaded]) m.dispose();
    });
  }

  it('stores I8 weights, F32 scales and biases, I32 zero points, and the float layers as they are', async () => {
    const model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
    quantizeDynamic(model, { layers: [Linear] });
    model.at(2); // both replaced
    const header = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    const h = header(await saveQuantized(model));
    expect(h['0.weight'].dtype).toBe('I8');
    expect(h['0.weight_scale']).toMatchObject({ dtype: 'F32', shape: [] });
    expect(h['0.weight_zero_point']).toBeUndefined(); // symmetric: all zero points are 0, not stored
    expect(h['0.bias'].dtype).toBe('F32');
    expect(h.__metadata__.format).toBe('aimodel-quantized');
    expect(JSON.parse(h.__metadata__.layers)['2']).toEqual({ type: 'DynamicQuantizedLinear', reduceRange: true });
    // a partly quantized model: the float layer's tensors are kept
    const mixed = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
    mixed.at(0);
    const onlyFirst = quantizeDynamic(new Sequential(mixed.at(0) as Linear)) as Sequential;
    const both = new Sequential(onlyFirst.at(0), new ReLU(), mixed.at(2));
    const hb = header(await saveQuantized(both));
    expect(hb['2.weight']).toMatchObject({ dtype: 'F32', shape: [2, 3] });
    const back = loadQuantized(new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2)), await saveQuantized(both));
    expect(back.at(0)).toBeInstanceOf(DynamicQuantizedLinear);
    expect(back.at(2)).toBeInstanceOf(Linear);
    expect(await values((back.at(2) as Linear).weight)).toEqual(await values((mixed.at(2) as Linear).weight));
    for (const m of [model, both, back]) m.dispose();
  });

  it('misuse gets typed errors that say what to do; a corrupt or mismatched file loads nothing', async () => {
    const float = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
    const floatBytes = await saveWeights(float);
    expect(() => loadQuantized(new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2)), floatBytes)).toThrow(/holds float weights.*loadWeights/);
    await expect(saveQuantized(float)).rejects.toThrow(/no quantized layers: save a float model with saveWeights/);
    const quantizedBytes = await saveQuantized(quantizeDynamic(new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2))) as Sequential);
    expect(() => loadWeights(float, quantizedBytes)).toThrow(/holds a quantized model.*loadQuantized\(model, bytes\)/);
    const bytes = await saveQuantized(quantizeDynamic(new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2))) as Sequential);
    // the wrong architecture: nothing is replaced
    const other = new Sequential(new Linear(4, 5), new ReLU(), new Linear(5, 2));
    const before = other.at(0);
    expect(() => loadQuantized(other, bytes)).toThrow(ShapeError);
    expect(other.at(0)).toBe(before);
    expect(() => loadQuantized(new Sequential(new Linear(4, 3)), bytes)).toThrow(/'2' has no counterpart/);
    // truncated / garbled
    const target = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
    const first = target.at(0);
    const m0 = memory().tensors;
    expect(() => loadQuantized(target, bytes.subarray(0, bytes.length - 5))).toThrow(ArgumentError);
    const garbled = bytes.slice();
    garbled[8] = 0x5b; // '[' for '{': the JSON header no longer parses
    expect(() => loadQuantized(target, garbled)).toThrow(/not a valid safetensors file/);
    expect(target.at(0)).toBe(first);
    expect(memory().tensors).toBe(m0);
    // a tampered dtype
    const w = { '0.weight': tensor([[1, 2, 3, 4]]) };
    const wrong = await saveSafetensors(w, {
      format: 'aimodel-quantized',
      version: '1',
      layers: JSON.stringify({ '0': { type: 'DynamicQuantizedLinear', reduceRange: true } }),
    });
    expect(() => loadQuantized(new Sequential(new Linear(4, 1)), wrong)).toThrow(DTypeError);
    if (WEBGPU) {
      const gpu = await new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2)).to('webgpu');
      expect(() => loadQuantized(gpu, bytes)).toThrow(DeviceError);
      gpu.dispose();
    }
    for (const m of [float, other, target]) m.dispose();
  });
});
