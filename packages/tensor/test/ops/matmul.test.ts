import { expect, it } from 'vitest';
import { type Tensor, tensor, zeros, ones, matmul, linear, outer, ShapeError, DTypeError } from '../../src/index';
import { describeOnCpu, expectGradcheck, randomValues } from '../helpers';

/** Naive float64 batched matmul of row-major data: a [...A, M, K] @ b [...B, K, N], batch dims broadcast. */
function refMatmul(a: number[], aShape: number[], b: number[], bShape: number[]): { data: number[]; shape: number[] } {
  const [M, K] = aShape.slice(-2);
  const N = bShape.at(-1)!;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const n = Math.max(aBatch.length, bBatch.length);
  const pad = (s: number[]) => [...new Array<number>(n - s.length).fill(1), ...s];
  const pa = pad(aBatch);
  const pb = pad(bBatch);
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const total = batch.reduce((p, d) => p * d, 1);
  const data: number[] = [];
  for (let t = 0; t < total; t++) {
    let rem = t;
    let ai = 0;
    let bi = 0;
    let aStride = 1;
    let bStride = 1;
    for (let d = n - 1; d >= 0; d--) {
      const idx = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
      ai += (pa[d] === 1 ? 0 : idx) * aStride;
      bi += (pb[d] === 1 ? 0 : idx) * bStride;
      aStride *= pa[d];
      bStride *= pb[d];
    }
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ai * M * K + i * K + k] * b[bi * K * N + k * N + j];
        data.push(s);
      }
    }
  }
  return { data, shape: [...batch, M, N] };
}

