/**
 * WebAssembly SIMD for the int8 inference passes (../quantized.ts), the JS loops' results bit for
 * bit: f32x4 arithmetic is IEEE float32 (correctly rounded, as each Math.fround of the JS path),
 * `f32x4.nearest` rounds ties to even, and every clamped value is a small integer held exactly.
 * The module (emitted at run time with ./encoder.ts, its own memory) streams chunks through
 * fixed addresses:
 *
 *   quantize / quantizeU8(n16, src, dst, inv, zp, qmin, qmax)
 *     x → clamp(nearest(x·inv) + zp) (NaN → zp), written as int8 / uint8 bytes
 *   requant(rows, n, col, bias, mult, acc, zp, qmin, qmax, scale)
 *     acc [rows, n] int32 → (clamp(nearest((f32(acc + col[j]) + bias[j])·mult[j]) + zp) − zp)·scale, in place
 *   requantRow(n4, src, dst, consts, zp, qmin, qmax, scale)
 *     the same for one channel's run (int32 at src → float32 at dst, which may equal src), its
 *     column term, bias term and multiplier at `consts`
 *
 * The requantizing kernels clamp with pmax/pmin (one instruction each where max/min take several):
 * with the value as first operand a NaN passes through, as in the JS loops, and no −0 reaches
 * them (the zero point's +0 is added first), so they give the same values as max/min.
 * quantize narrows in wasm (trunc_sat, then saturating narrows of values already in range), so the
 * bytes come back with one memcpy.
 * `AIMODEL_CPU_SIMD=0` in the environment forces the JS loops.
 */
import { Code, type FuncDef, encodeModule, ValType } from './encoder';
import { wasmModule } from './modules';

const { i32, f32, v128 } = ValType;

/** Elements per streamed chunk. */
const CHUNK = 16384;
/** First byte used. */
const A = 64;
/** Below this many elements the JS loop is as fast. */
const MIN_ELEMENTS = 1024;
const PAGE = 65536;

type Kernel = (...args: number[]) => void;
export interface Module {
  mem: WebAssembly.Memory;
  quantize: Kernel;
  quantizeU8: Kernel;
  requant: Kernel;
  requantRow: Kernel;
}

/**
 * quantize / quantizeU8(n16, src, dst, inv, zp, qmin, qmax): groups of 16 floats at src →
 * clamp(nearest(x·inv) + zp) (NaN → zp), truncated to integers and narrowed (saturating, the values
 * already in range) to 16 int8 or uint8 bytes at dst.
 */
function quantizeKernel(unsigned: boolean): FuncDef {
  const [n16, src, dst, inv, zp, lo, hi] = [0, 1, 2, 3, 4, 5, 6];
  const [end, p, d, vInv, vZp, vLo, vHi, v] = [7, 8, 9, 10, 11, 12, 13, 14];
  const c = new Code();
  c.get(inv).f32x4Splat().set(vInv).get(zp).f32x4Splat().set(vZp).get(lo).f32x4Splat().set(vLo).get(hi).f32x4Splat().set(vHi);
  c.get(src).set(p).get(dst).set(d).get(src).get(n16).i32Const(64).i32Mul().i32Add().set(end);
  c.block().loop().get(p).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(d);
  const four = (at: number) => {
    c.get(p).v128Load(at).get(vInv).f32x4Mul().set(v);
    c.get(v).f32x4Nearest().get(vZp).f32x4Add().get(vLo).f32x4Max().get(vHi).f32x4Min(); // clamped (NaN stays NaN)
    c.get(vZp);
    c.get(v).get(v).f32x4Eq(); // lanes that are not NaN
    c.v128Bitselect().i32x4TruncSatF32x4S();
  };
  four(0);
  four(16);
  c.i16x8NarrowI32x4S();
  four(32);
  four(48);
  c.i16x8NarrowI32x4S();
  if (unsigned) c.i8x16NarrowI16x8U();
  else c.i8x16NarrowI16x8S();
  c.v128Store(0);
  c.get(p).i32Const(64).i32Add().set(p).get(d).i32Const(16).i32Add().set(d).br(0).end().end();
  return {
    params: [i32, i32, i32, f32, f32, f32, f32],
    results: [],
    locals: [i32, i32, i32, v128, v128, v128, v128, v128],
    body: c,
    export: unsigned ? 'quantizeU8' : 'quantize',
  };
}

