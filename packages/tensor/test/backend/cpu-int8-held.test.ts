import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warmGemmThreads } from '../../src/backend/cpu/matmul';
import { setCpuThreads } from '../../src/backend/cpu/threads';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import { setInt8Relaxed } from '../../src/backend/cpu/wasm/int8-gemm';
import { matmul, memory, scope, type Tensor, tensor } from '../../src';
import { randInt8 } from '../helpers/random-int8';
import { untilWorkersHelp } from '../helpers/threads';

// The int8 gemm keeps a B operand used twice with the same geometry (a quantized layer's weight)
// packed in its memory (src/backend/cpu/wasm/int8-packed-b.ts): the products stay exact, any
// access to B's values (a write may follow) or freeing B drops the packed copy, and
// memory().packed counts its bytes while it lives.

/** x [M, K] @ w.T (w [N, K], the Linear layout), exactly, in JS. */
function reference(x: Int8Array, w: Int8Array, M: number, N: number, K: number): Int32Array {
  const c = new Int32Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[i * K + k] * w[j * K + k];
      c[i * N + j] = s;
    }
  return c;
}

/** The CPU storages' bytes and the packed copies'. */
const cpuBytes = () => memory().devices.cpu.bytes + memory().packed;
/** An int8 [rows, cols] tensor of `v` (one tensor: its storage goes with it). */
const int8 = (v: Int8Array, rows: number, cols: number) => scope(() => tensor(v, { dtype: 'int8' }).reshape([rows, cols]));
const product = (x: Int8Array, w: Tensor, M: number, K: number) =>
  scope(() => matmul(tensor(x, { dtype: 'int8' }).reshape([M, K]), w.transpose(0, 1)).dataSync() as Int32Array);
/** The standard kernel's held bytes: K to a multiple of 8, N of 8 (the tile), 2 bytes each, rounded up to 64. */
const heldBytes = (N: number, K: number) => Math.ceil((Math.ceil(K / 8) * 8 * Math.ceil(N / 8) * 8 * 2) / 64) * 64;

// the standard kernel's held layout on every engine (where relaxed SIMD runs, the relaxed kernel's
// held copies are checked by int8-relaxed-check.ts)
beforeAll(() => setInt8Relaxed(false));
afterAll(() => {
  setCpuThreads(1);
  setInt8Relaxed(true);
});

