import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { readLogPage } from '../../../../infra/local/process-driver/log-reader.ts';
import { LogWriter } from '../../../../infra/local/process-driver/log-writer.ts';

const AT = new Date('2025-03-01T09:00:00.000Z');

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'log-reader-'));
  path = join(dir, 'log.ndjson');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function writeLines(...messages: string[]): Promise<void> {
  const writer = new LogWriter(path, () => AT);
  for (const message of messages) writer.write('stdout', message);
  await writer.close();
}

describe('readLogPage', () => {
  it('reads on from a cursor while the log grows', async () => {
    // Prepare
    await writeLines('a', 'b');
    const first = await readLogPage(path, { limit: 10, complete: false });

    // Act
    await writeLines('c');
    const second = await readLogPage(path, { cursor: first.next, limit: 10, complete: false });

    // Assess
    expect(first.lines).toEqual([
      { timestamp: AT.toISOString(), stream: 'stdout', message: 'a' },
      { timestamp: AT.toISOString(), stream: 'stdout', message: 'b' },
    ]);
    expect(second.lines.map((line) => line.message)).toEqual(['c']);
  });

  it('leaves a line still being written for the next page', async () => {
    // Prepare
    await writeLines('whole');
    appendFileSync(path, '{"t":"2025-03-01T09:00:00.000Z","s":"stdout","m":"ha');

    // Act
    const page = await readLogPage(path, { limit: 10, complete: false });
    appendFileSync(path, 'lf"}\n');
    const rest = await readLogPage(path, { cursor: page.next, limit: 10, complete: false });

    // Assess
    expect(page.lines.map((line) => line.message)).toEqual(['whole']);
    expect(rest.lines.map((line) => line.message)).toEqual(['half']);
  });

  it('skips a line torn by a crash, and the writer that comes after starts on a fresh line', async () => {
    // Prepare
    await writeLines('before');
    appendFileSync(path, '{"t":"2025-03-01T09:00:00.000Z","s":"std');

    // Act
    await writeLines('after the restart');
    const page = await readLogPage(path, { limit: 10, complete: true });

    // Assess
    expect(page).toEqual({ lines: [expect.objectContaining({ message: 'before' }), expect.objectContaining({ message: 'after the restart' })], next: null });
  });

  it('reads lines longer than one read chunk', async () => {
    await writeLines('x'.repeat(200_000), 'y');
    const page = await readLogPage(path, { limit: 10, complete: true });
    expect(page.lines.map((line) => line.message.length)).toEqual([200_000, 1]);
  });

  it('refuses a cursor it did not give out and a limit below one', async () => {
    await writeLines('a');
    await expect(readLogPage(path, { cursor: 'line-7', limit: 10, complete: false })).rejects.toThrow(ValidationError);
    await expect(readLogPage(path, { limit: 0, complete: false })).rejects.toThrow(ValidationError);
  });
});
