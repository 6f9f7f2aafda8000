import { describe, expect, it } from 'vitest';
import { memory, randn, type Tensor } from '../../src/index';
import { unpinTensors } from '../helpers/pin-tensors';

const gc = (globalThis as { gc?: () => void }).gc;

async function collect(): Promise<void> {
  // FinalizationRegistry callbacks run in later tasks after a collection; give them a few turns
  for (let i = 0; i < 10; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('garbage-collection safety net', () => {
  it('runs with --expose-gc', () => {
    expect(typeof gc).toBe('function');
  });

  it('frees tensors and graph memory that were never disposed once they are unreachable, and counts them in memory().collected', async () => {
    unpinTensors(); // the test setup pins tensors so that the safety net never runs: this test is of the safety net
    await collect();
    const before = memory();
    (() => {
      const w = randn([64, 64], { requiresGrad: true });
      let h: Tensor = w;
      for (let i = 0; i < 5; i++) h = h.matmul(w).tanh(); // intermediates + autograd graph, no dispose
      expect(memory().tensors).toBeGreaterThan(before.tensors + 10);
    })();
    await collect();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    expect(after.collected - before.collected).toBe(11); // w, and each step's matmul and tanh: autograd's internal handles are not counted
  });

  it('counts in memory().collected only tensors that were never disposed', async () => {
    const before = memory();
    (() => {
      const x = randn([8], { requiresGrad: true });
      const y = x.mul(2).sum();
      y.backward();
      for (const t of [x, y]) t.dispose(); // the mul() in between is left undisposed on purpose
    })();
    await collect();
    expect(memory().collected - before.collected).toBe(1);
    expect(memory().tensors).toBe(before.tensors);
  });
});