function requantKernel(): FuncDef {
  const [rows, n, col, bias, mult, acc, zp, lo, hi, scale] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [end, p, j, nb, vZp, vLo, vHi, vSc] = [10, 11, 12, 13, 14, 15, 16, 17];
  const c = new Code();
  c.get(zp).f32x4Splat().set(vZp).get(lo).f32x4Splat().set(vLo).get(hi).f32x4Splat().set(vHi).get(scale).f32x4Splat().set(vSc);
  c.get(n).i32Const(4).i32Mul().set(nb);
  c.get(acc).set(p).get(acc).get(rows).get(nb).i32Mul().i32Add().set(end).i32Const(0).set(j);
  c.block().loop().get(p).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(p);
  c.get(p).v128Load(0).get(col).get(j).i32Add().v128Load(0).i32x4Add().f32x4ConvertI32x4S(); //  f32(acc + col)
  c.get(bias).get(j).i32Add().v128Load(0).f32x4Add(); //                                            + bias term
  c.get(mult).get(j).i32Add().v128Load(0).f32x4Mul().f32x4Nearest(); //                               round(·mult)
  c.get(vZp).f32x4Add().get(vLo).f32x4Pmax().get(vHi).f32x4Pmin(); //                                clamp(· + zp)
  c.get(vZp).f32x4Sub().get(vSc).f32x4Mul().v128Store(0); //                                          (q − zp)·scale
  c.get(p).i32Const(16).i32Add().set(p);
  c.get(j).i32Const(16).i32Add().set(j);
  c.get(j).get(nb).i32LtU().i32Eqz().if().i32Const(0).set(j).end();
  c.br(0).end().end();
  return {
    params: [i32, i32, i32, i32, i32, i32, f32, f32, f32, f32],
    results: [],
    locals: [i32, i32, i32, i32, v128, v128, v128, v128],
    body: c,
    export: 'requant',
  };
}

function requantRowKernel(): FuncDef {
  const [n4, ptr, dst, cst, zp, lo, hi, scale] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [end, p, vCt, vB, vMu, vZp, vLo, vHi, vSc, d] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const c = new Code();
  c.get(cst).v128Load32Splat(0).set(vCt).get(cst).v128Load32Splat(4).set(vB).get(cst).v128Load32Splat(8).set(vMu);
  c.get(zp).f32x4Splat().set(vZp).get(lo).f32x4Splat().set(vLo).get(hi).f32x4Splat().set(vHi).get(scale).f32x4Splat().set(vSc);
  c.get(ptr).set(p).get(dst).set(d).get(ptr).get(n4).i32Const(16).i32Mul().i32Add().set(end);
  c.block().loop().get(p).get(end).i32LtU().i32Eqz().brIf(1);
  c.get(d);
  c.get(p).v128Load(0).get(vCt).i32x4Add().f32x4ConvertI32x4S().get(vB).f32x4Add(); //  f32(acc + col) + bias term
  c.get(vMu).f32x4Mul().f32x4Nearest().get(vZp).f32x4Add().get(vLo).f32x4Pmax().get(vHi).f32x4Pmin(); // clamp(round(·mult) + zp)
  c.get(vZp).f32x4Sub().get(vSc).f32x4Mul().v128Store(0); //                                        (q − zp)·scale
  c.get(p).i32Const(16).i32Add().set(p).get(d).i32Const(16).i32Add().set(d).br(0).end().end();
  return {
    params: [i32, i32, i32, i32, f32, f32, f32, f32],
    results: [],
    locals: [i32, i32, v128, v128, v128, v128, v128, v128, v128, i32],
    body: c,
    export: 'requantRow',
  };
}

/** The module's bytes (./modules.ts precomputes them for the published build). */
export const emitQuantizedModule = (): Uint8Array<ArrayBuffer> =>
  encodeModule({
    memory: { import: { module: 'env', field: 'mem' }, minPages: 2 },
    funcs: [quantizeKernel(false), quantizeKernel(true), requantKernel(), requantRowKernel()],
  });

function create(): Module | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = wasmModule('quantized');
    if (!WebAssembly.validate(bytes)) return null;
    const mem = new WebAssembly.Memory({ initial: 2 });
    const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } }).exports as Record<string, Kernel>;
    return { mem, quantize: e.quantize, quantizeU8: e.quantizeU8, requant: e.requant, requantRow: e.requantRow };
  } catch {
    return null;
  }
}

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
let enabled = env?.AIMODEL_CPU_SIMD !== '0';
let cached: Module | null | undefined;

function module(n: number, bytes: number): Module | null {
  if (!enabled || n < MIN_ELEMENTS) return null;
  if (cached === undefined) cached = create();
  if (cached && cached.mem.buffer.byteLength < bytes) cached.mem.grow(Math.ceil((bytes - cached.mem.buffer.byteLength) / PAGE));
  return cached;
}

const onMemory = new WeakMap<WebAssembly.Memory, Module | null>();

/** Whether the SIMD kernels are on (see {@link setQuantizedSimd}). */
export const quantizedSimdEnabled = (): boolean => enabled;

/**
 * The kernels instantiated over another module's memory `mem` (≥ 2 pages; e.g. the int8 gemm's,
 * so an epilogue requantizes its int32 results where they lie), cached per memory; null when the
 * SIMD kernels are off or unavailable.
 */
