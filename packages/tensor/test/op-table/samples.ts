import type { DType, GradcheckOptions, Tensor } from '../../src/index';
import { randomValues } from '../helpers';

/** Elementwise tolerance: |got − want| ≤ atol + rtol·|want| (the toBeAllClose rule). */
export interface Tol {
  rtol: number;
  atol: number;
}

/**
 * One tensor input of a sample: host values and shape (the leaf), and an optional `view` the
 * sample applies to the leaf before the op (a transpose, a stepped slice, an expand), so the op
 * sees a non-contiguous operand while gradients flow back to the contiguous leaf.
 */
export interface SampleInput {
  values: number[];
  shape: number[];
  dtype?: DType;
  view?: (t: Tensor) => Tensor;
  /** A float32 input held constant (no gradient): running statistics, masks. */
  constant?: boolean;
}

/** What an op returns: one tensor, or several (split, chunk). */
export type OpResult = Tensor | Tensor[];

/** One call of an op: its tensor inputs and, optionally, the call itself and PyTorch's result. */
export interface Sample {
  name: string;
  inputs: SampleInput[];
  /** This sample's call (other dims, options, scalar operands); default the op's `call`. */
  call?: (...xs: Tensor[]) => OpResult;
  /** PyTorch's result (nested or flat; several outputs concatenated), checked on every device. */
  expected?: readonly unknown[];
  /** This sample's reference (see OpInfo.reference); undefined to skip it for this sample. */
  reference?: (...xs: Tensor[]) => OpResult;
  /** The result's dtype, when the sample pins it (type promotion). */
  dtype?: DType;
  /** Values vs the CPU; default the op's `tol`. */
  tol?: Tol;
  /**
   * false: no central-difference check for this sample (IEEE specials, ties, tile-edge shapes too
   * large to perturb element by element); analytic gradients are still compared across devices.
   */
  gradcheck?: boolean;
}

/** Where an op's generated inputs lie: the function's domain, kept off its kinks for gradchecks. */
export type Domain =
  | 'real' // [−2, 2)
  | 'positive' // [0.25, 3): log, sqrt, rsqrt, pow's base
  | 'nonzero' // |x| ∈ [0.2, 2.2): kinks or poles at 0 (abs, relu, sign, div's denominator)
  | 'offGrid' // [−3, 3) at least 0.05 from multiples of ½: floor, ceil, round
  | 'any'; // no floats, or values fixed by the samples (indices, shapes)

/** One public op: how to call it, on what, and how closely devices must agree. */
export interface OpInfo {
  /** The export's name in src/index.ts. */
  name: string;
  call: (...xs: Tensor[]) => OpResult;
  samples: Sample[];
  domain: Domain;
  /** Input dtypes the samples cover. */
  dtypes: DType[];
  /** Gradients flow to the float32 inputs (checked by central differences on the CPU). */
  differentiable: boolean;
  /** Values (and analytic gradients) on another device vs the CPU. */
  tol: Tol;
  /** Central-difference tolerances (default eps 1e-3, rtol 1e-2, atol 1e-3). */
  gradTol?: GradcheckOptions;
  /**
   * The same result by other means, evaluated on the same device: the out-of-place form of an
   * in-place op (scatterAdd for scatterAdd_).
   */
  reference?: (...xs: Tensor[]) => OpResult;
  /** Index of the sample used for the disposed-input and wrong-device checks (default 0; no views). */
  errorSample?: number;
}

/** The input dtypes `samples` cover (an entry's `dtypes`; the completeness test checks they agree). */
export function dtypesOf(samples: readonly Sample[]): DType[] {
  return [...new Set(samples.flatMap((s) => s.inputs.map((i) => i.dtype ?? 'float32')))].sort();
}

export const TOL: Tol = { rtol: 1e-5, atol: 1e-6 };
export const EXACT: Tol = { rtol: 0, atol: 0 };

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

let nextSeed = 1;

