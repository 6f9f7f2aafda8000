// Run by cpu-int8-relaxed.test.ts in a node process with relaxed SIMD (bundled by esbuild): the
// relaxed int8 kernel against the standard kernel and the exact reference on every path — 7-bit
// windows of either operand, layouts, block edges, fused B fills with a shift, int32 wrap-around,
// and the public quantizedConv2d / matmul ops with the relaxed kernel on and off.
import { createWasmInt8Gemm, type Int8Gemm, setInt8Relaxed, wasmInt8Gemm } from '../../src/backend/cpu/wasm/int8-gemm';
import { warmGemmThreads } from '../../src/backend/cpu/matmul';
import { setCpuThreads, workerChunks } from '../../src/backend/cpu/threads';
import { init, matmul, quantizedConv2d, tensor } from '../../src/index';
import { randInt8 } from '../helpers/random-int8';

const rand = randInt8;

interface Op {
  d: Int8Array;
  off: number;
  rs: number;
  cs: number;
}

function reference(M: number, N: number, K: number, a: Op, b: Op): Int32Array {
  const c = new Int32Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a.d[a.off + i * a.rs + k * a.cs] * b.d[b.off + k * b.rs + j * b.cs];
      c[i * N + j] = s | 0;
    }
  return c;
}

const relaxed = createWasmInt8Gemm(undefined, undefined, true) as Int8Gemm;
const small = createWasmInt8Gemm({ mc: 8, kc: 32, nc: 16, ms: 16 }) as Int8Gemm;
const standard = createWasmInt8Gemm(undefined, undefined, false) as Int8Gemm;
const mismatches: string[] = [];
let cases = 0;
let expectRelaxed = 0;

function check(what: string, M: number, N: number, K: number, a: Op, b: Op, want: Int32Array, relaxedExpected: boolean): void {
  for (const [name, g] of [
    ['relaxed', relaxed],
    ['small blocks', small],
    ['standard', standard],
  ] as const) {
    const c = new Int32Array(M * N).fill(0x5a5a5a5a);
    g(M, N, K, a.d, a.off, a.rs, a.cs, b.d, b.off, b.rs, b.cs, c, 0, N);
    cases++;
    if (g !== standard && relaxedExpected) expectRelaxed++;
    const bad = c.findIndex((v, i) => v !== want[i]);
    if (bad >= 0) mismatches.push(`${name} ${what} ${M}×${N}×${K}: [${bad}] ${c[bad]} != ${want[bad]}`);
  }
}

const windows: [string, number, number][] = [
  ['[0, 127]', 0, 127],
  ['[−128, −1]', -128, -1],
  ['[−128, 127]', -128, 127],
];
const shapes: [number, number, number][] = [
  [1, 16, 1],
  [16, 16, 16],
  [17, 33, 45],
  [20, 19, 7],
  [3, 100, 33],
  [40, 17, 100],
  [64, 40, 530],
];
let seed = 1;
for (const [M, N, K] of shapes)
  for (const [aw, alo, ahi] of windows)
    for (const [bw, blo, bhi] of windows)
      for (const layout of ['A·B', 'A·Wᵀ', 'Aᵀ·B'] as const) {
        const a: Op =
          layout === 'Aᵀ·B' ? { d: rand(K * M, seed++, alo, ahi), off: 0, rs: 1, cs: M } : { d: rand(M * K, seed++, alo, ahi), off: 0, rs: K, cs: 1 };
        const b: Op =
          layout === 'A·Wᵀ' ? { d: rand(N * K, seed++, blo, bhi), off: 0, rs: 1, cs: K } : { d: rand(K * N, seed++, blo, bhi), off: 0, rs: N, cs: 1 };
        const oneSign = (d: Int8Array) => d.every((v) => v >= 0) || d.every((v) => v < 0); // (a short run may be, by chance)
        const aIn = oneSign(a.d);
        const bIn = oneSign(b.d);
        // a window needing the +128 shift counts only with ≥ 8 lines of its own; where the engine's
        // kernel is exact on full bytes (relaxed.wide), any A (then B) with ≥ 8 lines does
        const aUse = (aIn && (a.d.every((v) => v >= 0) || M >= 8)) || (relaxed.wide && M >= 8);
        const bUse = (bIn && (b.d.every((v) => v >= 0) || N >= 8)) || (relaxed.wide && N >= 8);
        check(`A ${aw}, B ${bw}, ${layout}`, M, N, K, a, b, reference(M, N, K, a, b), (N >= 16 && aUse) || (M >= 16 && bUse));
      }

