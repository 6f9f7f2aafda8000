// After convert, the activations between consecutive static quantized layers stay int8 (as in
// PyTorch's converted models): MaxPool2d pools the integers, Flatten and Dropout (eval) pass them,
// and the next layer requantizes from the producer's qparams to its own when they differ (a
// QuantizedConv2d does both in its epilogue for a 2×2 MaxPool2d after it and the next layer). The
// outputs must be bit for bit those of the float-between-layers path (every layer dequantizing,
// the next quantizing again), which the layers still give with the links cleared.
import { DTypeError, Identity, init, type MaxPool2d, memory, noGrad, randn, type Sequential, ShapeError, scope, type Tensor, tensor } from '@aimodel/nn';
import { afterAll, describe, expect, it } from 'vitest';
import {
  convert,
  fuseModules,
  getDefaultQConfig,
  loadQuantized,
  MinMaxObserver,
  prepare,
  type QConfig,
  QuantizedConv2d,
  QuantizedLinear,
  saveQuantized,
} from '../src/index';
import { linkQuantizedLayers } from '../src/quantize/quantized-chain';
import { int8Operand } from '../src/quantize/quantized-input';
import { mnistCnn as mnistModel } from './mnist-cnn';
import { hasWebGpu } from './webgpu-available';

const WEBGPU = await hasWebGpu();
afterAll(() => init({ device: 'cpu' }));

/** The MNIST CNN of examples/mnist-cnn, in eval mode. */
const mnistCnn = () => mnistModel().eval();

const layersOf = (m: Sequential) => [m.at(0), m.at(3), m.at(8)] as [QuantizedConv2d, QuantizedConv2d, QuantizedLinear];

/** Every layer dequantizing and the next quantizing again: the path before the int8 links. */
function unlink(m: Sequential): void {
  for (const q of layersOf(m)) {
    q.quantizedOutput = false;
    q.quantizedInput = q.int8InputQParams;
  }
}

