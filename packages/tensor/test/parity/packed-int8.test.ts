import { describe, expect, it } from 'vitest';
import { cat, gather, indexAdd_, memory, scatterAdd, type Tensor, tensor, where } from '../../src/index';
import { DEVICES } from '../helpers';
import { type Input, ints, runOn } from './harness';

// int8/uint8 tensors are packed four per 32-bit word on WebGPU (wgsl/dtype.ts). Four elements
// share a word, so these cases put element runs where words are shared: odd lengths (1, 3, 5,
// 4k + 1), views and slices starting mid-word, results written into part of a word (cat, assign
// into a slice), casts to and from 8 bits, 8-bit reductions, gathers and atomic adds. Every result
// must equal the CPU backend's exactly.
const gpu = DEVICES.includes('webgpu');

const i8 = (shape: number[], seed: number): Input => ints(shape, -128, 127, seed, 'int8');
const u8 = (shape: number[], seed: number): Input => ints(shape, 0, 255, seed, 'uint8');
const idx = (values: number[]): Input => ({ values, shape: [values.length], dtype: 'int32' });

type Case = [name: string, inputs: Input[], fn: (...xs: Tensor[]) => Tensor];

const CASES: Case[] = [
  // elementwise, one word per invocation for 8-bit outputs, over every tail length
  ...[1, 3, 5, 17].flatMap((n): Case[] => [
    [`int8 add wraps, n = ${n}`, [i8([n], n), i8([n], n + 1)], (a, b) => a.add(b)],
    [`uint8 mul by a scalar wraps, n = ${n}`, [u8([n], n)], (a) => a.mul(3)],
    [`int8 neg and abs, n = ${n}`, [i8([n], n + 2)], (a) => a.neg().abs()],
    [`int8 compared to uint8 gives bool, n = ${n}`, [i8([n], n + 3), u8([n], n + 4)], (a, b) => a.lt(b)],
    [`where picks int8, n = ${n}`, [ints([n], 0, 1, n, 'bool'), i8([n], n + 5), i8([1], n + 6)], (c, a, b) => where(c, a, b)],
  ]),
  // views starting mid-word, strided and broadcast 8-bit operands
  ['a slice from element 1 plus a slice from element 3', [i8([11], 1)], (a) => a.narrow(0, 1, 5).add(a.narrow(0, 3, 5))],
  ['columns 1…3 of each row of a [5, 7] uint8 (a strided read)', [u8([5, 7], 2)], (a) => a.narrow(1, 1, 3).add(1)],
  ['a transposed int8 [3, 5] plus a broadcast row', [i8([5, 3], 3), i8([3], 4)], (a, b) => a.transpose(0, 1).sub(b.reshape([3, 1]))],
  ['contiguous() of a permuted int8 [2, 3, 5]', [i8([2, 3, 5], 5)], (a) => a.permute([2, 0, 1]).contiguous()],
  ['contiguous() of a uint8 slice from element 2 (a word-granular copy into a fresh run)', [u8([13], 6)], (a) => a.narrow(0, 2, 9).contiguous()],
  ['cat of int8 runs of 3, 5 and 1 (runs written into the middle of words)', [i8([3], 7), i8([5], 8), i8([1], 9)], (a, b, c) => cat([a, b, c])],
  ['cat of uint8 [2, 3] and [2, 5] along dim 1 (strided writes)', [u8([2, 3], 10), u8([2, 5], 11)], (a, b) => cat([a, b], 1)],
  // casts to and from 8 bits
  ['float32 → int8 truncates and wraps', [{ values: [-200.7, -128.5, -1.5, 0.9, 127.9, 300.2, 1000], shape: [7] }], (a) => a.to('int8')],
  ['float32 → uint8 truncates and wraps', [{ values: [-1.5, 0.5, 255.9, 256, 511, -300], shape: [6] }], (a) => a.to('uint8')],
  ['int8 → uint8 and uint8 → int8', [i8([9], 12), u8([9], 13)], (a, b) => a.to('uint8').to('int32').add(b.to('int8').to('int32'))],
  ['int32 → int8 wraps; int8 → float32', [ints([7], -1000, 1000, 14, 'int32')], (a) => a.to('int8').to('float32')],
  ['bool → uint8 and int8 → bool', [ints([5], 0, 1, 15, 'bool'), i8([5], 16)], (c, a) => c.to('uint8').add(a.to('bool').to('uint8'))],
  ['a strided int8 view → float32', [i8([4, 6], 17)], (a) => a.narrow(1, 1, 3).transpose(0, 1).to('float32')],
  // reductions: 8-bit max/min results are reduced into words, then packed
  ['int8 max and min over dim 1, odd rows', [i8([5, 7], 18)], (a) => a.max(1).to('int32').mul(1000).add(a.min(1).to('int32'))],
  ['uint8 max over a mid-word slice', [u8([3, 9], 19)], (a) => a.narrow(1, 1, 7).max(0)],
  ['int8 sum (int32) and argmax of an odd length', [i8([13], 20)], (a) => a.sum().add(a.argmax())],
  // gather and atomic adds into packed words
  ['gather of int8 along dim 1', [i8([3, 5], 21), ints([3, 4], 0, 4, 22, 'int32')], (x, i) => gather(x, 1, i)],
  ['scatterAdd into int8 wraps, repeated indices', [i8([6], 23), idx([0, 1, 1, 5, 5, 5, 2]), i8([7], 24)], (x, i, s) => scatterAdd(x, 0, i, s)],
  [
    'indexAdd_ on int8 rows: repeated indices accumulate, sums wrap',
    [i8([5, 3], 25), idx([4, 0, 4, 1]), i8([4, 3], 26)],
    (d, i, s) => indexAdd_(d.clone(), 0, i, s),
  ],
  [
    'indexAdd_ on uint8 columns (atomic adds on bytes of a shared word)',
    [u8([2, 5], 27), idx([1, 3, 1]), u8([2, 3], 28)],
    (d, i, s) => indexAdd_(d.clone(), 1, i, s),
  ],
];

