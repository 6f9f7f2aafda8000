import { describe, expect, it } from 'vitest';
import { ArgumentError, Linear, memory, Module, mseLoss, Parameter, ReLU, Sequential, scope, type Tensor, tensor, zeros } from '../src/index';
import { expectTensorValues } from './helpers';
import { TinySGD } from './tiny-sgd';

/** y = x·w with w = [[1], [2]]: a known linear map. */
class Dot extends Module {
  weight = new Parameter(tensor([[1], [2]]));
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight);
  }
}

/** A custom module that calls its child with `.forward` (as user code does). */
class Outer extends Module {
  inner = new Dot();
  forward(x: Tensor): Tensor {
    return this.inner.forward(x).mul(10);
  }
}

describe('forward hooks and call()', () => {
  it('call runs pre-hooks, forward, then forward hooks, each in registration order (prepend first)', () => {
    const m = new Dot();
    const log: string[] = [];
    m.registerForwardPreHook(() => {
      log.push('pre1');
    });
    m.registerForwardPreHook(
      () => {
        log.push('pre0');
      },
      { prepend: true },
    );
    m.registerForwardHook((_m, _inputs, y) => {
      log.push(`post1 ${(y as Tensor).shape}`);
    });
    m.registerForwardHook(
      () => {
        log.push('post0');
      },
      { prepend: true },
    );
    const y = m.call(tensor([[3, 4]]));
    expect(log).toEqual(['pre0', 'pre1', 'post0', 'post1 1,1']);
    expectTensorValues(y, [[11]]);
  });

  it('a pre-hook replaces inputs (one value or an array), a forward hook replaces the output, as PyTorch', () => {
    const m = new Dot();
    const seen: unknown[][] = [];
    const a = m.registerForwardPreHook((_m, [x]) => (x as Tensor).mul(2)); // sole input: x → 2x
    const b = m.registerForwardPreHook((_m, inputs) => {
      seen.push(inputs);
      return [(inputs[0] as Tensor).add(1)]; // array: all inputs
    });
    const c = m.registerForwardHook((_m, inputs, y) => {
      seen.push(inputs);
      return (y as Tensor).neg();
    });
    // x = [1, 1] → 2x = [2, 2] → +1 = [3, 3] → ·w = 9 → −9
    expectTensorValues(m.call(tensor([[1, 1]])), [[-9]]);
    expectTensorValues(seen[0][0] as Tensor, [[2, 2]]);
    expectTensorValues(seen[1][0] as Tensor, [[3, 3]]); // forward hooks see the replaced inputs
    for (const h of [a, b, c]) h.remove();
    expectTensorValues(m.call(tensor([[1, 1]])), [[3]]);
  });

  it('remove() unregisters a hook; the last removal restores the plain forward; removing twice is harmless', () => {
    const m = new Dot();
    let calls = 0;
    const h1 = m.registerForwardHook(() => {
      calls++;
    });
    const h2 = m.registerForwardPreHook(() => {
      calls += 100;
    });
    expect(Object.hasOwn(m, 'forward')).toBe(true);
    expect(Object.keys(m)).not.toContain('forward'); // not enumerable: invisible to discovery
    m.call(zeros([1, 2]));
    expect(calls).toBe(101);
    h1.remove();
    m.call(zeros([1, 2]));
    expect(calls).toBe(201);
    h2.remove();
    h2.remove();
    expect(Object.hasOwn(m, 'forward')).toBe(false);
    m.call(zeros([1, 2]));
    expect(calls).toBe(201);
  });

  it('hooks fire when a custom module calls a child with .forward, and inside Sequential', () => {
    const outer = new Outer();
    const hooked = outer.inner.registerForwardHook((_m, _i, y) => (y as Tensor).add(1));
    expectTensorValues(outer.forward(tensor([[1, 1]])), [[40]]); // (3 + 1)·10
    hooked.remove();
    expectTensorValues(outer.forward(tensor([[1, 1]])), [[30]]);

    const seq = new Sequential(new Dot(), new ReLU());
    const outputs: number[][] = [];
    seq.at(1).registerForwardHook((_m, _i, y) => {
      outputs.push(Array.from((y as Tensor).dataSync()));
    });
    seq.call(
      tensor([
        [1, -1],
        [-1, 1],
      ]),
    ); // ·w = [-1, 1] → relu [0, 1]
    expect(outputs).toEqual([[0, 1]]);
  });

  it('keeps a forward declared as an arrow-function field, and restores it on removal', () => {
    class Arrow extends Module {
      forward = (x: Tensor) => x.mul(3);
    }
    const m = new Arrow();
    const h = m.registerForwardHook((_m, _i, y) => (y as Tensor).add(1));
    expectTensorValues(m.call(tensor([2])), [7]);
    h.remove();
    expectTensorValues(m.call(tensor([2])), [6]);
  });

  it('fit, evaluate and predict call the model through its hooks', async () => {
    const model = new Sequential(new Linear(2, 1));
    const batches: number[] = [];
    const h = model.registerForwardPreHook((_m, [x]) => {
      batches.push((x as Tensor).shape[0]);
    });
    model.compile({ optimizer: new TinySGD(model.parameters(), 0.1), loss: mseLoss });
    const x = zeros([10, 2]);
    const y = zeros([10, 1]);
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(batches).toEqual([4, 4, 2]);
    await model.evaluate(x, y, { batchSize: 5 });
    expect(batches.slice(3)).toEqual([5, 5]);
    model.predict(x, { batchSize: 10 }).dispose();
    expect(batches.slice(5)).toEqual([10]);
    h.remove();
    for (const t of [x, y]) t.dispose();
    model.dispose();
  });

  it('rejects a hook that is not a function and unknown options', () => {
    const m = new Dot();
    expect(() => m.registerForwardHook(42 as never)).toThrow(ArgumentError);
    expect(() => m.registerForwardHook(42 as never)).toThrow(/registerForwardHook: expected a hook function, got number/);
    expect(() => m.registerForwardPreHook(() => undefined, { first: true } as never)).toThrow(/unknown option 'first'/);
  });

  it('leaves memory flat', () => {
    const m = new Dot();
    const before = memory().tensors;
    const h = m.registerForwardHook((_m, _i, y) => (y as Tensor).mul(2));
    const x = tensor([[1, 2]]);
    const y = scope(() => m.call(x)); // the hook's replaced output is a temporary of the scope
    expectTensorValues(y, [[10]]);
    y.dispose();
    x.dispose();
    h.remove();
    expect(memory().tensors).toBe(before);
    m.dispose();
  });
});
