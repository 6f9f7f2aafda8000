/** `mm:ss` (or `h:mm:ss`) of a duration in seconds. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** The terminal progress line of a GloVe pass: a bar, the pass's cost, its time and the ETA (starts with \r, no newline). */
export function progressLine(epoch: number, epochs: number, cost: number, seconds: number, elapsed: number): string {
  const width = 20;
  const done = Math.round((epoch / epochs) * width);
  const eta = (elapsed / epoch) * (epochs - epoch);
  return `\rGloVe ${String(epoch).padStart(String(epochs).length)}/${epochs} [${'='.repeat(done)}${' '.repeat(width - done)}] cost ${cost.toFixed(6)}  ${seconds.toFixed(2)} s/pass  ETA ${clock(eta)} `;
}
