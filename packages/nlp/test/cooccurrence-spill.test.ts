import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError } from '@aimodel/tensor';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cooccurrence } from '../src/cooccurrence';
import { PairCounter } from '../src/cooccurrence-counter';
import { DiskRuns } from '../src/cooccurrence-spill';
import { Vocabulary } from '../src/vocabulary';
import { randomCorpus } from './helpers/random';

// `cooccurrence(corpus, { tempDir })`: sorted runs spilled to files and merged, as the reference's
// `cooccur -memory`. The spilled counts must be the in-memory ones (exactly for integer counts, to
// rounding for 1/d sums) and the temporary files must be gone afterwards, on errors too.

const lines = randomCorpus(500, 500, 11);
const vocab = Vocabulary.fromCounts(
  (() => {
    const counts = new Map<string, number>();
    for (const w of lines.join(' ').split(' ').filter(Boolean)) counts.set(w, (counts.get(w) ?? 0) + 1);
    return counts;
  })(),
  { minCount: 3 },
);
const split = (s: string) => s.split(' ').filter(Boolean);
const TINY = 0.0005; // MiB: a 64-slot hash table, so a run every 32 new pairs (thousands of runs)

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nlp-spill-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The run files present now under `dir` (in the counter's subdirectory). */
function runFiles(): string[] {
  return readdirSync(dir).flatMap((sub) => readdirSync(join(dir, sub)));
}

describe('cooccurrence with tempDir (runs spilled to disk)', () => {
  it('gives the in-memory counts: identical for integer counts, to rounding for 1/d; files removed afterwards', async () => {
    let seenFiles = 0;
    let docs = 0;
    const watching = (s: string) => {
      if (++docs % 200 === 0) seenFiles = Math.max(seenFiles, runFiles().length);
      return split(s);
    };
    for (const distanceWeighting of [false, true]) {
      const memory = await cooccurrence(lines, { vocab, window: 6, distanceWeighting, tokenizer: split });
      const spilled = await cooccurrence(lines, { vocab, window: 6, distanceWeighting, tokenizer: watching, maxMemoryMB: TINY, tempDir: dir });
      const A = memory.toArrays();
      const B = spilled.toArrays();
      expect(memory.nnz).toBeGreaterThan(15_000);
      expect(spilled.nnz).toBe(memory.nnz);
      expect(B.rows).toEqual(A.rows);
      expect(B.cols).toEqual(A.cols);
      if (!distanceWeighting) expect(B.values).toEqual(A.values);
      else {
        let worst = 0;
        for (let r = 0; r < A.values.length; r++) worst = Math.max(worst, Math.abs(B.values[r] - A.values[r]) / A.values[r]);
        expect(worst).toBeLessThanOrEqual(1e-14);
      }
      expect(readdirSync(dir)).toEqual([]);
    }
    // it really went through files: more than the 64 merged at once, so intermediate merges ran
    expect(seenFiles).toBeGreaterThan(64);
  });

  it('removes its files when counting fails midway', async () => {
    let at = 0;
    let filesBeforeError = 0;
    const failing = (s: string) => {
      if (++at === 400) {
        filesBeforeError = runFiles().length;
        throw new Error('tokenizer failed on purpose');
      }
      return split(s);
    };
    await expect(cooccurrence(lines, { vocab, window: 6, tokenizer: failing, maxMemoryMB: TINY, tempDir: dir })).rejects.toThrow('tokenizer failed on purpose');
    expect(filesBeforeError).toBeGreaterThan(10);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes its files when the corpus yields no co-occurrence', async () => {
    await expect(cooccurrence(['w0', 'w1'], { vocab, tokenizer: split, tempDir: dir })).rejects.toThrow('the corpus yields no co-occurrence');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('PairCounter on DiskRuns: thousands of run files merged through intermediate files, as the memory stack merges them', async () => {
    const ids = Int32Array.from({ length: 3000 }, (_, k) => (k * 7919) % 997);
    const ones = Float64Array.from({ length: 11 }, (_, d) => (d ? 1 : 0));
    const store = await DiskRuns.create('test', dir);
    try {
      const disk = new PairCounter(997, 2048, 0.25, store);
      disk.addDocument(ids, ids.length, 10, ones, true);
      const memory = new PairCounter(997, 2048);
      memory.addDocument(ids, ids.length, 10, ones, true);
      expect(disk.spills).toBeGreaterThan(300);
      expect(readdirSync(store.dir).length).toBe(disk.spills);
      const d = disk.finish();
      const m = memory.finish();
      expect(d.keys).toEqual(m.keys);
      expect(d.values).toEqual(m.values);
      // 3000 tokens × 10 previous × 2 directions, minus the first 10 tokens' missing ones
      expect(d.values.reduce((s, x) => s + x, 0)).toBe(2 * (3000 * 10 - 55));
    } finally {
      store.dispose();
    }
    expect(existsSync(store.dir)).toBe(false);
  });

  it('rejects a tempDir that is not a usable directory, and tempDir outside Node.js, with ArgumentErrors', async () => {
    await expect(cooccurrence(lines, { vocab, tempDir: join(dir, 'missing') })).rejects.toThrow(
      `cooccurrence: tempDir ${JSON.stringify(join(dir, 'missing'))} cannot hold temporary files`,
    );
    await expect(cooccurrence(lines, { vocab, tempDir: '' })).rejects.toThrow('tempDir must be a non-empty directory path, got a string ("")');
    await expect(cooccurrence(lines, { vocab, tempDir: 3 as unknown as string })).rejects.toThrow(ArgumentError);
    // A browser: no process.versions.node. The check runs before the first await.
    vi.stubGlobal('process', undefined);
    let pending: Promise<unknown>;
    try {
      pending = cooccurrence(lines, { vocab, tempDir: dir });
    } finally {
      vi.unstubAllGlobals();
    }
    await expect(pending).rejects.toThrow("cooccurrence: tempDir needs Node.js's file system (node:fs), which this environment lacks");
    expect(readdirSync(dir)).toEqual([]);
  });
});
