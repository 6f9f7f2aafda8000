import {
  ArgumentError,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  Module,
  memory,
  noGrad,
  ReLU,
  randn,
  Sequential,
  type Tensor,
  tensor,
} from '@aimodel/nn';
import { describe, expect, it } from 'vitest';
import { ConvReLU2d, FusedIdentity, fuseModules, LinearReLU } from '../src/index';

// Expected fused weights follow torch.nn.utils.fusion by hand, in float32 (f = Math.fround):
//   conv:   W' = W · (γ · rsqrt(var + eps)),  b' = (b − mean) · rsqrt(var + eps) · γ + β
//   linear: s = γ · rsqrt(var + eps);  W' = W · s,  b' = (b − mean) · s + β

const f = Math.fround;
const rsqrt = (v: number, eps: number) => f(1 / f(Math.sqrt(f(v + eps))));

function setStats(bn: BatchNorm1d | BatchNorm2d, mean: number[], variance: number[], gamma: number[], beta: number[]) {
  noGrad(() => {
    bn.runningMean?.assign(tensor(mean));
    bn.runningVar?.assign(tensor(variance));
    bn.weight?.assign(tensor(gamma));
    bn.bias?.assign(tensor(beta));
  });
}

function close(a: Tensor, b: Tensor, tol = 1e-5) {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(y[i])));
}

describe('fuseModules', () => {
  it('Conv2d + BatchNorm2d + ReLU folds the BatchNorm (hand formula) and keeps the eval output', () => {
    const conv = new Conv2d(1, 2, 1, { bias: true });
    noGrad(() => {
      conv.weight.assign(tensor([[[[2]]], [[[-3]]]]));
      conv.bias?.assign(tensor([0.5, 1]));
    });
    const bn = new BatchNorm2d(2);
    setStats(bn, [1, -2], [4, 0.25], [0.5, 2], [0.1, -0.2]);
    const model = new Sequential(conv, bn, new ReLU()).eval();
    const x = randn([2, 1, 3, 3]);
    const expected = noGrad(() => model.forward(x));
    fuseModules(model, ['0', '1', '2']);
    expect(model.at(0)).toBeInstanceOf(ConvReLU2d);
    expect(model.at(1)).toBeInstanceOf(FusedIdentity);
    expect(model.at(2)).toBeInstanceOf(FusedIdentity);
    const fused = (model.at(0) as ConvReLU2d).conv;
    const r = [rsqrt(4, 1e-5), rsqrt(0.25, 1e-5)];
    const w = [f(2 * f(0.5 * r[0])), f(-3 * f(2 * r[1]))];
    const b = [f(f(f(f(0.5 - 1) * r[0]) * 0.5) + f(0.1)), f(f(f(f(1 + 2) * r[1]) * 2) + f(-0.2))];
    expect(Array.from(fused.weight.dataSync())).toEqual(w);
    expect(Array.from((fused.bias as Tensor).dataSync())).toEqual(b);
    close(
      noGrad(() => model.forward(x)),
      expected,
    );
    expect(Object.keys(model.stateDict())).toEqual(['0.0.weight', '0.0.bias']);
  });

  it('Conv2d without bias + BatchNorm2d gets a bias; Conv2d + ReLU; groups of several', () => {
    const model = new Sequential(
      new Conv2d(2, 3, 3, { bias: false, padding: 1 }),
      new BatchNorm2d(3),
      new Conv2d(3, 2, 1),
      new ReLU(),
      new Flatten(),
      new Linear(32, 4),
      new ReLU(),
    );
    const bn = model.at(1) as BatchNorm2d;
    setStats(bn, [0.3, -0.1, 0.2], [1.5, 0.5, 2], [1, 0.7, -1.2], [0, 0.3, 0.1]);
    model.eval();
    const x = randn([2, 2, 4, 4]);
    const expected = noGrad(() => model.forward(x));
    fuseModules(model, [
      ['0', '1'],
      ['2', '3'],
      ['5', '6'],
    ]);
    expect(model.at(0)).toBeInstanceOf(Conv2d);
    expect((model.at(0) as Conv2d).bias).not.toBeNull();
    expect(model.at(2)).toBeInstanceOf(ConvReLU2d);
    expect(model.at(5)).toBeInstanceOf(LinearReLU);
    close(
      noGrad(() => model.forward(x)),
      expected,
    );
  });

  it('Linear + BatchNorm1d (+ ReLU): s = γ·rsqrt(var + eps) per output row', () => {
    const lin = new Linear(2, 2);
    noGrad(() => {
      lin.weight.assign(
        tensor([
          [1, 2],
          [3, -4],
        ]),
      );
      lin.bias?.assign(tensor([0.25, -0.5]));
    });
    const bn = new BatchNorm1d(2, { eps: 0.01 });
    setStats(bn, [0.5, 1], [0.99, 3.99], [2, 0.5], [1, 0]);
    const model = new Sequential(lin, bn, new ReLU()).eval();
    const x = randn([5, 2]);
    const expected = noGrad(() => model.forward(x));
    fuseModules(model, ['0', '1', '2']);
    const fused = (model.at(0) as LinearReLU).linear;
    const s = [f(2 * rsqrt(0.99, 0.01)), f(0.5 * rsqrt(3.99, 0.01))]; // rsqrt(1) = 1, rsqrt(4) = 0.5
    expect(s).toEqual([2, 0.25]);
    expect(Array.from(fused.weight.dataSync())).toEqual([2, 4, 0.75, -1]);
    expect(Array.from((fused.bias as Tensor).dataSync())).toEqual([f(f(0.25 - 0.5) * 2) + 1, f(f(-0.5 - 1) * 0.25)]); // [0.5, −0.375]
    close(
      noGrad(() => model.forward(x)),
      expected,
    );
  });

  it('finds camelCase fields by their state-dict names and frees the folded BatchNorm', () => {
    class Net extends Module {
      convBlock = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU());
      forward(x: Tensor) {
        return this.convBlock.forward(x);
      }
    }
    const net = new Net().eval();
    const before = memory().tensors;
    fuseModules(net, ['conv_block.0', 'conv_block.1', 'conv_block.2']);
    expect(net.convBlock.at(0)).toBeInstanceOf(ConvReLU2d);
    // BatchNorm's 5 tensors and the conv's old weight and bias are gone; the new weight and bias came in
    expect(memory().tensors).toBe(before - 5);
  });

  it('errors name the problem: training mode, unsupported sequences, unknown names, channel mismatch', () => {
    const make = () => new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU(), new Linear(2, 2));
    expect(() => fuseModules(make(), ['0', '1'])).toThrow(/call model.eval\(\) before fusing/);
    expect(() => fuseModules(make().eval(), ['1', '2'])).toThrow(/cannot fuse \[1, 2\] \(BatchNorm2d\+ReLU\); supported sequences/);
    expect(() => fuseModules(make().eval(), ['0', '9'])).toThrow(/no submodule '9'/);
    expect(() => fuseModules(make().eval(), ['0'])).toThrow(ArgumentError);
    const wrong = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(3)).eval();
    expect(() => fuseModules(wrong, ['0', '1'])).toThrow(/has 3 features but the layer before it has 2 outputs/);
  });
});
