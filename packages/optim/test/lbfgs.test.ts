import { describe, expect, it } from 'vitest';
import { ArgumentError, type DeviceName, memory, scope, type Tensor, tensor } from '@aimodel/tensor';
import { LBFGS, type LBFGSOptions, SGD } from '../src/index';
import { cubicInterpolate, strongWolfe } from '../src/lbfgs-line-search';
import { hasWebGpu } from '../../nn/test/webgpu-available';
import { A, C, expectClose, quadraticGrad, quadraticLoss, THETA0 } from './helpers';

const WEBGPU = await hasWebGpu();

/**
 * A float64 transcription of torch.optim.LBFGS.step without a line search (PyTorch's
 * torch/optim/lbfgs.py, after minFunc): two-loop recursion over the stored pairs, first step
 * min(1, 1/‖g‖₁)·lr, then lr. State persists across calls as in PyTorch.
 */
function lbfgsReference(f: (x: number[]) => number, grad: (x: number[]) => number[], o: { lr: number; maxIter: number; historySize: number }) {
  const { lr, maxIter, historySize } = o;
  const maxEval = Math.floor((maxIter * 5) / 4);
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
  const st = {
    nIter: 0,
    d: [] as number[],
    t: 0,
    dirs: [] as number[][],
    stps: [] as number[][],
    ro: [] as number[],
    h: 1,
    prevG: [] as number[],
    prevLoss: 0,
  };
  return (x: number[]): number => {
    const orig = f(x);
    let loss = orig;
    let g = grad(x);
    let evals = 1;
    if (Math.max(...g.map(Math.abs)) <= 1e-7) return orig;
    for (let n = 1; n <= maxIter; n++) {
      st.nIter++;
      if (st.nIter === 1) {
        st.d = g.map((v) => -v);
        st.dirs = [];
        st.stps = [];
        st.ro = [];
        st.h = 1;
      } else {
        const y = g.map((v, i) => v - st.prevG[i]);
        const s = st.d.map((v) => v * st.t);
        const ys = dot(y, s);
        if (ys > 1e-10) {
          if (st.dirs.length === historySize) {
            st.dirs.shift();
            st.stps.shift();
            st.ro.shift();
          }
          st.dirs.push(y);
          st.stps.push(s);
          st.ro.push(1 / ys);
          st.h = ys / dot(y, y);
        }
        const al: number[] = [];
        const q = g.map((v) => -v);
        for (let i = st.dirs.length - 1; i >= 0; i--) {
          al[i] = dot(st.stps[i], q) * st.ro[i];
          for (let k = 0; k < q.length; k++) q[k] -= al[i] * st.dirs[i][k];
        }
        const r = q.map((v) => v * st.h);
        for (let i = 0; i < st.dirs.length; i++) {
          const be = dot(st.dirs[i], r) * st.ro[i];
          for (let k = 0; k < r.length; k++) r[k] += (al[i] - be) * st.stps[i][k];
        }
        st.d = r;
      }
      st.prevG = [...g];
      st.prevLoss = loss;
      st.t = st.nIter === 1 ? Math.min(1, 1 / g.reduce((s, v) => s + Math.abs(v), 0)) * lr : lr;
      const gtd = dot(g, st.d);
      if (gtd > -1e-9) break;
      for (let k = 0; k < x.length; k++) x[k] += st.t * st.d[k];
      let optCond = false;
      if (n !== maxIter) {
        loss = f(x);
        g = grad(x);
        evals++;
        optCond = Math.max(...g.map(Math.abs)) <= 1e-7;
      }
      if (n === maxIter || evals >= maxEval || optCond) break;
      if (Math.max(...st.d.map((v) => Math.abs(v * st.t))) <= 1e-9) break;
      if (Math.abs(loss - st.prevLoss) < 1e-9) break;
    }
    return orig;
  };
}

const quadraticF = (x: number[]) => x.reduce((s, v, i) => s + 0.5 * A[i] * (v - C[i]) ** 2, 0);

/** f(x, y) = (1 − x)² + 100(y − x²)² as a tensor of the two-element parameter. */
function rosenbrock(xy: Tensor): Tensor {
  const x = xy.narrow(0, 0, 1);
  const y = xy.narrow(0, 1, 1);
  return x
    .neg()
    .add(1)
    .pow(2)
    .add(y.sub(x.pow(2)).pow(2).mul(100))
    .sum();
}

/** A closure in the usual form: zero the gradient, evaluate, backward, return the loss (in a scope). */
function closureFor(p: Tensor, opt: LBFGS, loss: (p: Tensor) => Tensor): () => Tensor {
  return () =>
    scope(() => {
      opt.zeroGrad();
      const l = loss(p);
      l.backward();
      return l;
    });
}

