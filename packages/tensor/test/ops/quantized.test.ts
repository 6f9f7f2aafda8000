import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, init, memory, quantize, quantizedLinear, requantizePerTensor, scope, ShapeError, tensor } from '../../src/index';

// Hand values and error messages of the int8 inference ops; the op table checks every sample on
// every backend (WebGPU exactly equal to the CPU).

await init({ device: 'cpu' });

const i8 = (rows: number[][]) => tensor(rows, { dtype: 'int8' });

describe('quantize', () => {
  it('multiplies by the float32 reciprocal, as PyTorch: 0.273939937 / 0.00214854861 is 127.49999 but x·(1/s) rounds to 127.5 → 128', async () => {
    const y = quantize(tensor([0.273939937]), 0.00214854861, 0, 'uint8');
    expect(Array.from(await y.data())).toEqual([128]);
    y.dispose();
  });

  it('rejects bad scales, zero points and dtypes with typed errors', () => {
    const x = tensor([1, 2]);
    expect(() => quantize(x, 0, 0, 'int8')).toThrow(/quantize: scale must be a finite number > 0, got 0/);
    expect(() => quantize(x, Number.NaN, 0, 'int8')).toThrow(ArgumentError);
    expect(() => quantize(x, 0.1, 128, 'int8')).toThrow(/zeroPoint must be an integer in \[-128, 127\], got 128/);
    expect(() => quantize(x, 0.1, -1, 'uint8')).toThrow(/\[0, 255\]/);
    expect(() => quantize(x, 0.1, 0.5, 'int8')).toThrow(ArgumentError);
    expect(() => quantize(x, 0.1, 0, 'int32' as never)).toThrow(DTypeError);
    expect(() => quantize(tensor([1], { dtype: 'int32' }), 0.1, 0, 'int8')).toThrow(/quantize: expected a float32 input, got int32/);
    x.dispose();
  });
});

/** The worked example's int8 x [1, 3] and weight [2, 3]. */
const handOperands = () => [
  i8([[10, -4, 6]]),
  i8([
    [1, 2, 3],
    [-3, 0, 5],
  ]),
];

