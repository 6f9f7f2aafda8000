import { describe, expect, it } from 'vitest';
import { memory, randn, tensor } from '../../src/index';

// Tensor._replaceWith is internal (Module.to moves parameters with it); these CPU checks pin its
// bookkeeping: storage references, tensor counts, layout, autograd state. Module.to's
// CPU↔WebGPU tests live in nn's test/module-to.test.ts.
describe('Tensor._replaceWith', () => {
  it('takes over the other tensor’s memory and layout, disposing it; counts stay flat', () => {
    const before = memory();
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const base = tensor([
      [10, 20],
      [30, 40],
      [50, 60],
    ]);
    const moved = base.transpose(0, 1); // a strided view of base's storage
    const afterCreate = memory();
    x._replaceWith(moved);
    expect(moved.isDisposed).toBe(true);
    expect(x.isDisposed).toBe(false);
    expect(x.requiresGrad).toBe(true);
    expect(x.strides).toEqual([1, 2]);
    expect(Array.from(x.dataSync())).toEqual([10, 30, 50, 20, 40, 60]);
    // one tensor (moved) gone, x's old 24 bytes freed; the [3, 2] storage now belongs to x
    expect(memory().tensors).toBe(afterCreate.tensors - 1);
    expect(memory().bytes).toBe(afterCreate.bytes - 24);
    x.dispose();
    expect(Array.from(base.dataSync())).toEqual([10, 20, 30, 40, 50, 60]); // base still owns its memory too
    base.dispose();
    expect(memory()).toEqual(before);
  });

  it('turns a non-leaf into a leaf that does not require grad, and checks shape, dtype and disposal', () => {
    const before = memory();
    const w = randn([2], { requiresGrad: true });
    const y = w.mul(2);
    expect(y.isLeaf).toBe(false);
    y._replaceWith(tensor([7, 8]));
    expect(y.isLeaf).toBe(true);
    expect(y.requiresGrad).toBe(false);
    const long = tensor([1, 2, 3]);
    const ints = tensor([1, 2], { dtype: 'int32' });
    expect(() => y._replaceWith(long)).toThrow('_replaceWith: expected a float32 tensor of shape [2], got float32 [3]');
    expect(() => y._replaceWith(ints)).toThrow('_replaceWith: expected a float32 tensor of shape [2], got int32 [2]');
    expect(long.isDisposed || ints.isDisposed).toBe(false);
    const gone = tensor([1, 2]);
    gone.dispose();
    expect(() => y._replaceWith(gone)).toThrow('_replaceWith: tensor was disposed');
    for (const t of [w, y, long, ints]) t.dispose();
    expect(memory()).toEqual(before);
  });
});
