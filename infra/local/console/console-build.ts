/**
 * Builds the console (Vite) when its sources changed since the last build, so that
 * `npm install && npm start` serves it with nothing else to run and no install script (npm 11
 * may skip those). The build is stamped with a hash of the sources; an unchanged tree costs
 * one hash of a few dozen small files. Several platforms starting at once (tests) build once:
 * a lock directory admits one builder, the others wait for its build. A build is written
 * beside the served one and swapped in whole, so a page never reads half of one.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../console');
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');
const STAMP = '.sources-hash';
const LOCK = join(CONSOLE_DIR, '.build-lock');
/** A lock older than this was left by a builder that died. */
const STALE_LOCK_MS = 120_000;
const LOCK_POLL_MS = 200;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.') && entry.name !== 'dist')
    .flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

/** A hash of every console source file's path and content. */
export function consoleSourcesHash(dir = CONSOLE_DIR): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(dir)) hash.update(relative(dir, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

function builtHash(dist: string): string | undefined {
  try {
    return readFileSync(join(dist, STAMP), 'utf8');
  } catch {
    return undefined;
  }
}

export function isConsoleBuildCurrent(dir = CONSOLE_DIR, dist = CONSOLE_DIST): boolean {
  return builtHash(dist) === consoleSourcesHash(dir);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder, when it wrote its pid (a builder killed between mkdir and the write left none). */
function holder(lock: string): number | undefined {
  try {
    return Number(readFileSync(join(lock, 'pid'), 'utf8')) || undefined;
  } catch {
    return undefined;
  }
}

/** Takes the build lock, or clears one its holder left behind (for the next try); whether it was taken. */
export function tryLock(lock = LOCK): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    return true;
  } catch {
    try {
      // A builder that was killed (kill -9 of npm start) leaves its lock: taken over at once when
      // its process is gone, or after STALE_LOCK_MS when it cannot be told.
      const pid = holder(lock);
      if ((pid !== undefined && !isAlive(pid)) || Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
    } catch {
      // Released meanwhile: the next try takes it.
    }
    return false;
  }
}

async function viteBuild(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(CONSOLE_DIR, 'vite.config.ts'), root: CONSOLE_DIR, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

/** Builds the console unless its build is current; resolves once a current build is in place. */
export async function ensureConsoleBuilt(log: Pick<Console, 'log'> = console): Promise<void> {
  for (;;) {
    if (isConsoleBuildCurrent()) return;
    if (tryLock()) break;
    await new Promise((done) => setTimeout(done, LOCK_POLL_MS));
  }
  try {
    const hash = consoleSourcesHash();
    if (builtHash(CONSOLE_DIST) === hash) return;
    const started = Date.now();
    const fresh = `${CONSOLE_DIST}.${process.pid}`;
    await viteBuild(fresh);
    writeFileSync(join(fresh, STAMP), hash);
    const old = `${CONSOLE_DIST}.old.${process.pid}`;
    try {
      renameSync(CONSOLE_DIST, old);
    } catch {
      // No previous build.
    }
    renameSync(fresh, CONSOLE_DIST);
    rmSync(old, { recursive: true, force: true });
    log.log(`Built the console in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
