/**
 * A tiny WebAssembly binary writer: just enough of the format (LEB128, the type / import /
 * function / memory / export / code sections and the opcodes our kernels use) to build small
 * SIMD modules at run time from TypeScript, so that no .wasm file or base64 blob is committed
 * and nothing goes through eval. Spec: https://webassembly.github.io/spec/core/binary/
 */

/** Value types, by their binary codes. */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128 of a non-negative integer below 2³². */
export function uleb128(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uleb128: ${n}`);
  const out: number[] = [];
  do {
    let byte = n % 128; // arithmetic, not bit ops: values ≥ 2³¹ must stay positive
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an integer in [−2³¹, 2³¹) (the range of an i32.const immediate). */
export function sleb128(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new RangeError(`sleb128: ${n}`);
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7; // arithmetic shift keeps the sign
    // Done once the rest is pure sign extension of the byte's bit 6.
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** UTF-8 name, length-prefixed. */
function name(s: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(s));
  return [...uleb128(bytes.length), ...bytes];
}

/** A vector: element count, then the elements. */
function vec(items: number[][]): number[] {
  return [...uleb128(items.length), ...items.flat()];
}

/**
 * Instruction writer for one function body. Methods append bytes and return `this`, so bodies
 * read top to bottom as the stack machine runs them. Memory immediates take the alignment as
 * log2 bytes (0 is always valid; it is only a hint) and a constant byte offset.
 */
export class Code {
  readonly bytes: number[] = [];

  private emit(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  private simd(op: number, ...imm: number[]): this {
    return this.emit(0xfd, ...uleb128(op), ...imm);
  }
  private mem(align: number, offset: number): number[] {
    return [...uleb128(align), ...uleb128(offset)];
  }

  // Control. Blocks here take no parameters and leave no results (block type 0x40).
  block(): this {
    return this.emit(0x02, 0x40);
  }
  loop(): this {
    return this.emit(0x03, 0x40);
  }
  if(): this {
    return this.emit(0x04, 0x40);
  }
  else(): this {
    return this.emit(0x05);
  }
  end(): this {
    return this.emit(0x0b);
  }
  br(depth: number): this {
    return this.emit(0x0c, ...uleb128(depth));
  }
  brIf(depth: number): this {
    return this.emit(0x0d, ...uleb128(depth));
  }

  // Locals (parameters come first in the index space).
  get(i: number): this {
    return this.emit(0x20, ...uleb128(i));
  }
  set(i: number): this {
    return this.emit(0x21, ...uleb128(i));
  }
  tee(i: number): this {
    return this.emit(0x22, ...uleb128(i));
  }

  // i32 arithmetic and comparisons.
  i32Const(n: number): this {
    return this.emit(0x41, ...sleb128(n));
  }
  i32Eqz(): this {
    return this.emit(0x45);
  }
  i32Ne(): this {
    return this.emit(0x47);
  }
  i32LtU(): this {
    return this.emit(0x49);
  }
  i32Add(): this {
    return this.emit(0x6a);
  }
  i32Sub(): this {
    return this.emit(0x6b);
  }
  i32Mul(): this {
    return this.emit(0x6c);
  }

  // Scalar f32 memory access.
  f32Load(offset = 0, align = 2): this {
    return this.emit(0x2a, ...this.mem(align, offset));
  }
  f32Store(offset = 0, align = 2): this {
    return this.emit(0x38, ...this.mem(align, offset));
  }
  /** Scalar f32 addition. */
  f32Add(): this {
    return this.emit(0x92);
  }

  // 128-bit SIMD (prefix 0xfd).
  v128Load(offset = 0, align = 4): this {
    return this.simd(0x00, ...this.mem(align, offset));
  }
  /** Loads one f32 and broadcasts it to all four lanes. */
  v128Load32Splat(offset = 0, align = 2): this {
    return this.simd(0x09, ...this.mem(align, offset));
  }
  v128Store(offset = 0, align = 4): this {
    return this.simd(0x0b, ...this.mem(align, offset));
  }
  /** All-zero vector (v128.const with 16 zero bytes). */
  v128Zero(): this {
    return this.simd(0x0c, ...new Array<number>(16).fill(0));
  }
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  /** Loads 8 bytes as int8 and sign-extends them to eight i16 lanes (v128.load8x8_s). */
  v128Load8x8S(offset = 0, align = 3): this {
    return this.simd(0x01, ...this.mem(align, offset));
  }
  /** i8x16.shuffle: byte i of the result is byte `lanes[i]` of (first ‖ second), lanes in 0..31. */
  i8x16Shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) throw new RangeError(`i8x16Shuffle: ${lanes}`);
    return this.simd(0x0d, ...lanes);
  }
  /** Lane-wise i32 addition, wrapping modulo 2³². */
  i32x4Add(): this {
    return this.simd(0xae);
  }
  /** i32x4.dot_i16x8_s: lane l = a[2l]·b[2l] + a[2l+1]·b[2l+1] over signed i16 lanes. */
  i32x4DotI16x8S(): this {
    return this.simd(0xba);
  }
  /**
   * i16x8.relaxed_dot_i8x16_i7x16_s (relaxed SIMD; operands a, b): lane l = a[2l]·b[2l] +
   * a[2l+1]·b[2l+1], a signed int8; exact and the same everywhere when every b is in [0, 127].
   */
  i16x8RelaxedDotI8x16I7x16S(): this {
    return this.simd(0x112);
  }
  /** i32x4.relaxed_dot_i8x16_i7x16_add_s (operands a, b, c): lane l = c[l] + Σ of a[4l+t]·b[4l+t] for t < 4; b as above. */
  i32x4RelaxedDotI8x16I7x16AddS(): this {
    return this.simd(0x113);
  }

  // Elementwise / math kernels (simd-*.ts): f32x4 lanes, bit tricks on i32x4, f64x2 sums.
  f64Add(): this {
    return this.emit(0xa0);
  }
  /** v128.const holding `v` (rounded to float32) in all four lanes. */
  f32x4Const(v: number): this {
    return this.simd(0x0c, ...Array.from(new Uint8Array(new Float32Array([v, v, v, v]).buffer)));
  }
  /** v128.const holding the i32 `v` in all four lanes. */
  i32x4Const(v: number): this {
    return this.simd(0x0c, ...Array.from(new Uint8Array(new Int32Array([v, v, v, v]).buffer)));
  }
  /** Loads 8 bytes into the low half, zeroing the high half (v128.load64_zero). */
  v128Load64Zero(offset = 0, align = 3): this {
    return this.simd(0x5d, ...this.mem(align, offset));
  }
  f64x2ExtractLane(lane: 0 | 1): this {
    return this.simd(0x21, lane);
  }
  f32x4ExtractLane(lane: 0 | 1 | 2 | 3): this {
    return this.simd(0x1f, lane);
  }
  f32x4Sub = () => this.simd(0xe5);
  f32x4Div = () => this.simd(0xe7);
  /** f32x4.min / max: NaN if either lane is NaN. */
  f32x4Min = () => this.simd(0xe8);
  f32x4Max = () => this.simd(0xe9);
  f32x4Abs = () => this.simd(0xe0);
  f32x4Neg = () => this.simd(0xe1);
  f32x4Sqrt = () => this.simd(0xe3);
  f32x4Ceil = () => this.simd(0x67);
  f32x4Floor = () => this.simd(0x68);
  /** Round to nearest, ties to even. */
  f32x4Nearest = () => this.simd(0x6a);
  f32x4Eq = () => this.simd(0x41);
  f32x4Ne = () => this.simd(0x42);
  f32x4Lt = () => this.simd(0x43);
  f32x4Gt = () => this.simd(0x44);
  f32x4Le = () => this.simd(0x45);
  f32x4Ge = () => this.simd(0x46);
  f32x4ConvertI32x4S = () => this.simd(0xfa);
  /** i32x4.trunc_sat_f32x4_s; i16x8.narrow_i32x4_s; i8x16.narrow_i16x8_s / _u (saturating, first operand → low lanes). */
  i32x4TruncSatF32x4S = () => this.simd(0xf8);
  i16x8NarrowI32x4S = () => this.simd(0x85);
  i8x16NarrowI16x8S = () => this.simd(0x65);
  i8x16NarrowI16x8U = () => this.simd(0x66);
  /** Shifts take the vector, then an i32 count. */
  i32x4Shl = () => this.simd(0xab);
  i32x4ShrS = () => this.simd(0xac);
  i32x4ShrU = () => this.simd(0xad);
  i32x4Sub = () => this.simd(0xb1);
  i32x4GtS = () => this.simd(0x3b);
  v128And = () => this.simd(0x4e);
  /** a & ~b. */
  v128AndNot = () => this.simd(0x4f);
  v128Or = () => this.simd(0x50);
  v128Xor = () => this.simd(0x51);
  /** (a & mask) | (b & ~mask), operands in that order: a, b, mask. */
  v128Bitselect = () => this.simd(0x52);
  f64x2PromoteLowF32x4 = () => this.simd(0x5f);
  f64x2Add = () => this.simd(0xf0);
  /** Pseudo-min/max: b < a ? b : a and a < b ? b : a (one x86 instruction each; a NaN `a` is kept). */
  f32x4Pmin = () => this.simd(0xea);
  f32x4Pmax = () => this.simd(0xeb);
  f64Div = () => this.emit(0xa3);
  f32DemoteF64 = () => this.emit(0xb6);
  f64Store(offset = 0, align = 3): this {
    return this.emit(0x39, ...this.mem(align, offset));
  }
  f64Const(v: number): this {
    return this.emit(0x44, ...Array.from(new Uint8Array(new Float64Array([v]).buffer)));
  }
  f64x2Sub = () => this.simd(0xf1);
  f64x2Mul = () => this.simd(0xf2);
  f64x2Splat = () => this.simd(0x14);
  f64Sub = () => this.emit(0xa1);
  f64Mul = () => this.emit(0xa2);
  f64Sqrt = () => this.emit(0x9f);
  /** Lanes 0, 1 from the two f64 lanes; lanes 2, 3 zero. */
  f32x4DemoteF64x2Zero = () => this.simd(0x5e);
  /** Loads 8 bytes and splats them to both 64-bit lanes (v128.load64_splat). */
  v128Load64Splat(offset = 0, align = 3): this {
    return this.simd(0x0a, ...this.mem(align, offset));
  }
}

/** One function: signature, extra locals, body (the final `end` is added by the encoder). */
export interface FuncDef {
  params: ValType[];
  results: ValType[];
  locals: ValType[];
  body: Code;
  /** Export name, if any. */
  export?: string;
}

/**
 * Linear memory: imported from `module`.`field`, or defined here (and optionally exported). A
 * `shared` memory (threads: its buffer is a SharedArrayBuffer) needs `maxPages`; an import must
 * say `shared` exactly when the memory it will be given is shared, and its `maxPages` must be at
 * least that memory's maximum (see `memoryImport`).
 */
export type MemoryDef =
  | { import: { module: string; field: string }; minPages: number; maxPages?: number; shared?: boolean }
  | { minPages: number; maxPages?: number; shared?: boolean; export?: string };

/** Whether `mem` is a shared memory (created with `shared: true`; its buffer is a SharedArrayBuffer). */
export function isSharedMemory(mem: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && mem.buffer instanceof SharedArrayBuffer;
}

/**
 * The import (`env`.`mem`) of a module that will be instantiated over `mem` (or over a shared
 * memory when `mem` is true): shared with the largest maximum (65536 pages, 4 GiB, which any
 * shared memory's maximum satisfies) when that memory is shared, else a plain one.
 */
export function memoryImport(mem?: WebAssembly.Memory | boolean): MemoryDef {
  const shared = typeof mem === 'boolean' ? mem : mem !== undefined && isSharedMemory(mem);
  return shared ? { import: { module: 'env', field: 'mem' }, minPages: 1, maxPages: 65536, shared } : { import: { module: 'env', field: 'mem' }, minPages: 1 };
}

/** Limits of a memory type: flags (bit 0 max present, bit 1 shared), min, max. */
function limits(minPages: number, maxPages: number | undefined, shared: boolean | undefined): number[] {
  if (shared && maxPages === undefined) throw new RangeError('encodeModule: a shared memory needs maxPages');
  if (maxPages === undefined) return [0x00, ...uleb128(minPages)];
  return [shared ? 0x03 : 0x01, ...uleb128(minPages), ...uleb128(maxPages)];
}

/** A whole module: at most one memory plus functions. */
export interface ModuleDef {
  memory?: MemoryDef;
  funcs: FuncDef[];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb128(body.length), ...body];
}

/** Run-length encodes locals: consecutive equal types share one (count, type) entry. */
function localDecls(locals: ValType[]): number[] {
  const groups: number[][] = [];
  for (let i = 0; i < locals.length; ) {
    let j = i;
    while (j < locals.length && locals[j] === locals[i]) j++;
    groups.push([...uleb128(j - i), locals[i]]);
    i = j;
  }
  return vec(groups);
}

/**
 * Serialises a module. Each function gets its own type entry (modules here are tiny, so
 * de-duplicating signatures is not worth the code).
 */
export function encodeModule(def: ModuleDef): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1
  const types = def.funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  out.push(...section(1, vec(types)));
  const mem = def.memory;
  if (mem && 'import' in mem) {
    const entry = [...name(mem.import.module), ...name(mem.import.field), 0x02, ...limits(mem.minPages, mem.maxPages, mem.shared)];
    out.push(...section(2, vec([entry])));
  }
  out.push(...section(3, vec(def.funcs.map((_, i) => uleb128(i)))));
  if (mem && !('import' in mem)) {
    out.push(...section(5, vec([limits(mem.minPages, mem.maxPages, mem.shared)])));
  }
  const exports: number[][] = [];
  def.funcs.forEach((f, i) => {
    if (f.export) exports.push([...name(f.export), 0x00, ...uleb128(i)]);
  });
  if (mem && !('import' in mem) && mem.export) exports.push([...name(mem.export), 0x02, 0x00]);
  if (exports.length) out.push(...section(7, vec(exports)));
  const bodies = def.funcs.map((f) => {
    const body = [...localDecls(f.locals), ...f.body.bytes, 0x0b];
    return [...uleb128(body.length), ...body];
  });
  out.push(...section(10, vec(bodies)));
  return new Uint8Array(out);
}
