/** A piece of wasm code the packing routines (./pack.ts, ./int8-dot.ts) share. */
import type { Code } from './encoder';

/**
 * Closes a packing routine's two loops (`loop` over panels, then `loop` over steps of k, both
 * open): after each step dst += dstStep while q counts down to 0, after each panel
 * base += baseStep while panels counts down to 0. Returns f.
 */
export function emitPackLoopEnds(f: Code, { dst, q, base, panels }: Record<'dst' | 'q' | 'base' | 'panels', number>, dstStep: number, baseStep: number): Code {
  f.get(dst).i32Const(dstStep).i32Add().set(dst);
  f.get(q).i32Const(1).i32Sub().tee(q).brIf(0);
  f.end();
  f.get(base).i32Const(baseStep).i32Add().set(base);
  f.get(panels).i32Const(1).i32Sub().tee(panels).brIf(0);
  f.end();
  return f;
}