export function quantizedKernelsOn(mem: WebAssembly.Memory): Module | null {
  if (!enabled) return null;
  let m = onMemory.get(mem);
  if (m === undefined) {
    try {
      const e = new WebAssembly.Instance(new WebAssembly.Module(wasmModule('quantized')), { env: { mem } }).exports as Record<string, Kernel>;
      m = { mem, quantize: e.quantize, quantizeU8: e.quantizeU8, requant: e.requant, requantRow: e.requantRow };
    } catch {
      m = null;
    }
    onMemory.set(mem, m);
  }
  return m;
}

/**
 * Turns the SIMD kernels off (false) or back on (true), so tests run every case on both paths.
 * Returns whether the kernels are available.
 * @internal
 */
export function setQuantizedSimd(on: boolean): boolean {
  enabled = on;
  cached ??= create();
  return cached !== null;
}

/** Quantize n contiguous floats of `x` from `xo` into `out` (from 0); false when SIMD does not apply. */
export function simdQuantize(
  x: Float32Array,
  xo: number,
  n: number,
  out: Int8Array | Uint8Array,
  inv: number,
  zp: number,
  qmin: number,
  qmax: number,
): boolean {
  const B = A + CHUNK * 4; // the bytes
  const s = module(n, B + CHUNK + 16);
  if (!s) return false;
  const w = new Float32Array(s.mem.buffer);
  const bytes = out instanceof Uint8Array ? new Uint8Array(s.mem.buffer) : new Int8Array(s.mem.buffer);
  const kernel = out instanceof Uint8Array ? s.quantizeU8 : s.quantize;
  for (let i = 0; i < n; i += CHUNK) {
    const len = Math.min(CHUNK, n - i);
    w.set(x.subarray(xo + i, xo + i + len), A / 4);
    kernel((len + 15) >> 4, A, B, inv, zp, qmin, qmax);
    out.set(bytes.subarray(B, B + len), i);
  }
  return true;
}

/**
 * The 'dequantize' requantization of acc [m, n] (contiguous from `ao`, n a multiple of 4) into
 * the float32 `out`, with per-column int32 `col`, float32 `bias` (or null) and `mult`, each from
 * its offset; false when SIMD does not apply.
 */
export function simdRequantize(
  acc: Int32Array,
  ao: number,
  m: number,
  n: number,
  col: Int32Array,
  co: number,
  bias: Float32Array | null,
  bo: number,
  mult: Float32Array,
  mo: number,
  out: Float32Array,
  zp: number,
  qmin: number,
  qmax: number,
  scale: number,
): boolean {
  if (n % 4 !== 0) return false;
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK / n));
  const accAt = A + 3 * n * 4;
  const s = module(m * n, accAt + rowsPerChunk * n * 4);
  if (!s) return false;
  const wi = new Int32Array(s.mem.buffer);
  const wf = new Float32Array(s.mem.buffer);
  const [colAt, biasAt, multAt] = [A, A + n * 4, A + 2 * n * 4];
  wi.set(col.subarray(co, co + n), colAt / 4);
  if (bias) wf.set(bias.subarray(bo, bo + n), biasAt / 4);
  else wf.fill(0, biasAt / 4, biasAt / 4 + n);
  wf.set(mult.subarray(mo, mo + n), multAt / 4);
  for (let r = 0; r < m; r += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, m - r);
    wi.set(acc.subarray(ao + r * n, ao + (r + rows) * n), accAt / 4);
    s.requant(rows, n, colAt, biasAt, multAt, accAt, zp, qmin, qmax, scale);
    out.set(wf.subarray(accAt / 4, accAt / 4 + rows * n), r * n);
  }
  return true;
}

/**
 * The 'dequantize' requantization with the channel along rows (see `requantizeRows` in
 * ../quantized.ts, which this matches bit for bit): acc [rows, N·P], row r (channel c0 + r) → out
 * runs of P at (n·C + c0 + r)·P. False when SIMD does not apply.
 */
export function simdRequantizeRows(
  acc: Int32Array,
  rows: number,
  N: number,
  P: number,
  c0: number,
  C: number,
  k: { columnTerm: Int32Array; co: number; multiplier: Float32Array; mo: number; bias: Float32Array | null; bo: number },
  out: Float32Array,
  zp: number,
  qmin: number,
  qmax: number,
  scale: number,
): boolean {
  const NP = N * P;
  const at = A + 16;
  const s = module(rows * NP, at + (NP + 4) * 4);
  if (!s) return false;
  const wi = new Int32Array(s.mem.buffer);
  const wf = new Float32Array(s.mem.buffer);
  const base = at / 4;
  for (let r = 0; r < rows; r++) {
    const ch = c0 + r;
    wi[A / 4] = k.columnTerm[k.co + ch];
    wf[A / 4 + 1] = k.bias ? k.bias[k.bo + ch] : 0;
    wf[A / 4 + 2] = k.multiplier[k.mo + ch];
    wi.set(acc.subarray(r * NP, (r + 1) * NP), base);
    s.requantRow((NP + 3) >> 2, at, at, A, zp, qmin, qmax, scale);
    for (let n = 0; n < N; n++) out.set(wf.subarray(base + n * P, base + (n + 1) * P), (n * C + ch) * P);
  }
  return true;
}