describe('quantizedLinear', () => {
  it('per-channel requantization by hand: m_j = s_x·s_w[j], q = round((raw + bias/m_j)·m_j/s_y) + zp', async () => {
    const before = memory().tensors;
    const [x, w] = handOperands();
    // raw = [10 − 8 + 18, −30 + 0 + 30] = [20, 0]; m = [0.5·0.1, 0.5·0.2] = [0.05, 0.1]
    // bias / m = [0.1 / 0.05, −0.25 / 0.1] = [2, −2.5]; (raw + ·)·m/0.25 = 22·0.2 = 4.4 → 4, −2.5·0.4 = −1 → −1
    const opts = { inputScale: 0.5, weightScale: [0.1, 0.2], bias: [0.1, -0.25], output: { scale: 0.25, zeroPoint: 3, dtype: 'int8' as const } };
    const y = quantizedLinear(x, w, opts);
    expect(y.dtype).toBe('int8');
    expect(Array.from(await y.data())).toEqual([7, 2]);
    const d = quantizedLinear(x, w, { ...opts, dequantize: true });
    expect(Array.from(await d.data())).toEqual([1, -0.25]);
    for (const t of [x, w, y, d]) t.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('takes a layer’s per-row arrays again on every call, changed in place or not (the host constants are reused only for equal values)', async () => {
    const before = memory().tensors;
    const [x, w] = handOperands();
    const weightScale = [0.1, 0.2];
    const bias = new Float32Array([0.1, -0.25]);
    const opts = { inputScale: 0.5, weightScale, bias, output: { scale: 0.25, zeroPoint: 3, dtype: 'int8' as const } };
    const run = async (o: Parameters<typeof quantizedLinear>[2]) => {
      const y = quantizedLinear(x, w, o);
      const v = Array.from(await y.data());
      y.dispose();
      return v;
    };
    expect(await run(opts)).toEqual([7, 2]); // as by hand above
    expect(await run({ ...opts })).toEqual([7, 2]);
    // raw = [20, 0]; m = [0.05, 0.05]: bias / m = [2, −5]; 22·0.2 = 4.4 → 4, −5·0.2 = −1 → −1
    weightScale[1] = 0.1;
    expect(await run(opts)).toEqual([7, 2]);
    // bias [0.1, 0.25]: [2, 5] → 4.4 → 4 and 5·0.2 = 1 → 1
    bias[1] = 0.25;
    expect(await run(opts)).toEqual([7, 4]);
    expect(await run({ ...opts, output: { scale: 0.5, zeroPoint: 3, dtype: 'int8' } })).toEqual([5, 3]); // 22·0.1 = 2.2 → 2, 5·0.1 = 0.5 → 0 (ties to even)
    // float output (the dynamic Linear): the input's qparams change on every call
    const dyn = { weightScale: [0.5, 0.25], bias };
    expect(await run({ ...dyn, inputScale: 0.5 })).toEqual([5.099999904632568, 0.25]); // 20·0.5·0.5 + 0.1, 0 + 0.25
    expect(await run({ ...dyn, inputScale: 0.25, inputZeroPoint: 1 })).toEqual([1.850000023841858, 0.125]); // raw − 1·Σw = [20 − 6, 0 − 2]: 14·0.25·0.5 + 0.1, −2·0.25·0.25 + 0.25
    expect(() => quantizedLinear(x, w, { ...dyn, inputScale: 0 })).toThrow(/inputScale must be a finite number > 0, got 0/);
    expect(() => quantizedLinear(x, w, { ...dyn, inputScale: 1, inputZeroPoint: 300 })).toThrow(/inputZeroPoint must be an integer in \[-128, 127\]/);
    weightScale[0] = 0;
    await expect(run(opts)).rejects.toThrow(/weightScale must be a finite number > 0, got 0/);
    x.dispose();
    w.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('rejects wrong dtypes, shapes, qparams and options with typed errors', () => {
    const x = i8([[1, 2]]);
    const w = i8([[1, 2]]);
    const ok = { inputScale: 1, weightScale: 1 };
    expect(() => quantizedLinear(tensor([[1, 2]]), w, ok)).toThrow(/quantizedLinear: x must be an int8 tensor, got float32/);
    expect(() => quantizedLinear(x, i8([[1, 2, 3]]), ok)).toThrow(ShapeError);
    expect(() => quantizedLinear(x, w, { ...ok, weightScale: [1, 2] })).toThrow(/weightScale needs 1 values \(one per output row\), got 2/);
    expect(() => quantizedLinear(x, w, { ...ok, inputZeroPoint: 200 })).toThrow(/inputZeroPoint must be an integer in \[-128, 127\]/);
    // per-row values, as typed arrays (checked after a copy) and as plain arrays (element by element)
    expect(() => quantizedLinear(x, w, { ...ok, weightScale: new Float32Array([0]) })).toThrow(/weightScale must be a finite number > 0, got 0/);
    expect(() => quantizedLinear(x, w, { ...ok, weightScale: new Float64Array([Number.POSITIVE_INFINITY]) })).toThrow(
      /weightScale must be a finite number > 0, got Infinity/,
    );
    expect(() => quantizedLinear(x, w, { ...ok, weightScale: [Number.NaN] })).toThrow(/weightScale must be a finite number > 0, got NaN/);
    expect(() => quantizedLinear(x, w, { ...ok, weightScale: ['0.5'] as never })).toThrow(/weightScale must be a finite number > 0, got 0.5/);
    expect(() => quantizedLinear(x, w, { ...ok, weightZeroPoint: new Int32Array([200]) })).toThrow(
      /weightZeroPoint must be an integer in \[-128, 127\], got 200/,
    );
    expect(() => quantizedLinear(x, w, { ...ok, weightZeroPoint: new Float32Array([0.5]) })).toThrow(
      /weightZeroPoint must be an integer in \[-128, 127\], got 0.5/,
    );
    expect(() => quantizedLinear(x, w, { ...ok, weightSums: tensor([1]) })).toThrow(/weightSums must be an int32 \[1\] tensor/);
    expect(() => quantizedLinear(x, w, { ...ok, relu: true })).toThrow(/relu and dequantize need output/);
    expect(() => quantizedLinear(x, w, { ...ok, bogus: 1 } as never)).toThrow(/unknown option 'bogus'/);
    expect(() => quantizedLinear(x, w, { ...ok, output: { scale: 1, zeroPoint: 0, dtype: 'int8', extra: 1 } as never })).toThrow(/unknown option 'extra'/);
    x.dispose();
    w.dispose();
  });
});

describe('requantizePerTensor', () => {
  it('equals quantize of the float32 dequantization for every code, over random qparams (int8 and uint8 both ways)', async () => {
    const before = memory().tensors;
    let seed = 7;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const codes = { int8: Array.from({ length: 256 }, (_, i) => i - 128), uint8: Array.from({ length: 256 }, (_, i) => i) };
    const range = { int8: [-128, 127], uint8: [0, 255] } as const;
    for (let trial = 0; trial < 120; trial++) {
      const from = trial % 2 ? 'uint8' : 'int8';
      const to = trial % 4 < 2 ? 'int8' : 'uint8';
      // scales from 1e-3 to 10, ratios near 1 (many ties) every third trial
      const s = 10 ** (rnd() * 4 - 3);
      const scale = trial % 3 ? 10 ** (rnd() * 4 - 3) : s * (0.5 + Math.floor(rnd() * 4) / 2);
      const [a, b] = range[from];
      const [c, d] = range[to];
      const z = a + Math.floor(rnd() * (b - a + 1));
      const zp = c + Math.floor(rnd() * (d - c + 1));
      const q = tensor(codes[from], { dtype: from });
      const got = requantizePerTensor(q, s, z, scale, zp, to);
      const want = scope(() => quantize(q.to('float32').sub(z).mul(Math.fround(s)), scale, zp, to));
      expect(got.dtype).toBe(to);
      expect(Array.from(await got.data()), `trial ${trial}: ${from} (${s}, ${z}) → ${to} (${scale}, ${zp})`).toEqual(Array.from(await want.data()));
      for (const t of [q, got, want]) t.dispose();
    }
    expect(memory().tensors).toBe(before);
  });

  it('keeps the shape, reads views, and rejects bad dtypes and qparams with typed errors', async () => {
    const q = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'int8' },
    );
    const y = requantizePerTensor(q.transpose(0, 1), 1, 0, 2, 0, 'int8'); // ties 0.5, 1.5, 2.5 to even
    expect(y.shape).toEqual([3, 2]);
    expect(Array.from(await y.data())).toEqual([0, 2, 1, 2, 2, 3]);
    expect(() => requantizePerTensor(tensor([1, 2]), 1, 0, 1, 0, 'int8')).toThrow(/requantizePerTensor: expected an int8 or uint8 input, got float32/);
    expect(() => requantizePerTensor(q, 0, 0, 1, 0, 'int8')).toThrow(/fromScale must be a finite number > 0, got 0/);
    expect(() => requantizePerTensor(q, 1, 128, 1, 0, 'int8')).toThrow(/fromZeroPoint must be an integer in \[-128, 127\], got 128/);
    expect(() => requantizePerTensor(q, 1, 0, Number.NaN, 0, 'int8')).toThrow(ArgumentError);
    expect(() => requantizePerTensor(q, 1, 0, 1, -1, 'uint8')).toThrow(/zeroPoint must be an integer in \[0, 255\], got -1/);
    expect(() => requantizePerTensor(q, 1, 0, 1, 0, 'int32' as never)).toThrow(DTypeError);
    for (const t of [q, y]) t.dispose();
  });
});
