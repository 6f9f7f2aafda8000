import { expect, it } from 'vitest';
import { type DeviceName, tensor, arange, zeros, ones, ArgumentError, ShapeError } from '../../src/index';
import * as ops from '../../src/index';
import { expectGradcheck, describeOnCpu, randomTensor, weightedSum } from '../helpers';

describeOnCpu('movement', (device: DeviceName) => {
  const ar = (n: number) => arange(n, undefined, 1, { device });
  const t = (v: Parameters<typeof tensor>[0], dtype?: 'int32' | 'bool' | 'float32') => tensor(v, { device, dtype });
  const leaf = (shape: number[], seed = 1) => randomTensor(device, shape, seed);

  it('reshape infers -1 and keeps the row-major order', async () => {
    const y = ops.reshape(ar(6), [2, -1]);
    expect(y.shape).toEqual([2, 3]);
    await expect(y).toBeAllClose([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    await expect(ar(6).reshape([-1, 2, 1])).toBeAllClose([
      [[0], [1]],
      [[2], [3]],
      [[4], [5]],
    ]);
    expect(() => ar(6).reshape([4, -1])).toThrow(ShapeError);
    expect(() => ar(6).reshape([-1, -1])).toThrow(/^reshape: only one dimension can be -1/);
    expect(() => ar(6).reshape([5])).toThrow(/^reshape: cannot reshape \[6\]/);
  });

  it('reshape of a contiguous tensor is a view that shares memory; of a transposed one a copy', async () => {
    const x = ar(6);
    const y = x.reshape([2, 3]);
    x.assign(t([10, 11, 12, 13, 14, 15]));
    await expect(y).toBeAllClose([
      [10, 11, 12],
      [13, 14, 15],
    ]);
    const tr = ar(6).reshape([2, 3]).transpose(0, 1);
    const copy = tr.reshape([6]);
    await expect(copy).toBeAllClose([0, 3, 1, 4, 2, 5]);
    tr.assign(-1);
    await expect(copy).toBeAllClose([0, 3, 1, 4, 2, 5]);
  });

  it('view shares memory and refuses non-contiguous tensors', async () => {
    const x = ar(6);
    const v = ops.view(x, [3, 2]);
    v.assign(2);
    await expect(x).toBeAllClose([2, 2, 2, 2, 2, 2]);
    const tr = ar(6).reshape([2, 3]).transpose(0, 1);
    expect(() => tr.view([6])).toThrow(ShapeError);
    expect(() => tr.view([6])).toThrow(/^view: tensor \[3,2\] with strides \[1,3\] is not contiguous/);
  });

  it('flatten merges start..end dims, negative dims included', () => {
    const x = zeros([2, 3, 4, 5], { device });
    expect(ops.flatten(x).shape).toEqual([120]);
    expect(x.flatten(1).shape).toEqual([2, 60]);
    expect(x.flatten(1, 2).shape).toEqual([2, 12, 5]);
    expect(x.flatten(-3, -2).shape).toEqual([2, 12, 5]);
    expect(x.flatten(0, -2).shape).toEqual([24, 5]);
    expect(t(3).flatten().shape).toEqual([1]);
    expect(() => x.flatten(2, 1)).toThrow(ArgumentError);
    expect(() => x.flatten(4)).toThrow(/^flatten: dim 4 out of range/);
  });

  it('permute and transpose reorder dims', async () => {
    const x = ar(24).reshape([2, 3, 4]);
    const p = ops.permute(x, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.strides).toEqual([1, 12, 4]);
    await expect(p.narrow(0, 1, 1)).toBeAllClose([
      [
        [1, 5, 9],
        [13, 17, 21],
      ],
    ]);
    await expect(ops.transpose(ar(6).reshape([2, 3]), 0, 1)).toBeAllClose([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    await expect(x.transpose(-1, 0).narrow(0, 3, 1).narrow(1, 2, 1)).toBeAllClose([[[11, 23]]]);
    expect(() => x.permute([0, 0, 1])).toThrow(/^permute: dims \[0,0,1\] are not a permutation/);
    expect(() => x.permute([0, 1])).toThrow(ShapeError);
  });

  it('squeeze removes all size-1 dims, the given ones, and leaves other sizes alone', () => {
    const x = zeros([1, 3, 1, 2], { device });
    expect(ops.squeeze(x).shape).toEqual([3, 2]);
    expect(x.squeeze(0).shape).toEqual([3, 1, 2]);
    expect(x.squeeze(-2).shape).toEqual([1, 3, 2]);
    expect(x.squeeze([0, 2]).shape).toEqual([3, 2]);
    expect(x.squeeze(1)).toBe(x);
    expect(x.squeeze(1).shape).toEqual([1, 3, 1, 2]);
    expect(() => x.squeeze(4)).toThrow(/^squeeze: dim 4 out of range/);
  });

  it('unsqueeze inserts size-1 dims at 0 and -1', async () => {
    const x = ar(3);
    expect(ops.unsqueeze(x, 0).shape).toEqual([1, 3]);
    expect(x.unsqueeze(-1).shape).toEqual([3, 1]);
    await expect(x.unsqueeze(-1)).toBeAllClose([[0], [1], [2]]);
    expect(ar(6).reshape([2, 3]).unsqueeze(1).shape).toEqual([2, 1, 3]);
    expect(t(5).unsqueeze(0).shape).toEqual([1]);
    expect(() => x.unsqueeze(3)).toThrow(/^unsqueeze: dim 3 out of range/);
  });

  it('expand broadcasts with -1 and new leading dims, and rejects bad sizes', async () => {
    const x = t([[1], [2]]);
    const y = ops.expand(x, [2, 3]);
    expect(y.strides).toEqual([1, 0]);
    await expect(y).toBeAllClose([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    await expect(x.expand([2, -1, 2])).toBeAllClose([
      [
        [1, 1],
        [2, 2],
      ],
      [
        [1, 1],
        [2, 2],
      ],
    ]);
    expect(x.expand([2, 1])).toBe(x);
    expect(() => x.expand([3, 3])).toThrow(ShapeError);
    expect(() => x.expand([3, 3])).toThrow(/^expand: cannot expand \[2,1\] to \[3,3\] \(dim 0: 2 → 3\)/);
    expect(() => x.expand([2])).toThrow(/^expand: cannot expand \[2,1\] to fewer dims/);
  });

  it('narrow selects a range, negative start counts from the end', async () => {
    await expect(ops.narrow(ar(5), 0, 1, 3)).toBeAllClose([1, 2, 3]);
    await expect(ar(5).narrow(0, -2, 2)).toBeAllClose([3, 4]);
    await expect(ar(6).reshape([2, 3]).narrow(1, 1, 2)).toBeAllClose([
      [1, 2],
      [4, 5],
    ]);
    expect(ar(5).narrow(0, 5, 0).shape).toEqual([0]);
    expect(() => ar(5).narrow(0, 3, 3)).toThrow(/^narrow: start 3 and length 3 do not fit dim 0 of size 5/);
  });

  it('slice handles negative bounds, steps and clipping like Python', async () => {
    const x = ar(10);
    await expect(ops.slice(x, 0, -3)).toBeAllClose([7, 8, 9]);
    await expect(x.slice(0, 2, -2)).toBeAllClose([2, 3, 4, 5, 6, 7]);
    await expect(x.slice(0, 2, 8, 3)).toBeAllClose([2, 5]);
    await expect(x.slice(0, 1, undefined, 4)).toBeAllClose([1, 5, 9]);
    await expect(x.slice(0, -100, 100)).toBeAllClose([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(x.slice(0, 8, 2).shape).toEqual([0]);
    expect(x.slice(0, 20).shape).toEqual([0]);
    await expect(ar(12).reshape([3, 4]).slice(1, 0, 4, 2)).toBeAllClose([
      [0, 2],
      [4, 6],
      [8, 10],
    ]);
    await expect(ar(12).reshape([3, 4]).slice(-2, 1)).toBeAllClose([
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    expect(() => x.slice(0, 0, 5, 0)).toThrow(/^slice: step must be a positive integer, got 0/);
    expect(() => x.slice(0, 0, 5, -1)).toThrow(ArgumentError);
  });

  it('cat joins along dims 0, 1 and -1, with zero-size parts', async () => {
    const a = t([
      [1, 2],
      [3, 4],
    ]);
    const b = t([[5, 6]]);
    await expect(ops.cat([a, b], 0)).toBeAllClose([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    await expect(ops.cat([a, t([[7], [8]])], 1)).toBeAllClose([
      [1, 2, 7],
      [3, 4, 8],
    ]);
    await expect(ops.cat([a, a], -1)).toBeAllClose([
      [1, 2, 1, 2],
      [3, 4, 3, 4],
    ]);
    const empty = zeros([0, 2], { device });
    const c = ops.cat([empty, b, empty], 0);
    expect(c.shape).toEqual([1, 2]);
    await expect(c).toBeAllClose([[5, 6]]);
    await expect(ops.cat([ar(3).narrow(0, 1, 0), ar(2)])).toBeAllClose([0, 1]);
  });

  it('cat promotes dtypes and rejects mismatched shapes', async () => {
    const f = ops.cat([t([1.5]), t([2, 3], 'int32')]);
    expect(f.dtype).toBe('float32');
    await expect(f).toBeAllClose([1.5, 2, 3]);
    const i = ops.cat([t([true, false]), t([7], 'int32')]);
    expect(i.dtype).toBe('int32');
    await expect(i).toBeAllClose([1, 0, 7]);
    expect(() => ops.cat([zeros([2, 3], { device }), zeros([2, 4], { device })], 0)).toThrow(ShapeError);
    expect(() => ops.cat([zeros([2, 3], { device }), zeros([2, 4], { device })], 0)).toThrow(/^cat: shapes must match except in dim 0: \[2,3\], \[2,4\]/);
    expect(() => ops.cat([zeros([2], { device }), zeros([1, 2], { device })])).toThrow(/^cat:/);
    expect(() => ops.cat([])).toThrow(ArgumentError);
  });

  it('stack joins equal shapes along a new dim', async () => {
    const a = t([1, 2, 3]);
    const b = t([4, 5, 6]);
    await expect(ops.stack([a, b])).toBeAllClose([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await expect(ops.stack([a, b], 1)).toBeAllClose([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    await expect(ops.stack([a, b], -1)).toBeAllClose([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(() => ops.stack([a, t([1, 2])])).toThrow(/^stack: all tensors must have the same shape, got \[3\], \[2\]/);
  });

  it('split by size and by sections; chunk splits unevenly', async () => {
    const parts = ops.split(ar(5), 2);
    expect(parts.map((p) => p.shape[0])).toEqual([2, 2, 1]);
    await expect(parts[2]).toBeAllClose([4]);
    const secs = ar(12).reshape([2, 6]).split([1, 3, 2], 1);
    expect(secs.map((p) => p.shape)).toEqual([
      [2, 1],
      [2, 3],
      [2, 2],
    ]);
    await expect(secs[1]).toBeAllClose([
      [1, 2, 3],
      [7, 8, 9],
    ]);
    expect(() => ar(5).split([2, 2])).toThrow(ShapeError);
    expect(() => ar(5).split([2, 2])).toThrow(/^split: sections \[2,2\] must be non-negative and sum to 5/);
    expect(() => ar(5).split(0)).toThrow(ArgumentError);
    const ch = ops.chunk(ar(5), 3);
    expect(ch.map((p) => p.shape[0])).toEqual([2, 2, 1]);
    await expect(ch[1]).toBeAllClose([2, 3]);
    expect(
      ar(6)
        .chunk(4)
        .map((p) => p.shape[0]),
    ).toEqual([2, 2, 2]);
    expect(
      ar(2)
        .chunk(5)
        .map((p) => p.shape[0]),
    ).toEqual([1, 1]);
  });

  it('contiguous returns the same tensor when already contiguous, else a row-major copy', async () => {
    const x = ar(6).reshape([2, 3]);
    expect(ops.contiguous(x)).toBe(x);
    const tr = x.transpose(0, 1);
    const c = tr.contiguous();
    expect(c).not.toBe(tr);
    expect(c.strides).toEqual([2, 1]);
    await expect(c).toBeAllClose([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
  });

  it('clone copies into independent memory', async () => {
    const x = t([1, 2, 3]);
    const y = ops.clone(x);
    x.assign(0);
    await expect(y).toBeAllClose([1, 2, 3]);
    const i = t([4, 5], 'int32').clone();
    expect(i.dtype).toBe('int32');
  });

  it("to('int32') truncates toward zero, bool conversions map to 0/1", async () => {
    const x = t([-2.7, -0.5, 0, 0.9, 3.99, 7]);
    const i = x.to('int32');
    expect(i.dtype).toBe('int32');
    expect(Array.from(await i.data())).toEqual([-2, 0, 0, 0, 3, 7]);
    expect(x.to('float32')).toBe(x);
    const back = i.to('float32');
    expect(back.dtype).toBe('float32');
    await expect(back).toBeAllClose([-2, 0, 0, 0, 3, 7]);
    const b = t([0, -1.5, 2, 0.001]).to('bool');
    expect(b.dtype).toBe('bool');
    expect(await b.toArray()).toEqual([false, true, true, true]);
    await expect(t([true, false, true]).to('float32')).toBeAllClose([1, 0, 1]);
    expect(Array.from(await t([true, false]).to('int32').data())).toEqual([1, 0]);
  });

  it('assign broadcasts tensors, fills numbers, casts, and writes through views', async () => {
    const x = zeros([2, 3], { device });
    ops.assign(x, t([1, 2, 3]));
    await expect(x).toBeAllClose([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    x.assign(t([[10], [20]]));
    await expect(x).toBeAllClose([
      [10, 10, 10],
      [20, 20, 20],
    ]);
    x.assign(-4.5);
    await expect(x).toBeAllClose([
      [-4.5, -4.5, -4.5],
      [-4.5, -4.5, -4.5],
    ]);
    x.slice(1, 0, 3, 2).assign(t([7, 8], 'int32').reshape([2, 1]));
    await expect(x).toBeAllClose([
      [7, -4.5, 7],
      [8, -4.5, 8],
    ]);
    const i = zeros([2], { device, dtype: 'int32' }).assign(t([1.9, -1.9]));
    expect(Array.from(await i.data())).toEqual([1, -1]);
    expect(() => x.assign(t([1, 2]))).toThrow(ShapeError);
    expect(() => x.assign(ones([3, 2, 3], { device }))).toThrow(/^assign:/);
  });

  it('a disposed input is reported by the op that was called', () => {
    const x = ar(4).reshape([1, 4]);
    x.dispose();
    const y = ar(2);
    expect(() => x.reshape([1, 4])).toThrow(/^reshape: tensor was disposed/);
    expect(() => x.contiguous()).toThrow(/^contiguous: tensor was disposed/);
    expect(() => x.unsqueeze(0)).toThrow(/^unsqueeze: tensor was disposed/);
    expect(() => x.squeeze()).toThrow(/^squeeze: tensor was disposed/);
    expect(() => x.flatten()).toThrow(/^flatten: tensor was disposed/);
    expect(() => x.transpose(0, 1)).toThrow(/^transpose: tensor was disposed/);
    expect(() => x.split(2, 1)).toThrow(/^split: tensor was disposed/);
    expect(() => x.chunk(2, 1)).toThrow(/^chunk: tensor was disposed/);
    expect(() => ops.stack([y, x.reshape([4])])).toThrow(/^reshape: tensor was disposed/);
    expect(() => ops.stack([x, x])).toThrow(/^stack: tensor was disposed/);
  });

  it('gradients through reshape, permute, transpose, expand', () => {
    expectGradcheck((x) => weightedSum(x.reshape([3, -1])), [leaf([2, 3])]);
    expectGradcheck((x) => weightedSum(x.transpose(0, 1).reshape([6])), [leaf([2, 3], 2)]);
    expectGradcheck((x) => weightedSum(x.permute([2, 0, 1])), [leaf([2, 3, 2], 3)]);
    expectGradcheck((x) => weightedSum(x.expand([2, 3, 4])), [leaf([3, 1], 4)]);
  });

  it('gradients through narrow, slice with step 2, squeeze, unsqueeze, clone', () => {
    expectGradcheck((x) => weightedSum(x.narrow(1, 1, 2)), [leaf([2, 4], 5)]);
    expectGradcheck((x) => weightedSum(x.slice(1, 1, undefined, 2)), [leaf([2, 5], 6)]);
    expectGradcheck((x) => weightedSum(x.squeeze().unsqueeze(0)), [leaf([1, 3, 1], 7)]);
    expectGradcheck((x) => weightedSum(x.clone().mul(x)), [leaf([4], 8)]);
  });

  it('gradients through cat, stack and split', () => {
    expectGradcheck((a, b) => weightedSum(ops.cat([a, b], 1)), [leaf([2, 2], 9), leaf([2, 3], 10)]);
    expectGradcheck((a, b) => weightedSum(ops.stack([a, b], 1)), [leaf([3], 11), leaf([3], 12)]);
    expectGradcheck(
      (x) => {
        const [p, q, r] = x.split([1, 2, 2], 0);
        return weightedSum(p, 1).add(weightedSum(q, 2).mul(q.sum())).add(weightedSum(r, 3));
      },
      [leaf([5, 2], 13)],
    );
  });
});
