/**
 * Template tag for WGSL source: plain interpolation, named so editors can highlight the code and
 * readers can spot kernel text. Kernels are strings built at run time (no eval, CSP-safe).
 * @example
 * ```ts no-run: internal to the WebGPU backend (not exported)
 * const code = wgsl`@compute @workgroup_size(${n}) fn main() {}`;
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function wgsl(strings: TemplateStringsArray, ...values: readonly (string | number)[]): string {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += String(values[i]) + strings[i + 1];
  return out;
}
