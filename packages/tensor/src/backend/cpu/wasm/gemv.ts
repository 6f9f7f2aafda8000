/**
 * WebAssembly SIMD matrix·vector products (M = 1 or N = 1), where the GEMM's packing and its
 * 4-row tiles would cost more than the product: the matrix goes into wasm memory by memcpy in
 * whichever orientation it is contiguous in (./pack.ts `copyIn`), then one pass:
 *
 *   lines (k contiguous, e.g. x @ Wᵀ): out[l] = Σ_k v[k]·line_l[k], four lines at a time
 *     (four f32x4 accumulators sharing each load of v, summed across lanes at the end);
 *   rows (lines contiguous, e.g. x @ W): out[l…l+16) += v[k]·row_k[l…l+16), 16 outputs in
 *     four accumulators per column block.
 *
 * Sums are float32. The matrix is copied in chunks of about 1 M floats, so memory stays small.
 */
import { Code, ValType, encodeModule } from './encoder';
import { wasmModule } from './modules';
import { copyIn } from './pack';

const { i32, v128 } = ValType;

/** `dots(vec, lines, ld, groups, k4, out)`: 4·groups lines `ld` bytes apart, k4 vectors of 4 k each. */
function emitDots(): Code {
  const [vec, lines, ld, groups, k4, out] = [0, 1, 2, 3, 4, 5];
  const [x, p, k] = [6, 7, 8];
  const acc = (i: number) => 9 + i;
  const xv = 13;
  const f = new Code();
  f.loop();
  for (let i = 0; i < 4; i++) f.v128Zero().set(acc(i));
  f.get(vec).set(x).get(lines).set(p).get(k4).set(k);
  f.loop();
  f.get(x).v128Load(0, 2).set(xv);
  for (let i = 0; i < 4; i++) {
    f.get(acc(i)).get(xv).get(p);
    if (i > 0) f.get(ld).i32Const(i).i32Mul().i32Add();
    f.v128Load(0, 2).f32x4Mul().f32x4Add().set(acc(i));
  }
  f.get(x).i32Const(16).i32Add().set(x);
  f.get(p).i32Const(16).i32Add().set(p);
  f.get(k).i32Const(1).i32Sub().tee(k).brIf(0);
  f.end();
  for (let i = 0; i < 4; i++) {
    f.get(out);
    f.get(acc(i)).f32x4ExtractLane(0).get(acc(i)).f32x4ExtractLane(1).f32Add();
    f.get(acc(i)).f32x4ExtractLane(2).get(acc(i)).f32x4ExtractLane(3).f32Add().f32Add();
    f.f32Store(4 * i);
  }
  f.get(out).i32Const(16).i32Add().set(out);
  f.get(lines).get(ld).i32Const(4).i32Mul().i32Add().set(lines);
  f.get(groups).i32Const(1).i32Sub().tee(groups).brIf(0);
  f.end();
  return f;
}

/** `axpy(vec, rows, ld, kRows, blocks, out, beta)`: out[16·blocks] (+)= Σ_k vec[k]·row_k, rows `ld` bytes apart. */
function emitAxpy(): Code {
  const [vec, rows, ld, kRows, blocks, out, beta] = [0, 1, 2, 3, 4, 5, 6];
  const [x, p, k] = [7, 8, 9];
  const acc = (i: number) => 10 + i;
  const s = 14;
  const f = new Code();
  f.loop();
  for (let i = 0; i < 4; i++) f.v128Zero().set(acc(i));
  f.get(beta).if();
  for (let i = 0; i < 4; i++)
    f.get(out)
      .v128Load(16 * i, 2)
      .set(acc(i));
  f.end();
  f.get(vec).set(x).get(rows).set(p).get(kRows).set(k);
  f.loop();
  f.get(x).v128Load32Splat().set(s);
  for (let i = 0; i < 4; i++)
    f.get(acc(i))
      .get(s)
      .get(p)
      .v128Load(16 * i, 2)
      .f32x4Mul()
      .f32x4Add()
      .set(acc(i));
  f.get(x).i32Const(4).i32Add().set(x);
  f.get(p).get(ld).i32Add().set(p);
  f.get(k).i32Const(1).i32Sub().tee(k).brIf(0);
  f.end();
  for (let i = 0; i < 4; i++)
    f.get(out)
      .get(acc(i))
      .v128Store(16 * i, 2);
  f.get(out).i32Const(64).i32Add().set(out);
  f.get(rows).i32Const(64).i32Add().set(rows);
  f.get(blocks).i32Const(1).i32Sub().tee(blocks).brIf(0);
  f.end();
  return f;
}

