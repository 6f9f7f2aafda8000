// The strong-Wolfe line search of LBFGS (Nocedal & Wright, Algorithms 3.5 and 3.6, as in minFunc
// and torch.optim.lbfgs): scalar bookkeeping on the host, gradients stay tensors on the device.
import { keep, noGrad, scope, type Tensor } from '@aimodel/tensor';

/** f and ∇f at θ₀ + t·d (the parameters are restored afterwards); the gradient is kept, the caller owns it. */
export type DirectionalEvaluate = (t: number, d: Tensor) => Promise<{ loss: number; grad: Tensor }>;

/** Result of {@link strongWolfe}: the accepted step, its loss and gradient (owned by the caller), and evaluations made. */
export interface LineSearchResult {
  loss: number;
  grad: Tensor;
  t: number;
  evals: number;
}

/**
 * Minimiser of the cubic through (x₁, f₁, g₁) and (x₂, f₂, g₂), clamped to `bounds` (default the
 * interval between x₁ and x₂); the bounds' midpoint when the cubic has no real minimiser.
 */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square < 0) return (lo + hi) / 2;
  const d2 = Math.sqrt(d2Square);
  const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return Math.min(Math.max(minPos, lo), hi);
}

/** ⟨a, b⟩ read back as a number (one read). */
async function dot(a: Tensor, b: Tensor): Promise<number> {
  const r = noGrad(() => scope(() => a.mul(b).sum()));
  const v = (await r.data())[0];
  r.dispose();
  return v;
}

interface Point {
  t: number;
  f: number;
  g: Tensor;
  gtd: number;
}

/**
 * Find a step t along d from (f, g) satisfying the strong Wolfe conditions
 * f(t) ≤ f + c₁·t·gᵀd and |∇f(t)ᵀd| ≤ −c₂·gᵀd: bracket (extrapolating by cubic interpolation),
 * then zoom. `g` stays the caller's; every gradient not returned is disposed.
 */
export async function strongWolfe(
  evaluate: DirectionalEvaluate,
  t0: number,
  d: Tensor,
  f: number,
  g: Tensor,
  gtd: number,
  { c1 = 1e-4, c2 = 0.9, toleranceChange = 1e-9, maxLs = 25 } = {},
): Promise<LineSearchResult> {
  const dNormR = noGrad(() => scope(() => d.abs().max()));
  const dNorm = (await dNormR.data())[0];
  dNormR.dispose();
  const owned = new Set<Tensor>(); // gradients this search created (g is the caller's)
  const evalAt = async (t: number): Promise<Point> => {
    const r = await evaluate(t, d);
    owned.add(r.grad);
    return { t, f: r.loss, g: r.grad, gtd: await dot(r.grad, d) };
  };
  let t = t0;
  let next = await evalAt(t);
  let evals = 1;
  let prev: Point = { t: 0, f, g, gtd };
  let bracket: Point[] | null = null;
  let done = false;
  let lsIter = 0;
  // Bracketing phase.
  while (lsIter < maxLs) {
    if (next.f > f + c1 * t * gtd || (lsIter > 1 && next.f >= prev.f)) {
      bracket = [prev, next];
      break;
    }
    if (Math.abs(next.gtd) <= -c2 * gtd) {
      bracket = [next];
      done = true;
      break;
    }
    if (next.gtd >= 0) {
      bracket = [prev, next];
      break;
    }
    const minStep = t + 0.01 * (t - prev.t);
    const maxStep = t * 10;
    t = cubicInterpolate(prev.t, prev.f, prev.gtd, t, next.f, next.gtd, [minStep, maxStep]);
    prev = next;
    next = await evalAt(t);
    evals++;
    lsIter++;
  }
  if (lsIter === maxLs) bracket = [{ t: 0, f, g, gtd }, next];
  const br = bracket as Point[];
  // Zoom phase: shrink the bracket until a point satisfies the conditions.
  let insufProgress = false;
  let [low, high] = br.length > 1 && br[0].f > br[1].f ? [1, 0] : [0, 1];
  while (!done && lsIter < maxLs && br.length > 1) {
    if (Math.abs(br[1].t - br[0].t) * dNorm < toleranceChange) break;
    t = cubicInterpolate(br[0].t, br[0].f, br[0].gtd, br[1].t, br[1].f, br[1].gtd);
    const bMax = Math.max(br[0].t, br[1].t);
    const bMin = Math.min(br[0].t, br[1].t);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      // Too close to an end of the bracket: move 10% of its length inside.
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    const p = await evalAt(t);
    evals++;
    lsIter++;
    if (p.f > f + c1 * t * gtd || p.f >= br[low].f) {
      br[high] = p; // Armijo fails or no lower than the low end: new high end
      [low, high] = br[0].f <= br[1].f ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(p.gtd) <= -c2 * gtd) done = true;
      else if (p.gtd * (br[high].t - br[low].t) >= 0) br[high] = br[low]; // the old high end becomes the low one
      br[low] = p;
    }
  }
  const best = br.length > 1 ? br[low] : br[0];
  // Return a gradient the caller owns, freeing every other one this search made.
  const grad = owned.has(best.g) ? best.g : keep(noGrad(() => scope(() => best.g.clone())));
  for (const x of owned) if (x !== grad) x.dispose();
  return { loss: best.f, grad, t: best.t, evals };
}
