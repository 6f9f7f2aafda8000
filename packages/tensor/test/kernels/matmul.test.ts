import { describe, it } from 'vitest';
import { MATMUL_TILES } from '../../src/backend/webgpu/kernels/matmul-candidates';
import { tileWorkgroupBytes } from '../../src/backend/webgpu/kernels/matmul.wgsl';
import { kernelBackends } from '../parity/harness';
import { COL, GAP, type Layout, matmulParity, ROW, type TileName } from '../parity/matmul-harness';

// `npm run test:kernels`: the matmul kernel on every tile configuration (the three pickTile
// chooses and the large tile's tuning candidates), each across tile and K-step edges on every
// load order, and int8 on every tile. test/parity/matmul.test.ts covers every operand loader and
// the chosen tiles with few shader variants in the default run. Each variant costs lavapipe
// seconds of CPU to compile on a cold shader cache, hence one test per tile and load order.
const { device, gpu, cpu } = await kernelBackends();
const expectParity = device ? matmulParity(gpu, cpu) : async () => {};
const JIT = { timeout: 300_000 };

const TILES = Object.keys(MATMUL_TILES) as TileName[];
const fits = (tile: TileName) => !!device && tileWorkgroupBytes(MATMUL_TILES[tile]) <= device.limits.maxComputeWorkgroupStorageSize;

// The load orders of the tuning candidates differ in how tiles reach workgroup memory (K step,
// double buffering, thread order of vec4-along-K loads): both orders of a vec4 operand (A
// row-major: vec4 along K; B transposed: vec4 along K too), a scalar one, a K that is not a
// multiple of the K step, K = 0, and 10 block-rows (more than one band of 8 for the banded ones).
const ORDERS: [string, number[], number, number, number, Layout, Layout][] = [
  ['A k4, B n4', [], 130, 37, 260, ROW, ROW],
  ['A k4, B k4 (transposed)', [], 129, 40, 131, ROW, COL],
  ['A generic, B k, unaligned K, batched', [2], 140, 9, 129, GAP, { kind: 'col', offset: 0 }],
  ['K = 0', [], 128, 0, 128, ROW, ROW],
  ['10 block-rows', [], 1157, 9, 260, ROW, ROW],
];

describe.skipIf(!device)('webgpu matmul kernel, every tile configuration and load order', JIT, () => {
  const cases = TILES.flatMap((tile) => ORDERS.map(([name, ...c]) => [tile, name, ...c] as const));
  it.each(cases)('%s tile: %s', async (tile, _name, batch, M, K, N, la, lb) => {
    if (!fits(tile)) return; // not on this adapter
    await expectParity(batch, M, K, N, la, lb, tile);
  });

  it.each(TILES)('int8 × int8 → int32 on the %s tile, exact, across tile edges', async (tile) => {
    if (!fits(tile)) return;
    await expectParity([], 130, 37, 129, ROW, ROW, tile, true);
  });

  it('int8 × int8 → int32: transposed operands', async () => {
    await expectParity([], 33, 64, 17, COL, ROW, undefined, true);
    await expectParity([], 9, 21, 40, ROW, COL, undefined, true);
  });

  it('more loader pairings: A m4 with B n4, A k at an unaligned offset with B n4, A k with B k on the large tile', async () => {
    await expectParity([], 33, 20, 12, { kind: 'col', offset: 0 }, ROW); // A m4, B n4
    await expectParity([], 16, 24, 8, { kind: 'row', offset: 1 }, { kind: 'row', offset: 4 }); // A k (unaligned offset), B n4
    await expectParity([], 140, 9, 129, ROW, { kind: 'col', offset: 0 }, 'large'); // A k, B k
  });
});
