import { describe, it } from 'vitest';
import { type Tensor, tensor } from '@aimodel/tensor';
import { Adagrad, type AdagradOptions, Adam, type AdamOptions, AdamW, type Optimizer, RMSprop, type RMSpropOptions, SGD, type SGDOptions } from '../src/index';
import { compareTrajectory, expectClose, quadraticGrad, quadraticLoss, type Reference, THETA0 } from './helpers';

// Each optimizer runs 10 steps on the quadratic problem and every step's parameters are compared
// with a plain float64 implementation of PyTorch's documented algorithm, written out below.

// float32 against float64: 1e-6 relative, and 1e-6 absolute for coordinates that pass near zero
// (θ is of order 1, so rounding errors of order 1e-7 remain when a coordinate crosses 0).
const TOL = { rtol: 1e-6, atol: 1e-6 };

/** One reference update: changes θ in place from the gradient ∇f(θ). */

const map = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

function sgdReference(o: SGDOptions): Reference {
  const { lr = 1e-3, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = o;
  let b: number[] | null = null;
  return (theta, grad) => {
    const n = theta.length;
    let g = map(n, (i) => (maximize ? -grad[i] : grad[i]) + weightDecay * theta[i]);
    if (momentum !== 0) {
      const prev = b;
      b = prev === null ? [...g] : map(n, (i) => momentum * prev[i] + (1 - dampening) * g[i]);
      const buf = b;
      g = nesterov ? map(n, (i) => g[i] + momentum * buf[i]) : buf;
    }
    for (let i = 0; i < n; i++) theta[i] -= lr * g[i];
  };
}

function adamReference(o: AdamOptions, decoupled: boolean): Reference {
  const { betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay = decoupled ? 1e-2 : 0, amsgrad = false, maximize = false } = o;
  let m: number[] | null = null;
  let v: number[] | null = null;
  let vMax: number[] | null = null;
  let t = 0;
  return (theta, grad) => {
    const n = theta.length;
    const lr = o.lr ?? 1e-3; // read at each step: a test may change it between steps
    t++;
    m ??= map(n, () => 0);
    v ??= map(n, () => 0);
    vMax ??= map(n, () => 0);
    for (let i = 0; i < n; i++) {
      let g = maximize ? -grad[i] : grad[i];
      if (decoupled) theta[i] -= lr * weightDecay * theta[i];
      else g += weightDecay * theta[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const mHat = m[i] / (1 - b1 ** t);
      vMax[i] = Math.max(vMax[i], v[i]);
      const vHat = (amsgrad ? vMax[i] : v[i]) / (1 - b2 ** t);
      theta[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  };
}

function rmspropReference(o: RMSpropOptions): Reference {
  const { lr = 1e-2, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false, maximize = false } = o;
  let v: number[] | null = null;
  let gAvg: number[] | null = null;
  let b: number[] | null = null;
  return (theta, grad) => {
    const n = theta.length;
    v ??= map(n, () => 0);
    gAvg ??= map(n, () => 0);
    b ??= map(n, () => 0);
    for (let i = 0; i < n; i++) {
      let g = maximize ? -grad[i] : grad[i];
      g += weightDecay * theta[i];
      v[i] = alpha * v[i] + (1 - alpha) * g * g;
      let vTilde = v[i];
      if (centered) {
        gAvg[i] = alpha * gAvg[i] + (1 - alpha) * g;
        vTilde -= gAvg[i] * gAvg[i];
      }
      if (momentum > 0) {
        b[i] = momentum * b[i] + g / (Math.sqrt(vTilde) + eps);
        theta[i] -= lr * b[i];
      } else {
        theta[i] -= (lr * g) / (Math.sqrt(vTilde) + eps);
      }
    }
  };
}

function adagradReference(o: AdagradOptions): Reference {
  const { lr = 1e-2, lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10, maximize = false } = o;
  let sum: number[] | null = null;
  let t = 0;
  return (theta, grad) => {
    const n = theta.length;
    t++;
    sum ??= map(n, () => initialAccumulatorValue);
    const clr = lr / (1 + (t - 1) * lrDecay);
    for (let i = 0; i < n; i++) {
      let g = maximize ? -grad[i] : grad[i];
      g += weightDecay * theta[i];
      sum[i] += g * g;
      theta[i] -= (clr * g) / (Math.sqrt(sum[i]) + eps);
    }
  };
}

describe('SGD follows the documented update step for step', () => {
  const cases: SGDOptions[] = [
    { lr: 0.1 },
    { lr: 0.05, momentum: 0.9 },
    { lr: 0.05, momentum: 0.9, dampening: 0.3 },
    { lr: 0.05, momentum: 0.8, nesterov: true },
    { lr: 0.1, weightDecay: 0.05 },
    { lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true },
    { lr: 0.1, momentum: 0.5, weightDecay: 0.1, maximize: true },
    {},
  ];
  for (const o of cases) {
    it(JSON.stringify(o), () => compareTrajectory((p) => new SGD([p], o), sgdReference(o), { maximize: !!o.maximize }));
  }
});

// Adam and AdamW: the same reference, with the weight decay coupled (Adam) or decoupled (AdamW).
const adamCases: [string, new (params: Tensor[], o: AdamOptions) => Optimizer, boolean, AdamOptions[]][] = [
  [
    'Adam',
    Adam,
    false,
    [
      { lr: 0.1 },
      {},
      { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6 },
      { lr: 0.1, weightDecay: 0.1 },
      { lr: 0.1, amsgrad: true },
      { lr: 0.1, amsgrad: true, weightDecay: 0.05, maximize: true },
      { lr: 0.2, betas: [0, 0.5] },
    ],
  ],
  [
    'AdamW',
    AdamW,
    true,
    [
      { lr: 0.1 },
      {},
      { lr: 0.1, weightDecay: 0.5 },
      { lr: 0.1, weightDecay: 0 },
      { lr: 0.05, weightDecay: 0.1, amsgrad: true, betas: [0.85, 0.95] },
      { lr: 0.1, weightDecay: 0.2, maximize: true },
    ],
  ],
];
for (const [name, Opt, decoupled, cases] of adamCases) {
  describe(`${name} follows the documented update step for step`, () => {
    for (const o of cases) {
      it(JSON.stringify(o), () => compareTrajectory((p) => new Opt([p], o), adamReference(o, decoupled), { maximize: !!o.maximize }));
    }
  });
}

describe('RMSprop follows the documented update step for step', () => {
  const cases: RMSpropOptions[] = [
    { lr: 0.01 },
    {},
    { lr: 0.01, alpha: 0.9 },
    { lr: 0.01, momentum: 0.9 },
    { lr: 0.01, centered: true },
    { lr: 0.005, centered: true, momentum: 0.5, weightDecay: 0.1 },
    { lr: 0.01, weightDecay: 0.2, maximize: true, eps: 1e-4 },
  ];
  for (const o of cases) {
    it(JSON.stringify(o), () => compareTrajectory((p) => new RMSprop([p], o), rmspropReference(o), { maximize: !!o.maximize }));
  }
});

describe('Adagrad follows the documented update step for step', () => {
  const cases: AdagradOptions[] = [
    { lr: 0.1 },
    {},
    { lr: 0.1, lrDecay: 0.1 },
    { lr: 0.1, initialAccumulatorValue: 0.5 },
    { lr: 0.1, weightDecay: 0.1, eps: 1e-3 },
    { lr: 0.2, lrDecay: 0.05, weightDecay: 0.05, initialAccumulatorValue: 0.1, maximize: true },
  ];
  for (const o of cases) {
    it(JSON.stringify(o), () => compareTrajectory((p) => new Adagrad([p], o), adagradReference(o), { maximize: !!o.maximize }));
  }
});

/**
 * Ten steps of `opt` on the summed quadratic losses of two parameters in two groups, each checked
 * after every step against its group's reference; `before(step)` runs at the start of each step.
 */
async function followTwoGroups(opt: Optimizer, [p1, p2]: Tensor[], [ref1, ref2]: Reference[], before: (step: number) => void = () => {}): Promise<void> {
  const t1 = Array.from(await p1.data());
  const t2 = Array.from(await p2.data());
  for (let step = 1; step <= 10; step++) {
    before(step);
    opt.zeroGrad();
    quadraticLoss(p1).add(quadraticLoss(p2)).backward();
    opt.step();
    ref1(t1, quadraticGrad(t1));
    ref2(t2, quadraticGrad(t2));
    expectClose(await p1.data(), t1, { ...TOL, what: `group 0 step ${step}:` });
    expectClose(await p2.data(), t2, { ...TOL, what: `group 1 step ${step}:` });
  }
}

describe('parameter groups use their own options', () => {
  it('SGD: two groups with different lr and momentum, defaults fill the rest', async () => {
    const p1 = tensor(THETA0, { requiresGrad: true });
    const p2 = tensor(THETA0, { requiresGrad: true });
    const opt = new SGD([{ params: [p1] }, { params: [p2], lr: 0.01, momentum: 0.5 }], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    await followTwoGroups(
      opt,
      [p1, p2],
      [sgdReference({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 }), sgdReference({ lr: 0.01, momentum: 0.5, weightDecay: 0.01 })],
    );
  });

  it('Adam: groups with different lr and betas; changing a group lr between steps takes effect', async () => {
    const p1 = tensor(THETA0, { requiresGrad: true });
    const p2 = tensor(THETA0, { requiresGrad: true });
    const opt = new Adam(
      [
        { params: p1, lr: 0.05 },
        { params: [p2], betas: [0.5, 0.9] },
      ],
      { lr: 0.1 },
    );
    const options2: AdamOptions = { lr: 0.1, betas: [0.5, 0.9] };
    await followTwoGroups(opt, [p1, p2], [adamReference({ lr: 0.05 }, false), adamReference(options2, false)], (step) => {
      if (step === 6) {
        opt.paramGroups[1].lr = 0.02;
        options2.lr = 0.02;
      }
    });
  });
});
