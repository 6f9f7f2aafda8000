import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { gemm, matmul, setGemmPath } from '../../src/backend/cpu/matmul';
import { createWasmGemm, emitGemmKernel } from '../../src/backend/cpu/wasm/gemm-kernel';
import { createWasmGemv, emitGemvModule } from '../../src/backend/cpu/wasm/gemv';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import type { View } from '../../src/backend/backend';

/** Tiny seeded LCG → uniform floats in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  };
}

function randArray(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}

function storage(data: Float32Array): CpuStorage {
  return { device: 'cpu', dtype: 'float32', size: data.length, bytes: data.byteLength, refs: 1, data };
}

function contiguous(shape: number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

function view(data: Float32Array, shape: number[], strides = contiguous(shape), offset = 0): View {
  return { storage: storage(data), shape, strides, offset };
}

/** Float64 reference of a batched matmul of two (arbitrarily strided) views. */
function reference(a: View, b: View): { data: Float64Array; shape: number[] } {
  const r = a.shape.length;
  const batch = a.shape.slice(0, r - 2);
  const M = a.shape[r - 2],
    K = a.shape[r - 1],
    N = b.shape[r - 1];
  const nb = batch.reduce((p, d) => p * d, 1);
  const ad = (a.storage as CpuStorage).data,
    bd = (b.storage as CpuStorage).data;
  const [ars, acs] = [a.strides[r - 2], a.strides[r - 1]];
  const [brs, bcs] = [b.strides[r - 2], b.strides[r - 1]];
  const out = new Float64Array(nb * M * N);
  for (let t = 0; t < nb; t++) {
    // Decompose the flat batch index and locate the batch's matrices.
    let rem = t,
      ao = a.offset,
      bo = b.offset;
    for (let d = batch.length - 1; d >= 0; d--) {
      const i = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
      ao += i * a.strides[d];
      bo += i * b.strides[d];
    }
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += ad[ao + i * ars + k * acs] * bd[bo + k * brs + j * bcs];
        out[t * M * N + i * N + j] = s;
      }
    }
  }
  return { data: out, shape: [...batch, M, N] };
}

/** float32 GEMM against the float64 reference: |Δ| ≤ 1e-5·(K + |want|), error growing with the K-term sum. */
const tolFor = (K: number) => ({ rtol: 1e-5, atol: 1e-5 * Math.max(1, K) });

function runMatmul(a: View, b: View): Float32Array {
  const r = a.shape.length;
  const outShape = [...a.shape.slice(0, r - 1), b.shape[r - 1]];
  const n = outShape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(n).fill(NaN); // must be fully overwritten
  matmul(a, b, storage(data));
  return data;
}

function check2d(M: number, K: number, N: number, seed = 1): void {
  const a = view(randArray(M * K, seed), [M, K]);
  const b = view(randArray(K * N, seed + 100), [K, N]);
  expect(runMatmul(a, b)).toBeAllClose(reference(a, b).data, tolFor(K));
}

