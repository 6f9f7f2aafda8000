/**
 * Row loops for kernels that give one workgroup a row and read it twice (statistics, then the
 * output: softmax, normalize). Invocation `li` visits positions li, li + wg, li + 2·wg, …; when
 * the row is short enough, it keeps its values in a private array between the two passes, so the
 * row is read from memory once. The slot loop has a constant bound, so compilers unroll it and
 * the array lives in registers.
 */

/** Most values one invocation keeps in registers. */
export const MAX_REGISTER_SLOTS = 32;

/**
 * Register slots per invocation for a row of `n` values over `workgroup` invocations: the
 * smallest power of two covering the row, or 0 (stream the row twice) above
 * {@link MAX_REGISTER_SLOTS}.
 */
export function registerSlots(n: number, workgroup: number): number {
  let slots = 1;
  while (slots * workgroup < n) slots *= 2;
  return slots <= MAX_REGISTER_SLOTS ? slots : 0;
}

/**
 * WGSL: `body` for each position `j` of invocation `li` in [start, end) — a strided loop, or with
 * `slots` > 0 a loop over slots `t` (slot t holds position start + li + t·workgroup). `start` and
 * `end` are WGSL u32 expressions.
 */
export function rowLoop(o: { start: string; end: string; workgroup: number; slots: number }, body: string): string {
  const { start, end, workgroup, slots } = o;
  if (!slots) return `for (var j = ${start} + li; j < ${end}; j += ${workgroup}u) {\n    ${body}\n  }`;
  return `for (var t = 0u; t < ${slots}u; t++) {
    let j = ${start} + li + t * ${workgroup}u;
    if (j >= ${end}) { break; }
    ${body}
  }`;
}