/** The module: `dots` and `axpy` over the imported memory `env.mem`. */
export function emitGemvModule(): Uint8Array<ArrayBuffer> {
  return encodeModule({
    memory: { import: { module: 'env', field: 'mem' }, minPages: 1 },
    funcs: [
      { params: new Array<ValType>(6).fill(i32), results: [], locals: [i32, i32, i32, v128, v128, v128, v128, v128], body: emitDots(), export: 'dots' },
      { params: new Array<ValType>(7).fill(i32), results: [], locals: [i32, i32, i32, v128, v128, v128, v128, v128], body: emitAxpy(), export: 'axpy' },
    ],
  });
}

/**
 * out[l·os] (= or +=) Σ_k v[vOff + k·vs]·m[mOff + l·ls + k·ks] for l < L: a matrix·vector product
 * with any strides, as the M = 1 or N = 1 case of a gemm.
 */
export type GemvFn = (
  L: number,
  K: number,
  v: Float32Array,
  vOff: number,
  vs: number,
  m: Float32Array,
  mOff: number,
  ls: number,
  ks: number,
  out: Float32Array,
  oOff: number,
  os: number,
  accumulate: boolean,
) => void;

const CHUNK = 1 << 20; // floats of matrix per copy
const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Compiles the module over a memory of its own; null when WebAssembly SIMD is unavailable. */
export function createWasmGemv(): GemvFn | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = wasmModule('gemv');
    if (!WebAssembly.validate(bytes)) return null;
    const mem = new WebAssembly.Memory({ initial: 1 });
    const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } }).exports as Record<string, (...a: number[]) => void>;
    let f32 = new Float32Array(mem.buffer);
    return (L, K, v, vOff, vs, m, mOff, ls, ks, out, oOff, os, accumulate) => {
      if (L <= 0) return;
      const lines = ks === 1 || ls !== 1;
      const Kp = roundUp(Math.max(K, 1), lines ? 4 : 1),
        Lp = roundUp(L, lines ? 4 : 16);
      // Layout in floats: [vector Kp | output Lp | matrix chunk].
      const outBase = Kp,
        mBase = roundUp(Kp + Lp, 16);
      const chunkLines = lines ? Math.max(4, Math.floor(CHUNK / Kp / 4) * 4) : Lp,
        chunkRows = lines ? Kp : Math.max(1, Math.floor(CHUNK / Lp));
      const bytes = (mBase + (lines ? Math.min(chunkLines, Lp) * Kp : Math.min(chunkRows, Kp) * Lp)) * 4;
      if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
      if (f32.buffer !== mem.buffer) f32 = new Float32Array(mem.buffer);
      for (let k = 0; k < K; k++) f32[k] = v[vOff + k * vs];
      f32.fill(0, K, Kp);
      if (lines)
        for (let l0 = 0; l0 < L; l0 += chunkLines) {
          const n = Math.min(chunkLines, L - l0),
            np = roundUp(n, 4);
          const r = copyIn(m, mOff + l0 * ls, ls, ks, n, K, np, Kp, f32, mBase);
          ex.dots(0, r.base * 4, r.ld * 4, np / 4, Kp / 4, (outBase + l0) * 4);
        }
      else
        for (let k0 = 0; k0 < K; k0 += chunkRows) {
          const kr = Math.min(chunkRows, K - k0);
          const r = copyIn(m, mOff + k0 * ks, ls, ks, L, kr, Lp, kr, f32, mBase);
          ex.axpy(k0 * 4, r.base * 4, r.ld * 4, kr, Lp / 16, outBase * 4, k0 > 0 ? 1 : 0);
        }
      if (os === 1 && !accumulate) out.set(f32.subarray(outBase, outBase + L), oOff);
      else if (accumulate) for (let l = 0; l < L; l++) out[oOff + l * os] += f32[outBase + l];
      else for (let l = 0; l < L; l++) out[oOff + l * os] = f32[outBase + l];
    };
  } catch {
    return null;
  }
}

let cached: GemvFn | null | undefined;

/** The default wasm gemv, created on first use; null when unavailable (then never retried). */
export function wasmGemv(): GemvFn | null {
  if (cached === undefined) cached = createWasmGemv();
  return cached;
}
