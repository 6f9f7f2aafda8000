import { describe, expect, it } from 'vitest';
import {
  type AdamStepOptions,
  ArgumentError,
  adamStep_,
  type DeviceName,
  DeviceError,
  DisposedError,
  DTypeError,
  memory,
  noGrad,
  type SgdStepOptions,
  ShapeError,
  scope,
  sgdStep_,
  type Tensor,
  tensor,
  transfers,
  zeros,
} from '../../src/index';
import { DEVICES, ensureDevice, randomValues } from '../helpers';
import { describeStepPaths, itMatchesComposed } from '../helpers/step-paths';

// The fused steps against the same update composed from elementwise ops in PyTorch's order
// (`_single_tensor_adam`, `_single_tensor_sgd`): bit for bit on the CPU, where both round every
// operation to float32, and within float32 tolerance on WebGPU.

type AdamCase = Omit<AdamStepOptions, 'step' | 'maxExpAvgSq'> & { amsgrad?: boolean };

const ADAM_CASES: AdamCase[] = [
  { lr: 0.01 },
  { lr: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1, maximize: true, amsgrad: true },
  { lr: 0.02, weightDecay: 0.3, decoupledWeightDecay: true },
  { lr: 0.02, weightDecay: 0.3, decoupledWeightDecay: true, amsgrad: true, maximize: true },
];

const SGD_CASES: SgdStepOptions[] = [
  { lr: 0.1 },
  { lr: 0.1, weightDecay: 0.05, maximize: true },
  { lr: 0.05, momentum: 0.9 },
  { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  { lr: 0.05, momentum: 0.8, dampening: 0.3, maximize: true },
];

const SHAPES = [[7], [3, 5], [2, 3, 4], [], [3, 1367]]; // the last: two SIMD chunks of 4096, a tail of 5

/** `x` reshaped to `shape` (a view of its storage; `x` itself is disposed unless it is the result). */
function shaped(x: Tensor, shape: number[]): Tensor {
  const y = x.reshape(shape);
  if (y !== x) x.dispose();
  return y;
}

/** `steps` Adam steps on fixed random data, fused or composed; the final param, m, v (and v_max). */
async function runAdam(device: DeviceName, shape: number[], c: AdamCase, fused: boolean, steps = 3): Promise<number[][]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const { amsgrad, ...o } = c;
  const t = (seed: number, lo = -1, hi = 1) => shaped(tensor(randomValues(n, seed, lo, hi), { device }), shape);
  const p = t(1);
  const m = t(2, -0.1, 0.1);
  const v = t(3, 0, 0.01);
  const x = amsgrad ? t(4, 0, 0.02) : undefined;
  for (let step = 1; step <= steps; step++) {
    const grad = t(10 + step);
    if (fused) adamStep_(p, grad, m, v, { ...o, step, maxExpAvgSq: x });
    else noGrad(() => scope(() => composedAdam(p, grad, m, v, x, { ...o, step })));
    grad.dispose();
  }
  const out = await Promise.all([p, m, v, ...(x ? [x] : [])].map(async (u) => Array.from(await u.data())));
  for (const u of [p, m, v, x]) u?.dispose();
  return out;
}

/** PyTorch's `_single_tensor_adam` as tensor ops, each rounded to float32. */
function composedAdam(p: Tensor, grad: Tensor, m: Tensor, v: Tensor, x: Tensor | undefined, o: AdamStepOptions): void {
  const { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay: wd = 0, step } = o;
  let g = o.maximize ? grad.neg() : grad;
  if (wd !== 0 && o.decoupledWeightDecay) p.assign(p.mul(1 - lr * wd));
  else if (wd !== 0) g = g.add(p.mul(wd));
  m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
  v.assign(v.mul(beta2).add(g.mul(1 - beta2).mul(g))); // addcmul: value·t1·t2
  const vHat = x ? x.assign(x.maximum(v)) : v;
  const denom = vHat
    .sqrt()
    .div(Math.sqrt(1 - beta2 ** step))
    .add(eps);
  p.assign(p.add(m.div(denom).mul(-lr / (1 - beta1 ** step))));
}

