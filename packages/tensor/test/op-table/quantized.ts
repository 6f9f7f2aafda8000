import { quantize, quantizedConv2d, quantizedLinear, requantizePerTensor, type Tensor } from '../../src/index';
import { dtypesOf, EXACT, f, ints, type OpInfo, type OpResult, type Sample, T, v } from './samples';

// int8 inference ops (not differentiable). Hand values follow PyTorch's quantize_per_tensor and
// fbgemm's requantization: products rounded to float32, ties to even, clamped. Every sample must
// match the CPU exactly on WebGPU (int8 kernels bit for bit, as the issue asks).

const NaN_ = Number.NaN;
const INF = Number.POSITIVE_INFINITY;

function entry(name: string, call: (...xs: Tensor[]) => OpResult, samples: Sample[]): OpInfo {
  return { name, call, samples, domain: 'any', dtypes: dtypesOf(samples), differentiable: false, tol: EXACT };
}

const i8 = (shape: number[]) => ints(shape, -128, 127, 'int8');
/** Per-channel scales for n rows, spread over two decades. */
const scales = (n: number) => Array.from({ length: n }, (_, j) => 0.002 * (1 + ((j * 7) % 10)));
const zps = (n: number) => Array.from({ length: n }, (_, j) => ((j * 37) % 21) - 10);
const biases = (n: number) => Array.from({ length: n }, (_, j) => ((j * 13) % 9) * 0.37 - 1.4);

