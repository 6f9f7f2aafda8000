import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  Conv1d,
  Conv2d,
  ConvTranspose2d,
  Dropout,
  Embedding,
  Flatten,
  GELU,
  GRU,
  LayerNorm,
  LeakyReLU,
  Linear,
  LSTM,
  MaxPool2d,
  memory,
  Module,
  MultiheadAttention,
  Parameter,
  ReLU,
  RNN,
  Sequential,
  Softmax,
  type Tensor,
  tensor,
} from '../src/index';
import { hasWebGpu } from './webgpu-available';

const webgpu = await hasWebGpu();

let before: ReturnType<typeof memory>;
const models: Module[] = [];
function keepModel<M extends Module>(m: M): M {
  models.push(m);
  return m;
}
beforeEach(() => {
  before = memory();
});
afterEach(() => {
  for (const m of models.splice(0)) m.dispose();
  expect(memory()).toEqual(before);
});

/** The CNN of examples/mnist-cnn/index.mjs. */
function mnistCnn(): Sequential {
  return new Sequential(
    new Conv2d(1, 16, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(16, 32, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Dropout(0.3),
    new Linear(32 * 7 * 7, 10),
  );
}

describe('String(model): PyTorch’s nested module repr', () => {
  it('a small Sequential', () => {
    const model = keepModel(new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3, { bias: false })));
    const want = [
      'Sequential(',
      '  (0): Linear(inFeatures=4, outFeatures=8, bias=true)',
      '  (1): ReLU()',
      '  (2): Linear(inFeatures=8, outFeatures=3, bias=false)',
      ')',
    ].join('\n');
    expect(String(model)).toBe(want);
    expect(model.toString()).toBe(want);
    expect(inspect(model)).toBe(want);
  });

  it('the MNIST CNN', () => {
    expect(String(keepModel(mnistCnn()))).toBe(
      [
        'Sequential(',
        '  (0): Conv2d(1, 16, kernelSize=[3, 3], stride=[1, 1], padding=[1, 1])',
        '  (1): ReLU()',
        '  (2): MaxPool2d(kernelSize=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1], ceilMode=false)',
        '  (3): Conv2d(16, 32, kernelSize=[3, 3], stride=[1, 1], padding=[1, 1])',
        '  (4): ReLU()',
        '  (5): MaxPool2d(kernelSize=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1], ceilMode=false)',
        '  (6): Flatten(startDim=1, endDim=-1)',
        '  (7): Dropout(p=0.3)',
        '  (8): Linear(inFeatures=1568, outFeatures=10, bias=true)',
        ')',
      ].join('\n'),
    );
  });

  it('nests children two spaces deeper, under their state-dict keys; extraRepr lines come first', () => {
    class Block extends Module {
      fc1 = new Linear(2, 2);
      inner = new Sequential(new GELU(), new LeakyReLU(0.2));
      constructor(readonly scale: number) {
        super();
      }
      forward(x: Tensor) {
        return this.inner.forward(this.fc1.forward(x)).mul(this.scale);
      }
      override extraRepr() {
        return `scale=${this.scale}`;
      }
    }
    expect(String(keepModel(new Block(2)))).toBe(
      [
        'Block(',
        '  scale=2',
        '  (fc1): Linear(inFeatures=2, outFeatures=2, bias=true)',
        '  (inner): Sequential(',
        "    (0): GELU(approximate='none')",
        '    (1): LeakyReLU(negativeSlope=0.2)',
        '  )',
        ')',
      ].join('\n'),
    );
  });

  it('every layer’s extraRepr', () => {
    const cases: [Module, string][] = [
      [new Conv1d(4, 8, 3, { stride: 2, bias: false }), 'Conv1d(4, 8, kernelSize=[3], stride=[2], bias=false)'],
      [
        new Conv2d(4, 8, 3, { padding: 'same', dilation: 2, groups: 2, paddingMode: 'reflect' }),
        "Conv2d(4, 8, kernelSize=[3, 3], stride=[1, 1], padding='same', dilation=[2, 2], groups=2, paddingMode='reflect')",
      ],
      [new ConvTranspose2d(4, 2, 3, { stride: 2, outputPadding: 1 }), 'ConvTranspose2d(4, 2, kernelSize=[3, 3], stride=[2, 2], outputPadding=[1, 1])'],
      [new AvgPool2d(3, { stride: 1 }), 'AvgPool2d(kernelSize=[3, 3], stride=[1, 1], padding=[0, 0])'],
      [new AdaptiveAvgPool2d([1, null]), 'AdaptiveAvgPool2d(outputSize=[1, null])'],
      [new BatchNorm1d(8), 'BatchNorm1d(8, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)'],
      [new LayerNorm([4, 8], { eps: 1e-6 }), 'LayerNorm([4, 8], eps=0.000001, elementwiseAffine=true)'],
      [new Embedding(10, 3), 'Embedding(10, 3)'],
      [new Embedding(10, 3, { paddingIdx: 0 }), 'Embedding(10, 3, paddingIdx=0)'],
      [new Softmax(1), 'Softmax(dim=1)'],
      [new RNN(4, 8, { nonlinearity: 'relu' }), "RNN(4, 8, nonlinearity='relu')"],
      [new LSTM(4, 8, { numLayers: 2, batchFirst: true, bidirectional: true }), 'LSTM(4, 8, numLayers=2, batchFirst=true, bidirectional=true)'],
      [new GRU(4, 8, { bias: false, dropout: 0.1, numLayers: 2 }), 'GRU(4, 8, numLayers=2, bias=false, dropout=0.1)'],
      [new MultiheadAttention(8, 2), 'MultiheadAttention(\n  (out_proj): Linear(inFeatures=8, outFeatures=8, bias=true)\n)'],
    ];
    for (const [m, want] of cases) expect(String(keepModel(m))).toBe(want);
  });
});

