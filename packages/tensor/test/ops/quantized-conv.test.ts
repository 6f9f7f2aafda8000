import { afterAll, describe, expect, it } from 'vitest';
import { setQuantizedSimd } from '../../src/backend/cpu/wasm/quantized';
import { ArgumentError, DTypeError, init, memory, quantizedConv2d, type QuantizedConv2dOptions, ShapeError, scope, tensor } from '../../src/index';
import { randomValues } from '../helpers';
import { type RefConv, referenceQuantizedConv2d, roundHalfEven } from './quantized-conv-reference';

// quantizedConv2d against PyTorch's quantized conv written out by hand (./quantized-conv-reference.ts),
// on the CPU with the WebAssembly SIMD epilogue and with the JS loops; the op table checks WebGPU
// against the CPU bit for bit.

await init({ device: 'cpu' });

const ints = (n: number, seed: number, lo: number, hi: number) => randomValues(n, seed, 0, 1).map((u) => lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1))));

interface Case {
  name: string;
  x: number[];
  w: number[];
  opts: QuantizedConv2dOptions;
}

function makeCase(
  name: string,
  xShape: number[],
  wShape: number[],
  opts: Omit<QuantizedConv2dOptions, 'inputScale' | 'weightScale'> & { perChannel?: boolean },
  seed: number,
): Case & { ref: RefConv } {
  const [O] = wShape;
  const x = ints(
    xShape.reduce((a, b) => a * b, 1),
    seed,
    -128,
    127,
  );
  const w = ints(
    wShape.reduce((a, b) => a * b, 1),
    seed + 1,
    -128,
    127,
  );
  const { perChannel, ...rest } = opts;
  const wScale = Array.from({ length: O }, (_, j) => (perChannel ? 0.001 * (1 + ((j * 7) % 10)) : 0.004));
  const wZero = Array.isArray(rest.weightZeroPoint) ? (rest.weightZeroPoint as number[]) : new Array<number>(O).fill((rest.weightZeroPoint as number) ?? 0);
  const full: QuantizedConv2dOptions = { ...rest, inputScale: 0.05, weightScale: perChannel ? wScale : 0.004 };
  const pr = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
  const out = rest.output;
  const [qmin, qmax] = out?.dtype === 'uint8' ? [0, 255] : [-128, 127];
  const ref: RefConv = {
    x,
    xShape,
    w,
    wShape,
    stride: pr(rest.stride, 1),
    padding: pr(rest.padding, 0),
    dilation: pr(rest.dilation, 1),
    groups: rest.groups,
    xScale: 0.05,
    xZero: rest.inputZeroPoint ?? 0,
    wScale,
    wZero,
    bias: rest.bias ? Array.from(rest.bias) : undefined,
    out: out ? { scale: out.scale, zero: out.zeroPoint, qmin: rest.relu ? out.zeroPoint : qmin, qmax, dequantize: rest.dequantize } : undefined,
  };
  return { name, x, w, opts: full, ref };
}

const bias = (n: number) => Array.from({ length: n }, (_, j) => ((j * 13) % 9) * 0.37 - 1.4);
const out8 = { scale: 0.6, zeroPoint: -3, dtype: 'int8' as const };
const outU8 = { scale: 0.45, zeroPoint: 120, dtype: 'uint8' as const };