/** `steps` SGD steps (the first one the buffer's first); the final param (and momentum buffer). */
async function runSgd(device: DeviceName, shape: number[], o: SgdStepOptions, fused: boolean, steps = 3): Promise<number[][]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = (seed: number) => shaped(tensor(randomValues(n, seed), { device }), shape);
  const p = t(1);
  const b = o.momentum ? t(2) : null; // garbage before the first step: it must be overwritten
  for (let step = 1; step <= steps; step++) {
    const grad = t(10 + step);
    if (fused) sgdStep_(p, grad, b, { ...o, isFirstStep: step === 1 });
    else noGrad(() => scope(() => composedSgd(p, grad, b, o, step === 1)));
    grad.dispose();
  }
  const out = await Promise.all([p, ...(b ? [b] : [])].map(async (u) => Array.from(await u.data())));
  p.dispose();
  b?.dispose();
  return out;
}

/** PyTorch's `_single_tensor_sgd` as tensor ops. */
function composedSgd(p: Tensor, grad: Tensor, b: Tensor | null, o: SgdStepOptions, first: boolean): void {
  const { lr = 1e-3, momentum = 0, dampening = 0, weightDecay = 0 } = o;
  let g = o.maximize ? grad.neg() : grad;
  if (weightDecay !== 0) g = g.add(p.mul(weightDecay));
  if (b) {
    b.assign(first ? g : b.mul(momentum).add(g.mul(1 - dampening)));
    g = o.nesterov ? g.add(b.mul(momentum)) : b;
  }
  p.assign(p.add(g.mul(-lr)));
}

