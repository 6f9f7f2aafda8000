import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  ELU,
  gradcheck,
  Hardswish,
  LogSoftmax,
  memory,
  Mish,
  type Module,
  PReLU,
  SELU,
  ShapeError,
  SiLU,
  Softplus,
  type Tensor,
  tensor,
} from '../../src/index';
import { expectValues, withFields } from '../helpers';

// References written from PyTorch's documented definitions, in double precision.
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number, beta = 1, threshold = 20) => (beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta);
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const REF: Record<string, [() => Module, (x: number) => number]> = {
  SiLU: [() => new SiLU(), (x) => x * sigmoid(x)],
  ELU: [() => new ELU(), (x) => (x > 0 ? x : Math.expm1(x))],
  'ELU(0.5)': [() => new ELU(0.5), (x) => (x > 0 ? x : 0.5 * Math.expm1(x))],
  SELU: [() => new SELU(), (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x))],
  Softplus: [() => new Softplus(), (x) => softplus(x)],
  'Softplus(beta 2, threshold 5)': [() => new Softplus({ beta: 2, threshold: 5 }), (x) => softplus(x, 2, 5)],
  Mish: [() => new Mish(), (x) => x * Math.tanh(softplus(x))],
  Hardswish: [() => new Hardswish(), (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6],
  PReLU: [() => new PReLU(), (x) => (x > 0 ? x : 0.25 * x)],
};
const POINTS = [-30, -8, -3, -1, -1e-3, 0, 0.5, 1, 2.9, 3, 8, 30];
const SMOOTH_POINTS = [-2.5, -0.7, 0.3, 1.2, 2.2]; // off every kink (ELU at 0, Hardswish at ±3)

function expectRelative(actual: ArrayLike<number>, expected: number[], rtol: number): void {
  expected.forEach((e, i) => {
    if (!(Math.abs(actual[i] - e) <= rtol * Math.abs(e) + 1e-30)) expect.fail(`element ${i}: got ${actual[i]}, expected ${e}`);
  });
}

describe('activation layers (PyTorch definitions)', () => {
  for (const [name, [make, ref]] of Object.entries(REF)) {
    it(`${name}: values, including large and tiny inputs`, () => {
      const y = make().call(tensor(POINTS)) as Tensor;
      expectValues(y.dataSync(), POINTS.map(ref), 2e-6);
    });
    it(`${name}: gradient matches finite differences`, () => {
      const m = make();
      const r = gradcheck((x) => (m.call(x) as Tensor).mul(tensor(SMOOTH_POINTS.map((_, i) => i + 1))).sum(), [tensor(SMOOTH_POINTS)]);
      expect(r.ok, JSON.stringify(r.mismatches)).toBe(true);
    });
  }

  it('Softplus and Mish keep relative accuracy where the output is tiny (log1p, not log(1 + u))', () => {
    const xs = [-15, -12, -9];
    expectRelative(
      new Softplus().call(tensor(xs)).dataSync(),
      xs.map((x) => softplus(x)),
      1e-5,
    );
    expectRelative(
      new Mish().call(tensor(xs)).dataSync(),
      xs.map((x) => x * Math.tanh(softplus(x))),
      1e-4,
    );
  });

  it("Hardswish's gradient at ±3 is PyTorch's: x/3 + 1/2 on [−3, 3] (−0.5 and 1.5)", () => {
    const x = tensor([-3, 3, -4, 4], { requiresGrad: true });
    new Hardswish().call(x).sum().backward();
    expectValues(x.grad!.dataSync(), [-0.5, 1.5, 0, 1]);
  });

  it('PReLU: one slope per channel along dim 1, key weight, init 0.25; its gradient', () => {
    const p = new PReLU({ numParameters: 2, init: 0.5 });
    expect(Object.keys(p.stateDict())).toEqual(['weight']);
    expectValues(new PReLU().weight.dataSync(), [0.25]);
    const x = tensor([
      [
        [-2, 2],
        [-4, 4],
      ],
    ]); // [1, 2, 2]
    expectValues(p.call(x).dataSync(), [-1, 2, -2, 4]);
    const a = tensor([0.3, 0.7]);
    const r = gradcheck(
      (xs, w) =>
        withFields(p, { weight: w }, () =>
          p
            .call(xs)
            .mul(
              tensor([
                [
                  [1, 2],
                  [3, 4],
                ],
              ]),
            )
            .sum(),
        ),
      [
        tensor([
          [
            [-2, 1.5],
            [-0.5, 4],
          ],
        ]),
        a,
      ],
    );
    expect(r.ok).toBe(true);
    expect(() => p.call(tensor([[1, 2, 3]]))).toThrow(/PReLU: expected 2 channels/);
    expect(() => new PReLU({ numParameters: 0 })).toThrow(ArgumentError);
    p.dispose();
  });

  it('LogSoftmax: xᵢ − log Σ exp xⱼ along dim; range check', () => {
    const y = new LogSoftmax(1).call(
      tensor([
        [1, 2, 3],
        [0, 0, 1000],
      ]),
    );
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expectValues(y.dataSync(), [1 - lse, 2 - lse, 3 - lse, -1000, -1000, 0], 1e-5);
    expect(() => new LogSoftmax(2).call(tensor([[1]]))).toThrow(ShapeError);
  });

  it('reject bad settings and leave memory flat', () => {
    expect(() => new ELU(Number.NaN)).toThrow(/ELU: alpha must be a finite number/);
    expect(() => new Softplus({ beta: 0 })).toThrow(/beta must not be 0/);
    expect(() => new Softplus({ treshold: 5 } as never)).toThrow(/unknown option 'treshold'/);
    expect(() => new SiLU().call([1, 2] as never)).toThrow(ShapeError);
    const before = memory().tensors;
    for (const [make] of Object.values(REF)) {
      const m = make();
      const x = tensor(POINTS);
      m.call(x).dispose();
      x.dispose();
      m.dispose();
    }
    expect(memory().tensors).toBe(before);
  });
});