const CASES = [
  makeCase(
    '3×3 padding 1, bias, dequantized (the MNIST CNN layer, small)',
    [2, 3, 7, 7],
    [4, 3, 3, 3],
    { padding: 1, bias: bias(4), output: out8, dequantize: true, perChannel: true },
    1,
  ),
  makeCase(
    'batch 1, odd 5×9 input, stride 2, padding [2, 1], uint8 out, ReLU',
    [1, 2, 5, 9],
    [3, 2, 3, 2],
    { stride: 2, padding: [2, 1], inputZeroPoint: -11, bias: bias(3), output: outU8, relu: true },
    3,
  ),
  makeCase(
    'stride [1, 3], dilation 2, int8 out, input zero point',
    [3, 2, 9, 8],
    [5, 2, 2, 3],
    { stride: [1, 3], dilation: 2, inputZeroPoint: 7, output: out8, perChannel: true },
    5,
  ),
  makeCase(
    'groups 2, affine per-channel weights, padding 1, dequantized',
    [2, 4, 6, 5],
    [6, 2, 3, 3],
    { groups: 2, padding: 1, inputZeroPoint: -4, weightZeroPoint: [3, -2, 0, 5, -7, 1], bias: bias(6), output: out8, dequantize: true, perChannel: true },
    7,
  ),
  makeCase('depthwise (groups = C), 1×1 output rows', [2, 3, 4, 4], [3, 1, 4, 1], { groups: 3, output: outU8 }, 9),
  makeCase('1×1 kernel, float (dynamic) result with bias', [2, 5, 3, 3], [4, 5, 1, 1], { inputZeroPoint: 12, bias: bias(4), perChannel: true }, 11),
  makeCase(
    'large enough for the SIMD epilogue and the wasm GEMM: [2, 8, 16, 16] ⊛ [16, 8, 3, 3]',
    [2, 8, 16, 16],
    [16, 8, 3, 3],
    { padding: 1, inputZeroPoint: -128, bias: bias(16), output: out8, dequantize: true, perChannel: true },
    13,
  ),
  makeCase(
    'stride 1, padding [0, 2], dilation [1, 2] (width kept, height shrunk: the shifted-plane im2col with ±2 wrapped columns)',
    [3, 2, 6, 7],
    [3, 2, 3, 3],
    { padding: [0, 2], dilation: [1, 2], inputZeroPoint: 5, bias: bias(3), output: out8, dequantize: true, perChannel: true },
    17,
  ),
  makeCase(
    'fused gemm epilogue across column blocks: N·Ho·Wo = 1200 over 512-wide blocks, image runs split between blocks',
    [3, 4, 20, 20],
    [8, 4, 3, 3],
    { padding: 1, inputZeroPoint: 17, bias: bias(8), output: outU8, relu: true, dequantize: true, perChannel: true },
    19,
  ),
  makeCase(
    'fused path per group: groups 2, stride 2, no bias',
    [8, 6, 23, 21],
    [10, 3, 3, 3],
    { groups: 2, stride: 2, padding: 1, inputZeroPoint: -20, output: out8, dequantize: true, perChannel: true },
    21,
  ),
  makeCase(
    'depthwise 3×3, padding 1, batch 3 (one channel of three per image)',
    [3, 3, 5, 6],
    [3, 1, 3, 3],
    { groups: 3, padding: 1, inputZeroPoint: 2, output: out8, dequantize: true },
    23,
  ),
  makeCase('batch 1, 3×3 padding 1, 5 channels', [1, 5, 6, 4], [2, 5, 3, 3], { padding: 1, inputZeroPoint: -1, bias: bias(2), output: outU8 }, 25),
  makeCase(
    'fused, Ho·Wo = 225 not a multiple of 4: requantized in place, copied out per image run',
    [4, 4, 15, 15],
    [16, 4, 3, 3],
    { padding: 1, inputZeroPoint: 3, bias: bias(16), output: out8, dequantize: true, perChannel: true },
    27,
  ),
  makeCase(
    'fused, K = 576: 512-wide column blocks that split an image between them',
    [3, 64, 15, 15],
    [8, 64, 3, 3],
    { padding: 1, inputZeroPoint: -9, bias: bias(8), output: outU8, dequantize: true },
    29,
  ),
  makeCase(
    'image by image (the wasm im2col, its 16-byte groups masked): groups 2, dilation [2, 1], padding [2, 0], Ho·Wo = 196 (requantized 16 a step, then 4)',
    [4, 6, 14, 16],
    [8, 3, 3, 3],
    { groups: 2, dilation: [2, 1], padding: [2, 0], inputZeroPoint: -7, bias: bias(8), output: outU8, relu: true, perChannel: true },
    31,
  ),
  makeCase(
    'padding larger than the kernel reach: windows entirely in the padding',
    [1, 1, 2, 3],
    [2, 1, 2, 2],
    { padding: 2, inputZeroPoint: 9, bias: [0.3, -0.3], output: out8, dequantize: true },
    15,
  ),
];

