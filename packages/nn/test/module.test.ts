import { describe, expect, it } from 'vitest';
import { ArgumentError, memory, Module, ones, Parameter, ShapeError, type Tensor, tensor, zeros } from '../src/index';

class Affine extends Module {
  weight = new Parameter(
    tensor([
      [1, 2],
      [3, 4],
    ]),
  );
  bias = new Parameter(zeros([2]));
  runningMean = zeros([2]); // a buffer: tensor field that is not a Parameter
  _cache: Tensor | null = null; // private: skipped
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight).add(this.bias);
  }
}

class Net extends Module {
  encoder = new Affine();
  headLayer = new Affine();
  forward(x: Tensor): Tensor {
    return this.headLayer.forward(this.encoder.forward(x).relu());
  }
}

describe('Module', () => {
  it('finds parameters, buffers and children from class fields, in declaration order, with PyTorch keys', () => {
    const net = new Net();
    expect(net.namedParameters().map(([k]) => k)).toEqual(['encoder.weight', 'encoder.bias', 'head_layer.weight', 'head_layer.bias']);
    expect(net.namedBuffers().map(([k]) => k)).toEqual(['encoder.running_mean', 'head_layer.running_mean']);
    expect(Object.keys(net.stateDict())).toEqual([
      // module by module, as PyTorch
      'encoder.weight',
      'encoder.bias',
      'encoder.running_mean',
      'head_layer.weight',
      'head_layer.bias',
      'head_layer.running_mean',
    ]);
    expect(net.children().length).toBe(2);
    expect(net.parameters().every((p) => p instanceof Parameter && p.requiresGrad)).toBe(true);
    net.dispose();
  });

  it('lists a shared parameter once', () => {
    class Tied extends Module {
      a = new Affine();
      b = new Affine();
      constructor() {
        super();
        this.b.weight = this.a.weight;
      }
      forward(x: Tensor) {
        return this.b.forward(this.a.forward(x));
      }
    }
    const t = new Tied();
    expect(t.parameters().length).toBe(3);
    expect(t.namedParameters().map(([k]) => k)).toEqual(['a.weight', 'a.bias', 'b.bias']);
  });

  it('train()/eval() set the mode recursively', () => {
    const net = new Net().eval();
    expect(net.training).toBe(false);
    expect(net.encoder.training).toBe(false);
    net.train();
    expect(net.headLayer.training).toBe(true);
  });

  it('zeroGrad drops gradients; gradients flow to Parameters', async () => {
    const net = new Net();
    net
      .forward(ones([1, 2]))
      .sum()
      .backward();
    expect(await net.encoder.weight.grad!.toArray()).toEqual([
      [3, 7],
      [3, 7],
    ]); // ∂/∂W1[i][j] = x_i · Σ_k W2[j][k]
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('stateDict → loadStateDict round trip copies values; strict mode checks keys; shapes must match', async () => {
    const a = new Affine();
    const b = new Affine();
    a.weight.assign(
      tensor([
        [5, 6],
        [7, 8],
      ]),
    );
    b.loadStateDict(a.stateDict());
    expect(await b.weight.toArray()).toEqual([
      [5, 6],
      [7, 8],
    ]);
    const { weight, ...partial } = a.stateDict();
    expect(() => b.loadStateDict(partial)).toThrow(ArgumentError);
    expect(() => b.loadStateDict(partial)).toThrow(/loadStateDict: keys do not match: missing \[weight\], unexpected \[\]/);
    expect(b.loadStateDict({ ...partial, extra: ones([1]) }, { strict: false })).toEqual({ missingKeys: ['weight'], unexpectedKeys: ['extra'] });
    expect(() => b.loadStateDict(a.stateDict(), { strcit: false } as never)).toThrow("loadStateDict: unknown option 'strcit' (expected strict)");
    expect(() => b.loadStateDict({ ...a.stateDict(), weight: ones([3, 2]) })).toThrow(ShapeError);
    expect(() => b.loadStateDict({ ...a.stateDict(), weight: ones([3, 2]) })).toThrow(/'weight' has shape \[3,2\] in the state dict but \[2,2\] in the module/);
    expect(weight.shape).toEqual([2, 2]);
  });

  it('a Parameter takes over the tensor it wraps (one live tensor, same memory)', async () => {
    const before = memory().tensors;
    const data = tensor([1, 2]);
    const p = new Parameter(data);
    expect(data.isDisposed).toBe(true);
    expect(memory().tensors).toBe(before + 1);
    expect(await p.toArray()).toEqual([1, 2]);
    p.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('to(device) keeps parameters as Parameters; dispose frees everything', async () => {
    const before = memory();
    const net = await new Net().to('cpu');
    expect(net.parameters().length).toBe(4);
    await expect(net.to('webgpu')).rejects.toThrow(/webgpu backend is not initialised/);
    net.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
