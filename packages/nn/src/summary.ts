import { ArgumentError, type DeviceName, type DType, getDefaultDevice, noGrad, scope, Tensor, zeros } from '@aimodel/tensor';
import type { Module } from './module';
import { Parameter } from './parameter';

// How models print: PyTorch's nested module repr (String(model)) and a Keras-style summary table.

/**
 * Options of {@link Module.summary}.
 * @example
 * ```ts
 * const model = new Sequential(new Embedding(10, 4), new Linear(4, 2));
 * model.summary([2, 3], { dtype: 'int32' }); // token ids are integers
 * ```
 */
export interface SummaryOptions {
  /** Dtype of the zero input(s) fed through the model to find output shapes (default float32). */
  dtype?: DType;
  /** Also print the table with `console.log` (default false). */
  print?: boolean;
}

const SUMMARY_KEYS = ['dtype', 'print'];

/** Module name as written in code: the class name (kept unless a bundler minifies class names). */
function typeName(m: Module): string {
  return m.constructor.name;
}

/** Indent every line but the first by `n` spaces (PyTorch's _addindent). */
function indentTail(text: string, n: number): string {
  return text.split('\n').join(`\n${' '.repeat(n)}`);
}

/**
 * @internal PyTorch's `Module.__repr__`: `Name(extraRepr)` for a module without children, else
 * `Name(\n  extra lines\n  (key): child repr\n)`, children under their state-dict keys.
 */
export function moduleRepr(m: Module): string {
  const extra = m.extraRepr();
  const extraLines = extra ? extra.split('\n') : [];
  const childLines = m.namedChildren().map(([key, child]) => `(${key}): ${indentTail(moduleRepr(child), 2)}`);
  const lines = [...extraLines, ...childLines];
  let text = `${typeName(m)}(`;
  if (extraLines.length === 1 && !childLines.length) text += extraLines[0];
  else if (lines.length) text += `\n  ${lines.join('\n  ')}\n`;
  return `${text})`;
}

/** A value as an extraRepr shows it: JavaScript literals (`true`, `[3, 3]`, `'same'`, `null`). */
export function reprValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(reprValue).join(', ')}]`;
  return String(v);
}

/** @internal `key=value, …` for an extraRepr, in the given order. */
export function reprFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${reprValue(v)}`)
    .join(', ');
}

/** 1234567 → '1,234,567' (not toLocaleString: the same text in every locale). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function describeOutput(out: unknown): string {
  if (out instanceof Tensor) return `[${out.shape.join(', ')}]`;
  if (Array.isArray(out)) return `(${out.map(describeOutput).join(', ')})`;
  return typeof out;
}

function modelDevice(model: Module): DeviceName {
  const first = model.parameters()[0] ?? model.namedBuffers()[0]?.[1];
  return first ? first.device : getDefaultDevice();
}

/**
 * Output shapes of every submodule for a forward pass on zeros of `shapes`, on the model's
 * device, without gradients and in evaluation mode (so batch norm statistics do not change),
 * recorded by a forward hook on each module (removed after).
 */
function traceShapes(model: Module, shapes: number[][], dtype: DType): Map<Module, string> {
  const found = new Map<Module, string>();
  const modules = model.namedModules().map(([, m]) => m);
  const modes = modules.map((m) => m.training);
  const handles = [...new Set(modules)].map((m) =>
    m.registerForwardHook((_m, _inputs, out) => {
      if (!found.has(m)) found.set(m, describeOutput(out));
    }),
  );
  const device = modelDevice(model);
  try {
    model.eval();
    noGrad(() =>
      scope(() => {
        const inputs = shapes.map((s) => zeros(s, { dtype, device }));
        model.call(...inputs);
      }),
    );
  } finally {
    for (const h of handles) h.remove();
    modules.forEach((m, i) => {
      m.training = modes[i];
    });
  }
  return found;
}

function checkShapes(inputShape: unknown): number[][] {
  const isShape = (s: unknown): s is number[] => Array.isArray(s) && s.every((d) => Number.isInteger(d) && d >= 0);
  if (isShape(inputShape)) return [inputShape];
  if (Array.isArray(inputShape) && inputShape.length && inputShape.every(isShape)) return inputShape as number[][];
  throw new ArgumentError(
    'summary',
    `inputShape must be a shape (e.g. [1, 3, 32, 32]) or a list of shapes, one per forward input, got ${JSON.stringify(inputShape)}`,
  );
}

/** @internal The {@link Module.summary} table. */
export function summary(model: Module, inputShape?: readonly number[] | readonly (readonly number[])[], opts: SummaryOptions = {}): string {
  for (const k of Object.keys(opts))
    if (!SUMMARY_KEYS.includes(k)) throw new ArgumentError('summary', `unknown option '${k}' (expected ${SUMMARY_KEYS.join(', ')})`);
  const shapes = inputShape === undefined ? null : traceShapes(model, checkShapes(inputShape), opts.dtype ?? 'float32');
  const header = ['Layer (type)', ...(shapes ? ['Output shape'] : []), 'Param #', 'Trainable'];
  // every submodule; the model itself too when it has no children or owns parameters directly
  const ownsParams = Object.entries(model).some(([k, v]) => !k.startsWith('_') && v instanceof Parameter);
  const listed = model.namedModules().slice(model.namedChildren().length && !ownsParams ? 1 : 0);
  const rows = listed.map(([name, m]) => {
    const own = Object.entries(m).filter(([k, v]) => !k.startsWith('_') && v instanceof Parameter) as [string, Parameter][];
    const count = own.reduce((n, [, p]) => n + p.numel(), 0);
    const trainable = own.reduce((n, [, p]) => n + (p.requiresGrad ? p.numel() : 0), 0);
    return [name ? `${name} (${typeName(m)})` : typeName(m), ...(shapes ? [shapes.get(m) ?? '-'] : []), thousands(count), thousands(trainable)];
  });
  const params = model.parameters();
  const total = params.reduce((n, p) => n + p.numel(), 0);
  const trainable = params.reduce((n, p) => n + (p.requiresGrad ? p.numel() : 0), 0);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  // names and shapes left-aligned, counts right-aligned; two spaces between columns
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= cells.length - 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = '='.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const text = [
    `Model: ${typeName(model)}`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${thousands(total)}`,
    `Trainable params: ${thousands(trainable)}`,
    `Non-trainable params: ${thousands(total - trainable)}`,
  ].join('\n');
  if (opts.print) console.log(text);
  return text;
}
