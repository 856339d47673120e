/** The most lines the log view keeps; older lines are dropped as new ones arrive. */
export const MAX_LOG_LINES = 10_000;

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * A log's text, keeping at most `max` lines: appending costs the size of the chunk, not of the
 * whole log, and dropping old lines happens in one cut at a line boundary.
 */
export class LogBuffer {
  text = '';
  /** Complete lines in text (newlines seen). */
  private lines = 0;
  /** Whether older lines were dropped. */
  dropped = false;

  constructor(private readonly max = MAX_LOG_LINES) {}

  append(chunk: string): this {
    this.text += chunk;
    this.lines += countNewlines(chunk);
    if (this.lines > this.max) {
      let cut = -1;
      for (let i = 0; i < this.lines - this.max; i++) {
        cut = this.text.indexOf('\n', cut + 1);
      }
      this.text = this.text.slice(cut + 1);
      this.lines = this.max;
      this.dropped = true;
    }
    return this;
  }
}
