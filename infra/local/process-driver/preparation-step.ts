/**
 * What each step that prepares a local task (secrets, folders, files, repositories, packages)
 * is given: the task, its tree, a way to tell the task's log what it does, and the stop signal.
 * A step that cannot do its part throws `PreparationFailed` with words the task's owner can act
 * on; the task then ends before its command starts, with that reason.
 */
import type { TaskSpec } from '../../../shared/ports/task-driver.ts';
import type { TaskTree } from './task-tree.ts';

export interface PreparationContext {
  spec: TaskSpec;
  tree: TaskTree;
  /** A `system` line in the task's log: what the platform does. Never a secret's value. */
  say(message: string): void;
  /** A line a step's process printed (git, a package manager). */
  output(stream: 'stdout' | 'stderr', line: string): void;
  /** Aborted when the task is stopped while it is being prepared. */
  signal: AbortSignal;
  /** The process group a step runs now (null once it ended), so a crash mid-step can be cleaned up. */
  onProcess(pid: number | null): void;
}

export class PreparationFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreparationFailed';
  }
}
