import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  bernoulli,
  cosineSimilarity,
  diag,
  DTypeError,
  einsum,
  flip,
  Generator,
  interpolate,
  maskedFill,
  memory,
  multinomial,
  randperm,
  roll,
  ShapeError,
  tensor,
  tril,
  zeros,
} from '../src/index';

describe('randperm, bernoulli, multinomial', () => {
  it('randperm is the generator’s permutation, int32, every value once', () => {
    const p = randperm(10, { generator: new Generator({ seed: 3 }) });
    expect(p.dtype).toBe('int32');
    expect(Array.from(p.dataSync())).toEqual(Array.from(new Generator({ seed: 3 }).permutation(10)));
    expect([...p.dataSync()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(randperm(0).shape).toEqual([0]);
    expect(() => randperm(-1)).toThrow(ArgumentError);
    expect(() => randperm(3, { seed: 1 } as never)).toThrow(/randperm: unknown option 'seed'/);
  });

  it('bernoulli: p = 0 and 1 are exact, p = 0.3 averages 0.3 over 20,000 draws', () => {
    const g = new Generator({ seed: 5 });
    expect(Array.from(bernoulli(tensor([0, 1, 0, 1]), { generator: g }).dataSync())).toEqual([0, 1, 0, 1]);
    const draws = bernoulli(zeros([20000]).add(0.3), { generator: g }).dataSync();
    const mean = Array.from(draws).reduce((a, b) => a + b, 0) / draws.length;
    expect(Math.abs(mean - 0.3)).toBeLessThan(0.015); // 4.6 standard errors
    expect(() => bernoulli(tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
  });

  it('multinomial: zero weights never drawn, without replacement distinct, frequencies follow the weights', () => {
    const g = new Generator({ seed: 9 });
    expect(Array.from(multinomial(tensor([0, 10, 0]), 3, { replacement: true, generator: g }).dataSync())).toEqual([1, 1, 1]);
    const rows = multinomial(
      tensor([
        [1, 1, 1, 1],
        [0, 5, 5, 0],
      ]),
      2,
      { generator: g },
    );
    expect(rows.shape).toEqual([2, 2]);
    const r = Array.from(rows.dataSync());
    expect(new Set(r.slice(0, 2)).size).toBe(2);
    expect(r.slice(2).sort()).toEqual([1, 2]);
    const many = multinomial(tensor([1, 3]), 8000, { replacement: true, generator: g }).dataSync();
    const ones = Array.from(many).reduce((a, b) => a + b, 0) / many.length;
    expect(Math.abs(ones - 0.75)).toBeLessThan(0.025);
    expect(() => multinomial(tensor([1, 1]), 3)).toThrow('multinomial: cannot draw 3 samples without replacement from 2 categories');
    expect(() => multinomial(tensor([1, -1]), 1)).toThrow(/weights must be finite and non-negative/);
    expect(() => multinomial(tensor([0, 0]), 1, { replacement: true })).toThrow(/no positive weight/);
  });
});

describe('breadth ops: errors and views', () => {
  it('x.T reverses dims and x.mT swaps the last two, as views', () => {
    const x = tensor([[1, 2, 3]]);
    expect(x.T.shape).toEqual([3, 1]);
    expect(Array.from(x.T.contiguous().dataSync())).toEqual([1, 2, 3]);
    expect(zeros([5, 2, 3]).mT.shape).toEqual([5, 3, 2]);
    expect(zeros([2, 3, 4]).T.shape).toEqual([4, 3, 2]);
    expect(() => tensor([1, 2]).mT).toThrow(ShapeError);
  });

  it('typed errors name the op and what was wrong', () => {
    expect(() => tril(tensor([1, 2]))).toThrow('tril: expected a matrix or a batch of matrices [..., m, n], got [2]');
    expect(() => tril(zeros([2, 2]), 0.5)).toThrow(ArgumentError);
    expect(() => diag(zeros([2, 2, 2]))).toThrow(ShapeError);
    expect(() => flip(zeros([2, 2]), [0, 0])).toThrow('flip: dims must be distinct, got [0, 0]');
    expect(() => roll(zeros([2, 2]), [1, 2])).toThrow('roll: without dims, shifts must be one number');
    expect(() => roll(zeros([2, 2]), [1, 2], [0])).toThrow('roll: shifts and dims must have the same length');
    expect(() => einsum('ij,jk->ik', zeros([2, 3]))).toThrow("einsum: 'ij,jk->ik' names 2 operands, got 1 tensors");
    expect(() => einsum('ij->iz', zeros([2, 3]))).toThrow("einsum: output subscript 'z' appears in no operand");
    expect(() => einsum('ij,jk->ik', zeros([2, 3]), zeros([4, 5]))).toThrow(ShapeError);
    expect(() => einsum('ijk->i', zeros([2, 3]))).toThrow('einsum: operand 0 has 2 dims but subscripts');
    expect(() => interpolate(zeros([1, 1, 2]), { size: 4, scaleFactor: 2 })).toThrow('interpolate: give exactly one of size and scaleFactor');
    expect(() => interpolate(zeros([1, 1, 2]), { size: 4, mode: 'bilinear' })).toThrow("interpolate: mode 'bilinear' needs a 4-D input");
    expect(() => interpolate(zeros([2, 2]), { size: 4 })).toThrow(ShapeError);
    expect(() => interpolate(zeros([1, 1, 2]), { size: 4, align_corners: true } as never)).toThrow(/did you mean 'alignCorners'/);
    expect(() => maskedFill(zeros([2]), tensor([1, 0]), 1)).toThrow('maskedFill: mask must be bool, got float32');
    expect(() => cosineSimilarity(tensor([1, 2], { dtype: 'int32' }), tensor([1, 2]), { dim: 0 })).toThrow(
      'cosineSimilarity: expected float32 tensors, got int32',
    );
  });

  it('leave nothing behind', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const before = memory().devices.cpu.tensors;
    const r = x.reshape([1, 1, 4]);
    for (const t of [tril(x), flip(x, 0), roll(x, 1), einsum('ij,jk->ik', x, x), interpolate(r, { size: 6, mode: 'linear' }), x.T, r]) t.dispose();
    expect(memory().devices.cpu.tensors).toBe(before);
  });
});
