/**
 * The run-time side of the precomputed WebAssembly modules of the published build (see
 * ./modules.ts and tsup.config.ts): one compressed blob (./lz-codec.ts) holding an index from each
 * emitter call to its bytes and every module, decoded on first use.
 */
import { compress, decompress, fromText, toText } from './lz-codec';

/** The key of an emitter call: its name and arguments (object keys sorted). */
export function moduleKey(name: string, args: readonly unknown[]): string {
  return `${name}${JSON.stringify(args, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v))}`;
}

/**
 * The precomputed form of `modules` (call key → bytes, as {@link moduleKey} names them): one
 * compressed blob holding a JSON index (key → byte length; the modules follow it in that order:
 * lengths compress better than offsets) and then every module, so the index compresses with them.
 * Runs at build time (tsup.config.ts) and in tests.
 */
export function packModules(modules: Iterable<readonly [string, Uint8Array]>): { blob: string; size: number } {
  const parts: Uint8Array[] = [];
  const index: Record<string, number> = {};
  let end = 0;
  for (const [key, bytes] of modules) {
    index[key] = bytes.length;
    parts.push(bytes);
    end += bytes.length;
  }
  const head = new TextEncoder().encode(`${JSON.stringify(index)}\n`);
  const all = new Uint8Array(head.length + end);
  all.set(head);
  for (let i = 0, at = head.length; i < parts.length; at += parts[i].length, i++) all.set(parts[i], at);
  return { blob: toText(compress(all)), size: all.length };
}

/**
 * A `wasmModule` serving the modules {@link packModules} packed into `blob` (`size` bytes decoded),
 * decoded on first call. Another call warns once and throws, so its caller takes the JS path (as
 * it would without WebAssembly) and says why.
 */
export function precomputedModules(blob: string, size: number) {
  let all: Uint8Array<ArrayBuffer> | undefined;
  const index: Record<string, readonly [number, number]> = {};
  let warned = false;
  return (name: string, ...args: unknown[]): Uint8Array<ArrayBuffer> => {
    if (!all) {
      all = decompress(fromText(blob), size);
      let start = all.indexOf(10) + 1;
      const lengths: Record<string, number> = JSON.parse(new TextDecoder().decode(all.subarray(0, start)));
      for (const key in lengths) index[key] = [start, (start += lengths[key])];
    }
    const key = moduleKey(name, args);
    const at = index[key];
    if (!at) {
      const why = `@aimodel/tensor: the WebAssembly module ${key} is not among this build's precomputed modules; the JavaScript kernels run instead`;
      if (!warned) console.warn(why);
      warned = true;
      throw new Error(why);
    }
    return all.slice(at[0], at[1]);
  };
}
