// The terminal progress lines of the trainers (GloVe, word2vec): each starts with \r and has no
// newline, so the line redraws in place; a bar 20 wide and the time left.

/** `mm:ss` (or `h:mm:ss`) of a duration in seconds. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** `e/E [====    ]` for epoch e of E with `fraction` ∈ [0, 1] of the whole run done. */
function bar(epoch: number, epochs: number, fraction: number): string {
  const width = 20;
  const done = Math.round(fraction * width);
  return `${String(epoch).padStart(String(epochs).length)}/${epochs} [${'='.repeat(done)}${' '.repeat(width - done)}]`;
}

/** The terminal progress line of a GloVe pass: a bar, the pass's cost, its time and the ETA. */
export function progressLine(epoch: number, epochs: number, cost: number, seconds: number, elapsed: number): string {
  const eta = (elapsed / epoch) * (epochs - epoch);
  return `\rGloVe ${bar(epoch, epochs, epoch / epochs)} cost ${cost.toFixed(6)}  ${seconds.toFixed(2)} s/pass  ETA ${clock(eta)} `;
}

/**
 * The terminal progress line of word2vec training: epoch, a bar of the whole run, raw words per
 * second so far, the current learning rate and the time left.
 */
export function word2vecProgressLine(epoch: number, epochs: number, fraction: number, wordsPerSecond: number, alpha: number, elapsed: number): string {
  const overall = Math.min(1, (epoch - 1 + fraction) / epochs);
  const eta = overall > 0 ? (elapsed / overall) * (1 - overall) : 0;
  const rate = Math.round(wordsPerSecond).toLocaleString('en-US');
  return `\rword2vec epoch ${bar(epoch, epochs, overall)} ${(overall * 100).toFixed(0).padStart(3)}%  ${rate} words/s  lr ${alpha.toFixed(6)}  ETA ${clock(eta)} `;
}
