import type { DType } from './dtype';
import { ArgumentError, checkOptions } from './errors';
import type { Tensor } from './tensor';

// How tensors print: PyTorch's layout and number rules (torch/_tensor_str.py), reimplemented on
// a flat row-major array. Reading WebGPU memory is asynchronous, so `toString()` prints values
// only on the CPU; `format()`/`print()` read first and work on every device.

/**
 * Options of {@link Tensor.format} and {@link Tensor.print}; the defaults are PyTorch's
 * (`torch.set_printoptions`).
 * @example
 * ```ts
 * const x = arange(0, 10);
 * await x.format({ threshold: 5, edgeItems: 2 }); // 'tensor([0., 1.,  ..., 8., 9.])'
 * await x.format({ precision: 2, sciMode: true }); // values as 0.00e+00, 1.00e+00, …
 * ```
 */
export interface PrintOptions {
  /** Digits after the decimal point of floating-point values (0–12, default 4). */
  precision?: number;
  /** Above this many elements, print only `edgeItems` at each end of every dim, with `...` (default 1000). */
  threshold?: number;
  /** Elements kept at each end of a summarised dim (at least 1, default 3). */
  edgeItems?: number;
  /** Characters per line before values wrap (default 80). */
  lineWidth?: number;
  /** Force scientific notation on (true) or off (false); by default chosen from the values' range. */
  sciMode?: boolean;
}

type Resolved = Required<Omit<PrintOptions, 'sciMode'>> & { sciMode: boolean | undefined };
const DEFAULTS: Resolved = { precision: 4, threshold: 1000, edgeItems: 3, lineWidth: 80, sciMode: undefined };
const KEYS = /* @__PURE__ */ Object.keys(DEFAULTS);

function resolve(op: string, opts: PrintOptions): Resolved {
  checkOptions(op, opts, KEYS);
  const r = { ...DEFAULTS, ...opts } as Resolved;
  const int = (name: keyof PrintOptions, v: number, min: number, max = Infinity) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new ArgumentError(op, `${name} must be an integer in [${min}, ${max}], got ${v}`);
  };
  int('precision', r.precision, 0, 12);
  int('edgeItems', r.edgeItems, 1);
  int('lineWidth', r.lineWidth, 1);
  if (typeof r.threshold !== 'number' || !(r.threshold >= 0)) throw new ArgumentError(op, `threshold must be a number >= 0, got ${r.threshold}`);
  if (r.sciMode !== undefined && typeof r.sciMode !== 'boolean') throw new ArgumentError(op, `sciMode must be a boolean, got ${r.sciMode}`);
  return r;
}

// ── numbers, as Python's format() writes them ───────────────────────────────
// JavaScript's toFixed/toExponential round exact ties away from zero; Python rounds them to even.
// Ties are detected exactly for float32 values (a float32 times 10^k, k ≤ 12, is exact in a double).

function nonFinite(v: number): string {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

function sign(v: number): string {
  return v < 0 || Object.is(v, -0) ? '-' : '';
}

/** Lower the last digit of an odd-ending rounding to the even neighbour (no borrow: it is odd). */
function toEven(s: string, mantissaEnd: number): string {
  const d = s.charCodeAt(mantissaEnd - 1) - 48;
  return d % 2 === 1 ? s.slice(0, mantissaEnd - 1) + String(d - 1) + s.slice(mantissaEnd) : s;
}

/** Python's `f'{v:.{p}f}'`. */
function fixed(v: number, p: number): string {
  if (!Number.isFinite(v)) return nonFinite(v);
  const a = Math.abs(v);
  if (a >= 1e21) return sign(v) + BigInt(a).toString() + (p ? `.${'0'.repeat(p)}` : '');
  let s = a.toFixed(p);
  const scaled = a * 10 ** p;
  if (scaled < 2 ** 53 && scaled % 1 === 0.5) s = toEven(s, s.length);
  return sign(v) + s;
}

/** Python's `f'{v:.{p}e}'`: exponent with a sign and at least two digits. */
function scientific(v: number, p: number): string {
  if (!Number.isFinite(v)) return nonFinite(v);
  const a = Math.abs(v);
  let s = a.toExponential(p);
  const e = a === 0 ? 0 : Number(a.toExponential().split('e')[1]);
  let tie = false;
  if (a !== 0 && p - e >= 0 && p - e <= 12) tie = (a * 10 ** (p - e)) % 1 === 0.5;
  else if (a !== 0 && e - p > 0 && Number.isInteger(a)) {
    const unit = 10n ** BigInt(e - p);
    tie = BigInt(a) % unit === unit / 2n;
  }
  const at = s.indexOf('e');
  if (tie) s = toEven(s, at);
  const exp = s.slice(at + 1);
  const digits = exp.replace(/^[+-]/, '');
  return `${sign(v)}${s.slice(0, at)}e${exp[0] === '-' ? '-' : '+'}${digits.padStart(2, '0')}`;
}

interface Formatter {
  /** One value, padded to `width`. */
  format: (v: number) => string;
  /** The width the values are padded to (PyTorch's max_width; it sets the values per line). */
  width: number;
}

/** PyTorch's _Formatter: one number style and width for all printed values of a tensor. */
function makeFormatter(values: number[], dtype: DType, o: Resolved): Formatter {
  if (dtype === 'bool') {
    const width = values.some((v) => !v) ? 5 : 4;
    return { width, format: (v) => (v ? 'true' : 'false').padStart(width) };
  }
  let width = 1;
  if (dtype !== 'float32') {
    for (const v of values) width = Math.max(width, String(v).length);
    return { width, format: (v) => String(v).padStart(width) };
  }
  let intMode = true; // every value an integer: printed as `2.`
  let sci = false;
  let min = Infinity;
  let max = 0;
  for (const v of values) {
    if (!Number.isFinite(v) || v === 0) continue;
    min = Math.min(min, Math.abs(v));
    max = Math.max(max, Math.abs(v));
    if (v !== Math.ceil(v)) intMode = false;
  }
  if (max > 0) {
    sci = max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4);
    const mode = sci ? 'sci' : intMode ? 'int' : 'fixed';
    for (const v of values) {
      if (!Number.isFinite(v) || v === 0) continue;
      const len = mode === 'sci' ? scientific(v, o.precision).length : mode === 'int' ? fixed(v, 0).length + 1 : fixed(v, o.precision).length;
      width = Math.max(width, len);
    }
  }
  if (o.sciMode !== undefined) sci = o.sciMode;
  const text = (v: number) => {
    if (sci) return scientific(v, o.precision);
    if (intMode) return fixed(v, 0) + (Number.isFinite(v) ? '.' : '');
    return fixed(v, o.precision);
  };
  return { width, format: (v) => text(v).padStart(width) };
}

