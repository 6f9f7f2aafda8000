/** `mm:ss` (or `h:mm:ss`) of a duration in seconds. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * The terminal progress line of word2vec training (starts with \r, no newline): epoch, a bar of
 * the whole run, raw words per second so far, the current learning rate and the time left.
 */
export function word2vecProgressLine(epoch: number, epochs: number, fraction: number, wordsPerSecond: number, alpha: number, elapsed: number): string {
  const width = 20;
  const overall = Math.min(1, (epoch - 1 + fraction) / epochs);
  const done = Math.round(overall * width);
  const eta = overall > 0 ? (elapsed / overall) * (1 - overall) : 0;
  const rate = Math.round(wordsPerSecond).toLocaleString('en-US');
  return `\rword2vec epoch ${String(epoch).padStart(String(epochs).length)}/${epochs} [${'='.repeat(done)}${' '.repeat(width - done)}] ${(overall * 100).toFixed(0).padStart(3)}%  ${rate} words/s  lr ${alpha.toFixed(6)}  ETA ${clock(eta)} `;
}