describe('model.summary()', () => {
  it('exact table for a small Sequential, with and without output shapes', () => {
    const model = keepModel(new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3)));
    expect(model.summary([32, 4])).toBe(
      [
        'Model: Sequential',
        '==============================================',
        'Layer (type)  Output shape  Param #  Trainable',
        '==============================================',
        '0 (Linear)    [32, 8]            40         40',
        '1 (ReLU)      [32, 8]             0          0',
        '2 (Linear)    [32, 3]            27         27',
        '==============================================',
        'Total params: 67',
        'Trainable params: 67',
        'Non-trainable params: 0',
      ].join('\n'),
    );
    expect(model.summary()).toBe(
      [
        'Model: Sequential',
        '================================',
        'Layer (type)  Param #  Trainable',
        '================================',
        '0 (Linear)         40         40',
        '1 (ReLU)            0          0',
        '2 (Linear)         27         27',
        '================================',
        'Total params: 67',
        'Trainable params: 67',
        'Non-trainable params: 0',
      ].join('\n'),
    );
  });

  it('the MNIST CNN: parameter counts equal the hand count, output shapes per layer', () => {
    const model = keepModel(mnistCnn());
    // conv1 16·1·3·3 + 16 = 160; conv2 32·16·3·3 + 32 = 4,640; linear 10·1568 + 10 = 15,690
    const hand = 160 + 4640 + 15690;
    expect(hand).toBe(20490);
    const text = model.summary([64, 1, 28, 28]);
    expect(text).toBe(
      [
        'Model: Sequential',
        '===================================================',
        'Layer (type)   Output shape      Param #  Trainable',
        '===================================================',
        '0 (Conv2d)     [64, 16, 28, 28]      160        160',
        '1 (ReLU)       [64, 16, 28, 28]        0          0',
        '2 (MaxPool2d)  [64, 16, 14, 14]        0          0',
        '3 (Conv2d)     [64, 32, 14, 14]    4,640      4,640',
        '4 (ReLU)       [64, 32, 14, 14]        0          0',
        '5 (MaxPool2d)  [64, 32, 7, 7]          0          0',
        '6 (Flatten)    [64, 1568]              0          0',
        '7 (Dropout)    [64, 1568]              0          0',
        '8 (Linear)     [64, 10]           15,690     15,690',
        '===================================================',
        'Total params: 20,490',
        'Trainable params: 20,490',
        'Non-trainable params: 0',
      ].join('\n'),
    );
    expect(model.parameters().reduce((n, p) => n + p.numel(), 0)).toBe(hand);
  });

  it('frozen and shared parameters, nested modules, several inputs; training state and buffers untouched', () => {
    class Pair extends Module {
      scale = new Parameter(tensor([2]), false); // frozen: non-trainable
      enc = new Linear(3, 4);
      bn = new BatchNorm1d(4);
      dec = new Sequential(new Linear(4, 3));
      constructor() {
        super();
        this.dec.dispose();
        this.dec = new Sequential(new Linear(4, 3));
      }
      forward(a: Tensor, b: Tensor) {
        return this.dec.forward(this.bn.forward(this.enc.forward(a.add(b)))).mul(this.scale);
      }
    }
    const model = keepModel(new Pair());
    const mean = Array.from(model.bn.runningMean!.dataSync());
    const text = model.summary([
      [5, 3],
      [1, 3],
    ]);
    expect(text.split('\n').slice(2, 10)).toEqual([
      'Layer (type)      Output shape  Param #  Trainable',
      '==================================================',
      'Pair              [5, 3]              1          0',
      'enc (Linear)      [5, 4]             16         16',
      'bn (BatchNorm1d)  [5, 4]              8          8',
      'dec (Sequential)  [5, 3]              0          0',
      'dec.0 (Linear)    [5, 3]             15         15',
      '==================================================',
    ]);
    expect(text.split('\n').slice(-3)).toEqual(['Total params: 40', 'Trainable params: 39', 'Non-trainable params: 1']);
    expect(model.training && model.bn.training).toBe(true); // restored after the eval-mode pass
    expect(Array.from(model.bn.runningMean!.dataSync())).toEqual(mean); // batch norm did not update
    expect(Object.hasOwn(model.enc, 'forward')).toBe(false); // the shape hooks are gone
  });

  it('dtype option for integer inputs, print option, and typed errors', () => {
    const model = keepModel(new Sequential(new Embedding(10, 4), new Linear(4, 2)));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const text = model.summary([2, 3], { dtype: 'int32', print: true });
      expect(text).toContain('0 (Embedding)  [2, 3, 4]');
      expect(log).toHaveBeenCalledWith(text);
    } finally {
      log.mockRestore();
    }
    expect(() => model.summary([2, 3], { batch_size: 4 } as never)).toThrow("summary: unknown option 'batch_size' (expected dtype, print)");
    expect(() => model.summary([2, 1.5])).toThrow(
      'summary: inputShape must be a shape (e.g. [1, 3, 32, 32]) or a list of shapes, one per forward input, got [2,1.5]',
    );
    // a forward that fails (float32 zeros as token ids): the error comes through, the hooks are removed
    expect(() => model.summary([2, 3])).toThrow('embedding: index must be int32, got float32');
    expect(Object.hasOwn(model.children()[0], 'forward')).toBe(false);
  });
});

describe('summary of a single layer', () => {
  it('a module without children lists itself', () => {
    const fc = keepModel(new Linear(3, 2));
    expect(fc.summary([1, 3]).split('\n').slice(4, 5)).toEqual(['Linear        [1, 2]              8          8']);
  });
});

describe.skipIf(!webgpu)('summary of a model on WebGPU', () => {
  it('runs the shape pass on the model’s device', async () => {
    const model = keepModel(new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3)));
    await model.to('webgpu');
    const lines = model.summary([32, 4]).split('\n');
    expect(lines.slice(4, 7)).toEqual([
      '0 (Linear)    [32, 8]            40         40',
      '1 (ReLU)      [32, 8]             0          0',
      '2 (Linear)    [32, 3]            27         27',
    ]);
  });
});
