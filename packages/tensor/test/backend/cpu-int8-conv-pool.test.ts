import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { setSplitSettings } from '../../src/backend/cpu/wasm/gemm-driver';
import { warmGemmThreads } from '../../src/backend/cpu/matmul';
import { setHeapEnabled } from '../../src/backend/cpu/heap';
import { setCpuThreads, workerChunks } from '../../src/backend/cpu/threads';
import { wasmInt8Gemm } from '../../src/backend/cpu/wasm/int8-gemm';
import { setQuantizedSimd } from '../../src/backend/cpu/wasm/quantized';
import {
  ArgumentError,
  maxPool2d,
  memory,
  type QuantizedConv2dOptions,
  quantizedConv2d,
  requantizePerTensor,
  ShapeError,
  scope,
  type Tensor,
  tensor,
} from '../../src';
import { untilWorkersHelp } from '../helpers/threads';
import { randInt8 } from '../helpers/random-int8';

// quantizedConv2d's fused epilogue steps, `maxPool: 2` and `requantizeTo`: the image-by-image path
// (1 thread, and split across the pool on 2) pools each image's int32 accumulators before the
// requantization (with finite constants it is monotone) and maps the bytes through
// requantizePerTensor's table in its epilogue; otherwise (non-finite constants, tensors outside the
// heap, no SIMD) the convolution runs unpooled, then the pooling and the table as passes. Every path
// must give exactly maxPool2d and requantizePerTensor of the unpooled result.

afterAll(() => setCpuThreads(1));

type Out = Int8Array | Uint8Array;
const bytesOf = (t: Tensor) => t.dataSync() as Out;

const cases: [string, number[], number[], Partial<QuantizedConv2dOptions>, { scale: number; zeroPoint: number }][] = [
  [
    'int8, 28×28 planes, 1 input channel (the MNIST first layer), ReLU',
    [6, 1, 28, 28],
    [16, 1, 3, 3],
    { padding: 1, relu: true, output: { scale: 0.05, zeroPoint: -20, dtype: 'int8' } },
    { scale: 0.061, zeroPoint: -9 },
  ],
  [
    'int8, 14×14 planes (7×7 pooled: 49-byte planes, stores past each plane), per-channel scales',
    [5, 16, 14, 14],
    [32, 16, 3, 3],
    { padding: 1, weightScale: Array.from({ length: 32 }, (_, i) => 0.0005 * (i + 1)), output: { scale: 0.04, zeroPoint: 3, dtype: 'int8' } },
    { scale: 0.02, zeroPoint: 0 },
  ],
  [
    'uint8, odd sizes (10×18 → 5×9, a pooled image of 225 bytes), no padding',
    [3, 3, 12, 20],
    [5, 3, 3, 3],
    { output: { scale: 0.05, zeroPoint: 120, dtype: 'uint8' } },
    { scale: 0.033, zeroPoint: 140 },
  ],
  [
    'uint8, a channel with an infinite bias term (non-finite constants: convolution, then the passes)',
    [4, 2, 16, 16],
    [8, 2, 3, 3],
    { padding: 1, bias: [0.1, -0.2, Number.POSITIVE_INFINITY, 0, 0.3, -0.1, 0.2, 0], output: { scale: 0.05, zeroPoint: 100, dtype: 'uint8' } },
    { scale: 0.07, zeroPoint: 90 },
  ],
  [
    'int8, groups 2, 11×8 output (the last row left out by the pooling)',
    [14, 4, 11, 8],
    [6, 2, 3, 3],
    { padding: 1, groups: 2, output: { scale: 0.03, zeroPoint: -7, dtype: 'int8' } },
    { scale: 0.05, zeroPoint: 11 },
  ],
];

/** Seeded random int8 values in the given shape. */
const int8Tensor = (shape: number[], seed: number) =>
  scope(() =>
    tensor(
      randInt8(
        shape.reduce((a, b) => a * b),
        seed,
      ),
      { dtype: 'int8' },
    ).reshape(shape),
  );

