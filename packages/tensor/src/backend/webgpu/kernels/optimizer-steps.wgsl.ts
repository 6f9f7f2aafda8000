import type { AdagradStepParams, AdamStepParams, RmspropStepParams, SgdStepParams, View } from '../../backend';
import { numel } from '../../../shape';
import { type KernelSource, memoKernel } from '../pipeline-cache';
import type { Runtime } from '../runtime';
import { bufferOf } from '../storage';
import { LINEAR_BUILTINS, linearGrid, linearIndex } from '../wgsl/grid';
import { params } from '../wgsl/params';
import { wgsl } from '../wgsl/tag';

/**
 * Fused optimizer steps (see `Backend.adamStep` and `Backend.sgdStep`): one invocation per
 * element updates the parameter and its state in place, in one pass over memory, with the CPU's
 * order of float32 operations. Hyper-parameters and bias corrections arrive as parameter words
 * (rounded to f32 on the host), so a step uploads no tensor data. Only the bindings differ
 * between variants (with or without AMSGrad's running maximum, with or without a momentum
 * buffer); everything else is a parameter.
 *
 * Adam params: n, flags (1 maximize, 2 L2 decay, 4 decoupled decay), the element offsets of
 * param, grad, m, v, v_max, then f32 λ, 1 − γλ, β₁, 1 − β₁, β₂, 1 − β₂, √(1 − β₂ᵗ), ε, −γ/(1 − β₁ᵗ).
 * SGD params: n, flags (1 maximize, 2 L2 decay, 4 first step, 8 Nesterov), the element offsets of
 * param, grad, b, then f32 λ, μ, 1 − τ, −γ.
 * RMSprop params: n, flags (1 maximize, 2 L2 decay), the element offsets of param, grad, v, gₐ, b,
 * then f32 λ, α, 1 − α, ε, μ, −γ. Adagrad params: n, flags (as RMSprop), the element offsets of
 * param, grad, s, then f32 λ, ε, −γ̃.
 */

const WG = 64;

/** NaN by the bits, not by a comparison a compiler may fold away. */
const IS_NAN = 'fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }';

/**
 * The kernel every step shares: bindings P (param), G (grad), then the state arrays named in
 * `state` (read_write), then the parameter words; per element it loads θ and g = ±grad (+ λθ,
 * λ = pf(`lambda`)) and runs `body`, which updates the state and writes P.
 */
function stepKernel(key: string, state: string[], lambda: number, body: string): KernelSource {
  const arrays = state.map((name, j) => `@group(0) @binding(${2 + j}) var<storage, read_write> ${name}: array<f32>;`).join('\n');
  return {
    key,
    workgroupSize: [WG, 1, 1],
    bindings: ['read_write', 'read', ...state.map(() => 'read_write' as const)],
    code: wgsl`
@group(0) @binding(0) var<storage, read_write> P: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
${arrays}
@group(0) @binding(${2 + state.length}) var<storage, read> p: array<u32>;
${IS_NAN}
fn pf(k: u32) -> f32 { return bitcast<f32>(p[k]); }

@compute @workgroup_size(${WG})
fn main(${LINEAR_BUILTINS}) {
  let i = ${linearIndex(WG)};
  if (i >= p[0]) { return; }
  let flags = p[1];
  var theta = P[p[2] + i];
  var g = G[p[3] + i];
  if ((flags & 1u) != 0u) { g = -g; }
  if ((flags & 2u) != 0u) { g = g + pf(${lambda}u) * theta; }
  ${body}
}`,
  };
}

export const adamStepKernel = memoKernel(function adamStepKernel(amsgrad: boolean): KernelSource {
  const ams = `let x = X[p[6] + i];
  vHat = select(v, x, x > v || isNan(x));
  X[p[6] + i] = vHat;`;
  return stepKernel(
    `adamStep:${amsgrad}`,
    amsgrad ? ['M', 'V', 'X'] : ['M', 'V'],
    7,
    `if ((flags & 4u) != 0u) { theta = theta * pf(8u); }
  let m = M[p[4] + i] * pf(9u) + pf(10u) * g;
  let v = V[p[5] + i] * pf(11u) + (pf(12u) * g) * g;
  M[p[4] + i] = m;
  V[p[5] + i] = v;
  var vHat = v;
  ${amsgrad ? ams : ''}
  let denom = sqrt(vHat) / pf(13u) + pf(14u);
  P[p[2] + i] = theta + pf(15u) * (m / denom);`,
  );
});

export const sgdStepKernel = memoKernel(function sgdStepKernel(momentum: boolean): KernelSource {
  const withMomentum = `var b = g;
  if ((flags & 4u) == 0u) { b = B[p[4] + i] * pf(6u) + pf(7u) * g; }
  B[p[4] + i] = b;
  if ((flags & 8u) != 0u) { g = g + pf(6u) * b; } else { g = b; }`;
  return stepKernel(
    `sgdStep:${momentum}`,
    momentum ? ['B'] : [],
    5,
    `${momentum ? withMomentum : ''}
  P[p[2] + i] = theta + pf(8u) * g;`,
  );
});

