import { expect } from 'vitest';
import type { Storage, View } from '../../src/backend/backend';
import type { CpuBackend } from '../../src/backend/cpu';
import type { WebGpuBackend } from '../../src/backend/webgpu';
import { MATMUL_TILES } from '../../src/backend/webgpu/kernels/matmul-candidates';
import { matmul as gpuMatmul } from '../../src/backend/webgpu/kernels/matmul.wgsl';
import { randomValues } from '../helpers';

// The WebGPU matmul kernel against the CPU backend on hand-made views: shared by
// test/parity/matmul.test.ts (the tiles pickTile chooses) and test/kernels/matmul.test.ts (every
// tuning candidate, every load order; `npm run test:kernels`).

export const TOL = { rtol: 1e-3, atol: 1e-3 };

/** An operand [...batch, rows, cols] laid out in a storage of its own, with the given layout. */
export interface Layout {
  /** 'row' row-major, 'col' last two dims swapped, 'gap' neither dim unit stride. */
  kind: 'row' | 'col' | 'gap';
  offset: number;
  /** Batch dims of this shape that are broadcast (stride 0). */
  broadcast?: boolean[];
}

export const ROW: Layout = { kind: 'row', offset: 0 };
export const COL: Layout = { kind: 'col', offset: 4 };
export const GAP: Layout = { kind: 'gap', offset: 1 };

export type TileName = keyof typeof MATMUL_TILES;

/**
 * `expectParity(batch, M, K, N, la, lb, tile?, int8?)`: runs the GPU kernel (optionally forcing a
 * tile) and the CPU backend on the same views and compares; transposed, strided and broadcast
 * operands must be read in place (one dispatch, no copies). int8 operands (the full range, −128
 * and 127 included) must give exactly the CPU's int32 products.
 */
export function matmulParity(gpu: WebGpuBackend, cpu: CpuBackend) {
  function makeOperand(shape: number[], layout: Layout, seed: number, int8: boolean): { c: View; g: View } {
    const r = shape.length;
    const [rows, cols] = shape.slice(r - 2);
    const strides = new Array<number>(r).fill(0);
    const step = layout.kind === 'gap' ? 2 : 1;
    if (layout.kind === 'col') {
      strides[r - 2] = 1;
      strides[r - 1] = rows;
    } else {
      strides[r - 1] = step;
      strides[r - 2] = cols * step + (layout.kind === 'gap' ? 3 : 0);
    }
    let span = layout.kind === 'col' ? rows * cols : rows * strides[r - 2];
    for (let d = r - 3; d >= 0; d--) {
      strides[d] = layout.broadcast?.[d] ? 0 : span;
      if (!layout.broadcast?.[d]) span *= shape[d];
    }
    const size = layout.offset + span + 1;
    const values = randomValues(size, seed);
    const data = int8 ? Int8Array.from(values, (v) => Math.max(-128, Math.min(127, Math.round(v * 128)))) : Float32Array.from(values);
    const dtype = int8 ? 'int8' : 'float32';
    const c = cpu.alloc(dtype, size);
    const g = gpu.alloc(dtype, size);
    cpu.write(c, data);
    gpu.write(g, data);
    return { c: { storage: c, shape, strides, offset: layout.offset }, g: { storage: g, shape, strides, offset: layout.offset } };
  }

  return async function expectParity(batch: number[], M: number, K: number, N: number, la: Layout, lb: Layout, tile?: TileName, int8 = false): Promise<void> {
    const a = makeOperand([...batch, M, K], la, M * 31 + K, int8);
    const b = makeOperand([...batch, K, N], lb, K * 17 + N + 5, int8);
    const outSize = [...batch, M, N].reduce((p, d) => p * d, 1);
    const outType = int8 ? 'int32' : 'float32';
    const want = cpu.alloc(outType, outSize);
    cpu.matmul(a.c, b.c, want);
    const got: Storage = gpu.alloc(outType, outSize);
    const before = gpu.runtime.stats();
    gpuMatmul(gpu.runtime, a.g, b.g, got, tile ? MATMUL_TILES[tile] : undefined);
    const after = gpu.runtime.stats();
    expect(after.dispatches - before.dispatches).toBe(outSize === 0 ? 0 : 1);
    expect(after.copies - before.copies).toBe(0);
    const whole = (s: Storage): View => ({ storage: s, shape: [s.size], strides: [1], offset: 0 });
    if (int8)
      expect(Array.from(await gpu.read(whole(got)))).toEqual(Array.from(cpu.readSync(whole(want)))); // integers: exact
    else expect(await gpu.read(whole(got))).toBeAllClose(cpu.readSync(whole(want)), TOL);
    for (const s of [a.g.storage, b.g.storage, got]) gpu.free(s);
  };
}
