import { describe, expect, it, vi } from 'vitest';
import { compress, decompress, fromText, toText } from '../../src/backend/cpu/wasm/lz-codec';
import { precomputedCalls, wasmModule, type WasmModuleName } from '../../src/backend/cpu/wasm/modules';
import { moduleKey, packModules, precomputedModules } from '../../src/backend/cpu/wasm/precomputed';

describe('lz-codec (the published build stores its precomputed WebAssembly modules with it)', () => {
  const inputs: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['one byte', new Uint8Array([42])],
    ['two equal bytes', new Uint8Array([7, 7])],
    ['periodic', Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 251)],
    ['random', Uint8Array.from({ length: 20_000 }, (_, i) => Math.floor((Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1) * 256))],
    ['one long run (copies longer than the longest token)', new Uint8Array(40_000).fill(9)],
    ['every byte value, then again', Uint8Array.from({ length: 512 }, (_, i) => i & 255)],
    ['a GEMM kernel', wasmModule('gemm', { mr: 4, nr: 8, unroll: 1 }, false, false)],
  ];
  for (const [what, bytes] of inputs) {
    it(`round-trips ${what} (${bytes.length} bytes) through compress and base-91 text`, () => {
      const text = toText(compress(bytes));
      expect(text).toMatch(/^[#-[\]-~]*$/); // printable, no quote or backslash to escape in a JS string
      expect(decompress(fromText(text), bytes.length)).toEqual(bytes);
    });
  }

  it('compresses: a 40 kB run to under 100 bytes, random bytes to at most 2.5% more, the SIMD module to under a third', () => {
    expect(compress(new Uint8Array(40_000).fill(9)).length).toBeLessThan(100);
    expect(compress(inputs[4][1]).length).toBeLessThan(20_500);
    const simd = wasmModule('simd', false);
    expect(compress(simd).length).toBeLessThan(simd.length / 3);
  });

  it('base-91 text: 2 characters per 13 or 14 bits, every byte value round-trips', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromText(toText(bytes))).toEqual(bytes);
    expect(toText(new Uint8Array(0))).toBe('');
    expect(toText(bytes).length).toBeLessThanOrEqual(Math.ceil((256 * 8) / 13) * 2);
    for (let n = 1; n < 40; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(fromText(toText(b))).toEqual(b);
    }
  });

  it('rejects malformed streams with a RangeError naming the problem', () => {
    const hello = new TextEncoder().encode('hello hello hello hello');
    const z = compress(hello);
    expect(decompress(z, hello.length)).toEqual(hello);
    expect(() => decompress(z, 100)).toThrow(/decompress: /);
    expect(() => decompress(z.subarray(0, 3), hello.length)).toThrow(/decompress: /);
    // first bits 1, 1, 0: a copy at the last distance, of which there is none yet
    expect(() => decompress(new Uint8Array([0xc0, 0, 0, 0, 0, 0]), 4)).toThrow(/decompress: copy from before the start/);
    // every bit 1: an integer whose unary prefix never ends
    expect(() => decompress(new Uint8Array(64).fill(0xff), 4)).toThrow(/decompress: integer too large/);
  });
});

/** Whether this engine has relaxed SIMD: a module of one i16x8.relaxed_dot_i8x16_i7x16_s validates. */
const RELAXED_SIMD = WebAssembly.validate(
  Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 123, 123, 1, 123, 3, 2, 1, 0, 10, 11, 1, 9, 0, 32, 0, 32, 1, 0xfd, 0x92, 0x02, 11]),
);

describe('precomputed modules (what the published build ships instead of the emitters)', () => {
  // Built as tsup.config.ts builds it: every listed call, packed by packModules.
  const calls = (Object.entries(precomputedCalls()) as [WasmModuleName, unknown[][]][]).flatMap(([name, list]) => list.map((args) => [name, args] as const));
  const { blob, size } = packModules(
    calls.map(([name, args]) => [moduleKey(name, args), (wasmModule as (n: string, ...a: unknown[]) => Uint8Array)(name, ...args)]),
  );
  const served = precomputedModules(blob, size);

  it('serves every listed call with the bytes its emitter writes, each a valid module', () => {
    expect(calls.length).toBeGreaterThanOrEqual(10);
    for (const [name, calls] of Object.entries(precomputedCalls()) as [WasmModuleName, unknown[][]][]) {
      for (const args of calls) {
        const bytes = served(name, ...args);
        expect(bytes).toEqual((wasmModule as (n: string, ...a: unknown[]) => Uint8Array)(name, ...args));
        // the relaxed-SIMD int8 modules validate only where the engine has relaxed SIMD (cpu-int8-relaxed.test.ts)
        expect(WebAssembly.validate(bytes)).toBe(name === 'int8Dot' || name === 'int8DotPack' ? RELAXED_SIMD : true);
      }
    }
  });

  it('keys arguments by value, object keys in any order', () => {
    expect(moduleKey('gemm', [{ mr: 4, nr: 8, unroll: 1 }, false])).toBe(moduleKey('gemm', [{ unroll: 1, nr: 8, mr: 4 }, false]));
    expect(moduleKey('gemm', [{ mr: 4, nr: 8, unroll: 1 }, false])).not.toBe(moduleKey('gemm', [{ mr: 4, nr: 8, unroll: 1 }, true]));
  });

  it('warns once and throws for a call it does not hold (its caller then takes the JS path)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(() => served('gemm', { mr: 6, nr: 8, unroll: 1 }, false, false)).toThrow(/gemm\[\{"mr":6,"nr":8,"unroll":1\},false,false\] is not among/);
      expect(() => served('gemv', 1)).toThrow(/not among this build's precomputed modules/);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });
});
