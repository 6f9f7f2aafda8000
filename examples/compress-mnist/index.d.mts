// Types of index.mjs, for the test that runs the example (packages/compress/test/compress-example.test.ts).

/** One row of the table. */
export interface Row {
  name: string;
  /** Test accuracy in [0, 1] (the mean over the seeds for the students). */
  accuracy: number;
  /** The accuracy of each model (one, or one per seed). */
  accuracies: number[];
  /** Sample standard deviation of `accuracies` over the seeds (null for a single model). */
  accuracyStd: number | null;
  parameters: number;
  nonZeros: number;
  /** Bytes as stored in memory (modelSize). */
  bytes: number;
  /** The safetensors file (saveQuantized for int8 models). */
  fileBytes: number;
  /** The file gzipped (level 9). */
  gzipBytes: number;
  /** Median CPU milliseconds for a batch of 64. */
  cpuMs: number | null;
  /** Median WebGPU milliseconds for a batch of 64 (null without --webgpu or an adapter). */
  gpuMs: number | null;
}

/** One of the bars and whether the run met it. */
export interface Bar {
  bar: string;
  value: string;
  met: boolean;
}

export interface MainOptions {
  /** Tiny subsets and one short epoch each (a smoke test; the baseline is trained, not cached). */
  small?: boolean;
  /** Fine-tuning, QAT and students on all 8,000 training images. */
  full?: boolean;
  /** Add the WebGPU latency column when an adapter exists. */
  webgpu?: boolean;
  /** 'qat': only the float baseline and the QAT row(s) (`--only qat`); the other rows are skipped. */
  only?: 'qat';
  /** fit's seeds (batch order) for QAT, one row each; several only with `only: 'qat'` (default [0]). */
  seeds?: number[];
  /** Where progress and the table go (console.log by default). */
  log?: (line: string) => void;
  /** fit's progress lines: 2 (one per epoch; the default) or 0 (none; the default with `small`). */
  verbose?: 0 | 2;
}

export declare const SEEDS: number[];
export declare function main(opts?: MainOptions): Promise<{ rows: Row[]; table: string; bars: Bar[] }>;
export declare function checkBars(rows: Row[]): Bar[];