export const QUANTIZED_OPS: OpInfo[] = [
  entry('quantize', (x) => quantize(x, 0.1, 0, 'int8'), [
    {
      name: 'ties to even, clamp, NaN → zero point, ±∞, −0',
      inputs: [v([-1, 0.05, 0.15, 0.25, 100, NaN_, INF, -INF, -0])],
      expected: [-10, 0, 2, 2, 127, 0, 127, -128, 0],
      dtype: 'int8',
    },
    {
      name: 'uint8 with zero point 128',
      inputs: [v([-1, 0, 1, -1000])],
      call: (x) => quantize(x, 0.5, 128, 'uint8'),
      expected: [126, 128, 130, 0],
      dtype: 'uint8',
    },
    {
      name: 'int8 with zero point −3, 5 elements (a partial word)',
      inputs: [v([0, 0.5, -0.5, 1.5, 2.5])],
      call: (x) => quantize(x, 1, -3, 'int8'),
      expected: [-3, -3, -3, -1, -1],
    },
    { name: 'transposed view [7, 9]', inputs: [f([9, 7], 'real', T)], call: (x) => quantize(x, 0.013, 5, 'int8') },
    { name: 'stepped slice', inputs: [f([4, 10], 'real', (t) => t.slice(1, 1, 10, 3))], call: (x) => quantize(x, 0.02, 100, 'uint8') },
    { name: '0-d', inputs: [v([0.7], [])], call: (x) => quantize(x, 0.25, 0, 'int8'), expected: [3] },
    { name: 'empty [0, 3]', inputs: [f([0, 3])], expected: [] },
  ]),
  entry('requantizePerTensor', (q) => requantizePerTensor(q, 0.1, -1, 0.25, 3, 'int8'), [
    {
      name: 'int8 → int8: fl(0.1·(q + 1))·4, half to even, clamped',
      inputs: [v([-128, -1, 0, 5, 127, 1, 9], [7], 'int8')],
      // 0.1·(q + 1)·4 = −50.8, 0, 0.4, 2.4, 51.2, 0.8, 4 → −51, 0, 0, 2, 51, 1, 4; + 3
      expected: [-48, 3, 3, 5, 54, 4, 7],
      dtype: 'int8',
    },
    {
      name: 'every int8 code to uint8 (ties 0.5·q·1 at odd q), 256 elements',
      inputs: [
        v(
          Array.from({ length: 256 }, (_, i) => i - 128),
          [16, 16],
          'int8',
        ),
      ],
      call: (q) => requantizePerTensor(q, 0.5, 0, 1, 128, 'uint8'),
      expected: Array.from({ length: 256 }, (_, i) => {
        const t = (i - 128) / 2;
        const r = Math.round(t) - (Math.round(t) - t === 0.5 && Math.round(t) % 2 !== 0 ? 1 : 0);
        return r + 128;
      }),
      dtype: 'uint8',
    },
    {
      name: 'uint8 → int8 with zero point 200, clamped at both ends',
      inputs: [v([0, 199, 200, 201, 255], [5], 'uint8')],
      call: (q) => requantizePerTensor(q, 2, 200, 0.5, -10, 'int8'),
      expected: [-128, -14, -10, -6, 127],
      dtype: 'int8',
    },
    { name: 'transposed view [9, 7]', inputs: [{ ...i8([7, 9]), view: T }], call: (q) => requantizePerTensor(q, 0.03, 4, 0.021, -7, 'int8') },
    {
      name: 'stepped slice',
      inputs: [{ ...i8([4, 10]), view: (t) => t.slice(1, 1, 10, 3) }],
      call: (q) => requantizePerTensor(q, 0.07, 0, 0.05, 100, 'uint8'),
    },
    {
      name: 'rows 1… of [5, 3] (contiguous from byte 3)',
      inputs: [{ ...i8([5, 3]), view: (t) => t.slice(0, 1) }],
      call: (q) => requantizePerTensor(q, 0.2, -5, 0.3, 1, 'int8'),
    },
    { name: '0-d', inputs: [v([6], [], 'int8')], expected: [6] },
    { name: 'empty [0, 3]', inputs: [v([], [0, 3], 'int8')], expected: [] },
  ]),
  entry('quantizedLinear', (x, w) => quantizedLinear(x, w, { inputScale: 0.1, weightScale: 0.5, bias: [0.25] }), [
    { name: 'float (dynamic): (40 − 30)·0.05 + 0.25', inputs: [v([20, 10], [1, 2], 'int8'), v([2, -3], [1, 2], 'int8')], expected: [0.75] },
    {
      name: 'requantized int8: round((10 + 5)·0.2) = 3',
      inputs: [v([20, 10], [1, 2], 'int8'), v([2, -3], [1, 2], 'int8')],
      call: (x, w) => quantizedLinear(x, w, { inputScale: 0.1, weightScale: 0.5, bias: [0.25], output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' } }),
      expected: [3],
      dtype: 'int8',
    },
    {
      name: 'zero points, ReLU, uint8 out: clamp at the zero point, half to even',
      inputs: [v([3, -1, -2, 5], [2, 2], 'int8'), v([4, 0, -1, 2], [2, 2], 'int8')],
      // x − 2 = [[1, −3], [−4, 3]]; w − [1, −1] = [[3, −1], [0, 3]]
      // raw = [[1·3 + 3, 0 − 9], [−12 − 3, 0 + 9]] = [[6, −9], [−15, 9]]; ·(0.5·1/1) → 3, −4.5, −7.5, 4.5
      // round half even → 3, −4, −8, 4; + 10 → 13, 6, 2, 14; ReLU clamps below 10
      call: (x, w) =>
        quantizedLinear(x, w, {
          inputScale: 0.5,
          inputZeroPoint: 2,
          weightScale: [1, 1],
          weightZeroPoint: [1, -1],
          output: { scale: 1, zeroPoint: 10, dtype: 'uint8' },
          relu: true,
        }),
      expected: [13, 10, 10, 14],
      dtype: 'uint8',
    },
    {
      name: 'dequantized: (q − zp)·scale, clamped at 127',
      inputs: [v([100, 100], [1, 2], 'int8'), v([50, 50, -1, 0], [2, 2], 'int8')],
      call: (x, w) => quantizedLinear(x, w, { inputScale: 1, weightScale: 1, output: { scale: 2, zeroPoint: -1, dtype: 'int8' }, dequantize: true }),
      // acc = [10000, −100] → round(5000) − 1 → 127 (clamped) and round(−50) − 1 = −51 → (128, −50)·2
      expected: [256, -100],
    },
    {
      name: 'per-channel affine, bias, dequantized, [33, 70] × [19, 70]',
      inputs: [i8([33, 70]), i8([19, 70])],
      call: (x, w) =>
        quantizedLinear(x, w, {
          inputScale: 0.03,
          inputZeroPoint: -7,
          weightScale: scales(19),
          weightZeroPoint: zps(19),
          bias: biases(19),
          output: { scale: 0.4, zeroPoint: 3, dtype: 'int8' },
          dequantize: true,
        }),
    },
    {
      name: 'per-channel, bias, float (dynamic), K = 300, transposed x',
      inputs: [{ ...i8([300, 5]), view: T }, i8([6, 300])],
      call: (x, w) => quantizedLinear(x, w, { inputScale: 0.011, inputZeroPoint: 20, weightScale: scales(6), bias: biases(6) }),
    },
    {
      name: 'uint8 out with 4 + 3 elements per row and precomputed weight sums',
      inputs: [i8([3, 17]), i8([7, 17])],
      call: (x, w) =>
        quantizedLinear(x, w, {
          inputScale: 0.05,
          inputZeroPoint: 5,
          weightScale: 0.01,
          weightSums: w.sum(1),
          bias: biases(7),
          output: { scale: 0.02, zeroPoint: 128, dtype: 'uint8' },
        }),
    },
    {
      name: 'a float32 column term (as a quantized layer stores it) equals the weight sums',
      inputs: [i8([4, 9]), i8([5, 9])],
      call: (x, w) =>
        quantizedLinear(x, w, {
          inputScale: 0.05,
          inputZeroPoint: -9,
          weightScale: 0.01,
          columnTerm: w.sum(1).mul(9).to('float32'),
          output: { scale: 0.03, zeroPoint: 0, dtype: 'int8' },
        }),
      reference: (x, w) =>
        quantizedLinear(x, w, { inputScale: 0.05, inputZeroPoint: -9, weightScale: 0.01, output: { scale: 0.03, zeroPoint: 0, dtype: 'int8' } }),
    },
    {
      name: 'empty batch [0, 4]',
      inputs: [i8([0, 4]), i8([3, 4])],
      call: (x, w) => quantizedLinear(x, w, { inputScale: 1, weightScale: 1, output: { scale: 1, zeroPoint: 0, dtype: 'int8' } }),
      expected: [],
    },
  ]),
  entry(
    'quantizedConv2d',
    (x, w) => quantizedConv2d(x, w, { inputScale: 0.5, weightScale: 0.5, padding: 1, output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' } }),
    [
      {
        name: 'all-ones 2×2 kernel, padding 1: each window sum',
        inputs: [v([1, 2, 3, 4], [1, 1, 2, 2], 'int8'), v([1, 1, 1, 1], [1, 1, 2, 2], 'int8')],
        expected: [1, 3, 2, 4, 10, 6, 3, 7, 4],
        dtype: 'int8',
      },
      {
        name: 'padding holds the input zero point: (x − 3)·w, ties to even, uint8 out',
        inputs: [v([5, 3, 4, 3], [1, 1, 2, 2], 'int8'), v([1, 1, 1, 1], [1, 1, 2, 2], 'int8')],
        // x − 3 = [[2, 0], [1, 0]]; windows with padding 1: [[2, 2, 0], [3, 3, 0], [1, 1, 0]]; ·0.5 → 1, 1, 0, 1.5 → 2, 1.5 → 2, 0, 0.5 → 0, 0.5 → 0, 0
        call: (x, w) =>
          quantizedConv2d(x, w, { inputScale: 1, inputZeroPoint: 3, weightScale: 0.5, padding: 1, output: { scale: 1, zeroPoint: 100, dtype: 'uint8' } }),
        expected: [101, 101, 100, 102, 102, 100, 100, 100, 100],
        dtype: 'uint8',
      },
      {
        name: 'maxPool 2 then requantizeTo: the window sums [[1, 3, 2], [4, 10, 6], [3, 7, 4]] pooled to 10, then 10·0.25 / 0.5 + 1',
        inputs: [v([1, 2, 3, 4], [1, 1, 2, 2], 'int8'), v([1, 1, 1, 1], [1, 1, 2, 2], 'int8')],
        call: (x, w) =>
          quantizedConv2d(x, w, {
            inputScale: 0.5,
            weightScale: 0.5,
            padding: 1,
            output: { scale: 0.25, zeroPoint: 0, dtype: 'int8' },
            maxPool: 2,
            requantizeTo: { scale: 0.5, zeroPoint: 1 },
          }),
        expected: [6],
        dtype: 'int8',
      },
      {
        name: 'maxPool 2 and requantizeTo, per-channel, bias, ReLU, uint8, odd sizes, [3, 4, 11, 9]',
        inputs: [i8([3, 4, 11, 9]), i8([6, 4, 3, 3])],
        call: (x, w) =>
          quantizedConv2d(x, w, {
            inputScale: 0.03,
            inputZeroPoint: 5,
            weightScale: scales(6),
            bias: biases(6),
            padding: 1,
            relu: true,
            output: { scale: 0.2, zeroPoint: 120, dtype: 'uint8' },
            maxPool: 2,
            requantizeTo: { scale: 0.3, zeroPoint: 100 },
          }),
      },
      {
        name: 'stride 2, padding [1, 2], dilation [2, 1], per-channel, bias, dequantized, [2, 3, 9, 7]',
        inputs: [i8([2, 3, 9, 7]), i8([5, 3, 3, 2])],
        call: (x, w) =>
          quantizedConv2d(x, w, {
            inputScale: 0.03,
            inputZeroPoint: -7,
            weightScale: scales(5),
            bias: biases(5),
            stride: 2,
            padding: [1, 2],
            dilation: [2, 1],
            output: { scale: 0.4, zeroPoint: 3, dtype: 'int8' },
            dequantize: true,
          }),
      },
      {
        name: 'groups 2, affine weights, ReLU, int8 out, [1, 4, 6, 5]',
        inputs: [i8([1, 4, 6, 5]), i8([6, 2, 3, 3])],
        call: (x, w) =>
          quantizedConv2d(x, w, {
            inputScale: 0.05,
            inputZeroPoint: 11,
            weightScale: scales(6),
            weightZeroPoint: zps(6),
            groups: 2,
            padding: 1,
            output: { scale: 0.3, zeroPoint: -20, dtype: 'int8' },
            relu: true,
          }),
      },
      {
        name: "large enough for the CPU's fused path (im2col into the int8 GEMM, requantized in place): [2, 8, 12, 12] ⊛ [16, 8, 3, 3]",
        inputs: [i8([2, 8, 12, 12]), i8([16, 8, 3, 3])],
        call: (x, w) =>
          quantizedConv2d(x, w, {
            inputScale: 0.02,
            inputZeroPoint: 9,
            weightScale: scales(16),
            bias: biases(16),
            padding: 1,
            output: { scale: 0.5, zeroPoint: -4, dtype: 'int8' },
            relu: true,
            dequantize: true,
          }),
      },
      {
        name: 'float (dynamic) result with bias, 1×1 kernel, [3, 5, 4, 3]',
        inputs: [i8([3, 5, 4, 3]), i8([4, 5, 1, 1])],
        call: (x, w) => quantizedConv2d(x, w, { inputScale: 0.011, inputZeroPoint: 20, weightScale: scales(4), bias: biases(4) }),
      },
    ],
  ),
];
