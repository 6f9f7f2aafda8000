import { describe, it, expect, vi } from 'vitest';
import { int8Gemm } from '../../src/backend/cpu/matmul-int8';
import { createWasmInt8Gemm, type Int8GemmFn } from '../../src/backend/cpu/wasm/int8-gemm';
import { emitPackModule } from '../../src/backend/cpu/wasm/pack';
import { createWasmGemm, emitGemmKernel } from '../../src/backend/cpu/wasm/gemm-kernel';
import { Code, ValType, encodeModule } from '../../src/backend/cpu/wasm/encoder';

/** Seeded LCG → int8 values over the whole range [−128, 127]. */
function randInt8(n: number, seed: number): Int8Array {
  let s = seed >>> 0;
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 24) - 128;
  }
  return out;
}

interface Operand {
  data: Int8Array;
  off: number;
  rs: number;
  cs: number;
}

/** Exact reference in doubles (every sum here stays far below 2⁵³), wrapped to int32 at the end. */
function reference(M: number, N: number, K: number, a: Operand, b: Operand): Int32Array {
  const out = new Int32Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a.data[a.off + i * a.rs + k * a.cs] * b.data[b.off + k * b.rs + j * b.cs];
      out[i * N + j] = s | 0;
    }
  return out;
}

const contiguousA = (M: number, K: number, seed: number): Operand => ({ data: randInt8(M * K, seed), off: 0, rs: K, cs: 1 });
const contiguousB = (K: number, N: number, seed: number): Operand => ({ data: randInt8(K * N, seed), off: 0, rs: N, cs: 1 });

function run(g: Int8GemmFn, M: number, N: number, K: number, a: Operand, b: Operand): Int32Array {
  const c = new Int32Array(M * N).fill(0x5a5a5a5a); // every element must be overwritten
  g(M, N, K, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, c, 0, N);
  return c;
}

const wasm = createWasmInt8Gemm();
// Small blocks so that modest shapes cross every M, N and K block edge.
const wasmSmallBlocks = createWasmInt8Gemm({ mc: 8, kc: 24, nc: 16, ms: 16 });
const viaPath =
  (path: 'js' | 'wasm'): Int8GemmFn =>
  (...args) =>
    int8Gemm(...args, path);