describe('int8 gemm with a held B', () => {
  it('holds B from its second product on, exactly, and counts and frees its bytes with the tensor', () => {
    setCpuThreads(1);
    const [M, N, K] = [20, 36, 70];
    const wv = randInt8(N * K, 1);
    const w = int8(wv, N, K);
    const base = cpuBytes();
    const xs = [randInt8(M * K, 2), randInt8(M * K, 3), randInt8(M * K, 4)];
    expect(product(xs[0], w, M, K)).toEqual(reference(xs[0], wv, M, N, K));
    expect(cpuBytes()).toBe(base); // a first use packs per call
    const storages = memory().devices.cpu.bytes;
    expect(product(xs[1], w, M, K)).toEqual(reference(xs[1], wv, M, N, K));
    expect(cpuBytes()).toBe(base + heldBytes(N, K)); // 5760: 72 × 40 × 2
    expect(memory().devices.cpu.bytes).toBe(storages); // counted in memory().packed, beside the storages
    expect(product(xs[2], w, M, K)).toEqual(reference(xs[2], wv, M, N, K));
    expect(cpuBytes()).toBe(base + heldBytes(N, K));
    w.dispose();
    expect(cpuBytes()).toBe(base - N * K);
  });

  it('serves held products without reading B, and drops the copy on any access to its values', () => {
    setCpuThreads(1);
    const [M, N, K] = [9, 40, 33];
    const wv = randInt8(N * K, 5);
    const w = int8(wv, N, K);
    const x = randInt8(M * K, 6);
    const want = reference(x, wv, M, N, K);
    product(x, w, M, K);
    product(x, w, M, K);
    const base = cpuBytes();
    // the storage's array changed behind the backend's back (no kernel does that): the held copy still serves
    const data = (w._view().storage as CpuStorage).data as Int8Array;
    data[0] = data[0] === 5 ? 6 : 5;
    expect(product(x, w, M, K)).toEqual(want);
    data[0] = wv[0];
    // a read drops it (bytes); the next product packs and holds it again (B was seen with this geometry)
    expect(Array.from(w.dataSync())).toEqual(Array.from(wv));
    expect(cpuBytes()).toBe(base - heldBytes(N, K));
    expect(product(x, w, M, K)).toEqual(want);
    expect(cpuBytes()).toBe(base);
    // an in-place write: the products follow the new values
    const wv2 = randInt8(N * K, 7);
    scope(() => w.assign(int8(wv2, N, K)));
    expect(cpuBytes()).toBe(base - heldBytes(N, K));
    expect(product(x, w, M, K)).toEqual(reference(x, wv2, M, N, K));
    expect(product(x, w, M, K)).toEqual(reference(x, wv2, M, N, K));
    expect(cpuBytes()).toBe(base);
    w.dispose();
  });

  it('holds several weights, reuses a freed one’s room, and holds per view geometry', () => {
    setCpuThreads(1);
    const [M, K] = [12, 64];
    const x = randInt8(M * K, 8);
    const base = cpuBytes();
    const ws = [24, 48, 16].map((N, i) => ({ N, v: randInt8(N * K, 10 + i) }));
    const ts = ws.map(({ N, v }) => int8(v, N, K));
    for (let r = 0; r < 3; r++) ws.forEach(({ N, v }, i) => expect(product(x, ts[i], M, K)).toEqual(reference(x, v, M, N, K)));
    const held = ws.reduce((s, { N }) => s + heldBytes(N, K), 0);
    expect(cpuBytes()).toBe(base + ws.reduce((s, { N }) => s + N * K, 0) + held);
    ts[0].dispose();
    const w4 = randInt8(20 * K, 20);
    const t4 = int8(w4, 20, K);
    for (let r = 0; r < 2; r++) expect(product(x, t4, M, K)).toEqual(reference(x, w4, M, 20, K));
    ws.slice(1).forEach(({ N, v }, i) => expect(product(x, ts[i + 1], M, K)).toEqual(reference(x, v, M, N, K)));
    // rows 4…19 of w4 as a weight of its own: a second geometry of the same storage, held beside the first
    const rows = t4.slice(0, 4, 20);
    const w5 = w4.subarray(4 * K);
    for (let r = 0; r < 2; r++) expect(product(x, rows, M, K)).toEqual(reference(x, w5, M, 16, K));
    rows.dispose();
    expect(cpuBytes()).toBe(base + (48 + 16 + 20) * K + heldBytes(48, K) + heldBytes(16, K) + heldBytes(20, K) + heldBytes(16, K));
    for (const t of [...ts.slice(1), t4]) t.dispose();
    expect(cpuBytes()).toBe(base);
  });

  it('reads the right panels of a held B past one K block and one column block (the stage’s width)', () => {
    setCpuThreads(1);
    // K 1100: blocks of 512, 512 and 76 (the last padded); N 1100 with M 520: the 2 MB stage holds
    // 1008 columns, so a second column block starts at 1008
    for (const [M, N, K] of [
      [20, 600, 1100],
      [520, 1100, 24],
    ]) {
      const wv = randInt8(N * K, 40);
      const w = int8(wv, N, K);
      const x = randInt8(M * K, 41);
      const want = reference(x, wv, M, N, K);
      for (let r = 0; r < 3; r++) {
        const got = product(x, w, M, K);
        expect(
          got.findIndex((v, i) => v !== want[i]),
          'first element that differs',
        ).toBe(-1);
      }
      w.dispose();
    }
  });

  // 64×256×512: one block of k (the shared gemm holds its own copy of B). 150×100×1100: three blocks
  // of k (512, 512, 80 after padding to 8) in one job, each chunk running all three; two row blocks
  // of 128 and 22 rows (not a multiple of the tile's 4); 13 panels, the last partial.
  it.each([
    [64, 256, 512, 30],
    [150, 100, 1100, 40],
  ])('gives 1 thread’s bytes on 2 threads, with a worker taking part: M %i, N %i, K %i', async (M, N, K, seed) => {
    const start = memory().tensors;
    const wv = randInt8(N * K, seed);
    const w = int8(wv, N, K);
    const xs = [randInt8(M * K, seed + 1), randInt8(M * K, seed + 2)];
    setCpuThreads(1);
    const one = xs.map((x) => [product(x, w, M, K), product(x, w, M, K)]);
    setCpuThreads(2);
    expect(await warmGemmThreads()).toBe(true);
    const two = xs.map((x) => [product(x, w, M, K), untilWorkersHelp(() => product(x, w, M, K))]);
    expect(two).toEqual(one);
    expect(two[0][1]).toEqual(reference(xs[0], wv, M, N, K));
    expect(two[1][1]).toEqual(reference(xs[1], wv, M, N, K));
    w.dispose();
    expect(memory().tensors).toBe(start);
  });
});
