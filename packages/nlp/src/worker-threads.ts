import { DeviceError } from '@aimodel/tensor';

// What GloVe's and word2vec's Hogwild trainers share: the check that threads can run, and a pool of
// workers on a script built beside this module (node:worker_threads is loaded only then) that runs
// rounds: one message to every worker, one number back from each.

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

/** Messages from a pool worker: the number its round produced (words trained, summed cost), or a failure. */
export type FromPoolWorker = { type: 'done'; value: number } | { type: 'error'; message: string };

/**
 * `count` workers running `<name>.js` (ESM) or `<name>.cjs` (CommonJS; tsup's shims give that
 * build an `import.meta.url`), which tsup builds beside the package's entry.
 */
async function startWorkers<To, From>(op: string, name: string, count: number): Promise<NodeWorker<To, From>[]> {
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

/**
 * Workers that run in rounds: {@link WorkerPool.round} sends one message to every worker and
 * resolves with the sum of the numbers they answer, added in worker order (so the same for any
 * arrival order). A worker's failure rejects the round and every later one with a DeviceError.
 */
export class WorkerPool<To> {
  private pending: { values: number[]; left: number; resolve: (v: number) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly op: string,
    private readonly workers: NodeWorker<To, FromPoolWorker>[],
  ) {}

  /** Starts `count` workers on the script `name`, sending worker t the message `setup(t)` first. */
  static async start<To>(op: string, name: string, count: number, setup: (slot: number) => To): Promise<WorkerPool<To>> {
    const workers = await startWorkers<To, FromPoolWorker>(op, name, count);
    const pool = new WorkerPool(op, workers);
    workers.forEach((w, slot) => {
      w.on('message', (m) => pool.onMessage(slot, m));
      w.on('error', (e) => pool.fail(e.message));
      w.postMessage(setup(slot));
    });
    return pool;
  }

  /** Sends `message` to every worker; resolves with the sum of their answers. */
  round(message: To): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { values: new Array(this.workers.length).fill(0), left: this.workers.length, resolve, reject };
      for (const w of this.workers) w.postMessage(message);
    });
  }

  private onMessage(slot: number, m: FromPoolWorker): void {
    if (m.type === 'error') {
      this.fail(m.message);
      return;
    }
    const p = this.pending;
    if (!p) return;
    p.values[slot] = m.value;
    if (--p.left === 0) {
      this.pending = undefined;
      p.resolve(p.values.reduce((s, v) => s + v, 0));
    }
  }

  private fail(message: string): void {
    this.failure ??= new DeviceError(this.op, `a training thread failed: ${message}`);
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.failure);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