// neither way contiguous (a strided A): scanned only when B can be, else the standard kernel
{
  const [M, N, K] = [18, 20, 30];
  const a: Op = { d: rand(2 * M * K, 99, -128, -1), off: 0, rs: 2 * K, cs: 2 };
  const b: Op = { d: rand(K * N, 98, -128, 127), off: 0, rs: N, cs: 1 };
  check('strided A in [−128, −1]', M, N, K, a, b, reference(M, N, K, a, b), relaxed.wide);
}

// int32 wrap-around: K = 131,080 products (−128)·(−128) wrap to −2³¹ + 131,072 on every path
{
  const K = 131_080;
  const a: Op = { d: new Int8Array(8 * K).fill(-128), off: 0, rs: K, cs: 1 };
  const b: Op = { d: new Int8Array(K * 16).fill(-128), off: 0, rs: 1, cs: K };
  check('wrap', 8, 16, K, a, b, new Int32Array(8 * 16).fill(-(2 ** 31) + 131_072), true);
}

// fused B fills (convolutions): B written shifted by bShift into [0, 127]
for (const shift of [0, 128] as const)
  for (const [M, N, K] of [
    [16, 300, 9],
    [32, 1000, 144],
    [5, 77, 20],
  ]) {
    const a: Op = { d: rand(M * K, seed++, -128, 127), off: 0, rs: K, cs: 1 };
    const b: Op = { d: rand(K * N, seed++, shift ? -128 : 0, shift ? -1 : 127), off: 0, rs: N, cs: 1 };
    const want = reference(M, N, K, a, b);
    for (const [name, g] of [
      ['relaxed', relaxed],
      ['small blocks', small],
      ['standard', standard],
    ] as const) {
      const c = new Int32Array(M * N).fill(7);
      const fillB = (mem: Int8Array, base: number, ld: number) => {
        for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) mem[base + k * ld + j] = b.d[k * N + j] ^ shift;
      };
      g(M, N, K, a.d, 0, K, 1, b.d, 0, 0, 0, c, 0, N, { fillB, bShift: shift });
      cases++;
      if (g !== standard) expectRelaxed++;
      const bad = c.findIndex((v, i) => v !== want[i]);
      if (bad >= 0) mismatches.push(`${name} fillB shift ${shift} ${M}×${N}×${K}: [${bad}] ${c[bad]} != ${want[bad]}`);
    }
  }

