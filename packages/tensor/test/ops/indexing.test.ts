import { expect, it } from 'vitest';
import {
  type DeviceName,
  tensor,
  zeros,
  ones,
  gather,
  scatterAdd,
  indexSelect,
  embedding,
  oneHot,
  memory,
  ArgumentError,
  DTypeError,
  ShapeError,
} from '../../src/index';
import { expectGradcheck, describeOnCpu, randomTensor, weightedSum } from '../helpers';

describeOnCpu('indexing', (device: DeviceName) => {
  const t = (v: Parameters<typeof tensor>[0]) => tensor(v, { device });
  const idx = (v: Parameters<typeof tensor>[0]) => tensor(v, { device, dtype: 'int32' });
  const leaf = (shape: number[], seed = 1) => randomTensor(device, shape, seed);

  it('gather picks values along a dim; negative indices count from the end', async () => {
    const x = t([
      [1, 2],
      [3, 4],
    ]);
    await expect(gather(x, 1, idx([[1], [0]]))).toBeAllClose([[2], [3]]);
    await expect(x.gather(1, idx([[-1], [-2]]))).toBeAllClose([[2], [3]]);
    await expect(
      x.gather(
        1,
        idx([
          [0, 0, 1],
          [1, 0, 1],
        ]),
      ),
    ).toBeAllClose([
      [1, 1, 2],
      [4, 3, 4],
    ]);
    const y = t([
      [1, 2],
      [3, 4],
      [5, 6],
    ]).gather(
      0,
      idx([
        [2, 0],
        [1, -3],
      ]),
    );
    expect(y.shape).toEqual([2, 2]);
    await expect(y).toBeAllClose([
      [5, 2],
      [3, 2],
    ]);
    await expect(
      t([
        [1, 2],
        [3, 4],
        [5, 6],
      ]).gather(-2, idx([[-1, -1]])),
    ).toBeAllClose([[5, 6]]);
  });

  it('scatterAdd accumulates repeated indices and ignores src beyond the index', async () => {
    await expect(scatterAdd(zeros([3], { device }), 0, idx([0, 0, 2]), t([1, 2, 5]))).toBeAllClose([3, 0, 5]);
    const src = t([
      [1, 2, 100],
      [3, 4, 100],
    ]);
    const y = ones([2, 4], { device }).scatterAdd(
      1,
      idx([
        [0, 3],
        [1, 1],
      ]),
      src,
    );
    await expect(y).toBeAllClose([
      [2, 1, 1, 3],
      [1, 8, 1, 1],
    ]);
    const z = zeros([2, 2], { device }).scatterAdd(
      0,
      idx([
        [1, 1],
        [1, 0],
      ]),
      t([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    await expect(z).toBeAllClose([
      [0, 4],
      [4, 2],
    ]);
    const x = zeros([2], { device });
    x.scatterAdd(0, idx([0]), t([1]));
    await expect(x).toBeAllClose([0, 0]);
  });

  it('indexSelect along dims 0 and 1 with repeated indices', async () => {
    const x = t([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await expect(indexSelect(x, 1, idx([2, 0, 2]))).toBeAllClose([
      [3, 1, 3],
      [6, 4, 6],
    ]);
    const r = x.indexSelect(0, idx([1, 1, 0]));
    expect(r.shape).toEqual([3, 3]);
    await expect(r).toBeAllClose([
      [4, 5, 6],
      [4, 5, 6],
      [1, 2, 3],
    ]);
    expect(x.indexSelect(0, idx([])).shape).toEqual([0, 3]);
    expect(() => x.indexSelect(0, idx([[0]]))).toThrow(/^indexSelect: index must be 1-D, got \[1,1\]/);
  });

  it('embedding looks up rows into [...indices.shape, dim]', async () => {
    const w = t([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = embedding(
      idx([
        [0, 2],
        [1, 0],
      ]),
      w,
    );
    expect(y.shape).toEqual([2, 2, 2]);
    await expect(y).toBeAllClose([
      [
        [1, 2],
        [5, 6],
      ],
      [
        [3, 4],
        [1, 2],
      ],
    ]);
    const s = idx(2).embedding(w);
    expect(s.shape).toEqual([2]);
    await expect(s).toBeAllClose([5, 6]);
    expect(() => embedding(idx([0]), t([1, 2]))).toThrow(/^embedding: weight must be 2-D/);
  });

  it('oneHot with explicit and inferred numClasses', async () => {
    const y = oneHot(idx([0, 2]), 3);
    expect(y.dtype).toBe('int32');
    await expect(y).toBeAllClose([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    const z = idx([[1], [3]]).oneHot();
    expect(z.shape).toEqual([2, 1, 4]);
    await expect(z).toBeAllClose([[[0, 1, 0, 0]], [[0, 0, 0, 1]]]);
    expect(() => oneHot(idx([0, -1]), 3)).toThrow(ArgumentError);
    expect(() => oneHot(idx([0, -1]))).toThrow(/^oneHot: class values must be non-negative, got -1/);
    expect(() => oneHot(idx([0, 3]), 3)).toThrow(/^oneHot: class value 3 is out of range for numClasses 3/);
    expect(() => oneHot(t([0, 1]), 2)).toThrow(DTypeError);
  });

  it('a float index is a DTypeError naming the op', () => {
    const x = t([
      [1, 2],
      [3, 4],
    ]);
    expect(() => x.gather(0, t([[0, 1]]))).toThrow(DTypeError);
    expect(() => x.gather(0, t([[0, 1]]))).toThrow(/^gather: index must be int32, got float32/);
    expect(() => x.scatterAdd(0, t([[0, 1]]), x)).toThrow(/^scatterAdd: index must be int32/);
    expect(() => x.indexSelect(0, t([0]))).toThrow(/^indexSelect: index must be int32/);
    expect(() => embedding(t([0]), x)).toThrow(/^embedding: index must be int32/);
    expect(() => x.scatterAdd(0, idx([[0, 1]]), idx([[0, 1]]))).toThrow(/^scatterAdd: src dtype int32 must match input dtype float32/);
  });

  it('out-of-range index values are ArgumentErrors (and shape misfits ShapeErrors)', () => {
    const x = t([
      [1, 2],
      [3, 4],
    ]);
    expect(() => x.gather(1, idx([[2], [0]]))).toThrow(ArgumentError);
    expect(() => x.gather(1, idx([[2], [0]]))).toThrow(/^gather: index 2 is out of bounds for dim 1 with size 2/);
    expect(() => x.gather(1, idx([[0], [-3]]))).toThrow(/^gather: index -3 is out of bounds/);
    expect(() => zeros([3], { device }).scatterAdd(0, idx([3]), t([1]))).toThrow(/^scatterAdd: index 3 is out of bounds for dim 0 with size 3/);
    expect(() => x.indexSelect(0, idx([0, 5]))).toThrow(ArgumentError);
    expect(() => embedding(idx([3]), t([[1], [2], [3]]))).toThrow(ArgumentError);
    expect(() => x.gather(1, idx([0, 1]))).toThrow(ShapeError);
    expect(() => x.gather(1, idx([[0], [1], [0]]))).toThrow(/^gather: index \[3,1\] must have the input's rank/);
    expect(() => x.scatterAdd(0, idx([[0, 1, 0]]), t([[1, 2]]))).toThrow(ShapeError);
  });

  it('an op that fails on index values does not leak its output', () => {
    const x = t([
      [1, 2],
      [3, 4],
    ]);
    const i = idx([[2], [0]]);
    const before = memory();
    expect(() => x.gather(1, i)).toThrow(ArgumentError);
    expect(() => x.indexSelect(0, idx([7]).reshape([1]))).toThrow(ArgumentError);
    const after = memory();
    expect(after.tensors - before.tensors).toBe(1); // only idx([7]), created after the first reading
    expect(after.bytes - before.bytes).toBe(4);
  });

  it('a disposed input is reported by the op that was called', () => {
    const w = t([
      [1, 2],
      [3, 4],
    ]);
    const i = idx([0]);
    i.dispose();
    expect(() => w.indexSelect(0, i)).toThrow(/^indexSelect: tensor was disposed/);
    expect(() => embedding(i, w)).toThrow(/^embedding: tensor was disposed/);
    expect(() => oneHot(i, 2)).toThrow(/^oneHot: tensor was disposed/);
  });

  it('gradient of gather scatters back (repeated and negative indices)', async () => {
    expectGradcheck(
      (x) =>
        weightedSum(
          x.gather(
            1,
            idx([
              [0, 2, 0, -1],
              [1, 1, 2, 0],
            ]),
          ),
        ),
      [leaf([2, 3], 1)],
    );
    expectGradcheck(
      (x) =>
        weightedSum(
          x.gather(
            0,
            idx([
              [2, 0],
              [2, 1],
            ]),
          ),
        ),
      [leaf([3, 2], 2)],
    );
    const x = tensor([10, 20, 30], { device, requiresGrad: true });
    x.gather(0, idx([2, 2, 0, -1]))
      .sum()
      .backward();
    await expect(x.grad!).toBeAllClose([1, 0, 3]);
  });

  it('gradient of scatterAdd with respect to input and src', async () => {
    const index = idx([
      [0, 2, 0],
      [1, 1, 3],
    ]);
    expectGradcheck((x, src) => weightedSum(x.scatterAdd(1, index, src)), [leaf([2, 4], 3), leaf([3, 4], 4)]);
    const x = zeros([2, 4], { device, requiresGrad: true });
    const src = zeros([2, 5], { device, requiresGrad: true });
    x.scatterAdd(1, index, src)
      .mul(
        t([
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ]),
      )
      .sum()
      .backward();
    await expect(x.grad!).toBeAllClose([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    await expect(src.grad!).toBeAllClose([
      [1, 3, 1, 0, 0],
      [6, 6, 8, 0, 0],
    ]);
  });

  it('gradient of indexSelect and embedding (repeated rows accumulate)', async () => {
    expectGradcheck((x) => weightedSum(x.indexSelect(1, idx([2, 0, 2]))), [leaf([2, 3], 5)]);
    expectGradcheck((x) => weightedSum(x.indexSelect(0, idx([1, 1]))), [leaf([2, 3], 6)]);
    expectGradcheck(
      (w) =>
        weightedSum(
          embedding(
            idx([
              [0, 2],
              [0, 0],
            ]),
            w,
          ),
        ),
      [leaf([3, 2], 7)],
    );
    const w = zeros([3, 2], { device, requiresGrad: true });
    embedding(
      idx([
        [0, 2],
        [0, 0],
      ]),
      w,
    )
      .mul(t([1, 10]))
      .sum()
      .backward();
    await expect(w.grad!).toBeAllClose([
      [3, 30],
      [0, 0],
      [1, 10],
    ]);
  });
});
