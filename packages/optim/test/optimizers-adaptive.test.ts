import { describe, expect, it } from 'vitest';
import { ArgumentError, memory, scope, type Tensor, tensor } from '@aimodel/tensor';
import { Adadelta, type AdadeltaOptions, Adamax, type AdamaxOptions, NAdam, type NAdamOptions, type Optimizer, RAdam, type RAdamOptions } from '../src/index';
import { compareTrajectory, quadraticLoss, type Reference, THETA0 } from './helpers';

// NAdam, RAdam, Adamax and Adadelta run 10 steps on the quadratic problem of helpers.ts; every
// step's parameters are compared with a float64 transcription of the algorithm in PyTorch's
// documentation (torch.optim.<Name>, "Algorithm" box), written out below independently of src/.

const TOL = { rtol: 2e-6, atol: 2e-6 };
const zerosN = (n: number): number[] => Array.from({ length: n }, () => 0);

/** PyTorch docs, NAdam: μₜ = β₁(1 − ½·0.96^(tψ)); m̂ = μₜ₊₁m/(1 − ∏₁ᵗ⁺¹μᵢ) + (1 − μₜ)g/(1 − ∏₁ᵗμᵢ); v̂ = v/(1 − β₂ᵗ). */
function nadamReference(o: NAdamOptions): Reference {
  const { lr = 2e-3, betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay = 0, momentumDecay = 4e-3, decoupledWeightDecay = false, maximize = false } = o;
  let m: number[] | null = null;
  let v: number[] | null = null;
  let t = 0;
  let muProduct = 1;
  return (theta, grad) => {
    const n = theta.length;
    t++;
    m ??= zerosN(n);
    v ??= zerosN(n);
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * momentumDecay));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentumDecay));
    muProduct *= mu;
    for (let i = 0; i < n; i++) {
      let g = maximize ? -grad[i] : grad[i];
      if (weightDecay !== 0) {
        if (decoupledWeightDecay) theta[i] -= lr * weightDecay * theta[i];
        else g += weightDecay * theta[i];
      }
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const mHat = (muNext * m[i]) / (1 - muProduct * muNext) + ((1 - mu) * g) / (1 - muProduct);
      const vHat = v[i] / (1 - b2 ** t);
      theta[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  };
}

/** PyTorch docs, RAdam: ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ); if ρₜ > 5 θ −= γm̂·r·l with l = √(1 − β₂ᵗ)/(√v + ε), else θ −= γm̂. */
function radamReference(o: RAdamOptions): Reference {
  const { lr = 1e-3, betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay = 0, decoupledWeightDecay = false, maximize = false } = o;
  let m: number[] | null = null;
  let v: number[] | null = null;
  let t = 0;
  const rhoInf = 2 / (1 - b2) - 1;
  return (theta, grad) => {
    const n = theta.length;
    t++;
    m ??= zerosN(n);
    v ??= zerosN(n);
    const rho = rhoInf - (2 * t * b2 ** t) / (1 - b2 ** t);
    for (let i = 0; i < n; i++) {
      let g = maximize ? -grad[i] : grad[i];
      if (weightDecay !== 0) {
        if (decoupledWeightDecay) theta[i] *= 1 - lr * weightDecay;
        else g += weightDecay * theta[i];
      }
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const mHat = m[i] / (1 - b1 ** t);
      if (rho > 5) {
        const l = Math.sqrt(1 - b2 ** t) / (Math.sqrt(v[i]) + eps);
        const r = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
        theta[i] -= lr * mHat * r * l;
      } else {
        theta[i] -= lr * mHat;
      }
    }
  };
}

