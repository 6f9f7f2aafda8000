// Running a seed example (examples/<name>/index.mjs) as a user does, for the seed-example tests.

export interface Run<R> {
  result: R;
  lines: string[];
}

/** Import examples/<name>/index.mjs and run its main on the small slice (on the CPU unless `extra` says), collecting its output. */
export async function run<R>(name: string, extra: Record<string, unknown> = {}): Promise<Run<R>> {
  const url = new URL(`../../../../examples/${name}/index.mjs`, import.meta.url).href;
  const { main } = (await import(/* @vite-ignore */ url)) as { main: (opts: Record<string, unknown>) => Promise<R> };
  const lines: string[] = [];
  const result = await main({ small: true, device: 'cpu', log: (line: string) => lines.push(line), ...extra });
  return { result, lines };
}
