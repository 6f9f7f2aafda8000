import { expect, it } from 'vitest';
import { type DeviceName, tensor, arange, pad, tile, repeat, ArgumentError, ShapeError } from '../../src/index';
import { expectGradcheck, describeOnCpu, randomTensor, weightedSum } from '../helpers';

describeOnCpu('pad', (device: DeviceName) => {
  const t = (v: number[] | number[][] | number[][][]) => tensor(v, { device });
  const grid = () =>
    t([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
  const leaf = (shape: number[], seed = 1) => randomTensor(device, shape, seed);

  it('constant: zeros by default, a fill value, several dims as [left, right, top, bottom]', async () => {
    await expect(pad(t([[1, 2]]), [1, 1])).toBeAllClose([[0, 1, 2, 0]]);
    await expect(
      t([
        [1, 2],
        [3, 4],
      ]).pad([1, 0, 0, 1], { value: 9 }),
    ).toBeAllClose([
      [9, 1, 2],
      [9, 3, 4],
      [9, 9, 9],
    ]);
    const y = t([
      [1, 2],
      [3, 4],
    ]).pad([0, 1, 2, 0], { mode: 'constant', value: -1 });
    expect(y.shape).toEqual([4, 3]);
    await expect(y).toBeAllClose([
      [-1, -1, -1],
      [-1, -1, -1],
      [1, 2, -1],
      [3, 4, -1],
    ]);
    const z = t([[[1, 2]], [[3, 4]]]).pad([1, 0, 0, 0, 1, 0]);
    expect(z.shape).toEqual([3, 1, 3]);
    await expect(z).toBeAllClose([[[0, 0, 0]], [[0, 1, 2]], [[0, 3, 4]]]);
  });

  it('constant: negative padding crops, mixed with positive padding', async () => {
    await expect(pad(arange(5, undefined, 1, { device }).reshape([1, 5]), [-1, 2])).toBeAllClose([[1, 2, 3, 4, 0, 0]]);
    await expect(grid().pad([0, 0, -1, -1])).toBeAllClose([[4, 5, 6]]);
    await expect(grid().pad([-2, 1, 1, -2], { value: 5 })).toBeAllClose([
      [5, 5],
      [3, 5],
    ]);
    expect(() => grid().pad([-2, -2])).toThrow(ShapeError);
    expect(() => grid().pad([-2, -2])).toThrow(/^pad: negative padding \[-2,-2\] crops more than dim 1 of \[3,3\]/);
  });

  it('constant: zero padding is a copy', async () => {
    const x = t([1, 2]);
    const y = x.pad([0, 0]);
    expect(y).not.toBe(x);
    x.assign(0);
    await expect(y).toBeAllClose([1, 2]);
  });

  it('reflect mirrors without repeating the edge', async () => {
    await expect(t([1, 2, 3, 4]).pad([2, 1], { mode: 'reflect' })).toBeAllClose([3, 2, 1, 2, 3, 4, 3]);
    await expect(t([[1, 2, 3]]).pad([2, 0], { mode: 'reflect' })).toBeAllClose([[3, 2, 1, 2, 3]]);
    await expect(grid().pad([1, 1, 1, 1], { mode: 'reflect' })).toBeAllClose([
      [5, 4, 5, 6, 5],
      [2, 1, 2, 3, 2],
      [5, 4, 5, 6, 5],
      [8, 7, 8, 9, 8],
      [5, 4, 5, 6, 5],
    ]);
    await expect(grid().pad([0, 2], { mode: 'reflect' })).toBeAllClose([
      [1, 2, 3, 2, 1],
      [4, 5, 6, 5, 4],
      [7, 8, 9, 8, 7],
    ]);
  });

  it('replicate repeats the edge value', async () => {
    await expect(t([1, 2, 3]).pad([2, 1], { mode: 'replicate' })).toBeAllClose([1, 1, 1, 2, 3, 3]);
    await expect(grid().pad([1, 0, 0, 2], { mode: 'replicate' })).toBeAllClose([
      [1, 1, 2, 3],
      [4, 4, 5, 6],
      [7, 7, 8, 9],
      [7, 7, 8, 9],
      [7, 7, 8, 9],
    ]);
    await expect(t([4]).pad([3, 2], { mode: 'replicate' })).toBeAllClose([4, 4, 4, 4, 4, 4]);
  });

  it('circular wraps around', async () => {
    await expect(t([1, 2, 3]).pad([2, 1], { mode: 'circular' })).toBeAllClose([2, 3, 1, 2, 3, 1]);
    await expect(t([1, 2, 3]).pad([3, 0], { mode: 'circular' })).toBeAllClose([1, 2, 3, 1, 2, 3]);
    await expect(grid().pad([0, 1, 1, 0], { mode: 'circular' })).toBeAllClose([
      [7, 8, 9, 7],
      [1, 2, 3, 1],
      [4, 5, 6, 4],
      [7, 8, 9, 7],
    ]);
  });

  it('rejects odd or too long padding, and reflect/circular amounts beyond the size', () => {
    expect(() => t([1, 2, 3]).pad([1])).toThrow(ArgumentError);
    expect(() => t([1, 2, 3]).pad([1, 1, 1])).toThrow(/^pad: padding must be integer pairs for at most 1 dims, got \[1,1,1\]/);
    expect(() => t([1, 2, 3]).pad([1, 1, 1, 1])).toThrow(ArgumentError);
    expect(() => t([1, 2, 3]).pad([3, 0], { mode: 'reflect' })).toThrow(ShapeError);
    expect(() => t([1, 2, 3]).pad([0, 3], { mode: 'reflect' })).toThrow(/^pad: reflect padding 0,3 is invalid for dim 0 of size 3 \(expected 0..2\)/);
    expect(() => t([1, 2, 3]).pad([4, 0], { mode: 'circular' })).toThrow(/^pad: circular padding 4,0 is invalid/);
    expect(() => t([1, 2, 3]).pad([-1, 0], { mode: 'replicate' })).toThrow(ShapeError);
    expect(() => t([1, 2, 3]).pad([1, 0], { mode: 'wrap' as 'reflect' })).toThrow(/^pad: unknown mode 'wrap'/);
  });

  it('a disposed input is reported as pad/tile/repeat', () => {
    const x = t([1, 2, 3]);
    x.dispose();
    expect(() => x.pad([1, 1], { mode: 'reflect' })).toThrow(/^pad: tensor was disposed/);
    expect(() => x.tile([2])).toThrow(/^tile: tensor was disposed/);
    expect(() => x.repeat([2])).toThrow(/^repeat: tensor was disposed/);
  });

  it('gradients of every mode', () => {
    expectGradcheck((x) => weightedSum(x.pad([1, 2, 0, 1], { value: 3 })), [leaf([2, 3], 1)]);
    expectGradcheck((x) => weightedSum(x.pad([-1, 1, 1, -1])), [leaf([3, 3], 2)]);
    expectGradcheck((x) => weightedSum(x.pad([2, 1, 1, 2], { mode: 'reflect' })), [leaf([3, 4], 3)]);
    expectGradcheck((x) => weightedSum(x.pad([2, 1, 1, 0], { mode: 'replicate' })), [leaf([2, 3], 4)]);
    expectGradcheck((x) => weightedSum(x.pad([3, 2, 1, 1], { mode: 'circular' })), [leaf([2, 3], 5)]);
  });

  it('tile repeats the whole tensor, with fewer or more reps than dims', async () => {
    await expect(tile(t([1, 2]), [2])).toBeAllClose([1, 2, 1, 2]);
    const y = t([1, 2]).tile([2, 1]);
    expect(y.shape).toEqual([2, 2]);
    await expect(y).toBeAllClose([
      [1, 2],
      [1, 2],
    ]);
    await expect(
      t([
        [1, 2],
        [3, 4],
      ]).tile([2]),
    ).toBeAllClose([
      [1, 2, 1, 2],
      [3, 4, 3, 4],
    ]);
    await expect(
      t([
        [1, 2],
        [3, 4],
      ]).tile([2, 1]),
    ).toBeAllClose([
      [1, 2],
      [3, 4],
      [1, 2],
      [3, 4],
    ]);
    const z = t([
      [1, 2],
      [3, 4],
    ]).tile([2, 1, 2]);
    expect(z.shape).toEqual([2, 2, 4]);
    await expect(z.narrow(0, 1, 1)).toBeAllClose([
      [
        [1, 2, 1, 2],
        [3, 4, 3, 4],
      ],
    ]);
    expect(t([1, 2]).tile([3, 0]).shape).toEqual([3, 0]);
    expect(() => t([1, 2]).tile([-1])).toThrow(ArgumentError);
  });

  it('repeat needs at least one rep per dim', async () => {
    await expect(repeat(t([[1, 2]]), [2, 2])).toBeAllClose([
      [1, 2, 1, 2],
      [1, 2, 1, 2],
    ]);
    const y = t([1, 2]).repeat([2, 1, 2]);
    expect(y.shape).toEqual([2, 1, 4]);
    await expect(y).toBeAllClose([[[1, 2, 1, 2]], [[1, 2, 1, 2]]]);
    expect(() => t([[1, 2]]).repeat([2])).toThrow(ShapeError);
    expect(() => t([[1, 2]]).repeat([2])).toThrow(/^repeat: reps \[2\] must have at least as many entries/);
  });

  it('gradients of tile and repeat sum the copies', async () => {
    expectGradcheck((x) => weightedSum(x.tile([2, 1, 3])), [leaf([2, 2], 6)]);
    expectGradcheck((x) => weightedSum(x.repeat([3, 2])), [leaf([1, 3], 7)]);
    const x = tensor([1, 2], { device, requiresGrad: true });
    x.tile([3, 2]).sum().backward();
    await expect(x.grad!).toBeAllClose([6, 6]);
  });
});
