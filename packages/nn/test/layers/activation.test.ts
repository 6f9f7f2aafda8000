import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  GELU,
  gradcheck,
  LeakyReLU,
  memory,
  type Module,
  randn,
  ReLU,
  scope,
  ShapeError,
  Sigmoid,
  Softmax,
  Tanh,
  type Tensor,
  tensor,
} from '../../src/index';
import { expectValues as expectClose } from '../helpers';

const run = (m: Module, data: number[] | number[][]) => m.forward(tensor(data)).dataSync() as Float32Array;

/** Inputs away from 0, where ReLU and LeakyReLU have their kink. */
function offKink(shape: number[]): Tensor {
  return scope(() => {
    const r = randn(shape);
    return r.add(r.sign().mul(0.1));
  });
}

describe('activation modules', () => {
  it('compute their functions (hand values)', () => {
    expectClose(run(new ReLU(), [-1, 0, 2]), [0, 0, 2]);
    expectClose(run(new GELU(), [-1, 0, 1]), [-0.158655, 0, 0.841345]);
    expectClose(run(new GELU({ approximate: 'tanh' }), [-1, 0, 1]), [-0.158808, 0, 0.841192]);
    expectClose(run(new Sigmoid(), [0, 2, -2]), [0.5, 0.880797, 0.119203]);
    expectClose(run(new Tanh(), [0, 0.5, -1]), [0, 0.462117, -0.761594]);
    expectClose(run(new LeakyReLU(), [-2, 3]), [-0.02, 3]);
    expectClose(run(new LeakyReLU(0.2), [-2, 3]), [-0.4, 3]);
    expectClose(run(new Softmax(-1), [[1, 2, 3]]), [0.0900306, 0.2447285, 0.665241]);
    expectClose(
      run(new Softmax(0), [
        [1, 2],
        [3, 4],
      ]),
      [0.1192029, 0.1192029, 0.8807971, 0.8807971],
    );
    expectClose(run(new Softmax(), [[0, 0]]), [0.5, 0.5]);
  });

  it('keep the input shape and hold no parameters', () => {
    const x = randn([2, 3, 4]);
    for (const m of [new ReLU(), new GELU(), new Sigmoid(), new Tanh(), new LeakyReLU(), new Softmax(1)]) {
      expect(m.forward(x).shape).toEqual([2, 3, 4]);
      expect(Object.keys(m.stateDict())).toEqual([]);
      expect(m.parameters()).toEqual([]);
    }
  });

  it('pass gradcheck (inputs off the kinks)', () => {
    const wts = randn([3, 4]);
    const modules: Module[] = [
      new ReLU(),
      new GELU(),
      new GELU({ approximate: 'tanh' }),
      new Sigmoid(),
      new Tanh(),
      new LeakyReLU(0.1),
      new Softmax(-1),
      new Softmax(0),
    ];
    for (const m of modules) {
      const r = gradcheck((x) => (m.forward(x) as Tensor).mul(wts).sum(), [offKink([3, 4])]);
      expect(r.ok, `${m.constructor.name}: ${JSON.stringify(r.mismatches.slice(0, 2))}`).toBe(true);
    }
  });

  it('validate their arguments and inputs', () => {
    expect(() => new LeakyReLU(Number.NaN)).toThrow('LeakyReLU: negativeSlope must be a finite number, got NaN');
    expect(() => new GELU({ approximate: 'erf' as 'tanh' })).toThrow(ArgumentError);
    expect(() => new Softmax(1.5)).toThrow('Softmax: dim must be an integer, got 1.5');
    expect(() => new Softmax(2).forward(randn([3]))).toThrow(ShapeError);
    expect(() => new Softmax(2).forward(randn([3]))).toThrow('Softmax: dim 2 is out of range for input [3] (expected at least 3 dims)');
    expect(() => new ReLU().forward(5 as unknown as Tensor)).toThrow('ReLU: expected a Tensor input, got a number');
  });

  it('leak nothing', () => {
    const before = memory();
    scope(() => {
      const x = randn([4], { requiresGrad: true });
      new Softmax()
        .forward(new GELU().forward(new LeakyReLU().forward(x)))
        .mul(tensor([1, 2, 3, 4]))
        .sum()
        .backward();
    });
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
