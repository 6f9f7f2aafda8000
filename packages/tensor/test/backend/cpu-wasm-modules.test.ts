import { constants, deflateRawSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { fromBase64, inflateRaw } from '../../src/backend/cpu/wasm/inflate';
import { precomputedCalls, wasmModule, type WasmModuleName } from '../../src/backend/cpu/wasm/modules';
import { moduleKey, precomputedModules } from '../../src/backend/cpu/wasm/precomputed';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('inflateRaw (the published build decodes its precomputed WebAssembly modules with it)', () => {
  const inputs: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['one byte', new Uint8Array([42])],
    ['periodic', Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 251)],
    ['random', Uint8Array.from({ length: 20_000 }, (_, i) => Math.floor((Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1) * 256))],
    ['one long run', new Uint8Array(40_000).fill(9)],
    ['a GEMM kernel', wasmModule('gemm', { mr: 4, nr: 8, unroll: 1 }, false, false)],
  ];
  const encodings = [
    ['stored', { level: 0 }],
    ['fixed Huffman', { level: 9, strategy: constants.Z_FIXED }],
    ['dynamic Huffman', { level: 9 }],
    ['Huffman only', { level: 9, strategy: constants.Z_HUFFMAN_ONLY }],
    ['run-length', { level: 1, strategy: constants.Z_RLE }],
  ] as const;
  for (const [what, bytes] of inputs) {
    it(`round-trips ${what} (${bytes.length} bytes) through zlib's raw deflate, every block type`, () => {
      for (const [, opts] of encodings) expect(inflateRaw(fromBase64(b64(deflateRawSync(bytes, opts))), bytes.length)).toEqual(bytes);
    });
  }

  it('rejects malformed streams with a RangeError naming the problem', () => {
    const z = deflateRawSync(new TextEncoder().encode('hello hello hello'), { level: 9 });
    expect(() => inflateRaw(z, 5)).toThrow(/inflate: output exceeds 5 bytes/);
    expect(() => inflateRaw(z, 100)).toThrow(/inflate: decoded 17 bytes, expected 100/);
    expect(() => inflateRaw(z.subarray(0, 3), 17)).toThrow(/inflate: stream ends early/);
    expect(() => inflateRaw(new Uint8Array([0b111]), 0)).toThrow(/inflate: invalid block type 3/);
    expect(() => inflateRaw(new Uint8Array([1, 2, 0, 0, 0]), 2)).toThrow(/stored block length check failed/);
  });

  it('fromBase64 decodes what Buffer encodes', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64(b64(bytes))).toEqual(bytes);
  });
});

describe('precomputed modules (what the published build ships instead of the emitters)', () => {
  // Built as tsup.config.ts builds it: every listed call, concatenated and deflated.
  const parts: Uint8Array[] = [];
  const index: Record<string, [number, number]> = {};
  let size = 0;
  for (const [name, calls] of Object.entries(precomputedCalls()) as [WasmModuleName, unknown[][]][]) {
    for (const args of calls) {
      const bytes = (wasmModule as (n: string, ...a: unknown[]) => Uint8Array)(name, ...args);
      index[moduleKey(name, args)] = [size, size + bytes.length];
      parts.push(bytes);
      size += bytes.length;
    }
  }
  const served = precomputedModules(b64(deflateRawSync(Buffer.concat(parts), { level: 9 })), size, index);

  it('serves every listed call with the bytes its emitter writes, each a valid module', () => {
    expect(Object.keys(index).length).toBeGreaterThanOrEqual(10);
    for (const [name, calls] of Object.entries(precomputedCalls()) as [WasmModuleName, unknown[][]][]) {
      for (const args of calls) {
        const bytes = served(name, ...args);
        expect(bytes).toEqual((wasmModule as (n: string, ...a: unknown[]) => Uint8Array)(name, ...args));
        expect(WebAssembly.validate(bytes)).toBe(true);
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
