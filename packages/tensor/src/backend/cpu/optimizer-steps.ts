import type { AdagradStepParams, AdamStepParams, RmspropStepParams, SgdStepParams, View } from '../backend';
import { numel } from '../../shape';
import { dataOf } from './storage';
import { simdAdagradStep, simdAdamStep, simdRmspropStep, simdSgdStep } from './wasm/optimizer-steps';

// Fused optimizer steps on the CPU: one loop over the parameter's memory instead of a chain of
// elementwise ops with their temporaries. Every operation is rounded to float32 (Math.fround, which
// is exact emulation of IEEE single precision for + − × ÷ √), in PyTorch's order, so a step gives
// the bits of the composed float32 ops. All views are contiguous (the op checks). From a few
// hundred elements on, WebAssembly SIMD runs the same arithmetic (./wasm/optimizer-steps.ts).

const f = Math.fround;

/** One Adam/AdamW step in place (see `Backend.adamStep`). */
export function adamStep(param: View, grad: View, expAvg: View, expAvgSq: View, maxExpAvgSq: View | null, p: AdamStepParams): void {
  const P = dataOf(param) as Float32Array;
  const G = dataOf(grad) as Float32Array;
  const M = dataOf(expAvg) as Float32Array;
  const V = dataOf(expAvgSq) as Float32Array;
  const X = maxExpAvgSq ? (dataOf(maxExpAvgSq) as Float32Array) : null;
  const n = numel(param.shape);
  const po = param.offset;
  const go = grad.offset;
  const mo = expAvg.offset;
  const vo = expAvgSq.offset;
  const xo = maxExpAvgSq ? maxExpAvgSq.offset : 0;
  if (simdAdamStep([P, po], [G, go], [M, mo], [V, vo], X ? [X, xo] : null, n, p)) return;
  const sign = p.maximize ? -1 : 1;
  const l2 = !p.decoupled && p.weightDecay !== 0;
  const decoupled = p.decoupled && p.weightDecay !== 0;
  const wd = f(p.weightDecay);
  const decay = f(p.decay);
  const b1 = f(p.beta1);
  const c1 = f(1 - p.beta1);
  const b2 = f(p.beta2);
  const c2 = f(1 - p.beta2);
  const bc2 = f(p.biasCorrection2Sqrt);
  const eps = f(p.eps);
  const negStep = f(-p.stepSize);
  for (let i = 0; i < n; i++) {
    let theta = P[po + i];
    let g = sign * G[go + i];
    if (l2)
      g = f(g + f(wd * theta)); //                       g ← g + λθ
    else if (decoupled) theta = f(theta * decay); //          θ ← θ(1 − γλ)
    const m = f(f(M[mo + i] * b1) + f(c1 * g)); //            m ← β₁m + (1 − β₁)g
    const v = f(f(V[vo + i] * b2) + f(f(c2 * g) * g)); //     v ← β₂v + (1 − β₂)g·g  (addcmul's order)
    M[mo + i] = m;
    V[vo + i] = v;
    let vHat = v;
    if (X !== null) {
      const x = X[xo + i];
      vHat = x > v || Number.isNaN(x) ? x : v; //             v_max ← max(v_max, v), NaN propagating
      X[xo + i] = vHat;
    }
    const denom = f(f(f(Math.sqrt(vHat)) / bc2) + eps); //       √v/√(1 − β₂ᵗ) + ε
    P[po + i] = f(theta + f(negStep * f(m / denom))); //      θ ← θ − γ/(1 − β₁ᵗ)·m/denom
  }
}

/** One SGD step in place (see `Backend.sgdStep`). */
export function sgdStep(param: View, grad: View, momentumBuffer: View | null, p: SgdStepParams): void {
  const P = dataOf(param) as Float32Array;
  const G = dataOf(grad) as Float32Array;
  const B = momentumBuffer ? (dataOf(momentumBuffer) as Float32Array) : null;
  const n = numel(param.shape);
  const po = param.offset;
  const go = grad.offset;
  const bo = momentumBuffer ? momentumBuffer.offset : 0;
  if (simdSgdStep([P, po], [G, go], B ? [B, bo] : null, n, p)) return;
  const sign = p.maximize ? -1 : 1;
  const l2 = p.weightDecay !== 0;
  const wd = f(p.weightDecay);
  const mu = f(p.momentum);
  const c = f(1 - p.dampening);
  const negLr = f(-p.lr);
  const first = p.isFirstStep;
  const nesterov = p.nesterov;
  for (let i = 0; i < n; i++) {
    const theta = P[po + i];
    let g = sign * G[go + i];
    if (l2) g = f(g + f(wd * theta)); //                       g ← g + λθ
    if (B !== null) {
      const b = first ? g : f(f(B[bo + i] * mu) + f(c * g)); // b ← g | μb + (1 − τ)g
      B[bo + i] = b;
      g = nesterov ? f(g + f(mu * b)) : b; //                 g ← g + μb | b
    }
    P[po + i] = f(theta + f(negLr * g)); //                   θ ← θ − γg
  }
}