describe('int8 × int8 → int32 gemm (wasm SIMD and JS)', () => {
  it('compiles (Node ≥ 20 has wasm SIMD) into modules small enough for main-thread compilation', () => {
    expect(wasm).not.toBeNull();
    expect(wasmSmallBlocks).not.toBeNull();
    expect(emitGemmKernel({ mr: 4, nr: 8, unroll: 1 }, true).length).toBeLessThan(4096);
    expect(emitPackModule(4, 8, 'i8').length).toBeLessThan(4096);
  });

  const impls: [string, () => Int8GemmFn][] = [
    ['wasm', () => wasm!],
    ['wasm, small blocks', () => wasmSmallBlocks!],
    ['js path', () => viaPath('js')],
    ['wasm path', () => viaPath('wasm')],
  ];

  it.each(impls)('%s: hand-computed values, K = 1, and the −128·−128 extreme', (_, impl) => {
    const g = impl();
    // [[127, −128, 3], [0, 5, −7]] · [[1, 2], [−1, 100], [127, −128]]
    const a = { data: Int8Array.from([127, -128, 3, 0, 5, -7]), off: 0, rs: 3, cs: 1 };
    const b = { data: Int8Array.from([1, 2, -1, 100, 127, -128]), off: 0, rs: 2, cs: 1 };
    expect(Array.from(run(g, 2, 2, 3, a, b))).toEqual([636, -12930, -894, 1396]);
    // K = 1: an outer product, 3×5 (edge tiles in both directions).
    const u = { data: Int8Array.from([-128, 1, 127]), off: 0, rs: 1, cs: 1 };
    const v = { data: Int8Array.from([-128, -1, 0, 127, 2]), off: 0, rs: 5, cs: 1 };
    expect(Array.from(run(g, 3, 5, 1, u, v))).toEqual([16384, 128, 0, -16256, -256, -128, -1, 0, 127, 2, -16256, -127, 0, 16129, 254]);
    // All −128, K = 1000: every sum is 1000 · 16384 = 16,384,000 (pairs of 2¹⁴ products in one dot lane).
    const K = 1000;
    const m = { data: new Int8Array(5 * K).fill(-128), off: 0, rs: K, cs: 1 };
    const n = { data: new Int8Array(K * 9).fill(-128), off: 0, rs: 9, cs: 1 };
    expect(Array.from(run(g, 5, 9, K, m, n))).toEqual(new Array(45).fill(16_384_000));
  });

  it.each(impls)('%s: odd M, N, K and edge tiles match the exact reference', (_, impl) => {
    const g = impl();
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [1, 7, 1],
      [2, 9, 3],
      [3, 5, 17],
      [4, 8, 8],
      [5, 13, 9],
      [7, 31, 33],
      [17, 15, 65],
      [33, 7, 40],
      [1, 200, 70],
      [40, 3, 1],
    ];
    shapes.forEach(([M, K, N], s) => {
      const a = contiguousA(M, K, 2 * s + 1),
        b = contiguousB(K, N, 2 * s + 2);
      expect(run(g, M, N, K, a, b)).toEqual(reference(M, N, K, a, b));
    });
  });

  it.each(impls)('%s: transposed, padded, offset and stride-0 operands', (_, impl) => {
    const g = impl();
    const [M, K, N] = [19, 37, 21];
    const aT = { data: randInt8(3 + K * M, 11), off: 3, rs: 1, cs: M }; // A stored Kᵀ×M
    const bT = { data: randInt8(5 + N * K, 12), off: 5, rs: 1, cs: K }; // B stored N×K (a Linear weight)
    const aP = { data: randInt8(2 + M * (K + 3), 13), off: 2, rs: K + 3, cs: 1 }; // row padding
    const bP = { data: randInt8(K * (N + 6), 14), off: 0, rs: N + 6, cs: 1 };
    const aS = { data: randInt8(3 * M * K, 15), off: 0, rs: 2 * K, cs: 2 }; // neither way contiguous
    const a0 = { data: randInt8(K, 16), off: 0, rs: 0, cs: 1 }; // every row the same
    const b0 = { data: randInt8(K, 17), off: 0, rs: 1, cs: 0 }; // every column the same
    for (const a of [aT, aP, aS, a0]) for (const b of [bT, bP, b0]) expect(run(g, M, N, K, a, b)).toEqual(reference(M, N, K, a, b));
  });

  it('wasm matches JS on shapes past several blocks (small blocks) and one default block', () => {
    for (const [M, K, N] of [
      [37, 70, 45],
      [130, 600, 70],
    ]) {
      const a = contiguousA(M, K, M),
        b = { data: randInt8(N * K, N), off: 0, rs: 1, cs: K };
      const js = run(viaPath('js'), M, N, K, a, b);
      expect(run(wasmSmallBlocks!, M, N, K, a, b)).toEqual(js);
      expect(run(wasm!, M, N, K, a, b)).toEqual(js);
    }
  });

  it('writes only the M×N window at ldc / cOff, and zeroes it for K = 0', () => {
    const [M, K, N, ldc, cOff] = [6, 11, 10, 13, 4];
    const a = contiguousA(M, K, 21),
      b = contiguousB(K, N, 22);
    const want = reference(M, N, K, a, b);
    for (const g of [wasm!, viaPath('js')]) {
      const c = new Int32Array(cOff + M * ldc).fill(-7);
      g(M, N, K, a.data, 0, K, 1, b.data, 0, N, 1, c, cOff, ldc);
      for (let p = 0; p < c.length; p++) {
        const inside = p >= cOff && (p - cOff) % ldc < N;
        expect(c[p]).toBe(inside ? want[Math.floor((p - cOff) / ldc) * N + ((p - cOff) % ldc)] : -7);
      }
      g(M, N, 0, a.data, 0, K, 1, b.data, 0, N, 1, c, cOff, ldc);
      for (let p = 0; p < c.length; p++) expect(c[p]).toBe(p >= cOff && (p - cOff) % ldc < N ? 0 : -7);
    }
  });

  it('reports no wasm gemm when WebAssembly is missing (callers then take the JS loops)', () => {
    vi.stubGlobal('WebAssembly', undefined);
    try {
      expect(createWasmInt8Gemm()).toBeNull();
      expect(createWasmGemm()).toBeNull();
    } finally {
      vi.unstubAllGlobals();
    }
    expect(createWasmInt8Gemm()).not.toBeNull();
  });

  it('wraps past 2³¹ exactly as int32 arithmetic (and the JS path) does', () => {
    // K = 131,080 products of (−128)·(−128): 131,080 · 2¹⁴ = 2³¹ + 8·2¹⁴ → −2³¹ + 131,072.
    const K = 131_080;
    const a = { data: new Int8Array(2 * K).fill(-128), off: 0, rs: K, cs: 1 };
    const b = { data: new Int8Array(K * 2).fill(-128), off: 0, rs: 1, cs: K };
    const want = -(2 ** 31) + 131_072;
    expect(Array.from(run(wasm!, 2, 2, K, a, b))).toEqual([want, want, want, want]);
    expect(Array.from(run(viaPath('js'), 2, 2, K, a, b))).toEqual([want, want, want, want]);
  });

  it('is exact for every tile and unroll of the tuning space', () => {
    const [M, K, N] = [13, 45, 19];
    const a = contiguousA(M, K, 31),
      b = { data: randInt8(K * N, 32), off: 0, rs: 1, cs: K };
    const want = reference(M, N, K, a, b);
    for (const mr of [4, 8])
      for (const nr of [4, 8])
        for (const unroll of [1, 2, 4]) {
          const g = createWasmInt8Gemm({ mc: 8, kc: 16, nc: 8, ms: 8 }, { mr, nr, unroll });
          expect(run(g!, M, N, K, a, b)).toEqual(want);
          expect(run(g!, M, N, K, a, contiguousB(K, N, 33))).toEqual(reference(M, N, K, a, contiguousB(K, N, 33)));
        }
    expect(() => createWasmInt8Gemm(undefined, { mr: 6, nr: 8, unroll: 1 })).toThrow(RangeError);
  });
});

