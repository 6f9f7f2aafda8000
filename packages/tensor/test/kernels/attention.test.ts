import { describe, it } from 'vitest';
import { attentionParity } from '../parity/attention-harness';
import { kernelBackends } from '../parity/harness';

// `npm run test:kernels`: the attention kernels on every head width class they bake in (16, 32,
// 64, 128), the row kernels' backward, masks and narrow heads, and batch rank 0.
// test/parity/attention.test.ts covers the kernel paths with fewer shader variants in the default
// run. On lavapipe each kernel's first dispatch JIT-compiles it through LLVM: 2–50 s of CPU per
// kernel with a cold shader cache (the row kernels cost the most), hence the long timeout.
const { device, gpu, cpu } = await kernelBackends();
const { expectParity, expectFullyMaskedRow } = device ? attentionParity(gpu, cpu) : ({} as ReturnType<typeof attentionParity>);
const JIT = { timeout: 300_000 };

describe.skipIf(!device)('webgpu attention kernels, every head width class and both kernel families', JIT, () => {
  it('tiled kernels, 32-wide heads, and 64-wide heads of other widths', async () => {
    await expectParity({ batch: [2], L: 3, S: 40, E: 20, Ev: 5 }, 40);
    await expectParity({ batch: [2], L: 33, S: 9, E: 64, Ev: 48 }, 60);
  });

  it('tiled kernels without batch dims (batch rank 0): 32-wide and 64-wide heads', async () => {
    await expectParity({ batch: [1], L: 9, S: 11, E: 32, Ev: 30 }, 70);
    await expectParity({ batch: [1], L: 97, S: 45, E: 20, Ev: 33 }, 140);
  });

  it('tiled kernels, 64-wide heads: float mask, transposed q and v, k/v broadcast', async () => {
    await expectParity({ batch: [2], L: 40, S: 71, E: 48, Ev: 40, mask: 'float', transposed: true, broadcastKv: true }, 170);
  });

  it('row kernels, 128-wide heads: forward and backward', async () => {
    await expectParity({ batch: [1], L: 20, S: 13, E: 100, Ev: 128 }, 80);
  });

  it('row kernels, 64-wide heads: causal, several row blocks', async () => {
    await expectParity({ batch: [2], L: 70, S: 70, E: 64, Ev: 64, causal: true }, 130, { tiled: false });
  });

  it('row kernels, narrow heads: float mask', async () => {
    await expectParity({ batch: [2], L: 5, S: 23, E: 12, Ev: 7, mask: 'float' }, 110, { tiled: false });
  });

  it('row kernels, narrow heads: transposed q and v, k/v shared by a 2-D batch', async () => {
    await expectParity({ batch: [2, 3], L: 11, S: 17, E: 8, Ev: 12, transposed: true, broadcastKv: true }, 120, { tiled: false });
  });

  it('row kernels, 32-wide heads: bool mask, causal', async () => {
    await expectParity({ batch: [3], L: 18, S: 10, E: 30, Ev: 5, mask: 'bool', causal: true }, 100, { tiled: false });
  });

  it('row kernel: a fully masked row gives NaN out and lse −∞', async () => {
    await expectFullyMaskedRow(false);
  });
});
