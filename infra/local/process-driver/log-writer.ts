/**
 * Appends to a task's log: one JSON object a line, `{"t": ISO 8601, "s": stream, "m": text}`,
 * stamped when the line is complete. NDJSON keeps every line self-contained, so a reader can
 * start at any line boundary and a line torn by a crash spoils only itself.
 *
 * stdout and stderr come through two pipes, so lines from the two are in the order they were
 * read: exact within a stream, and across streams whenever the process paused between them.
 */
import { closeSync, createWriteStream, openSync, readSync, statSync, type WriteStream } from 'node:fs';

export type LogStream = 'stdout' | 'stderr' | 'system';

/** A log line as stored; `LogLine` in the port is the same with readable names. */
export interface LogRecord {
  t: string;
  s: LogStream;
  m: string;
}

export class LogWriter {
  readonly #file: WriteStream;
  readonly #drainWaiters: Array<() => void> = [];
  #failed = false;
  #closed: Promise<void> | undefined;

  constructor(
    path: string,
    private readonly clock: () => Date,
  ) {
    const torn = endsMidLine(path);
    this.#file = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.#file.on('drain', () => this.#releaseDrainWaiters());
    this.#file.on('error', (error) => {
      // A full disk must not take the control plane down: the task runs on, unlogged.
      if (!this.#failed) console.error(`process driver: writing ${path} failed; the rest of this log is lost:`, error);
      this.#failed = true;
      this.#releaseDrainWaiters();
    });
    // A line cut short by a crash gets its newline, so the next line is not glued to it.
    if (torn) this.#file.write('\n');
  }

  /** Appends a line; false when the buffer is full and the source should wait for `onDrain`. */
  write(stream: LogStream, message: string): boolean {
    if (this.#failed || this.#closed !== undefined) return true;
    const record: LogRecord = { t: this.clock().toISOString(), s: stream, m: message };
    return this.#file.write(`${JSON.stringify(record)}\n`);
  }

  onDrain(callback: () => void): void {
    if (this.#failed) queueMicrotask(callback);
    else this.#drainWaiters.push(callback);
  }

  /** Writes out everything appended so far and closes the file; safe to call more than once. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (this.#file.closed) return resolve();
      this.#file.once('close', () => resolve());
      this.#file.end();
    });
    return this.#closed;
  }

  #releaseDrainWaiters(): void {
    for (const waiter of this.#drainWaiters.splice(0)) waiter();
  }
}

function endsMidLine(path: string): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size === 0) return false;
  const fd = openSync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}
