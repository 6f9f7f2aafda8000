/**
 * The run-time side of the precomputed WebAssembly modules of the published build (see
 * ./modules.ts and tsup.config.ts): one compressed blob holding every module (./lz-codec.ts),
 * decoded on first use, and an index from each emitter call to its bytes.
 */
import { decompress, fromText } from './lz-codec';

/** The key of an emitter call: its name and arguments (object keys sorted). */
export function moduleKey(name: string, args: readonly unknown[]): string {
  return `${name}${JSON.stringify(args, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v))}`;
}

/**
 * A `wasmModule` serving the calls in `index` (key → [start, end) in the decoded blob). Another call
 * warns once and throws, so its caller takes the JS path (as it would without WebAssembly) and
 * says why.
 */
export function precomputedModules(blob: string, size: number, index: Record<string, readonly [number, number]>) {
  let all: Uint8Array<ArrayBuffer> | undefined;
  let warned = false;
  return (name: string, ...args: unknown[]): Uint8Array<ArrayBuffer> => {
    const key = moduleKey(name, args);
    const at = index[key];
    if (!at) {
      const why = `@aimodel/tensor: the WebAssembly module ${key} is not among this build's precomputed modules; the JavaScript kernels run instead`;
      if (!warned) console.warn(why);
      warned = true;
      throw new Error(why);
    }
    all ??= decompress(fromText(blob), size);
    return all.slice(at[0], at[1]);
  };
}
