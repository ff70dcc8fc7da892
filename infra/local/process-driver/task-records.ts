/**
 * The two files that let a restarted control plane learn what its predecessor left behind:
 * task.json, written at launch, and exit.json, written when the end is reported. A task with
 * the first and not the second was lost in a crash.
 *
 * Both are written through a temporary file, so a reader never sees half of one. exit.json is
 * put in place with link(2), which fails if it exists: of two drivers racing to report one end
 * (a live one and one recovering after a restart), exactly one does. Writes are synchronous on
 * purpose: task.json must name the pid in the same tick as the spawn, before anything can crash.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { TaskAttachments, TaskExit } from '../../../shared/ports/task-driver.ts';

/** task.json: the spec without environment values (they may be secrets), and the process. */
export interface TaskRecord {
  taskId: string;
  group: string;
  command: string;
  startScript?: string;
  /** Names only: values may be secrets. */
  environmentNames: string[];
  workingDirectory?: string;
  extraPorts: number[];
  labels: Record<string, string>;
  /** The persistent volume linked in as the task's home, if it had one. */
  homeVolume?: string;
  /** What the task carries, by reference: secrets by owner and name, config files by path and mode (no content). */
  attachments?: Omit<TaskAttachments, 'configFiles'> & { configFiles?: Array<{ path: string; mode: number }> };
  /** The uid the task ran as, when it had one of its own: every process of it is killed at recovery. */
  uid?: number;
  /** The id of the task's SATURN_TOKEN (never the token): revoked when the task ends, or at recovery. */
  platformTokenId?: string;
  startedAt: string;
  port: number;
  /** The variable name (`PORT`, `PORT_8787`) → the host port it was given. */
  ports: Record<string, number>;
  /** Null until a process exists (and for good when it could not be started); a preparation step's (git, an install) while one runs. */
  pid: number | null;
  pgid: number | null;
  /** With `pidStartTicks`, tells the task's process from a later one given the same pid (Linux). */
  bootId: string | null;
  pidStartTicks: string | null;
}

export function writeTaskRecord(path: string, record: TaskRecord): void {
  const temporary = temporaryPath(path);
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** The record, or undefined when the task was never launched here. */
export function readTaskRecord(path: string): TaskRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as TaskRecord;
}

export function exitRecorded(path: string): boolean {
  return existsSync(path);
}

/** Records the end; false, and nothing written, when another driver already recorded it. */
export function claimExit(path: string, exit: TaskExit): boolean {
  const temporary = temporaryPath(path);
  writeFileSync(temporary, `${JSON.stringify(exit, null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

function temporaryPath(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}
