import { describe, expect, it } from 'vitest';
import * as api from '../../src/index';
import { dropout, Generator, ones } from '../../src/index';
import { DEVICES } from '../helpers';
import { NOT_OPS, OPS, WEBGPU_PARTS } from '../op-table';
import { opTableSuite } from '../op-table/loops';
import { dtypesOf } from '../op-table/samples';

// The op table on the CPU (PyTorch's values, gradcheck), dropout's statistics on every device, and
// the table's completeness; on WebGPU the table runs from op-table-webgpu-*.test.ts (loops in
// test/op-table/loops.ts).
opTableSuite('cpu', OPS);

// dropout's table samples fix the mask with a seeded generator; here its statistics, per device
describe.each(DEVICES)('dropout statistics [%s]', (device) => {
  it('zeroes a fraction near p and scales the rest by 1/(1 − p); the same seed gives the same mask', async () => {
    const x = ones([4000], { device });
    const y = dropout(x, 0.25, true, { generator: new Generator({ seed: 11 }) });
    const again = dropout(x, 0.25, true, { generator: new Generator({ seed: 11 }) });
    const values = Array.from(await y.data());
    const zeros = values.filter((e) => e === 0).length / values.length;
    expect(zeros).toBeGreaterThan(0.22);
    expect(zeros).toBeLessThan(0.28);
    expect(values.every((e) => e === 0 || Math.abs(e - 4 / 3) < 1e-6)).toBe(true);
    expect(await again.data()).toEqual(await y.data());
    for (const t of [x, y, again]) t.dispose();
  });
});

describe('op table completeness', () => {
  const exported = [
    ...Object.entries(api)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name),
    ...Object.keys(api.linalg).map((name) => `linalg.${name}`),
  ];

  it('every function exported from src/index.ts has a table entry or a stated reason not to', () => {
    const covered = new Set([...OPS.map((o) => o.name), ...Object.keys(NOT_OPS)]);
    expect(exported.filter((name) => !covered.has(name))).toEqual([]);
  });

  it('every entry names an exported function, once, and has samples', () => {
    const names = OPS.map((o) => o.name);
    expect(
      names.filter((n, i) => names.indexOf(n) !== i),
      'entries named twice',
    ).toEqual([]);
    expect(
      [...names, ...Object.keys(NOT_OPS)].filter((n) => !exported.includes(n)),
      'names not exported',
    ).toEqual([]);
    expect(
      names.filter((n) => Object.hasOwn(NOT_OPS, n)),
      'entries also listed as non-ops',
    ).toEqual([]);
    for (const o of OPS) expect(o.samples.length, o.name).toBeGreaterThan(0);
    expect(
      Object.values(WEBGPU_PARTS)
        .flat()
        .map((o) => o.name),
      'the WebGPU parts are the table, in order',
    ).toEqual(names);
    const wrong = OPS.filter((o) => [...o.dtypes].sort().join() !== dtypesOf(o.samples).join()).map(
      (o) => `${o.name}: declared ${o.dtypes}, samples ${dtypesOf(o.samples)}`,
    );
    expect(wrong, 'declared dtypes are those the samples cover').toEqual([]);
  });
});