// Every case runs on the plain-JS kernel and on the WebAssembly SIMD kernel (forced for all
// shapes, even those 'auto' keeps in JS), then once more on 'auto'.
describe.each(['js', 'wasm', 'auto'] as const)('cpu matmul (%s path)', (path) => {
  beforeAll(() => {
    // Node ≥ 20 always has wasm SIMD; a false here means the emitted module stopped validating.
    expect(setGemmPath(path)).toBe(true);
  });
  afterAll(() => {
    setGemmPath('auto');
  });

  it('matches the reference on assorted 2-D shapes', () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [1, 5, 1],
      [5, 1, 7],
      [1, 9, 6],
      [2, 40, 70],
      [60, 33, 2],
      [8, 8, 8],
      [7, 13, 5],
      [31, 17, 29],
      [4, 4, 4],
      [5, 3, 9],
      [33, 35, 37],
      [64, 64, 64],
      [3, 300, 2],
      [130, 257, 65],
      [129, 1, 131],
      [1, 600, 517],
    ];
    shapes.forEach(([M, K, N], s) => check2d(M, K, N, s + 1));
  });

  it('handles a 300×300×300 product (several M and K blocks)', () => {
    check2d(300, 300, 300, 42);
  });

  it('handles K and N spanning several blocks with ragged edges', () => {
    check2d(67, 600, 45, 7);
    check2d(3, 70, 1030, 8);
  });

  it('handles zero-sized M, N and K', () => {
    expect(runMatmul(view(new Float32Array(0), [0, 4]), view(randArray(12, 1), [4, 3])).length).toBe(0);
    expect(runMatmul(view(randArray(8, 1), [2, 4]), view(new Float32Array(0), [4, 0])).length).toBe(0);
    const z = runMatmul(view(new Float32Array(0), [3, 0]), view(new Float32Array(0), [0, 5]));
    expect(Array.from(z)).toEqual(new Array(15).fill(0));
    const zb = runMatmul(view(new Float32Array(0), [2, 40, 0]), view(new Float32Array(0), [2, 0, 50]));
    expect(zb.length).toBe(4000);
    expect(zb.every((x) => x === 0)).toBe(true);
  });

  it('reads transposed operands and offsets', () => {
    for (const [M, K, N] of [
      [7, 13, 5],
      [70, 90, 50],
      [1, 40, 30],
      [2, 30, 20],
      [30, 20, 1],
    ] as const) {
      // A stored as Kᵀ×M (transposed view), B stored as N×K (transposed view), both at offsets.
      const aT = randArray(3 + K * M, 11);
      const bT = randArray(5 + N * K, 12);
      const a = view(aT, [M, K], [1, M], 3);
      const b = view(bT, [K, N], [1, K], 5);
      expect(runMatmul(a, b)).toBeAllClose(reference(a, b).data, tolFor(K));
      // Only one transposed, with row padding (stride > width).
      const ap = randArray(2 + M * (K + 3), 13);
      const a2 = view(ap, [M, K], [K + 3, 1], 2);
      expect(runMatmul(a2, b)).toBeAllClose(reference(a2, b).data, tolFor(K));
    }
  });

  it('multiplies batches', () => {
    for (const [M, K, N] of [
      [4, 6, 5],
      [37, 41, 43],
    ] as const) {
      const a = view(randArray(3 * M * K, 21), [3, M, K]);
      const b = view(randArray(3 * K * N, 22), [3, K, N]);
      expect(runMatmul(a, b)).toBeAllClose(reference(a, b).data, tolFor(K));
    }
    // Two batch dims, b's batch dims permuted in memory.
    const a = view(randArray(2 * 3 * 5 * 7, 23), [2, 3, 5, 7]);
    const bd = randArray(3 * 2 * 7 * 4, 24);
    const b = view(bd, [2, 3, 7, 4], [7 * 4, 2 * 7 * 4, 4, 1]);
    expect(runMatmul(a, b)).toBeAllClose(reference(a, b).data, tolFor(7));
  });

  it('broadcasts batch dims given as stride 0', () => {
    const M = 33,
      K = 40,
      N = 30;
    const a = view(randArray(4 * M * K, 31), [4, M, K]);
    const b = view(randArray(K * N, 32), [4, K, N], [0, N, 1]);
    expect(runMatmul(a, b)).toBeAllClose(reference(a, b).data, tolFor(K));
    const a2 = view(randArray(M * K, 33), [2, 3, M, K], [0, 0, K, 1]);
    const b2 = view(randArray(3 * K * N, 34), [2, 3, K, N], [0, K * N, N, 1]);
    expect(runMatmul(a2, b2)).toBeAllClose(reference(a2, b2).data, tolFor(K));
  });

  it('folds batches sharing one B into one product only when A rows continue evenly', () => {
    const [M, K, N] = [5, 9, 11];
    const b = view(randArray(K * N, 35), [3, K, N], [0, N, 1]);
    const bt = view(randArray(N * K, 36), [2, 3, K, N], [0, 0, 1, K]); // shared Wᵀ, two batch dims
    const cases: View[] = [
      view(randArray(3 * M * K, 37), [3, M, K]), // contiguous: folds
      view(randArray(3 * M * K, 38), [3, M, K], [K, 3 * K, 1]), // batches interleaved row by row: folds not
      view(randArray(3 * M * K, 39), [3, M, K], [M * K, 1, M]), // each batch transposed: folds not
      view(randArray(3 * K, 40), [3, 1, K]), // M = 1: the batch stride is the row stride
      view(randArray(3 * K + 7, 41), [3, 1, K], [K + 2, 4, 1], 1), // M = 1, padded batches
    ];
    for (const a of cases) expect(runMatmul(a, b)).toBeAllClose(reference(a, b).data, tolFor(K));
    const a4 = view(randArray(2 * 3 * M * K, 42), [2, 3, M, K]);
    expect(runMatmul(a4, bt)).toBeAllClose(reference(a4, bt).data, tolFor(K));
    const a4s = view(randArray(2 * 3 * M * K, 43), [2, 3, M, K], [M * K, 2 * M * K, K, 1]); // batch dims swapped
    expect(runMatmul(a4s, bt)).toBeAllClose(reference(a4s, bt).data, tolFor(K));
  });

  it('handles size-1 batch dims and a stride-0 row/column inside the matrix', () => {
    const a = view(randArray(6 * 8, 41), [1, 6, 8]);
    const b = view(randArray(8 * 3, 42), [1, 8, 3]);
    expect(runMatmul(a, b)).toBeAllClose(reference(a, b).data, tolFor(8));
    const a2 = view(randArray(50, 43), [40, 50], [0, 1]); // every row the same
    const b2 = view(randArray(50 * 33, 44), [50, 33]);
    expect(runMatmul(a2, b2)).toBeAllClose(reference(a2, b2).data, tolFor(50));
  });

  it('gemm accumulates into C when asked and respects ldc / cOff', () => {
    for (const [M, K, N] of [
      [3, 4, 5],
      [45, 70, 38],
      [2, 50, 20],
      [9, 30, 1],
      [130, 300, 70],
    ] as const) {
      const a = randArray(M * K, 51);
      const b = randArray(K * N, 52);
      const ldc = N + 3,
        cOff = 2;
      const c0 = randArray(cOff + M * ldc, 53);
      const c = Float32Array.from(c0);
      gemm(M, N, K, a, 0, K, 1, b, 0, N, 1, c, cOff, ldc, true);
      const av = view(a, [M, K]),
        bv = view(b, [K, N]);
      const ref = reference(av, bv).data;
      const got = new Float32Array(M * N),
        want = new Float64Array(M * N);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          got[i * N + j] = c[cOff + i * ldc + j];
          want[i * N + j] = ref[i * N + j] + c0[cOff + i * ldc + j];
        }
      }
      expect(got).toBeAllClose(want, tolFor(K));
      // Padding between rows and before cOff is untouched.
      for (let p = 0; p < c.length; p++) {
        const inside = p >= cOff && (p - cOff) % ldc < N;
        if (!inside) expect(c[p]).toBe(c0[p]);
      }
      // K = 0 with accumulate leaves C alone; without it, zeroes the M×N window only.
      const c1 = Float32Array.from(c0);
      gemm(M, N, 0, a, 0, K, 1, b, 0, N, 1, c1, cOff, ldc, true);
      expect(c1).toEqual(c0);
      gemm(M, N, 0, a, 0, K, 1, b, 0, N, 1, c1, cOff, ldc, false);
      for (let p = 0; p < c1.length; p++) {
        const inside = p >= cOff && (p - cOff) % ldc < N;
        expect(c1[p]).toBe(inside ? 0 : c0[p]);
      }
    }
  });

  it('handles larger shapes that are multiples of no block or tile', () => {
    check2d(257, 129, 300, 61);
    check2d(1030, 260, 517, 62); // M past one C stage (1024 rows), K past one K block, N past one N block
    check2d(5, 1000, 6, 63);
  });

  it('reads large transposed and broadcast operands', () => {
    const M = 131,
      K = 263,
      N = 97;
    const a = view(randArray(K * M, 71), [M, K], [1, M]);
    const b = view(randArray(N * K + 9, 72), [K, N], [1, K], 9);
    expect(runMatmul(a, b)).toBeAllClose(reference(a, b).data, tolFor(K));
    // A batch of 3 sharing one (transposed) B, and a column-broadcast B (stride 0 along N).
    const a3 = view(randArray(3 * M * K, 73), [3, M, K]);
    const b3 = view((b.storage as CpuStorage).data as Float32Array, [3, K, N], [0, 1, K], 9);
    expect(runMatmul(a3, b3)).toBeAllClose(reference(a3, b3).data, tolFor(K));
    const bc = view(randArray(K, 74), [K, N], [1, 0]);
    expect(runMatmul(a, bc)).toBeAllClose(reference(a, bc).data, tolFor(K));
  });

  it('keeps NaN and ±Infinity in the rows and columns they come from (padding stays out)', () => {
    const M = 6,
      K = 7,
      N = 10; // tiles are padded in M, N and K
    const a = randArray(M * K, 81).map(Math.abs),
      b = randArray(K * N, 82).map(Math.abs);
    a[4 * K + 3] = NaN;
    b[2 * N + 9] = Infinity;
    const c = runMatmul(view(a, [M, K]), view(b, [K, N]));
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        const v = c[i * N + j];
        if (i === 4) expect(v).toBeNaN();
        else if (j === 9) expect(v).toBe(Infinity);
        else expect(Number.isFinite(v)).toBe(true);
      }
    }
  });
});