describe.skipIf(!gpu)('int8/uint8 packed four per word on WebGPU: results equal the CPU', () => {
  it.each(CASES)('%s', async (_name, inputs, fn) => {
    const want = await runOn('cpu', inputs, fn);
    const got = await runOn('webgpu', inputs, fn);
    expect(got.dtype).toBe(want.dtype);
    expect(got.value).toEqual(want.value);
  });

  it('assign into a slice starting mid-word keeps the neighbouring bytes (dense and strided)', async () => {
    for (const device of ['cpu', 'webgpu'] as const) {
      const before = memory().devices[device];
      const x = tensor(
        Int8Array.from({ length: 12 }, (_, i) => i - 6),
        { device, dtype: 'int8' },
      );
      const run = tensor([100, -100, 101, -101, 102, -102], { device });
      const column = tensor([[7], [8], [9]], { device, dtype: 'int8' });
      const views = [x.narrow(0, 1, 6), x.reshape([3, 4])];
      const m = views[1];
      views.push(m.narrow(1, 2, 1), m.narrow(1, 0, 1));
      views[0].assign(run); // a dense run from byte 1 to byte 6: two partial words
      expect(Array.from(await x.data()), device).toEqual([-6, 100, -100, 101, -101, 102, -102, 1, 2, 3, 4, 5]);
      views[2].assign(-128); // a column: one byte in each of three words
      views[3].assign(column);
      expect(await m.toArray(), device).toEqual([
        [7, 100, -128, 101],
        [8, 102, -128, 1],
        [9, 3, -128, 5],
      ]);
      for (const t of [x, run, column, ...views]) t.dispose();
      expect(memory().devices[device], device).toEqual(before);
    }
  });

  it('an int8 tensor holds one byte per element on WebGPU, and reads back exactly', async () => {
    const before = memory().devices.webgpu.bytes;
    const values = Int8Array.from({ length: 5000 }, (_, i) => ((i * 37) % 256) - 128);
    const x = tensor(values, { device: 'webgpu', dtype: 'int8' });
    expect(memory().devices.webgpu.bytes - before).toBe(8192); // 5000 bytes in the 8 KiB size class (it was 32 KiB)
    expect(await x.data()).toEqual(values);
    const tail = x.narrow(0, 4997, 3); // a read from the middle of a word
    expect(Array.from(await tail.data())).toEqual(Array.from(values.slice(4997)));
    for (const t of [x, tail]) t.dispose();
    expect(memory().devices.webgpu.bytes).toBe(before);
  });
});
