// Runs examples/compress-mnist in its --small mode (tiny subsets, one short epoch per row) and
// checks that the table has every row with sane values. The example imports the built packages.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { init, memory } from '@aimodel/nn';
import { describe, expect, it } from 'vitest';
import { main } from '../../../examples/compress-mnist/index.mjs';
import { unpinTensors } from '../../tensor/test/helpers/pin-tensors';

const ROWS = [
  'float32 baseline',
  'pruned 90% unstructured (gradual)',
  'structured 50% channels (shrunk)',
  'PTQ int8 per-tensor',
  'PTQ int8 per-channel',
  'QAT int8 (1 epoch)',
  'pruned 90% + int8 per-channel',
  'student ¼ alone (3 seeds)',
  'student ¼ distilled (3 seeds)',
];

describe('examples/compress-mnist', () => {
  it('main({ small: true }) prints the table with every row and sane values', async () => {
    await init({ device: 'cpu' });
    const before = memory().tensors;
    const lines: string[] = [];
    const { rows, table, bars } = await main({ small: true, log: (l) => lines.push(l) });
    expect(rows.map((r) => r.name)).toEqual(ROWS);
    const row = (name: string) => rows[ROWS.indexOf(name)];
    const [base] = rows;
    // the float baseline after one short epoch on 256 images is far better than chance (10%)
    expect(base.accuracy).toBeGreaterThan(0.4);
    expect(base.parameters).toBe(105_962);
    expect(base.fileBytes).toBeGreaterThan(4 * 105_962);
    for (const r of rows) {
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
      expect(r.gzipBytes).toBeGreaterThan(0);
      expect(r.gzipBytes).toBeLessThanOrEqual(r.fileBytes + 64);
      expect(r.cpuMs).toBeGreaterThan(0);
      expect(r.gpuMs).toBeNull();
      expect(table).toContain(`| ${r.name} |`);
    }
    // int8 keeps the float model's predictions nearly everywhere, in about a quarter of the bytes
    for (const name of ['PTQ int8 per-tensor', 'PTQ int8 per-channel', 'pruned 90% + int8 per-channel']) {
      expect(row(name).fileBytes).toBeLessThan(0.27 * base.fileBytes);
    }
    expect(Math.abs(row('PTQ int8 per-channel').accuracy - base.accuracy)).toBeLessThan(0.05);
    // 90% of the weights are zero; structured pruning and the students keep about a quarter
    const pruned = row('pruned 90% unstructured (gradual)');
    expect(pruned.nonZeros).toBeLessThan(0.15 * pruned.parameters);
    expect(row('structured 50% channels (shrunk)').parameters).toBe(26_746);
    expect(row('student ¼ alone (3 seeds)').parameters).toBe(26_746);
    for (const name of ['student ¼ alone (3 seeds)', 'student ¼ distilled (3 seeds)']) {
      expect(row(name).accuracies).toHaveLength(3);
      expect(row(name).accuracyStd).not.toBeNull();
      expect(table).toMatch(new RegExp(`\\| ${name.replace(/[()]/g, '\\$&')} \\| \\d+\\.\\d\\d ± \\d+\\.\\d\\d \\|`));
    }
    // zeros gzip away: pruned + int8 + gzip is far smaller than the float file
    expect(base.fileBytes / row('pruned 90% + int8 per-channel').gzipBytes).toBeGreaterThan(15);
    expect(bars.map((b) => b.bar)).toHaveLength(7);
    expect(lines.join('\n')).toContain(table);
    // what fit and the optimizers left (e.g. Adam's moments) goes with the garbage collector
    unpinTensors(); // the test setup keeps undisposed tensors from the collector until told
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 20 && memory().tensors !== before; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(memory().tensors).toBe(before);
  });

  it("main({ only: 'qat', seeds }) runs the baseline and one QAT row per seed, each with its bar", async () => {
    const lines: string[] = [];
    const { rows, table, bars } = await main({ small: true, only: 'qat', seeds: [0, 1], log: (l) => lines.push(l) });
    expect(rows.map((r) => r.name)).toEqual(['float32 baseline', 'QAT int8 (1 epoch, seed 0)', 'QAT int8 (1 epoch, seed 1)']);
    expect(bars.map((b) => b.bar)).toEqual(['QAT int8 loses ≤ 0.1 points (1 epoch, seed 0)', 'QAT int8 loses ≤ 0.1 points (1 epoch, seed 1)']);
    for (const [i, b] of bars.entries()) {
      const drop = (rows[0].accuracy - rows[i + 1].accuracy) * 100;
      expect(b.met).toBe(drop <= 0.1 + 1e-9);
    }
    for (const r of rows.slice(1)) expect(r.fileBytes).toBeLessThan(0.27 * rows[0].fileBytes); // int8
    expect(table.split('\n')).toHaveLength(5); // header, rule, 3 rows
    expect(lines.join('\n')).toContain(table);
    await expect(main({ small: true, only: 'ptq' as 'qat' })).rejects.toThrow(/--only: expected 'qat'/);
    await expect(main({ small: true, seeds: [0, 1] })).rejects.toThrow(/several QAT seeds are for --only qat/);
    await expect(main({ small: true, seed: 1 } as Parameters<typeof main>[0])).rejects.toThrow(/compress-mnist main: unknown option 'seed'/);
  });
});
