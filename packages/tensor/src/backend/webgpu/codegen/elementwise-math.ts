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
  // exp and log outside what WGSL specifies: exp(NaN) and log of NaN, negatives, 0 and +∞ are
  // implementation-defined (SwiftShader's exp(NaN) is +∞, its log(−3) is log 3 and log(0) ≈ −88),
  // so those inputs get the CPU's (JS Math) results explicitly.
  ew_exp: `fn ew_exp(x: f32) -> f32 { return select(exp(x), x, ew_isnan(x)); }`,
  ew_log: `fn ew_log(x: f32) -> f32 {
  if (ew_isnan(x) || x < 0.0) { return ew_nan(x); }
  if (x == 0.0) { return -ew_inf(x); }
  if (!ew_finite(x)) { return x; }
  return log(x);
}`,
  // trunc of NaN and ±∞ is left to the implementation: they are kept.
  ew_trunc: `fn ew_trunc(x: f32) -> f32 { return select(x, trunc(x), ew_finite(x)); }`,
  // WGSL's log carries up to 2⁻²¹ absolute error on [½, 2], too much for log1p near 0: there,
  // log1p x = 2·atanh s = 2(s + s³/3 + …) with s = x/(2 + x), |s| ≤ 1/7 (error < 10⁻⁸); farther
  // out the compensated form log(u)·x/(u − 1), u = 1 + x, which cancels u's rounding error.
  ew_log1p: `fn ew_log1p(x: f32) -> f32 {
  if (ew_isnan(x) || x < -1.0) { return ew_nan(x); }
  if (x == -1.0) { return -ew_inf(x); }
  if (!ew_finite(x)) { return x; }
  if (abs(x) < 0.25) {
    let s = x / (2.0 + x);
    let z = s * s;
    return 2.0 * (s + s * z * (0.33333333333 + z * (0.2 + z * (0.14285714286 + z * (0.11111111111 + z * 0.09090909091)))));
  }
  let u = 1.0 + x;
  return log(u) * (x / (u - 1.0));
}`,
  // e^x for |x| ≤ 88.8 to about 1 ULP (WGSL allows its exp 3 + 2|x| ULP, ~30 near 88): Cephes'
  // expf, x = k·ln 2 + r with |r| ≤ ln 2/2 (ln 2 in two parts, k·C1 exact), a degree-6 polynomial
  // for e^r, then 2ᵏ in two steps so that no ldexp exponent passes 64.
  ew_expacc: `fn ew_expacc(x: f32) -> f32 {
  let k = round(x * 1.4426950408889634);
  let r = (x - k * 0.693359375) + k * 2.12194440e-4;
  let y = ((((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r + 1.6666665459e-1) * r +
    5.0000001201e-1) * r * r + r) + 1.0;
  let h = i32(k) / 2;
  return ldexp(ldexp(y, h), i32(k) - h);
}`,
  // e^x − 1: the Taylor series near 0 (no cancellation; error < 10⁻⁸ for |x| < ½), e^x − 1
  // farther out (the cancellation loses at most a factor 2.6 there); the limits spelled out.
  ew_expm1: `fn ew_expm1(x: f32) -> f32 {
  if (ew_isnan(x)) { return x; }
  if (x >= 88.72284) { return ew_inf(x); } // from ln(3.4028235e38), rounded up to a float32
  if (x < -20.0) { return -1.0; }
  if (abs(x) < 0.5) {
    return x + x * x * (0.5 + x * (0.16666666667 + x * (0.041666666667 + x * (0.0083333333333 + x * (0.0013888888889 +
      x * (0.00019841269841 + x * (0.000024801587302 + x * 0.0000027557319224)))))));
  }
  return ew_expacc(x) - 1.0;
}`,
  // log2 with the special values of ew_log; near 1, log1p(x − 1)·log₂e (x − 1 is exact there), as
  // WGSL's log2 has 2⁻²¹ absolute error on [½, 2], which is relative error 10⁻³ next to 1.
  ew_log2: `fn ew_log2(x: f32) -> f32 {
  if (ew_isnan(x) || x < 0.0) { return ew_nan(x); }
  if (x == 0.0) { return -ew_inf(x); }
  if (!ew_finite(x)) { return x; }
  if (abs(x - 1.0) < 0.25) { return ew_log1p(x - 1.0) * 1.4426950408889634; }
  return log2(x);
}`,
  // 2^x: overflow to +∞ and underflow to 0 spelled out (exp2 of ±∞ is implementation-defined).
  ew_exp2: `fn ew_exp2(x: f32) -> f32 {
  if (ew_isnan(x)) { return x; }
  if (x >= 128.0) { return ew_inf(x); }
  if (x < -150.0) { return 0.0; }
  return exp2(x);
}`,
  // atan t for 0 ≤ t ≤ 1 (Cephes' atanf: reduction at tan(π/8), minimax polynomial, ≤ 2·10⁻⁷
  // relative). WGSL allows its atan 4096 ULP, so the inverse trig functions build on this.
  ew_atan01: `fn ew_atan01(t: f32) -> f32 {
  var x = t;
  var base = 0.0;
  if (t > 0.41421356) { x = (t - 1.0) / (t + 1.0); base = 0.78539816339744831; }
  let z = x * x;
  return base + (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * x + x;
}`,
  // C's atan2(y, x), every IEEE special case included (±0 and ±∞ in either operand).
  ew_atan2: `fn ew_atan2(y: f32, x: f32) -> f32 {
  if (ew_isnan(x) || ew_isnan(y)) { return ew_nan(x); }
  let negx = (bitcast<u32>(x) & 0x80000000u) != 0u;
  let ax = abs(x);
  let ay = abs(y);
  var r: f32;
  if (!ew_finite(ax) && !ew_finite(ay)) {
    r = select(0.78539816339744831, 2.3561944901923449, negx);
  } else if (!ew_finite(ay)) {
    r = 1.5707963267948966;
  } else if (!ew_finite(ax) || ay == 0.0) {
    r = select(0.0, 3.1415926535897932, negx);
  } else if (ax == 0.0) {
    r = 1.5707963267948966;
  } else {
    var a: f32;
    if (ay <= ax) { a = ew_atan01(ay / ax); } else { a = 1.5707963267948966 - ew_atan01(ax / ay); }
    r = select(a, 3.1415926535897932 - a, negx);
  }
  return select(r, -r, (bitcast<u32>(y) & 0x80000000u) != 0u);
}`,
  ew_atan: `fn ew_atan(x: f32) -> f32 { return ew_atan2(x, 1.0); }`,
  // asin and acos through atan2 with √(1 − x²) = √((1 − x)(1 + x)) (exact 1 − x near ±1); NaN
  // outside [−1, 1] explicitly (√ of a negative is implementation-defined).
  ew_asin: `fn ew_asin(x: f32) -> f32 {
  if (ew_isnan(x) || abs(x) > 1.0) { return ew_nan(x); }
  return ew_atan2(x, sqrt((1.0 - x) * (1.0 + x)));
}`,
  ew_acos: `fn ew_acos(x: f32) -> f32 {
  if (ew_isnan(x) || abs(x) > 1.0) { return ew_nan(x); }
  return ew_atan2(sqrt((1.0 - x) * (1.0 + x)), x);
}`,
  // sinh: its Taylor series for |x| < ½ (no cancellation), ½(e − 1/e) up to 9, then ½e^(x/2)·e^(x/2)
  // so that sinh stays finite up to 89.4 where e^x alone overflows; ±∞ and NaN kept.
  ew_sinh: `fn ew_sinh(x: f32) -> f32 {
  if (!ew_finite(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a < 0.5) {
    let z = x * x;
    return x + x * z * (0.16666666667 + z * (0.0083333333333 + z * (0.00019841269841 + z * 0.0000027557319224)));
  } else if (a < 9.0) {
    let e = ew_expacc(a);
    r = 0.5 * (e - 1.0 / e);
  } else {
    let h = ew_expacc(0.5 * min(a, 100.0));
    r = (0.5 * h) * h;
  }
  return select(r, -r, x < 0.0);
}`,
  ew_cosh: `fn ew_cosh(x: f32) -> f32 {
  if (!ew_finite(x)) { return abs(x); }
  let a = abs(x);
  if (a < 9.0) {
    let e = ew_expacc(a);
    return 0.5 * (e + 1.0 / e);
  }
  let h = ew_expacc(0.5 * min(a, 100.0));
  return (0.5 * h) * h;
}`,
  // C's fmod (sign of a), exact: subtract |b|·2ᵏ, the largest such multiple ≤ the rest, until the
  // rest is below |b| (each subtraction is exact); WGSL's % is a − b·trunc(a/b), which is not.
  ew_fmod: `fn ew_fmod(a: f32, b: f32) -> f32 {
  if (ew_isnan(a) || ew_isnan(b) || !ew_finite(a) || b == 0.0) { return ew_nan(a); }
  if (!ew_finite(b)) { return a; }
  let m = abs(b);
  var r = abs(a);
  for (var k = 0; k < 300 && r >= m; k++) {
    var d = ldexp(m, frexp(r).exp - frexp(m).exp);
    if (d > r) { d = d * 0.5; }
    r = r - d;
  }
  return select(r, -r, (bitcast<u32>(a) & 0x80000000u) != 0u);
}`,
  // torch.remainder (sign of b): fmod, moved by b when it is non-zero and its sign differs.
  ew_remf: `fn ew_remf(a: f32, b: f32) -> f32 {
  let m = ew_fmod(a, b);
  if (ew_isnan(m) || m == 0.0 || (m < 0.0) == (b < 0.0)) { return m; }
  return m + b;
}`,
  // Integer fmod/remainder as the CPU stores them: a zero divisor gives 0 (NaN into an Int32Array),
  // and b = −1 gives 0 (WGSL leaves i32::MIN % −1 to the implementation).
  ew_fmodi: `fn ew_fmodi(a: i32, b: i32) -> i32 {
  if (b == 0 || b == -1) { return 0; }
  return a % b;
}`,
  ew_remi: `fn ew_remi(a: i32, b: i32) -> i32 {
  let m = ew_fmodi(a, b);
  return select(m, m + b, m != 0 && ((m < 0) != (b < 0)));
}`,
  // The high 32 bits of the 64-bit product a·b (WGSL has no 64-bit integers).
  ew_mulhi: `fn ew_mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu; let ah = a >> 16u; let bl = b & 0xffffu; let bh = b >> 16u;
  let lh = al * bh; let hl = ah * bl;
  let mid = ((al * bl) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}`,
  // x = q·π/2 + r with |r| ≤ π/4, as (r, q mod 4), for every finite x. |x| < 8192: Cody–Waite
  // with π/2 in three parts (Cephes' constants, doubled). Larger |x| (= m·2^e, m the 24-bit
  // mantissa): Payne–Hanek, exact integer arithmetic on m times 96 bits of 2/π starting where
  // the product's bits stop being multiples of 4, so x·2/π mod 4 comes out to ~2⁻⁶⁰. With the
  // polynomials of ew_sincos: |error| ≤ 1.1·10⁻⁷ from 0 to 3.4·10³⁸ (lavapipe and SwiftShader).
  ew_reduce_pio2: `fn ew_reduce_pio2(x: f32) -> vec2f {
  if (abs(x) < 8192.0) {
    let q = round(x * 0.63661977236758134);
    let r = ((x - q * 1.5703125) - q * 4.837512969970703125e-4) - q * 7.54978995489188216e-8;
    return vec2f(r, q - 4.0 * floor(q * 0.25));
  }
  let bits = bitcast<u32>(x) & 0x7fffffffu;
  let m = (bits & 0x7fffffu) | 0x800000u;
  let t0 = (bits >> 23u) - 136u; // x = m·2^e, e = exponent − 150: the window starts at 2/π bit e − 1, after 16 zero bits
  // bits of 2/π after 16 zero bits (2/π = 0.A2F9836E… in hex): enough for every finite float32
  var t = array<u32, 10>(0x0000a2f9u, 0x836e4e44u, 0x1529fc27u, 0x57d1f534u, 0xddc0db62u,
                         0x95993c43u, 0x9041fe51u, 0x63abdebbu, 0xc561b724u, 0x6e3a424du);
  let k = t0 >> 5u; // ≤ 3: words k … k + 3 hold the 96-bit window W
  let sh = t0 & 31u;
  var w: array<u32, 3>;
  for (var j = 0u; j < 3u; j++) {
    w[j] = select((t[k + j] << sh) | (t[k + j + 1u] >> (32u - sh)), t[k + j], sh == 0u);
  }
  // P = m·W, 120 bits in p3…p0 (W = w[0]·2⁶⁴ + w[1]·2³² + w[2]); x·2/π ≡ P·2⁻⁹⁴ (mod 4)
  let p0 = m * w[2];
  let c0 = ew_mulhi(m, w[2]);
  let l1 = m * w[1];
  let p1 = l1 + c0;
  let c1 = ew_mulhi(m, w[1]) + select(0u, 1u, p1 < l1);
  let p2 = m * w[0] + c1;
  var q = f32(p2 >> 30u);
  var f2 = (p2 << 2u) | (p1 >> 30u);
  var f1 = (p1 << 2u) | (p0 >> 30u);
  var sign = 1.0;
  if (f2 >= 0x80000000u) { // fraction ≥ ½: round q up, r negative (two's complement of f)
    q += 1.0;
    sign = -1.0;
    f1 = ~f1 + 1u;
    f2 = ~f2 + select(0u, 1u, f1 == 0u);
  }
  let f = f32(f2) * 2.3283064365386963e-10 + f32(f1) * 5.421010862427522e-20;
  var r = sign * f * 1.5707963267948966;
  q = q - 4.0 * floor(q * 0.25);
  if (x < 0.0) { // x·2/π for −x is −(q + f): quadrant 4 − q, r negated
    r = -r;
    q = select(4.0 - q, 0.0, q == 0.0);
  }
  return vec2f(r, q);
}`,
  // sin and cos to float32 accuracy on every implementation (WGSL promises only 2⁻¹¹ absolute
  // error, inside [−π, π] only, and SwiftShader's builtin cos is off by 2·10⁻⁴ at x = 3): the
  // reduction above, then Cephes' minimax polynomials for sin r and cos r on |r| ≤ π/4; the
  // quadrant picks and signs them. Returns (sin x, cos x); NaN for NaN and ±∞.
  ew_sincos: `fn ew_sincos(x: f32) -> vec2f {
  if (!ew_finite(x)) { return vec2f(ew_nan(x)); }
  let rq = ew_reduce_pio2(x);
  let r = rq.x;
  let z = r * r;
  let sr = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let cr = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  var v = vec2f(sr, cr);
  if (rq.y == 1.0) { v = vec2f(cr, -sr); } else if (rq.y == 2.0) { v = vec2f(-sr, -cr); } else if (rq.y == 3.0) { v = vec2f(-cr, sr); }
  return v;
}`,
  // C's pow, as torch.pow: exact repeated squaring for small integer exponents (negative bases
  // included), exp2(b·log2|a|) for finite non-zero |a| and finite b, the limits spelled out
  // otherwise (some compilers fuse exp2∘log2 into a pow that mishandles 0, ∞ and NaN), the sign of
  // an odd integer exponent; NaN for a finite negative base and a non-integer exponent, x ** 0 = 1
  // and 1 ** y = 1 even for NaN, (±1) ** ±∞ = 1.
  ew_powf: `fn ew_powf(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a == 1.0) { return 1.0; }
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
    if (m == 1.0) { return 1.0; }
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