/** PyTorch docs, Adamax: m = β₁m + (1 − β₁)g; u = max(β₂u, |g| + ε); θ −= γm/((1 − β₁ᵗ)u). */
function adamaxReference(o: AdamaxOptions): Reference {
  const { lr = 2e-3, betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay = 0, maximize = false } = o;
  let m: number[] | null = null;
  let u: number[] | null = null;
  let t = 0;
  return (theta, grad) => {
    const n = theta.length;
    t++;
    m ??= zerosN(n);
    u ??= zerosN(n);
    for (let i = 0; i < n; i++) {
      let g = maximize ? -grad[i] : grad[i];
      g += weightDecay * theta[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      u[i] = Math.max(b2 * u[i], Math.abs(g) + eps);
      theta[i] -= (lr * m[i]) / ((1 - b1 ** t) * u[i]);
    }
  };
}

/** PyTorch docs, Adadelta: v = ρv + (1 − ρ)g²; Δ = √(u + ε)/√(v + ε)·g; u = ρu + (1 − ρ)Δ²; θ −= γΔ. */
function adadeltaReference(o: AdadeltaOptions): Reference {
  const { lr = 1, rho = 0.9, eps = 1e-6, weightDecay = 0, maximize = false } = o;
  let v: number[] | null = null;
  let u: number[] | null = null;
  return (theta, grad) => {
    const n = theta.length;
    v ??= zerosN(n);
    u ??= zerosN(n);
    for (let i = 0; i < n; i++) {
      let g = maximize ? -grad[i] : grad[i];
      g += weightDecay * theta[i];
      v[i] = rho * v[i] + (1 - rho) * g * g;
      const delta = (Math.sqrt(u[i] + eps) / Math.sqrt(v[i] + eps)) * g;
      u[i] = rho * u[i] + (1 - rho) * delta * delta;
      theta[i] -= lr * delta;
    }
  };
}

describe('NAdam follows the documented update step for step', () => {
  const cases: NAdamOptions[] = [
    {},
    { lr: 0.1 },
    { lr: 0.05, betas: [0.8, 0.99], momentumDecay: 0.01 },
    { lr: 0.1, weightDecay: 0.1 },
    { lr: 0.1, weightDecay: 0.1, decoupledWeightDecay: true },
    { lr: 0.1, maximize: true, eps: 1e-4 },
  ];
  for (const o of cases) it(JSON.stringify(o), () => compareTrajectory((p) => new NAdam([p], o), nadamReference(o), { maximize: !!o.maximize, tol: TOL }));
});

describe('RAdam follows the documented update step for step, both branches of ρₜ > 5', () => {
  it('ρₜ crosses 5 within the 10 steps with the default β₂ (and with β₂ = 0.9)', () => {
    const rho = (b2: number, t: number) => 2 / (1 - b2) - 1 - (2 * t * b2 ** t) / (1 - b2 ** t);
    expect(rho(0.999, 5)).toBeLessThan(5);
    expect(rho(0.999, 7)).toBeGreaterThan(5);
    expect(rho(0.9, 5)).toBeLessThan(5);
    expect(rho(0.9, 10)).toBeGreaterThan(5);
  });
  const cases: RAdamOptions[] = [
    {},
    { lr: 0.1 },
    { lr: 0.05, betas: [0.8, 0.9] },
    { lr: 0.1, weightDecay: 0.1 },
    { lr: 0.1, weightDecay: 0.1, decoupledWeightDecay: true },
    { lr: 0.1, maximize: true },
  ];
  for (const o of cases) it(JSON.stringify(o), () => compareTrajectory((p) => new RAdam([p], o), radamReference(o), { maximize: !!o.maximize, tol: TOL }));
});

describe('Adamax follows the documented update step for step', () => {
  const cases: AdamaxOptions[] = [{}, { lr: 0.1 }, { lr: 0.05, betas: [0.5, 0.9], eps: 1e-3 }, { lr: 0.1, weightDecay: 0.2 }, { lr: 0.1, maximize: true }];
  for (const o of cases) it(JSON.stringify(o), () => compareTrajectory((p) => new Adamax([p], o), adamaxReference(o), { maximize: !!o.maximize, tol: TOL }));
});

describe('Adadelta follows the documented update step for step', () => {
  const cases: AdadeltaOptions[] = [{}, { lr: 0.5, rho: 0.5 }, { rho: 0.95, eps: 1e-3 }, { weightDecay: 0.1 }, { maximize: true }];
  for (const o of cases)
    it(JSON.stringify(o), () => compareTrajectory((p) => new Adadelta([p], o), adadeltaReference(o), { maximize: !!o.maximize, tol: TOL }));
});

describe('defaults, checks, state dicts', () => {
  it("defaults are PyTorch's", () => {
    const p = [tensor([1], { requiresGrad: true })];
    expect(new NAdam(p).defaults).toEqual({
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      momentumDecay: 4e-3,
      decoupledWeightDecay: false,
      maximize: false,
    });
    expect(new RAdam(p).defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false });
    expect(new Adamax(p).defaults).toEqual({ lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false });
    expect(new Adadelta(p).defaults).toEqual({ lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false });
  });

  it('unknown and snake_case options are refused; bad values name the hyper-parameter', () => {
    const p = [tensor([1], { requiresGrad: true })];
    expect(() => new NAdam(p, { momentum_decay: 0.1 } as NAdamOptions)).toThrow(/NAdam: unknown option 'momentum_decay' \(did you mean 'momentumDecay'\?\)/);
    expect(() => new RAdam(p, { amsgrad: true } as RAdamOptions)).toThrow(ArgumentError);
    expect(() => new Adamax(p, { betas: [1, 0.9] })).toThrow(/Adamax: invalid beta1 1/);
    expect(() => new Adadelta(p, { rho: 1.5 })).toThrow(/Adadelta: invalid rho 1.5 \(expected \[0, 1\]\)/);
    expect(() => new NAdam(p, { momentumDecay: -1 })).toThrow(/NAdam: invalid momentumDecay -1/);
    expect(() => new RAdam(p, { decoupledWeightDecay: 1 as unknown as boolean })).toThrow(/RAdam: invalid decoupledWeightDecay 1 \(expected true or false\)/);
  });

  for (const [name, make] of [
    ['NAdam', (p: Tensor[]) => new NAdam(p, { lr: 0.1 })],
    ['RAdam', (p: Tensor[]) => new RAdam(p, { lr: 0.1 })],
    ['Adamax', (p: Tensor[]) => new Adamax(p, { lr: 0.1 })],
    ['Adadelta', (p: Tensor[]) => new Adadelta(p)],
  ] as const) {
    it(`${name}: a saved and reloaded state dict continues the same trajectory; no tensors leak`, async () => {
      const before = memory().tensors;
      const a = tensor(THETA0, { requiresGrad: true });
      const b = tensor(THETA0, { requiresGrad: true });
      const optA = make([a]);
      const optB = make([b]);
      const stepOn = (p: Tensor, opt: Optimizer) => {
        opt.zeroGrad();
        scope(() => quadraticLoss(p).backward());
        opt.step();
      };
      for (let i = 0; i < 3; i++) stepOn(a, optA);
      for (let i = 0; i < 3; i++) stepOn(b, optB);
      const resumed = make([b]);
      resumed.loadStateDict(optB.stateDict());
      expect(resumed.state.get(b)?.step).toBe(3);
      for (let i = 0; i < 3; i++) {
        stepOn(a, optA);
        stepOn(b, resumed);
      }
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      for (const opt of [optA, optB, resumed]) {
        opt.zeroGrad();
        for (const s of opt.state.values()) for (const v of Object.values(s)) if (typeof v === 'object') (v as Tensor).dispose();
      }
      a.dispose();
      b.dispose();
      expect(memory().tensors).toBe(before);
    });
  }
});
