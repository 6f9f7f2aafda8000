/**
 * WebAssembly SIMD for the fused optimizer steps (../optimizer-steps.ts): f32x4 lanes compute in
 * float32 natively (IEEE + − × ÷ √, correctly rounded), so the results are the JS path's bit for
 * bit, with no Math.fround chain. The module (emitted at run time with ./encoder.ts, its own
 * memory) holds one chunk of each operand at fixed addresses; the driver streams the parameter
 * and its state through it chunk by chunk (copy in, one kernel call, copy the updated operands
 * out). Kernel variants (L2 decay or not, AMSGrad or not; SGD's momentum modes) are separate
 * functions, so the loops carry no flags; maximize and decoupled decay are exact multiplications
 * by ±1 and (1 − γλ or 1).
 *
 *   adam_<l2><ams>(n, sign, decay, λ, β₁, 1 − β₁, β₂, 1 − β₂, √(1 − β₂ᵗ), ε, −stepSize)
 *   sgd_<l2><mode><nesterov>(n, sign, λ, μ, 1 − τ, −γ)   mode 0 no momentum, 1 first step, 2 later
 *   rmsprop_<l2><centered><momentum>(n, sign, λ, α, 1 − α, ε, μ, −γ)
 *   adagrad_<l2>(n, sign, λ, ε, −γ̃)
 *
 * `AIMODEL_CPU_SIMD=0` in the environment (or `setOptimizerStepPath('js')`) forces the JS loops.
 */
import type { AdagradStepParams, AdamStepParams, RmspropStepParams, SgdStepParams } from '../../backend';
import { Code, type FuncDef, encodeModule, ValType } from './encoder';
import { wasmModule } from './modules';

const { i32, f32 } = ValType;

/** Floats per operand chunk. */
const CHUNK = 4096;
/** Byte address of operand 0's chunk; operand j's is A + j·CHUNK·4. */
const A = 64;
const at = (j: number) => A + j * CHUNK * 4;
/** Operand slots: the parameter, its gradient and up to three state tensors. */
const P = 0;
const G = 1;
const S1 = 2;
const S2 = 3;
const S3 = 4;
/** Below this many elements the JS loop is as fast ('auto' only). */
const MIN_ELEMENTS = 256;

type Kernel = (...args: number[]) => void;
interface Module {
  w: Float32Array;
  fns: Record<string, Kernel>;
}

/**
 * A kernel: params (n, …scalars as f32), every scalar splat into a v128 local, then a loop over
 * byte offsets k = 0, 16, …, 4n − 16 running `body(code, k, scalarLocal)`.
 */
function kernel(name: string, scalars: number, body: (c: Code, k: number, s: (i: number) => number, tmp: () => number) => void): FuncDef {
  const params = [i32, ...Array<ValType>(scalars).fill(f32)];
  const locals: ValType[] = [i32, i32];
  const k = params.length;
  const end = k + 1;
  const local = (t: ValType) => locals.push(t) + params.length - 1;
  const splat = Array.from({ length: scalars }, () => local(ValType.v128));
  const c = new Code();
  for (let i = 0; i < scalars; i++)
    c.get(1 + i)
      .f32x4Splat()
      .set(splat[i]);
  c.get(0).i32Const(4).i32Mul().set(end).i32Const(0).set(k);
  c.block().loop().get(k).get(end).i32LtU().i32Eqz().brIf(1);
  body(
    c,
    k,
    (i) => splat[i],
    () => local(ValType.v128),
  );
  c.get(k).i32Const(16).i32Add().set(k).br(0).end().end();
  return { params, results: [], locals, body: c, export: name };
}

function adamKernel(l2: boolean, ams: boolean): FuncDef {
  // scalars: 0 sign, 1 decay, 2 λ, 3 β₁, 4 1 − β₁, 5 β₂, 6 1 − β₂, 7 √(1 − β₂ᵗ), 8 ε, 9 −stepSize
  return kernel(`adam_${+l2}${+ams}`, 10, (c, k, s, tmp) => {
    const [th, g, m, v] = [tmp(), tmp(), tmp(), tmp()];
    c.get(k).v128Load(at(P)).get(s(1)).f32x4Mul().set(th); //                  θ(1 − γλ) (or θ·1)
    c.get(k).v128Load(at(G)).get(s(0)).f32x4Mul().set(g); //                   ±grad
    if (l2) c.get(g).get(s(2)).get(th).f32x4Mul().f32x4Add().set(g); //        g + λθ
    c.get(k).get(k).v128Load(at(S1)).get(s(3)).f32x4Mul().get(s(4)).get(g).f32x4Mul().f32x4Add().tee(m).v128Store(at(S1));
    c.get(k).get(k).v128Load(at(S2)).get(s(5)).f32x4Mul().get(s(6)).get(g).f32x4Mul().get(g).f32x4Mul().f32x4Add().tee(v).v128Store(at(S2));
    if (ams) c.get(k).get(k).v128Load(at(S3)).get(v).f32x4Max().tee(v).v128Store(at(S3)); // NaN propagates
    c.get(k).get(th).get(s(9)).get(m).get(v).f32x4Sqrt().get(s(7)).f32x4Div().get(s(8)).f32x4Add().f32x4Div().f32x4Mul().f32x4Add().v128Store(at(P));
  });
}

