import { describe, expect, it } from 'vitest';
import { DTypeError, maxPool2d, type MaxPool2dOptions, memory, scope, type Tensor, tensor } from '../../src/index';
import { DEVICES, randomValues } from '../helpers';

// maxPool2d on int8/uint8 (quantized activations): pooling the integers must equal pooling their
// dequantization s·(q − z) and quantizing back (a monotone map), i.e. the float path's maxima, on
// every geometry the float kernel handles, on the CPU and (bit for bit) on WebGPU.
type Geometry = [shape: number[], kernel: number | [number, number], opts: MaxPool2dOptions];
const GEOMETRIES: Geometry[] = [
  [[2, 3, 6, 10], 2, {}], // 2×2 stride 2: the unrolled path
  [[4, 8, 30, 34], 2, {}], // … over ≥ 1024 windows: WebAssembly SIMD on the CPU, 17 a row (a group of 16 and one)
  [[2, 4, 29, 63], 2, {}], // odd sizes (31 windows a row: 16 + 15), the last row and column dropped
  [[1, 2, 64, 64], 2, {}], // whole groups only
  [[1, 2, 7, 9], 2, {}], // odd sizes: the last row and column dropped
  [[2, 3, 7, 7], 3, { stride: 2, padding: 1 }],
  [[1, 2, 9, 8], 2, { stride: 1, dilation: 2 }],
  [[1, 1, 5, 5], 2, { ceilMode: true }], // the last windows half outside
  [[1, 2, 4, 4], 3, { stride: 3, padding: 1 }],
  [[1, 1, 4, 4], 2, { stride: 2, padding: 1 }], // padded edges: padding never wins over −128
  [[3, 1, 1, 5], [1, 3], { stride: [1, 2] }], // N·C planes of one row, 5 output bytes (a partial word)
];

/** Integers in [lo, hi] of `shape`, seeded, with long runs of the extremes (ties, −128, 255). */
function ints(n: number, lo: number, hi: number, seed: number): number[] {
  return randomValues(n, seed, 0, 1).map((u, i) => (i % 7 === 0 ? lo : i % 11 === 0 ? hi : lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1)))));
}

describe.each(DEVICES)('maxPool2d on int8 and uint8 (%s)', (device) => {
  for (const [dtype, lo, hi] of [
    ['int8', -128, 127],
    ['uint8', 0, 255],
  ] as const) {
    it.each(GEOMETRIES)(`${dtype}: %j, kernel %j, %j equals the float path`, async (shape, kernel, opts) => {
      const before = memory().devices[device];
      const values = ints(
        shape.reduce((a, b) => a * b, 1),
        lo,
        hi,
        shape.length + shape[3],
      );
      const [y, back] = scope(() => {
        const q = tensor(dtype === 'int8' ? Int8Array.from(values) : Uint8Array.from(values), { device, dtype }).reshape(shape);
        const ref = maxPool2d(q.to('float32').sub(3).mul(0.25), kernel, opts); // pooled dequantization
        return [maxPool2d(q, kernel, opts), ref.div(0.25).add(3)]; // exact: multiples of 1/4 with few bits
      });
      expect(y.dtype).toBe(dtype);
      expect(y.shape).toEqual(back.shape);
      expect(Array.from(await y.data())).toEqual(Array.from(await back.data()));
      for (const t of [y, back]) t.dispose();
      expect(memory().devices[device]).toEqual(before);
    });
  }

  it('hand-computed: int8 −128 and ties; uint8 255; a view at an offset; other dtypes rejected', async () => {
    const before = memory().devices[device];
    const a = tensor(
      [
        [
          [
            [-128, -128, 5, 5],
            [-128, -128, 5, -7],
          ],
        ],
      ],
      { device, dtype: 'int8' },
    );
    const ya = maxPool2d(a, 2);
    expect(await ya.toArray()).toEqual([[[[-128, 5]]]]);
    const b = tensor(
      [
        [
          [
            [0, 255, 3],
            [254, 1, 2],
          ],
        ],
      ],
      { device, dtype: 'uint8' },
    );
    const yb = maxPool2d(b, [2, 2], { stride: 1 });
    expect(await yb.toArray()).toEqual([[[[255, 255]]]]);
    const flat = tensor([9, 1, 2, 3, 4, 8, 7, 6, 5], { device, dtype: 'int8' });
    const yv = scope(() => maxPool2d(flat.narrow(0, 1, 8).reshape([2, 1, 2, 2]), 2)); // a view from byte 1, mid-word on WebGPU
    expect(await yv.toArray()).toEqual([[[[4]]], [[[8]]]]);
    const i32 = tensor(
      [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
      { device, dtype: 'int32' },
    );
    expect(() => maxPool2d(i32, 2)).toThrow(DTypeError);
    expect(() => maxPool2d(i32, 2)).toThrow('maxPool2d: expected a float32, int8 or uint8 input, got int32');
    for (const t of [a, ya, b, yb, flat, yv, i32] as Tensor[]) t.dispose();
    expect(memory().devices[device]).toEqual(before);
  });
});

describe.skipIf(!DEVICES.includes('webgpu'))('maxPool2d on int8/uint8: WebGPU equals the CPU', () => {
  it.each(GEOMETRIES)('%j, kernel %j, %j', async (shape, kernel, opts) => {
    for (const dtype of ['int8', 'uint8'] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = ints(n, dtype === 'int8' ? -128 : 0, dtype === 'int8' ? 127 : 255, n);
      const make = (device: 'cpu' | 'webgpu') =>
        scope(() => maxPool2d(tensor(dtype === 'int8' ? Int8Array.from(values) : Uint8Array.from(values), { device, dtype }).reshape(shape), kernel, opts));
      const [yc, yg] = [make('cpu'), make('webgpu')];
      expect(yg.dtype).toBe(dtype);
      expect(await yg.data()).toEqual(yc.dataSync());
      for (const t of [yc, yg]) t.dispose();
    }
  });
});
