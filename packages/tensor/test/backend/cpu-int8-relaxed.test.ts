import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { relaxedDotAddWorks, relaxedKernelFaster } from '../../src/backend/cpu/wasm/int8-dot';
import { createWasmInt8Gemm, sevenBitShift } from '../../src/backend/cpu/wasm/int8-gemm';
import { wasmModule } from '../../src/backend/cpu/wasm/modules';

// The relaxed-SIMD int8 kernel (src/backend/cpu/wasm/int8-dot.ts) runs only where the engine has
// relaxed SIMD: Node ≥ 22 and Chrome ≥ 114 by default, Node 20 with --experimental-wasm-relaxed-simd.
// The checks below therefore run in this process when it has relaxed SIMD, else in a child node
// with the flag, and compare the relaxed kernel with the standard one and the exact reference.
const FLAG = '--experimental-wasm-relaxed-simd';
const relaxedHere = WebAssembly.validate(wasmModule('int8DotPack', 4, 8));

describe('sevenBitShift: which 7-bit window an int8 run lies in', () => {
  it('0 for [0, 127], 128 for [−128, −1], null for both signs, at any alignment and length', () => {
    expect(sevenBitShift(Int8Array.from([0, 1, 127, 5, 64]), 0, 5)).toBe(0);
    expect(sevenBitShift(Int8Array.from([-1, -128, -64, -2, -3]), 0, 5)).toBe(128);
    expect(sevenBitShift(Int8Array.from([-1, 0]), 0, 2)).toBeNull();
    expect(sevenBitShift(Int8Array.from([127, -128]), 0, 2)).toBeNull();
    const long = new Int8Array(10_003).fill(-7);
    for (const [from, n] of [
      [0, 10_003],
      [1, 10_000],
      [3, 9_997],
      [2, 1],
    ])
      expect(sevenBitShift(long, from, n)).toBe(128);
    long[9_001] = 0; // one non-negative byte in the aligned middle, found past the early exit checks
    expect(sevenBitShift(long, 1, 10_000)).toBeNull();
    expect(sevenBitShift(long, 0, 9_001)).toBe(128); // the byte just outside the run does not count
    long.fill(3);
    long[10_002] = -1; // in the unaligned tail
    expect(sevenBitShift(long, 0, 10_003)).toBeNull();
    expect(sevenBitShift(long, 0, 10_002)).toBe(0);
  });

  it('of a subarray, counts from its own start', () => {
    const buf = Int8Array.from([-1, 5, 6, 7, 8, 9, -3]);
    expect(sevenBitShift(buf.subarray(1, 6), 0, 5)).toBe(0);
    expect(sevenBitShift(buf.subarray(1), 0, 6)).toBeNull();
  });
});

describe('the relaxed int8 kernel', () => {
  it('compiles only where relaxed SIMD validates, into modules small enough for main-thread compilation', () => {
    expect(WebAssembly.validate(wasmModule('int8Dot', { mr: 4, nr: 8, unroll: 1 }))).toBe(relaxedHere);
    expect(wasmModule('int8Dot', { mr: 4, nr: 8, unroll: 1 }).length).toBeLessThan(4096);
    expect(wasmModule('int8DotPack', 4, 8).length).toBeLessThan(4096);
    expect(createWasmInt8Gemm(undefined, undefined, true)?.relaxed).toBe(relaxedHere);
    expect(createWasmInt8Gemm(undefined, undefined, false)?.relaxed).toBe(false);
    // 'auto' (the default) keeps it only where it times faster than the standard kernel
    if (!relaxedHere) expect(createWasmInt8Gemm()?.relaxed).toBe(false);
  });

  it('takes the fused dot-add kernels only where the engine computes that instruction exactly', () => {
    const mem = new WebAssembly.Memory({ initial: 1 });
    const [b, w] = [new Int8Array(mem.buffer), new Int32Array(mem.buffer)];
    // a JS probe as the spec computes it passes, one that drops the accumulator (Node 20's V8
    // behind its flag) does not
    const probe = (acc: boolean) => (at: number) => {
      for (let l = 0; l < 4; l++) {
        let s = acc ? w[at / 4 + 8 + l] : 0;
        for (let t = 4 * l; t < 4 * l + 4; t++) s += b[at + t] * b[at + 16 + t];
        w[at / 4 + 12 + l] = s | 0;
      }
    };
    expect(relaxedDotAddWorks(probe(true), mem, 64)).toBe(true);
    expect(relaxedDotAddWorks(probe(false), mem, 64)).toBe(false);
    expect(w.subarray(28, 32)).not.toEqual(new Int32Array(4)); // it wrote its result where the probe checks
    // the probe's operands: the signed one spans [−128, 127], the 7-bit one [0, 127]
    relaxedDotAddWorks(probe(true), mem, 0);
    expect(Math.min(...b.subarray(0, 16))).toBe(-128);
    expect(Math.max(...b.subarray(0, 16))).toBe(127);
    expect(Math.min(...b.subarray(16, 32))).toBeGreaterThanOrEqual(0);
  });

  it('the start-up timing keeps the relaxed kernel only where it runs faster, on a block it grows the memory for', () => {
    const spin = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const mem = new WebAssembly.Memory({ initial: 1 });
    const calls: number[][] = [];
    const kernel =
      (ms: number) =>
      (...args: number[]) => {
        calls.push(args);
        spin(ms);
      };
    expect(relaxedKernelFaster(kernel(2), kernel(0), { mr: 4, nr: 8 }, mem, 64)).toBe(true);
    expect(relaxedKernelFaster(kernel(0), kernel(2), { mr: 4, nr: 8 }, mem, 64)).toBe(false);
    // 64 × 256 by 256 × 256: A (int16 pairs) at 64, B after it, C after B, the relaxed kernel's corrections after C
    const [pa, pb, c] = [64, 64 + 64 * 512, 64 + 320 * 512];
    expect(calls[0]).toEqual([pa, pb, c, 16, 32, 128, 1024, 0]);
    expect(calls[1]).toEqual([pa, pb, c, 16, 32, 64, 1024, 0, c + 64 * 1024]);
    expect(calls).toHaveLength(20); // five of each, interleaved
    expect(mem.buffer.byteLength).toBeGreaterThanOrEqual(c + 65 * 1024);
  });

  let dir = '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the standard kernel’s and the exact reference’s int32 results on every path (child with the flag where needed)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'aimodel-int8-relaxed-'));
    const script = join(dir, 'check.mjs');
    await build({
      entryPoints: [join(__dirname, 'int8-relaxed-check.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: script,
      logLevel: 'silent',
    });
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        relaxedHere && !process.execArgv.includes(FLAG) ? [script] : [FLAG, script],
        // the relaxed kernel whether or not it is the faster one on this engine (the default's timing)
        { timeout: 30_000, env: { ...process.env, AIMODEL_CPU_RELAXED: '1' } },
        (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const r = JSON.parse(out) as {
      relaxed: boolean;
      threadRuns: number;
      cases: number;
      mismatches: string[];
      relaxedCalls: number;
      standardCalls: number;
      expectRelaxed: number;
    };
    expect(r.relaxed).toBe(true);
    expect(r.mismatches).toEqual([]);
    expect(r.cases).toBeGreaterThan(100);
    // every case with a 7-bit operand ran the relaxed kernel, the others the standard one
    expect(r.relaxedCalls).toBe(r.expectRelaxed);
    expect(r.standardCalls).toBeGreaterThan(0);
    expect(r.threadRuns).toBeGreaterThan(0); // the relaxed kernel split across 2 threads (checked in the child)
  });
});
