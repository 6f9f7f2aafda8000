import { afterAll, expect } from 'vitest';
import type { View } from '../../src/backend/backend';
import { CpuBackend } from '../../src/backend/cpu';
import { WebGpuBackend } from '../../src/backend/webgpu';
import { fromArray } from '../../src/creation';
import type { DType } from '../../src/dtype';
import { type DeviceName, type NestedArray, scope, type Tensor, tensor } from '../../src/index';
import { openTestGpu, randomValues } from '../helpers';

/** A host input: values, shape, dtype, and whether its gradient is compared. */
export interface Input {
  values: number[];
  shape: number[];
  dtype?: DType;
  grad?: boolean;
}

/** A result on one device: the output, its dtype, and the gradients of the inputs that asked. */
export interface Outcome {
  value: NestedArray;
  dtype: DType;
  grads: NestedArray[];
}

export const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Seeded integers in [lo, hi] (hi inclusive) of `dtype`. */
export function ints(shape: number[], lo: number, hi: number, seed: number, dtype: DType = 'int32'): Input {
  const values = randomValues(numelOf(shape), seed, 0, 1).map((u) => lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1))));
  return { values, shape, dtype };
}

/** Run `fn` on `device`; when an input asks for its gradient, backpropagate a fixed seed gradient. */
export async function runOn(device: DeviceName, inputs: readonly Input[], fn: (...xs: Tensor[]) => Tensor): Promise<Outcome> {
  const xs = inputs.map((i) => fromArray(i.values, i.shape, { device, dtype: i.dtype, requiresGrad: i.grad }));
  const y = scope(() => fn(...xs)); // intermediates freed now, not by a later GC (memory() checks after this stay exact)
  expect(y.device).toBe(device);
  const value = await y.toArray();
  const grads: NestedArray[] = [];
  if (inputs.some((i) => i.grad)) {
    const seed = fromArray(randomValues(y.numel(), 99), y.shape, { device });
    y.backward(seed);
    for (const [k, x] of xs.entries()) {
      if (!inputs[k].grad) continue;
      expect(x.grad?.device).toBe(device);
      grads.push(await (x.grad as Tensor).toArray());
    }
    seed.dispose();
  }
  const dtype = y.dtype;
  y.dispose();
  for (const x of xs) x.dispose();
  return { value, dtype, grads };
}

/** The same seeded float32 values as a CPU tensor and a WebGPU tensor (both leaves). */
export function both(shape: number[], seed: number, requiresGrad = false, [lo, hi] = [-1, 1]): { c: Tensor; g: Tensor } {
  const values = Float32Array.from(randomValues(numelOf(shape), seed, lo, hi));
  const c = tensor(values).reshape(shape).detach();
  const g = c.to('webgpu').detach();
  c.requiresGrad = requiresGrad;
  g.requiresGrad = requiresGrad;
  return { c, g };
}

/** A WebGPU result against its CPU counterpart: device, shape and values within `tol`. */
export async function expectSame(g: Tensor, c: Tensor, tol: { rtol: number; atol: number }): Promise<void> {
  expect(g.device).toBe('webgpu');
  expect(g.shape).toEqual(c.shape);
  expect(await g.data()).toBeAllClose(await c.data(), tol);
}

/** One operand on both backends, for the kernel-level tests. */
export interface Pair {
  c: View;
  g: View;
}

/**
 * The backends the kernel-level tests drive directly: a CPU backend and a WebGPU backend on a test
 * device of this file's own (destroyed after the file), or `device` null without an adapter (the
 * tests skip; with AIMODEL_REQUIRE_WEBGPU=1 `openTestGpu` throws instead). Call at top level.
 */
export async function kernelBackends(): Promise<{ device: GPUDevice | null; gpu: WebGpuBackend; cpu: CpuBackend }> {
  const device = await openTestGpu();
  afterAll(() => device?.destroy());
  return { device, gpu: device ? new WebGpuBackend(device) : (null as unknown as WebGpuBackend), cpu: new CpuBackend() };
}
