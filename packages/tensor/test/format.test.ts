import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { arange, memory, scope, type Tensor, tensor, zeros } from '../src/index';
import { DEVICES } from './helpers';

// Expected texts follow PyTorch's printing rules (torch/_tensor_str.py: precision 4, threshold
// 1000, edgeitems 3, linewidth 80), with our names: `dtype=int32`, `device='webgpu'`,
// `requiresGrad=true`, `shape=[…]`, and bools as true/false.

let before: ReturnType<typeof memory>;
const made: Tensor[] = [];
/** A tensor freed after the test. */
function t<T extends Tensor>(x: T): T {
  made.push(x);
  return x;
}
/** toString of a tensor made by `make`, with every temporary freed. */
function text(make: () => Tensor): string {
  return scope(() => String(make()));
}
beforeEach(() => {
  before = memory();
});
afterEach(() => {
  for (const x of made.splice(0)) x.dispose();
  expect(memory()).toEqual(before);
});

describe('tensor printing (CPU, toString)', () => {
  it('scalars', () => {
    expect(text(() => tensor(3.5))).toBe('tensor(3.5000)');
    expect(text(() => tensor(2))).toBe('tensor(2.)');
    expect(text(() => tensor(-7, { dtype: 'int32' }))).toBe('tensor(-7, dtype=int32)');
    expect(text(() => tensor(true))).toBe('tensor(true)');
  });

  it('1-D: fixed with 4 decimals, right-aligned to the widest; integral floats end with "."', () => {
    expect(text(() => tensor([1.5, -2.25, 3]))).toBe('tensor([ 1.5000, -2.2500,  3.0000])');
    expect(text(() => tensor([1, -20, 300]))).toBe('tensor([  1., -20., 300.])');
    expect(text(() => tensor([0, 0]))).toBe('tensor([0., 0.])');
    // exact ties round to even, as Python's format() (0.03125 → 0.0312, 0.09375 → 0.0938); -0 keeps its sign
    expect(text(() => tensor([0.03125, 0.09375, -0]))).toBe('tensor([0.0312, 0.0938, -0.0000])');
  });

  it('2-D and 3-D nest with PyTorch indentation', () => {
    expect(
      text(() =>
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe('tensor([[1., 2.],\n        [3., 4.]])');
    expect(
      text(() =>
        tensor([
          [1.5, 2],
          [3, 4],
        ]),
      ),
    ).toBe('tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])');
    expect(text(() => arange(0, 8, 1, { dtype: 'int32' }).reshape([2, 2, 2]))).toBe(
      'tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], dtype=int32)',
    );
  });

  it('int32 and bool: integers without decimals, bools as true/false (bool needs no dtype suffix)', () => {
    expect(text(() => tensor([1, -20, 300], { dtype: 'int32' }))).toBe('tensor([  1, -20, 300], dtype=int32)');
    expect(text(() => tensor([5, 6], { dtype: 'uint8' }))).toBe('tensor([5, 6], dtype=uint8)');
    expect(text(() => tensor([true, false, true]))).toBe('tensor([ true, false,  true])');
    expect(text(() => tensor([[true], [true]]))).toBe('tensor([[true],\n        [true]])');
  });

  it('empty tensors: [] with the shape unless 1-D, and the dtype unless float32', () => {
    expect(text(() => tensor([]))).toBe('tensor([])');
    expect(text(() => zeros([2, 0]))).toBe('tensor([], shape=[2, 0])');
    expect(text(() => zeros([0], { dtype: 'int32' }))).toBe('tensor([], dtype=int32)');
  });

  it('summarises past 1000 elements with the 3 first and last items of every dim', () => {
    expect(text(() => arange(0, 2000, 1, { dtype: 'int32' }))).toBe('tensor([   0,    1,    2,  ..., 1997, 1998, 1999], dtype=int32)');
    expect(text(() => arange(0, 2000, 1, { dtype: 'int32' }).reshape([40, 50]))).toBe(
      [
        'tensor([[   0,    1,    2,  ...,   47,   48,   49],',
        '        [  50,   51,   52,  ...,   97,   98,   99],',
        '        [ 100,  101,  102,  ...,  147,  148,  149],',
        '        ...,',
        '        [1850, 1851, 1852,  ..., 1897, 1898, 1899],',
        '        [1900, 1901, 1902,  ..., 1947, 1948, 1949],',
        '        [1950, 1951, 1952,  ..., 1997, 1998, 1999]], dtype=int32)',
      ].join('\n'),
    );
    expect(text(() => arange(0, 1000))).not.toContain('...'); // exactly the threshold: printed in full
  });

  it('nan and inf print as nan, inf, -inf and do not set the width', () => {
    expect(text(() => tensor([1, Number.NaN, Infinity, -Infinity]))).toBe('tensor([1., nan, inf, -inf])');
    expect(text(() => tensor([1.5, Number.NaN, Infinity]))).toBe('tensor([1.5000,    nan,    inf])');
  });

  it('scientific notation when the range is large (max/min > 1000, max > 1e8 or min < 1e-4)', () => {
    expect(text(() => tensor([1e-5, 1, 1e5]))).toBe('tensor([1.0000e-05, 1.0000e+00, 1.0000e+05])');
    expect(text(() => tensor([1, 1e9]))).toBe('tensor([1.0000e+00, 1.0000e+09])');
    expect(text(() => tensor([0.00005, 0.5]))).toBe('tensor([5.0000e-05, 5.0000e-01])');
    expect(text(() => arange(0, 2000))).toBe('tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])');
  });

  it('wraps at 80 columns, and puts suffixes on a new line when they do not fit', () => {
    expect(text(() => arange(0, 12).div(7))).toBe(
      'tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n        1.2857, 1.4286, 1.5714])',
    );
    const w = t(scope(() => arange(0, 9).div(8)));
    w.requiresGrad = true;
    expect(String(w)).toBe('tensor([0.0000, 0.1250, 0.2500, 0.3750, 0.5000, 0.6250, 0.7500, 0.8750, 1.0000],\n       requiresGrad=true)');
  });

  it('requiresGrad=true on leaves, gradFn=<op> on results of recorded ops', () => {
    const w = t(tensor([1.5, 2], { requiresGrad: true }));
    expect(String(w)).toBe('tensor([1.5000, 2.0000], requiresGrad=true)');
    expect(text(() => w.mul(2))).toBe('tensor([3., 4.], gradFn=<mul>)');
  });

  it('Node’s console.log / util.inspect prints the same text; a disposed tensor says so', () => {
    const x = t(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(inspect(x)).toBe('tensor([[1., 2.],\n        [3., 4.]])');
    const gone = tensor([1]);
    gone.dispose();
    expect(String(gone)).toBe('tensor(<disposed>)');
  });
});

describe('format() and print()', () => {
  it('format resolves to the toString text; options change precision, summary and notation', async () => {
    const x = t(tensor([0.125, 0.375, 2]));
    expect(await x.format()).toBe('tensor([0.1250, 0.3750, 2.0000])');
    expect(await x.format({ precision: 2 })).toBe('tensor([0.12, 0.38, 2.00])'); // ties to even
    expect(await x.format({ sciMode: true })).toBe('tensor([1.2500e-01, 3.7500e-01, 2.0000e+00])');
    expect(await t(arange(0, 10)).format({ threshold: 5, edgeItems: 2 })).toBe('tensor([0., 1.,  ..., 8., 9.])');
    expect(await t(tensor([1, 1e9])).format({ sciMode: false })).toBe('tensor([        1., 1000000000.])');
  });

  it('rejects unknown and invalid options', async () => {
    const x = t(tensor([1]));
    await expect(x.format({ edgeitems: 2 } as never)).rejects.toThrow(
      "format: unknown option 'edgeitems' (expected precision, threshold, edgeItems, lineWidth, sciMode)",
    );
    await expect(x.format({ precision: 13 })).rejects.toThrow('format: precision must be an integer in [0, 12], got 13');
    await expect(x.format({ edgeItems: 0 })).rejects.toThrow('format: edgeItems must be an integer in [1, Infinity], got 0');
  });

  it('print writes the format text with console.log', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await t(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ).print();
      expect(log).toHaveBeenCalledWith('tensor([[1., 2.],\n        [3., 4.]])');
    } finally {
      log.mockRestore();
    }
  });
});

describe.skipIf(!DEVICES.includes('webgpu'))('printing WebGPU tensors', () => {
  it('toString is a header without values; format and print read the values', async () => {
    const x = t(
      tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { device: 'webgpu' },
      ),
    );
    expect(String(x)).toBe('tensor(<webgpu, shape [2, 3], float32>)');
    expect(inspect(x)).toBe('tensor(<webgpu, shape [2, 3], float32>)');
    expect(await x.format()).toBe("tensor([[1., 2., 3.],\n        [4., 5., 6.]], device='webgpu')");
    const i = t(tensor([1, 2], { dtype: 'int32', device: 'webgpu', requiresGrad: false }));
    expect(await i.format()).toBe("tensor([1, 2], device='webgpu', dtype=int32)");
    const w = t(tensor([0.5], { device: 'webgpu', requiresGrad: true }));
    expect(String(w)).toBe('tensor(<webgpu, shape [1], float32>, requiresGrad=true)');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await w.print();
      expect(log).toHaveBeenCalledWith("tensor([0.5000], device='webgpu', requiresGrad=true)");
    } finally {
      log.mockRestore();
    }
  });
});
