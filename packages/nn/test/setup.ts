// Registered by vitest.config.ts `setupFiles`: pins every tensor a test file creates until the file
// ends, so that the GC safety net cannot free an undisposed one in the middle of a later test's
// memory() checks (see tensor/test/helpers/pin-tensors.ts).
import { memory, Tensor } from '@aimodel/tensor';
import { pinTensors } from '../../tensor/test/helpers/pin-tensors';

pinTensors({ Tensor, memory });
