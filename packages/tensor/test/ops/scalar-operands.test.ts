import { describe, expect, it } from 'vitest';
import { type DeviceName, type Tensor, add, div, maximum, memory, minimum, pow, scope, sub, tensor, transfers, where } from '../../src/index';
import { DEVICES } from '../helpers';

/**
 * JS numbers given to ops are scalar constants (`Backend.constant`): on WebGPU they reach the
 * elementwise kernels as parameters, on every backend they cost no host→device write, and the
 * ops' gradient rules still treat them as numbers (no gradient of their own).
 */

/** Host→device writes on `device` while `fn` runs. */
function writesDuring<T>(device: DeviceName, fn: () => T): { result: T; writes: number; writeBytes: number } {
  const before = transfers().devices[device];
  const result = fn();
  const after = transfers().devices[device];
  return { result, writes: after.writes - before.writes, writeBytes: after.writeBytes - before.writeBytes };
}

for (const device of DEVICES) {
  describe(`scalar operands [${device}]`, () => {
    it('compute the hand values of every binary op with a number on either side, with no upload', async () => {
      const x = tensor(
        [
          [1, -2, 3],
          [4, 0.5, -6],
        ],
        { device },
      );
      const before = memory();
      const { result: ys, writes } = writesDuring(device, () => [
        x.add(2),
        add(2, x),
        x.sub(1.5),
        sub(10, x),
        x.mul(-3),
        x.div(2),
        div(3, x),
        x.pow(2),
        pow(2, x),
        maximum(x, 0),
        minimum(1, x),
        x.gt(1),
        x.eq(3),
        x.ne(0.5),
      ]);
      expect(writes).toBe(0);
      const expected = [
        [
          [3, 0, 5],
          [6, 2.5, -4],
        ],
        [
          [3, 0, 5],
          [6, 2.5, -4],
        ],
        [
          [-0.5, -3.5, 1.5],
          [2.5, -1, -7.5],
        ],
        [
          [9, 12, 7],
          [6, 9.5, 16],
        ],
        [
          [-3, 6, -9],
          [-12, -1.5, 18],
        ],
        [
          [0.5, -1, 1.5],
          [2, 0.25, -3],
        ],
        [
          [3, -1.5, 1],
          [0.75, 6, -0.5],
        ],
        [
          [1, 4, 9],
          [16, 0.25, 36],
        ],
        [
          [2, 0.25, 8],
          [16, Math.SQRT2, 1 / 64],
        ],
        [
          [1, 0, 3],
          [4, 0.5, 0],
        ],
        [
          [1, -2, 1],
          [1, 0.5, -6],
        ],
        [
          [false, false, true],
          [true, false, false],
        ],
        [
          [false, false, true],
          [false, false, false],
        ],
        [
          [true, true, true],
          [true, false, true],
        ],
      ];
      for (let i = 0; i < ys.length; i++) await expect(ys[i], `result ${i}`).toBeAllClose(expected[i], { rtol: 1e-6, atol: 1e-6 });
      for (const y of ys) y.dispose();
      expect(memory().tensors).toBe(before.tensors);
      expect(memory().bytes).toBe(before.bytes);
      x.dispose();
    });

    it('keep PyTorch weak-scalar dtypes: an integer keeps an integer tensor integer, a fraction makes float32', async () => {
      const i = tensor([1, 2, 3], { device, dtype: 'int32' });
      const b = tensor([true, false], { device });
      const y1 = i.add(5);
      const y2 = i.mul(0.5);
      const y3 = b.add(1);
      const y4 = i.sub(-2147483648); // wraps in int32, as a typed-array store does
      expect([y1.dtype, y2.dtype, y3.dtype, y4.dtype]).toEqual(['int32', 'float32', 'int32', 'int32']);
      expect(Array.from(await y1.data())).toEqual([6, 7, 8]);
      expect(Array.from(await y2.data())).toEqual([0.5, 1, 1.5]);
      expect(Array.from(await y3.data())).toEqual([2, 1]);
      expect(Array.from(await y4.data())).toEqual([-2147483647, -2147483646, -2147483645]);
      for (const t of [i, b, y1, y2, y3, y4]) t.dispose();
    });

    it('mix with strided, broadcast and where operands (every kernel layout) without uploads', async () => {
      const x = tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { device },
      );
      const c = tensor(
        [
          [true, false, true],
          [false, true, false],
        ],
        { device },
      );
      const t = tensor(true, { device });
      const { result, writes } = writesDuring(device, () => ({
        strided: x.transpose(0, 1).mul(10), // [3, 2] strided view with a constant
        whereBoth: where(c, 1, -1), // condition and two constants
        whereStrided: where(c.transpose(0, 1), x.transpose(0, 1), 0.5),
        whereFirst: where(c, 7, x),
        scalarOnly: where(t, 2, 3),
      }));
      expect(writes).toBe(0);
      await expect(result.strided).toBeAllClose([
        [10, 40],
        [20, 50],
        [30, 60],
      ]);
      await expect(result.whereBoth).toBeAllClose([
        [1, -1, 1],
        [-1, 1, -1],
      ]);
      await expect(result.whereStrided).toBeAllClose([
        [1, 0.5],
        [0.5, 5],
        [3, 0.5],
      ]);
      await expect(result.whereFirst).toBeAllClose([
        [7, 2, 7],
        [4, 7, 6],
      ]);
      await expect(result.scalarOnly).toBeAllClose(2);
      for (const r of [x, c, t, ...Object.values(result)]) r.dispose();
    });

    it('give the tensor operand its gradient and the number none (the rules treat it as a constant)', async () => {
      const x = tensor([0.5, 2, -1.5], { device, requiresGrad: true });
      const before = memory();
      const grads = async (f: (t: Tensor) => Tensor): Promise<number[]> => {
        const loss = scope(() => f(x).sum());
        loss.backward();
        loss.dispose();
        const g = Array.from(await (x.grad as Tensor).data());
        x.grad?.dispose();
        x.grad = null;
        return g;
      };
      // d/dx of each expression, by hand at x = 0.5, 2, −1.5
      expect(await grads((t) => sub(3, t).mul(2))).toEqual([-2, -2, -2]);
      await expect(await grads((t) => div(3, t))).toBeAllClose([-12, -0.75, -3 / 2.25], { rtol: 1e-6 }); // −3/x²
      await expect(await grads((t) => t.pow(3))).toBeAllClose([0.75, 12, 6.75], { rtol: 1e-6 }); // 3x²
      await expect(await grads((t) => pow(2, t))).toBeAllClose(
        [0.5, 2, -1.5].map((v) => 2 ** v * Math.LN2),
        { rtol: 1e-6 },
      ); // 2ˣ ln 2
      expect(await grads((t) => maximum(t, 2))).toEqual([0, 0.5, 0]); // a tie splits the gradient
      expect(await grads((t) => where(t.gt(0), t.mul(4), -1))).toEqual([4, 4, 0]);
      expect(memory().tensors).toBe(before.tensors);
      expect(memory().bytes).toBe(before.bytes);
      x.dispose();
    });
  });
}