// ── layout ──────────────────────────────────────────────────────────────────

interface Layout {
  values: ArrayLike<number>;
  shape: readonly number[];
  strides: number[];
  summarize: boolean;
  o: Resolved;
}

/** The indices, along one dim of size n, that are printed (null marks the `...`). */
function shown(n: number, L: Layout): (number | null)[] {
  const e = L.o.edgeItems;
  const all = Array.from({ length: n }, (_, i) => i);
  return L.summarize && n > 2 * e ? [...all.slice(0, e), null, ...all.slice(n - e)] : all;
}

/** Every printed value (the data PyTorch's get_summarized_data keeps), for the formatter. */
function printedValues(L: Layout, dim = 0, base = 0, out: number[] = []): number[] {
  if (dim === L.shape.length) {
    out.push(L.values[base]);
    return out;
  }
  for (const i of shown(L.shape[dim], L)) if (i !== null) printedValues(L, dim + 1, base + i * L.strides[dim], out);
  return out;
}

function body(L: Layout, F: Formatter, indent: number, dim = 0, base = 0): string {
  const rest = L.shape.length - dim;
  if (rest === 0) return F.format(L.values[base]);
  if (rest === 1) {
    const items = shown(L.shape[dim], L).map((i) => (i === null ? ' ...' : F.format(L.values[base + i * L.strides[dim]])));
    const perLine = Math.max(1, Math.floor((L.o.lineWidth - indent) / (F.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const slices = shown(L.shape[dim], L).map((i) => (i === null ? '...' : body(L, F, indent + 1, dim + 1, base + i * L.strides[dim])));
  return `[${slices.join(`,${'\n'.repeat(rest - 1)}${' '.repeat(indent + 1)}`)}]`;
}

function suffixesOf(t: Tensor, withDevice: boolean): string[] {
  const out: string[] = [];
  if (withDevice && t.device !== 'cpu') out.push(`device='${t.device}'`);
  if (t.numel() === 0) {
    if (t.ndim !== 1) out.push(`shape=[${t.shape.join(', ')}]`);
    if (t.dtype !== 'float32') out.push(`dtype=${t.dtype}`);
  } else if (t.dtype !== 'float32' && t.dtype !== 'bool') {
    out.push(`dtype=${t.dtype}`);
  }
  if (!t.isLeaf) out.push(`gradFn=<${t._node?.op}>`);
  else if (t.requiresGrad) out.push('requiresGrad=true');
  return out;
}

/** PyTorch's _add_suffixes: `, suffix` on the last line, or on a new line past the line width. */
function withSuffixes(text: string, suffixes: string[], o: Resolved): string {
  const parts = [text];
  let last = text.length - text.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (last + s.length + 2 > o.lineWidth) {
      parts.push(`,\n${' '.repeat(PREFIX.length)}${s}`);
      last = PREFIX.length + s.length;
    } else {
      parts.push(`, ${s}`);
      last += s.length + 2;
    }
  }
  return `${parts.join('')})`;
}

const PREFIX = 'tensor(';

/** @internal The full text of a tensor whose elements (row-major, contiguous) are `values`. */
export function formatValues(t: Tensor, values: ArrayLike<number>, opts: PrintOptions = {}, op = 'format'): string {
  const o = resolve(op, opts);
  const shape = t.shape;
  if (t.numel() === 0) return withSuffixes(`${PREFIX}[]`, suffixesOf(t, true), o);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const L: Layout = { values, shape, strides, summarize: t.numel() > o.threshold, o };
  const F = makeFormatter(printedValues(L), t.dtype, o);
  return withSuffixes(PREFIX + body(L, F, PREFIX.length), suffixesOf(t, true), o);
}

/** @internal `toString()`: values on the CPU; a header without values where reads are asynchronous. */
export function formatSync(t: Tensor): string {
  if (t.isDisposed) return `${PREFIX}<disposed>)`;
  if (t.device === 'cpu') return formatValues(t, t.dataSync(), {}, 'toString');
  const head = `${PREFIX}<${t.device}, shape [${t.shape.join(', ')}], ${t.dtype}>`;
  return withSuffixes(
    head,
    suffixesOf(t, false).filter((s) => !s.startsWith('dtype=') && !s.startsWith('shape=')),
    DEFAULTS,
  );
}

/** @internal `format()`: reads the values (on any device), then lays them out. */
export async function formatAsync(t: Tensor, opts: PrintOptions = {}): Promise<string> {
  resolve('format', opts);
  if (t.isDisposed) return `${PREFIX}<disposed>)`;
  return formatValues(t, await t.data(), opts);
}
