import { expect, it } from 'vitest';
import { type DeviceName, tensor, zeros, noGrad, gradcheck, ArgumentError, DisposedError, DTypeError, ShapeError } from '../../src/index';
import { describeOnCpu } from '../helpers';

describeOnCpu('autograd', (device: DeviceName) => {
  const param = (v: Parameters<typeof tensor>[0]) => tensor(v, { device, requiresGrad: true });

  it('backward on a scalar fills .grad of the leaves', async () => {
    const x = param([1, 2, 3]);
    const y = x.mul(x).sum();
    expect(y.requiresGrad).toBe(true);
    expect(y.isLeaf).toBe(false);
    y.backward();
    await expect(x.grad!).toBeAllClose([2, 4, 6]);
    const s = param(4);
    s.backward();
    await expect(s.grad!).toBeAllClose(1);
  });

  it('backward with an explicit gradient for a non-scalar output', async () => {
    const x = param([1, 2, 3]);
    const g = tensor([1, 0.5, -1], { device });
    x.mul(3).backward(g);
    await expect(x.grad!).toBeAllClose([3, 1.5, -3]);
    const leaf = param([1, 2]);
    const seed = tensor([5, 6], { device });
    leaf.backward(seed);
    seed.assign(0); // the leaf's grad is a copy, not the caller's tensor
    await expect(leaf.grad!).toBeAllClose([5, 6]);
  });

  it('backward on a non-scalar without gradient, or with a wrong-shaped one, is a ShapeError', () => {
    const x = param([1, 2, 3]);
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(ShapeError);
    expect(() => y.backward()).toThrow(/^backward: gradient can be implicitly created only for one-element outputs, got shape \[3\]/);
    expect(() => y.backward(tensor([1, 2], { device }))).toThrow(/^backward: gradient shape \[2\] does not match output shape \[3\]/);
    expect(() => tensor([1], { device }).backward()).toThrow(ArgumentError);
    expect(() => tensor([1], { device }).backward()).toThrow(/^backward: tensor does not require grad/);
  });

  it('gradients accumulate across two backward calls (first with retainGraph)', async () => {
    const x = param([1, 2, 3]);
    const y = x.mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    await expect(x.grad!).toBeAllClose([2, 4, 6]);
    y.backward();
    await expect(x.grad!).toBeAllClose([4, 8, 12]);
  });

  it('a second backward without retainGraph throws DisposedError naming the freed graph', async () => {
    const x = param([1, 2]);
    const y = x.mul(2).exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(DisposedError);
    expect(() => y.backward()).toThrow(/^backward: the graph through 'sum' was already freed by an earlier backward; pass \{ retainGraph: true \}/);
    await expect(x.grad!).toBeAllClose([2 * Math.exp(2), 2 * Math.exp(4)], { rtol: 1e-5 });
  });

  it('retainGrad keeps the gradient of an intermediate; others have none', async () => {
    const x = param([1, 2, 3]);
    const h = x.mul(2).retainGrad();
    const k = h.add(1);
    const y = h.mul(k).sum(); // y = 2x(2x + 1)
    y.backward();
    await expect(h.grad!).toBeAllClose([5, 9, 13]); // k + h
    expect(k.grad).toBeNull();
    await expect(x.grad!).toBeAllClose([10, 18, 26]); // 8x + 2
  });

  it('detach stops gradients and shares memory', async () => {
    const x = param([1, 2, 3]);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    d.mul(x).sum().backward();
    await expect(x.grad!).toBeAllClose([1, 2, 3]);
    noGrad(() => x.assign(7));
    await expect(d).toBeAllClose([7, 7, 7]);
  });

  it('noGrad results do not require grad and record nothing', async () => {
    const x = param([1, 2]);
    const y = noGrad(() => x.mul(2).add(1));
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    await expect(y).toBeAllClose([3, 5]);
    expect(noGrad(() => 42)).toBe(42);
    expect(x.mul(2).requiresGrad).toBe(true);
    expect(x.gt(1).requiresGrad).toBe(false); // comparisons are not differentiable
  });

  it('broadcast gradients are summed back to each input shape', async () => {
    const x = param([[1], [2], [3]]);
    const y = param([[1, 2, 3, 4]]);
    x.mul(y).sum().backward();
    expect(x.grad!.shape).toEqual([3, 1]);
    expect(y.grad!.shape).toEqual([1, 4]);
    await expect(x.grad!).toBeAllClose([[10], [10], [10]]);
    await expect(y.grad!).toBeAllClose([[6, 6, 6, 6]]);
    const a = param([[1], [2], [3]]);
    const b = param([5, 6, 7, 8]);
    a.add(b).sum().backward();
    await expect(a.grad!).toBeAllClose([[4], [4], [4]]);
    await expect(b.grad!).toBeAllClose([3, 3, 3, 3]);
  });

  it('a diamond graph (a value used twice) accumulates both paths', async () => {
    const x = param([1, 2, 3]);
    x.mul(x).add(x).sum().backward();
    await expect(x.grad!).toBeAllClose([3, 5, 7]);
    const z = param([1, 2, 3]);
    const a = z.mul(2);
    a.exp().mul(a.sin()).sum().backward(); // d/dz e^{2z} sin 2z = 2 e^{2z}(sin 2z + cos 2z)
    expect(await z.grad!.data()).toBeAllClose(
      [1, 2, 3].map((v) => 2 * Math.exp(2 * v) * (Math.sin(2 * v) + Math.cos(2 * v))),
      { rtol: 1e-4 },
    );
  });

  it('backward still works after the user disposed intermediates', async () => {
    const x = param([0.5, 1]);
    const h = x.mul(2);
    const y = h.exp().sum();
    h.dispose();
    y.backward();
    expect(await x.grad!.data()).toBeAllClose([2 * Math.exp(1), 2 * Math.exp(2)], { rtol: 1e-5 });
  });

  it('only float32 leaves can require grad; only leaves can change the flag', () => {
    expect(() => tensor([1, 2], { device, dtype: 'int32', requiresGrad: true })).toThrow(DTypeError);
    const i = tensor([1, 2], { device, dtype: 'int32' });
    expect(() => {
      i.requiresGrad = true;
    }).toThrow(/^requiresGrad: only float32 tensors can require gradients, got int32/);
    expect(() => zeros([2], { device, dtype: 'bool', requiresGrad: true })).toThrow(DTypeError);
    const y = param([1]).mul(2);
    expect(() => {
      y.requiresGrad = false;
    }).toThrow(ArgumentError);
  });

  it('gradcheck passes a correct gradient and reports a wrong one', () => {
    const x = tensor([0.5, -1, 2], { device });
    const good = gradcheck((t) => t.mul(t).sum(), [x]);
    expect(good.ok).toBe(true);
    expect(good.mismatches).toEqual([]);
    expect(good.maxError).toBeLessThan(1e-2);
    // x.detach()·x: the analytic gradient misses the detached factor's term (x instead of 2x)
    const bad = gradcheck((t) => t.detach().mul(t).sum(), [x]);
    expect(bad.ok).toBe(false);
    expect(bad.mismatches.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(bad.mismatches.map((m) => m.analytic)).toBeAllClose([0.5, -1, 2]);
    expect(bad.mismatches.map((m) => m.numeric)).toBeAllClose([1, -2, 4], { rtol: 1e-2, atol: 1e-2 });
    expect(bad.maxError).toBeGreaterThan(1.9);
    expect(bad.maxError).toBeLessThan(2.1);
  });

  it('gradcheck rejects non-scalar outputs and non-float inputs', () => {
    expect(() => gradcheck((t) => t.mul(2), [tensor([1, 2], { device })])).toThrow(ShapeError);
    expect(() => gradcheck((t) => t.sum(), [tensor([1, 2], { device, dtype: 'int32' })])).toThrow(
      /^gradcheck: inputs must be float32 CPU tensors, got int32 on cpu/,
    );
  });
});