function converted(backend: 'aimodel' | 'x86', perChannel: boolean, seed: number): Sequential {
  const model = mnistCnn();
  fuseModules(model, [
    ['0', '1'],
    ['3', '4'],
  ]);
  const dflt = getDefaultQConfig(backend);
  const qconfig: QConfig = perChannel ? dflt : { ...dflt, weight: () => new MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' }) };
  prepare(model, qconfig);
  for (let b = 0; b < 2; b++) noGrad(() => scope(() => model.forward(randn([16, 1, 28, 28]).mul(0.5 + seed))));
  return convert(model);
}

async function bits(t: Tensor): Promise<number[]> {
  return Array.from(new Uint32Array(Float32Array.from(await t.data()).buffer));
}

/** The model's output bits for x, the output freed. */
async function run(model: Sequential, x: Tensor): Promise<number[]> {
  const y = noGrad(() => scope(() => model.forward(x)));
  const b = await bits(y);
  y.dispose();
  return b;
}

describe('int8 between converted layers', () => {
  for (const backend of ['aimodel', 'x86'] as const) {
    for (const perChannel of [false, true]) {
      it(`MNIST CNN, '${backend}' qconfig, per-${perChannel ? 'channel' : 'tensor'} weights: the float path's outputs bit for bit`, async () => {
        const model = converted(backend, perChannel, perChannel ? 1 : 0);
        const [c1, c2, fc] = layersOf(model);
        expect([c1.quantizedOutput, c2.quantizedOutput, fc.quantizedOutput]).toEqual([true, true, false]);
        // each convolution pools (its MaxPool2d now a FusedMaxPool2d) and requantizes to the next
        // layer's input qparams in its epilogue, so the next layer takes int8 in its own qparams
        expect([model.at(2), model.at(5)].map((m) => m.constructor.name)).toEqual(['FusedMaxPool2d', 'FusedMaxPool2d']);
        expect([c1._pool?.constructor.name, c2._pool?.constructor.name]).toEqual(['MaxPool2d', 'MaxPool2d']);
        expect(c1._requantizeTo).toEqual(c2.int8InputQParams); // calibrated apart: they differ
        expect(c2._requantizeTo).toEqual(fc.int8InputQParams);
        expect(c2.quantizedInput).toEqual(c2.int8InputQParams);
        expect(fc.quantizedInput).toEqual(fc.int8InputQParams);
        const before = memory().devices.cpu;
        // inside and well past the calibrated range (clamped outputs, saturated inputs)
        const xs = [randn([8, 1, 28, 28]), scope(() => randn([8, 1, 28, 28]).mul(4))];
        const linked = await Promise.all(xs.map((x) => run(model, x)));
        const inner = noGrad(() => scope(() => model.at(2).forward(c1.forward(xs[0]))));
        expect(inner.dtype).toBe('int8'); // pooled int8, in c2's input qparams
        expect(inner.shape).toEqual([8, 16, 14, 14]);
        // the unfused int8 chain (the pooling and the requantization as separate ops) gives the same bytes
        const [pool, rq] = [c1._pool as MaxPool2d, c1._requantizeTo];
        c1._fuseNext(null, null);
        const separate = noGrad(() => scope(() => int8Operand('test', pool.forward(c1.forward(xs[0])), c2.inputQParams, c1.int8OutputQParams)));
        c1._fuseNext(pool, rq);
        expect(Array.from(await separate.data())).toEqual(Array.from(await inner.data()));
        unlink(model);
        const floatPath = await Promise.all(xs.map((x) => run(model, x)));
        expect(linked).toEqual(floatPath);
        // linking again (as loadQuantized does) puts the MaxPool2d back before fusing it again
        linkQuantizedLayers(model);
        expect(model.at(2).constructor.name).toBe('FusedMaxPool2d');
        expect(c1._requantizeTo).toEqual(c2.int8InputQParams);
        expect(await Promise.all(xs.map((x) => run(model, x)))).toEqual(linked);
        separate.dispose();
        for (const t of [...xs, inner]) t.dispose();
        expect(memory().devices.cpu).toEqual(before);
        model.dispose();
      });
    }
  }

  it('requantizes when the qparams differ: the float path exactly, including clamping into a narrower range', async () => {
    const conv = (input: { scale: number; zeroPoint: number }) =>
      new QuantizedConv2d(2, 1, 1, {
        weight: new Int8Array([3, -2]),
        weightScale: 0.02,
        input: { ...input, dtype: 'uint8' },
        output: { scale: 0.01, zeroPoint: 3, dtype: 'uint8' },
      });
    const q = conv({ scale: 0.013, zeroPoint: 40 }); // its own input qparams
    q.quantizedInput = { scale: 0.031, zeroPoint: -100, dtype: 'int8' }; // the producer's
    const values = Int8Array.from({ length: 2 * 3 * 5 }, (_, i) => ((i * 71) % 256) - 128);
    const before = memory().devices.cpu;
    const x = scope(() => tensor(values, { dtype: 'int8' }).reshape([1, 2, 3, 5]));
    const deq = scope(() => x.to('float32').sub(-100).mul(0.031)); // what a dequantizing producer returns
    const [a, b] = [q.forward(x), q.forward(deq)];
    expect(a.dtype).toBe('float32');
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    q.quantizedOutput = true;
    const y = q.forward(x);
    expect(y.dtype).toBe('int8'); // the uint8 output as int8: q − 128
    expect(Array.from(await y.data(), (v) => Math.fround((v + 128 - 3) * Math.fround(0.01)))).toEqual(Array.from(await b.data())); // dequantized as the layer does
    for (const t of [x, deq, a, b, y]) t.dispose();
    expect(memory().devices.cpu).toEqual(before);
    q.dispose();
  });

  it('a uint8 input is taken with the input qparams; a Dropout in training mode brings float32 back; misuse is typed', async () => {
    const model = converted('aimodel', true, 0);
    const [c1, c2, fc] = layersOf(model);
    const { scale, zeroPoint } = c1.inputQParams;
    const before = memory().devices.cpu;
    const u8 = scope(() =>
      tensor(
        Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 37) % 256),
        { dtype: 'uint8' },
      ).reshape([1, 1, 28, 28]),
    );
    const deq = scope(() => u8.to('float32').sub(zeroPoint).mul(scale));
    const [a, b] = [noGrad(() => c1.forward(u8)), noGrad(() => c1.forward(deq))];
    expect(a.dtype).toBe('int8');
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    model.at(7).train(); // the Dropout between c2 and fc
    const y = noGrad(() => scope(() => c2.forward(model.at(2).forward(a))));
    expect(y.dtype).toBe('float32');
    model.at(7).eval();
    const bad = [
      tensor([[[[1]]]], { dtype: 'int32' }),
      tensor([[1, 2]], { dtype: 'uint8' }),
      tensor([[[[1]]]], { dtype: 'int8' }),
      tensor([[1]], { dtype: 'uint8' }),
    ];
    expect(() => c1.forward(bad[0])).toThrow(DTypeError);
    expect(() => c1.forward(bad[0])).toThrow(
      'QuantizedConv2d: expected a float32 input (quantized with the input qparams), an int8 one (already quantized, with quantizedInput) or, as the input qparams are uint8, a uint8 one; got int32',
    );
    expect(() => fc.forward(bad[1])).toThrow('QuantizedLinear: expected input [*, 1568], got [1, 2]'); // uint8 is fine, 2 features are not
    expect(() => c2.forward(bad[2])).toThrow(ShapeError);
    expect(() => c2.forward(bad[2])).toThrow('QuantizedConv2d: expected input [N, 16, H, W] (or [16, H, W] unbatched), got [1, 1, 1, 1]');
    const int8In = new QuantizedLinear(1, 1, {
      weight: new Int8Array([1]),
      weightScale: 1,
      input: { scale: 1, zeroPoint: 0, dtype: 'int8' },
      output: { scale: 1, zeroPoint: 0, dtype: 'int8' },
    });
    expect(() => int8In.forward(bad[3])).toThrow(DTypeError); // its input qparams are int8
    int8In.dispose();
    for (const t of [u8, deq, a, b, y, ...bad]) t.dispose();
    expect(memory().devices.cpu).toEqual(before);
    model.dispose();
  });

  it('saveQuantized / loadQuantized still round-trip a linked model, with the same bits', async () => {
    const model = converted('x86', true, 0);
    const bytes = await saveQuantized(model);
    // into the unfused architecture (as loadQuantized takes it): a ReLU after each conv breaks the
    // chain (ReLU on the integers is not ReLU on the values), so the convolutions return float32
    const loaded = loadQuantized(mnistCnn(), bytes);
    expect(layersOf(loaded).map((q) => q.quantizedOutput)).toEqual([false, false, false]);
    const x = randn([4, 1, 28, 28]);
    expect(await run(loaded, x)).toEqual(await run(model, x));
    // the chain's int8 layers are linked again by loadQuantized where nothing breaks it
    loaded.at(1).dispose();
    (loaded as unknown as Record<string, unknown>)['1'] = new Identity();
    const again = loadQuantized(loaded, bytes);
    expect(layersOf(again).map((q) => q.quantizedOutput)).toEqual([true, false, false]);
    expect(await run(again, x)).toEqual(await run(model, x));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });

  it.skipIf(!WEBGPU)('on WebGPU: the linked model gives the CPU outputs exactly', async () => {
    const model = converted('aimodel', true, 0);
    const x = randn([4, 1, 28, 28]);
    const cpu = await run(model, x);
    await model.to('webgpu');
    const xg = await x.to('webgpu');
    expect(await run(model, xg)).toEqual(cpu);
    for (const t of [x, xg]) t.dispose();
    model.dispose();
  });
});
