import { DeviceError } from '@aimodel/tensor';
import type { Word2VecSetup } from './word2vec-cpu';
import { type NodeWorker as Worker, startWorkers } from './worker-threads';

/** Messages to a word2vec worker: its setup once, then "run epoch e". */
export type ToWord2VecWorker = { type: 'setup'; setup: Word2VecSetup; slot: number } | { type: 'epoch'; epoch: number };
/** Messages from a worker: the effective words it trained in the epoch, or a failure. */
export type FromWord2VecWorker = { type: 'done'; words: number } | { type: 'error'; message: string };

type NodeWorker = Worker<ToWord2VecWorker, FromWord2VecWorker>;

/**
 * Worker threads that train word2vec epochs Hogwild-style: every worker claims the epoch's jobs
 * from a shared atomic counter (gensim's job queue) and updates the shared vectors without locks.
 */
export class Word2VecPool {
  private pending: { words: number; left: number; resolve: (w: number) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly op: string,
    private readonly workers: NodeWorker[],
  ) {}

  /** Starts `count` workers on `setup` (its arrays and memory must be shared); worker t uses scratch slot t. */
  static async start(op: string, count: number, setup: Word2VecSetup): Promise<Word2VecPool> {
    const workers: NodeWorker[] = await startWorkers<ToWord2VecWorker, FromWord2VecWorker>(op, 'word2vec-worker', count);
    const pool = new Word2VecPool(op, workers);
    workers.forEach((w, slot) => {
      w.on('message', (m) => pool.onMessage(m));
      w.on('error', (e) => pool.fail(new DeviceError(op, `a training thread failed: ${e.message}`)));
      w.postMessage({ type: 'setup', setup, slot });
    });
    return pool;
  }

  /** Runs epoch `epoch` (0-based) on every worker; resolves with the effective words trained. */
  epoch(epoch: number): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { words: 0, left: this.workers.length, resolve, reject };
      for (const w of this.workers) w.postMessage({ type: 'epoch', epoch });
    });
  }

  private onMessage(m: FromWord2VecWorker): void {
    if (m.type === 'error') {
      this.fail(new DeviceError(this.op, `a training thread failed: ${m.message}`));
      return;
    }
    const p = this.pending;
    if (!p) return;
    p.words += m.words;
    if (--p.left === 0) {
      this.pending = undefined;
      p.resolve(p.words);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
