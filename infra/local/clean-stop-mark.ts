/**
 * What lets a restart skip reading the whole event history: a clean stop delivers everything it
 * committed to every consumer, then leaves this mark in the data directory naming the consumers
 * it delivered to. The next start takes the mark away before anything else (so a crash from then
 * on leaves none) and, when it names the very consumers the new process runs, has nothing to
 * catch up on: the checkpoints and read models on disk are current. Without the mark (a crash,
 * a `kill -9`, a first start) or with other consumers (an upgrade added one, whose read model
 * must be built), the start scans the history as before.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MARK_FILE = 'clean-stop.json';

interface Mark {
  consumers: string[];
  stoppedAt: string;
}

export function writeCleanStopMark(dataDir: string, consumers: readonly string[], stoppedAt: Date): void {
  const path = join(dataDir, MARK_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  const mark: Mark = { consumers: [...consumers], stoppedAt: stoppedAt.toISOString() };
  writeFileSync(temporary, JSON.stringify(mark), { mode: 0o600 });
  renameSync(temporary, path);
}

/** Removes the mark, and says whether it was there and names exactly `consumers`, in order. */
export function takeCleanStopMark(dataDir: string, consumers: readonly string[]): boolean {
  const path = join(dataDir, MARK_FILE);
  if (!existsSync(path)) return false;
  let mark: Partial<Mark> | undefined;
  try {
    mark = JSON.parse(readFileSync(path, 'utf8')) as Partial<Mark>;
  } catch {
    mark = undefined;
  }
  rmSync(path, { force: true });
  return Array.isArray(mark?.consumers) && mark.consumers.length === consumers.length && mark.consumers.every((name, i) => name === consumers[i]);
}
