import { ArgumentError, DTypeError, init, memory, type Tensor, tensor } from '@aimodel/nn';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FakeQuantize,
  fakeQuantizePerChannelAffine,
  getDefaultQatQConfig,
  getDefaultQConfig,
  getMinMaxQConfig,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  PerChannelMinMaxObserver,
  prepare,
  prepareQat,
} from '../src/index';
import { Linear, Sequential } from '@aimodel/nn';
import { hasWebGpu } from './webgpu-available';

const f = Math.fround;
const WEBGPU = await hasWebGpu();
afterAll(() => init({ device: 'cpu' }));

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** x.grad's values (a call, so that TypeScript does not narrow x.grad after `x.grad = null`). */
const gradOf = (x: Tensor) => values(x.grad as Tensor);

describe('FakeQuantize', () => {
  it('observes, then fake-quantizes with the observed range (hand values), gradient straight through', async () => {
    // uint8 range narrowed to [0, 4] so the grid is visible: range [0, 2] → scale 0.5, zero point 0
    const fq = new FakeQuantize(new MovingAverageMinMaxObserver({ dtype: 'uint8', quantMin: 0, quantMax: 4 }));
    const x = tensor([0, 0.2, 0.3, 1.25, 2], { requiresGrad: true });
    const y = fq.forward(x);
    expect(await values(fq.scale)).toEqual([0.5]);
    expect(await values(fq.zeroPoint)).toEqual([0]);
    // q = round(2x): 0, 0.4→0, 0.6→1, 2.5→2 (ties to even), 4
    expect(await values(y)).toEqual([0, 0, 0.5, 1, 2]);
    y.sum().backward();
    expect(await values(x.grad as Tensor)).toEqual([1, 1, 1, 1, 1]);
  });

  it('disableObserver freezes scale and zero point; values past the range get gradient 0', async () => {
    const fq = new FakeQuantize(new MovingAverageMinMaxObserver({ dtype: 'uint8', quantMin: 0, quantMax: 4 }));
    fq.forward(tensor([0, 2]));
    fq.disableObserver();
    expect(fq.observerEnabled).toBe(false);
    const x = tensor([3, 1.1], { requiresGrad: true });
    const y = fq.forward(x);
    expect(await values(fq.scale)).toEqual([0.5]); // not moved towards 3
    expect(await values(y)).toEqual([2, 1]); // 6 → clamped to 4; 2.2 → 2
    y.sum().backward();
    expect(await values(x.grad as Tensor)).toEqual([0, 1]);
    fq.enableObserver();
    fq.forward(tensor([0, 3]));
    // moving average: max 2 + c·(3 − 2) with c = f(0.01), so the scale moves a little
    expect(await values(fq.scale)).toEqual([f(f(2 + f(f(0.01) * 1)) / 4)]);
  });

  it('disableFakeQuant returns the input itself (observation continues)', () => {
    const fq = new FakeQuantize().disableFakeQuant();
    const x = tensor([-1, 3]);
    expect(fq.forward(x)).toBe(x);
    expect(fq.calculateQParams()).toEqual({ scale: f(4 / 255), zeroPoint: 64 }); // −1/(4/255) = −63.75 → 64
  });

  it('a disabled fake-quant is the identity, forward and backward (gradient 1 past the range too)', async () => {
    const fq = new FakeQuantize(new MovingAverageMinMaxObserver({ dtype: 'uint8', quantMin: 0, quantMax: 4 }));
    fq.forward(tensor([0, 2])); // range [0, 2]: scale 0.5
    fq.disableObserver();
    const x = tensor([-1, 0.3, 3], { requiresGrad: true });
    const on = fq.forward(x);
    expect(await values(on)).toEqual([0, 0.5, 2]); // clamped below and above, 0.6 → 1
    on.sum().backward();
    expect(await gradOf(x)).toEqual([0, 1, 0]);
    x.grad = null;
    fq.disableFakeQuant();
    const off = fq.forward(x);
    expect(await values(off)).toEqual([-1, f(0.3), 3]);
    off
      .mul(tensor([2, 3, 4]))
      .sum()
      .backward();
    expect(await gradOf(x)).toEqual([2, 3, 4]); // d(Σ c·x)/dx = c everywhere
    x.grad = null;
    fq.enableFakeQuant();
    expect(await values(fq.forward(x))).toEqual([0, 0.5, 2]); // the frozen range again
  });

  it('a frozen observer keeps scale and zero point through any input; thawed, they move again', async () => {
    const fq = new FakeQuantize(); // uint8 [0, 255], moving average c = 0.01
    fq.forward(tensor([-1, 2])); // first batch: the range itself, scale 3/255, zero point 85
    fq.disableObserver();
    for (const batch of [
      [-10, 50],
      [0.1, 0.2],
    ])
      fq.forward(tensor(batch));
    expect(await values(fq.scale)).toEqual([f(3 / 255)]);
    expect(await values(fq.zeroPoint)).toEqual([85]);
    expect(fq.calculateQParams()).toEqual({ scale: f(3 / 255), zeroPoint: 85 });
    fq.enableObserver();
    fq.forward(tensor([-1, 5])); // max 2 + 0.01·(5 − 2) = 2.03, min stays −1
    const scale = f(f(f(2 + f(f(0.01) * 3)) + 1) / 255);
    expect(await values(fq.scale)).toEqual([scale]);
    expect(await values(fq.zeroPoint)).toEqual([84]); // 0 − round(−1/scale) = round(83.74…)
  });

  it('per channel: the observer’s axis and parameters, as fakeQuantizePerChannelAffine', async () => {
    const fq = new FakeQuantize(new PerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric' }));
    const w = tensor([
      [1, -0.5, 0.3],
      [0.25, 0.1, -0.07],
    ]);
    const y = fq.forward(w);
    const scales = [f(1 / 127.5), f(0.25 / 127.5)];
    expect(await values(fq.scale)).toEqual(scales);
    expect(await values(fq.zeroPoint)).toEqual([0, 0]);
    expect(await values(y)).toEqual(await values(fakeQuantizePerChannelAffine(w, scales, [0, 0], 0, -128, 127)));
    expect(fq.qparams()).toMatchObject({ axis: 0, dtype: 'int8', qscheme: 'per_channel_symmetric' });
  });

  it('state-dict keys follow PyTorch; forward and backward leak nothing', () => {
    const fq = new FakeQuantize();
    expect(Object.keys(fq.stateDict())).toEqual(['scale', 'zero_point', 'activation_post_process.min_val', 'activation_post_process.max_val']);
    const x = tensor([0.1, -0.4, 0.9], { requiresGrad: true });
    fq.forward(x).sum().backward(); // first call sizes nothing new (per tensor)
    x.grad?.dispose();
    x.grad = null;
    const before = memory().tensors;
    const y = fq.forward(x);
    const total = y.sum();
    total.backward();
    total.dispose();
    y.dispose();
    (x.grad as Tensor | null)?.dispose();
    x.grad = null;
    expect(memory().tensors).toBe(before);
    expect(() => new FakeQuantize({} as MinMaxObserver)).toThrow(ArgumentError);
  });
});

describe('QConfig presets', () => {
  it('default PTQ and QAT presets as PyTorch’s (x86/fbgemm reduce the activation range)', () => {
    const q = getDefaultQConfig();
    const act = q.activation() as HistogramObserver;
    expect(act).toBeInstanceOf(HistogramObserver);
    expect([act.dtype, act.quantMin, act.quantMax]).toEqual(['uint8', 0, 255]);
    const w = q.weight() as PerChannelMinMaxObserver;
    expect(w).toBeInstanceOf(PerChannelMinMaxObserver);
    expect([w.dtype, w.qscheme, w.chAxis]).toEqual(['int8', 'per_channel_symmetric', 0]);
    expect((getDefaultQConfig('x86').activation() as HistogramObserver).quantMax).toBe(127);
    expect(getDefaultQConfig('qnnpack').weight()).toBeInstanceOf(MinMaxObserver);
    const qat = getDefaultQatQConfig();
    const fa = qat.activation() as FakeQuantize;
    expect(fa.activationPostProcess).toBeInstanceOf(MovingAverageMinMaxObserver);
    expect((qat.weight() as FakeQuantize).activationPostProcess).toBeInstanceOf(MovingAveragePerChannelMinMaxObserver);
    expect((getMinMaxQConfig().activation() as MinMaxObserver).quantMax).toBe(127);
    expect(() => getDefaultQConfig('arm' as 'x86')).toThrow(/unknown backend "arm"/);
  });

  it('bad qconfigs are typed errors that say what to use', () => {
    const model = () => new Sequential(new Linear(2, 2));
    expect(() => prepare(model(), { activation: () => new MinMaxObserver(), weight: () => new MinMaxObserver() })).toThrow(DTypeError);
    expect(() => prepare(model(), getDefaultQatQConfig())).toThrow(/use getDefaultQConfig\(\), or prepareQat for QAT/);
    expect(() => prepareQat(model(), getDefaultQConfig())).toThrow(/use getDefaultQatQConfig\(\)/);
    expect(() => prepare(model(), { activation: () => new PerChannelMinMaxObserver(), weight: () => new PerChannelMinMaxObserver({ dtype: 'int8' }) })).toThrow(
      /activations are quantized per tensor/,
    );
  });
});

describe.runIf(WEBGPU)('FakeQuantize on WebGPU', () => {
  it('matches the CPU (per tensor and per channel), without reading back', async () => {
    const run = async (device: 'cpu' | 'webgpu') => {
      await init({ device });
      const a = new FakeQuantize(new MovingAverageMinMaxObserver({ dtype: 'uint8', quantMin: 0, quantMax: 4 }));
      const b = new FakeQuantize(new MovingAveragePerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric' }));
      const x = tensor(
        [
          [0, 0.2, 0.3, 1.25],
          [2, -1, 0.7, 0.5],
        ],
        { requiresGrad: true },
      );
      const y = a.forward(x).add(b.forward(x));
      y.sum().backward();
      return [await values(y), await values(x.grad as Tensor), await values(b.scale)];
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(gpu).toEqual(cpu);
  });
});
