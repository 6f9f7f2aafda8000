import { describe, expect, it } from 'vitest';
import { memory, randn, type Tensor } from '../../src/index';

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

  it('frees tensors and graph memory that were never disposed once they are unreachable', async () => {
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
  });
});
