// Keeps every tensor a test file creates strongly reachable until the file ends, so that the
// garbage-collection safety net (the FinalizationRegistry in src/tensor.ts that frees undisposed
// tensors) never runs during the tests.
//
// Why: a tensor a test forgot to dispose is freed by the safety net whenever the collector happens
// to run, typically during a later test's awaits, between its memory() "before" and "after"
// readings: a flaky failure far from its cause (CI saw it in transfers.test.ts). Collecting first
// (gc() before each test) only made it rarer. Pinned, undisposed tensors stay counted by memory()
// until the file ends, whatever the collector does: every memory() comparison is deterministic, and
// a leak inside the window it checks always shows instead of sometimes.
//
// Each package's vitest setup file calls pinTensors with its own Tensor class and memory (tensor's
// src, or @aimodel/tensor's dist for the other packages: the instance its tests use). Tests of the
// safety net itself call unpinTensors.
import { afterAll } from 'vitest';

interface Api {
  /** The Tensor class (tests' instance of it): only what `instanceof` needs. */
  Tensor: { [Symbol.hasInstance](value: unknown): boolean };
  memory: () => { tensors: number; collected: number };
}

const pinned = new Set<object>();
let pinning = false;

/** Pin every tensor (and autograd's internal handles) created from now until the file ends. */
export function pinTensors({ Tensor, memory }: Api): void {
  const { register, unregister } = FinalizationRegistry.prototype;
  // Tensor's constructor registers each new tensor with the safety net (the one place they all
  // pass) and dispose() unregisters it, with itself as the token: so the pins are exactly the
  // undisposed tensors, and disposed ones are not kept from the collector
  FinalizationRegistry.prototype.register = function (this: FinalizationRegistry<unknown>, target, held, token) {
    if (pinning && target instanceof Tensor) pinned.add(target);
    return register.call(this, target, held, token);
  };
  FinalizationRegistry.prototype.unregister = function (this: FinalizationRegistry<unknown>, token) {
    pinned.delete(token);
    return unregister.call(this, token);
  };
  pinning = true;
  const collectedBefore = memory().collected;
  afterAll(() => {
    if (!pinning) return;
    // the pin works: nothing was collected, and every tensor still alive is pinned
    const { tensors, collected } = memory();
    const alive = pinned.size;
    pinned.clear();
    if (collected !== collectedBefore || alive < tensors) {
      throw new Error(
        `pinTensors: the safety net freed ${collected - collectedBefore} tensor(s) and ${tensors} are alive but ${alive} pinned: did Tensor stop registering with FinalizationRegistry?`,
      );
    }
  });
}

/**
 * Leave this file's undisposed tensors to the garbage collector again, from now on: for tests of
 * the safety net itself (the file's last tests, since a later memory() comparison is exposed again).
 */
export function unpinTensors(): void {
  pinning = false;
  pinned.clear();
}
