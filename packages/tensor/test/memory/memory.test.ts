import { expect, it } from 'vitest';
import { type DeviceName, type Tensor, tensor, zeros, ones, memory, scope, keep, noGrad, ArgumentError, DisposedError } from '../../src/index';
import { describeOnCpu, randomValues } from '../helpers';

/** Change in live tensors and bytes since `before`. */
function delta(before: { tensors: number; bytes: number }): { tensors: number; bytes: number } {
  const now = memory();
  return { tensors: now.tensors - before.tensors, bytes: now.bytes - before.bytes };
}

describeOnCpu('memory', (device: DeviceName) => {
  it('memory() counts live tensors and their bytes, per device too', () => {
    const before = memory();
    const a = zeros([10], { device });
    const b = ones([3], { device, dtype: 'int32' });
    const c = zeros([5], { device, dtype: 'bool' });
    expect(delta(before)).toEqual({ tensors: 3, bytes: 40 + 12 + 5 });
    expect(memory().devices[device].bytes - before.devices[device].bytes).toBe(57);
    const v = a.reshape([2, 5]); // a view: a tensor, no new bytes
    expect(delta(before)).toEqual({ tensors: 4, bytes: 57 });
    for (const t of [a, b, c, v]) t.dispose();
    expect(delta(before)).toEqual({ tensors: 0, bytes: 0 });
  });

  it('dispose frees now, twice is safe, and views keep shared memory alive', async () => {
    const before = memory();
    const a = tensor([1, 2, 3, 4], { device });
    const v = a.reshape([2, 2]);
    a.dispose();
    expect(a.isDisposed).toBe(true);
    expect(delta(before)).toEqual({ tensors: 1, bytes: 16 });
    await expect(v).toBeAllClose([
      [1, 2],
      [3, 4],
    ]);
    v.dispose();
    v.dispose();
    a.dispose();
    expect(delta(before)).toEqual({ tensors: 0, bytes: 0 });
    expect(String(a)).toBe('tensor(<disposed>)');
  });

  it('scope frees temporaries and keeps the returned tensor, array or object', async () => {
    const before = memory();
    const y = scope(() => ones([4], { device }).mul(2).add(1));
    expect(delta(before)).toEqual({ tensors: 1, bytes: 16 });
    await expect(y).toBeAllClose([3, 3, 3, 3]);
    const [p, q] = scope(() => {
      const t = tensor([1, 2], { device });
      return [t.mul(3), t.add(1), 'label'] as const;
    });
    expect(delta(before)).toEqual({ tensors: 3, bytes: 32 });
    const o = scope(() => ({ sum: p.add(q), nested: { prod: p.mul(q) }, n: 5 }));
    expect(delta(before)).toEqual({ tensors: 5, bytes: 48 });
    await expect(o.sum).toBeAllClose([5, 9]);
    await expect(o.nested.prod).toBeAllClose([6, 18]);
    for (const t of [y, p, q, o.sum, o.nested.prod]) t.dispose();
    expect(delta(before)).toEqual({ tensors: 0, bytes: 0 });
    expect(scope(() => 7)).toBe(7);
  });

  it('nested scopes hand returned tensors to the enclosing scope', () => {
    const before = memory();
    let inner!: Tensor;
    const outer = scope(() => {
      inner = scope(() => zeros([2], { device }).add(1));
      expect(delta(before)).toEqual({ tensors: 1, bytes: 8 });
      zeros([8], { device });
      return inner.mul(2);
    });
    expect(inner.isDisposed).toBe(true); // moved to the outer scope, which did not return it
    expect(outer.isDisposed).toBe(false);
    expect(delta(before)).toEqual({ tensors: 1, bytes: 8 });
    outer.dispose();
  });

  it('keep() lets a tensor outlive its scope', () => {
    const before = memory();
    let kept!: Tensor;
    let dropped!: Tensor;
    scope(() => {
      kept = keep(ones([3], { device }));
      dropped = zeros([3], { device });
    });
    expect(kept.isDisposed).toBe(false);
    expect(dropped.isDisposed).toBe(true);
    expect(delta(before)).toEqual({ tensors: 1, bytes: 12 });
    kept.dispose();
  });

  it('a throwing fn still frees its tensors; an async fn is an ArgumentError', () => {
    const before = memory();
    let inside!: Tensor;
    expect(() =>
      scope(() => {
        inside = ones([5], { device }).mul(3);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(inside.isDisposed).toBe(true);
    expect(delta(before)).toEqual({ tensors: 0, bytes: 0 });
    expect(() => scope(async () => ones([2], { device }))).toThrow(ArgumentError);
    expect(() => scope(async () => 1)).toThrow(/^scope: received an async function/);
    // a plain function that returns a Promise is caught after it runs, and its tensors are freed
    expect(() => scope(() => Promise.resolve(ones([2], { device })))).toThrow(/^scope: the function returned a Promise/);
    expect(delta(before)).toEqual({ tensors: 0, bytes: 0 });
  });

  it('use after dispose is a DisposedError naming the operation', async () => {
    const x = tensor([1, 2], { device });
    x.dispose();
    expect(() => x.add(1)).toThrow(DisposedError);
    expect(() => x.add(1)).toThrow(/^add: tensor was disposed/);
    const other = tensor([1, 2], { device });
    expect(() => other.mul(x)).toThrow(/^mul: tensor was disposed/);
    other.dispose();
    expect(() => x.reshape([2, 1])).toThrow(/^reshape: tensor was disposed/);
    expect(() => x.matmul(x)).toThrow(/^matmul: tensor was disposed/);
    await expect(x.data()).rejects.toThrow(DisposedError);
    await expect(x.data()).rejects.toThrow(/^data: tensor was disposed/);
    await expect(x.toArray()).rejects.toThrow(/^toArray: tensor was disposed/);
    const s = tensor(3, { device });
    s.dispose();
    await expect(s.item()).rejects.toThrow(/^item: tensor was disposed/);
    expect(() => x.to('int32')).toThrow(/^to: tensor was disposed/);
    expect(() => x.assign(1)).toThrow(/^assign: tensor was disposed/);
  });

  it('a loss returned from a scope can still be differentiated', async () => {
    const w = tensor([1, -2, 3], { device, requiresGrad: true });
    const before = memory();
    const loss = scope(() => {
      const x = tensor([2, 3, 4], { device });
      const y = x.mul(w);
      return y.mul(y).sum(); // Σ (x·w)², d/dw = 2·x²·w
    });
    // one live tensor (the loss, 4 bytes); the graph holds x, x·w and (x·w)² (12 bytes each) for backward
    expect(delta(before)).toEqual({ tensors: 1, bytes: 4 + 3 * 12 });
    loss.backward();
    await expect(w.grad!).toBeAllClose([8, -36, 96]);
    loss.dispose();
    expect(delta(before)).toEqual({ tensors: 1, bytes: 12 }); // only w.grad remains
    w.dispose(); // also frees w.grad
    expect(delta(before)).toEqual({ tensors: -1, bytes: -12 });
  });

  it('1,000 training steps of a small MLP inside scope leak nothing, and the loss decreases', async () => {
    // no undisposed garbage before the first reading: the GC safety net could otherwise change the counts mid-loop
    const matrix = (rows: number, cols: number, seed: number, scale: number) =>
      scope(() =>
        tensor(randomValues(rows * cols, seed, -scale, scale), { device })
          .reshape([rows, cols])
          .clone(),
      );
    const x = matrix(16, 8, 1, 1);
    const target = matrix(16, 4, 2, 1);
    const w1 = matrix(8, 32, 3, 0.5);
    const w2 = matrix(32, 4, 4, 0.3);
    const params = [w1, w2];
    for (const p of params) p.requiresGrad = true;
    const lr = 0.1;
    const before = memory();
    const losses: number[] = [];
    for (let step = 0; step < 1000; step++) {
      const loss = scope(() => {
        const l = x.matmul(w1).relu().matmul(w2).sub(target).pow(2).mean();
        l.backward();
        noGrad(() => {
          for (const p of params) p.assign(p.sub(p.grad!.mul(lr)));
        });
        for (const p of params) {
          p.grad?.dispose();
          p.grad = null;
        }
        return l;
      });
      if (step === 0 || step === 999) losses.push(await loss.item());
      loss.dispose();
    }
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    expect(losses[0]).toBeGreaterThan(0.2);
    expect(losses[1]).toBeLessThan(losses[0] * 0.1);
  });
});
