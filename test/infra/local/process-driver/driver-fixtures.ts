/**
 * What the process-driver tests share: temporary directories and drivers that end with each
 * test (closed, then removed), and a task command whose child escapes the task's process group.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { LocalProcessDriver } from '../../../../infra/local/process-driver/local-process-driver.ts';

/** A child that leaves the task's process group (setsid), its pid printed once it has. */
export const SETSID_ESCAPE = "setsid sh -c 'echo $$ > $HOME/child; exec sleep 300' & while [ ! -s $HOME/child ]; do sleep 0.05; done; cat $HOME/child";

export interface DriverFixtures {
  /** A new temporary directory, removed after the test. */
  newDir(): string;
  /** Removes `dir` after the test too (one the test made itself). */
  removeAfter(dir: string): void;
  /** Closes `driver` after the test, before its directories go. */
  closeAfter<T extends LocalProcessDriver>(driver: T): T;
}

/** Registers the clean-up for the calling test file; `prefix` names its temporary directories. */
export function driverFixtures(prefix: string): DriverFixtures {
  const dirs: string[] = [];
  const drivers: LocalProcessDriver[] = [];
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    newDir() {
      const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
      dirs.push(dir);
      return dir;
    },
    removeAfter(dir) {
      dirs.push(dir);
    },
    closeAfter(driver) {
      drivers.push(driver);
      return driver;
    },
  };
}