/** One RMSprop step in place (see `Backend.rmspropStep`). */
export function rmspropStep(param: View, grad: View, squareAvg: View, gradAvg: View | null, momentumBuffer: View | null, p: RmspropStepParams): void {
  const P = dataOf(param) as Float32Array;
  const G = dataOf(grad) as Float32Array;
  const V = dataOf(squareAvg) as Float32Array;
  const A = gradAvg ? (dataOf(gradAvg) as Float32Array) : null;
  const B = momentumBuffer ? (dataOf(momentumBuffer) as Float32Array) : null;
  const n = numel(param.shape);
  const [po, go, vo] = [param.offset, grad.offset, squareAvg.offset];
  const ao = gradAvg ? gradAvg.offset : 0;
  const bo = momentumBuffer ? momentumBuffer.offset : 0;
  if (simdRmspropStep([P, po], [G, go], [V, vo], A ? [A, ao] : null, B ? [B, bo] : null, n, p)) return;
  const sign = p.maximize ? -1 : 1;
  const l2 = p.weightDecay !== 0;
  const wd = f(p.weightDecay);
  const alpha = f(p.alpha);
  const c = f(1 - p.alpha);
  const eps = f(p.eps);
  const mu = f(p.momentum);
  const negLr = f(-p.lr);
  for (let i = 0; i < n; i++) {
    const theta = P[po + i];
    let g = sign * G[go + i];
    if (l2) g = f(g + f(wd * theta)); //                        g ← g + λθ
    const v = f(f(V[vo + i] * alpha) + f(f(c * g) * g)); //      v ← αv + (1 − α)g·g  (addcmul's order)
    V[vo + i] = v;
    let d: number;
    if (A !== null) {
      const a = f(f(A[ao + i] * alpha) + f(c * g)); //          gₐ ← αgₐ + (1 − α)g
      A[ao + i] = a;
      d = f(f(Math.sqrt(f(v - f(a * a)))) + eps); //            √(v − gₐ²) + ε
    } else {
      d = f(f(Math.sqrt(v)) + eps); //                          √v + ε
    }
    if (B !== null) {
      const b = f(f(B[bo + i] * mu) + f(g / d)); //             b ← μb + g/d
      B[bo + i] = b;
      P[po + i] = f(theta + f(negLr * b)); //                   θ ← θ − γb
    } else {
      P[po + i] = f(theta + f(negLr * f(g / d))); //            θ ← θ − γ·g/d
    }
  }
}

/** One Adagrad step in place (see `Backend.adagradStep`). */
export function adagradStep(param: View, grad: View, stateSum: View, p: AdagradStepParams): void {
  const P = dataOf(param) as Float32Array;
  const G = dataOf(grad) as Float32Array;
  const S = dataOf(stateSum) as Float32Array;
  const n = numel(param.shape);
  const [po, go, so] = [param.offset, grad.offset, stateSum.offset];
  if (simdAdagradStep([P, po], [G, go], [S, so], n, p)) return;
  const sign = p.maximize ? -1 : 1;
  const l2 = p.weightDecay !== 0;
  const wd = f(p.weightDecay);
  const eps = f(p.eps);
  const negClr = f(-p.clr);
  for (let i = 0; i < n; i++) {
    const theta = P[po + i];
    let g = sign * G[go + i];
    if (l2) g = f(g + f(wd * theta)); //                        g ← g + λθ
    const s = f(S[so + i] + f(g * g)); //                       s ← s + g·g
    S[so + i] = s;
    P[po + i] = f(theta + f(negClr * f(g / f(f(Math.sqrt(s)) + eps)))); // θ ← θ − γ̃·g/(√s + ε)
  }
}
