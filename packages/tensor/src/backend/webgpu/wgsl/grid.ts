/**
 * One-dimensional launches over `count` items that may exceed the 65,535-workgroup limit of one
 * dimension: the workgroups are laid out as an x·y grid and each invocation recovers its flat
 * index with {@link linearIndex}. Pair it with these builtins in `main`'s signature:
 * `@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u`.
 */

/** The per-dimension workgroup limit every WebGPU device supports. */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/** Workgroup counts covering `count` items with `workgroupSize` invocations each. */
export function linearGrid(count: number, workgroupSize: number): [number, number, number] {
  const groups = Math.ceil(count / workgroupSize);
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(groups / y), y, 1];
}

/** WGSL expression for the flat invocation index of a {@link linearGrid} launch. */
export function linearIndex(workgroupSize: number): string {
  return `(gid.x + gid.y * nwg.x * ${workgroupSize}u)`;
}

/** The builtins `linearIndex` reads, for `main`'s parameter list. */
export const LINEAR_BUILTINS = '@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u';
