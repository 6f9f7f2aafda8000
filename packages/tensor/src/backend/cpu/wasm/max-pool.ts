/**
 * 2×2, stride-2 max pooling in WebAssembly SIMD, in place on the CPU heap (./heap.ts): four
 * windows at a time, branch-free (compare masks and bitselect), so random data costs no
 * mispredicted branches. Same result as the JS loop in ../pool.ts: taps in the order a b / c d,
 * a tap replaces the best when it is greater or NaN while the best is not NaN (so the first
 * maximum, or the first NaN, wins). A row's last 1–3 windows are computed as a full group of
 * four (reading up to 8 floats past them: inside the plane, or the heap's slack after the last
 * block) and stored lane by lane.
 *
 * The gradient's scatter-add is here too: JS element access to the heap's shared buffer is several
 * times slower than to a plain array, wasm's is not.
 *
 * `AIMODEL_CPU_SIMD=0` in the environment (or `setMaxPoolPath('js')`) forces the JS loop.
 */
import { heapMemory } from '../heap';
import { Code, ValType, encodeModule, isSharedMemory, memoryImport, uleb128 } from './encoder';
import { heapModules } from './heap-pool';
import { wasmModule } from './modules';

const validModule = (bytes: Uint8Array<ArrayBuffer>) => (WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null);

/** Appends a SIMD instruction the encoder has no method for (prefix 0xfd, opcode, immediates). */
function simdOp(f: Code, op: number, ...imm: number[]): Code {
  f.bytes.push(0xfd, ...uleb128(op), ...imm);
  return f;
}
const i32x4Splat = (f: Code) => simdOp(f, 0x11);
/** v128.const of four i32 lanes. */
const i32x4Lanes = (f: Code, lanes: number[]) => simdOp(f, 0x0c, ...new Uint8Array(Int32Array.from(lanes).buffer));
const EVEN = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD = EVEN.map((b) => b + 4);

/**
 * The module (its memory import shared when `mem` is): `pool(src, val, idx, planes, h, w, ho, wo)`, byte addresses src (x planes, h·w floats each),
 * val (float32 maxima) and idx (int32 flat indices h·W + w), both ho·wo per plane.
 */
export function emitMaxPoolModule(mem?: WebAssembly.Memory): Uint8Array<ArrayBuffer> {
  const [src, val, idx, planes, h, w, ho, wo] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [oh, n, p, q, row, w4] = [8, 9, 10, 11, 12, 13];
  const [r0, r1, a, b, c, d, best, bi, iv, one, wv, wv1] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25];
  const f = new Code();
  f.get(w).i32Const(4).i32Mul().set(w4);
  f.i32Const(1);
  i32x4Splat(f).set(one);
  f.get(w);
  i32x4Splat(f).set(wv);
  f.get(w).i32Const(1).i32Add();
  i32x4Splat(f).set(wv1);
  /** Even and odd lanes of the 8 floats at the address on the stack → locals e, o. */
  const deinterleave = (e: number, o: number) => {
    f.set(q);
    f.get(q).v128Load(0, 0).set(r0);
    f.get(q).v128Load(16, 0).set(r1);
    f.get(r0).get(r1).i8x16Shuffle(EVEN).set(e);
    f.get(r0).get(r1).i8x16Shuffle(ODD).set(o);
  };
  /** best, bi ← tap t (index bi0 + add) when t > best or t is NaN, while best is not NaN. */
  const tap = (t: number, add: number | null) => {
    f.get(t).get(best).f32x4Gt().get(t).get(t).f32x4Ne().v128Or().get(best).get(best).f32x4Eq().v128And().set(r0); // the mask, in r0
    f.get(t).get(best).get(r0).v128Bitselect().set(best);
    f.get(iv);
    if (add !== null) f.get(add).i32x4Add();
    f.get(bi).get(r0).v128Bitselect().set(bi);
  };
  /** The four windows at p (row start + 8·k bytes) with first-tap indices iv → best, bi. */
  const group = () => {
    f.get(p);
    deinterleave(a, b);
    f.get(p).get(w4).i32Add();
    deinterleave(c, d);
    f.get(a).set(best);
    f.get(iv).set(bi);
    tap(b, one);
    tap(c, wv);
    tap(d, wv1);
  };
  f.block().loop(); // planes
  f.get(planes).i32Eqz().brIf(1);
  f.i32Const(0).set(oh);
  f.block().loop(); // output rows
  f.get(oh).get(ho).i32LtU().i32Eqz().brIf(1);
  f.get(src).get(oh).get(w4).i32Mul().i32Const(2).i32Mul().i32Add().set(row);
  f.get(row).set(p);
  f.get(oh).get(w).i32Mul().i32Const(2).i32Mul();
  i32x4Splat(f);
  i32x4Lanes(f, [0, 2, 4, 6]).i32x4Add().set(iv);
  f.get(wo).set(n);
  f.block().loop(); // whole groups of four windows
  f.get(n).i32Const(4).i32LtU().brIf(1);
  group();
  f.get(val).get(best).v128Store(0, 0);
  f.get(idx).get(bi).v128Store(0, 0);
  f.get(val).i32Const(16).i32Add().set(val);
  f.get(idx).i32Const(16).i32Add().set(idx);
  f.get(p).i32Const(32).i32Add().set(p);
  f.get(iv).i32x4Const(8).i32x4Add().set(iv);
  f.get(n).i32Const(4).i32Sub().set(n);
  f.br(0).end().end();
  f.get(n).if(); // 1–3 windows left: one more group, stored lane by lane
  group();
  for (const lane of [0, 1, 2] as const) {
    f.i32Const(lane).get(n).i32LtU().if(); // lane < n
    f.get(val)
      .get(best)
      .f32x4ExtractLane(lane)
      .f32Store(4 * lane, 0);
    f.get(idx)
      .get(bi)
      .f32x4ExtractLane(lane)
      .f32Store(4 * lane, 0); // the index's bits, moved as a float
    f.end();
  }
  f.get(val).get(n).i32Const(4).i32Mul().i32Add().set(val);
  f.get(idx).get(n).i32Const(4).i32Mul().i32Add().set(idx);
  f.end();
  f.get(oh).i32Const(1).i32Add().set(oh);
  f.br(0).end().end();
  f.get(src).get(h).get(w4).i32Mul().i32Add().set(src);
  f.get(planes).i32Const(1).i32Sub().set(planes);
  f.br(0).end().end();
  const locals = [...new Array<ValType>(6).fill(ValType.i32), ...new Array<ValType>(12).fill(ValType.v128)];
  return encodeModule({
    memory: memoryImport(mem),
    funcs: [
      { params: new Array<ValType>(8).fill(ValType.i32), results: [], locals, body: f, export: 'pool' },
      { params: new Array<ValType>(6).fill(ValType.i32), results: [], locals: [ValType.i32, ValType.i32], body: emitScatter(), export: 'scatter' },
    ],
  });
}

