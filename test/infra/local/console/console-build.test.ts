/**
 * When `npm start` rebuilds the console: only when a source changed (the hash of the sources,
 * not of a build beside them), and a lock left by a builder that was killed does not hold the
 * others back.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleSourcesHash, isConsoleBuildCurrent, tryLock } from '../../../../infra/local/console/console-build.ts';

const dir = mkdtempSync(join(tmpdir(), 'console-src-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('console build freshness', () => {
  it('changes with a source, and not with a build or a lock beside the sources', () => {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'app.tsx'), 'export const a = 1;');
    const before = consoleSourcesHash(dir);
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html>');
    mkdirSync(join(dir, '.build-lock'));

    expect(consoleSourcesHash(dir)).toBe(before);

    writeFileSync(join(dir, 'src', 'app.tsx'), 'export const a = 2;');
    expect(consoleSourcesHash(dir)).not.toBe(before);
  });

  it('calls a build current only when its stamp is the hash of the sources', () => {
    const dist = join(dir, 'dist');
    writeFileSync(join(dist, '.sources-hash'), 'stale');
    expect(isConsoleBuildCurrent(dir, dist)).toBe(false);

    writeFileSync(join(dist, '.sources-hash'), consoleSourcesHash(dir));
    expect(isConsoleBuildCurrent(dir, dist)).toBe(true);
  });

  it('waits for a live builder, and takes over the lock a killed builder left', () => {
    const lock = join(dir, 'lock');
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    expect(tryLock(lock)).toBe(false);
    expect(tryLock(lock)).toBe(false);

    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(lock, 'pid'), dead);
    expect(tryLock(lock)).toBe(false);
    expect(tryLock(lock)).toBe(true);
    expect(readFileSync(join(lock, 'pid'), 'utf8')).toBe(String(process.pid));
  });
});
