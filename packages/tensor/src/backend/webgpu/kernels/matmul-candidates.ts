/**
 * Tuning candidates for the WebGPU matmul's large tile: never picked by shape, forced with
 * `init({ webgpu: { matmulTile } })` and measured by benchmarks/matmul-tune.mjs; each is checked
 * against the CPU in test/parity/matmul.test.ts like the shape-picked tiles. They stay out of the
 * production kernel file (`matmul.wgsl.ts`), which generates them like any other configuration.
 *
 * `large-bk8` and `large-bk32` (K step 8 or 32; 8 or 32 KiB), `large-rows` (vec4-along-K tiles
 * loaded by neighbouring threads on neighbouring rows: conflict-free transposing stores instead of
 * coalesced reads), `large-db`, `large-db-rows` (K step 8, double-buffered: the next step's global
 * reads are issued before the current step's FMAs and stored into the other buffer after them, one
 * barrier per step; 16 KiB) and `large-db16` (the same at K step 16; 32 KiB), `large-g8` and
 * `large-db-g8` (`large` and `large-db` with blocks ordered in bands of 8 block-rows, for L2
 * reuse), `large-warp` and `large-db-warp` (threads of a warp as a 4×8 block of the thread grid),
 * `large-unroll` and `large-db-unroll` (the BK loop written out). Configs above 16 KiB need an
 * adapter that grants more workgroup memory than WebGPU's default limit (the device is opened with
 * the adapter's maximum).
 */
import { type MatmulTile, matmulTile as tile, SHAPE_TILES } from './matmul.wgsl';

/**
 * The names of the WebGPU matmul kernel's tile configurations: `small`, `medium` and `large` are
 * chosen by shape; the `large-*` ones are tuning candidates for big GPUs (see docs/devices.md).
 * @example
 * ```ts
 * const opts: InitOptions = { device: 'webgpu', webgpu: { matmulTile: 'large-db' } }; // then: await init(opts)
 * ```
 */
export type MatmulTileName =
  | 'small'
  | 'medium'
  | 'large'
  | 'large-bk8'
  | 'large-bk32'
  | 'large-rows'
  | 'large-db'
  | 'large-db-rows'
  | 'large-db16'
  | 'large-g8'
  | 'large-db-g8'
  | 'large-warp'
  | 'large-db-warp'
  | 'large-unroll'
  | 'large-db-unroll';

/**
 * Every tile configuration by name: the three {@link SHAPE_TILES} and the tuning candidates,
 * selectable with `init({ webgpu: { matmulTile } })`.
 */
// Object.assign marked pure, not a spread: bundlers keep an unused object literal that spreads
export const MATMUL_TILES: Readonly<Record<MatmulTileName, MatmulTile>> = /* @__PURE__ */ Object.assign({}, SHAPE_TILES, {
  'large-bk8': tile('large-bk8', 128, 128, 8, 8, 8),
  'large-bk32': tile('large-bk32', 128, 128, 32, 8, 8),
  'large-rows': tile('large-rows', 128, 128, 16, 8, 8, { kOrder: 'rows' }),
  'large-db': tile('large-db', 128, 128, 8, 8, 8, { buffers: 2 }),
  'large-db-rows': tile('large-db-rows', 128, 128, 8, 8, 8, { buffers: 2, kOrder: 'rows' }),
  'large-db16': tile('large-db16', 128, 128, 16, 8, 8, { buffers: 2, kOrder: 'rows' }),
  'large-g8': tile('large-g8', 128, 128, 16, 8, 8, { group: 8 }),
  'large-db-g8': tile('large-db-g8', 128, 128, 8, 8, 8, { buffers: 2, group: 8 }),
  'large-warp': tile('large-warp', 128, 128, 16, 8, 8, { warp: true }),
  'large-db-warp': tile('large-db-warp', 128, 128, 8, 8, 8, { buffers: 2, warp: true }),
  'large-unroll': tile('large-unroll', 128, 128, 16, 8, 8, { unroll: true }),
  'large-db-unroll': tile('large-db-unroll', 128, 128, 8, 8, 8, { buffers: 2, unroll: true }),
});
