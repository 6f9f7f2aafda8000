/**
 * Which ops the SIMD module has a kernel for, by name only, for the driver (./simd-driver.ts): the
 * emitters' tables (./simd-kernels.ts) hold code, and the published build leaves the emitters out
 * (./modules.ts). `satisfies` keeps both lists equal to the emitters' at compile time.
 */
import type { SimdBinaryOp as EmittedBinary, SimdUnaryOp as EmittedUnary } from './simd-kernels';

/** The unary ops with a SIMD kernel (`u_<op>`). */
export const SIMD_UNARY = {
  neg: true,
  abs: true,
  sign: true,
  exp: true,
  log: true,
  sqrt: true,
  rsqrt: true,
  relu: true,
  sigmoid: true,
  tanh: true,
  erf: true,
  gelu: true,
  geluTanh: true,
  floor: true,
  ceil: true,
  round: true,
} as const satisfies Record<EmittedUnary, true>;
export type SimdUnaryOp = keyof typeof SIMD_UNARY;

/** The binary ops with a SIMD kernel (`b_<op>`). */
export const SIMD_BINARY = {
  add: true,
  sub: true,
  mul: true,
  div: true,
  maximum: true,
  minimum: true,
  eq: true,
  ne: true,
  lt: true,
  le: true,
  gt: true,
  ge: true,
  reluGrad: true,
} as const satisfies Record<EmittedBinary, true>;
export type SimdBinaryOp = keyof typeof SIMD_BINARY;
