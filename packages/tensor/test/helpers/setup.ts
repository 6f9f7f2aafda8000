// Registered by vitest.config.ts `setupFiles`: the shared matchers every tensor test file can use,
// and the pinning of undisposed tensors, so that the GC safety net cannot free them in the middle
// of a later test's memory() checks (pin-tensors.ts).
import { memory, Tensor } from '../../src/index';
import './all-close';
import { pinTensors } from './pin-tensors';

pinTensors({ Tensor, memory });
