/**
 * Pages through a task's NDJSON log. The cursor is the byte offset of the next line, as a
 * decimal string: reading on is a seek, not a scan from the start, however long the log, and
 * a cursor stays valid while the task keeps appending.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ValidationError } from '../../../shared/domain/errors.ts';
import type { LogLine, LogPage } from '../../../shared/ports/task-driver.ts';
import { HALF_HEAD_BYTES, previousHalfOf, startFromHead, type LogRecord } from './log-writer.ts';

/** The most lines one page holds, whatever the caller asks for. */
export const MAX_PAGE_LINES = 10_000;

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const CURSOR = /^\d{1,15}$/;
const STREAMS = new Set(['stdout', 'stderr', 'system']);

export interface LogPageRequest {
  cursor?: string | null;
  limit: number;
  /** The task has ended and its log is complete: the last page then says there is no more. */
  complete: boolean;
}

/**
 * Up to `limit` lines from `cursor` on. `next` is where to read on; it is null on a page that
 * came back empty (nothing more yet: keep the cursor you have and ask again later), and on
 * the last page of a task that has ended (nothing more ever). A missing log is an empty page.
 * A capped log is read across its two halves (log-writer.ts); a cursor into lines rotated out
 * since reads on from the oldest line kept.
 */
export async function readLogPage(path: string, request: LogPageRequest): Promise<LogPage> {
  let offset = parseCursor(request.cursor);
  const limit = parseLimit(request.limit);
  const halves = await openHalves(path);
  try {
    if (halves.length === 0) return { lines: [], next: null };
    offset = Math.max(offset, halves[0]!.base);
    const lines: LogLine[] = [];
    let next = offset;
    for (const half of halves) {
      if (lines.length === limit) break;
      if (next >= half.base + half.size) continue;
      next = half.base + (await readLines(half.file, Math.max(0, next - half.base), limit - lines.length, lines));
      // A half ends at a line boundary once it was rotated; the current one may end mid-line.
      if (next < half.base + half.size && half !== halves.at(-1)) next = half.base + half.size;
    }
    if (lines.length === 0) return { lines, next: null };
    const last = halves.at(-1)!;
    const atEnd = next >= last.base + (await last.file.stat()).size;
    return { lines, next: request.complete && atEnd ? null : String(next) };
  } finally {
    await Promise.all(halves.map((half) => half.file.close()));
  }
}

interface Half {
  file: FileHandle;
  /** Where it starts among all lines ever written. */
  base: number;
  size: number;
}

/** The previous half (if any) and the current one, oldest first. */
async function openHalves(path: string): Promise<Half[]> {
  const halves: Half[] = [];
  for (const candidate of [previousHalfOf(path), path]) {
    let file: FileHandle;
    try {
      file = await open(candidate, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      await Promise.all(halves.map((half) => half.file.close()));
      throw error;
    }
    halves.push({ file, base: await startOf(file), size: (await file.stat()).size });
  }
  return halves.sort((a, b) => a.base - b.base);
}

async function startOf(file: FileHandle): Promise<number> {
  const head = Buffer.alloc(HALF_HEAD_BYTES);
  const { bytesRead } = await file.read(head, 0, head.length, 0);
  return startFromHead(head.subarray(0, bytesRead));
}

/** Reads whole lines into `lines` from `offset` until `limit` more or the end; returns the offset after the last read. */
async function readLines(file: FileHandle, offset: number, limit: number, lines: LogLine[]): Promise<number> {
  const chunk = Buffer.alloc(CHUNK_BYTES);
  let pending = Buffer.alloc(0);
  let pendingAt = offset;
  let next = offset;
  let added = 0;
  while (added < limit) {
    const { bytesRead } = await file.read(chunk, 0, chunk.length, pendingAt + pending.length);
    if (bytesRead === 0) break;
    const data = pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    let start = 0;
    for (;;) {
      const newline = data.indexOf(NEWLINE, start);
      if (newline === -1) break;
      const line = parseLine(data.toString('utf8', start, newline));
      start = newline + 1;
      next = pendingAt + start;
      if (line !== undefined) {
        lines.push(line);
        added++;
      }
      if (added === limit) return next;
    }
    // Copied: `chunk` is reused by the next read. A line without its newline yet is left for later.
    pending = Buffer.from(data.subarray(start));
    pendingAt += start;
  }
  return next;
}

function parseCursor(cursor: string | null | undefined): number {
  if (cursor === undefined || cursor === null) return 0;
  if (!CURSOR.test(cursor)) throw new ValidationError('invalid log cursor: pass back the `next` of a previous page', [{ path: 'cursor', message: 'not a cursor this log gave out' }]);
  return Number(cursor);
}

function parseLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ValidationError('the log page limit must be a positive whole number', [{ path: 'limit', message: `got ${limit}` }]);
  }
  return Math.min(limit, MAX_PAGE_LINES);
}

/** A line torn by a crash, or not written by this driver, is skipped rather than failing the page. */
function parseLine(text: string): LogLine | undefined {
  let record: Partial<LogRecord>;
  try {
    record = JSON.parse(text) as Partial<LogRecord>;
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { t, s, m } = record;
  if (typeof t !== 'string' || typeof m !== 'string' || typeof s !== 'string' || !STREAMS.has(s)) return undefined;
  return { timestamp: t, stream: s, message: m };
}
