import { describe, expect, it } from 'vitest';
import {
  type AdagradStepOptions,
  ArgumentError,
  adagradStep_,
  type DeviceName,
  DeviceError,
  DTypeError,
  memory,
  noGrad,
  type RmspropStepOptions,
  rmspropStep_,
  ShapeError,
  scope,
  type Tensor,
  tensor,
  transfers,
  zeros,
} from '../../src/index';
import { DEVICES, ensureDevice, randomValues } from '../helpers';
import { describeStepPaths, itMatchesComposed } from '../helpers/step-paths';

// The fused RMSprop and Adagrad steps against the same updates composed from elementwise ops in
// PyTorch's order (`_single_tensor_rmsprop`, `_single_tensor_adagrad`): bit for bit on the CPU
// (both round every operation to float32), within float32 tolerance on WebGPU.

type RmsCase = Omit<RmspropStepOptions, 'momentumBuffer' | 'gradAvg'> & { centered?: boolean };

const RMS_CASES: RmsCase[] = [
  { lr: 0.01 },
  { lr: 0.02, alpha: 0.9, eps: 1e-6, weightDecay: 0.1, maximize: true },
  { lr: 0.01, centered: true },
  { lr: 0.01, momentum: 0.9 },
  { lr: 0.03, alpha: 0.8, momentum: 0.5, centered: true, weightDecay: 0.05, maximize: true },
];

const ADAGRAD_CASES: Omit<AdagradStepOptions, 'step'>[] = [{ lr: 0.1 }, { lr: 0.05, lrDecay: 0.1, weightDecay: 0.2, eps: 1e-6, maximize: true }];

const SHAPES = [[7], [3, 5], [], [3, 1367]]; // the last: two SIMD chunks of 4096, a tail of 5

/** `steps` RMSprop steps on fixed random data, fused or composed; the final param and state. */
async function runRms(device: DeviceName, shape: number[], c: RmsCase, fused: boolean, steps = 3): Promise<number[][]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const { centered, ...o } = c;
  const t = (seed: number, lo = -1, hi = 1) => tensor(randomValues(n, seed, lo, hi), { device }).reshape(shape);
  const p = t(1);
  const v = t(2, 0, 0.01);
  const a = centered ? t(3, -0.01, 0.01) : undefined;
  const b = o.momentum ? t(4, -0.1, 0.1) : undefined;
  for (let step = 1; step <= steps; step++) {
    const grad = t(10 + step);
    if (fused) rmspropStep_(p, grad, v, { ...o, gradAvg: a, momentumBuffer: b });
    else noGrad(() => scope(() => composedRms(p, grad, v, a, b, o)));
    grad.dispose();
  }
  const out = await Promise.all([p, v, ...(a ? [a] : []), ...(b ? [b] : [])].map(async (u) => Array.from(await u.data())));
  for (const u of [p, v, a, b]) u?.dispose();
  return out;
}

/** PyTorch's `_single_tensor_rmsprop` (1.13) as tensor ops, each rounded to float32. */
function composedRms(p: Tensor, grad: Tensor, v: Tensor, a: Tensor | undefined, b: Tensor | undefined, o: RmspropStepOptions): void {
  const { lr = 1e-2, alpha = 0.99, eps = 1e-8, weightDecay: wd = 0, momentum = 0 } = o;
  let g = o.maximize ? grad.neg() : grad;
  if (wd !== 0) g = g.add(p.mul(wd));
  v.assign(v.mul(alpha).add(g.mul(1 - alpha).mul(g))); // addcmul: value·t1·t2
  let d: Tensor;
  if (a) {
    a.assign(a.mul(alpha).add(g.mul(1 - alpha)));
    d = v.sub(a.mul(a)).sqrt().add(eps);
  } else {
    d = v.sqrt().add(eps);
  }
  if (b) {
    b.assign(b.mul(momentum).add(g.div(d)));
    p.assign(p.add(b.mul(-lr)));
  } else {
    p.assign(p.add(g.div(d).mul(-lr)));
  }
}

async function runAdagrad(device: DeviceName, shape: number[], o: Omit<AdagradStepOptions, 'step'>, fused: boolean, steps = 3): Promise<number[][]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = (seed: number, lo = -1, hi = 1) => tensor(randomValues(n, seed, lo, hi), { device }).reshape(shape);
  const p = t(1);
  const s = t(2, 0, 0.1);
  for (let step = 1; step <= steps; step++) {
    const grad = t(10 + step);
    if (fused) adagradStep_(p, grad, s, { ...o, step });
    else noGrad(() => scope(() => composedAdagrad(p, grad, s, { ...o, step })));
    grad.dispose();
  }
  const out = await Promise.all([p, s].map(async (u) => Array.from(await u.data())));
  p.dispose();
  s.dispose();
  return out;
}

