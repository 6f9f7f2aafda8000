import { ArgumentError } from '@aimodel/tensor';

// Hyper-parameter checks shared by the optimizers and schedulers. Each throws
// `ArgumentError: <Op>: invalid <name> <value> (expected …)`, as PyTorch's "Invalid …" checks.
// A value that is not a number fails every check (JS would otherwise compare '0.1' >= 0 as true).

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** Throw unless `value` is a number ≥ 0 (Infinity passes, NaN fails). */
export function checkNonNegative(op: string, name: string, value: unknown): void {
  if (!(typeof value === 'number' && value >= 0)) throw new ArgumentError(op, `invalid ${name} ${show(value)} (expected >= 0)`);
}

/** Throw unless `value` is a finite number > 0. */
export function checkPositive(op: string, name: string, value: unknown): void {
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
    throw new ArgumentError(op, `invalid ${name} ${show(value)} (expected a finite number > 0)`);
  }
}

/** Throw unless `value` is a number in [0, 1). */
export function checkUnitInterval(op: string, name: string, value: unknown): void {
  if (!(typeof value === 'number' && value >= 0 && value < 1)) throw new ArgumentError(op, `invalid ${name} ${show(value)} (expected [0, 1))`);
}

/** Throw unless `value` is a number in [lo, hi]. */
export function checkInRange(op: string, name: string, value: unknown, lo: number, hi: number): void {
  if (!(typeof value === 'number' && value >= lo && value <= hi)) {
    throw new ArgumentError(op, `invalid ${name} ${show(value)} (expected [${lo}, ${hi}])`);
  }
}

/** Throw unless `value` is an integer ≥ `min`. */
export function checkInteger(op: string, name: string, value: unknown, min: number): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) {
    throw new ArgumentError(op, `invalid ${name} ${show(value)} (expected an integer >= ${min})`);
  }
}

/** Throw unless `value` is a boolean. */
export function checkBoolean(op: string, name: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new ArgumentError(op, `invalid ${name} ${show(value)} (expected true or false)`);
}

/** Throw unless `value` is one of `choices`. */
export function checkChoice(op: string, name: string, value: unknown, choices: readonly string[]): void {
  if (!choices.includes(value as string)) {
    throw new ArgumentError(op, `invalid ${name} ${show(value)} (expected ${choices.map((c) => `'${c}'`).join(' or ')})`);
  }
}

/** Throw unless `value` is an array of two numbers in [0, 1) (Adam's betas). */
export function checkBetas(op: string, value: unknown): void {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new ArgumentError(op, `invalid betas ${show(value)} (expected [beta1, beta2])`);
  }
  checkUnitInterval(op, 'beta1', value[0]);
  checkUnitInterval(op, 'beta2', value[1]);
}

/**
 * One value per parameter group: a number is repeated, an array must have one entry per group
 * (PyTorch's `_format_param`).
 */
export function perGroup(op: string, name: string, value: number | readonly number[], groups: number): number[] {
  if (typeof value === 'number') return Array.from({ length: groups }, () => value);
  if (!Array.isArray(value) || value.length !== groups) {
    throw new ArgumentError(op, `expected ${groups} values for ${name} (one per parameter group), got ${Array.isArray(value) ? value.length : show(value)}`);
  }
  return [...value];
}

/**
 * The checks of an Adam-family group (NAdam, RAdam, Adamax): lr, eps and weightDecay ≥ 0, betas in
 * [0, 1), maximize (and decoupledWeightDecay where the optimizer has it) booleans.
 */
export function checkAdamFamily(
  op: string,
  o: { lr: number; eps: number; betas: readonly [number, number]; weightDecay: number; maximize: boolean; decoupledWeightDecay?: boolean },
): void {
  checkNonNegative(op, 'learning rate', o.lr);
  checkNonNegative(op, 'eps', o.eps);
  checkBetas(op, o.betas);
  checkNonNegative(op, 'weightDecay', o.weightDecay);
  if ('decoupledWeightDecay' in o) checkBoolean(op, 'decoupledWeightDecay', o.decoupledWeightDecay);
  checkBoolean(op, 'maximize', o.maximize);
}
