import type { BinaryOp, Storage, UnaryOp, View } from '../../backend';
import type { DType } from '../../../dtype';
import { numel, type Shape } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf, constantWord } from '../storage';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { type ParamWriter, params } from '../wgsl/params';
import { stridedIndexWgsl, stridedWords, writeStrided } from '../wgsl/strided';
import { wgsl } from '../wgsl/tag';
import { helpersFor } from './elementwise-math';
import { isPacked, loadFn } from '../wgsl/dtype';

/**
 * Unary, binary and `where` kernels, generated at run time from one expression table per family
 * (STYLE guideline 7). One invocation computes one output element (workgroups of {@link WG},
 * laid out by `linearGrid` so any size fits). Every operand is read through one of three index
 * forms, chosen per dispatch and baked into the code (hence into the key):
 *
 * - `d` dense: contiguous and unbroadcast, element i at `offset + i` (no per-element index math);
 * - `s` scalar: every element broadcast from one, at `offset` (e.g. `x.mul(2)`);
 * - `c` constant: a scalar constant (`Backend.constant`, e.g. the 2 of `x.mul(2)`), no buffer:
 *   its word is read from the params, so a JS number costs no host→device write;
 * - `r<rank>` strided: when any operand is none of these, all go through the generated strided
 *   index (`wgsl/strided.ts`), which handles transposes, slices and stride-0 broadcast dims;
 *   constants then read their words after the strided layout (`r<rank>:<c or - per operand>`).
 *
 * Dtypes follow the CPU backend, which computes in doubles and stores into typed arrays: float
 * outputs compute in f32; integer outputs (int32/int8/uint8, and bool from maximum/minimum) in
 * wrapping i32, then wrap to 8 bits as an Int8Array/Uint8Array store would; comparisons compute
 * in f32 when either input is float32, else in i32, and store 0/1.
 *
 * int8/uint8 operands are read through `loadFn` (their bytes, sign- or zero-extended); an
 * int8/uint8 output is written a word at a time: one invocation computes the four elements of a
 * word (the `w` kernels), since invocations writing bytes of one word would race.
 */

/** Invocations per workgroup. */
const WG = 64;

/**
 * Elements per invocation when no operand is strided: fewer invocations to launch and index. A
 * workgroup covers WG·PER consecutive elements, invocation `lane` taking lane, lane + WG, …, so
 * each loop step reads and writes one contiguous run of WG words (coalesced).
 */
const PER = 4;

/** The type an expression computes in. */
export type ComputeType = 'f32' | 'i32';

/** WGSL for each unary op over a value `x` of compute type `t` (i32 only for the ops that keep integers). */
export const WGSL_UNARY = {
  neg: (x) => `(-${x})`,
  abs: (x) => `abs(${x})`,
  sign: (x, t) => (t === 'f32' ? `ew_sign(${x})` : `sign(${x})`),
  exp: (x) => `ew_exp(${x})`,
  log: (x) => `ew_log(${x})`,
  sqrt: (x) => `sqrt(${x})`,
  rsqrt: (x) => `(1.0 / sqrt(${x}))`, // inverseSqrt's result at 0 is not specified; 1/sqrt(0) = ∞
  relu: (x, t) => (t === 'f32' ? `ew_relu(${x})` : `max(${x}, 0)`),
  sigmoid: (x) => `ew_sigmoid(${x})`,
  tanh: (x) => `ew_tanh(${x})`,
  sin: (x) => `ew_sincos(${x}).x`,
  cos: (x) => `ew_sincos(${x}).y`,
  erf: (x) => `ew_erf(${x})`,
  gelu: (x) => `ew_gelu(${x})`,
  geluTanh: (x) => `ew_gelu_tanh(${x})`,
  floor: (x, t) => (t === 'f32' ? `floor(${x})` : x),
  ceil: (x, t) => (t === 'f32' ? `ceil(${x})` : x),
  round: (x, t) => (t === 'f32' ? `round(${x})` : x), // WGSL rounds ties to even, as torch.round
  trunc: (x, t) => (t === 'f32' ? `ew_trunc(${x})` : x),
  log1p: (x) => `ew_log1p(${x})`,
  expm1: (x) => `ew_expm1(${x})`,
  log2: (x) => `ew_log2(${x})`,
  exp2: (x) => `ew_exp2(${x})`,
  asin: (x) => `ew_asin(${x})`,
  acos: (x) => `ew_acos(${x})`,
  atan: (x) => `ew_atan(${x})`,
  sinh: (x) => `ew_sinh(${x})`,
  cosh: (x) => `ew_cosh(${x})`,
} satisfies Record<UnaryOp, (x: string, t: ComputeType) => string>;

