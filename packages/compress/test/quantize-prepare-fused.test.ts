// prepare/prepareQat on fused layers (ConvReLU2d, LinearReLU): these are Sequentials, so the
// observers attached to them are children too, and must not run as extra steps of the chain.
import { Conv2d, Linear, memory, ReLU, Sequential, scope, type Tensor, tensor } from '@aimodel/nn';
import { describe, expect, it } from 'vitest';
import {
  ConvReLU2d,
  disableObserver,
  FakeQuantize,
  getDefaultQatQConfig,
  getMinMaxQConfig,
  LinearReLU,
  type MinMaxObserver,
  observedLayers,
  prepare,
  prepareQat,
} from '../src/index';

describe('prepare on a fused layer', () => {
  it('the input observer sees the input only, the output observer the ReLU output only', () => {
    const conv = new Conv2d(1, 1, 1);
    conv.weight.assign(tensor([[[[10]]]]));
    conv.bias?.assign(tensor([0]));
    const model = new Sequential(new ConvReLU2d(conv, new ReLU())).eval();
    prepare(model, getMinMaxQConfig());
    const y = model.forward(tensor([[[[-1, 0.5]]]]));
    expect(Array.from(y.dataSync())).toEqual([0, 5]);
    const [l] = observedLayers(model);
    const input = l.input as MinMaxObserver;
    const output = l.output as MinMaxObserver;
    // before the fix the Sequential chain also fed the ReLU output (max 5) to the input observer
    expect([input.minVal.dataSync()[0], input.maxVal.dataSync()[0]]).toEqual([-1, 0.5]);
    expect([output.minVal.dataSync()[0], output.maxVal.dataSync()[0]]).toEqual([0, 5]);
    l.weight.dispose();
    model.dispose();
    y.dispose();
  });
});

describe('prepareQat on a fused layer', () => {
  it('LinearReLU: fake-quantized input, weight and output once each, for a batch of any size', () => {
    const before = memory().tensors;
    const fc = new Linear(2, 3);
    scope(() => {
      fc.weight.assign(
        tensor([
          [0.5, -1],
          [2, 0.25],
          [-0.75, 1.5],
        ]),
      );
      fc.bias?.assign(tensor([0.1, -0.2, 0.3]));
    });
    const model = prepareQat(new Sequential(new LinearReLU(fc, new ReLU())), getDefaultQatQConfig());
    const x = tensor([
      [1, 2],
      [-0.5, 0.25],
      [3, -1],
      [0.2, 0.4],
      [-2, 1],
    ]); // 5 rows ≠ 3 output channels
    scope(() => {
      model.forward(x); // observers set the scales
      disableObserver(model);
      const y = model.forward(x);
      const [l] = observedLayers(model);
      expect(l.weight).toBeInstanceOf(FakeQuantize);
      // the same computation spelled out with the frozen FakeQuantize modules
      const xq = l.input.forward(x) as Tensor;
      const wq = l.weight.forward(fc.weight) as Tensor;
      const expected = l.output.forward(
        xq
          .matmul(wq.T)
          .add(fc.bias as Tensor)
          .relu(),
      ) as Tensor;
      expect(y.shape).toEqual([5, 3]);
      const got = Array.from(y.dataSync());
      const want = Array.from(expected.dataSync());
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 6);
    });
    x.dispose();
    model.dispose();
    expect(memory().tensors).toBe(before);
  });
});