describe('LBFGS without a line search follows PyTorch’s algorithm', () => {
  for (const o of [
    { lr: 1, maxIter: 4, historySize: 100 },
    { lr: 0.5, maxIter: 3, historySize: 2 },
  ]) {
    it(`${JSON.stringify(o)}: three step() calls, each against the float64 reference`, async () => {
      const before = memory().tensors;
      const p = tensor(THETA0, { requiresGrad: true });
      const opt = new LBFGS([p], o);
      const x = Array.from(await p.data());
      const ref = lbfgsReference(quadraticF, (v) => quadraticGrad(v), o);
      for (let k = 0; k < 3; k++) {
        const expectedLoss = ref(x);
        const got = await opt.step(closureFor(p, opt, quadraticLoss));
        expect(got).toBeCloseTo(expectedLoss, 5);
        expectClose(await p.data(), x, { rtol: 1e-5, atol: 1e-5, what: `step ${k + 1}:` });
      }
      expect(opt.state.get(p)?.nIter).toBeGreaterThan(3);
      opt.zeroGrad();
      for (const v of Object.values(opt.state.get(p) ?? {})) {
        if (Array.isArray(v)) for (const t of v) if (typeof t === 'object') t.dispose();
        if (typeof v === 'object' && !Array.isArray(v)) (v as Tensor).dispose();
      }
      p.dispose();
      expect(memory().tensors).toBe(before);
    });
  }
});

/** Minimise Rosenbrock from (−1.5, 2) on `device`; the final point, losses and evaluations. */
async function minimiseRosenbrock(device: DeviceName, options: LBFGSOptions, steps: number) {
  const p = tensor([-1.5, 2], { requiresGrad: true, device });
  const opt = new LBFGS([p], options);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(await opt.step(closureFor(p, opt, rosenbrock)));
  const xy = Array.from(await p.data());
  const s = opt.state.get(p);
  const evals = s?.funcEvals;
  opt.zeroGrad();
  for (const v of Object.values(s ?? {})) {
    if (Array.isArray(v)) for (const t of v) if (typeof t === 'object') t.dispose();
    if (typeof v === 'object' && !Array.isArray(v)) (v as Tensor).dispose();
  }
  p.dispose();
  return { xy, losses, evals };
}

describe('LBFGS minimises the Rosenbrock function to its minimum (1, 1)', () => {
  it("with lineSearchFn: 'strong_wolfe' (f(−1.5, 2) = 12.5 → 0)", async () => {
    const before = memory().tensors;
    const { xy, losses, evals } = await minimiseRosenbrock('cpu', { lineSearchFn: 'strong_wolfe' }, 5);
    expect(losses[0]).toBeCloseTo(12.5, 5); // (1 + 1.5)² + 100(2 − 2.25)² = 6.25 + 6.25
    expectClose(xy, [1, 1], { rtol: 0, atol: 1e-3, what: 'minimum' });
    expect(losses.at(-1)).toBeLessThan(1e-6);
    expect(evals).toBeGreaterThan(5);
    expect(memory().tensors).toBe(before);
  });

  it('without a line search: one step() of 20 iterations solves the 3-d quadratic (minimum at C)', async () => {
    const p = tensor(THETA0, { requiresGrad: true });
    const opt = new LBFGS([p]);
    await opt.step(closureFor(p, opt, quadraticLoss));
    expectClose(await p.data(), C, { rtol: 0, atol: 1e-5, what: 'argmin' });
  });

  it.skipIf(!WEBGPU)('on WebGPU, the same minimum and the CPU’s first losses', async () => {
    const before = memory().devices.webgpu;
    const gpu = await minimiseRosenbrock('webgpu', { lineSearchFn: 'strong_wolfe' }, 5);
    const cpu = await minimiseRosenbrock('cpu', { lineSearchFn: 'strong_wolfe' }, 5);
    expectClose(gpu.xy, [1, 1], { rtol: 0, atol: 1e-3, what: 'webgpu minimum' });
    expectClose(gpu.losses.slice(0, 2), cpu.losses.slice(0, 2), { rtol: 1e-4, atol: 1e-6, what: 'losses' });
    expect(memory().devices.webgpu).toEqual(before);
  });
});