describe('adamStep_ and sgdStep_ [cpu]', () => {
  it('Adam: the first step moves each weight by about γ·sign(g) (hand-computed)', () => {
    const before = memory();
    const w = tensor([1, 2, -3]);
    const m = zeros([3]);
    const v = zeros([3]);
    const g = tensor([0.5, -0.5, 2]);
    expect(adamStep_(w, g, m, v, { lr: 0.1, step: 1 })).toBe(w);
    // m = 0.1g, v = 0.001g², m̂ = g, v̂ = g²: θ − 0.1·g/(|g| + 1e-8)
    expect(w.dataSync()).toBeAllClose([0.9, 2.1, -3.1], { rtol: 1e-6, atol: 0 });
    expect(m.dataSync()).toBeAllClose([0.05, -0.05, 0.2], { rtol: 1e-6, atol: 0 });
    expect(v.dataSync()).toBeAllClose([0.00025, 0.00025, 0.004], { rtol: 1e-6, atol: 0 });
    for (const u of [w, m, v, g]) u.dispose();
    expect(memory()).toEqual(before);
  });

  it('SGD: momentum b₁ = g, then b = μb + g (hand-computed)', () => {
    const before = memory();
    const w = tensor([1, 2]);
    const g = tensor([0.5, -0.5]);
    const b = tensor([123, -7]); // overwritten by the first step
    sgdStep_(w, g, b, { lr: 0.1, momentum: 0.9, isFirstStep: true });
    expect(w.dataSync()).toBeAllClose([0.95, 2.05], { rtol: 1e-6, atol: 0 });
    sgdStep_(w, g, b, { lr: 0.1, momentum: 0.9 });
    expect(b.dataSync()).toBeAllClose([0.95, -0.95], { rtol: 1e-6, atol: 0 });
    expect(w.dataSync()).toBeAllClose([0.855, 2.145], { rtol: 1e-6, atol: 0 });
    for (const u of [w, g, b]) u.dispose();
    expect(memory()).toEqual(before);
  });

  describeStepPaths(() => {
    itMatchesComposed('Adam', SHAPES, ADAM_CASES, runAdam);
    itMatchesComposed('SGD', SHAPES, SGD_CASES, runSgd);
  });

  it('creates no tensors and leaves memory flat; an empty parameter is a no-op', () => {
    const p = shaped(tensor(randomValues(6, 1)), [2, 3]);
    const g = shaped(tensor(randomValues(6, 2)), [2, 3]);
    const [m, v, x, b] = [zeros([2, 3]), zeros([2, 3]), zeros([2, 3]), zeros([2, 3])];
    const before = memory();
    adamStep_(p, g, m, v, { step: 1, maxExpAvgSq: x });
    sgdStep_(p, g, b, { momentum: 0.9, isFirstStep: true });
    expect(memory()).toEqual(before);
    const e = zeros([0, 3]);
    expect(adamStep_(e, zeros([0, 3]), zeros([0, 3]), zeros([0, 3]), { step: 1 })).toBe(e);
    for (const u of [p, g, m, v, x, b]) u.dispose();
  });

  it('updates a non-contiguous parameter through its view (the same values as contiguous)', async () => {
    const before = memory();
    const base = shaped(tensor(randomValues(6, 1)), [2, 3]);
    const pT = base.transpose(0, 1); // [3, 2], strides [1, 3]
    const grad = shaped(tensor(randomValues(6, 2)), [3, 2]);
    const gradT = scope(() => grad.transpose(0, 1).contiguous().transpose(0, 1)); // [3, 2], strides [1, 3]
    const [m, v] = [zeros([3, 2]), zeros([3, 2])];
    const ref = pT.contiguous();
    const [rm, rv] = [zeros([3, 2]), zeros([3, 2])];
    adamStep_(pT, grad, m, v, { lr: 0.1, step: 1 });
    adamStep_(ref, grad, rm, rv, { lr: 0.1, step: 1 });
    expect(pT.dataSync()).toEqual(ref.dataSync());
    const baseOf = (r: ArrayLike<number>) => Float32Array.from([r[0], r[2], r[4], r[1], r[3], r[5]]); // refᵀ
    expect(base.dataSync()).toEqual(baseOf(ref.dataSync())); // written into base's memory
    sgdStep_(pT, gradT, null, { lr: 0.1 }); // a non-contiguous gradient is read through a copy
    sgdStep_(ref, grad, null, { lr: 0.1 });
    expect(base.dataSync()).toEqual(baseOf(ref.dataSync()));
    for (const u of [base, pT, grad, gradT, m, v, ref, rm, rv]) u.dispose();
    expect(memory()).toEqual(before);
  });

  it('rejects wrong dtypes, shapes, aliasing, broadcast views, grad-tracked tensors and bad options with typed errors', () => {
    const p = zeros([2, 2]);
    const g = zeros([2, 2]);
    const m = zeros([2, 2]);
    const v = zeros([2, 2]);
    const i32 = zeros([2, 2], { dtype: 'int32' });
    const flat = zeros([4]);
    const mView = m.reshape([4]).reshape([2, 2]);
    const expanded = zeros([1, 2]).expand([2, 2]);
    const w = zeros([2, 2], { requiresGrad: true });
    const d = zeros([2, 2]);
    d.dispose();
    const before = memory();
    expect(() => adamStep_(p, i32, m, v, { step: 1 })).toThrow(/adamStep_: grad must be float32, got int32/);
    expect(() => adamStep_(p, i32, m, v, { step: 1 })).toThrow(DTypeError);
    expect(() => adamStep_(p, g, m, flat, { step: 1 })).toThrow(/adamStep_: expAvgSq must have the shape of param \[2,2\], got \[4\]/);
    expect(() => adamStep_(p, g, m, flat, { step: 1 })).toThrow(ShapeError);
    expect(() => adamStep_(p, g, m, m, { step: 1 })).toThrow(/expAvg shares memory with expAvgSq/);
    expect(() => adamStep_(expanded, g, m, v, { step: 1 })).toThrow(/param must not be a broadcast view/);
    expect(() => adamStep_(p, g, m, v, { step: 0 })).toThrow(/step must be an integer >= 1, got 0/);
    expect(() => adamStep_(p, g, m, v, { step: 1, beta1: 1 })).toThrow(/beta1 must be in \[0, 1\)/);
    expect(() => adamStep_(p, g, m, v, { step: 1, lr: Number.NaN })).toThrow(ArgumentError);
    expect(() => adamStep_(p, g, m, v, { step: 1, amsgrad: true } as AdamStepOptions)).toThrow(/unknown option 'amsgrad'/);
    expect(() => adamStep_(p, g, m, v, undefined as unknown as AdamStepOptions)).toThrow(ArgumentError);
    expect(() => sgdStep_(p, g, null, { momentum: 0.9 })).toThrow(/momentum 0.9 needs a momentumBuffer/);
    expect(() => sgdStep_(p, g, m, {})).toThrow(/momentumBuffer must be null when momentum is 0/);
    expect(() => sgdStep_(p, g, m, { momentum: 0.9, nesterov: true, dampening: 0.1 })).toThrow(/nesterov momentum requires/);
    expect(() => sgdStep_(p, g, m, { momentum: 0.9, isFirstStep: 1 as unknown as boolean })).toThrow(/isFirstStep must be true or false/);
    expect(() => sgdStep_(p, p, null)).toThrow(/param shares memory with grad/);
    expect(() => sgdStep_(w, g, null)).toThrow(/param requires grad/);
    expect(() => adamStep_(p, d, m, v, { step: 1 })).toThrow(DisposedError);
    expect(memory()).toEqual(before); // the failures allocated nothing
    expect(p.dataSync()).toEqual(new Float32Array(4)); // and wrote nothing
    noGrad(() => sgdStep_(w, g, null)); // allowed outside grad mode
    adamStep_(p, g, mView, v, { step: 1 }); // a view of its own storage is fine
    for (const u of [p, g, m, v, i32, flat, mView, expanded, w]) u.dispose();
  });
});

