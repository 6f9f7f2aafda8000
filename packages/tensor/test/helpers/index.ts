import { describe, expect } from 'vitest';
import { requestGpu } from '../../src/backend/webgpu/gpu';
import { type DeviceName, init, type Tensor, gradcheck, type GradcheckOptions, scope, tensor } from '../../src/index';
import type { AllCloseTolerance } from './all-close';

const env = process.env;

/**
 * Dawn flags for every device the tests open, from AIMODEL_TEST_DAWN_FLAGS (comma-separated), e.g.
 * `enable-dawn-features=disable_robustness` to check that no kernel relies on Dawn's index clamping.
 */
const dawnFlags = (env.AIMODEL_TEST_DAWN_FLAGS ?? '').split(',').filter(Boolean);

/**
 * A WebGPU device for tests that drive the backend directly, or null when this machine has no
 * adapter (or no `webgpu` package). With AIMODEL_REQUIRE_WEBGPU=1 a missing adapter throws, so
 * the suite fails instead of skipping.
 */
export async function openTestGpu(): Promise<GPUDevice | null> {
  try {
    return await requestGpu({ dawnFlags });
  } catch (e) {
    if (env.AIMODEL_REQUIRE_WEBGPU === '1') throw new Error(`AIMODEL_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${(e as Error).message}`);
    return null;
  }
}

async function availableDevices(): Promise<DeviceName[]> {
  try {
    await init({ device: 'webgpu', webgpu: { dawnFlags } });
  } catch (e) {
    if (env.AIMODEL_REQUIRE_WEBGPU === '1') throw new Error(`AIMODEL_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${(e as Error).message}`);
    return ['cpu'];
  } finally {
    await init({ device: 'cpu' }); // the default device stays the CPU; tests pass `device` explicitly
  }
  return ['cpu', 'webgpu'];
}

/**
 * Devices available here: the CPU, plus WebGPU when an adapter exists (any adapter, lavapipe
 * included). With AIMODEL_REQUIRE_WEBGPU=1 a missing adapter fails the suite instead of skipping.
 */
export const DEVICES: DeviceName[] = await availableDevices();

/**
 * A describe block for a family's hand-computed value tests (`test/ops/<family>.test.ts`). They
 * stay on the CPU: they read synchronously and gradcheck on the CPU. Every op on every device
 * (values vs the CPU, gradients, disposal and device errors) is driven by the op table instead:
 * `test/op-table.ts` and `test/ops/op-table*.test.ts`.
 */
export function describeOnCpu(name: string, body: (device: DeviceName) => void): void {
  describe(`${name} [cpu]`, () => {
    body('cpu');
  });
}

export async function ensureDevice(device: DeviceName): Promise<void> {
  await init({ device });
}

/**
 * Elementwise closeness by the shared `toBeAllClose` rule (test/helpers/all-close.ts).
 * @deprecated Write `expect(actual).toBeAllClose(expected, tol)`; this remains only for the test
 * files not yet migrated (test/parity/{matmul,norm,attention}, test/webgpu/*).
 */
export function expectClose(actual: unknown, expected: unknown, tol?: AllCloseTolerance): void {
  expect(actual).toBeAllClose(expected, tol);
}

/** Assert that autograd's gradients match central differences for every input element. */
export function expectGradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts?: GradcheckOptions): void {
  const r = gradcheck(fn, inputs, opts);
  if (!r.ok) {
    const m = r.mismatches.slice(0, 5).map((x) => `input ${x.input}[${x.index}]: analytic ${x.analytic}, numeric ${x.numeric}`);
    expect.fail(`gradcheck failed (max error ${r.maxError}):\n${m.join('\n')}`);
  }
}

/** Deterministic pseudo-random floats in [lo, hi) (a tiny LCG; independent of the library's RNG). */
export function randomValues(n: number, seed = 1, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  });
}

/** Values kept away from zero (|v| ≥ margin), for ops with kinks or poles at 0. */
export function awayFromZero(n: number, seed = 1, margin = 0.2): number[] {
  return randomValues(n, seed).map((v) => (v >= 0 ? v + margin : v - margin));
}

/** A float32 tensor of `shape` on `device` holding {@link randomValues}(its size, seed, lo, hi). */
export function randomTensor(device: DeviceName, shape: readonly number[], seed = 1, lo = -1, hi = 1): Tensor {
  return tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    { device },
  ).reshape(shape);
}

/** Σ y·c with fixed distinct pseudo-random coefficients c (seeded), so a gradcheck sees where every element of y went. */
export function weightedSum(y: Tensor, seed = 3): Tensor {
  return y.mul(randomTensor(y.device, y.shape, seed)).sum();
}

/** The error `fn` throws when run inside a `scope` (which frees what it allocated), or undefined when it returns. */
export function errorIn(fn: () => unknown): unknown {
  try {
    scope(() => {
      fn();
    });
  } catch (e) {
    return e;
  }
  return undefined;
}
