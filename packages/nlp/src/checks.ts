import { ArgumentError } from '@aimodel/tensor';

// Argument checks shared by the text modules (tokenize, corpus, vocabulary, pad): every message
// names the function, what it received and what it expected.

/** How a value is described in a message: `a number (3)`, `null`, `an object`. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  if (typeof v === 'number' || typeof v === 'boolean') return `a ${typeof v} (${v})`;
  return typeof v === 'object' ? `an object (${Object.prototype.toString.call(v).slice(8, -1)})` : `a ${typeof v}`;
}

/** An options object (or undefined) whose keys are all in `allowed`: tensor's one check. */
export { checkOptions as checkKeys } from '@aimodel/tensor';

/** An integer option ≥ `min` (undefined allowed: the caller applies its default). */
export function checkInt(op: string, name: string, v: unknown, min: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new ArgumentError(op, `${name} must be an integer >= ${min}, got ${describe(v)}`);
}

/** A boolean option (undefined allowed). */
export function checkBool(op: string, name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new ArgumentError(op, `${name} must be a boolean, got ${describe(v)}`);
}

/** A finite number option for which `ok` holds (undefined allowed); `expected` words the condition: 'a finite number > 0'. */
export function checkNumber(op: string, name: string, v: unknown, ok: (x: number) => boolean, expected: string): void {
  if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && ok(v)))
    throw new ArgumentError(op, `${name} must be ${expected}, got ${describe(v)}`);
}

/** A callback option (undefined allowed). */
export function checkFunction(op: string, name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'function') throw new ArgumentError(op, `${name} must be a function, got ${describe(v)}`);
}