describe('wasm gemm kernel', () => {
  it('stays under the 4 KB browsers allow for synchronous compilation on the main thread', () => {
    expect(emitGemmKernel({ mr: 4, nr: 8, unroll: 1 }).length).toBeLessThan(4096);
  });

  it('is correct for other tile shapes, unrolls and blockings (the tuning space)', () => {
    const M = 71,
      K = 45,
      N = 53;
    const a = randArray(M * K, 91),
      b = randArray(K * N, 92);
    const want = reference(view(a, [M, K]), view(b, [K, N])).data;
    for (const [mr, nr, unroll] of [
      [6, 8, 2],
      [8, 4, 4],
      [3, 12, 1],
      [2, 16, 3],
    ]) {
      const g = createWasmGemm({ mr, nr, unroll }, { mc: 20, kc: 16, nc: 24, ms: 40 });
      expect(g).not.toBeNull();
      const c = new Float32Array(M * N).fill(NaN);
      g!(M, N, K, a, 0, K, 1, b, 0, N, 1, c, 0, N, false);
      expect(c).toBeAllClose(want, tolFor(K));
    }
  });

  it('packs every operand layout in wasm across small blocks (K off the 4-wide packing step)', () => {
    const g = createWasmGemm({ mr: 4, nr: 8, unroll: 1 }, { mc: 8, kc: 12, nc: 16, ms: 16 });
    expect(g).not.toBeNull();
    const [M, K, N] = [21, 31, 35];
    const layouts = (rows: number, cols: number, seed: number): View[] => [
      view(randArray(rows * cols, seed), [rows, cols]), // row-major
      view(randArray(3 + rows * cols, seed + 1), [rows, cols], [1, rows], 3), // transposed, offset
      view(randArray(rows * cols * 4, seed + 2), [rows, cols], [2 * cols, 2]), // neither way contiguous
      view(randArray(cols, seed + 3), [rows, cols], [0, 1]), // every row the same
    ];
    for (const a of layouts(M, K, 101))
      for (const b of layouts(K, N, 201)) {
        const c = new Float32Array(M * N).fill(NaN);
        const ad = (a.storage as CpuStorage).data as Float32Array,
          bd = (b.storage as CpuStorage).data as Float32Array;
        g!(M, N, K, ad, a.offset, a.strides[0], a.strides[1], bd, b.offset, b.strides[0], b.strides[1], c, 0, N, false);
        expect(c).toBeAllClose(reference(a, b).data, tolFor(K));
      }
  });
});

