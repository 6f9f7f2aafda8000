import { afterAll, describe, expect, it } from 'vitest';
import { setQuantizedSimd } from '../../src/backend/cpu/wasm/quantized';
import { init, memory, quantize, quantizedConv2d, quantizedLinear, scope, type Tensor, tensor } from '../../src/index';
import { randomValues } from '../helpers';

// The WebAssembly SIMD paths of the CPU int8 inference kernels against the JS loops, bit for bit
// (each must give exactly the same values; the op table checks the values themselves).

await init({ device: 'cpu' });

function both(fn: () => Tensor): [number[], number[]] {
  const run = (simd: boolean) => {
    expect(setQuantizedSimd(simd)).toBe(true);
    const y = fn();
    const v = Array.from(y.dataSync(), Number);
    y.dispose();
    return v;
  };
  return [run(true), run(false)];
}

describe('CPU int8 SIMD kernels equal the JS loops', () => {
  afterAll(() => setQuantizedSimd(true));

  it('quantize: ties, NaN, ±∞, huge values, partial last vector and chunk (int8 and uint8)', () => {
    const before = memory().tensors;
    const n = 40_003; // > one 16384-element chunk, not a multiple of 4
    const values = randomValues(n, 11, -6, 6);
    // exact ties of x·(1/0.5) = k + 0.5, specials, values beyond 2²² after scaling
    const specials = [0.25, 0.75, -0.25, -1.25, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3e6, -3e9, -0, 63.75, 64.25];
    specials.forEach((s, i) => {
      values[i * 997] = s;
    });
    const x = tensor(values);
    for (const [zp, dtype] of [
      [0, 'int8'],
      [-5, 'int8'],
      [128, 'uint8'],
    ] as const) {
      const [simd, js] = both(() => quantize(x, 0.5, zp, dtype));
      expect(simd.filter((q, i) => q !== js[i]).length, 'elements that differ').toBe(0);
      expect(simd[0]).toBe(zp); // 0.25/0.5 = 0.5 → 0 (even)
      expect(simd[997]).toBe(Math.max(dtype === 'int8' ? -128 : 0, 2 + zp)); // 1.5 → 2
      expect(simd[4 * 997]).toBe(zp); // NaN
    }
    x.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('quantizedLinear dequantized: per-channel, with and without bias, ReLU, rows spanning chunks', () => {
    const before = memory().tensors;
    for (const [m, k, n] of [
      [300, 40, 64],
      [9, 33, 2048],
    ]) {
      const x = scope(() => tensor(Int8Array.from(randomValues(m * k, 3, -128, 128), Math.floor), { dtype: 'int8' }).reshape([m, k]));
      const w = scope(() => tensor(Int8Array.from(randomValues(n * k, 4, -128, 128), Math.floor), { dtype: 'int8' }).reshape([n, k]));
      const scales = randomValues(n, 5, 0.001, 0.02);
      const bias = randomValues(n, 6, -3, 3);
      for (const withBias of [true, false]) {
        for (const relu of [false, true]) {
          const opts = {
            inputScale: 0.04,
            inputZeroPoint: 7,
            weightScale: scales,
            bias: withBias ? bias : null,
            output: { scale: 0.3, zeroPoint: -20, dtype: 'int8' as const },
            relu,
            dequantize: true,
          };
          const [simd, js] = both(() => quantizedLinear(x, w, opts));
          expect(simd.filter((y, i) => !Object.is(y, js[i])).length, 'elements that differ').toBe(0);
        }
      }
      x.dispose();
      w.dispose();
    }
    expect(memory().tensors).toBe(before);
  });

  it('quantizedLinear float out (the dynamic Linear): per-tensor and per-channel, with and without bias, wrapping sums, rows spanning chunks', () => {
    const before = memory().tensors;
    for (const [m, k, n] of [
      [300, 40, 64],
      [9, 33, 2048],
    ]) {
      const x = scope(() => tensor(Int8Array.from(randomValues(m * k, 7, -128, 128), Math.floor), { dtype: 'int8' }).reshape([m, k]));
      const w = scope(() => tensor(Int8Array.from(randomValues(n * k, 8, -128, 128), Math.floor), { dtype: 'int8' }).reshape([n, k]));
      const bias = randomValues(n, 9, -3, 3);
      for (const weightScale of [0.013, randomValues(n, 10, 0.001, 0.02)])
        for (const withBias of [true, false]) {
          const opts = { inputScale: 0.037, inputZeroPoint: -61, weightScale, bias: withBias ? bias : null };
          const [simd, js] = both(() => quantizedLinear(x, w, opts));
          expect(simd.filter((y, i) => !Object.is(y, js[i])).length, 'elements that differ').toBe(0);
          expect(new Set(simd).size).toBeGreaterThan(m * n * 0.5); // real products, not a constant
        }
      x.dispose();
      w.dispose();
    }
    expect(memory().tensors).toBe(before);
  });
  it('quantizedConv2d int8 and uint8 out: clamps of huge products, ReLU, products near ties (the rounding by 1.5·2²³ and the bits)', () => {
    const before = memory().tensors;
    const x = scope(() => tensor(Int8Array.from(randomValues(4 * 8 * 16 * 16, 7, -128, 128), Math.floor), { dtype: 'int8' }).reshape([4, 8, 16, 16]));
    const w = scope(() => tensor(Int8Array.from(randomValues(16 * 8 * 9, 8, -128, 128), Math.floor), { dtype: 'int8' }).reshape([16, 8, 3, 3]));
    const bias = randomValues(16, 9, -2, 2);
    let clamped = 0;
    for (const output of [
      { scale: 1e-7, zeroPoint: -20, dtype: 'int8' as const }, // |round(·)| past 2²²: every value clamped
      { scale: 0.5, zeroPoint: 3, dtype: 'int8' as const },
      { scale: 0.25, zeroPoint: 200, dtype: 'uint8' as const },
      { scale: 4e-6, zeroPoint: 128, dtype: 'uint8' as const },
    ])
      for (const relu of [false, true]) {
        const opts = { inputScale: 0.01, inputZeroPoint: -3, weightScale: 0.001, bias, output, relu, padding: 1 };
        const [simd, js] = both(() => quantizedConv2d(x, w, opts));
        expect(simd.filter((y, i) => y !== js[i]).length, 'elements that differ').toBe(0);
        clamped += simd.filter((y) => y === (output.dtype === 'int8' ? 127 : 255)).length;
        expect(new Set(simd).size).toBeGreaterThan(1);
      }
    expect(clamped).toBeGreaterThan(1000);
    // a NaN, +∞ and −∞ bias (the row kernels that zero NaN lanes; finite constants take their twins above)
    const odd = Array.from(bias);
    [odd[2], odd[5], odd[11]] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (const dtype of ['int8', 'uint8'] as const) {
      const output = { scale: 0.5, zeroPoint: dtype === 'int8' ? 3 : 130, dtype };
      const [simd, js] = both(() => quantizedConv2d(x, w, { inputScale: 0.01, inputZeroPoint: -3, weightScale: 0.001, bias: odd, output, padding: 1 }));
      expect(simd.filter((y, i) => y !== js[i]).length, 'elements that differ').toBe(0);
      const plane = 16 * 16;
      expect(simd.slice(2 * plane, 3 * plane)).toEqual(new Array(plane).fill(0)); // NaN → 0 (as the JS loop's typed-array store)
      expect(simd.slice(5 * plane, 6 * plane)).toEqual(new Array(plane).fill(dtype === 'int8' ? 127 : 255));
      expect(simd.slice(11 * plane, 12 * plane)).toEqual(new Array(plane).fill(dtype === 'int8' ? -128 : 0));
    }
    x.dispose();
    w.dispose();
    expect(memory().tensors).toBe(before);
  });
});
