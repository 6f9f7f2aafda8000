// The page the browser test loads (built by Vite, as an app that installed @aimodel/tensor would be):
// it opens WebGPU through navigator.gpu, runs every case of cases.ts on WebGPU and on the CPU
// backend, and leaves a report on window.report for the test to read.
import * as am from '@aimodel/tensor';
import type { Tensor } from '@aimodel/tensor';
import { CASES, type Case, type CaseInput } from './cases';

/** How far one WebGPU array is from its CPU counterpart. */
export interface Comparison {
  /** Largest |gpu − cpu| / (atol + rtol·|cpu|): at most 1 passes; Infinity for a NaN or an infinity in one only, or any difference at zero tolerance. */
  worst: number;
  /** Where the worst element is, and its two values. */
  at: number;
  gpu: number;
  cpu: number;
  /** Elements compared, and the largest |cpu| (so an all-zero comparison is visible). */
  count: number;
  scale: number;
  shapes: [number[], number[]];
}

export interface CaseReport {
  name: string;
  ms: number;
  value: Comparison;
  grads: Comparison[];
  error?: string;
}

export interface Report {
  userAgent: string;
  adapter: { vendor?: string; architecture?: string; description?: string; features: string[] };
  autoDevice: string;
  device: string;
  cases: CaseReport[];
  errors: Record<string, { name: string; message: string; typed: boolean }>;
  memory: { before: am.DeviceMemory; after: am.DeviceMemory };
  training: { cpu: number[]; webgpu: number[] };
  /** What worker.ts posted: its device, a softmax's column sums and a gradient's row sums on both. */
  worker: { device?: string; gpu?: number[]; cpu?: number[]; grad?: [number[], number[]]; error?: string };
  fatal?: string;
}

/** Elementwise |g − c| ≤ atol + rtol·|c|; NaN matches NaN and an infinity only itself. */
function compare(g: ArrayLike<number>, c: ArrayLike<number>, shapes: [number[], number[]], rtol: number, atol: number): Comparison {
  const out: Comparison = { worst: g.length === c.length ? 0 : Number.POSITIVE_INFINITY, at: -1, gpu: 0, cpu: 0, count: c.length, scale: 0, shapes };
  for (let i = 0; i < Math.min(g.length, c.length); i++) {
    let r: number;
    if (g[i] === c[i] || (Number.isNaN(g[i]) && Number.isNaN(c[i]))) r = 0;
    else if (!Number.isFinite(g[i]) || !Number.isFinite(c[i])) r = Number.POSITIVE_INFINITY;
    else {
      const tol = atol + rtol * Math.abs(c[i]);
      r = tol === 0 ? Number.POSITIVE_INFINITY : Math.abs(g[i] - c[i]) / tol;
    }
    if (Number.isFinite(c[i])) out.scale = Math.max(out.scale, Math.abs(c[i]));
    if (r > out.worst || out.at < 0) Object.assign(out, { worst: Math.max(r, out.worst), at: i, gpu: g[i], cpu: c[i] });
  }
  return out;
}

function makeInput(spec: CaseInput): Tensor {
  if (spec.values) return am.tensor(spec.values, { device: 'cpu' }).reshape(spec.shape);
  if (spec.indexBelow !== undefined) return am.randint(0, spec.indexBelow, spec.shape, { device: 'cpu' });
  if (spec.mask) {
    const [rows, cols] = spec.shape.slice(-2);
    const eyeLike = am
      .arange(rows, undefined, 1, { device: 'cpu' })
      .unsqueeze(1)
      .eq(am.arange(cols, undefined, 1, { device: 'cpu' }).unsqueeze(0));
    return am.rand(spec.shape, { device: 'cpu' }).lt(0.7).add(eyeLike).gt(0);
  }
  if (spec.positive) return am.rand(spec.shape, { device: 'cpu' }).add(0.5);
  return am.randn(spec.shape, { device: 'cpu' });
}

interface Run {
  value: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  grads: { data: Float32Array; shape: number[] }[];
}

/** One case on one device, from the same CPU-made inputs; everything it made is disposed. */
async function runCase(c: Case, inputs: Tensor[], seedGrad: (shape: number[]) => Tensor, device: am.DeviceName): Promise<Run> {
  const xs = inputs.map((x, i) => {
    const t = x.to(device).detach();
    if (c.inputs[i].grad) t.requiresGrad = true;
    return t;
  });
  const y = c.fn(...xs);
  const run: Run = { value: (await y.data()) as Run['value'], shape: [...y.shape], grads: [] };
  if (c.inputs.some((i) => i.grad)) {
    const seed = seedGrad([...y.shape]);
    const g = seed.to(device);
    y.backward(g);
    if (g !== seed) g.dispose(); // on the CPU, to() returns the seed itself
    for (const [i, x] of xs.entries()) {
      if (!c.inputs[i].grad) continue;
      const grad = x.grad as Tensor;
      run.grads.push({ data: (await grad.data()) as Float32Array, shape: [...grad.shape] });
    }
  }
  y.dispose();
  for (const x of xs) {
    x.grad?.dispose();
    x.dispose();
  }
  return run;
}

