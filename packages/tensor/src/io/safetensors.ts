import type { DeviceName } from '../backend/backend';
import { fromArray } from '../creation';
import { allocArray, bytesPerElement, type DType } from '../dtype';
import { ArgumentError, DTypeError } from '../errors';
import { numel } from '../shape';
import type { Tensor } from '../tensor';

// safetensors layout (huggingface/safetensors docs): u64 little-endian header length N, N bytes of
// UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}},
// then the raw little-endian tensor bytes; offsets are relative to the end of the header.
const CODE: Record<DType, string> = { float32: 'F32', int32: 'I32', bool: 'BOOL', int8: 'I8', uint8: 'U8' };
const FROM_CODE: Record<string, DType> = Object.fromEntries(Object.entries(CODE).map(([k, v]) => [v, k as DType]));

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Options of {@link loadSafetensors}.
 * @example
 * ```ts
 * loadSafetensors(bytes, { device: 'cpu' });
 * ```
 */
export interface LoadSafetensorsOptions {
  /** Device for the loaded tensors (default: the default device). */
  device?: DeviceName;
}

/**
 * Serialize named tensors in the safetensors format (readable by Python's `safetensors` and
 * PyTorch). Keys are written sorted; `metadata` goes in the `__metadata__` entry.
 * @example
 * ```ts
 * const bytes = await saveSafetensors({ weight: randn([2, 3]), bias: zeros([2]) });
 * ```
 */
export async function saveSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ArgumentError('saveSafetensors', `metadata values must be strings, got ${typeof v} for '${k}'`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new ArgumentError('saveSafetensors', "'__metadata__' is reserved and cannot name a tensor");
    const t = tensors[name];
    const data = await t.data();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: CODE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8; // the format pads the header with spaces to 8 bytes
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Read a safetensors file into named tensors. Supports F32, I32, BOOL, I8 and U8; other dtypes
 * (F16, I64, …) throw a `DTypeError` naming the tensor.
 * @example
 * ```ts
 * const { weight } = loadSafetensors(bytes);
 * ```
 */
export function loadSafetensors(bytes: Uint8Array, opts: LoadSafetensorsOptions = {}): Record<string, Tensor> {
  const fail = (why: string) => new ArgumentError('loadSafetensors', `not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw fail(`only ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) throw fail(`header length ${n} exceeds the file size ${bytes.length}`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw fail('the header is not JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw fail('the header is not a JSON object');
  const base = 8 + n;
  const out: Record<string, Tensor> = {};
  const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as Partial<HeaderEntry> | null;
    if (!e || typeof e !== 'object' || typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !e.shape.every(isCount) ||
      !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2 || !e.data_offsets.every(isCount)) {
      throw fail(`tensor '${name}' needs a dtype string, a shape of non-negative integers and two non-negative integer data_offsets, got ${JSON.stringify(entry)}`);
    }
    const { dtype: code, shape, data_offsets: [begin, end] } = e as HeaderEntry;
    const dtype = FROM_CODE[code];
    if (!dtype) throw new DTypeError('loadSafetensors', `tensor '${name}' has dtype ${code}; supported: ${Object.values(CODE).join(', ')}`);
    const size = numel(shape);
    if (end - begin !== size * bytesPerElement(dtype) || base + end > bytes.length || begin < 0) {
      throw fail(`tensor '${name}' has offsets [${begin}, ${end}] that do not match shape [${shape}] of ${code} or the file size`);
    }
    const host = allocArray(dtype, size); // copy: the file's bytes need not be aligned for the typed array
    new Uint8Array(host.buffer).set(bytes.subarray(base + begin, base + end));
    out[name] = fromArray(host, shape, { dtype, device: opts.device }, 'loadSafetensors');
  }
  return out;
}
