// The two text-classification examples (examples/spam-filter, examples/poetry-dynasty) run on
// their small slices on the CPU, through the built packages as a user runs them: what they print
// and return is checked (report layout, confusion matrix consistent with the report, accuracy
// above chance). Build first: the examples import the built @aimodel/nn, nlp and optim.
import { memory } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';

interface Run<R> {
  result: R;
  lines: string[];
}

async function run<R>(name: string): Promise<Run<R>> {
  const url = new URL(`../../../examples/${name}/index.mjs`, import.meta.url).href;
  const { main } = (await import(/* @vite-ignore */ url)) as { main: (opts: Record<string, unknown>) => Promise<R> };
  const lines: string[] = [];
  const result = await main({ small: true, device: 'cpu', log: (line: string) => lines.push(line) });
  return { result, lines };
}

interface Scores {
  report: string;
  confusion: number[][];
  accuracy: number;
}

/** The report's rows (scikit-learn's layout) with the numbers they print. */
function checkReport(report: string, names: string[], confusion: number[][]): void {
  const rows = report.split('\n');
  expect(rows[0].trim().split(/\s+/)).toEqual(['precision', 'recall', 'f1-score', 'support']);
  expect(rows[1]).toBe('');
  const total = confusion.flat().reduce((a, b) => a + b, 0);
  names.forEach((name, c) => {
    const cells = rows[2 + c].trim().split(/\s+/);
    expect(cells[0]).toBe(name);
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((s, row) => s + row[c], 0);
    expect(Number(cells[4])).toBe(support);
    expect(Number(cells[1])).toBeCloseTo(predicted ? tp / predicted : 0, 3); // precision, 3 digits
    expect(Number(cells[2])).toBeCloseTo(tp / support, 3); // recall
  });
  const acc = rows
    .find((r) => r.trim().startsWith('accuracy'))!
    .trim()
    .split(/\s+/);
  expect(Number(acc[1])).toBeCloseTo((confusion[0][0] + confusion[1][1]) / total, 3);
  expect(Number(acc[2])).toBe(total);
  expect(rows.some((r) => r.trim().startsWith('macro avg'))).toBe(true);
  expect(rows.some((r) => r.trim().startsWith('weighted avg'))).toBe(true);
}

describe('text classification examples (small slices, CPU)', () => {
  it('spam-filter: both models print a consistent report and beat the majority class', async () => {
    const before = memory().tensors;
    const { result, lines } = await run<{ a: Scores & { f1Spam: number }; b: Scores & { f1Spam: number }; nTrain: number; nTest: number }>('spam-filter');
    expect(lines[0]).toMatch(/^605 mails \(415 ham, 190 spam\), first 40 word tokens of each, on cpu \(\d+\.\d s\)$/);
    expect(result.nTrain + result.nTest).toBe(605);
    expect(result.nTest).toBe(121); // ⌈0.2 · 605⌉
    for (const m of [result.a, result.b]) {
      checkReport(m.report, ['ham', 'spam'], m.confusion);
      expect(m.confusion[1].reduce((x, y) => x + y, 0)).toBe(38); // stratified: 190/605 of 121
      expect(m.accuracy).toBeGreaterThan(83 / 121 + 0.05); // the majority class (ham) is 68.6%
      expect(m.f1Spam).toBeGreaterThan(0.6);
    }
    expect(lines.at(-1)).toMatch(/^\nspam-class F1 on the held-out 20%: \(a\) \d\.\d{3}, \(b\) \d\.\d{3}$/);
    expect(memory().tensors).toBe(before);
  });

  it('poetry-dynasty: Tang vs Song above the majority baseline, attention weights of one poem', async () => {
    const before = memory().tensors;
    const { result, lines } = await run<Scores & { majority: number; attention: { char: string; weight: number; position: number }[] }>('poetry-dynasty');
    checkReport(result.report, ['Tang', 'Song'], result.confusion);
    expect(result.majority).toBe(0.5); // balanced classes, stratified split
    expect(result.accuracy).toBeGreaterThan(0.6); // seeds 1–4 of this slice give 67–72%
    // the pooling weights are a distribution over the poem's characters, sorted descending
    const total = result.attention.reduce((s, a) => s + a.weight, 0);
    expect(total).toBeCloseTo(1, 5);
    for (let i = 1; i < result.attention.length; i++) expect(result.attention[i].weight).toBeLessThanOrEqual(result.attention[i - 1].weight);
    expect(lines.some((l) => /^held-out accuracy \d+\.\d% vs majority-class baseline 50\.0%$/.test(l))).toBe(true);
    expect(memory().tensors).toBe(before);
  });
});
