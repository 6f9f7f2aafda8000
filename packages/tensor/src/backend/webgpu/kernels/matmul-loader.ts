/**
 * The tile loads of the matmul generator (`matmul.wgsl.ts`): how each thread moves its share of an
 * operand's BK-deep tile from global to workgroup memory, for strided matrices (scalar or vec4
 * reads, along K or along rows) and for load hooks (implicit GEMMs such as conv2d's).
 */
import type { MatmulTile } from './matmul.wgsl';

/**
 * How a hooked operand's element at (row, k) is read, as WGSL of the operand's scalar type `S`
 * from its binding (`a` or `b`). Each thread loads a few element slots per K step, each at a fixed
 * row and at reduction index k = its first k + step·BK: `setup` runs once per slot before the K
 * loop (hoist the row's part there, and split the first k into counters), `load` reads the slot's
 * element (only for rows and k inside the matrix), `advance` moves its counters on by BK after
 * every step, so the K loop needs no integer division. Names must start with `id` (unique per slot).
 */
export interface MatmulLoad {
  /**
   * Statements for row `row` (u32 expression) of the batch whose element offset is `base` (i32),
   * at first reduction index `k` (u32 expression); `step` is BK.
   */
  setup(id: string, row: string, base: string, k: string, step: number): string;
  /** An expression for the slot's element at reduction index `k` (u32 expression). */
  load(id: string, k: string): string;
  /** Statements moving the slot on by BK (run after every load step, in order). */
  advance?(id: string): string;
}

/**
 * Load hooks for a GEMM whose operands are not strided matrices (an implicit GEMM). `key` must
 * name everything the hooks emit (STYLE guideline 6: it joins the kernel's cache key, and the
 * kernel memo compares configs as JSON, where functions do not appear).
 */
export interface MatmulHooks {
  readonly key: string;
  /** Module-scope WGSL (helper functions); the hooks' param words start at word `first`. */
  decls(first: number): string;
  readonly a?: MatmulLoad;
  readonly b?: MatmulLoad;
}

/** One operand's tile: global buffer, workgroup array and how its rows/K map to global memory. */
export interface Operand {
  name: 'a' | 'b';
  dst: 'As' | 'Bs';
  layout: string;
  /** Rows of the tile (BM or BN). */
  outer: number;
  r0: string;
  rLimit: string;
  base: string;
  rStride: string;
  kStride: string;
  hook?: MatmulLoad;
}

/**
 * WGSL moving one operand's BK-deep tile from global to workgroup memory (vec4 array, k-major,
 * `outer` wide: element (r, kk) is global (r0 + r, k + kk)). Each thread moves `count` elements
 * (or vec4s) into registers `<name>v<l>`: `setup` holds the loop-invariant positions (before the K
 * loop), `fetch(k)` the global reads for K offset `k`, `put(off)` the workgroup stores at vec4
 * offset `off` (the buffer of a double-buffered tile).
 */
export function operandLoader(o: Operand, t: MatmulTile, threads: number) {
  const { name: n, dst, layout, outer, r0, rLimit, base, rStride, kStride, hook } = o;
  const { bk } = t;
  const vec = layout.endsWith('4');
  if (hook && (vec || layout === 'g')) throw new Error(`webgpu matmul: a load hook needs a scalar k/m/n layout, got '${layout}'`);
  const alongK = layout[0] === 'k';
  const count = (outer * bk) / (vec ? 4 : 1) / threads;
  const setup: string[] = [];
  const fetches: ((k: string) => string)[] = [];
  const puts: ((off: string) => string)[] = [];
  for (let l = 0; l < count; l++) {
    const e = `(tid + ${l * threads}u)`;
    let r: string;
    let kk: string;
    if (!vec) [r, kk] = alongK ? [`${e} / ${bk}u`, `${e} % ${bk}u`] : [`${e} % ${outer}u`, `${e} / ${outer}u`];
    else if (!alongK) [r, kk] = [`(${e} % ${outer / 4}u) * 4u`, `${e} / ${outer / 4}u`];
    else if (t.kOrder === 'rows') [r, kk] = [`${e} % ${outer}u`, `(${e} / ${outer}u) * 4u`];
    else [r, kk] = [`${e} / ${bk / 4}u`, `(${e} % ${bk / 4}u) * 4u`];
    const [vr, vk, ok, at, s, v] = ['r', 'k', 'ok', 'at', 's', 'v'].map((x) => `${n}${x}${l}`);
    const kTerm = (g: string) => (vec && alongK ? `i32(${g})` : `i32(${g}) * ${kStride}`);
    setup.push(
      `let ${vr} = ${r}; let ${vk} = ${kk};`,
      `let ${ok} = ${r0} + ${vr} < ${rLimit};`,
      hook ? hook.setup(`${n}h${l}_`, `${r0} + ${vr}`, base, vk, bk) : `let ${at} = ${base} + i32(${r0} + ${vr})${vec && !alongK ? '' : ` * ${rStride}`};`,
      `let ${s} = ${vk} * ${outer}u + ${vr};`,
    );
    const read = (g: string) => (hook ? hook.load(`${n}h${l}_`, g) : `${n}[u32(${at} + ${kTerm(g)})${vec ? ' >> 2u' : ''}]`);
    fetches.push((k) =>
      [
        `var ${v} = ${vec ? 'V()' : 'S(0)'};`,
        `{ let g = ${k} + ${vk}; if (${ok} && g < K) { ${v} = ${read('g')}; } }`,
        ...(hook?.advance ? [hook.advance(`${n}h${l}_`)] : []),
      ].join('\n    '),
    );
    puts.push((off) => {
      const at4 = `${off}(${s} >> 2u)`;
      if (!vec) return `${dst}[${at4}][${s} & 3u] = ${v};`;
      if (!alongK) return `${dst}[${at4}] = ${v};`;
      // four consecutive k of one row → one component in each of four k-rows of the tile
      return [0, 1, 2, 3].map((q) => `${dst}[${at4}${q ? ` + ${(q * outer) / 4}u` : ''}][${s} & 3u] = ${v}[${q}];`).join('\n    ');
    });
  }
  return {
    setup: setup.join('\n  '),
    fetch: (k: string) => fetches.map((f) => f(k)).join('\n    '),
    put: (off: string) => puts.map((p) => p(off)).join('\n    '),
  };
}