async function runCases(): Promise<CaseReport[]> {
  const reports: CaseReport[] = [];
  for (const [k, c] of CASES.entries()) {
    const t0 = performance.now();
    am.manualSeed(1000 + k);
    const inputs = c.inputs.map(makeInput);
    const seeds: Tensor[] = [];
    const seedGrad = (shape: number[]) => {
      if (seeds.length === 0) seeds.push(am.randn(shape, { device: 'cpu' }));
      return seeds[0];
    };
    try {
      const cpu = await runCase(c, inputs, seedGrad, 'cpu');
      const gpu = await runCase(c, inputs, seedGrad, 'webgpu');
      reports.push({
        name: c.name,
        ms: performance.now() - t0,
        value: compare(gpu.value, cpu.value, [gpu.shape, cpu.shape], c.rtol, c.atol),
        grads: cpu.grads.map((cg, i) => compare(gpu.grads[i]?.data ?? [], cg.data, [gpu.grads[i]?.shape ?? [], cg.shape], c.rtol, c.atol)),
      });
    } catch (e) {
      reports.push({ name: c.name, ms: performance.now() - t0, value: compare([], [0], [[], []], 0, 0), grads: [], error: String((e as Error).stack ?? e) });
    }
    for (const t of [...inputs, ...seeds]) t.dispose();
  }
  return reports;
}

/** What a user sees for three mistakes on WebGPU tensors: typed errors, in the browser build too. */
function errorChecks(): Report['errors'] {
  const out: Report['errors'] = {};
  const attempt = (key: string, fn: () => unknown, type: abstract new (...args: never[]) => Error) => {
    try {
      fn();
      out[key] = { name: 'none', message: 'no error thrown', typed: false };
    } catch (e) {
      out[key] = { name: (e as Error).name, message: (e as Error).message, typed: e instanceof type };
    }
  };
  const a = am.ones([2, 3], { device: 'webgpu' });
  const b = am.ones([4, 5], { device: 'webgpu' });
  const c = am.ones([2, 3], { device: 'cpu' });
  attempt('matmul', () => a.matmul(b), am.ShapeError);
  attempt('dataSync', () => a.dataSync(), am.DeviceError);
  attempt('mixedDevices', () => a.add(c), am.DeviceError);
  for (const t of [a, b, c]) t.dispose();
  return out;
}

/** A two-layer MLP trained with plain SGD for 25 steps from the same start on one device: the losses. */
async function train(device: am.DeviceName): Promise<number[]> {
  am.manualSeed(7);
  const make = (shape: number[], scale: number) => am.randn(shape, { device: 'cpu' }).mul(scale).to(device).detach();
  const x = make([64, 20], 1);
  const target = make([64, 3], 1);
  const w1 = make([20, 32], 0.3);
  const w2 = make([32, 3], 0.3);
  for (const w of [w1, w2]) w.requiresGrad = true;
  const losses: number[] = [];
  for (let step = 0; step < 25; step++) {
    const loss = am.scope(() => {
      const l = x.matmul(w1).relu().matmul(w2).sub(target).pow(2).mean();
      l.backward();
      am.noGrad(() => {
        for (const w of [w1, w2]) {
          w.assign(w.sub((w.grad as Tensor).mul(0.1)));
          w.grad?.dispose();
          w.grad = null;
        }
      });
      return l.detach();
    });
    losses.push(await loss.item());
    loss.dispose();
  }
  for (const t of [x, target, w1, w2]) t.dispose();
  return losses;
}

async function main(): Promise<Report> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  const info = adapter?.info;
  const report: Report = {
    userAgent: navigator.userAgent,
    adapter: {
      vendor: info?.vendor,
      architecture: info?.architecture,
      description: info?.description,
      features: [...(adapter?.features ?? [])].map(String).sort(),
    },
    autoDevice: await am.init(),
    device: await am.init({ device: 'webgpu' }),
    cases: [],
    errors: {},
    memory: { before: am.memory().devices.webgpu, after: am.memory().devices.webgpu },
    training: { cpu: [], webgpu: [] },
    worker: {},
  };
  report.cases = await runCases();
  report.errors = errorChecks();
  report.training = { cpu: await train('cpu'), webgpu: await train('webgpu') };
  report.memory.after = am.memory().devices.webgpu;
  report.worker = await new Promise<Report['worker']>((resolve) => {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => resolve({ error: e.message });
  });
  return report;
}

declare global {
  interface Window {
    report: Promise<Report>;
  }
}

window.report = main().catch((e) => ({ fatal: String((e as Error).stack ?? e) }) as Report);