describeOnCpu('matmul, linear, outer', (device) => {
  const t = (data: Parameters<typeof tensor>[0]) => tensor(data, { device });
  const rnd = (shape: number[], seed: number) => {
    const values = randomValues(
      shape.reduce((p, d) => p * d, 1),
      seed,
    );
    return { values, tensor: tensor(values, { device }).reshape(shape) };
  };

  it('1-D · 1-D is a dot product (0-d result)', async () => {
    const y = matmul(t([1, 2, 3]), t([4, 5, 6]));
    expect(y.shape).toEqual([]);
    expect(await y.item()).toBe(32);
  });

  it('1-D · 2-D, 2-D · 1-D and 2-D · 2-D hand values, function and method form', async () => {
    const v = matmul(
      t([1, 2]),
      t([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    expect(v.shape).toEqual([3]);
    await expect(v).toBeAllClose([9, 12, 15]);
    const w = t([
      [1, 2, 3],
      [4, 5, 6],
    ]).matmul(t([1, 0, -1]));
    expect(w.shape).toEqual([2]);
    await expect(w).toBeAllClose([-2, -2]);
    const m = matmul(
      t([
        [1, 2],
        [3, 4],
      ]),
      t([
        [5, 6],
        [7, 8],
      ]),
    );
    expect(m.shape).toEqual([2, 2]);
    await expect(m).toBeAllClose([
      [19, 22],
      [43, 50],
    ]);
    await expect(
      t([
        [1, 2],
        [3, 4],
      ]).matmul(t([[5], [6]])),
    ).toBeAllClose([[17], [39]]);
  });

  it('1-D operands against batched ones', async () => {
    const b = rnd([2, 4, 5], 1);
    const v = rnd([4], 2);
    const y = matmul(v.tensor, b.tensor);
    expect(y.shape).toEqual([2, 5]);
    await expect(y).toBeAllClose(refMatmul(v.values, [1, 4], b.values, [2, 4, 5]).data, { rtol: 1e-5, atol: 1e-5 });
    const a = rnd([2, 3, 4], 3);
    const z = matmul(a.tensor, v.tensor);
    expect(z.shape).toEqual([2, 3]);
    await expect(z).toBeAllClose(refMatmul(a.values, [2, 3, 4], v.values, [4, 1]).data, { rtol: 1e-5, atol: 1e-5 });
  });

  it('batched [2,3,4] @ [2,4,5] matches the naive reference', async () => {
    const a = rnd([2, 3, 4], 4);
    const b = rnd([2, 4, 5], 5);
    const y = matmul(a.tensor, b.tensor);
    const ref = refMatmul(a.values, [2, 3, 4], b.values, [2, 4, 5]);
    expect(y.shape).toEqual([2, 3, 5]);
    await expect(y).toBeAllClose(ref.data, { rtol: 1e-5, atol: 1e-5 });
  });

  it('broadcast batch [2,1,3,4] @ [5,4,2] → [2,5,3,2] matches the naive reference', async () => {
    const a = rnd([2, 1, 3, 4], 6);
    const b = rnd([5, 4, 2], 7);
    const y = matmul(a.tensor, b.tensor);
    const ref = refMatmul(a.values, [2, 1, 3, 4], b.values, [5, 4, 2]);
    expect(ref.shape).toEqual([2, 5, 3, 2]);
    expect(y.shape).toEqual([2, 5, 3, 2]);
    await expect(y).toBeAllClose(ref.data, { rtol: 1e-5, atol: 1e-5 });
    // spot check one entry by hand: batch (1, 3), row 2, col 1
    let s = 0;
    for (let k = 0; k < 4; k++) s += a.values[12 + 2 * 4 + k] * b.values[3 * 8 + k * 2 + 1];
    expect(((await y.toArray()) as number[][][][])[1][3][2][1]).toBeAllClose(s, { rtol: 1e-5, atol: 1e-6 });
  });

  it('transposed (non-contiguous) operands match their contiguous copies', async () => {
    const a = rnd([4, 3], 8); // used as aᵀ [3, 4]
    const b = rnd([5, 4], 9); // used as bᵀ [4, 5]
    const at = a.tensor.transpose(0, 1);
    const bt = b.tensor.transpose(0, 1);
    const y = matmul(at, bt);
    expect(y.shape).toEqual([3, 5]);
    expect(await y.toArray()).toEqual(await matmul(at.contiguous(), bt.contiguous()).toArray());
    const aT = Array.from({ length: 12 }, (_, i) => a.values[(i % 4) * 3 + Math.floor(i / 4)]);
    const bT = Array.from({ length: 20 }, (_, i) => b.values[(i % 5) * 4 + Math.floor(i / 5)]);
    await expect(y).toBeAllClose(refMatmul(aT, [3, 4], bT, [4, 5]).data, { rtol: 1e-5, atol: 1e-5 });
    const batchT = rnd([2, 4, 3], 10).tensor.transpose(1, 2); // [2, 3, 4]
    expect(await matmul(batchT, b.tensor.transpose(0, 1)).toArray()).toEqual(await matmul(batchT.contiguous(), bt.contiguous()).toArray());
  });

  it('K = 0 gives zeros; M = 0 or N = 0 give empty results; size-1 dims', async () => {
    const k0 = matmul(zeros([3, 0], { device }), zeros([0, 2], { device }));
    expect(k0.shape).toEqual([3, 2]);
    await expect(k0).toBeAllClose([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(await matmul(zeros([0], { device }), zeros([0], { device })).item()).toBe(0);
    expect(matmul(zeros([0, 4], { device }), ones([4, 2], { device })).shape).toEqual([0, 2]);
    expect(matmul(ones([3, 4], { device }), ones([4, 0], { device })).shape).toEqual([3, 0]);
    expect(matmul(ones([2, 0, 4], { device }), ones([4, 3], { device })).shape).toEqual([2, 0, 3]);
    const one = matmul(t([[1, 2, 3, 4]]), t([[1], [1], [1], [2]]));
    expect(one.shape).toEqual([1, 1]);
    await expect(one).toBeAllClose([[14]]);
    const outerLike = matmul(t([[2], [3]]), t([[1, 10]]));
    await expect(outerLike).toBeAllClose([
      [2, 20],
      [3, 30],
    ]);
    expect(matmul(ones([1, 1, 2, 3], { device }), ones([3, 1], { device })).shape).toEqual([1, 1, 2, 1]);
  });

  it('67×129 @ 129×33 matches a float64 reference (rtol 1e-4)', async () => {
    const a = rnd([67, 129], 11);
    const b = rnd([129, 33], 12);
    const y = matmul(a.tensor, b.tensor);
    expect(y.shape).toEqual([67, 33]);
    const ref = refMatmul(a.values.map(Math.fround), [67, 129], b.values.map(Math.fround), [129, 33]);
    expect(await y.data()).toBeAllClose(ref.data, { rtol: 1e-4, atol: 1e-4 });
  });

  const p = (shape: number[], seed: number) => rnd(shape, seed).tensor;
  const gradCases: [string, number[], number[]][] = [
    ['2-D [3,4] @ [4,2]', [3, 4], [4, 2]],
    ['batched broadcast [2,1,2,3] @ [3,3,2]', [2, 1, 2, 3], [3, 3, 2]],
    ['batched [2,2,3] @ [2,3,2]', [2, 2, 3], [2, 3, 2]],
    ['1-D [3] @ [3,2]', [3], [3, 2]],
    ['[2,3] @ 1-D [3]', [2, 3], [3]],
    ['1-D [3] @ 1-D [3]', [3], [3]],
    ['1-D [3] @ batched [2,3,2]', [3], [2, 3, 2]],
  ];
  for (const [name, as, bs] of gradCases) {
    it(`gradcheck: matmul ${name}`, () => {
      expectGradcheck((a, b) => matmul(a, b).sin().sum(), [p(as, 20), p(bs, 21)]);
    });
  }

  it('gradients by hand: G Bᵀ and Aᵀ G, summed over broadcast batch dims', async () => {
    const a = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device, requiresGrad: true },
    );
    const b = tensor(
      [
        [5, 6],
        [7, 8],
      ],
      { device, requiresGrad: true },
    );
    matmul(a, b).sum().backward();
    await expect(a.grad!).toBeAllClose([
      [11, 15],
      [11, 15],
    ]);
    await expect(b.grad!).toBeAllClose([
      [4, 4],
      [6, 6],
    ]);
    const c = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device, requiresGrad: true },
    ); // shared by a batch of 2
    const d = tensor(
      [
        [
          [1, 0],
          [0, 1],
        ],
        [
          [2, 0],
          [0, 2],
        ],
      ],
      { device, requiresGrad: true },
    );
    matmul(c, d).sum().backward();
    await expect(c.grad!).toBeAllClose([
      [3, 3],
      [3, 3],
    ]);
    await expect(d.grad!).toBeAllClose([
      [
        [4, 4],
        [6, 6],
      ],
      [
        [4, 4],
        [6, 6],
      ],
    ]);
  });

  it('gradcheck: matmul of a transposed view', () => {
    expectGradcheck((a, b) => a.transpose(0, 1).matmul(b).sin().sum(), [p([4, 3], 22), p([4, 2], 23)]);
  });

  it('linear with and without bias, 2-D and 3-D input', async () => {
    const x = t([
      [1, 2, 3],
      [0, -1, 2],
    ]);
    const w = t([
      [1, 0, 0],
      [0, 1, 1],
      [1, -1, 2],
      [0.5, 0.5, 0.5],
    ]);
    const b = t([10, 20, 30, 40]);
    const y = linear(x, w, b);
    expect(y.shape).toEqual([2, 4]);
    await expect(y).toBeAllClose([
      [11, 25, 35, 43],
      [10, 21, 35, 40.5],
    ]);
    await expect(linear(x, w)).toBeAllClose([
      [1, 5, 5, 3],
      [0, 1, 5, 0.5],
    ]);
    await expect(x.linear(w, null)).toBeAllClose([
      [1, 5, 5, 3],
      [0, 1, 5, 0.5],
    ]);
    const x3 = t([[[1, 2, 3]], [[0, -1, 2]]]); // [2, 1, 3]
    const y3 = x3.linear(w, b);
    expect(y3.shape).toEqual([2, 1, 4]);
    await expect(y3).toBeAllClose([[[11, 25, 35, 43]], [[10, 21, 35, 40.5]]]);
  });

  it('outer values, function and method form', async () => {
    const y = outer(t([1, 2]), t([3, 4, 5]));
    expect(y.shape).toEqual([2, 3]);
    await expect(y).toBeAllClose([
      [3, 4, 5],
      [6, 8, 10],
    ]);
    await expect(t([-1, 0.5]).outer(t([2, 4]))).toBeAllClose([
      [-2, -4],
      [1, 2],
    ]);
  });

  it('gradcheck: linear (2-D with bias, 3-D without) and outer', () => {
    expectGradcheck((x: Tensor, w: Tensor, b: Tensor) => linear(x, w, b).sin().sum(), [p([2, 3], 30), p([4, 3], 31), p([4], 32)]);
    expectGradcheck((x: Tensor, w: Tensor) => linear(x, w).sin().sum(), [p([2, 2, 3], 33), p([2, 3], 34)]);
    expectGradcheck((a: Tensor, b: Tensor) => outer(a, b).sin().sum(), [p([3], 35), p([4], 36)]);
  });

  it('int8 × int8 → exact int32: hand values, 1-D, batched, transposed, no gradient', async () => {
    const q = (data: Parameters<typeof tensor>[0]) => tensor(data, { device, dtype: 'int8' });
    const a = q([
      [127, -128, 3],
      [0, 5, -7],
    ]);
    const b = q([
      [1, 2],
      [-1, 100],
      [127, -128],
    ]);
    const y = matmul(a, b);
    expect(y.dtype).toBe('int32');
    // row 0: 127 + 128 + 381 = 636, 254 − 12800 − 384 = −12930; row 1: −5 − 889 = −894, 500 + 896 = 1396
    expect(await y.toArray()).toEqual([
      [636, -12930],
      [-894, 1396],
    ]);
    expect(await matmul(q([1, 2, 3]), q([4, 5, 6])).toArray()).toBe(32);
    expect(await matmul(q([[-128], [-128]]).transpose(0, 1), q([[-128], [-128]])).toArray()).toEqual([[32768]]);
    const batched = matmul(q([[[1, 2]], [[3, 4]]]), q([[5], [6]]));
    expect(await batched.toArray()).toEqual([[[17]], [[39]]]);
    expect(matmul(q([[1, 1]]), q([[1], [1]])).requiresGrad).toBe(false);
  });

  it('int8 sums wrap around past 2³¹ like int32 arithmetic', async () => {
    // K = 131,073 products of (−128)·(−128) = 16,384 sum to 2³¹ + 16,384, which wraps to −2³¹ + 16,384
    const k = 131_073;
    const a = tensor(new Int8Array(k).fill(-128), { device, dtype: 'int8' }).reshape([1, k]);
    expect(await matmul(a, a.transpose(0, 1)).toArray()).toEqual([[-(2 ** 31) + 16_384]]);
  });

  it('throws typed errors', () => {
    const err = (() => {
      try {
        matmul(zeros([2, 3], { device }), zeros([4, 5], { device }));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as Error).message).toBe('matmul: inner dimensions differ: [2,3] @ [4,5] (3 != 4)');
    expect(() => matmul(zeros([3], { device }), zeros([4], { device }))).toThrow('matmul: inner dimensions differ: [3] @ [4] (3 != 4)');
    expect(() => matmul(zeros([2, 2, 3], { device }), zeros([3, 3, 2], { device }))).toThrow(/matmul: shapes \[2\] and \[3\] cannot be broadcast/);
    const i = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device, dtype: 'int32' },
    );
    expect(() => matmul(i, i)).toThrow(DTypeError);
    expect(() => matmul(zeros([2, 2], { device }), i)).toThrow(/matmul: expected float32 tensors \(or two int8 tensors\), got float32 and int32/);
    const q = tensor([[1, 2]], { device, dtype: 'int8' });
    expect(() => matmul(q, zeros([2, 1], { device }))).toThrow(/matmul: expected float32 tensors \(or two int8 tensors\), got int8 and float32/);
    expect(() => linear(q, q)).toThrow(/linear: expected float32 tensors, got int8 and int8/);
    expect(() => matmul(t(2), t([1, 2]))).toThrow(ShapeError);
    expect(() => t([1, 2]).matmul(t(2))).toThrow(/matmul: both arguments need at least 1 dimension/);
    expect(() => linear(zeros([2, 3], { device }), zeros([4, 2], { device }))).toThrow(ShapeError);
    expect(() => linear(zeros([2, 3], { device }), zeros([3], { device }))).toThrow(/linear: weight must be 2-D/);
    expect(() => linear(zeros([2, 3], { device }), zeros([4, 3], { device }), zeros([3], { device }))).toThrow(/linear: bias must have shape \[4\], got \[3\]/);
    expect(() => outer(zeros([2, 2], { device }), zeros([2], { device }))).toThrow(ShapeError);
  });
});