describe('quantizedConv2d maxPool and requantizeTo (CPU)', () => {
  for (const [name, xs, ws, extra, to] of cases)
    it(`equal maxPool2d and requantizePerTensor of the unpooled result on every path: ${name}`, async () => {
      const start = memory().tensors;
      const x = int8Tensor(xs, 3),
        w = int8Tensor(ws, 4);
      const opts = { inputScale: 0.02, inputZeroPoint: 5, weightScale: 0.002, bias: Array.from({ length: ws[0] }, (_, i) => 0.1 * i - 0.25), ...extra };
      const out = opts.output as { scale: number; zeroPoint: number; dtype: 'int8' | 'uint8' };
      const variants: [string, Partial<QuantizedConv2dOptions>, (y: Tensor) => Tensor][] = [
        ['maxPool', { maxPool: 2 }, (y) => maxPool2d(y, 2)],
        ['requantizeTo', { requantizeTo: to }, (y) => requantizePerTensor(y, out.scale, out.zeroPoint, to.scale, to.zeroPoint, out.dtype)],
        ['both', { maxPool: 2, requantizeTo: to }, (y) => requantizePerTensor(maxPool2d(y, 2), out.scale, out.zeroPoint, to.scale, to.zeroPoint, out.dtype)],
      ];
      setCpuThreads(1);
      for (const [what, fused, ref] of variants) {
        const want = scope(() => bytesOf(ref(quantizedConv2d(x, w, opts))));
        expect(new Set(want).size, what).toBeGreaterThan(8);
        const run = () => scope(() => bytesOf(quantizedConv2d(x, w, { ...opts, ...fused })));
        const calls = wasmInt8Gemm()!.calls.standard;
        expect(run(), `${what}, 1 thread`).toEqual(want);
        expect(wasmInt8Gemm()!.calls.standard, `${what}: the image-by-image path ran`).toBeGreaterThan(calls);
        // fused (tensors outside the heap) and JS paths: convolve, then pool and map
        setHeapEnabled(false);
        expect(run(), `${what}, outside the heap`).toEqual(want);
        setHeapEnabled(true);
        setQuantizedSimd(false);
        expect(run(), `${what}, JS loops`).toEqual(want);
        setQuantizedSimd(true);
        // 2 threads, the workers alone taking the images (so they surely run some)
        setCpuThreads(2);
        expect(await warmGemmThreads()).toBe(true);
        const prev = setSplitSettings({ callerHelps: false });
        onTestFinished(() => void setSplitSettings(prev));
        const chunks = workerChunks();
        expect(untilWorkersHelp(run), `${what}, 2 threads`).toEqual(want);
        expect(workerChunks()).toBeGreaterThan(chunks);
        setSplitSettings(prev);
        setCpuThreads(1);
      }
      const [full, y] = [quantizedConv2d(x, w, opts), quantizedConv2d(x, w, { ...opts, maxPool: 2 })];
      expect(y.shape).toEqual([xs[0], ws[0], full.shape[2] >> 1, full.shape[3] >> 1]);
      for (const t of [x, w, full, y]) t.dispose();
      expect(memory().tensors).toBe(start);
    });

  it('a hand-checked pooled, requantized result', () => {
    // one 4×4 int8 image, 1×1 weight 1: y = x (scales 1, zero points 0)
    const x = tensor(
      [
        [
          [
            [1, -5, 7, 2],
            [3, 4, -8, 0],
            [-1, -2, 9, 9],
            [-3, -4, 9, 10],
          ],
        ],
      ],
      { dtype: 'int8' },
    );
    const w = tensor([[[[1]]]], { dtype: 'int8' });
    const opts = { inputScale: 1, weightScale: 1, output: { scale: 1, zeroPoint: 0, dtype: 'int8' as const } };
    expect(Array.from(quantizedConv2d(x, w, { ...opts, maxPool: 2 }).dataSync())).toEqual([4, 7, -1, 10]);
    // then to scale 2, zero point 1: round half to even of q / 2, + 1
    expect(Array.from(quantizedConv2d(x, w, { ...opts, maxPool: 2, requantizeTo: { scale: 2, zeroPoint: 1 } }).dataSync())).toEqual([3, 5, 1, 6]);
  });

  it('rejects a pooling other than 2, float outputs, unknown requantizeTo keys and outputs under 2×2', () => {
    const x = tensor(new Int8Array(2 * 3 * 3), { dtype: 'int8' }).reshape([1, 2, 3, 3]);
    const w = tensor(new Int8Array(4 * 2 * 9), { dtype: 'int8' }).reshape([4, 2, 3, 3]);
    const base = { inputScale: 0.1, weightScale: 0.1, output: { scale: 0.1, zeroPoint: 0, dtype: 'int8' as const } };
    expect(() => quantizedConv2d(x, w, { ...base, padding: 1, maxPool: 3 as 2 })).toThrow(ArgumentError);
    expect(() => quantizedConv2d(x, w, { ...base, padding: 1, maxPool: 2, dequantize: true })).toThrow(/without dequantize/);
    expect(() => quantizedConv2d(x, w, { inputScale: 0.1, weightScale: 0.1, padding: 1, maxPool: 2 })).toThrow(ArgumentError);
    expect(() => quantizedConv2d(x, w, { ...base, padding: 1, requantizeTo: { scale: 0.1, zeroPoint: 0, dtype: 'int8' } as never })).toThrow(ArgumentError);
    expect(() => quantizedConv2d(x, w, { ...base, padding: 1, requantizeTo: { scale: -1, zeroPoint: 0 } })).toThrow(ArgumentError);
    expect(() => quantizedConv2d(x, w, { ...base, maxPool: 2 })).toThrow(ShapeError); // 1×1 before pooling
    for (const t of [x, w]) t.dispose();
  });
});
