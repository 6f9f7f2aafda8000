import { ArgumentError } from '@aimodel/tensor';
import type { Run, RunStore } from './cooccurrence-counter';

// Disk spill for `cooccurrence(corpus, { tempDir })` (Node only), as the reference's `cooccur
// -memory`: every run the counter sorts goes to a file of 16-byte records (float64 packed key,
// float64 sum; native byte order, never read elsewhere) in a fresh directory under `tempDir`; at
// the end the files are merged k ways (at most FAN_IN at once; more go through intermediate files),
// equal keys summed in run order. The directory is removed by `dispose`, on success and on error.

type NodeFs = typeof import('node:fs');

/** The most files merged at once (open files and read buffers). */
const FAN_IN = 64;
/** Records per read or write buffer (128 KiB). */
const CHUNK = 8192;

/**
 * Throws when files cannot be written here (no Node.js): called before the counting starts, so a
 * browser fails at once with the reason.
 */
export function checkSpillSupported(op: string): void {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  if (typeof p?.versions?.node !== 'string') {
    throw new ArgumentError(
      op,
      "tempDir needs Node.js's file system (node:fs), which this environment lacks; leave tempDir out to keep the sorted runs in memory",
    );
  }
}

/** A sorted source of (key, value) records: an in-memory run or a run file read in chunks. */
interface Cursor {
  key: number;
  value: number;
  /** Moves to the next record; false at the end. */
  next(): boolean;
}

class RunCursor implements Cursor {
  key = 0;
  value = 0;
  private i = 0;
  constructor(private readonly run: Run) {}
  next(): boolean {
    if (this.i >= this.run.keys.length) return false;
    this.key = this.run.keys[this.i];
    this.value = this.run.values[this.i++];
    return true;
  }
}

class FileCursor implements Cursor {
  key = 0;
  value = 0;
  private readonly buf = new Float64Array(2 * CHUNK);
  private readonly bytes = new Uint8Array(this.buf.buffer);
  private have = 0;
  private i = 0;
  private read = 0;
  constructor(
    private readonly fs: NodeFs,
    private readonly fd: number,
    private readonly length: number,
  ) {}
  next(): boolean {
    if (this.i === this.have) {
      const want = Math.min(CHUNK, this.length - this.read);
      if (want === 0) return false;
      let got = 0;
      while (got < want * 16) {
        const n = this.fs.readSync(this.fd, this.bytes, got, want * 16 - got, this.read * 16 + got);
        if (n === 0) throw new Error(`a spilled run ended after ${this.read * 16 + got} bytes, expected ${this.length * 16}`);
        got += n;
      }
      this.read += want;
      this.have = want;
      this.i = 0;
    }
    this.key = this.buf[2 * this.i];
    this.value = this.buf[2 * this.i++ + 1];
    return true;
  }
}

/** Writes (key, value) records to a file through a buffer. */
class RunWriter {
  readonly fd: number;
  length = 0;
  private readonly buf = new Float64Array(2 * CHUNK);
  private readonly bytes = new Uint8Array(this.buf.buffer);
  private n = 0;
  constructor(
    private readonly fs: NodeFs,
    readonly path: string,
  ) {
    this.fd = fs.openSync(path, 'w');
  }
  add(key: number, value: number): void {
    this.buf[2 * this.n] = key;
    this.buf[2 * this.n + 1] = value;
    this.length++;
    if (++this.n === CHUNK) this.flush();
  }
  flush(): void {
    if (this.n > 0) this.fs.writeSync(this.fd, this.bytes, 0, this.n * 16);
    this.n = 0;
  }
  close(): void {
    this.flush();
    this.fs.closeSync(this.fd);
  }
}

