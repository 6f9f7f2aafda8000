import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  Bilinear,
  DeviceError,
  EmbeddingBag,
  gradcheck,
  Identity,
  Linear,
  memory,
  Module,
  ModuleDict,
  ones,
  Parameter,
  ParameterList,
  ReLU,
  Sequential,
  scope,
  ShapeError,
  type Tensor,
  tensor,
  Unflatten,
  zeros,
} from '../../src/index';
import { expectTensorValues, expectValues, withFields } from '../helpers';

describe('Identity and Unflatten', () => {
  it('Identity returns the same tensor and has no state', () => {
    const x = tensor([1, 2]);
    expect(new Identity().call(x, 'ignored')).toBe(x);
    expect(Object.keys(new Identity().stateDict())).toEqual([]);
  });

  it('Unflatten splits a dim (with −1 inferred), inverse of Flatten', () => {
    expect(new Unflatten(1, [2, 3]).call(zeros([4, 6])).shape).toEqual([4, 2, 3]);
    expect(new Unflatten(-1, [2, -1]).call(zeros([4, 6])).shape).toEqual([4, 2, 3]);
    expectTensorValues(new Unflatten(0, [2, 2]).call(tensor([1, 2, 3, 4])), [
      [1, 2],
      [3, 4],
    ]);
    expect(() => new Unflatten(1, [4, 2]).call(zeros([4, 6]))).toThrow(/cannot split dim 1 of size 6/);
    expect(() => new Unflatten(1, [-1, -1])).toThrow(ArgumentError);
    expect(String(new Unflatten(1, [2, 3]))).toBe('Unflatten(dim=1, unflattenedSize=[2, 3])');
  });
});

