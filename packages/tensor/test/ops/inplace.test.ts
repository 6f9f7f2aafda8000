import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DeviceError,
  DisposedError,
  DTypeError,
  ShapeError,
  type Tensor,
  indexAdd_,
  memory,
  noGrad,
  scatterAdd,
  scatterAdd_,
  scope,
  tensor,
  zeros,
} from '../../src/index';
import { DEVICES, randomValues } from '../helpers';

/** Live tensors and bytes, in total and per device (memory() may report more than these). */
function live() {
  const m = memory();
  return { tensors: m.tensors, bytes: m.bytes, cpu: [m.devices.cpu.tensors, m.devices.cpu.bytes], webgpu: [m.devices.webgpu.tensors, m.devices.webgpu.bytes] };
}
const values = async (t: Tensor) => Array.from(await t.data());

describe.each(DEVICES)('in-place indexAdd_ and scatterAdd_ [%s]', (device) => {
  const t = (v: Parameters<typeof tensor>[0]) => tensor(v, { device });
  const idx = (v: number[]) => tensor(v, { device, dtype: 'int32' });

  it('indexAdd_ adds rows or columns, accumulating repeats, negative indices and alpha', async () => {
    const before = live();
    const dest = t([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    const storage = dest._storage;
    const i = idx([2, 0, -1]); // -1 is row 2 again
    const rows = t([
      [1, 2],
      [10, 20],
      [100, 200],
    ]);
    expect(indexAdd_(dest, 0, i, rows)).toBe(dest);
    expect(await dest.toArray()).toEqual([
      [11, 21],
      [1, 1],
      [102, 203],
    ]);
    const [col, vals] = [idx([1]), t([[1], [2], [3]])];
    expect(dest.indexAdd_(-1, col, vals, { alpha: -2 })).toBe(dest);
    expect(await dest.toArray()).toEqual([
      [11, 19],
      [1, -3],
      [102, 197],
    ]);
    expect(dest._storage).toBe(storage); // written in place, never copied
    for (const x of [dest, i, rows, col, vals]) x.dispose();
    expect(live()).toEqual(before);
  });

  it('equal the out-of-place scatterAdd on random data, in the same storage, memory() flat', async () => {
    const shape = [6, 5, 4];
    const base = randomValues(120, 1);
    for (const dim of [0, 1, 2]) {
      const k = 7;
      const index = Array.from({ length: k }, (_, j) => (j * 5 + dim) % shape[dim]);
      const srcShape = shape.map((s, i) => (i === dim ? k : s));
      const n = srcShape.reduce((a, b) => a * b, 1);
      const dest = t(base).reshape(shape);
      const i1 = idx(index);
      const src = t(randomValues(n, 2 + dim)).reshape(srcShape);
      const want = scope(() => scatterAdd(dest, dim, i1.reshape(srcShape.map((s, d) => (d === dim ? s : 1))).expand(srcShape), src.mul(0.5)));
      const before = live();
      const storage = dest._storage;
      indexAdd_(dest, dim, i1, src, { alpha: 0.5 });
      expect(live()).toEqual(before);
      expect(dest._storage).toBe(storage);
      const got = await values(dest);
      (await values(want)).forEach((w, j) => expect(got[j]).toBeCloseTo(w, 5));
      // scatterAdd_ with a full index of the src's shape
      const i2 = scope(() => tensor(randomValues(n, 9 + dim, 0, shape[dim]).map(Math.floor), { device, dtype: 'int32' }).reshape(srcShape));
      const want2 = scatterAdd(dest, dim, i2, src);
      scatterAdd_(dest, dim, i2, src);
      expect(dest._storage).toBe(storage);
      const got2 = await values(dest);
      (await values(want2)).forEach((w, j) => expect(got2[j]).toBeCloseTo(w, 5));
      for (const x of [dest, i1, src, want, i2, want2]) x.dispose();
    }
  });

  it('update a contiguous view in place (a narrowed block of rows), int32 too', async () => {
    const m = scope(() => zeros([5, 3], { device, dtype: 'int32' }).add(1));
    const rows = scope(() => m.narrow(0, 2, 2)); // rows 2 and 3: contiguous, offset 6
    const src = tensor([[5, 6, 7]], { device, dtype: 'int32' });
    rows.indexAdd_(0, idx([1]), src, { alpha: 3 });
    expect(await m.toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
      [1, 1, 1],
      [16, 19, 22],
      [1, 1, 1],
    ]);
    rows.scatterAdd_(1, idx([0]).reshape([1, 1]), tensor([[100]], { device, dtype: 'int32' }));
    expect(await m.toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
      [101, 1, 1],
      [16, 19, 22],
      [1, 1, 1],
    ]);
    for (const x of [m, rows, src]) x.dispose();
  });

  it('cost what they touch: a few rows into a 20000×300 matrix', async () => {
    const big = zeros([20000, 300], { device });
    const before = live();
    const i = idx([19999, 5, 5]);
    const src = scope(() => tensor(randomValues(900, 4), { device }).reshape([3, 300]));
    big.indexAdd_(0, i, src);
    expect(live()).toEqual({
      ...before,
      tensors: before.tensors + 2,
      bytes: before.bytes + i._storage.bytes + src._storage.bytes,
      [device]: [before[device][0] + 2, before[device][1] + i._storage.bytes + src._storage.bytes],
    });
    const s = await values(src);
    const row = (r: number) => scope(() => big.narrow(0, r, 1));
    const [r5, rLast, r6] = [row(5), row(19999), row(6)];
    const got5 = await values(r5);
    got5.forEach((v, j) => expect(v).toBeCloseTo(s[300 + j] + s[600 + j], 5));
    expect(await values(rLast)).toEqual(s.slice(0, 300).map((v) => Math.fround(v)));
    expect((await values(r6)).every((v) => v === 0)).toBe(true);
    for (const x of [big, i, src, r5, rLast, r6]) x.dispose();
  });

  it('throw typed errors naming the op before writing anything', async () => {
    const dest = t([
      [1, 2],
      [3, 4],
    ]);
    const src = t([[1, 1]]);
    const i = idx([0]);
    const check = (fn: () => unknown, type: new (...a: never[]) => Error, message: string | RegExp) => {
      expect(fn).toThrow(type);
      expect(fn).toThrow(message);
    };
    check(() => dest.indexAdd_(0, tensor([0], { device }), src), DTypeError, 'indexAdd_: index must be int32, got float32');
    check(
      () => dest.scatterAdd_(0, idx([0]).reshape([1, 1]), tensor([[1]], { device, dtype: 'int32' })),
      DTypeError,
      'scatterAdd_: source dtype int32 must match dest dtype float32',
    );
    check(
      () => scope(() => dest.transpose(0, 1).indexAdd_(0, i, src)),
      ArgumentError,
      'indexAdd_: dest must be contiguous to be updated in place, got shape [2,2] with strides [1,2]',
    );
    check(
      () => dest.indexAdd_(0, i, t([[1, 1, 1]])),
      ShapeError,
      'indexAdd_: source must have shape [1,2] (dest [2,2] with index length 1 at dim 0), got [1,3]',
    );
    check(() => dest.indexAdd_(0, idx([0]).reshape([1, 1]), src), ShapeError, 'indexAdd_: index must be 1-D, got [1,1]');
    check(
      () => dest.scatterAdd_(1, idx([0, 1, 0]).reshape([1, 3]), src),
      ShapeError,
      /^scatterAdd_: index \[1,3\] must have the rank of dest \[2,2\] and src \[1,2\]/,
    );
    check(() => dest.indexAdd_(2, i, src), ShapeError, 'indexAdd_: dim 2 out of range for a tensor of rank 2 (expected -2..1)');
    check(() => dest.indexAdd_(0, i, src, { alpha: NaN }), ArgumentError, 'indexAdd_: alpha must be a finite number, got NaN');
    check(() => dest.indexAdd_(0, i, src, { alhpa: 2 } as never), ArgumentError, "indexAdd_: unknown option 'alhpa' (expected alpha)");
    const ints = tensor([1, 2], { device, dtype: 'int32' });
    check(
      () => ints.indexAdd_(0, i, tensor([1], { device, dtype: 'int32' }), { alpha: 0.5 }),
      ArgumentError,
      'indexAdd_: alpha must be a finite number (an integer for int32), got 0.5',
    );
    const w = t([1, 2]);
    w.requiresGrad = true;
    check(
      () => w.indexAdd_(0, i, t([1])),
      ArgumentError,
      'indexAdd_: dest requires grad: an in-place update would bypass autograd (run it inside noGrad(), or update a detached tensor)',
    );
    check(() => w.scatterAdd_(0, i, t([1])), ArgumentError, /^scatterAdd_: dest requires grad/);
    noGrad(() => w.indexAdd_(0, i, t([5]))); // allowed outside grad mode, as torch.no_grad()
    expect(await values(w)).toEqual([6, 2]);
    const other = device === 'cpu' ? null : tensor([[1, 1]], { device: 'cpu' });
    if (other) check(() => dest.indexAdd_(0, i, other), DeviceError, /^indexAdd_: tensors are on different devices: webgpu and cpu/);
    const gone = t([[1, 1]]);
    gone.dispose();
    check(() => dest.indexAdd_(0, i, gone), DisposedError, 'indexAdd_: tensor was disposed');
    check(() => scatterAdd_(gone, 0, i, src), DisposedError, 'scatterAdd_: tensor was disposed');
    expect(await dest.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]); // nothing was written
    for (const x of [dest, src, i, ints, w, other].filter((x) => x !== null)) x.dispose();
  });
});

describe('out-of-range indices on the CPU', () => {
  it('throw before any write, naming the op, the index and the size', () => {
    const dest = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const src = tensor([
      [1, 1],
      [1, 1],
    ]);
    const i = tensor([0, 3], { dtype: 'int32' });
    expect(() => indexAdd_(dest, 0, i, src)).toThrow(ArgumentError);
    expect(() => indexAdd_(dest, 0, i, src)).toThrow('indexAdd_: index 3 is out of bounds for dim 0 with size 3');
    const j = tensor([[1, -3]], { dtype: 'int32' });
    expect(() => scatterAdd_(dest, 1, j, src)).toThrow('scatterAdd_: index -3 is out of bounds for dim 1 with size 2');
    expect(Array.from(dest.dataSync())).toEqual([1, 2, 3, 4, 5, 6]); // row 0 was not updated
    for (const x of [dest, src, i, j]) x.dispose();
  });
});