/** WGSL for each binary op over values `a`, `b` of compute type `t`; comparisons give 0/1 of type `t`. */
export const WGSL_BINARY = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  pow: (a, b, t) => (t === 'f32' ? `ew_powf(${a}, ${b})` : `ew_powi(${a}, ${b})`),
  maximum: (a, b, t) => (t === 'f32' ? `ew_max(${a}, ${b})` : `max(${a}, ${b})`),
  minimum: (a, b, t) => (t === 'f32' ? `ew_min(${a}, ${b})` : `min(${a}, ${b})`),
  eq: (a, b, t) => `${t}(${compare(a, '==', b, t)})`,
  ne: (a, b, t) => `${t}(!${compare(a, '==', b, t)})`, // true for NaN
  lt: (a, b, t) => `${t}(${compare(a, '<', b, t)})`,
  le: (a, b, t) => `${t}(${compare(a, '<=', b, t)})`,
  gt: (a, b, t) => `${t}(${compare(a, '>', b, t)})`,
  ge: (a, b, t) => `${t}(${compare(a, '>=', b, t)})`,
  atan2: (a, b) => `ew_atan2(${a}, ${b})`,
  fmod: (a, b, t) => (t === 'f32' ? `ew_fmod(${a}, ${b})` : `ew_fmodi(${a}, ${b})`),
  remainder: (a, b, t) => (t === 'f32' ? `ew_remf(${a}, ${b})` : `ew_remi(${a}, ${b})`),
  reluGrad: (a, b, t) => `select(${a} * ${t}(0), ${a}, ${compare(b, '>', `${t}(0)`, t)})`,
} satisfies Record<BinaryOp, (a: string, b: string, t: ComputeType) => string>;

/** `(a op b)` as a WGSL bool; float comparisons are false with a NaN operand, whatever the compiler assumes. */
function compare(a: string, op: string, b: string, t: ComputeType): string {
  return t === 'i32' ? `(${a} ${op} ${b})` : `(ew_ordered(${a}, ${b}) && ${a} ${op} ${b})`;
}

const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/** How an operand's word is read: converted to a compute type, or the raw u32 (where's condition). */
type LoadAs = ComputeType | 'raw';

/** WGSL reading the stored word `w` of `dtype` as `as`. */
function load(w: string, dtype: DType, as: LoadAs): string {
  if (as === 'raw') return w;
  if (dtype === 'float32') return as === 'f32' ? `bitcast<f32>(${w})` : `i32(bitcast<f32>(${w}))`;
  return as === 'f32' ? `f32(bitcast<i32>(${w}))` : `bitcast<i32>(${w})`; // int8 words are sign-extended
}

/** WGSL turning `v` (of type `t`) into the stored word of `out`, as a typed-array store would. */
function store(v: string, t: ComputeType, out: DType): string {
  if (out === 'float32') return t === 'f32' ? `bitcast<u32>(${v})` : `bitcast<u32>(f32(${v}))`;
  // NaN is true, as on the CPU; tested on bits because a compiler may assume no NaNs.
  if (out === 'bool') return t === 'f32' ? `select(0u, 1u, (bitcast<u32>(${v}) & 0x7fffffffu) != 0u)` : `select(0u, 1u, ${v} != 0)`;
  const i = t === 'f32' ? `i32(${v})` : v;
  if (out === 'int8') return `bitcast<u32>((${i} << 24u) >> 24u)`;
  if (out === 'uint8') return `(bitcast<u32>(${i}) & 255u)`;
  return `bitcast<u32>(${i})`;
}

/** `d` (contiguous from its offset), `s` (one element broadcast everywhere), `c` (constant) or null (strided). */
function modeOf(v: View): 'd' | 's' | 'c' | null {
  if (constantWord(v) !== undefined) return 'c';
  let dense = true;
  let scalar = true;
  let step = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    if (v.shape[d] === 1) continue;
    if (v.strides[d] !== 0) scalar = false;
    if (v.strides[d] !== step) dense = false;
    step *= v.shape[d];
  }
  return dense ? 'd' : scalar ? 's' : null;
}

/** The index form of the operands (see the module comment) and the params words it reads. */
function layoutOf(shape: Shape, views: readonly View[], n: number): { layout: string; p: ParamWriter } {
  const modes = views.map(modeOf);
  const p = params().u32(n);
  if (modes.every((m) => m !== null)) {
    for (const v of views) p.u32(constantWord(v) ?? v.offset);
    return { layout: modes.join(''), p };
  }
  const rank = writeStrided(
    p,
    shape,
    views.filter((_, j) => modes[j] !== 'c'),
  );
  if (!modes.includes('c')) return { layout: `r${rank}`, p };
  for (const v of views) if (constantWord(v) !== undefined) p.u32(constantWord(v) as number);
  return { layout: `r${rank}:${modes.map((m) => (m === 'c' ? 'c' : '-')).join('')}`, p };
}