function sgdKernel(l2: boolean, mode: 0 | 1 | 2, nesterov: boolean): FuncDef {
  // scalars: 0 sign, 1 λ, 2 μ, 3 1 − τ, 4 −γ
  return kernel(`sgd_${+l2}${mode}${+nesterov}`, 5, (c, k, s, tmp) => {
    const [th, g, b] = [tmp(), tmp(), tmp()];
    c.get(k).v128Load(at(P)).set(th);
    c.get(k).v128Load(at(G)).get(s(0)).f32x4Mul().set(g);
    if (l2) c.get(g).get(s(1)).get(th).f32x4Mul().f32x4Add().set(g);
    if (mode !== 0) {
      if (mode === 1) c.get(g).set(b);
      else c.get(k).v128Load(at(S1)).get(s(2)).f32x4Mul().get(s(3)).get(g).f32x4Mul().f32x4Add().set(b);
      c.get(k).get(b).v128Store(at(S1));
      if (nesterov) c.get(g).get(s(2)).get(b).f32x4Mul().f32x4Add().set(g);
      else c.get(b).set(g);
    }
    c.get(k).get(th).get(s(4)).get(g).f32x4Mul().f32x4Add().v128Store(at(P));
  });
}

function rmspropKernel(l2: boolean, centered: boolean, momentum: boolean): FuncDef {
  // scalars: 0 sign, 1 λ, 2 α, 3 1 − α, 4 ε, 5 μ, 6 −γ; slots: S1 v, S2 gₐ, S3 b
  return kernel(`rmsprop_${+l2}${+centered}${+momentum}`, 7, (c, k, s, tmp) => {
    const [th, g, v, d] = [tmp(), tmp(), tmp(), tmp()];
    c.get(k).v128Load(at(P)).set(th);
    c.get(k).v128Load(at(G)).get(s(0)).f32x4Mul().set(g);
    if (l2) c.get(g).get(s(1)).get(th).f32x4Mul().f32x4Add().set(g); //                 g + λθ
    c.get(k).get(k).v128Load(at(S1)).get(s(2)).f32x4Mul().get(s(3)).get(g).f32x4Mul().get(g).f32x4Mul().f32x4Add().tee(v).v128Store(at(S1));
    if (centered) {
      const a = tmp();
      c.get(k).get(k).v128Load(at(S2)).get(s(2)).f32x4Mul().get(s(3)).get(g).f32x4Mul().f32x4Add().tee(a).v128Store(at(S2));
      c.get(v).get(a).get(a).f32x4Mul().f32x4Sub().f32x4Sqrt().get(s(4)).f32x4Add().set(d); // √(v − gₐ²) + ε
    } else {
      c.get(v).f32x4Sqrt().get(s(4)).f32x4Add().set(d); //                                  √v + ε
    }
    if (momentum) {
      const b = tmp();
      c.get(k).get(k).v128Load(at(S3)).get(s(5)).f32x4Mul().get(g).get(d).f32x4Div().f32x4Add().tee(b).v128Store(at(S3));
      c.get(k).get(th).get(s(6)).get(b).f32x4Mul().f32x4Add().v128Store(at(P)); //        θ − γb
    } else {
      c.get(k).get(th).get(s(6)).get(g).get(d).f32x4Div().f32x4Mul().f32x4Add().v128Store(at(P)); // θ − γ·g/d
    }
  });
}

function adagradKernel(l2: boolean): FuncDef {
  // scalars: 0 sign, 1 λ, 2 ε, 3 −γ̃; slot S1 the running sum s
  return kernel(`adagrad_${+l2}`, 4, (c, k, s, tmp) => {
    const [th, g, sum] = [tmp(), tmp(), tmp()];
    c.get(k).v128Load(at(P)).set(th);
    c.get(k).v128Load(at(G)).get(s(0)).f32x4Mul().set(g);
    if (l2) c.get(g).get(s(1)).get(th).f32x4Mul().f32x4Add().set(g);
    c.get(k).get(k).v128Load(at(S1)).get(g).get(g).f32x4Mul().f32x4Add().tee(sum).v128Store(at(S1));
    c.get(k).get(th).get(s(3)).get(g).get(sum).f32x4Sqrt().get(s(2)).f32x4Add().f32x4Div().f32x4Mul().f32x4Add().v128Store(at(P));
  });
}

/** The module: every optimizer kernel above, over the imported memory `env.mem`. */
export function emitOptimizerStepModule(): Uint8Array<ArrayBuffer> {
  const funcs: FuncDef[] = [];
  for (const l2 of [false, true]) {
    for (const ams of [false, true]) funcs.push(adamKernel(l2, ams));
    for (const mode of [0, 1, 2] as const) for (const nesterov of mode === 0 ? [false] : [false, true]) funcs.push(sgdKernel(l2, mode, nesterov));
    for (const centered of [false, true]) for (const momentum of [false, true]) funcs.push(rmspropKernel(l2, centered, momentum));
    funcs.push(adagradKernel(l2));
  }
  return encodeModule({ memory: { import: { module: 'env', field: 'mem' }, minPages: 2 }, funcs });
}