/** Merges sorted cursors, summing equal keys in cursor order, into `emit`. */
function mergeCursors(cursors: Cursor[], emit: (key: number, value: number) => void): void {
  // A binary min-heap of cursor indices ordered by (key, index).
  const heap: number[] = [];
  const less = (a: number, b: number): boolean => cursors[a].key < cursors[b].key || (cursors[a].key === cursors[b].key && a < b);
  const down = (at: number): void => {
    let i = at;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) return;
      const c = l + 1 < heap.length && less(heap[l + 1], heap[l]) ? l + 1 : l;
      if (!less(heap[c], heap[i])) return;
      [heap[c], heap[i]] = [heap[i], heap[c]];
      i = c;
    }
  };
  cursors.forEach((c, k) => {
    if (c.next()) heap.push(k);
  });
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  let key = Number.NaN;
  let sum = 0;
  while (heap.length > 0) {
    const c = cursors[heap[0]];
    if (c.key === key) sum += c.value;
    else {
      if (key === key) emit(key, sum); // not NaN: a key is pending
      key = c.key;
      sum = c.value;
    }
    if (!c.next()) {
      const lastIndex = heap.pop() as number;
      if (heap.length === 0) break;
      heap[0] = lastIndex;
    }
    down(0);
  }
  if (key === key) emit(key, sum);
}

/** Sorted runs as files in a fresh directory under `tempDir` (see the top of this file). */
export class DiskRuns implements RunStore {
  private files: { path: string; length: number }[] = [];
  private made = 0;

  private constructor(
    private readonly fs: NodeFs,
    /** The directory holding the run files (removed by {@link DiskRuns.dispose}). */
    readonly dir: string,
  ) {}

  /** A store in a new directory under `tempDir` (which must exist). */
  static async create(op: string, tempDir: string): Promise<DiskRuns> {
    checkSpillSupported(op);
    const fs = await import('node:fs');
    const { join } = await import('node:path');
    try {
      return new DiskRuns(fs, fs.mkdtempSync(join(tempDir, 'aimodel-cooccur-')));
    } catch (e) {
      throw new ArgumentError(op, `tempDir ${JSON.stringify(tempDir)} cannot hold temporary files: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private writer(): RunWriter {
    return new RunWriter(this.fs, `${this.dir}/run-${this.made++}.bin`);
  }

  push(run: Run): void {
    const w = this.writer();
    try {
      for (let i = 0; i < run.keys.length; i++) w.add(run.keys[i], run.values[i]);
    } finally {
      w.close();
    }
    this.files.push({ path: w.path, length: w.length });
  }

  /** Merges the files (FAN_IN at a time while there are more) with the in-memory runs. */
  finish(dense: Run, last: Run): Run {
    while (this.files.length + 2 > FAN_IN) {
      const group = this.files.splice(0, FAN_IN);
      const w = this.writer();
      try {
        this.mergeFiles(group, [], (k, v) => w.add(k, v));
      } finally {
        w.close();
      }
      for (const f of group) this.fs.rmSync(f.path, { force: true });
      this.files.push({ path: w.path, length: w.length });
    }
    const chunks: Run[] = [];
    let keys = new Float64Array(CHUNK);
    let values = new Float64Array(CHUNK);
    let n = 0;
    let total = 0;
    this.mergeFiles(this.files, [dense, last], (k, v) => {
      if (n === CHUNK) {
        chunks.push({ keys, values });
        keys = new Float64Array(CHUNK);
        values = new Float64Array(CHUNK);
        n = 0;
      }
      keys[n] = k;
      values[n++] = v;
      total++;
    });
    chunks.push({ keys: keys.subarray(0, n), values: values.subarray(0, n) });
    const out: Run = { keys: new Float64Array(total), values: new Float64Array(total) };
    let at = 0;
    for (const c of chunks) {
      out.keys.set(c.keys, at);
      out.values.set(c.values, at);
      at += c.keys.length;
    }
    return out;
  }

  private mergeFiles(files: { path: string; length: number }[], runs: Run[], emit: (key: number, value: number) => void): void {
    const fds: number[] = [];
    try {
      const cursors: Cursor[] = [];
      for (const f of files) {
        const fd = this.fs.openSync(f.path, 'r');
        fds.push(fd);
        cursors.push(new FileCursor(this.fs, fd, f.length));
      }
      for (const r of runs) cursors.push(new RunCursor(r));
      mergeCursors(cursors, emit);
    } finally {
      for (const fd of fds) this.fs.closeSync(fd);
    }
  }

  /** Removes the directory and every file in it. */
  dispose(): void {
    this.fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