export const rmspropStepKernel = memoKernel(function rmspropStepKernel(centered: boolean, momentum: boolean): KernelSource {
  const state = ['V', ...(centered ? ['A'] : []), ...(momentum ? ['B'] : [])];
  const denominator = centered
    ? `let a = A[p[5] + i] * pf(8u) + pf(9u) * g;
  A[p[5] + i] = a;
  let d = sqrt(v - a * a) + pf(10u);`
    : 'let d = sqrt(v) + pf(10u);';
  const update = momentum
    ? `let b = B[p[6] + i] * pf(11u) + g / d;
  B[p[6] + i] = b;
  P[p[2] + i] = theta + pf(12u) * b;`
    : 'P[p[2] + i] = theta + pf(12u) * (g / d);';
  return stepKernel(
    `rmspropStep:${centered}:${momentum}`,
    state,
    7,
    `let v = V[p[4] + i] * pf(8u) + (pf(9u) * g) * g;
  V[p[4] + i] = v;
  ${denominator}
  ${update}`,
  );
});

export const adagradStepKernel = memoKernel(function adagradStepKernel(): KernelSource {
  return stepKernel(
    'adagradStep',
    ['S'],
    5,
    `let s = S[p[4] + i] + g * g;
  S[p[4] + i] = s;
  P[p[2] + i] = theta + pf(7u) * (g / (sqrt(s) + pf(6u)));`,
  );
});

/**
 * Dispatches a step kernel over contiguous views of one element count: param words n, `flags`,
 * the element offset of each view (0 for a missing optional one), then `scalars` as f32; the
 * views present are the bindings, in order.
 */
function dispatchStep(rt: Runtime, kernel: KernelSource, flags: number, views: (View | null)[], scalars: number[]): void {
  rt.checkAlive();
  const n = numel(views[0]!.shape);
  if (n === 0) return;
  const w = params().u32(n).u32(flags);
  for (const v of views) w.u32(v ? v.offset : 0);
  for (const x of scalars) w.f32(x);
  const buffers = views.filter((v): v is View => v !== null).map(bufferOf);
  rt.dispatch(kernel, buffers, w, linearGrid(n, WG));
}

/** 1 maximize, 2 L2 weight decay (λ ≠ 0): the flags every step kernel reads. */
const baseFlags = (maximize: boolean, l2: boolean) => (maximize ? 1 : 0) | (l2 ? 2 : 0);

/** One Adam/AdamW step on the device over contiguous views of one element count. */
export function adamStep(rt: Runtime, param: View, grad: View, expAvg: View, expAvgSq: View, maxExpAvgSq: View | null, p: AdamStepParams): void {
  const decay = p.weightDecay !== 0;
  const flags = baseFlags(p.maximize, !p.decoupled && decay) | (p.decoupled && decay ? 4 : 0);
  dispatchStep(
    rt,
    adamStepKernel(maxExpAvgSq !== null),
    flags,
    [param, grad, expAvg, expAvgSq, maxExpAvgSq],
    [p.weightDecay, p.decay, p.beta1, 1 - p.beta1, p.beta2, 1 - p.beta2, p.biasCorrection2Sqrt, p.eps, -p.stepSize],
  );
}

/** One SGD step on the device over contiguous views of one element count. */
export function sgdStep(rt: Runtime, param: View, grad: View, momentumBuffer: View | null, p: SgdStepParams): void {
  const flags = baseFlags(p.maximize, p.weightDecay !== 0) | (p.isFirstStep ? 4 : 0) | (p.nesterov ? 8 : 0);
  dispatchStep(rt, sgdStepKernel(momentumBuffer !== null), flags, [param, grad, momentumBuffer], [p.weightDecay, p.momentum, 1 - p.dampening, -p.lr]);
}

/** One RMSprop step on the device over contiguous views of one element count. */
export function rmspropStep(
  rt: Runtime,
  param: View,
  grad: View,
  squareAvg: View,
  gradAvg: View | null,
  momentumBuffer: View | null,
  p: RmspropStepParams,
): void {
  dispatchStep(
    rt,
    rmspropStepKernel(gradAvg !== null, momentumBuffer !== null),
    baseFlags(p.maximize, p.weightDecay !== 0),
    [param, grad, squareAvg, gradAvg, momentumBuffer],
    [p.weightDecay, p.alpha, 1 - p.alpha, p.eps, p.momentum, -p.lr],
  );
}

/** One Adagrad step on the device over contiguous views of one element count. */
export function adagradStep(rt: Runtime, param: View, grad: View, stateSum: View, p: AdagradStepParams): void {
  dispatchStep(rt, adagradStepKernel(), baseFlags(p.maximize, p.weightDecay !== 0), [param, grad, stateSum], [p.weightDecay, p.eps, -p.clr]);
}