/** PyTorch's `_single_tensor_adagrad` as tensor ops. */
function composedAdagrad(p: Tensor, grad: Tensor, s: Tensor, o: AdagradStepOptions): void {
  const { lr = 1e-2, lrDecay = 0, weightDecay: wd = 0, eps = 1e-10, step } = o;
  let g = o.maximize ? grad.neg() : grad;
  if (wd !== 0) g = g.add(p.mul(wd));
  const clr = lr / (1 + (step - 1) * lrDecay);
  s.assign(s.add(g.mul(g)));
  p.assign(p.add(g.div(s.sqrt().add(eps)).mul(-clr)));
}

describe('rmspropStep_ and adagradStep_ [cpu]', () => {
  it('RMSprop: hand-computed first steps, plain, centered and with momentum', () => {
    const before = memory();
    const g = tensor([0.5, -0.5, 2]);
    // plain: v = 0.01·g², θ − 0.01·g/(0.1|g|) = θ ∓ 0.1
    const w = tensor([1, 2, -3]);
    const v = zeros([3]);
    expect(rmspropStep_(w, g, v, { lr: 0.01, alpha: 0.99 })).toBe(w);
    expect(v.dataSync()).toBeAllClose([0.0025, 0.0025, 0.04], { rtol: 1e-6, atol: 0 });
    expect(w.dataSync()).toBeAllClose([0.9, 2.1, -3.1], { rtol: 1e-6, atol: 0 });
    // centered, α = 0.5: v = ½g², gₐ = ½g, d = √(½g² − ¼g²) = |g|/2, θ − 0.1·2·sign(g)
    const w2 = tensor([1, 2, -3]);
    const [v2, a2] = [zeros([3]), zeros([3])];
    rmspropStep_(w2, g, v2, { lr: 0.1, alpha: 0.5, eps: 0, gradAvg: a2 });
    expect(a2.dataSync()).toBeAllClose([0.25, -0.25, 1], { rtol: 1e-6, atol: 0 });
    expect(w2.dataSync()).toBeAllClose([0.8, 2.2, -3.2], { rtol: 1e-6, atol: 0 });
    // momentum 0.9, α = 0: v = g², b = g/|g|, then b = 0.9b + sign(g) = 1.9·sign(g)
    const w3 = tensor([1, 2, -3]);
    const [v3, b3] = [zeros([3]), zeros([3])];
    rmspropStep_(w3, g, v3, { lr: 0.1, alpha: 0, eps: 0, momentum: 0.9, momentumBuffer: b3 });
    rmspropStep_(w3, g, v3, { lr: 0.1, alpha: 0, eps: 0, momentum: 0.9, momentumBuffer: b3 });
    expect(b3.dataSync()).toBeAllClose([1.9, -1.9, 1.9], { rtol: 1e-6, atol: 0 });
    expect(w3.dataSync()).toBeAllClose([0.71, 2.29, -3.29], { rtol: 1e-6, atol: 0 });
    for (const u of [g, w, v, w2, v2, a2, w3, v3, b3]) u.dispose();
    expect(memory()).toEqual(before);
  });

  it('Adagrad: hand-computed steps with learning-rate decay', () => {
    const before = memory();
    const w = tensor([1, 2]);
    const s = zeros([2]);
    const g = tensor([0.5, -0.5]);
    adagradStep_(w, g, s, { lr: 0.1, lrDecay: 1, eps: 0, step: 1 }); // s = g², θ ∓ 0.1
    expect(w.dataSync()).toBeAllClose([0.9, 2.1], { rtol: 1e-6, atol: 0 });
    adagradStep_(w, g, s, { lr: 0.1, lrDecay: 1, eps: 0, step: 2 }); // γ̃ = 0.05, s = 2g², θ ∓ 0.05/√2
    expect(s.dataSync()).toBeAllClose([0.5, 0.5], { rtol: 1e-6, atol: 0 });
    expect(w.dataSync()).toBeAllClose([0.9 - 0.05 / Math.SQRT2, 2.1 + 0.05 / Math.SQRT2], { rtol: 1e-6, atol: 0 });
    for (const u of [w, s, g]) u.dispose();
    expect(memory()).toEqual(before);
  });

  describeStepPaths(() => {
    itMatchesComposed('RMSprop', SHAPES, RMS_CASES, runRms);
    itMatchesComposed('Adagrad', SHAPES, ADAGRAD_CASES, runAdagrad);
  });

  it('creates no tensors and leaves memory flat; an empty parameter is a no-op', () => {
    const [p, g, v, a, b, s] = [tensor(randomValues(6, 1)), tensor(randomValues(6, 2)), zeros([6]), zeros([6]), zeros([6]), zeros([6])];
    const before = memory();
    rmspropStep_(p, g, v, { gradAvg: a, momentum: 0.9, momentumBuffer: b });
    adagradStep_(p, g, s, { step: 1 });
    expect(memory()).toEqual(before);
    const e = zeros([0, 3]);
    expect(rmspropStep_(e, zeros([0, 3]), zeros([0, 3]))).toBe(e);
    expect(adagradStep_(e, zeros([0, 3]), zeros([0, 3]), { step: 1 })).toBe(e);
    for (const u of [p, g, v, a, b, s]) u.dispose();
  });

  it('rejects wrong dtypes, shapes, aliasing, missing buffers and bad options with typed errors', () => {
    const [p, g, v, b] = [zeros([2, 2]), zeros([2, 2]), zeros([2, 2]), zeros([2, 2])];
    const i32 = zeros([2, 2], { dtype: 'int32' });
    const flat = zeros([4]);
    const before = memory();
    expect(() => rmspropStep_(p, i32, v)).toThrow(/rmspropStep_: grad must be float32, got int32/);
    expect(() => rmspropStep_(p, i32, v)).toThrow(DTypeError);
    expect(() => rmspropStep_(p, g, flat)).toThrow(ShapeError);
    expect(() => rmspropStep_(p, g, v, { gradAvg: v })).toThrow(/squareAvg shares memory with gradAvg/);
    expect(() => rmspropStep_(p, g, v, { momentum: 0.9 })).toThrow(/momentum 0.9 needs a momentumBuffer/);
    expect(() => rmspropStep_(p, g, v, { momentumBuffer: b })).toThrow(/momentumBuffer must be left out when momentum is 0/);
    expect(() => rmspropStep_(p, g, v, { alpha: -1 })).toThrow(/alpha must be a number >= 0, got -1/);
    expect(() => rmspropStep_(p, g, v, { centered: true } as RmspropStepOptions)).toThrow(/unknown option 'centered'/);
    expect(() => adagradStep_(p, g, v, undefined as unknown as AdagradStepOptions)).toThrow(ArgumentError);
    expect(() => adagradStep_(p, g, v, { step: 0 })).toThrow(/step must be an integer >= 1, got 0/);
    expect(() => adagradStep_(p, g, v, { step: 1, lr_decay: 0.1 } as AdagradStepOptions)).toThrow(/unknown option 'lr_decay'/);
    expect(() => adagradStep_(p, g, flat, { step: 1 })).toThrow(/stateSum must have the shape of param \[2,2\], got \[4\]/);
    expect(memory()).toEqual(before);
    expect(p.dataSync()).toEqual(new Float32Array(4));
    for (const u of [p, g, v, b, i32, flat]) u.dispose();
  });
});

