import { describe, expect, it } from 'vitest';
import { ArgumentError, Linear, memory, Module, scope, Sequential, ReLU, type Tensor, tensor } from '../src/index';
import { expectTensorValues, expectValues } from './helpers';

/** Linear(2, 1) with w = [[1, 2]], b = [0.5]: for x = [[3, 4]], y = 11.5 and, for loss = y², ∂L/∂y = 23. */
function knownLinear(): Linear {
  const fc = new Linear(2, 1);
  fc.weight.assign(tensor([[1, 2]]));
  fc.bias?.assign(tensor([0.5]));
  return fc;
}
const input = () => tensor([[3, 4]], { requiresGrad: true });
const squareLoss = (y: Tensor) => scope(() => y.mul(y).sum());

/** A hook that keeps copies of what it saw (gradients die with backward's scope). */
function recorder() {
  const seen: { gradInput?: (number[] | null)[]; gradOutput: (number[] | null)[] }[] = [];
  const read = (gs: (Tensor | null)[]) => gs.map((g) => (g ? Array.from(g.dataSync()) : null));
  return {
    seen,
    full: (_m: Module, gradInput: (Tensor | null)[], gradOutput: (Tensor | null)[]) => {
      seen.push({ gradInput: read(gradInput), gradOutput: read(gradOutput) });
    },
    pre: (_m: Module, gradOutput: (Tensor | null)[]) => {
      seen.push({ gradOutput: read(gradOutput) });
    },
  };
}

/** y = a·b elementwise: two tensor inputs and a number. */
class Product extends Module {
  forward(a: Tensor, k: number, b: Tensor): Tensor {
    return a.mul(b).mul(k);
  }
}

