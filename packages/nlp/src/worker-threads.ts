import { DeviceError } from '@aimodel/tensor';

// What GloVe's and word2vec's Hogwild trainers share: the check that threads can run, and starting
// `count` workers on a script built beside this module (node:worker_threads is loaded only then).

/** True where Hogwild threads can run: Node with worker_threads and SharedArrayBuffer. */
export function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** Minimal structural type of node:worker_threads' Worker, with the messages it takes and sends. */
export interface NodeWorker<To, From> {
  postMessage(m: To): void;
  on(event: 'message', fn: (m: From) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  terminate(): Promise<number>;
}

/**
 * `count` workers running `<name>.js` (ESM) or `<name>.cjs` (CommonJS; tsup's shims give that
 * build an `import.meta.url`), which tsup builds beside the package's entry.
 */
export async function startWorkers<To, From>(op: string, name: string, count: number): Promise<NodeWorker<To, From>[]> {
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const meta = import.meta.url;
  const url = new URL(meta.endsWith('.cjs') ? `./${name}.cjs` : `./${name}.js`, meta);
  if (!existsSync(fileURLToPath(url))) {
    throw new DeviceError(
      op,
      `threads need the worker script ${fileURLToPath(url)}, which is missing (it is built by tsup beside the package's entry; run from the built package)`,
    );
  }
  const { Worker } = (await import('node:worker_threads')) as unknown as { Worker: new (url: URL) => NodeWorker<To, From> };
  return Array.from({ length: count }, () => new Worker(url));
}