/**
 * `scatter(gy, idx, dx, planes, hw4, per)`: byte addresses; for each of `planes` planes (hw4
 * bytes of dx each, `per` gy and idx elements each), dx[plane][idx[q]] += gy[q].
 */
function emitScatter(): Code {
  const [gy, idx, dx, planes, hw4, per] = [0, 1, 2, 3, 4, 5];
  const [q, at] = [6, 7];
  const f = new Code();
  f.block().loop();
  f.get(planes).i32Eqz().brIf(1);
  f.get(per).set(q);
  f.block().loop();
  f.get(q).i32Eqz().brIf(1);
  f.get(dx).get(idx);
  f.bytes.push(0x28, 2, 0); // i32.load (align 4, offset 0)
  f.i32Const(4).i32Mul().i32Add().tee(at);
  f.get(at).f32Load(0, 0).get(gy).f32Load(0, 0).f32Add().f32Store(0, 0);
  f.get(gy).i32Const(4).i32Add().set(gy);
  f.get(idx).i32Const(4).i32Add().set(idx);
  f.get(q).i32Const(1).i32Sub().set(q);
  f.br(0).end().end();
  f.get(dx).get(hw4).i32Add().set(dx);
  f.get(planes).i32Const(1).i32Sub().set(planes);
  f.br(0).end().end();
  return f;
}

/** The module's two functions (see {@link emitMaxPoolModule} and `emitScatter`). */
export interface MaxPoolWasm {
  pool(src: number, val: number, idx: number, planes: number, h: number, w: number, ho: number, wo: number): void;
  scatter(gy: number, idx: number, dx: number, planes: number, hw4: number, per: number): void;
}

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
let path: 'js' | 'auto' = env?.AIMODEL_CPU_SIMD === '0' ? 'js' : 'auto';
const instances = new WeakMap<WebAssembly.Memory, MaxPoolWasm | null>();

/** The max-pool kernels over the CPU heap, or null (JS path forced, no heap, or no SIMD). */
export function maxPoolWasm(): MaxPoolWasm | null {
  const mem = path === 'js' ? null : heapMemory();
  if (!mem) return null;
  let fns = instances.get(mem);
  if (fns === undefined) {
    fns = null;
    try {
      // the heap's module, which the worker threads run too (./heap-pool.ts)
      const module = isSharedMemory(mem) ? heapModules()?.maxPool : validModule(wasmModule('maxPool', false));
      if (module) fns = new WebAssembly.Instance(module, { env: { mem } }).exports as unknown as MaxPoolWasm;
    } catch {
      fns = null;
    }
    instances.set(mem, fns);
  }
  return fns;
}

/**
 * Forces the max-pool implementation ('auto', the default, uses SIMD where available), so tests
 * run both. Returns false when 'wasm' is asked for but unavailable.
 * @internal
 */
export function setMaxPoolPath(p: 'js' | 'auto' | 'wasm'): boolean {
  path = p === 'js' ? 'js' : 'auto';
  return p !== 'wasm' || maxPoolWasm() !== null;
}