describe('full backward hooks', () => {
  it('a hook observes gradInput (w.r.t. the input) and gradOutput (w.r.t. the output) of a Linear (hand values)', () => {
    const fc = knownLinear();
    const r = recorder();
    fc.registerFullBackwardHook(r.full);
    const x = input();
    squareLoss(fc.call(x)).backward();
    // ∂L/∂x = 23·w = [23, 46]; ∂L/∂w = 23·x = [69, 92]; ∂L/∂b = 23
    expect(r.seen).toEqual([{ gradInput: [[23, 46]], gradOutput: [[23]] }]);
    expectTensorValues(x.grad as Tensor, [[23, 46]]);
    expectTensorValues(fc.weight.grad as Tensor, [[69, 92]]);
    expectTensorValues(fc.bias?.grad as Tensor, [23]);
  });

  it('a returned gradInput replaces what flows on to the input; the parameters keep theirs', () => {
    const fc = knownLinear();
    fc.registerFullBackwardHook((_m, gradInput) => gradInput.map((g) => g && g.mul(2)));
    const x = input();
    squareLoss(fc.forward(x)).backward(); // direct .forward fires the hooks too
    expectTensorValues(x.grad as Tensor, [[46, 92]]);
    expectTensorValues(fc.weight.grad as Tensor, [[69, 92]]);
  });

  it('a pre-hook sees gradOutput first and its replacement flows into the module and on to the full hook', () => {
    const fc = knownLinear();
    const log: string[] = [];
    const r = recorder();
    fc.registerFullBackwardHook((...args) => {
      log.push('full');
      r.full(...args);
    });
    fc.registerFullBackwardPreHook((_m, gradOutput) => {
      log.push('pre');
      return gradOutput.map((g) => g && g.mul(0.5));
    });
    const x = input();
    squareLoss(fc.call(x)).backward();
    expect(log).toEqual(['pre', 'full']);
    // ∂L/∂y halved to 11.5: ∂L/∂x = [11.5, 23], ∂L/∂w = [34.5, 46], ∂L/∂b = 11.5
    expect(r.seen).toEqual([{ gradInput: [[11.5, 23]], gradOutput: [[11.5]] }]);
    expectTensorValues(x.grad as Tensor, [[11.5, 23]]);
    expectTensorValues(fc.weight.grad as Tensor, [[34.5, 46]]);
    expectTensorValues(fc.bias?.grad as Tensor, [11.5]);
  });

  it('fire once per backward, for a module called inside Sequential; remove() stops them and restores the plain forward', () => {
    const fc = knownLinear();
    const model = new Sequential(new ReLU(), fc);
    let full = 0;
    let pre = 0;
    const h1 = fc.registerFullBackwardHook(() => {
      full++;
    });
    const h2 = fc.registerFullBackwardPreHook(() => {
      pre++;
    });
    const x = input();
    const loss = squareLoss(model.call(x));
    loss.backward(undefined, { retainGraph: true });
    loss.backward();
    expect([full, pre]).toEqual([2, 2]);
    expectTensorValues(x.grad as Tensor, [[46, 92]]); // accumulated twice
    h1.remove();
    h2.remove();
    h2.remove();
    expect(Object.hasOwn(fc, 'forward')).toBe(false);
    squareLoss(model.call(input())).backward();
    expect([full, pre]).toEqual([2, 2]);
  });

  it('several tensor inputs: gradInput lists the tensors in argument order, null for one without grad', () => {
    const m = new Product();
    const r = recorder();
    m.registerFullBackwardHook(r.full);
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 5]);
    // y = 2·a·b, L = Σy: ∂L/∂a = 2b = [6, 10], b needs none
    scope(() => m.call(a, 2, b).sum()).backward();
    expect(r.seen).toEqual([{ gradInput: [[6, 10], null], gradOutput: [[1, 1]] }]);
    expectValues((a.grad as Tensor).dataSync(), [6, 10]);
  });

  it('inputs without grad: the hook runs with null gradInput at gradOutput time, and may not return gradients', () => {
    const fc = knownLinear();
    const r = recorder();
    fc.registerFullBackwardHook(r.full);
    const x = tensor([[3, 4]]);
    squareLoss(fc.call(x)).backward();
    expect(r.seen).toEqual([{ gradInput: [null], gradOutput: [[23]] }]);
    const g = knownLinear();
    g.registerFullBackwardHook(() => [tensor([[1, 1]])]);
    expect(() => squareLoss(g.call(x)).backward()).toThrow(/inputs do not require grad must return undefined or nulls/);
  });

  it('rejects outputs that are not Tensors and replacements of the wrong length or shape', () => {
    class Dict extends Module {
      forward(x: Tensor): { y: Tensor } {
        return { y: x.mul(2) };
      }
    }
    const d = new Dict();
    d.registerFullBackwardHook(() => undefined);
    expect(() => d.call(input())).toThrow(ArgumentError);
    expect(() => d.call(input())).toThrow('Dict: full backward hooks need forward to return a Tensor or an array of Tensors, got object');
    const fc = knownLinear();
    fc.registerFullBackwardHook(() => []);
    expect(() => squareLoss(fc.call(input())).backward()).toThrow(/full backward hook must return undefined or an array of 1 gradients/);
    const f2 = knownLinear();
    f2.registerFullBackwardPreHook(() => [tensor([1, 2])]);
    expect(() => squareLoss(f2.call(input())).backward()).toThrow(/gradient 0 has shape \[2\], expected \[1,1\]/);
    expect(() => f2.registerFullBackwardHook('no' as never)).toThrow(/expected a hook function/);
  });

  it('leaves memory flat: the input views go after forward, the gradients after backward', () => {
    const fc = knownLinear();
    const x = input();
    const before = memory().tensors;
    const h = fc.registerFullBackwardHook((_m, gradInput) => gradInput.map((g) => g && g.mul(3)));
    const y = fc.call(x);
    const loss = squareLoss(y);
    loss.backward();
    for (const t of [y, loss, x.grad, fc.weight.grad, fc.bias?.grad]) t?.dispose();
    x.grad = null;
    fc.zeroGrad();
    h.remove();
    expect(memory().tensors).toBe(before);
  });
});
