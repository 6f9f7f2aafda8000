import { describe, expect, it } from 'vitest';
import { type DeviceName, memory, noGrad, scope, type Tensor, tensor, transfers } from '@aimodel/tensor';
import { Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, type Optimizer, type OptimizerOptions, RAdam, RMSprop, SGD } from '../src/index';
import { expectClose } from './helpers';
import { hasWebGpu } from '../../nn/test/webgpu-available';

/**
 * On WebGPU an optimizer step moves no data between host and device: its hyper-parameters and
 * bias corrections are numbers, which reach the kernels as parameters (scalar constants), and its
 * state is created on the device (zerosLike / full). Every step after the first (which creates
 * the state) must make zero uploads and zero reads, and still match the same steps on the CPU.
 */

const WEBGPU = await hasWebGpu();

const W0 = [0.5, -0.3, 0.8, -1.2, 0.05, 0.7];
const B0 = [0.1, -0.4];
const GW = [0.2, -0.1, 0.05, 0.3, -0.25, 0.15];
const GB = [-0.3, 0.6];

type Make = (params: Tensor[]) => Optimizer<OptimizerOptions, object>;

const CASES: [string, Make, number?][] = [
  ['SGD', (p) => new SGD(p, { lr: 0.1 })],
  ['SGD with Nesterov momentum and weight decay', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['SGD with dampened momentum, maximizing', (p) => new SGD(p, { lr: 0.05, momentum: 0.8, dampening: 0.2, maximize: true })],
  ['Adam', (p) => new Adam(p, { lr: 0.01 })],
  ['Adam with AMSGrad, L2 decay, maximizing', (p) => new Adam(p, { lr: 0.01, amsgrad: true, weightDecay: 0.1, maximize: true })],
  ['AdamW', (p) => new AdamW(p, { lr: 0.01, weightDecay: 0.1 })],
  ['RMSprop', (p) => new RMSprop(p, { lr: 0.01 })],
  ['RMSprop centered with momentum and weight decay', (p) => new RMSprop(p, { lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.05 })],
  ['Adagrad with lr decay and an initial accumulator', (p) => new Adagrad(p, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1, weightDecay: 0.02 })],
  ['NAdam with decoupled weight decay', (p) => new NAdam(p, { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true })],
  ['NAdam with L2 decay, maximizing', (p) => new NAdam(p, { lr: 0.01, weightDecay: 0.1, maximize: true })],
  // ρₜ > 5 from step 6 on (β₂ = 0.9), so 8 steps cover both branches
  ['RAdam through both branches of ρₜ > 5', (p) => new RAdam(p, { lr: 0.01, betas: [0.8, 0.9], weightDecay: 0.05 }), 7],
  ['Adamax', (p) => new Adamax(p, { lr: 0.01, weightDecay: 0.01 })],
  ['Adadelta', (p) => new Adadelta(p, { rho: 0.8, weightDecay: 0.01 })],
];

/** 1 + `later` steps of `make` on fixed gradients; the transfers of the later steps and the final parameters. */
async function run(device: DeviceName, make: Make, later = 3): Promise<{ later: { writes: number; reads: number }; params: number[][] }> {
  const w = tensor([W0.slice(0, 3), W0.slice(3)], { device, requiresGrad: true });
  const b = tensor(B0, { device, requiresGrad: true });
  w.grad = tensor([GW.slice(0, 3), GW.slice(3)], { device });
  b.grad = tensor(GB, { device });
  const opt = make([w, b]);
  opt.step(); // creates the state
  const before = transfers().devices[device];
  for (let i = 0; i < later; i++) {
    opt.step();
    noGrad(() => scope(() => (w.grad as Tensor).assign((w.grad as Tensor).mul(0.9)))); // a changing gradient, still no upload
  }
  const after = transfers().devices[device];
  const counts = { writes: after.writes - before.writes, reads: after.reads - before.reads };
  const params = [Array.from(await w.data()), Array.from(await b.data())];
  for (const state of opt.state.values()) for (const v of Object.values(state)) if (typeof v === 'object' && v) (v as Tensor).dispose();
  w.dispose();
  b.dispose();
  return { later: counts, params };
}

describe.skipIf(!WEBGPU)('optimizer steps upload nothing on WebGPU', () => {
  for (const [name, make, later] of CASES) {
    it(`${name}: zero writes and reads after the first step, the CPU's parameters`, async () => {
      const mem = memory().devices.webgpu;
      const gpu = await run('webgpu', make, later);
      expect(gpu.later).toEqual({ writes: 0, reads: 0 });
      expect(memory().devices.webgpu).toEqual(mem);
      const cpu = await run('cpu', make, later);
      expectClose(gpu.params[0], cpu.params[0], { rtol: 1e-5, atol: 1e-6, what: `${name} weight` });
      expectClose(gpu.params[1], cpu.params[1], { rtol: 1e-5, atol: 1e-6, what: `${name} bias` });
      expect(gpu.params[0]).not.toEqual(W0.map((v) => Math.fround(v))); // the steps did move the parameters
    });
  }
});