describe.skipIf(!DEVICES.includes('webgpu'))('adamStep_ and sgdStep_ [webgpu]', () => {
  for (const shape of [[7], [3, 5], []]) {
    for (const c of ADAM_CASES) {
      it(`Adam ${JSON.stringify(c)} on [${shape}]: the CPU's composed float32 result`, async () => {
        await ensureDevice('webgpu');
        const gpu = await runAdam('webgpu', shape, c, true);
        const cpu = await runAdam('cpu', shape, c, false);
        gpu.forEach((a, i) => expect(a).toBeAllClose(cpu[i], { rtol: 1e-5, atol: 1e-7 }));
      });
    }
    for (const o of SGD_CASES) {
      it(`SGD ${JSON.stringify(o)} on [${shape}]: the CPU's composed float32 result`, async () => {
        await ensureDevice('webgpu');
        const gpu = await runSgd('webgpu', shape, o, true);
        const cpu = await runSgd('cpu', shape, o, false);
        gpu.forEach((a, i) => expect(a).toBeAllClose(cpu[i], { rtol: 1e-5, atol: 1e-7 }));
      });
    }
  }

  it('a step moves no data between host and device and leaves memory flat, across many workgroups', async () => {
    await ensureDevice('webgpu');
    const n = 70_000; // > one row of the dispatch grid's 64-invocation workgroups
    const device = 'webgpu';
    const p = tensor(randomValues(n, 1), { device });
    const g = tensor(randomValues(n, 2), { device });
    const [m, v, x, b] = [zeros([n], { device }), zeros([n], { device }), zeros([n], { device }), zeros([n], { device })];
    const mem = memory().devices.webgpu;
    const t0 = transfers().devices.webgpu;
    for (let step = 1; step <= 2; step++) {
      adamStep_(p, g, m, v, { lr: 0.01, step, maxExpAvgSq: x });
      sgdStep_(p, g, b, { lr: 0.01, momentum: 0.9, isFirstStep: step === 1 });
    }
    const t1 = transfers().devices.webgpu;
    expect([t1.writes - t0.writes, t1.reads - t0.reads]).toEqual([0, 0]);
    expect(memory().devices.webgpu).toEqual(mem);
    const cpu = { device: 'cpu' } as const;
    const cp = tensor(randomValues(n, 1), cpu);
    const cg = tensor(randomValues(n, 2), cpu);
    const [cm, cv, cx, cb] = [zeros([n], cpu), zeros([n], cpu), zeros([n], cpu), zeros([n], cpu)];
    for (let step = 1; step <= 2; step++) {
      adamStep_(cp, cg, cm, cv, { lr: 0.01, step, maxExpAvgSq: cx });
      sgdStep_(cp, cg, cb, { lr: 0.01, momentum: 0.9, isFirstStep: step === 1 });
    }
    expect(Array.from(await p.data())).toBeAllClose(cp.dataSync(), { rtol: 1e-5, atol: 1e-6 });
    expect(Array.from(await b.data())).toBeAllClose(cb.dataSync(), { rtol: 1e-5, atol: 1e-6 });
    expect(() => adamStep_(p, cg, m, v, { step: 1 })).toThrow(DeviceError);
    for (const u of [p, g, m, v, x, b, cp, cg, cm, cv, cx, cb]) u.dispose();
  });
});