describe('Bilinear', () => {
  it('yₖ = x₁ᵀ Aₖ x₂ + bₖ by hand; PyTorch keys and init bounds', () => {
    const m = new Bilinear(2, 3, 2);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias']);
    expect(m.weight.shape).toEqual([2, 2, 3]);
    const bound = 1 / Math.sqrt(2);
    for (const v of [...m.weight.dataSync(), ...m.bias!.dataSync()]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    const A = [
      [
        [1, 0, 2],
        [0, 1, 0],
      ],
      [
        [0, 0, 1],
        [1, -1, 0],
      ],
    ];
    m.weight.assign(tensor(A));
    m.bias!.assign(tensor([0.5, -1]));
    const x1 = [1, 2];
    const x2 = [3, 4, 5];
    const expected = A.map((Ak, k) => Ak.reduce((s, row, i) => s + row.reduce((t, a, j) => t + x1[i] * a * x2[j], 0), 0) + [0.5, -1][k]);
    expectValues(m.call(tensor([x1]), tensor([x2])).dataSync(), expected);
    expect(m.call(zeros([4, 5, 2]), zeros([4, 5, 3])).shape).toEqual([4, 5, 2]);
    const r = gradcheck(
      (a, b, w) =>
        withFields(m, { weight: w }, () =>
          m
            .call(a, b)
            .mul(tensor([[1, 2]]))
            .sum(),
        ),
      [tensor([[0.3, -0.2]]), tensor([[0.5, 0.1, -0.4]]), tensor(A).mul(0.5)],
    );
    expect(r.ok).toBe(true);
    expect(() => m.call(zeros([1, 3]), zeros([1, 3]))).toThrow(/Bilinear: expected inputs \[\*, 2\] and \[\*, 3\]/);
    m.dispose();
  });
});

describe('ModuleDict and ParameterList', () => {
  it('ModuleDict: keys exactly as given in the state dict, in insertion order; get/set/delete', () => {
    class Net extends Module {
      heads = new ModuleDict({ clsHead: new Linear(2, 3), box: new Linear(2, 1) });
      forward(x: Tensor, task: string) {
        return this.heads.get(task).call(x) as Tensor;
      }
    }
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(['heads.clsHead.weight', 'heads.clsHead.bias', 'heads.box.weight', 'heads.box.bias']);
    expect(net.call(zeros([5, 2]), 'box').shape).toEqual([5, 1]);
    expect(net.heads.keys()).toEqual(['clsHead', 'box']);
    expect(net.heads.size).toBe(2);
    expect(net.heads.has('box')).toBe(true);
    const removed = net.heads.delete('box');
    expect(removed).toBeInstanceOf(Linear);
    removed?.dispose();
    expect(Object.keys(net.stateDict())).toEqual(['heads.clsHead.weight', 'heads.clsHead.bias']);
    expect([...net.heads].map(([k]) => k)).toEqual(['clsHead']);
    expect(() => net.heads.get('box')).toThrow(/no module 'box' \(keys: clsHead\)/);
    expect(() => net.heads.set('a.b', new ReLU() as never)).toThrow(ArgumentError);
    expect(() => net.heads.forward()).toThrow(/ModuleDict: has no forward/);
    expect(String(new ModuleDict([['act', new ReLU()]]))).toBe('ModuleDict(\n  (act): ReLU()\n)');
    net.dispose();
  });

  it('ParameterList: keys 0, 1, … below the owner; wraps tensors; at/length/iteration', () => {
    class Scales extends Module {
      scales = new ParameterList([ones([2]), new Parameter(tensor([2, 3]))]);
      forward(x: Tensor) {
        let y = x;
        for (const s of this.scales) y = y.mul(s);
        return y;
      }
    }
    const m = new Scales();
    expect(Object.keys(m.stateDict())).toEqual(['scales.0', 'scales.1']);
    expect(m.parameters()).toHaveLength(2);
    expect(m.scales.at(-1)).toBeInstanceOf(Parameter);
    expectValues(m.call(tensor([1, 1])).dataSync(), [2, 3]);
    m.scales.append(tensor([10, 10]));
    expect(m.scales.length).toBe(3);
    expect(() => m.scales.at(3)).toThrow(/index 3 is out of range for 3 parameters/);
    expect(() => m.scales.append(3 as never)).toThrow(ArgumentError);
    m.dispose();
  });
});

describe('EmbeddingBag', () => {
  /** Rows of the table: row r = [r, 10·r]. */
  function bag(mode: 'sum' | 'mean' | 'max', paddingIdx?: number) {
    const b = new EmbeddingBag(6, 2, paddingIdx === undefined ? { mode } : { mode, paddingIdx });
    scope(() => b.weight.assign(tensor([0, 1, 2, 3, 4, 5].map((r) => [r, r === 3 ? -30 : 10 * r]))));
    return b;
  }
  const ids = (v: number[] | number[][]) => tensor(v, { dtype: 'int32' });

  it('sum, mean and max of 2-D bags; key weight; N(0, 1) init with the padding row zero', () => {
    const fresh = new EmbeddingBag(6, 2, { paddingIdx: 1 });
    expect(Object.keys(fresh.stateDict())).toEqual(['weight']);
    expectValues(fresh.weight.narrow(0, 1, 1).dataSync(), [0, 0]);
    fresh.dispose();
    const input = ids([
      [1, 2],
      [3, 5],
    ]);
    expectValues(bag('sum').call(input).dataSync(), [3, 30, 8, 20]);
    expectValues(bag('mean').call(input).dataSync(), [1.5, 15, 4, 10]);
    expectValues(bag('max').call(input).dataSync(), [2, 20, 5, 50]);
  });

  it('1-D input with offsets (an empty bag gives zeros), per-sample weights, padding left out', () => {
    const flat = ids([1, 2, 4, 5, 4]);
    expectValues(bag('sum').call(flat, [0, 2, 2]).dataSync(), [3, 30, 0, 0, 13, 130]);
    expectValues(
      bag('mean')
        .call(flat, tensor([0, 2], { dtype: 'int32' }))
        .dataSync(),
      [1.5, 15, 13 / 3, 130 / 3],
      1e-5,
    );
    expectValues(
      bag('sum')
        .call(ids([[1, 2]]), undefined, tensor([[2, 1]]))
        .dataSync(),
      [4, 40],
    );
    // padding index 2: left out of sums, means (divisor) and maxima; an all-padding bag gives zeros
    const padded = ids([
      [1, 2],
      [2, 2],
    ]);
    expectValues(bag('mean', 2).call(padded).dataSync(), [1, 10, 0, 0]);
    expectValues(bag('max', 2).call(padded).dataSync(), [1, 10, 0, 0]);
    expectValues(bag('sum', 2).call(padded).dataSync(), [1, 10, 0, 0]);
  });

  it('its gradient reaches the table rows; errors name the problem', () => {
    const b = bag('mean');
    b.call(ids([[1, 1, 4]]))
      .sum()
      .backward();
    expectValues(b.weight.grad!.dataSync(), [0, 0, 2 / 3, 2 / 3, 0, 0, 0, 0, 1 / 3, 1 / 3, 0, 0], 1e-6);
    expect(() => b.call(ids([1, 2]), [1])).toThrow(/offsets must start at 0/);
    expect(() => b.call(ids([1, 2]))).toThrow(ShapeError);
    expect(() => b.call(ids([[1]]), undefined, tensor([[1]]))).toThrow(/perSampleWeights need mode 'sum'/);
    expect(() => new EmbeddingBag(3, 2, { mode: 'min' as never })).toThrow(ArgumentError);
    expect(DeviceError).toBeDefined();
    b.dispose();
  });

  it('leaves memory flat', () => {
    const before = memory().tensors;
    const b = bag('max', 0);
    const x = ids([1, 0, 3]);
    b.call(x, [0, 1]).dispose();
    x.dispose();
    b.dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe('Sequential with the new layers', () => {
  it('composes', () => {
    const m = new Sequential(new Linear(4, 6), new Unflatten(1, [2, 3]), new Identity());
    expect(m.call(zeros([5, 4])).shape).toEqual([5, 2, 3]);
    m.dispose();
  });
});
