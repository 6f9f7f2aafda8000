import { describe, expect, it } from 'vitest';
import { ArgumentError, hookGradients, keep, memory, noGrad, ShapeError, scope, type Tensor, tensor } from '../../src/index';
import { DEVICES } from '../helpers';

describe.each(DEVICES)('hookGradients [%s]', (device) => {
  const leaf = (values: number[]) => tensor(values, { device, requiresGrad: true });
  /** What a hook saw, read back after backward (the gradients themselves die with backward's scope). */
  const copies: (Tensor | null)[][] = [];
  const record = (grads: (Tensor | null)[]) => {
    copies.push(grads.map((g) => g && keep(g.clone())));
  };
  const readCopies = async () => {
    const out = await Promise.all(copies.map((gs) => Promise.all(gs.map(async (g) => (g ? Array.from(await g.data()) : null)))));
    for (const gs of copies.splice(0)) for (const g of gs) g?.dispose();
    return out;
  };

  it('hands the hook the gradients of all its tensors at once, once per backward', async () => {
    const before = memory().tensors;
    const x = leaf([1, 2]);
    const c = tensor([3, 4], { device });
    const [xv, cv] = hookGradients([x, c], record);
    expect(cv).toBe(c); // no grad: unchanged
    expect(xv).not.toBe(x);
    // loss = Σ xv² + Σ xv·c, xv used twice: the hook sees the sum 2x + c = [5, 8], once
    const loss = scope(() => xv.mul(xv).sum().add(xv.mul(cv).sum()));
    loss.backward();
    expect(await readCopies()).toEqual([[[5, 8], null]]);
    await expect(x.grad?.data()).resolves.toBeAllClose([5, 8]);
    for (const t of [x, c, xv, loss]) t.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('replaces gradients: scaled, or stopped with null; other uses of the tensor are not hooked', async () => {
    const x = leaf([1, 2]);
    const [xv] = hookGradients([x], ([g]) => [(g as Tensor).mul(10)]);
    // loss = Σ 3·xv + Σ x: the hooked part 3 → 30, the direct part 1 stays
    xv.mul(3).sum().add(x.sum()).backward();
    await expect(x.grad?.data()).resolves.toBeAllClose([31, 31]);
    const y = leaf([1, 2]);
    const [yv] = hookGradients([y], () => [null]);
    yv.mul(2).sum().backward();
    expect(y.grad).toBeNull();
  });

  it('inPlace reroutes an op output itself; the hook sees its total gradient', async () => {
    const x = leaf([1, -2]);
    const y = x.mul(3);
    const [same] = hookGradients(
      [y],
      (grads) => {
        record(grads);
        return [(grads[0] as Tensor).neg()];
      },
      { inPlace: true },
    );
    expect(same).toBe(y);
    // loss = Σ y² + Σ y: ∂/∂y = 2y + 1 = [7, −11], negated by the hook, times 3 into x
    y.mul(y).sum().add(y.sum()).backward(undefined, { retainGraph: true });
    expect(await readCopies()).toEqual([[[7, -11]]]);
    await expect(x.grad?.data()).resolves.toBeAllClose([-21, 33]);
    // a leaf gets a view even with inPlace
    const [v] = hookGradients([x], () => undefined, { inPlace: true });
    expect(v).not.toBe(x);
  });

  it('runs once per backward call, also with retainGraph', () => {
    let calls = 0;
    const x = leaf([1]);
    const [xv] = hookGradients([x], () => {
      calls++;
    });
    const loss = xv.mul(xv).sum();
    loss.backward(undefined, { retainGraph: true });
    loss.backward();
    expect(calls).toBe(2);
  });

  it('does nothing with grad mode off or without tensors that require grad', () => {
    const x = leaf([1]);
    const hook = () => {
      throw new Error('must not run');
    };
    const [a] = noGrad(() => hookGradients([x], hook));
    expect(a).toBe(x);
    const c = tensor([1], { device });
    expect(hookGradients([c], hook)[0]).toBe(c);
  });

  it('rejects bad hooks, inputs and replacements with typed errors', () => {
    const x = leaf([1, 2]);
    expect(() => hookGradients([x], 3 as never)).toThrow(ArgumentError);
    expect(() => hookGradients([x, 'a' as never], () => undefined)).toThrow(/hookGradients: expected a Tensor/);
    expect(() => hookGradients([x], () => undefined, { inplace: true } as never)).toThrow(/unknown option 'inplace'/);
    const [a] = hookGradients([x], () => []);
    expect(() => a.sum().backward()).toThrow(/must return undefined or an array of 1 gradients/);
    const [b] = hookGradients([x], () => [tensor([1, 2, 3], { device })]);
    expect(() => b.sum().backward()).toThrow(ShapeError);
    const [c] = hookGradients([x], () => [tensor([1, 2, 3], { device })]);
    expect(() => c.sum().backward()).toThrow(/gradient 0 has shape \[3\], expected \[2\]/);
  });
});
