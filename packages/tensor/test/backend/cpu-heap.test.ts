import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSize, heapEnabled, heapMemory, heapStats, setHeapEnabled } from '../../src/backend/cpu/heap';
import type { CpuStorage } from '../../src/backend/cpu/storage';
import { setSimdPath, zeroCopy } from '../../src/backend/cpu/wasm/simd-driver';
import { arange, layerNorm, logSoftmax, memory, ones, scope, softmax, type Tensor, tensor, zeros } from '../../src/index';
import { rand } from './simd-helpers';

// CPU storage in the shared WebAssembly heap (src/backend/cpu/heap.ts): blocks are reused after
// dispose, so nothing handed to the user may alias a block; and the SIMD kernels run in place on
// heap tensors (zero copy), which must give bit for bit what the chunked path gives on plain arrays.
// The heap is switched on here whatever AIMODEL_CPU_POOL says (that variable only sets the default).

const storageOf = (t: Tensor) => t._view().storage as CpuStorage;
let wasOn = true;
beforeAll(() => {
  wasOn = heapEnabled();
  setHeapEnabled(true);
});
afterAll(() => setHeapEnabled(wasOn));

describe('CPU heap allocation', () => {
  it('puts storage in the shared heap, 64-byte aligned, and falls back to plain arrays when off', () => {
    const x = tensor(rand(100, 1));
    const s = storageOf(x);
    expect(s.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(s.block! % 64).toBe(0);
    expect(s.data.byteOffset).toBe(s.block);
    expect(heapMemory()!.buffer.byteLength).toBeGreaterThanOrEqual(s.block! + 400);
    setHeapEnabled(false);
    const y = tensor([1, 2, 3]);
    setHeapEnabled(true);
    expect(storageOf(y).block).toBeUndefined();
    expect(storageOf(y).data.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(y.dataSync()).toEqual(new Float32Array([1, 2, 3]));
    x.dispose();
    y.dispose();
  });

  it('size classes: 64 bytes up to 256, then four per power of two', () => {
    expect([1, 64, 65, 256, 257, 320, 321, 4096, 4097, 4 << 20].map(blockSize)).toEqual([64, 64, 128, 256, 320, 320, 384, 4096, 5120, 4 << 20]);
  });

  it('a disposed block is reused, and arrays read before stay as they were', () => {
    const x = tensor([1, 2, 3, 4, 5]);
    const read = x.dataSync();
    const block = storageOf(x).block;
    x.dispose();
    const y = tensor([9, 9, 9, 9, 9]);
    expect(storageOf(y).block).toBe(block); // the same memory…
    expect(read).toEqual(new Float32Array([1, 2, 3, 4, 5])); // …but the earlier read is a copy
    expect(read.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    y.dispose();
  });

  it('data() and toArray() are copies too', async () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const d = await x.data();
    const nested = await x.toArray();
    x.dispose();
    scope(() =>
      tensor([
        [7, 7],
        [7, 7],
      ]).mul(3),
    );
    expect(d).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(nested).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('a reused block reads as zeros where the CPU promises zeroed memory', () => {
    const x = ones([37]).mul(5);
    x.dispose();
    const z = zeros([37]);
    expect(storageOf(z).dirty).toBe(true); // it got the old block, not yet cleared…
    expect(z.dataSync()).toEqual(new Float32Array(37)); // …and reads as zeros
    z.dispose();
  });

  it('outputs that a kernel writes whole take a reused block uncleared: matmul (K = 0 too) and a copy', () => {
    // frees a block of n NaNs: the next output of that size class takes it (checked by address)
    const poison = (n: number) => {
      const p = tensor(new Float32Array(n).fill(Number.NaN));
      const at = storageOf(p).block;
      p.dispose();
      return at;
    };
    const a = tensor([1, 2, 3, 4, 5, 6]).reshape([2, 3]),
      b = tensor(rand(12, 4)).reshape([3, 4]),
      z1 = zeros([2, 0]),
      z2 = zeros([0, 4]),
      at = a.transpose(0, 1);
    let block = poison(8);
    const c = a.matmul(b);
    expect(storageOf(c).block).toBe(block);
    const [bd, cd] = [b.dataSync(), c.dataSync()];
    for (let k = 0; k < 8; k++) {
      const [i, j] = [Math.floor(k / 4), k % 4];
      expect(cd[k]).toBeCloseTo((3 * i + 1) * bd[j] + (3 * i + 2) * bd[4 + j] + (3 * i + 3) * bd[8 + j], 5);
    }
    block = poison(8);
    const empty = z1.matmul(z2); // K = 0: zeros, whatever the block held
    expect(storageOf(empty).block).toBe(block);
    expect(empty.dataSync()).toEqual(new Float32Array(8));
    block = poison(6);
    const t = at.contiguous(); // a copy into a fresh whole storage
    expect(storageOf(t).block).toBe(block);
    expect(Array.from(t.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    for (const x of [a, b, z1, z2, at, c, empty, t]) x.dispose();
  });

  it('a freed storage is detached: a stale reference sees no data', () => {
    const x = tensor([1, 2, 3]);
    const s = storageOf(x);
    x.dispose();
    expect(s.data.length).toBe(0);
    expect(s.block).toBeUndefined();
  });

  it('memory() counts live tensors’ bytes, not the heap’s size', () => {
    const before = memory().devices.cpu.bytes;
    const live = heapStats().live;
    const x = zeros([1000]);
    expect(memory().devices.cpu.bytes - before).toBe(4000);
    expect(heapStats().live - live).toBe(blockSize(4000));
    x.dispose();
    expect(memory().devices.cpu.bytes).toBe(before);
    expect(heapStats().live).toBe(live);
  });

  it('a 10k-op loop reuses its blocks: the heap stops growing after the first steps', () => {
    const x = tensor(rand(1024, 2));
    const step = () => scope(() => x.mul(2).add(1).relu().sum().dataSync());
    for (let i = 0; i < 10; i++) step();
    const used = heapStats().used;
    const tensors = memory().tensors;
    for (let i = 0; i < 2500; i++) step(); // 4 ops each
    expect(heapStats().used).toBe(used);
    expect(memory().tensors).toBe(tensors);
    expect(heapStats().freeBlocks).toBeGreaterThan(0);
    x.dispose();
  });
});

/** The same computation on heap tensors (zero-copy kernels) and on plain arrays (chunked kernels). */
function bothWays(make: () => Tensor[], f: (...xs: Tensor[]) => Tensor): { heap: Float32Array; plain: Float32Array; direct: number } {
  const run = () =>
    scope(() => {
      const ins = make();
      const before = zeroCopy.calls;
      const out = f(...ins);
      return { values: out.dataSync() as Float32Array, direct: zeroCopy.calls - before };
    });
  const heap = run();
  setHeapEnabled(false);
  try {
    const plain = run();
    expect(plain.direct).toBe(0); // plain arrays always take the chunked path
    return { heap: heap.values, plain: plain.values, direct: heap.direct };
  } finally {
    setHeapEnabled(true);
  }
}

/** ∂x and ∂w of Σ(layerNorm(x)·g) for a fixed g (so gy is not constant along rows). */
function normGrads(x: Tensor, w: Tensor): [Tensor, Tensor] {
  const y = layerNorm(x.reshape([40, 96]), [96], { weight: w });
  y.mul(tensor(rand(40 * 96, 36)).reshape([40, 96]))
    .sum()
    .backward();
  return [x.grad!, w.grad!];
}

describe('zero-copy SIMD kernels on heap tensors', () => {
  // the SIMD path for every size, whatever AIMODEL_CPU_SIMD says; restored after
  const initial = process.env.AIMODEL_CPU_SIMD === '0' ? 'js' : 'auto';
  beforeAll(() => expect(setSimdPath('wasm')).toBe(true));
  afterAll(() => setSimdPath(initial));
  // name, inputs, computation, whether it runs zero copy (else chunked, from the heap all the same)
  const cases: [string, () => Tensor[], (...xs: Tensor[]) => Tensor, boolean?][] = [
    ['exp, contiguous, odd length', () => [tensor(rand(1001, 3))], (x) => x.exp()],
    ['gelu on a narrowed view (offset 3)', () => [tensor(rand(500, 4)).narrow(0, 3, 401)], (x) => x.gelu()],
    ['add, same shape', () => [tensor(rand(999, 5)), tensor(rand(999, 6))], (a, b) => a.add(b)],
    ['mul by a number', () => [tensor(rand(777, 7))], (a) => a.mul(1.5)],
    ['number minus a tensor', () => [tensor(rand(777, 8))], (a) => a.neg().add(2).sub(a)],
    ['row broadcast (bias [37])', () => [tensor(rand(64 * 37, 9)).reshape([64, 37]), tensor(rand(37, 10))], (a, b) => a.add(b)],
    ['column broadcast ([64, 1])', () => [tensor(rand(64 * 37, 11)).reshape([64, 37]), tensor(rand(64, 12)).reshape([64, 1])], (a, b) => a.div(b)],
    ['scalar tensor on the left', () => [tensor(rand(1, 13)).reshape([]), tensor(rand(300, 14))], (a, b) => a.sub(b)],
    [
      'transposed operand (chunked, same result)',
      () => [tensor(rand(40 * 50, 15)).reshape([40, 50]), tensor(rand(50 * 40, 16)).reshape([50, 40])],
      (a, b) => a.add(b.transpose(0, 1)),
      false,
    ],
    ['pow 2', () => [tensor(rand(513, 17))], (a) => a.pow(2)],
    ['softmax, rows of 64', () => [tensor(rand(33 * 64, 18)).reshape([33, 64])], (x) => softmax(x, -1)],
    ['logSoftmax, rows of 64', () => [tensor(rand(33 * 64, 19)).reshape([33, 64])], (x) => logSoftmax(x, -1)],
    ['softmax, rows of 30 (chunked)', () => [tensor(rand(9 * 30, 20)).reshape([9, 30])], (x) => softmax(x, -1), false],
    ['sum of rows of 128', () => [tensor(rand(50 * 128, 21)).reshape([50, 128])], (x) => x.sum(-1)],
    ['max of rows of 128', () => [tensor(rand(50 * 128, 22)).reshape([50, 128])], (x) => x.max(-1)],
    ['sum of rows of 131 (odd: 128 in wasm, 3 here)', () => [tensor(rand(20 * 131, 23)).reshape([20, 131])], (x) => x.sum(-1)],
    ['min of rows of 131', () => [tensor(rand(20 * 131, 24)).reshape([20, 131])], (x) => x.min(-1)],
    ['sum of everything (100003)', () => [tensor(rand(100003, 25))], (x) => x.sum()],
    ['sum over the batch ([300, 48] → [48])', () => [tensor(rand(300 * 48, 26)).reshape([300, 48])], (x) => x.sum(0)],
    [
      'layerNorm over 96 with weight and bias',
      () => [tensor(rand(40 * 96, 27)).reshape([40, 96]), tensor(rand(96, 28)), tensor(rand(96, 29))],
      (x, w, b) => layerNorm(x, [96], { weight: w, bias: b }),
    ],
    [
      'layerNorm backward: ∂x',
      () => [tensor(rand(40 * 96, 32), { requiresGrad: true }), tensor(rand(96, 33), { requiresGrad: true })],
      (x, w) => normGrads(x, w)[0],
    ],
    [
      'layerNorm backward: ∂w (through gy·x̂)',
      () => [tensor(rand(40 * 96, 34), { requiresGrad: true }), tensor(rand(96, 35), { requiresGrad: true })],
      (x, w) => normGrads(x, w)[1],
    ],
  ];
  for (const [name, make, f, zero = true] of cases) {
    it(`${name}: heap result = plain-array result, bit for bit`, () => {
      const { heap, plain, direct } = bothWays(make, f);
      expect(heap.length).toBeGreaterThan(0);
      expect(heap).toEqual(plain);
      if (zero) expect(direct).toBeGreaterThan(0);
      else expect(direct).toBe(0);
    });
  }

  it('match the JS loops (within float32 rounding of exp/log)', () => {
    const x = tensor(rand(40 * 64, 30)).reshape([40, 64]);
    const b = tensor(rand(64, 31));
    const wasm = scope(() => [x.add(b).relu().dataSync(), softmax(x, -1).dataSync(), x.sum(-1).dataSync()]);
    expect(setSimdPath('js')).toBe(true);
    const js = scope(() => [x.add(b).relu().dataSync(), softmax(x, -1).dataSync(), x.sum(-1).dataSync()]);
    setSimdPath('wasm');
    expect(wasm[0]).toEqual(js[0]);
    for (let i = 0; i < js[1].length; i++) expect(wasm[1][i]).toBeCloseTo(js[1][i], 6);
    for (let i = 0; i < js[2].length; i++) expect(wasm[2][i]).toBeCloseTo(js[2][i], 4);
    x.dispose();
    b.dispose();
  });

  it('writes nothing outside the output: a neighbouring block keeps its values', () => {
    // outputs of 5 floats: the kernels write 8 (a multiple of 4) — still inside the 64-byte block
    const guard = arange(0, 16);
    const a = tensor([1, 2, 3, 4, 5]);
    const outs = scope(() => [a.exp(), a.add(a), a.mul(2)].map((t) => t.dataSync())); // 'wasm': every size on the SIMD path
    expect(guard.dataSync()).toEqual(Float32Array.from({ length: 16 }, (_, i) => i));
    expect(outs[1]).toEqual(new Float32Array([2, 4, 6, 8, 10]));
    expect(outs[2]).toEqual(new Float32Array([2, 4, 6, 8, 10]));
    guard.dispose();
    a.dispose();
  });
});
