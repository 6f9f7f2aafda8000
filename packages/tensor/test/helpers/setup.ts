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
  if (!gc || memory().tensors === 0) return;
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 0));
});
