import { describe } from 'vitest';
import { DEVICES } from '../helpers';
import { WEBGPU_PARTS } from '../op-table';
import { opTableSuite } from '../op-table/loops';

// The op table on WebGPU (linalg, convolution, pooling, nn, indexing, shape, breadth, sorting and quantized ops): values and gradients against the CPU backend,
// PyTorch's values where a sample states them. Skipped without an adapter, unless
// AIMODEL_REQUIRE_WEBGPU=1 (CI), which fails instead.
describe.skipIf(!DEVICES.includes('webgpu'))('structured ops', () => opTableSuite('webgpu', WEBGPU_PARTS.structured));
