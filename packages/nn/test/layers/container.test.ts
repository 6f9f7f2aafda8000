import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  BatchNorm1d,
  Dropout,
  gradcheck,
  Linear,
  manualSeed,
  memory,
  Module,
  ModuleList,
  randn,
  ReLU,
  scope,
  Sequential,
  ShapeError,
  Tanh,
  type Tensor,
  tensor,
} from '../../src/index';

const values = (t: Tensor) => Array.from(t.dataSync());

describe('Sequential', () => {
  it('chains its modules and has PyTorch keys 0.weight, 2.bias, …', () => {
    manualSeed(40);
    const model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const x = randn([4, 2]);
    const y = model.forward(x) as Tensor;
    expect(y.shape).toEqual([4, 1]);
    const [fc1, act, fc2] = [...model];
    expect(values(y)).toEqual(values(fc2.forward(act.forward(fc1.forward(x)))));
    expect(model.length).toBe(3);
    expect(model.at(0)).toBe(fc1);
    expect(model.at(-1)).toBe(fc2);
    expect(model.parameters()).toHaveLength(4);
  });

  it('computes hand values after loadStateDict', () => {
    const model = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
    model.loadStateDict({
      '0.weight': tensor([
        [1, 0],
        [0, -1],
      ]),
      '0.bias': tensor([0, 0]),
      '2.weight': tensor([[2, 3]]),
      '2.bias': tensor([1]),
    });
    expect(
      values(
        model.forward(
          tensor([
            [1, 2],
            [-1, -3],
          ]),
        ) as Tensor,
      ),
    ).toEqual([3, 10]); // relu([1,-2])→[1,0]: 2+1; relu([-1,3])→[0,3]: 9+1
  });

  it('orders ten or more children numerically and nests keys', () => {
    const many = new Sequential(...Array.from({ length: 12 }, () => new Linear(2, 2)));
    const keys = Object.keys(many.stateDict());
    expect(keys.slice(18, 22)).toEqual(['9.weight', '9.bias', '10.weight', '10.bias']);
    const nested = new Sequential(new Sequential(new Linear(1, 1)), new Tanh());
    expect(Object.keys(nested.stateDict())).toEqual(['0.0.weight', '0.0.bias']);
  });

  it('takes named children from one object, and append()s positional ones', () => {
    const named = new Sequential({ fc: new Linear(3, 2), act: new ReLU(), out: new Linear(2, 1) });
    expect(Object.keys(named.stateDict())).toEqual(['fc.weight', 'fc.bias', 'out.weight', 'out.bias']);
    expect(named.forward(randn([5, 3])).shape).toEqual([5, 1]);
    expect(() => named.append(new ReLU())).toThrow(ArgumentError);
    const model = new Sequential(new Linear(2, 2)).append(new ReLU()).append(new Linear(2, 4));
    expect(model.length).toBe(3);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(new Sequential().forward(5)).toBe(5);
  });

  it('sets train()/eval() on every descendant', () => {
    const model = new Sequential(new Linear(2, 2), new Sequential(new Dropout(), new BatchNorm1d(2)));
    model.eval();
    expect(model.namedModules().every(([, m]) => !m.training)).toBe(true);
    model.train();
    expect(model.namedModules().every(([, m]) => m.training)).toBe(true);
  });

  it('has the keys of every child, including buffers, and round-trips', () => {
    const make = () => new Sequential(new Linear(2, 3), new BatchNorm1d(3), new ReLU(), new Linear(3, 1));
    const a = make();
    a.forward(randn([4, 2]));
    // same key set as PyTorch (parameters are listed before buffers here; PyTorch interleaves per module)
    expect(Object.keys(a.stateDict()).sort()).toEqual([
      '0.bias',
      '0.weight',
      '1.bias',
      '1.num_batches_tracked',
      '1.running_mean',
      '1.running_var',
      '1.weight',
      '3.bias',
      '3.weight',
    ]);
    const b = make();
    b.loadStateDict(a.stateDict());
    a.eval();
    b.eval();
    const x = randn([3, 2]);
    expect(values(b.forward(x) as Tensor)).toEqual(values(a.forward(x) as Tensor));
  });

  it('rejects missing, unexpected and mis-shaped keys', () => {
    const model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    const dict = { ...model.stateDict() };
    const { ['2.bias']: _dropped, ...missing } = dict;
    expect(() => model.loadStateDict(missing)).toThrow(ArgumentError);
    expect(() => model.loadStateDict(missing)).toThrow(/missing \[2\.bias\]/);
    expect(() => model.loadStateDict({ ...dict, '1.weight': randn([1]) })).toThrow(/unexpected \[1\.weight\]/);
    expect(() => model.loadStateDict({ ...dict, '2.weight': randn([3, 1]) })).toThrow(ShapeError);
    expect(model.loadStateDict(missing, { strict: false })).toEqual({ missingKeys: ['2.bias'], unexpectedKeys: [] });
  });

  it('passes gradcheck through the chain', () => {
    manualSeed(41);
    const model = new Sequential(new Linear(3, 4), new Tanh(), new Linear(4, 2));
    const wts = randn([2, 2]);
    const r = gradcheck((x) => (model.forward(x) as Tensor).mul(wts).sum(), [randn([2, 3])]);
    expect(r.ok).toBe(true);
  });

  it("validates children and indices; a bad input fails with the op's message", () => {
    expect(() => new Sequential(new ReLU(), 3 as unknown as Module)).toThrow('Sequential: expected a Module at position 1, got number');
    expect(() => new Sequential({ forward: new ReLU() })).toThrow(ArgumentError);
    const model = new Sequential(new Linear(2, 3), new Linear(3, 1));
    expect(() => model.at(2)).toThrow('Sequential: index 2 is out of range for 2 modules');
    expect(() => model.forward(randn([1, 3]))).toThrow(
      "linear: input's last dim must equal weight's inFeatures: input [1,3], weight [3,2] (expected last dim 2)",
    );
  });

  it('frees every tensor on dispose()', () => {
    const before = memory();
    const model = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new ReLU(), new Linear(4, 1));
    scope(() => (model.forward(randn([5, 3])) as Tensor).sum().backward());
    model.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});

describe('ModuleList', () => {
  class Mlp extends Module {
    layers = new ModuleList([new Linear(4, 4), new Linear(4, 2)]);
    override forward(x: Tensor): Tensor {
      for (const layer of this.layers) x = layer.forward(x);
      return x;
    }
  }

  it('registers its modules under 0., 1., … inside a parent', () => {
    const net = new Mlp();
    expect(Object.keys(net.stateDict())).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
    expect(net.forward(randn([3, 4])).shape).toEqual([3, 2]);
    expect(net.parameters()).toHaveLength(4);
  });

  it('supports append, extend, at, length and iteration', () => {
    const list = new ModuleList<Linear>();
    expect(list.length).toBe(0);
    const a = new Linear(1, 1);
    const b = new Linear(1, 2);
    const c = new Linear(2, 2);
    list.append(a).extend([b, c]);
    expect(list.length).toBe(3);
    expect(list.at(1)).toBe(b);
    expect(list.at(-1)).toBe(c);
    expect([...list]).toEqual([a, b, c]);
    expect(Object.keys(list.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
    const copy = new ModuleList<Linear>([new Linear(1, 1), new Linear(1, 2), new Linear(2, 2)]);
    copy.loadStateDict(list.stateDict());
    expect(values(copy.at(2).weight)).toEqual(values(c.weight));
  });

  it('has no forward and validates what it holds', () => {
    const list = new ModuleList([new ReLU()]);
    expect(() => list.forward(randn([1]))).toThrow(ArgumentError);
    expect(() => list.forward(randn([1]))).toThrow('ModuleList: has no forward(); iterate over it and call each module');
    expect(() => list.append({} as Module)).toThrow('ModuleList: expected a Module at position 1, got object');
    expect(() => list.at(1)).toThrow(ArgumentError);
    const before = memory();
    const owned = new ModuleList([new Linear(2, 2), new BatchNorm1d(2)]);
    owned.dispose();
    expect(memory().tensors).toBe(before.tensors);
  });
});