/** Seeded float32 values of `shape` in `domain` (a fresh seed per call, so inputs differ). */
export function f(shape: number[], domain: Domain = 'real', view?: (t: Tensor) => Tensor): SampleInput {
  const u = randomValues(numel(shape), nextSeed++, 0, 1);
  const values = u.map((v) => {
    switch (domain) {
      case 'positive':
        return 0.25 + 2.75 * v;
      case 'nonzero': {
        const m = 0.2 + 2 * ((v * 2) % 1);
        return v < 0.5 ? -m : m;
      }
      case 'offGrid': {
        const k = Math.floor(v * 12) - 6; // a multiple of ½ …
        return (k + 0.1 + 0.3 * ((v * 12) % 1)) / 2; // … plus [0.05, 0.2)
      }
      default:
        return -2 + 4 * v;
    }
  });
  return { values, shape, view };
}

/** Given values (IEEE specials, ties) as a float32 input. */
export const v = (values: number[], shape = [values.length], dtype?: DType): SampleInput => ({ values, shape, dtype });

/** Seeded integers in [lo, hi] of `dtype` (indices, integer operands). */
export function ints(shape: number[], lo: number, hi: number, dtype: DType = 'int32'): SampleInput {
  const u = randomValues(numel(shape), nextSeed++, 0, 1);
  return { values: u.map((x) => lo + Math.min(hi - lo, Math.floor(x * (hi - lo + 1)))), shape, dtype };
}

export const T = (t: Tensor) => t.transpose(0, 1);
export const mT = (t: Tensor) => t.transpose(-2, -1);

/** IEEE values every elementwise op sees: NaN, ±∞, ±0, and finite values of both signs. */
export const SPECIALS = [Number.NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, -2.5, 3, 1e-4, 100, -100];

/** The standard samples of a one-input op: plain, transposed, stepped slice, size-1 dims, 0-d, empty. */
export function unarySamples(domain: Domain, call?: (x: Tensor) => OpResult): Sample[] {
  return [
    { name: '[3, 4]', inputs: [f([3, 4], domain)], call },
    { name: 'transposed view', inputs: [f([5, 3], domain, T)], call },
    { name: 'stepped slice', inputs: [f([4, 6], domain, (t) => t.slice(1, 0, 6, 2))], call },
    { name: 'size-1 dims [1, 5, 1]', inputs: [f([1, 5, 1], domain)], call },
    { name: '0-d', inputs: [f([], domain)], call },
    { name: 'empty [0, 3]', inputs: [f([0, 3], domain)], call },
  ];
}

/**
 * The standard samples of a two-input elementwise op: same shape, broadcast [2,1,5]×[3,1], a
 * transposed right operand, an expanded (stride-0) operand, size-1 dims, a JS number on either
 * side, and empty dims.
 */
export function binarySamples(op: (a: Tensor | number, b: Tensor | number) => Tensor, domA: Domain, domB: Domain): Sample[] {
  return [
    { name: '[3, 4] × [3, 4]', inputs: [f([3, 4], domA), f([3, 4], domB)] },
    { name: 'broadcast [2, 1, 5] × [3, 1]', inputs: [f([2, 1, 5], domA), f([3, 1], domB)] },
    { name: 'transposed right operand', inputs: [f([3, 4], domA), f([4, 3], domB, T)] },
    { name: 'expanded operand', inputs: [f([1, 4], domA, (t) => t.expand([3, 4])), f([3, 4], domB)] },
    { name: 'size-1 dims [1] × [4, 1]', inputs: [f([1], domA), f([4, 1], domB)] },
    { name: 'views at an offset (narrow)', inputs: [f([6, 4], domA, (t) => t.narrow(0, 2, 3)), f([5, 4], domB, (t) => t.narrow(0, 1, 3))] },
    { name: 'number on the right', inputs: [f([2, 3], domA)], call: (a) => op(a, domB === 'positive' ? 1.5 : -1.25) },
    { name: 'number on the left', inputs: [f([2, 3], domB)], call: (b) => op(domA === 'positive' ? 1.5 : -1.25, b) },
    { name: 'empty [0, 3] × [1, 3]', inputs: [f([0, 3], domA), f([1, 3], domB)] },
  ];
}
