import { describe, it, expect } from 'vitest';
import { Code, ValType, encodeModule, sleb128, uleb128 } from '../../src/backend/cpu/wasm/encoder';

const { i32 } = ValType;

/** Validates, compiles and instantiates; returns the exports. */
function instantiate(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Exports {
  expect(WebAssembly.validate(bytes)).toBe(true);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
}

describe('wasm encoder', () => {
  it('writes unsigned LEB128', () => {
    expect(uleb128(0)).toEqual([0x00]);
    expect(uleb128(127)).toEqual([0x7f]);
    expect(uleb128(128)).toEqual([0x80, 0x01]);
    expect(uleb128(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb128(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => uleb128(-1)).toThrow(RangeError);
    expect(() => uleb128(1.5)).toThrow(RangeError);
  });

  it('writes signed LEB128', () => {
    expect(sleb128(0)).toEqual([0x00]);
    expect(sleb128(-1)).toEqual([0x7f]);
    expect(sleb128(63)).toEqual([0x3f]);
    expect(sleb128(64)).toEqual([0xc0, 0x00]); // bit 6 set would read as negative: one more byte
    expect(sleb128(-64)).toEqual([0x40]);
    expect(sleb128(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb128(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb128(0x7fffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(sleb128(-0x80000000)).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
    expect(() => sleb128(0x80000000)).toThrow(RangeError);
  });

  it('builds a module adding two i32s that validates and runs', () => {
    const body = new Code().get(0).get(1).i32Add();
    const bytes = encodeModule({ funcs: [{ params: [i32, i32], results: [i32], locals: [], body, export: 'add' }] });
    const add = instantiate(bytes).add as (a: number, b: number) => number;
    expect(add(2, 3)).toBe(5);
    expect(add(-7, 3)).toBe(-4);
    expect(add(0x7fffffff, 1)).toBe(-0x80000000); // i32 wraps
  });

  it('encodes loops, branches and run-length-encoded locals', () => {
    // sum(n) = n + (n−1) + … + 1, counting down in a loop; locals: [acc (i32)].
    const body = new Code()
      .get(0)
      .i32Eqz()
      .if()
      .i32Const(0)
      .set(1)
      .else()
      .loop()
      .get(1)
      .get(0)
      .i32Add()
      .set(1)
      .get(0)
      .i32Const(1)
      .i32Sub()
      .tee(0)
      .brIf(0)
      .end()
      .end()
      .get(1);
    const bytes = encodeModule({ funcs: [{ params: [i32], results: [i32], locals: [i32], body, export: 'sum' }] });
    const sum = instantiate(bytes).sum as (n: number) => number;
    expect(sum(0)).toBe(0);
    expect(sum(1)).toBe(1);
    expect(sum(100)).toBe(5050);
  });

  it('encodes f32x4 SIMD loads, arithmetic and stores against an exported memory', () => {
    // out[0..4) = x[0..4)·y[0..4) + s, at byte offsets 0 (x), 16 (y), 48 (s), 32 (out).
    const body = new Code()
      .get(0)
      .get(0)
      .v128Load(0)
      .get(0)
      .v128Load(16)
      .f32x4Mul()
      .get(0)
      .f32Load(48)
      .f32x4Splat()
      .f32x4Add()
      .v128Store(32)
      .get(0)
      .get(0)
      .v128Load32Splat(48)
      .v128Zero()
      .f32x4Add()
      .v128Store(64); // splat via load
    const bytes = encodeModule({
      memory: { minPages: 1, maxPages: 2, export: 'mem' },
      funcs: [{ params: [i32], results: [], locals: [ValType.v128, i32, i32], body, export: 'run' }],
    });
    const ex = instantiate(bytes);
    const f = new Float32Array((ex.mem as WebAssembly.Memory).buffer, 256, 24);
    f.set([1, 2, 3, 4, 10, 20, 30, 40], 0);
    f[12] = 0.5;
    (ex.run as (p: number) => void)(256);
    expect(Array.from(f.subarray(8, 12))).toEqual([10.5, 40.5, 90.5, 160.5]);
    expect(Array.from(f.subarray(16, 20))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('imports a memory', () => {
    const mem = new WebAssembly.Memory({ initial: 1 });
    const body = new Code().get(0).get(1).f32Store().get(0).f32Load();
    const bytes = encodeModule({
      memory: { import: { module: 'env', field: 'mem' }, minPages: 1 },
      funcs: [{ params: [i32, ValType.f32], results: [ValType.f32], locals: [], body, export: 'poke' }],
    });
    expect(WebAssembly.validate(bytes)).toBe(true);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } });
    expect((inst.exports.poke as (p: number, v: number) => number)(8, 2.5)).toBe(2.5);
    expect(new Float32Array(mem.buffer)[2]).toBe(2.5);
  });
});
