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
// (a pure arrow call: a bundle that never reads safetensors drops it, which it cannot do for a call with arguments)
const FROM_CODE: Record<string, DType> = /* @__PURE__ */ (() => Object.fromEntries(Object.entries(CODE).map(([k, v]) => [v, k as DType])))();

/** IEEE half → number (subnormals, ±∞ and NaN included). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// dtypes PyTorch writes that have no storage type here: widened or narrowed on load, so that
// checkpoints (float64/float16/bfloat16 weights, int64 counters such as num_batches_tracked) load.
const CONVERTED: Record<string, { dtype: DType; bytes: number; read: (v: DataView, at: number) => number }> = {
  F64: { dtype: 'float32', bytes: 8, read: (v, at) => v.getFloat64(at, true) },
  F16: { dtype: 'float32', bytes: 2, read: (v, at) => halfToNumber(v.getUint16(at, true)) },
  BF16: { dtype: 'float32', bytes: 2, read: (v, at) => new Float32Array(new Uint32Array([v.getUint16(at, true) << 16]).buffer)[0] },
  I64: { dtype: 'int32', bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  I16: { dtype: 'int32', bytes: 2, read: (v, at) => v.getInt16(at, true) },
  U16: { dtype: 'int32', bytes: 2, read: (v, at) => v.getUint16(at, true) },
};

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Options of {@link loadSafetensors}.
 * @example
 * ```ts
 * const bytes = await saveSafetensors({ weight: ones([2, 2]) });
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
 * Read a safetensors file into named tensors. F32, I32, BOOL, I8 and U8 load as they are; PyTorch's
 * F64, F16 and BF16 load as float32 and I64, I16, U16 as int32 (values outside int32 throw).
 * Other dtypes throw a `DTypeError` naming the tensor.
 * @example
 * ```ts
 * const bytes = await saveSafetensors({ weight: ones([2, 2]) });
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
    if (
      !e ||
      typeof e !== 'object' ||
      typeof e.dtype !== 'string' ||
      !Array.isArray(e.shape) ||
      !e.shape.every(isCount) ||
      !Array.isArray(e.data_offsets) ||
      e.data_offsets.length !== 2 ||
      !e.data_offsets.every(isCount)
    ) {
      throw fail(
        `tensor '${name}' needs a dtype string, a shape of non-negative integers and two non-negative integer data_offsets, got ${JSON.stringify(entry)}`,
      );
    }
    const {
      dtype: code,
      shape,
      data_offsets: [begin, end],
    } = e as HeaderEntry;
    const conv = CONVERTED[code];
    const dtype = FROM_CODE[code] ?? conv?.dtype;
    if (!dtype) {
      throw new DTypeError(
        'loadSafetensors',
        `tensor '${name}' has dtype ${code}; supported: ${[...Object.values(CODE), ...Object.keys(CONVERTED)].join(', ')}`,
      );
    }
    const size = numel(shape);
    const width = conv ? conv.bytes : bytesPerElement(dtype);
    if (end - begin !== size * width || base + end > bytes.length || begin < 0) {
      throw fail(`tensor '${name}' has offsets [${begin}, ${end}] that do not match shape [${shape}] of ${code} or the file size`);
    }
    const host = allocArray(dtype, size); // copy: the file's bytes need not be aligned for the typed array
    if (conv) {
      const dv = new DataView(bytes.buffer, bytes.byteOffset + base + begin, end - begin);
      for (let i = 0; i < size; i++) {
        const v = conv.read(dv, i * width);
        if (dtype === 'int32' && (v < -(2 ** 31) || v >= 2 ** 31)) {
          throw new DTypeError('loadSafetensors', `tensor '${name}' (${code}) holds ${v}, outside the int32 range it is loaded as`);
        }
        host[i] = v;
      }
    } else {
      new Uint8Array(host.buffer).set(bytes.subarray(base + begin, base + end));
    }
    out[name] = fromArray(host, shape, { dtype, device: opts.device }, 'loadSafetensors');
  }
  return out;
}
