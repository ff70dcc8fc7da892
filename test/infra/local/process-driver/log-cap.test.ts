/**
 * Issue 19 item 9: a task's log is capped. The attack as written: 600 KB of output became a
 * 16 MB log file, so a job could fill the disk the control plane uses.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driverFixtures } from './driver-fixtures.ts';
import { readLogPage } from '../../../../infra/local/process-driver/log-reader.ts';
import { DEFAULT_LOG_MAX_BYTES, LogWriter, MIN_LOG_MAX_BYTES, previousHalfOf } from '../../../../infra/local/process-driver/log-writer.ts';
import { LocalProcessDriver } from '../../../../infra/local/process-driver/local-process-driver.ts';
import { taskLogMaxBytesFromEnvironment } from '../../../../infra/local/process-driver/task-log-cap.ts';
import type { LogLine } from '../../../../shared/ports/task-driver.ts';
import { exitsOf } from './task-exits.ts';

const CAP = MIN_LOG_MAX_BYTES;
// The longest line a task can write (16 KB) and its JSON wrapping: how far past the cap the log may be.
const LONGEST_RECORD = 17 * 1024;


const fixtures = driverFixtures('log-cap');
const newDir = fixtures.newDir;

async function readAll(path: string, cursor: string | null = null): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for (;;) {
    const page = await readLogPage(path, { cursor, limit: 1_000, complete: true });
    lines.push(...page.lines);
    if (page.next === null) return lines;
    cursor = page.next;
  }
}

function diskBytes(path: string): number {
  return [path, previousHalfOf(path)].filter((file) => existsSync(file)).reduce((total, file) => total + statSync(file).size, 0);
}

describe('the cap on a task log', () => {
  it('keeps a task that writes megabytes to its cap on disk, says so in the log, and still serves the latest lines', async () => {
    // Prepare
    const rootDir = newDir();
    const driver = new LocalProcessDriver({ rootDir, logMaxBytes: CAP });
    fixtures.closeAfter(driver);
    const exitOf = exitsOf(driver);

    // Act: about 3 MB of output, far past the cap.
    await driver.launch({ taskId: 'flood', group: 'run-1', command: "seq 1 30000 | sed 's/$/ of the flood, padded to make the line a hundred bytes long......................../'", environment: {}, labels: {} });
    const exit = await exitOf('flood');

    // Assess
    expect(exit.exitCode).toBe(0);
    const logFile = join(rootDir, 'flood', 'log.ndjson');
    expect(diskBytes(logFile)).toBeLessThanOrEqual(CAP + LONGEST_RECORD);
    const lines = await readAll(logFile);
    expect(lines[0]).toMatchObject({ stream: 'system', message: expect.stringMatching(/^this task's log is capped at 0\.3 MB: lines older than the previous 128 KB have been dropped$/) });
    const output = lines.filter((line) => line.stream === 'stdout').map((line) => line.message.split(' ')[0]);
    expect(output.at(-1)).toBe('30000');
    expect(output.map(Number)).toEqual(output.map((_, index) => Number(output[0]) + index));
    expect(lines.at(-1)).toMatchObject({ stream: 'system', message: 'succeeded' });
    expect((await driver.logs('flood', { limit: 5 })).lines[0]?.message).toMatch(/^this task's log is capped/);
  });

  it('reads on from a cursor given before a rotation, and from the oldest kept line once the cursor was rotated out', async () => {
    // Prepare
    const path = join(newDir(), 'log.ndjson');
    const writer = new LogWriter(path, () => new Date('2025-03-01T09:00:00.000Z'), CAP);
    writer.write('stdout', 'first');
    await new Promise((resolve) => setImmediate(resolve));
    const before = await readLogPage(path, { limit: 1, complete: false });
    const padding = 'x'.repeat(1_000);

    // Act: one rotation, then a second that drops the half holding `first`.
    for (let i = 0; i < 200; i++) writer.write('stdout', `${i} ${padding}`);
    const afterOne = await readLogPage(path, { cursor: before.next, limit: 1, complete: false }).catch((error: unknown) => error);
    for (let i = 200; i < 400; i++) writer.write('stdout', `${i} ${padding}`);
    await writer.close();
    const rotatedOut = await readAll(path, before.next);

    // Assess
    expect(before.lines.map((line) => line.message)).toEqual(['first']);
    expect(afterOne).toMatchObject({ lines: [{ message: expect.stringMatching(/^0 x/) }] });
    expect(rotatedOut[0]?.message).toMatch(/^this task's log is capped/);
    expect(rotatedOut.at(-1)?.message).toMatch(/^399 x/);
    expect(diskBytes(path)).toBeLessThanOrEqual(CAP + LONGEST_RECORD);
  });

  it('is 10 MB unless CASSINI_TASK_LOG_MAX_MB says otherwise, and refuses a size it cannot keep', () => {
    expect(taskLogMaxBytesFromEnvironment({})).toBe(DEFAULT_LOG_MAX_BYTES);
    expect(DEFAULT_LOG_MAX_BYTES).toBe(10 * 1024 * 1024);
    expect(taskLogMaxBytesFromEnvironment({ CASSINI_TASK_LOG_MAX_MB: '2' })).toBe(2 * 1024 * 1024);
    expect(() => taskLogMaxBytesFromEnvironment({ CASSINI_TASK_LOG_MAX_MB: '0.01' })).toThrow(/CASSINI_TASK_LOG_MAX_MB="0.01" is not a size in MB between 0.25/);
    expect(() => taskLogMaxBytesFromEnvironment({ CASSINI_TASK_LOG_MAX_MB: 'lots' })).toThrow(/CASSINI_TASK_LOG_MAX_MB/);
  });
});
