/**
 * Cuts a process's output into log lines: at each newline, and every 16 KiB of a line that
 * runs longer (a progress bar redrawn with \r, a minified blob), so one line never grows
 * without bound in memory or in the log. It splits bytes before decoding them: a UTF-8
 * character torn between two reads is joined again, and a long line is never cut inside one.
 */

export const MAX_LINE_BYTES = 16 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class LineSplitter {
  #pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxBytes: number = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    const data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const newline = data.indexOf(NEWLINE, start);
      const end = newline === -1 ? data.length : newline;
      while (end - start > this.maxBytes) {
        const cut = characterBoundary(data, start, start + this.maxBytes);
        this.emit(data.toString('utf8', start, cut));
        start = cut;
      }
      if (newline === -1) break;
      this.#emitLine(data, start, newline);
      start = newline + 1;
    }
    // A copy, so the pending tail does not keep the whole chunk alive.
    this.#pending = Buffer.from(data.subarray(start));
  }

  /** Emits what is left without a newline: the last line of a process that ended mid-line. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    this.#emitLine(rest, 0, rest.length);
  }

  #emitLine(data: Buffer, start: number, end: number): void {
    // A line ended by \r\n is the same line as one ended by \n.
    const stop = end > start && data[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    this.emit(data.toString('utf8', start, stop));
  }
}

/** The last position at or before `limit` that does not fall inside a UTF-8 character. */
function characterBoundary(data: Buffer, start: number, limit: number): number {
  let cut = limit;
  // Continuation bytes look like 10xxxxxx; a character is at most 4 bytes long.
  while (cut > start && cut > limit - 4 && ((data[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return cut > start && ((data[cut] ?? 0) & 0xc0) !== 0x80 ? cut : limit;
}