function run(c: Case & { ref: RefConv }): number[] {
  return scope(() => {
    const x = tensor(c.x, { dtype: 'int8' }).reshape(c.ref.xShape);
    const w = tensor(c.w, { dtype: 'int8' }).reshape(c.ref.wShape);
    return Array.from(quantizedConv2d(x, w, c.opts).dataSync(), Number);
  });
}

describe('quantizedConv2d', () => {
  afterAll(() => setQuantizedSimd(true));

  it('a hand example: all-ones 2×2 kernel over [[1, 2], [3, 4]] with padding 1', () => {
    const x = tensor(
      [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
      { dtype: 'int8' },
    );
    const w = tensor(
      [
        [
          [
            [1, 1],
            [1, 1],
          ],
        ],
      ],
      { dtype: 'int8' },
    );
    const y = quantizedConv2d(x, w, { inputScale: 0.5, weightScale: 0.5, padding: 1, output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' } });
    expect(y.dtype).toBe('int8');
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(y.dataSync())).toEqual([1, 3, 2, 4, 10, 6, 3, 7, 4]);
    // ties: acc·(0.5·0.5/0.5) = acc/2 → 0.5, 1.5, 1, 2, 5, 3, 1.5, 3.5, 2 → half to even
    const h = quantizedConv2d(x, w, { inputScale: 0.5, weightScale: 0.5, padding: 1, output: { scale: 0.5, zeroPoint: 0, dtype: 'int8' } });
    expect(Array.from(h.dataSync())).toEqual([0, 2, 1, 2, 5, 3, 2, 4, 2].map((_, i) => roundHalfEven([1, 3, 2, 4, 10, 6, 3, 7, 4][i] / 2)));
    expect(Array.from(h.dataSync())).toEqual([0, 2, 1, 2, 5, 3, 2, 4, 2]);
    for (const t of [x, w, y, h]) t.dispose();
  });

  for (const c of CASES) {
    it(`${c.name}: equals PyTorch's definition, SIMD and JS epilogues alike`, () => {
      const before = memory().tensors;
      const expected = referenceQuantizedConv2d(c.ref);
      expect(setQuantizedSimd(true)).toBe(true);
      const simd = run(c);
      setQuantizedSimd(false);
      const js = run(c);
      setQuantizedSimd(true);
      expect(simd.length).toBe(expected.length);
      expect(simd).toEqual(expected);
      expect(js).toEqual(expected);
      expect(memory().tensors).toBe(before);
    });
  }

  it('rejects wrong dtypes, shapes, geometry and options with typed errors', () => {
    const before = memory().tensors;
    scope(() => {
      const x = tensor(new Int8Array(2 * 4 * 4), { dtype: 'int8' }).reshape([1, 2, 4, 4]);
      const w = tensor(new Int8Array(3 * 2 * 9), { dtype: 'int8' }).reshape([3, 2, 3, 3]);
      const base = { inputScale: 0.1, weightScale: 0.1 };
      expect(() => quantizedConv2d(x.to('float32'), w, base)).toThrow(DTypeError);
      expect(() => quantizedConv2d(x.reshape([2, 4, 4]), w, base)).toThrow(/quantizedConv2d: x must be 4-D/);
      expect(() => quantizedConv2d(x, w, { ...base, groups: 2 })).toThrow(ShapeError);
      expect(() => quantizedConv2d(x, w, { ...base, stride: 0 })).toThrow(/stride must be an integer >= 1/);
      expect(() => quantizedConv2d(x, w, { ...base, padding: [1] as never })).toThrow(ArgumentError);
      expect(() => quantizedConv2d(x, w, { ...base, dilation: 3 })).toThrow(/smaller than the \(dilated\) kernel/);
      expect(() => quantizedConv2d(x, w, { ...base, weightScale: [0.1, 0.1] })).toThrow(/3 values/);
      expect(() => quantizedConv2d(x, w, { ...base, kernel: 3 } as never)).toThrow(/unknown option/);
      expect(() => quantizedConv2d(x, w, { ...base, relu: true })).toThrow(/relu and dequantize need output/);
    });
    expect(memory().tensors).toBe(before);
  });
});