function create(): Module | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = wasmModule('optimizerSteps');
    if (!WebAssembly.validate(bytes)) return null;
    const mem = new WebAssembly.Memory({ initial: 2 }); // 128 KiB ≥ A + 5 chunks of 16 KiB
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } });
    return { w: new Float32Array(mem.buffer), fns: instance.exports as Record<string, Kernel> };
  } catch {
    return null;
  }
}

type Path = 'js' | 'wasm' | 'auto';
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
let path: Path = env?.AIMODEL_CPU_SIMD === '0' ? 'js' : 'auto';
let cached: Module | null | undefined;

function module(n: number): Module | null {
  if (path === 'js' || (path === 'auto' && n < MIN_ELEMENTS)) return null;
  if (cached === undefined) cached = create();
  return cached;
}

/**
 * Forces the optimizer steps' implementation ('auto', the default, uses SIMD from a few hundred
 * elements on), so tests run every case on both. Returns false when 'wasm' is unavailable.
 * @internal
 */
export function setOptimizerStepPath(p: Path): boolean {
  path = p;
  return p !== 'wasm' || module(Number.POSITIVE_INFINITY) !== null;
}

/** An operand: its array and the element offset of the tensor's first element. */
type Operand = [Float32Array, number];

/** Streams `ops` (slot order) through the module: copy in, `run(len rounded up to 4)`, copy `updated` slots out. */
function stream(s: Module, ops: (Operand | null)[], updated: number[], n: number, run: (n4: number) => void): void {
  const w = s.w;
  for (let i = 0; i < n; i += CHUNK) {
    const len = Math.min(CHUNK, n - i);
    ops.forEach((o, j) => {
      if (o) w.set(o[0].subarray(o[1] + i, o[1] + i + len), at(j) / 4);
    });
    run((len + 3) & ~3);
    for (const j of updated) {
      const o = ops[j];
      if (o) o[0].set(w.subarray(at(j) / 4, at(j) / 4 + len), o[1] + i);
    }
  }
}

/** Adam/AdamW through the SIMD kernels; false when they do not apply (the caller runs the JS loop). */
export function simdAdamStep(p: Operand, g: Operand, m: Operand, v: Operand, x: Operand | null, n: number, q: AdamStepParams): boolean {
  const s = module(n);
  if (!s) return false;
  const l2 = !q.decoupled && q.weightDecay !== 0;
  const decay = q.decoupled && q.weightDecay !== 0 ? q.decay : 1;
  const fn = s.fns[`adam_${+l2}${+(x !== null)}`];
  const args = [q.maximize ? -1 : 1, decay, q.weightDecay, q.beta1, 1 - q.beta1, q.beta2, 1 - q.beta2, q.biasCorrection2Sqrt, q.eps, -q.stepSize];
  stream(s, [p, g, m, v, x], [P, S1, S2, S3], n, (n4) => fn(n4, ...args));
  return true;
}

/** SGD through the SIMD kernels; false when they do not apply. */
export function simdSgdStep(p: Operand, g: Operand, b: Operand | null, n: number, q: SgdStepParams): boolean {
  const s = module(n);
  if (!s) return false;
  const mode = b === null ? 0 : q.isFirstStep ? 1 : 2;
  const fn = s.fns[`sgd_${+(q.weightDecay !== 0)}${mode}${+(mode !== 0 && q.nesterov)}`];
  const args = [q.maximize ? -1 : 1, q.weightDecay, q.momentum, 1 - q.dampening, -q.lr];
  stream(s, [p, g, b], [P, S1], n, (n4) => fn(n4, ...args));
  return true;
}

/** RMSprop through the SIMD kernels; false when they do not apply. */
export function simdRmspropStep(p: Operand, g: Operand, v: Operand, a: Operand | null, b: Operand | null, n: number, q: RmspropStepParams): boolean {
  const s = module(n);
  if (!s) return false;
  const fn = s.fns[`rmsprop_${+(q.weightDecay !== 0)}${+(a !== null)}${+(b !== null)}`];
  const args = [q.maximize ? -1 : 1, q.weightDecay, q.alpha, 1 - q.alpha, q.eps, q.momentum, -q.lr];
  stream(s, [p, g, v, a, b], [P, S1, S2, S3], n, (n4) => fn(n4, ...args));
  return true;
}

/** Adagrad through the SIMD kernels; false when they do not apply. */
export function simdAdagradStep(p: Operand, g: Operand, sum: Operand, n: number, q: AdagradStepParams): boolean {
  const s = module(n);
  if (!s) return false;
  const fn = s.fns[`adagrad_${+(q.weightDecay !== 0)}`];
  const args = [q.maximize ? -1 : 1, q.weightDecay, q.eps, -q.clr];
  stream(s, [p, g, sum], [P, S1], n, (n4) => fn(n4, ...args));
  return true;
}
