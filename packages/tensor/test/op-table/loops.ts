import { describe, expect, it } from 'vitest';
import { fromArray } from '../../src/creation';
import { AimodelError, DeviceError, type DeviceName, DisposedError, type DType, gradcheck, memory, scope, type Tensor } from '../../src/index';
import { DEVICES, errorIn, randomValues } from '../helpers';
import { numel, type OpInfo, type OpResult, type Sample, type Tol } from './samples';

/**
 * The op table's shared loops (STYLE.md §14), run by `test/ops/op-table*.test.ts` (the CPU and the
 * completeness checks in one file, WebGPU in two files by op family so that vitest's two forks
 * split the cold shader compiles). On every available device (WebGPU required in CI by
 * AIMODEL_REQUIRE_WEBGPU=1), for every sample of every op: the values, shapes and dtypes against
 * the CPU backend and against PyTorch's results where the sample states them; gradients by
 * central differences on the CPU (gradcheck) and, on other devices, the analytic gradients
 * against the CPU's (which the gradcheck verifies); memory flat afterwards. Then disposed inputs
 * raise DisposedError and an input on another device DeviceError. Hand-computed values and error
 * texts stay in each family's test file.
 */

const outputsOf = (r: OpResult): Tensor[] => (Array.isArray(r) ? r : [r]);
const isFloat = (d: DType | undefined) => (d ?? 'float32') === 'float32';

/** The sample's leaves on `device` (float32 ones track gradients for differentiable ops), and the views the op sees. */
function leaves(s: Sample, device: DeviceName, grad: boolean): { xs: Tensor[]; seen: Tensor[] } {
  const xs = s.inputs.map((i) => fromArray(i.values, i.shape, { device, dtype: i.dtype ?? 'float32', requiresGrad: grad && isFloat(i.dtype) && !i.constant }));
  return { xs, seen: xs.map((x, k) => s.inputs[k].view?.(x) ?? x) };
}

/** Σᵢ Σ outᵢ · wᵢ with fixed pseudo-random weights wᵢ: one scalar whose gradient seeds every output. */
function weightedSum(outs: Tensor[]): Tensor {
  return outs.map((o, i) => o.mul(fromArray(randomValues(o.numel(), 99 + i), o.shape, { device: o.device })).sum()).reduce((a, b) => a.add(b));
}

/** Live tensors and bytes on `device` (leaks show here). */
const held = (device: DeviceName) => {
  const { tensors, bytes } = memory().devices[device];
  return { tensors, bytes };
};

const callOf = (info: OpInfo, s: Sample) => s.call ?? info.call;
/** Whether gradients are compared for this sample: a differentiable op, a float32 input, float32 outputs. */
const hasGrads = (info: OpInfo, s: Sample) => info.differentiable && s.inputs.some((i) => isFloat(i.dtype) && !i.constant);

interface Outcome {
  shapes: number[][];
  dtypes: DType[];
  values: unknown[];
  grads: unknown[];
}

/** Run one sample on `device`: outputs, and the gradients of the float32 inputs. */
async function evaluate(info: OpInfo, s: Sample, device: DeviceName): Promise<Outcome> {
  const grad = hasGrads(info, s);
  const r = scope(() => {
    const { xs, seen } = leaves(s, device, grad);
    const outs = outputsOf(callOf(info, s)(...seen));
    const backward = grad && outs.every((o) => o.dtype === 'float32');
    if (backward) weightedSum(outs).backward();
    return { xs, outs, grads: backward ? xs.filter((x) => x.requiresGrad).map((x) => x.grad) : [] };
  });
  for (const o of r.outs) expect(o.device, `${info.name}: ${s.name}: output device`).toBe(device);
  const out: Outcome = {
    shapes: r.outs.map((o) => [...o.shape]),
    dtypes: r.outs.map((o) => o.dtype),
    values: await Promise.all(r.outs.map((o) => o.data())),
    grads: await Promise.all(r.grads.map((g) => (g ? g.data() : null))),
  };
  for (const t of [...r.outs, ...r.grads, ...r.xs]) t?.dispose();
  return out;
}

/** Central differences of Σ out·w on the CPU, for the float32 inputs (the others held fixed). */
function expectGradcheck(info: OpInfo, s: Sample): void {
  const { xs, seen } = leaves(s, 'cpu', false);
  const floatAt = s.inputs.flatMap((i, k) => (isFloat(i.dtype) && !i.constant ? [k] : []));
  const fn = (...ds: Tensor[]) => {
    const args = seen.map((x, k) => (floatAt.includes(k) ? (s.inputs[k].view?.(ds[floatAt.indexOf(k)]) ?? ds[floatAt.indexOf(k)]) : x));
    return weightedSum(outputsOf(callOf(info, s)(...args)));
  };
  const r = gradcheck(
    fn,
    floatAt.map((k) => xs[k]),
    info.gradTol,
  );
  for (const x of [...seen, ...xs]) x.dispose();
  const m = r.mismatches.slice(0, 3).map((e) => `input ${e.input}[${e.index}]: analytic ${e.analytic}, numeric ${e.numeric}`);
  expect(r.ok, `${info.name}: ${s.name}: gradcheck (max error ${r.maxError})\n${m.join('\n')}`).toBe(true);
}

