/**
 * WGSL helper functions for the elementwise generator (`elementwise.ts`), written so the GPU gives
 * the CPU backend's results (`backend/cpu/elementwise.ts`) within float32 tolerance.
 *
 * Why helpers instead of WGSL builtins: WGSL leaves NaN handling of `max`, `min`, `sign`, `clamp`
 * and `pow` (negative bases) implementation-defined, allows a compiler to assume no NaNs, and some
 * drivers implement `tanh` as (e²ˣ−1)/(e²ˣ+1), which overflows to NaN for large |x| and loses
 * relative precision near 0. So NaN tests look at bits, and tanh, sigmoid, erf and pow are
 * spelled out. Constant NaNs are a shader-creation error in WGSL, so NaNs are made at run time
 * by setting the exponent bits of an operand (`ew_nan`).
 *
 * Every helper is named `ew_*`; {@link helpersFor} collects those an expression uses.
 */

/** Each helper's source; a helper may call others (collected transitively). */
const HELPERS: Record<string, string> = {
  ew_isnan: `fn ew_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`,
  ew_finite: `fn ew_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`,
  // +∞ from a run-time value (a constant ∞ is a shader-creation error too).
  ew_inf: `fn ew_inf(x: f32) -> f32 { return bitcast<f32>((bitcast<u32>(x) & 0u) | 0x7f800000u); }`,
  // A quiet NaN built from a run-time value, so no constant NaN reaches the compiler.
  ew_nan: `fn ew_nan(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) | 0x7fc00000u); }`,
  // max(x, 0) that keeps NaN (a builtin max may return either operand).
  ew_relu: `fn ew_relu(x: f32) -> f32 { return select(select(0.0, x, x > 0.0), x, ew_isnan(x)); }`,
  // −1, 1, or x itself for ±0 and NaN (as the CPU).
  ew_sign: `fn ew_sign(x: f32) -> f32 { return select(select(select(x, -1.0, x < 0.0), 1.0, x > 0.0), x, ew_isnan(x)); }`,
  // Both operands are numbers. A compiler that assumes no NaNs may pick unordered comparisons,
  // so every float comparison and maximum/minimum checks this first.
  ew_ordered: `fn ew_ordered(a: f32, b: f32) -> bool { return !(ew_isnan(a) || ew_isnan(b)); }`,
  // torch.maximum/minimum: NaN in either operand propagates.
  ew_max: `fn ew_max(a: f32, b: f32) -> f32 { return select(b, a, ew_isnan(a) || (ew_ordered(a, b) && a > b)); }`,
  ew_min: `fn ew_min(a: f32, b: f32) -> f32 { return select(b, a, ew_isnan(a) || (ew_ordered(a, b) && a < b)); }`,
  // Stable logistic: exp only of −|x|, so it never overflows.
  ew_sigmoid: `fn ew_sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e, 1.0, x >= 0.0) / (1.0 + e);
}`,
  // Taylor series near 0 (where 1 − e^(−2|x|) would cancel), the exponential form elsewhere.
  ew_tanh: `fn ew_tanh(x: f32) -> f32 {
  if (abs(x) < 0.2) {
    let s = x * x;
    return x + x * s * (-0.33333333 + s * (0.13333333 + s * (-0.053968254 + s * 0.021869489)));
  }
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, x < 0.0);
}`,
  // erfc(z) for z ≥ 0: the Numerical Recipes Chebyshev fit the CPU uses (fractional error < 1.2e-7).
  ew_erfc: `fn ew_erfc(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  return t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
}`,
  ew_erf: `fn ew_erf(x: f32) -> f32 {
  let r = ew_erfc(abs(x));
  return select(r - 1.0, 1.0 - r, x >= 0.0);
}`,
  // x·Φ(x) with 1 + erf(x/√2) taken from erfc directly: no cancellation for negative x.
  ew_gelu: `fn ew_gelu(x: f32) -> f32 {
  let r = ew_erfc(abs(x) * 0.70710678118654752);
  return 0.5 * x * select(r, 2.0 - r, x >= 0.0);
}`,
  // ½x(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³): same function, stable for any x.
  ew_gelu_tanh: `fn ew_gelu_tanh(x: f32) -> f32 {
  let u = 0.79788456080286536 * (x + 0.044715 * x * x * x);
  return x * ew_sigmoid(2.0 * u);
}`,
  // Cody–Waite reduction to [−π, π]: WGSL only promises sin/cos accuracy inside that range.
  ew_reduce: `fn ew_reduce(x: f32) -> f32 {
  let k = round(x * 0.15915494309189535);
  return (x - k * 6.28125) - k * 0.0019353071795864769;
}`,
  // JS `a ** b`: exact repeated squaring for small integer exponents (negative bases included),
  // exp2(b·log2|a|) for finite non-zero |a| and finite b, the limits spelled out otherwise (some
  // compilers fuse exp2∘log2 into a pow that mishandles 0, ∞ and NaN), the sign of an odd integer
  // exponent; NaN for a finite negative base and a non-integer exponent, x ** 0 = 1 even for
  // NaN, 1 ** ±∞ = NaN.
  ew_powf: `fn ew_powf(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (ew_isnan(a) || ew_isnan(b)) { return ew_nan(a); }
  let integral = floor(b) == b; // also for ±∞
  if (integral && abs(b) <= 32.0) {
    var r = 1.0;
    var base = a;
    var n = u32(abs(b));
    loop {
      if ((n & 1u) == 1u) { r = r * base; }
      n = n >> 1u;
      if (n == 0u) { break; }
      base = base * base;
    }
    return select(r, 1.0 / r, b < 0.0);
  }
  if (a < 0.0 && ew_finite(a) && !integral) { return ew_nan(a); }
  let m = abs(a);
  var r: f32;
  if (m == 0.0 || !ew_finite(m)) {
    r = select(0.0, ew_inf(a), (m != 0.0) == (b > 0.0));
  } else if (!ew_finite(b)) {
    if (m == 1.0) { return ew_nan(a); }
    r = select(0.0, ew_inf(a), (m > 1.0) == (b > 0.0));
  } else {
    r = exp2(b * log2(m));
  }
  let odd = integral && abs(b) < 16777216.0 && (i32(b) & 1) == 1;
  return select(r, -r, odd && (bitcast<u32>(a) & 0x80000000u) != 0u);
}`,
  // Integer a ** b as the CPU stores it: wrapping repeated squaring; for b < 0 the JS result is a
  // fraction (truncated to 0), ±1 for a = ±1, or Infinity for a = 0 (stored as 0).
  ew_powi: `fn ew_powi(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) == 1); }
    return 0;
  }
  var r = 1;
  var base = a;
  var n = u32(b);
  loop {
    if (n == 0u) { break; }
    if ((n & 1u) == 1u) { r = r * base; }
    base = base * base;
    n = n >> 1u;
  }
  return r;
}`,
};

/** The helper functions `code` calls (with their own dependencies), as WGSL source. */
export function helpersFor(code: string): string {
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (src: string) => {
    for (const [name] of src.matchAll(/\bew_\w+/g)) {
      if (seen.has(name) || !(name in HELPERS)) continue;
      seen.add(name);
      visit(HELPERS[name].slice(name.length + 3)); // dependencies first (order does not matter in WGSL)
      order.push(HELPERS[name]);
    }
  };
  visit(code);
  return order.join('\n');
}