// the public ops, relaxed kernel on and off: the same bits (one thread: with more, the convolution
// runs image by image on the standard kernel)
await init({ device: 'cpu', threads: 1 });
const ops: [string, () => ArrayLike<number>][] = [
  [
    'quantizedConv2d, input in [−128, −1], padding −100',
    () =>
      quantizedConv2d(
        tensor(rand(2 * 3 * 20 * 20, 5, -128, -1), { dtype: 'int8' }).reshape([2, 3, 20, 20]),
        tensor(rand(16 * 3 * 9, 6, -128, 127), { dtype: 'int8' }).reshape([16, 3, 3, 3]),
        {
          inputScale: 0.02,
          inputZeroPoint: -100,
          weightScale: 0.01,
          bias: new Float32Array(16).fill(0.5),
          output: { scale: 0.05, zeroPoint: 10, dtype: 'uint8' },
          dequantize: true,
          padding: [1, 1],
        },
      ).dataSync(),
  ],
  [
    'matmul int8 by one weight held packed: x in [0, 127] twice (held for the relaxed kernel), x in [−128, −1] (stored +128: the held column sums), x of both signs twice (held beside, standard), x in [0, 127]',
    () => {
      const w = tensor(rand(48 * 70, 9, -128, 127), { dtype: 'int8' }).reshape([48, 70]);
      const ranges = [
        [0, 127],
        [0, 127],
        [-128, -1],
        [-128, 127],
        [-128, 127],
        [-128, -1],
        [0, 127],
      ];
      const xs = ranges.map(([lo, hi], i) => tensor(rand(20 * 70, 10 + i, lo, hi), { dtype: 'int8' }).reshape([20, 70]));
      return xs.flatMap((x) => Array.from(matmul(x, w.transpose(0, 1)).dataSync()));
    },
  ],
  [
    'matmul int8, x in [0, 127]',
    () =>
      matmul(
        tensor(rand(8 * 70, 7, 0, 127), { dtype: 'int8' }).reshape([8, 70]),
        tensor(rand(70 * 40, 8, -128, 127), { dtype: 'int8' }).reshape([70, 40]),
      ).dataSync(),
  ],
];
for (const [what, run] of ops) {
  setInt8Relaxed(true);
  const before = wasmInt8Gemm()?.calls.relaxed ?? 0;
  const on = Array.from(run());
  if ((wasmInt8Gemm()?.calls.relaxed ?? 0) === before) mismatches.push(`${what}: the relaxed kernel did not run`);
  setInt8Relaxed(false);
  const off = Array.from(run());
  cases++;
  const bad = on.findIndex((v, i) => !Object.is(v, off[i]));
  if (bad >= 0 || on.length !== off.length) mismatches.push(`${what}: [${bad}] ${on[bad]} != ${off[bad]}`);
}

// the default gemm split across 2 threads: the relaxed kernel (either operand 7-bit) and the
// standard one give the 1-thread bytes (and the reference), and the workers took part
setInt8Relaxed(true);
const threaded: [string, number, number][] = [
  ['a 7-bit', 0, -128],
  ['b 7-bit', -128, 0],
];
let threadRuns = 0;
for (const [what, aLo, bLo] of threaded) {
  const [M, N, K] = [96, 200, 300];
  const a = { d: rand(M * K, 11, aLo, 127), off: 0, rs: K, cs: 1 },
    b = { d: rand(K * N, 12, bLo, 127), off: 0, rs: N, cs: 1 };
  const want = reference(M, N, K, a, b);
  const run = () => {
    const c = new Int32Array(M * N);
    wasmInt8Gemm()!(M, N, K, a.d, 0, K, 1, b.d, 0, N, 1, c, 0, N);
    return c;
  };
  setCpuThreads(1);
  const relaxedBefore = wasmInt8Gemm()!.calls.relaxed;
  const one = run();
  await init({ device: 'cpu', threads: 2 });
  run(); // creates the gemm's shared twin, whose group a pool then includes: start that pool
  await warmGemmThreads();
  const chunks = workerChunks();
  // the calling thread takes chunks too: on a loaded machine a worker may wake only after many runs
  for (let t = 0; t < 200 && workerChunks() === chunks; t++) {
    const two = run();
    threadRuns++;
    const bad = two.findIndex((v, i) => v !== one[i] || v !== want[i]);
    if (bad >= 0) mismatches.push(`2 threads, ${what}: [${bad}] ${two[bad]} != ${want[bad]}`);
  }
  cases++;
  if (workerChunks() === chunks) mismatches.push(`2 threads, ${what}: no worker took part`);
  if (wasmInt8Gemm()!.calls.relaxed === relaxedBefore) mismatches.push(`2 threads, ${what}: the relaxed kernel did not run`);
}
setCpuThreads(1);

console.log(
  JSON.stringify({
    threadRuns,
    relaxed: relaxed.relaxed,
    cases,
    mismatches,
    relaxedCalls: relaxed.calls.relaxed + small.calls.relaxed,
    standardCalls: relaxed.calls.standard + small.calls.standard + standard.calls.standard,
    expectRelaxed,
  }),
);
