// The arithmetic of a word2vec step in WebAssembly SIMD (f32x4), built at run time from bytes
// written here (no .wasm file, no eval). One exported function, `steps`, does what gensim's
// fast_sentence_* loops do for one input vector v against a list of output rows:
//   for each row r with label ℓ: f = v·r; if |f| < 6: g = (ℓ − σ(f))·α (σ from the table);
//   work += g·r; r += g·v
// The JS loop around it draws the rows (negatives, Huffman points), prepares v and applies work.

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32 immediates). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const f32 = (x: number): number[] => Array.from(new Uint8Array(Float32Array.of(x).buffer));

// Opcodes used (WebAssembly core 2.0 + fixed-width SIMD).
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const i32c = (n: number) => [0x41, ...sleb(n)];
const f32c = (x: number) => [0x43, ...f32(x)];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const v128Load = (align = 4) => simd(0x00, align, 0);
const v128Store = (align = 4) => simd(0x0b, align, 0);
const f32x4Splat = simd(0x13);
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);
const lane = (i: number) => simd(0x1f, i);
const [i32Add, i32Mul, i32GeU] = [[0x6a], [0x6c], [0x4f]];
const [f32Add, f32Sub, f32Mul, f32Abs, f32Lt] = [[0x92], [0x93], [0x94], [0x8b], [0x5d]];
const i32TruncF32S = [0xa8];
const f32Load = [0x2a, 2, 0];
const i32Load = [0x28, 2, 0];
const [block, loop, ifThen, end] = [[0x02, 0x40], [0x03, 0x40], [0x04, 0x40], [0x0b]];
const br = (d: number) => [0x0c, d];
const brIf = (d: number) => [0x0d, d];

// steps(v, work, out, rows, labels, n, alpha, bytes, sig): params 0–8; locals 9… below.
const [V, WORK, OUT, ROWS, LABELS, N, ALPHA, BYTES, SIG] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [T, ROW, K, F, G] = [9, 10, 11, 12, 13];
const [ACC, GV, Y] = [14, 15, 16];

/** k = 0; loop while k < bytes: body; k += 16. */
const overRow = (body: number[]): number[] => [
  ...i32c(0),
  ...set(K),
  ...block,
  ...loop,
  ...get(K),
  ...get(BYTES),
  ...i32GeU,
  ...brIf(1),
  ...body,
  ...get(K),
  ...i32c(16),
  ...i32Add,
  ...set(K),
  ...br(0),
  ...end,
  ...end,
];
const at = (base: number, load: number[]) => [...get(base), ...get(K), ...i32Add, ...load];

const stepsBody: number[] = [
  // locals: 5 × i32/f32 as declared, 3 × v128
  ...i32c(0),
  ...set(T),
  ...block,
  ...loop,
  ...get(T),
  ...get(N),
  ...i32GeU,
  ...brIf(1),
  // row = out + rows[t]
  ...get(OUT),
  ...get(ROWS),
  ...get(T),
  ...i32c(4),
  ...i32Mul,
  ...i32Add,
  ...i32Load,
  ...i32Add,
  ...set(ROW),
  // acc = Σ v[k]·row[k] (4 lanes)
  ...simd(0x0c, ...new Array(16).fill(0)),
  ...set(ACC),
  ...overRow([...get(ACC), ...at(V, v128Load()), ...at(ROW, v128Load()), ...f32x4Mul, ...f32x4Add, ...set(ACC)]),
  ...get(ACC),
  ...lane(0),
  ...get(ACC),
  ...lane(1),
  ...f32Add,
  ...get(ACC),
  ...lane(2),
  ...get(ACC),
  ...lane(3),
  ...f32Add,
  ...f32Add,
  ...set(F),
  // |f| < 6: g = (label − sig[⌊(f + 6)·1000/12⌋])·α
  ...get(F),
  ...f32Abs,
  ...f32c(6),
  ...f32Lt,
  ...ifThen,
  ...get(LABELS),
  ...get(T),
  ...i32c(4),
  ...i32Mul,
  ...i32Add,
  ...f32Load,
  ...get(SIG),
  ...get(F),
  ...f32c(6),
  ...f32Add,
  ...f32c(1000 / 12),
  ...f32Mul,
  ...i32TruncF32S,
  ...i32c(4),
  ...i32Mul,
  ...i32Add,
  ...f32Load,
  ...f32Sub,
  ...get(ALPHA),
  ...f32Mul,
  ...set(G),
  ...get(G),
  ...f32x4Splat,
  ...set(GV),
  ...overRow([
    ...at(ROW, v128Load()),
    ...set(Y),
    // work[k] += g·row[k]
    ...get(WORK),
    ...get(K),
    ...i32Add,
    ...at(WORK, v128Load()),
    ...get(GV),
    ...get(Y),
    ...f32x4Mul,
    ...f32x4Add,
    ...v128Store(),
    // row[k] = row[k] + g·v[k]
    ...get(ROW),
    ...get(K),
    ...i32Add,
    ...get(Y),
    ...get(GV),
    ...at(V, v128Load()),
    ...f32x4Mul,
    ...f32x4Add,
    ...v128Store(),
  ]),
  ...end,
  ...get(T),
  ...i32c(1),
  ...i32Add,
  ...set(T),
  ...br(0),
  ...end,
  ...end,
];

/** The module's bytes; it imports its memory (shared when threads train on it). */
function moduleBytes(pages: number, shared: boolean): Uint8Array<ArrayBuffer> {
  const params = [I32, I32, I32, I32, I32, I32, F32, I32, I32];
  const type = section(1, [1, 0x60, ...uleb(params.length), ...params, 0]);
  const limits = shared ? [0x03, ...uleb(pages), ...uleb(pages)] : [0x00, ...uleb(pages)];
  const imports = section(2, [1, ...str('env'), ...str('memory'), 0x02, ...limits]);
  const funcs = section(3, [1, 0]);
  const exports = section(7, [1, ...str('steps'), 0x00, 0]);
  const locals = [3, 3, I32, 2, F32, 3, V128];
  const body = [...locals, ...stepsBody, ...end];
  const code = section(10, [1, ...uleb(body.length), ...body]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...code]);
}

/** `steps(v, work, out, rows, labels, n, alpha, rowBytes, sig)`: byte addresses into the memory. */
export type StepsFn = (v: number, work: number, out: number, rows: number, labels: number, n: number, alpha: number, rowBytes: number, sig: number) => void;

/** Instantiates the kernel on `memory` (synchronously: the module is a few hundred bytes). Undefined where WebAssembly SIMD is missing. */
export function instantiateSteps(memory: WebAssembly.Memory, pages: number, shared: boolean): StepsFn | undefined {
  try {
    const mod = new WebAssembly.Module(moduleBytes(pages, shared));
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    return inst.exports.steps as StepsFn;
  } catch {
    return undefined;
  }
}