describe('LBFGS checks and details', () => {
  it('stops at once when the gradient is already below toleranceGrad, returning the loss', async () => {
    const p = tensor([1, 1], { requiresGrad: true });
    const opt = new LBFGS([p]);
    expect(await opt.step(closureFor(p, opt, rosenbrock))).toBe(0);
    expect(opt.state.get(p)).toMatchObject({ funcEvals: 1, nIter: 0 });
    expect(Array.from(await p.data())).toEqual([1, 1]);
  });

  it('an async closure returning a number works', async () => {
    const p = tensor([3, -2], { requiresGrad: true });
    const opt = new LBFGS([p], { lineSearchFn: 'strong_wolfe' });
    const loss = await opt.step(async () => {
      opt.zeroGrad();
      const l = p.pow(2).sum();
      l.backward();
      const v = await l.item();
      l.dispose();
      return v;
    });
    expect(loss).toBe(13);
    expectClose(await p.data(), [0, 0], { rtol: 0, atol: 1e-5, what: 'minimum of ‖p‖²' });
  });

  it('cubicInterpolate: the minimiser of the interpolating cubic, clamped; midpoint without a real one', () => {
    // f = (x − 1)², sampled at 0 and 3: the cubic is the parabola itself, minimum at 1.
    expect(cubicInterpolate(0, 1, -2, 3, 4, 4)).toBeCloseTo(1, 12);
    expect(cubicInterpolate(3, 4, 4, 0, 1, -2)).toBeCloseTo(1, 12);
    expect(cubicInterpolate(0, 1, -2, 3, 4, 4, [2, 5])).toBe(2);
    expect(cubicInterpolate(0, 0, 4, 1, 3, 4, [0, 4])).toBe(2); // d₁ = 8 − 9 = −1, d₂² = 1 − 16 < 0: midpoint
  });

  it('strongWolfe on f(x) = (x − 3)² from 0 along d = 1: accepts t = 1, or zooms from t = 10 to the exact minimiser 3', async () => {
    const before = memory().tensors;
    const d = tensor([1]);
    const evaluate = async (t: number) => ({ loss: (t - 3) ** 2, grad: tensor([2 * (t - 3)]) });
    const g0 = tensor([-6]);
    // t = 1: f = 4 ≤ 9 − 1e-4·6 and |f'| = 4 ≤ 0.9·6: both conditions hold at once
    const a = await strongWolfe(evaluate, 1, d, 9, g0, -6);
    expect([a.t, a.loss, a.evals]).toEqual([1, 4, 1]);
    expect(Array.from(await a.grad.data())).toEqual([-4]);
    // t = 10: f = 49 > 9 brackets [0, 10]; the cubic through (0, 9, −6), (10, 49, 14) has its minimum at 3
    const b = await strongWolfe(evaluate, 10, d, 9, g0, -6);
    expect(b.t).toBeCloseTo(3, 12);
    expect(b.loss).toBeCloseTo(0, 12);
    expect(b.evals).toBe(2);
    for (const x of [a.grad, b.grad, g0, d]) x.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('refuses parameter groups, a missing closure, unknown options and bad values', () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1], { requiresGrad: true });
    expect(() => new LBFGS([{ params: [a] }, { params: [b] }])).toThrow(/LBFGS: LBFGS doesn't support per-parameter options/);
    const opt = new LBFGS([a]);
    expect(() => (opt as unknown as { step(): void }).step()).toThrow(/LBFGS: step\(\) requires a closure/);
    expect(() => new LBFGS([a], { line_search_fn: 'strong_wolfe' } as LBFGSOptions)).toThrow(/did you mean 'lineSearchFn'/);
    expect(() => new LBFGS([a], { lineSearchFn: 'armijo' as 'strong_wolfe' })).toThrow(/LBFGS: invalid lineSearchFn 'armijo'/);
    expect(() => new LBFGS([a], { historySize: 0 })).toThrow(ArgumentError);
    expect(new LBFGS([a], { maxIter: 8 }).defaults).toEqual({
      lr: 1,
      maxIter: 8,
      maxEval: 10,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
    });
  });

  it('a closure returning a non-scalar tensor is an ArgumentError', async () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new LBFGS([p]);
    await expect(opt.step(() => p.mul(2))).rejects.toThrow(/LBFGS: the closure must return the loss as a number or a one-element tensor, got shape \[2\]/);
  });

  it('state dict round trip continues identically (history included)', async () => {
    const run = async (reload: boolean) => {
      const p = tensor(THETA0, { requiresGrad: true });
      let opt = new LBFGS([p], { maxIter: 2 });
      await opt.step(closureFor(p, opt, quadraticLoss));
      if (reload) {
        const fresh = new LBFGS([p], { maxIter: 2 });
        fresh.loadStateDict(opt.stateDict());
        expect(fresh.state.get(p)?.oldDirs?.length).toBe(opt.state.get(p)?.oldDirs?.length);
        opt = fresh;
      }
      await opt.step(closureFor(p, opt, quadraticLoss));
      return Array.from(await p.data());
    };
    expect(await run(true)).toEqual(await run(false));
    expect(new SGD([tensor([1], { requiresGrad: true })], { lr: 1 })).toBeDefined();
  });
});
