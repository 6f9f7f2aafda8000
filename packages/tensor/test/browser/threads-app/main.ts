// The page of threads.test.ts: the CPU backend's thread count in this page (cross-origin
// isolated or not, as the test serves it), and a product large enough to split computed on one
// thread and on two, left on window.report.
import * as am from '@aimodel/tensor';

export interface ThreadsReport {
  isolated: boolean;
  /** getThreads() before init: the default here. */
  defaultThreads: number;
  /** getThreads() after init({ threads: 2 }): 2 once the workers are up, else 1. */
  threads: number;
  /** The two products agree bit for bit. */
  sameBits: boolean;
  /** Element [3, 4] of the product, and the same dot product summed by hand in doubles. */
  value: number;
  expected: number;
  error?: string;
}

const [M, K, N] = [200, 300, 180];
/** Seeded floats in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

async function run(): Promise<ThreadsReport> {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const defaultThreads = am.getThreads();
  const a = values(M * K, 1),
    b = values(K * N, 2);
  const product = () =>
    am.scope(() => {
      const y = am
        .tensor(a)
        .reshape([M, K])
        .matmul(am.tensor(b).reshape([K, N]));
      return (y.dataSync() as Float32Array).slice();
    });
  await am.init({ device: 'cpu', threads: 1 });
  const one = product();
  await am.init({ device: 'cpu', threads: 2 });
  const threads = am.getThreads();
  const two = product();
  const bits = (x: Float32Array) => new Uint32Array(x.buffer);
  const sameBits = one.length === two.length && bits(one).every((v, i) => v === bits(two)[i]);
  let expected = 0;
  for (let k = 0; k < K; k++) expected += a[3 * K + k] * b[k * N + 4];
  return { isolated, defaultThreads, threads, sameBits, value: two[3 * N + 4], expected };
}

(window as unknown as { report: Promise<ThreadsReport> }).report = run().catch((e: unknown) => ({ error: String((e as Error)?.stack ?? e) }) as ThreadsReport);