describe.skipIf(!DEVICES.includes('webgpu'))('rmspropStep_ and adagradStep_ [webgpu]', () => {
  for (const shape of [[7], [3, 5]]) {
    for (const c of RMS_CASES) {
      it(`RMSprop ${JSON.stringify(c)} on [${shape}]: the CPU's composed float32 result`, async () => {
        await ensureDevice('webgpu');
        const gpu = await runRms('webgpu', shape, c, true);
        const cpu = await runRms('cpu', shape, c, false);
        gpu.forEach((a, i) => expect(a).toBeAllClose(cpu[i], { rtol: 1e-5, atol: 1e-6 }));
      });
    }
    for (const o of ADAGRAD_CASES) {
      it(`Adagrad ${JSON.stringify(o)} on [${shape}]: the CPU's composed float32 result`, async () => {
        await ensureDevice('webgpu');
        const gpu = await runAdagrad('webgpu', shape, o, true);
        const cpu = await runAdagrad('cpu', shape, o, false);
        gpu.forEach((a, i) => expect(a).toBeAllClose(cpu[i], { rtol: 1e-5, atol: 1e-6 }));
      });
    }
  }

  it('a step moves no data between host and device and leaves memory flat; devices must match', async () => {
    await ensureDevice('webgpu');
    const device = 'webgpu';
    const n = 70_000;
    const p = tensor(randomValues(n, 1), { device });
    const g = tensor(randomValues(n, 2), { device });
    const [v, a, b, s] = [zeros([n], { device }), zeros([n], { device }), zeros([n], { device }), zeros([n], { device })];
    const mem = memory().devices.webgpu;
    const t0 = transfers().devices.webgpu;
    for (let step = 1; step <= 2; step++) {
      rmspropStep_(p, g, v, { gradAvg: a, momentum: 0.9, momentumBuffer: b });
      adagradStep_(p, g, s, { step });
    }
    const t1 = transfers().devices.webgpu;
    expect([t1.writes - t0.writes, t1.reads - t0.reads]).toEqual([0, 0]);
    expect(memory().devices.webgpu).toEqual(mem);
    const cg = zeros([n], { device: 'cpu' });
    expect(() => adagradStep_(p, cg, s, { step: 1 })).toThrow(DeviceError);
    for (const u of [p, g, v, a, b, s, cg]) u.dispose();
  });
});
