// Registered by vitest.config.ts `setupFiles`: the shared matchers every tensor test file can use,
// and a settled memory count at the start of each test.
import { beforeEach } from 'vitest';
import { memory } from '../../src/index';
import './all-close';

// Tensors an earlier test left to the garbage collector are collected before the next test starts
// (vitest runs with --expose-gc), so their finalizers cannot fire in the middle of a test and move
// its memory() before/after checks. Skipped when nothing is alive (most tests), to stay cheap.
beforeEach(async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  // up to three rounds: a collection can free objects whose finalizers let more be collected
  for (let round = 0, alive = memory().tensors; round < 3 && alive > 0; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const now = memory().tensors;
    if (now === alive) break;
    alive = now;
  }
});
