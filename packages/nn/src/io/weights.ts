import { ArgumentError, loadSafetensors, saveSafetensors } from '@aimodel/tensor';
import type { LoadStateDictOptions, LoadStateDictResult, Module } from '../module';

/**
 * A model's state dict (parameters and buffers, PyTorch key names) as safetensors bytes, which
 * Python's `safetensors.torch.load_file` reads into a PyTorch `state_dict`.
 * @example
 * ```ts
 * const model = new Linear(4, 2);
 * const bytes = await saveWeights(model); // e.g. writeFileSync('model.safetensors', bytes) in Node
 * ```
 */
export function saveWeights(model: Module, metadata?: Record<string, string>): Promise<Uint8Array> {
  return saveSafetensors(model.stateDict(), metadata);
}

/**
 * Load safetensors bytes (ours, or a PyTorch `state_dict` saved with `safetensors.torch.save_file`)
 * into `model`. Strict by default: keys must match; shapes always must.
 * @example
 * ```ts
 * const model = new Linear(4, 2);
 * const bytes = await saveWeights(new Linear(4, 2)); // or readFileSync('model.safetensors') in Node
 * loadWeights(model, bytes);
 * ```
 */
export function loadWeights(model: Module, bytes: Uint8Array, opts: LoadStateDictOptions = {}): LoadStateDictResult {
  if (metadataFormat(bytes) === 'aimodel-quantized') {
    throw new ArgumentError(
      'loadWeights',
      'this file holds a quantized model (written by saveQuantized of @aimodel/compress): load it with loadQuantized(model, bytes)',
    );
  }
  const device = model.parameters()[0]?.device;
  const dict = loadSafetensors(bytes, device ? { device } : {});
  try {
    return model.loadStateDict(dict, opts);
  } finally {
    for (const t of Object.values(dict)) t.dispose();
  }
}

/** The `format` entry of a safetensors file's `__metadata__`, if it has one (loadSafetensors reports bad files). */
function metadataFormat(bytes: Uint8Array): string | undefined {
  try {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
    return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))).__metadata__?.format;
  } catch {
    return undefined;
  }
}
