import { expect } from 'vitest';
import { type DeviceName, memory, Tensor, type UniqueResult } from '../../src/index';

// Shared by test/ops/select.test.ts and test/ops/select-unique.test.ts.

export const NaN_ = Number.NaN;

export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Live tensors and bytes on a device. */
export const held = (device: DeviceName) => {
  const { tensors, bytes } = memory().devices[device];
  return { tensors, bytes };
};

/** Run `body` and check that it leaves no tensor behind on `device`. */
export async function flat(device: DeviceName, body: () => Promise<void>): Promise<void> {
  const before = held(device);
  await body();
  expect(held(device), 'memory is flat').toEqual(before);
}

export async function readAll(r: Tensor | Tensor[] | UniqueResult): Promise<{ shapes: number[][]; dtypes: string[]; values: number[][] }> {
  const ts = r instanceof Tensor ? [r] : Array.isArray(r) ? r : [r.values, r.inverse, r.counts].filter((t): t is Tensor => t !== undefined);
  const out = { shapes: ts.map((t) => [...t.shape]), dtypes: ts.map((t) => t.dtype as string), values: await Promise.all(ts.map(values)) };
  for (const t of ts) t.dispose();
  return out;
}