const gradTol = (t: Tol): Tol => ({ rtol: Math.max(t.rtol, 1e-4), atol: Math.max(t.atol, 1e-5) }); // gradients sum more terms

async function checkSample(info: OpInfo, s: Sample, device: DeviceName): Promise<void> {
  const before = held(device);
  const what = `${info.name}: ${s.name}`;
  const tol = s.tol ?? info.tol;
  const got = await evaluate(info, s, device);
  if (s.dtype) expect(got.dtypes[0], `${what}: dtype`).toBe(s.dtype);
  if (s.expected) expect(got.values, `${what}: PyTorch's values on ${device}`).toBeAllClose(s.expected, tol);
  const reference = 'reference' in s ? s.reference : info.reference;
  if (reference) {
    const ref = await evaluate({ ...info, differentiable: false }, { ...s, call: reference }, device);
    expect(got.dtypes, `${what}: dtype as the reference`).toEqual(ref.dtypes);
    expect(got.values, `${what}: values as the reference on ${device}`).toBeAllClose(ref.values, tol);
  }
  if (device === 'cpu') {
    const grad = hasGrads(info, s) && s.gradcheck !== false && got.dtypes.every((d) => d === 'float32');
    if (grad && got.shapes.some((sh) => numel(sh) > 0)) expectGradcheck(info, s);
  } else {
    const want = await evaluate(info, s, 'cpu');
    expect(got.shapes, `${what}: shapes`).toEqual(want.shapes);
    expect(got.dtypes, `${what}: dtypes`).toEqual(want.dtypes);
    expect(got.values, `${what}: values on ${device} vs cpu`).toBeAllClose(want.values, tol);
    expect(got.grads.length, `${what}: gradients`).toBe(want.grads.length);
    got.grads.forEach((g, k) => {
      if (g === null || want.grads[k] === null) expect(g, `${what}: gradient ${k} exists on both`).toEqual(want.grads[k]);
      else expect(g, `${what}: gradient ${k} on ${device} vs cpu`).toBeAllClose(want.grads[k], gradTol(tol));
    });
  }
  expect(held(device), `${what}: memory on ${device} is flat`).toEqual(before);
}

/** `fn` throws `kind`, raised by an @aimodel op. */
function expectThrows(fn: () => unknown, kind: typeof DisposedError | typeof DeviceError, what: string): void {
  const err = errorIn(fn);
  expect(err, what).toBeInstanceOf(kind);
  expect(AimodelError.isInstance(err) && typeof err.op === 'string', what).toBe(true);
}

/** Each tensor input disposed in turn: DisposedError; each on another device in turn: DeviceError. */
function checkErrors(info: OpInfo, device: DeviceName): void {
  const s = info.samples[info.errorSample ?? 0];
  const call = callOf(info, s);
  const before = held(device);
  s.inputs.forEach((_, k) => {
    const { xs } = leaves(s, device, false);
    xs[k].dispose();
    expectThrows(() => call(...xs), DisposedError, `${info.name}: input ${k} disposed`);
    for (const x of xs) x.dispose();
  });
  const other = DEVICES.find((d) => d !== device);
  if (other && s.inputs.length >= 2) {
    s.inputs.forEach((input, k) => {
      const { xs } = leaves(s, device, false);
      const moved = fromArray(input.values, input.shape, { device: other, dtype: input.dtype ?? 'float32' });
      const args = xs.map((x, j) => (j === k ? moved : x));
      expectThrows(() => call(...args), DeviceError, `${info.name}: input ${k} on ${other}, the rest on ${device}`);
      for (const x of [...xs, moved]) x.dispose();
    });
  }
  expect(held(device), `${info.name}: memory on ${device} is flat`).toEqual(before);
}

/**
 * One test per sample of every op in `ops` on `device` (a cold shader cache compiles each new kernel
 * once, so tests stay short), and the disposed-input / other-device checks per op.
 */
export function opTableSuite(device: DeviceName, ops: readonly OpInfo[]): void {
  describe(`op table [${device}]`, () => {
    const checks = device === 'cpu' ? "PyTorch's values, gradcheck" : "values and gradients vs the CPU, PyTorch's values";
    for (const info of ops) {
      describe(`${info.name} (${checks})`, () => {
        for (const s of info.samples) it(s.name, () => checkSample(info, s, device));
        it(`disposed inputs${DEVICES.length > 1 ? ', inputs on another device' : ''}`, () => checkErrors(info, device));
      });
    }
  });
}