/** What an elementwise kernel computes, apart from its operands' layout. */
interface ElementwiseSpec {
  /** Op family and name, e.g. `binary:add`. */
  readonly name: string;
  readonly inputs: readonly DType[];
  readonly loads: readonly LoadAs[];
  readonly out: DType;
  /** Type `expr` computes in. */
  readonly compute: ComputeType;
  /** The output value from the loaded operands `v0, v1, …`. */
  readonly expr: string;
}

/**
 * The kernel for `spec` with operand layout `layout` (`d`/`s`/`c` per operand, or `r<rank>` with
 * `:<c or - per operand>` when some are constants). Bindings: the inputs that are not constants
 * (read), output (read_write), params: n, then offsets (a constant's word in its place) or the
 * strided layout of the bound inputs followed by the constants' words.
 */
export const elementwiseKernel = memoKernel(function elementwiseKernel(spec: ElementwiseSpec, layout: string): KernelSource {
  const strided = layout.startsWith('r');
  const rank = Number.parseInt(layout.slice(1), 10);
  // constants have no binding: the others bind in order, and a constant's word is a params word
  const consts = strided ? (layout.split(':')[1] ?? '') : layout;
  const bound = spec.inputs.map((_, j) => j).filter((j) => consts[j] !== 'c');
  const k = bound.length;
  const word = (j: number) => {
    if (!strided) return `p[${1 + j}u]`;
    const nth = spec.inputs.filter((_, i) => i < j && consts[i] === 'c').length;
    return `p[${1 + stridedWords(rank, k) + nth}u]`;
  };
  const index = (b: number, j: number) => (strided ? `stridedOffset(i, ${b}u)` : layout[j] === 'd' ? `p[${1 + j}u] + i` : `p[${1 + j}u]`);
  const decls = bound.map((j, b) => `@group(0) @binding(${b}) var<storage, read> in${j}: array<u32>;\n${loadFn(`load${j}`, `in${j}`, spec.inputs[j])}`);
  const loads = spec.inputs.map((dt, j) => {
    const b = bound.indexOf(j);
    return `  let v${j} = ${load(b < 0 ? word(j) : `load${j}(${index(b, j)})`, dt, spec.loads[j])};`;
  });
  const element = `${loads.join('\n')}
  let r = ${spec.expr};
  y[i] = ${store('r', spec.compute, spec.out)};`;
  if (layout.endsWith('/4')) return vec4Kernel(spec, layout, word);
  const bytes = isPacked(spec.out);
  return {
    key: `ew:${spec.name}:${spec.inputs.join(',')}>${spec.out}:${layout}:${WG}${bytes ? 'w' : strided ? '' : `x${PER}`}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
${decls.join('\n')}
@group(0) @binding(${k}) var<storage, read_write> y: array<u32>;
@group(0) @binding(${k + 1}) var<storage, read> p: array<u32>;
${helpersFor(spec.expr)}
${strided ? stridedIndexWgsl(rank, 1) : ''}
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
${
  bytes
    ? `  let t = ${linearIndex(WG)};
  if (t >= (p[0] + 3u) / 4u) { return; }
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let i = t * 4u + k;
    if (i >= p[0]) { break; }
${loads.join('\n')}
    let r = ${spec.expr};
    word |= (${store('r', spec.compute, spec.out)} & 255u) << (k * 8u);
  }
  y[t] = word;`
    : strided
      ? `  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
${element}`
      : `  let g = ${linearIndex(WG)};
  let first = (g / ${WG}u) * ${WG * PER}u + g % ${WG}u;
  for (var e = 0u; e < ${PER}u; e++) {
    let i = first + e * ${WG}u;
    if (i >= p[0]) { return; }
${element}
  }`
}
}`,
  };
});

/**
 * The `/4` variant of a layout without strided operands, for n and every dense operand's offset
 * multiples of 4: dense operands and the output bind as `array<vec4<u32>>`, so each invocation
 * reads and writes 16-byte words (one vector load per operand instead of four scalar ones, which
 * lavapipe turns into gathers); the expression runs on each of the four lanes.
 */
