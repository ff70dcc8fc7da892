/**
 * What makes a restart after a crash cost what changed since, not the whole history: an
 * append-only journal, in the data directory, of the streams written and not yet delivered to
 * every consumer. Each append is recorded before its write is sent to the store (a crash after the
 * write finds the line) and made durable (fdatasync, shared by every append waiting at the same
 * moment) before the append is acknowledged; once the feed delivered the batch, its line is
 * released. The journal is cut into segments of SEGMENT_ENTRIES lines: a segment whose lines
 * are all released (and that is no longer written to) is deleted, so the journal holds only
 * about what is under way.
 *
 * The next start reads the streams of every segment left (`pending`) and delivers only those.
 * That is enough only if every append since the consumers were last complete went through a
 * journal naming the same consumers: `consumers.json`, written once a start has delivered
 * everything (`markComplete`), says so. Without it (a data directory from before the journal, or
 * an upgrade that added a consumer, whose read model must be built) the start scans the history.
 */
import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const datasync = promisify(fdatasync);

/** Lines per segment: small enough that a crash re-delivers little, large enough that segments are rarely opened. */
export const SEGMENT_ENTRIES = 1000;
const CONSUMERS_FILE = 'consumers.json';
const SEGMENT = /^segment-(\d+)\.log$/;

/** One recorded append: durable once `durable` resolves; `release` once its batch is delivered. */
export interface JournalEntry {
  durable: Promise<void>;
  release(): void;
}

class Segment {
  readonly fd: number;
  private pending = 0;
  private written = 0;
  private retired = false;
  /** The fdatasync under way, and the one queued behind it that covers every line written meanwhile. */
  private syncing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a', 0o600);
  }

  get full(): boolean {
    return this.written >= SEGMENT_ENTRIES;
  }

  record(streamId: string): JournalEntry {
    writeSync(this.fd, `${streamId}\n`);
    this.written++;
    this.pending++;
    let released = false;
    return {
      durable: this.sync(),
      release: () => {
        if (released) return;
        released = true;
        this.pending--;
        this.removeIfDone();
      },
    };
  }

  /** No more lines: deleted once every line is released. */
  retire(): void {
    this.retired = true;
    this.removeIfDone();
  }

  private removeIfDone(): void {
    if (!this.retired || this.pending > 0) return;
    void Promise.allSettled([this.syncing, this.queued]).then(() => {
      closeSync(this.fd);
      rmSync(this.path, { force: true });
    });
  }

  /** A sync that starts after a line was written covers it: appends arriving together share one. */
  private sync(): Promise<void> {
    if (this.queued) return this.queued;
    const next: Promise<void> = (this.syncing ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        this.syncing = next;
        return datasync(this.fd);
      });
    this.queued = next;
    const settled = () => {
      if (this.syncing === next) this.syncing = undefined;
    };
    next.then(settled, settled);
    return next;
  }
}

export class DeliveryJournal {
  private current: Segment;
  private next: number;
  /** Segments a previous process left: kept until this start has delivered what they name. */
  private readonly inherited: string[];

  private constructor(private readonly dir: string) {
    this.inherited = readdirSync(dir).filter((name) => SEGMENT.test(name)).map((name) => join(dir, name));
    this.next = Math.max(0, ...this.inherited.map((path) => Number(SEGMENT.exec(path.slice(dir.length + 1))![1]))) + 1;
    this.current = this.openSegment();
  }

  /** Opens (creating) the journal under `dir`; appends recorded from now on go to a new segment. */
  static open(dir: string): DeliveryJournal {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return new DeliveryJournal(dir);
  }

  /** Whether the journal covers every append since the consumers were complete, for exactly these consumers. */
  covers(consumers: readonly string[]): boolean {
    try {
      const recorded = JSON.parse(readFileSync(join(this.dir, CONSUMERS_FILE), 'utf8')) as unknown;
      return Array.isArray(recorded) && recorded.length === consumers.length && recorded.every((name, i) => name === consumers[i]);
    } catch {
      return false;
    }
  }

  /** The streams a previous process recorded and may not have delivered, each once. */
  pending(): string[] {
    const streams = new Set<string>();
    for (const path of this.inherited) {
      for (const line of readFileSync(path, 'utf8').split('\n')) if (line !== '') streams.add(line);
    }
    return [...streams];
  }

  /**
   * Everything the inherited segments name, or the whole history, has been delivered to
   * `consumers`: the inherited segments go, and the journal alone covers what follows.
   */
  markComplete(consumers: readonly string[]): void {
    for (const path of this.inherited.splice(0)) rmSync(path, { force: true });
    const path = join(this.dir, CONSUMERS_FILE);
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(consumers), { mode: 0o600 });
    renameSync(temporary, path);
  }

  /** Records an append to `streamId` before it is written. */
  record(streamId: string): JournalEntry {
    if (this.current.full) {
      this.current.retire();
      this.current = this.openSegment();
    }
    return this.current.record(streamId);
  }

  /** Stops writing; segments with unreleased lines stay for the next start. */
  close(): void {
    this.current.retire();
  }

  private openSegment(): Segment {
    const segment = new Segment(join(this.dir, `segment-${String(this.next++).padStart(8, '0')}.log`));
    // The new file's name must survive a machine crash as well as its lines.
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return segment;
  }
}