describe('wasm encoder: the integer SIMD opcodes of the int8 gemm', () => {
  it('load8x8_s sign-extends, shuffle interleaves, dot_i16x8_s and i32x4.add compute exactly', () => {
    // bytes 0..7 and 8..15: int8 inputs; out at 32: add(dot(interleave(x, y), interleave(x, y)), dot(x, y))
    const { i32 } = ValType;
    const lo = [0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23]; // i16 lanes x0 y0 x1 y1 x2 y2 x3 y3
    const body = new Code().get(0);
    body.get(0).v128Load8x8S(0).get(0).v128Load8x8S(8).i8x16Shuffle(lo);
    body.get(0).v128Load8x8S(0).get(0).v128Load8x8S(8).i8x16Shuffle(lo).i32x4DotI16x8S();
    body.get(0).v128Load8x8S(0).get(0).v128Load8x8S(8).i32x4DotI16x8S().i32x4Add().v128Store(32);
    const bytes = encodeModule({ memory: { minPages: 1, export: 'mem' }, funcs: [{ params: [i32], results: [], locals: [], body, export: 'f' }] });
    expect(WebAssembly.validate(bytes)).toBe(true);
    const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
    const mem = ex.mem as WebAssembly.Memory;
    new Int8Array(mem.buffer).set([-128, 127, -1, 2, -128, 0, 5, -7, -128, -128, 3, 4, -128, 9, 1, 1]);
    (ex.f as (p: number) => void)(0);
    // interleaved squares: x0² + y0² = 2·16384, 127² + 128², 1 + 9, 4 + 16; x·y pairs: 16384 − 16256, −3 + 8, 16384 + 0, 5 − 7
    expect(Array.from(new Int32Array(mem.buffer, 32, 4))).toEqual([32768 + 128, 16129 + 16384 + 5, 10 + 16384, 20 - 2]);
    expect(() => new Code().i8x16Shuffle([0, 1, 2])).toThrow(RangeError);
    expect(() => new Code().i8x16Shuffle(new Array(16).fill(32))).toThrow(RangeError);
  });
});