function vec4Kernel(spec: ElementwiseSpec, layout: string, word: (j: number) => string): KernelSource {
  const bound = spec.inputs.map((_, j) => j).filter((j) => layout[j] !== 'c');
  const k = bound.length;
  const decls = bound.map((j, b) => `@group(0) @binding(${b}) var<storage, read> in${j}: array<${layout[j] === 'd' ? 'vec4<u32>' : 'u32'}>;`);
  const wide = bound.filter((j) => layout[j] === 'd').map((j) => `    let w${j} = in${j}[p[${1 + j}u] / 4u + i];`);
  const lane = (c: string) => {
    const loads = spec.inputs.map((dt, j) => {
      const w = layout[j] === 'd' ? `w${j}.${c}` : layout[j] === 's' ? `in${j}[p[${1 + j}u]]` : word(j);
      return `let v${j} = ${load(w, dt, spec.loads[j])};`;
    });
    return `    { ${loads.join(' ')} let r = ${spec.expr}; o.${c} = ${store('r', spec.compute, spec.out)}; }`;
  };
  return {
    key: `ew:${spec.name}:${spec.inputs.join(',')}>${spec.out}:${layout}:${WG}x${PER}`,
    workgroupSize: [WG, 1, 1],
    code: wgsl`
${decls.join('\n')}
@group(0) @binding(${k}) var<storage, read_write> y: array<vec4<u32>>;
@group(0) @binding(${k + 1}) var<storage, read> p: array<u32>;
${helpersFor(spec.expr)}
@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let g = ${linearIndex(WG)};
  let first = (g / ${WG}u) * ${WG * PER}u + g % ${WG}u;
  for (var e = 0u; e < ${PER}u; e++) {
    let i = first + e * ${WG}u;
    if (i >= p[0] / 4u) { return; }
${wide.join('\n')}
    var o: vec4<u32>;
${['x', 'y', 'z', 'w'].map(lane).join('\n')}
    y[i] = o;
  }
}`,
  };
}

/** Dispatch `spec` over `views` (all of the output's shape) into the contiguous `out`. */
function run(rt: Runtime, spec: ElementwiseSpec, views: readonly View[], out: Storage): void {
  rt.checkAlive();
  const shape = views[0].shape;
  const n = numel(shape);
  if (n === 0) return;
  const base = layoutOf(shape, views, n);
  const p = base.p;
  // packed operands and outputs go element by element (a packed output a word per invocation)
  const packed = isPacked(out.dtype) || views.some((v) => constantWord(v) === undefined && isPacked(v.storage.dtype));
  const vec4 = !packed && !base.layout.startsWith('r') && n % 4 === 0 && views.every((v, j) => base.layout[j] !== 'd' || v.offset % 4 === 0);
  const layout = vec4 ? `${base.layout}/4` : base.layout;
  const buffers = views.filter((v) => constantWord(v) === undefined).map((v) => bufferOf(v));
  const invocations = isPacked(out.dtype) ? Math.ceil(n / 4) : layout.startsWith('r') ? n : Math.ceil(n / (vec4 ? 4 * PER : PER));
  rt.dispatch(elementwiseKernel(spec, layout), [...buffers, bufferOf(out)], p, linearGrid(invocations, WG));
}

const computeFor = (out: DType): ComputeType => (out === 'float32' ? 'f32' : 'i32');

/** out = op(x), elementwise; `x` may be strided or broadcast. */
export function unary(rt: Runtime, op: UnaryOp, x: View, out: Storage): void {
  const t = computeFor(out.dtype);
  const spec = { name: `unary:${op}`, inputs: [x.storage.dtype], loads: [t], out: out.dtype, compute: t, expr: WGSL_UNARY[op]('v0', t) };
  run(rt, spec, [x], out);
}

/** out = op(a, b), elementwise over views already broadcast to the output shape. */
export function binary(rt: Runtime, op: BinaryOp, a: View, b: View, out: Storage): void {
  const inputs = [a.storage.dtype, b.storage.dtype];
  const t = COMPARISONS.has(op) ? computeFor(inputs.includes('float32') ? 'float32' : 'int32') : computeFor(out.dtype);
  const spec = { name: `binary:${op}`, inputs, loads: [t, t], out: out.dtype, compute: t, expr: WGSL_BINARY[op]('v0', 'v1', t) };
  run(rt, spec, [a, b], out);
}

/** out = cond ? a : b, elementwise over views already broadcast to the output shape. */
export function where(rt: Runtime, cond: View, a: View, b: View, out: Storage): void {
  const t = computeFor(out.dtype);
  const inputs = [cond.storage.dtype, a.storage.dtype, b.storage.dtype];
  const spec = { name: 'where', inputs, loads: ['raw', t, t] as const, out: out.dtype, compute: t, expr: 'select(v2, v1, v0 != 0u)' };
  run(rt, spec, [cond, a, b], out);
}