describe('wasm gemv (M or N = 1)', () => {
  const gemv = createWasmGemv();
  /** out[l·os] = Σ_k v[k]·m[l, k] in float64, for the reference. */
  function ref(L: number, K: number, v: Float32Array, vs: number, m: Float32Array, ls: number, ks: number): Float64Array {
    const out = new Float64Array(L);
    for (let l = 0; l < L; l++) for (let k = 0; k < K; k++) out[l] += v[k * vs] * m[l * ls + k * ks];
    return out;
  }

  it('compiles small and matches the reference for lines, rows and general strides', () => {
    expect(gemv).not.toBeNull();
    expect(emitGemvModule().length).toBeLessThan(4096);
    for (const [L, K] of [
      [1, 1],
      [3, 5],
      [17, 33],
      [64, 7],
      [5, 130],
    ]) {
      const v = randArray(2 * K, L + K);
      const m = randArray(4 * L * K, L * K);
      for (const [ls, ks] of [
        [K, 1], // lines (k contiguous)
        [1, L], // rows (lines contiguous)
        [2 * K, 2], // neither
        [0, 1], // every line the same
      ]) {
        const out = new Float32Array(L).fill(NaN);
        gemv!(L, K, v, 0, 2, m, 0, ls, ks, out, 0, 1, false);
        expect(out).toBeAllClose(ref(L, K, v, 2, m, ls, ks), tolFor(K));
      }
    }
  });

  it('chunks long lines and many rows, writes strided outputs and accumulates', () => {
    // Lines: K = 70,000 → 12 lines per 1 M-float chunk, 30 lines in 3 chunks.
    const [L1, K1] = [30, 70_000];
    const v1 = randArray(K1, 1),
      m1 = randArray(L1 * K1, 2);
    const o1 = new Float32Array(L1);
    gemv!(L1, K1, v1, 0, 1, m1, 0, K1, 1, o1, 0, 1, false);
    expect(o1).toBeAllClose(ref(L1, K1, v1, 1, m1, K1, 1), tolFor(K1));
    // Rows: L = 5000 → 209 rows per chunk, K = 500 in 3 chunks; outputs 3 apart, added to 1s.
    const [L2, K2] = [5000, 500];
    const v2 = randArray(K2, 3),
      m2 = randArray(L2 * K2, 4);
    const o2 = new Float32Array(3 * L2).fill(1);
    gemv!(L2, K2, v2, 0, 1, m2, 0, 1, L2, o2, 0, 3, true);
    const want = ref(L2, K2, v2, 1, m2, 1, L2).map((x) => x + 1);
    expect(o2.filter((_, i) => i % 3 === 0)).toBeAllClose(want, tolFor(K2));
    expect(o2.filter((_, i) => i % 3 !== 0).every((x) => x === 1)).toBe(true);
  });
});
