import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  BatchNorm1d,
  Linear,
  manualSeed,
  memory,
  Module,
  mseLoss,
  ones,
  Parameter,
  ReLU,
  randn,
  Sequential,
  type Tensor,
  tensor,
  zeros,
} from '../src/index';
import { TinySGD } from './tiny-sgd';

/** Copies of every state-dict value, as plain arrays (to compare bit for bit). */
function snapshot(m: Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]));
}

function model() {
  manualSeed(0);
  const backbone = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new ReLU());
  const head = new Linear(4, 1);
  return { backbone, head, net: new Sequential(backbone, head) };
}

async function train(net: Module) {
  manualSeed(1);
  const x = randn([16, 3]);
  const y = randn([16, 1]);
  net.compile({ optimizer: new TinySGD(net.parameters(), 0.1), loss: mseLoss });
  await net.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  x.dispose();
  y.dispose();
}

describe('freezing', () => {
  it('requiresGrad_(false) freezes every parameter: backward leaves .grad null; true unfreezes', () => {
    const { backbone, head, net } = model();
    expect(backbone.requiresGrad_(false)).toBe(backbone);
    expect(backbone.parameters().map((p) => p.requiresGrad)).toEqual([false, false, false, false]);
    expect(head.parameters().every((p) => p.requiresGrad)).toBe(true);
    const x = randn([5, 3]);
    net.call(x).sum().backward();
    expect(backbone.parameters().map((p) => p.grad)).toEqual([null, null, null, null]);
    expect(head.weight.grad?.shape).toEqual([1, 4]);
    backbone.requiresGrad_();
    expect(backbone.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(() => backbone.requiresGrad_('no' as never)).toThrow(/requiresGrad_: expected a boolean, got string/);
    x.dispose();
    net.zeroGrad();
    net.dispose();
  });

  it('trainable = false (Keras) keeps a backbone bit-identical through fit, batch norm statistics included; the head learns', async () => {
    const { backbone, head, net } = model();
    backbone.trainable = false;
    expect(backbone.trainable).toBe(false);
    expect(backbone.at(1).trainable).toBe(false);
    expect(net.trainable).toBe(true);
    const before = snapshot(backbone);
    const headBefore = snapshot(head);
    await train(net);
    expect(snapshot(backbone)).toEqual(before); // weights and running_mean/var/num_batches_tracked
    expect(snapshot(head).weight).not.toEqual(headBefore.weight);
    expect(net.summary()).toContain('Non-trainable params: 24'); // 12 + 4 (Linear) + 4 + 4 (BatchNorm1d)
    backbone.trainable = true;
    expect(backbone.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(() => {
      backbone.trainable = 0 as never;
    }).toThrow(ArgumentError);
    net.dispose();
  });

  it('requiresGrad_(false) (PyTorch) freezes parameters only: batch norm statistics still move in training mode', async () => {
    const { backbone, net } = model();
    backbone.requiresGrad_(false);
    const before = snapshot(backbone);
    await train(net);
    const after = snapshot(backbone);
    for (const k of ['0.weight', '0.bias', '1.weight', '1.bias']) expect(after[k]).toEqual(before[k]);
    expect(after['1.running_mean']).not.toEqual(before['1.running_mean']);
    expect(after['1.num_batches_tracked']).toEqual([4]);
    net.dispose();
  });
});

describe('Module.apply', () => {
  it('visits children first (recursively), then the module itself, and returns it', () => {
    const inner = new Sequential(new ReLU());
    const net = new Sequential(new Linear(2, 2), inner);
    const seen: string[] = [];
    expect(net.apply((m) => seen.push(m === net ? 'net' : m === inner ? 'inner' : m.constructor.name))).toBe(net);
    expect(seen).toEqual(['Linear', 'ReLU', 'inner', 'net']);
    expect(() => net.apply(null as never)).toThrow(/apply: expected a function/);
    net.dispose();
  });

  it('initialises weights as a user would', () => {
    const net = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    net.apply((m) => {
      if (m instanceof Linear) m.weight.assign(ones(m.weight.shape));
    });
    expect(Array.from((net.at(2) as Linear).weight.dataSync())).toEqual([1, 1, 1]);
    net.dispose();
  });
});

describe('registerBuffer', () => {
  class Cached extends Module {
    scale = new Parameter(tensor([2]));
    count = zeros([1]); // a buffer declared as a field: persistent
    constructor() {
      super();
      this.registerBuffer('cache', tensor([7, 8]), { persistent: false });
    }
    forward(x: Tensor): Tensor {
      return x.mul(this.scale);
    }
  }

  it('a non-persistent buffer is a buffer but not in stateDict; loads and moves without it; dispose frees it', async () => {
    const before = memory().tensors;
    const m = new Cached();
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'count']);
    expect(m.namedBuffers().map(([k]) => k)).toEqual(['count', 'cache']);
    const copy = new Cached();
    copy.loadStateDict(m.stateDict()); // strict: the cache is not expected
    await m.to('cpu');
    expect(Array.from((m as unknown as { cache: Tensor }).cache.dataSync())).toEqual([7, 8]);
    m.registerBuffer('cache', (m as unknown as { cache: Tensor }).cache); // persistent again
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'count', 'cache']);
    m.dispose();
    copy.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('rejects bad names, attributes that are not buffers, parameters and unknown options', () => {
    const m = new Cached();
    expect(() => m.registerBuffer('a.b', zeros([1]))).toThrow(/registerBuffer: buffer name must be a non-empty string without '\.'/);
    expect(() => m.registerBuffer('_x', zeros([1]))).toThrow(ArgumentError);
    expect(() => m.registerBuffer('scale', zeros([1]))).toThrow(/'scale' is already an attribute that is not a buffer/);
    expect(() => m.registerBuffer('training', zeros([1]))).toThrow(/already an attribute/);
    const p = new Parameter(zeros([1]));
    expect(() => m.registerBuffer('p', p)).toThrow(/is a Parameter/);
    p.dispose();
    expect(() => m.registerBuffer('q', zeros([1]), { persistant: false } as never)).toThrow(/unknown option 'persistant'/);
    m.dispose();
  });
});
