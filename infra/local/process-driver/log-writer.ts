/**
 * Appends to a task's log: one JSON object a line, `{"t": ISO 8601, "s": stream, "m": text}`,
 * stamped when the line is complete. NDJSON keeps every line self-contained, so a reader can
 * start at any line boundary and a line torn by a crash spoils only itself.
 *
 * stdout and stderr come through two pipes, so lines from the two are in the order they were
 * read: exact within a stream, and across streams whenever the process paused between them.
 *
 * A task's log is capped (`maxBytes`, 10 MB by default): the log is two halves, `log.ndjson` and
 * the one before it, `log.1.ndjson`. When the current half is full it becomes the previous one,
 * the oldest half is deleted, and the new half opens with a `system` line that states the cap
 * and that older lines were dropped. That line also carries (`o`) the offset at which the new
 * half starts among all lines ever written, so readers' cursors stay valid across rotations.
 */
import { closeSync, createWriteStream, openSync, readSync, renameSync, statSync, type WriteStream } from 'node:fs';

export type LogStream = 'stdout' | 'stderr' | 'system';

/** A log line as stored; `LogLine` in the port is the same with readable names. */
export interface LogRecord {
  t: string;
  s: LogStream;
  m: string;
  /** On the first line of a half that followed a rotation: the offset the half starts at. */
  o?: number;
}

export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** Room for a few of the longest lines (16 KB, more once escaped) in each half. */
export const MIN_LOG_MAX_BYTES = 256 * 1024;

/** Where the previous half of the log at `path` is kept. */
export function previousHalfOf(path: string): string {
  return path.replace(/(\.ndjson)?$/, '.1.ndjson');
}

export class LogWriter {
  #file: WriteStream;
  readonly #path: string;
  readonly #halfBytes: number;
  readonly #maxBytes: number;
  readonly #drainWaiters: Array<() => void> = [];
  /** Halves being closed after a rotation; close() waits for them too. */
  readonly #closing: Array<Promise<void>> = [];
  /** Bytes in the current half, counting what is queued; and where that half starts among all lines. */
  #size: number;
  #base: number;
  #failed = false;
  #closed: Promise<void> | undefined;

  constructor(
    path: string,
    private readonly clock: () => Date,
    maxBytes: number = DEFAULT_LOG_MAX_BYTES,
  ) {
    this.#path = path;
    this.#maxBytes = Math.max(maxBytes, MIN_LOG_MAX_BYTES);
    this.#halfBytes = Math.floor(this.#maxBytes / 2);
    const torn = endsMidLine(path);
    this.#size = sizeOf(path) ?? 0;
    this.#base = halfStart(path);
    this.#file = this.#open();
    // A line cut short by a crash gets its newline, so the next line is not glued to it.
    if (torn) this.#append('\n');
  }

  /** Appends a line; false when the buffer is full and the source should wait for `onDrain`. */
  write(stream: LogStream, message: string): boolean {
    if (this.#failed || this.#closed !== undefined) return true;
    const line = `${JSON.stringify({ t: this.clock().toISOString(), s: stream, m: message } satisfies LogRecord)}\n`;
    if (this.#size > 0 && this.#size + Buffer.byteLength(line) > this.#halfBytes) this.#rotate();
    return this.#append(line);
  }

  onDrain(callback: () => void): void {
    if (this.#failed) queueMicrotask(callback);
    else this.#drainWaiters.push(callback);
  }

  /** Writes out everything appended so far and closes the file; safe to call more than once. */
  close(): Promise<void> {
    this.#closed ??= Promise.all([...this.#closing, endStream(this.#file)]).then(() => undefined);
    return this.#closed;
  }

  #open(): WriteStream {
    // Opened now, not on the stream's next tick: a rotation in this same tick must find the file to rename.
    const file = createWriteStream(this.#path, { fd: openSync(this.#path, 'a', 0o600) });
    file.on('drain', () => this.#releaseDrainWaiters());
    file.on('error', (error) => {
      // A full disk must not take the control plane down: the task runs on, unlogged.
      if (!this.#failed) console.error(`process driver: writing ${this.#path} failed; the rest of this log is lost:`, error);
      this.#failed = true;
      this.#releaseDrainWaiters();
    });
    return file;
  }

  #append(text: string): boolean {
    this.#size += Buffer.byteLength(text);
    return this.#file.write(text);
  }

  /**
   * The current half becomes the previous one (replacing the oldest). Lines still queued for it
   * land in it all the same: its stream writes to the file it opened, whatever its name now.
   */
  #rotate(): void {
    try {
      renameSync(this.#path, previousHalfOf(this.#path));
    } catch (error) {
      // Nothing to rotate, or a disk that refuses: keep appending rather than lose lines now.
      console.error(`process driver: could not rotate ${this.#path}; it grows past its cap:`, error);
      return;
    }
    const previous = this.#file;
    this.#closing.push(endStream(previous).finally(() => this.#releaseDrainWaiters()));
    this.#base += this.#size;
    this.#size = 0;
    this.#file = this.#open();
    const capMb = (this.#maxBytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');
    const notice: LogRecord = {
      t: this.clock().toISOString(),
      s: 'system',
      m: `this task's log is capped at ${capMb} MB: lines older than the previous ${Math.round(this.#halfBytes / 1024)} KB have been dropped`,
      o: this.#base,
    };
    this.#append(`${JSON.stringify(notice)}\n`);
  }

  #releaseDrainWaiters(): void {
    for (const waiter of this.#drainWaiters.splice(0)) waiter();
  }
}

/** The offset the half at `path` starts at among all lines ever written. */
function halfStart(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0;
  }
  try {
    const head = Buffer.alloc(HALF_HEAD_BYTES);
    return startFromHead(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } finally {
    closeSync(fd);
  }
}

/** Enough of a half's beginning to hold its first line, the rotation notice. */
export const HALF_HEAD_BYTES = 512;

/** From the first bytes of a half: its first line's `o`, or 0 for a log that was never rotated. */
export function startFromHead(head: Buffer): number {
  const firstLine = head.toString('utf8').split('\n', 1)[0] ?? '';
  const offset = /"o":(\d{1,15})\}$/.exec(firstLine)?.[1];
  return offset === undefined ? 0 : Number(offset);
}

function endStream(file: WriteStream): Promise<void> {
  return new Promise<void>((resolve) => {
    if (file.closed) return resolve();
    file.once('close', () => resolve());
    file.end();
  });
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function endsMidLine(path: string): boolean {
  const size = sizeOf(path);
  if (size === undefined || size === 0) return false;
  const fd = openSync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}
