import type { Logs } from './callbacks';

/**
 * Where the progress bar writes; a TTY gets a live bar, anything else one line per epoch or nothing.
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * model.compile({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, metrics: ['accuracy'] });
 * const x = randn([100, 4]);
 * const y = randint(0, 3, [100]);
 * const lines: string[] = [];
 * await model.fit(x, y, { epochs: 3, verbose: 2, stream: { write: (text) => lines.push(text) } });
 * ```
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

function fmtLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2)}`)
    .join(' · ');
}

function fmtTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * Keras-style progress display: `Epoch 3/10 [=========>.....] 120/235 · 4s ETA 3s · loss 0.2314`.
 * Verbosity 1 redraws one line per batch on a terminal; 2 prints one line per epoch; 0 is silent.
 */
export class ProgressBar {
  private started = 0;
  private epochStarted = 0;
  private lastDraw = 0;

  constructor(
    private readonly stream: ProgressStream,
    private readonly verbose: 0 | 1 | 2,
    private readonly epochs: number,
    private readonly batches: number,
  ) {}

  startEpoch(epoch: number): void {
    this.epochStarted = performance.now();
    if (!this.started) this.started = this.epochStarted;
    if (this.verbose === 1) this.stream.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }

  batch(done: number, logs: Logs): void {
    if (this.verbose !== 1) return;
    const now = performance.now();
    if (done < this.batches && now - this.lastDraw < 100) return; // redraw at most 10×/s
    this.lastDraw = now;
    const elapsed = (now - this.epochStarted) / 1000;
    const eta = (elapsed / done) * (this.batches - done);
    const width = 30;
    const filled = Math.floor((done / this.batches) * width);
    const bar = `${'='.repeat(Math.max(0, filled - 1))}${done < this.batches ? '>' : '='}${'.'.repeat(width - filled)}`;
    const line = `${done}/${this.batches} [${bar}] ${fmtTime(elapsed)} ETA ${fmtTime(eta)} · ${fmtLogs(logs)}`;
    const max = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, max - 1)}\x1b[K`);
  }

  endEpoch(epoch: number, logs: Logs): void {
    const seconds = (performance.now() - this.epochStarted) / 1000;
    if (this.verbose === 1) this.stream.write(`\r${this.batches}/${this.batches} · ${fmtTime(seconds)} · ${fmtLogs(logs)}\x1b[K\n`);
    if (this.verbose === 2) this.stream.write(`Epoch ${epoch + 1}/${this.epochs} · ${fmtTime(seconds)} · ${fmtLogs(logs)}\n`);
  }
}
