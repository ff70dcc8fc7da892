/**
 * One process per data directory: dynalite's LevelDB cannot be shared, and a second process
 * on it fails late and obscurely. The lock is a pid file; a lock left by a killed process
 * (kill -9) is stale and taken over.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// A killed process stays a zombie until reaped: it holds no lock, so zombies count as gone.
import { isProcessRunning } from './process-driver/process-group.ts';

export class DataDirInUseError extends Error {}


export function lockDataDir(dataDir: string, purpose: string): { release(): void } {
  const path = join(dataDir, 'cassini.pid');
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n${purpose}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const [pidLine, holder = 'another process'] = readFileSync(path, 'utf8').split('\n');
      const pid = Number(pidLine);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessRunning(pid)) {
        throw new DataDirInUseError(`${dataDir} is in use by ${holder} (pid ${pid}); stop it first or choose another DATA_DIR.`);
      }
      unlinkSync(path);
    }
  }
  return {
    release() {
      try {
        if (readFileSync(path, 'utf8').startsWith(`${process.pid}\n`)) unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}
