import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv1d,
  Conv2d,
  ConvTranspose2d,
  Embedding,
  Flatten,
  GELU,
  GRU,
  LayerNorm,
  Linear,
  LSTM,
  MaxPool2d,
  MultiheadAttention,
  memory,
  ones,
  RNN,
  scope,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../../src/index';

// A misspelt option must fail loudly, naming the layer and the options it takes, not be ignored.
describe('layer options objects', () => {
  const bad = { biass: false } as never;
  const cases: [string, () => unknown, string][] = [
    ['Linear', () => new Linear(2, 2, bad), 'bias, generator'],
    ['Flatten', () => new Flatten(bad), 'startDim, endDim'],
    ['Conv1d', () => new Conv1d(1, 1, 1, bad), 'stride, padding, dilation, groups, bias, paddingMode, generator'],
    ['Conv2d', () => new Conv2d(1, 1, 1, bad), 'stride, padding, dilation, groups, bias, paddingMode, generator'],
    ['ConvTranspose2d', () => new ConvTranspose2d(1, 1, 1, bad), 'stride, padding, outputPadding, dilation, groups, bias, generator'],
    ['MaxPool2d', () => new MaxPool2d(2, bad), 'stride, padding, dilation, ceilMode'],
    ['AvgPool2d', () => new AvgPool2d(2, bad), 'stride, padding, ceilMode, countIncludePad'],
    ['BatchNorm1d', () => new BatchNorm1d(2, bad), 'eps, momentum, affine, trackRunningStats'],
    ['BatchNorm2d', () => new BatchNorm2d(2, bad), 'eps, momentum, affine, trackRunningStats'],
    ['LayerNorm', () => new LayerNorm(2, bad), 'eps, elementwiseAffine, bias'],
    ['Embedding', () => new Embedding(2, 2, bad), 'paddingIdx, generator'],
    ['Embedding.fromPretrained', () => Embedding.fromPretrained(ones([2, 2]), bad), 'freeze, paddingIdx'],
    ['RNN', () => new RNN(2, 2, bad), 'numLayers, bias, batchFirst, dropout, bidirectional, generator, nonlinearity'],
    ['LSTM', () => new LSTM(2, 2, { nonlinearity: 'relu' } as never), 'numLayers, bias, batchFirst, dropout, bidirectional, generator'],
    ['GRU', () => new GRU(2, 2, bad), 'numLayers, bias, batchFirst, dropout, bidirectional, generator'],
    ['MultiheadAttention', () => new MultiheadAttention(2, 1, bad), 'dropout, bias, batchFirst, kdim, vdim, generator'],
    ['TransformerEncoderLayer', () => new TransformerEncoderLayer(2, 1, bad), 'dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias'],
    [
      'TransformerEncoder',
      () => {
        const layer = new TransformerEncoderLayer(2, 1); // parameters outlive scopes: free it here
        try {
          return new TransformerEncoder(layer, 1, bad);
        } finally {
          layer.dispose();
        }
      },
      'norm',
    ],
    ['GELU', () => new GELU(bad), 'approximate'],
  ];
  it.each(cases)('%s rejects an unknown key', (name, make, expected) => {
    const before = memory().tensors;
    const key = name === 'LSTM' ? 'nonlinearity' : 'biass';
    expect(() => scope(make)).toThrow(ArgumentError);
    expect(() => scope(make)).toThrow(`${name}: unknown option '${key}' (expected ${expected})`);
    expect(memory().tensors).toBe(before);
  });

  it('forward options are checked too', () => {
    const modules = [
      new MultiheadAttention(2, 1),
      new TransformerEncoderLayer(2, 1),
      new TransformerEncoder(() => new TransformerEncoderLayer(2, 1), 1),
    ] as const;
    const before = memory().tensors;
    scope(() => {
      const x = ones([1, 1, 2]);
      expect(() => modules[0].forward(x, x, x, { need_weights: false } as never)).toThrow(
        "MultiheadAttention: unknown option 'need_weights' (did you mean 'needWeights'?) (expected keyPaddingMask, attnMask, needWeights, averageAttnWeights, isCausal)",
      );
      expect(() => modules[1].forward(x, { mask: null } as never)).toThrow(
        "TransformerEncoderLayer: unknown option 'mask' (expected srcMask, srcKeyPaddingMask, isCausal)",
      );
      expect(() => modules[2].forward(x, { srcMask: null } as never)).toThrow(
        "TransformerEncoder: unknown option 'srcMask' (expected mask, srcKeyPaddingMask, isCausal)",
      );
    });
    expect(memory().tensors).toBe(before);
    for (const m of modules) m.dispose();
  });
});
