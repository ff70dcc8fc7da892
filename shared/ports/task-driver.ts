/**
 * The compute port: runs task specs and reports how they end. The planner turns a resource
 * into task specs; the ECS adapter and the local process driver each realize them, so what
 * a user declares means the same on AWS and on a laptop.
 */

import type { TaskSpec } from '../domain/planner/task-spec.ts';

export type { CatalogRef, FolderMount, GitCheckout, SecretMount, TaskAttachments, TaskSpec } from '../domain/planner/task-spec.ts';

export interface LaunchedTask {
  taskId: string;
  startedAt: string;
  /** The port the task's $PORT is (8000 on AWS; a free port locally). */
  port: number;
  /** Container port → the port it is reachable on (8000 is $PORT); set by drivers that map ports (local). */
  ports?: Record<number, number>;
}

export interface TaskExit {
  taskId: string;
  group: string;
  /** The command's exit status; null when it was killed or lost. */
  exitCode: number | null;
  /** The signal that ended it, if any. */
  signal: string | null;
  /** Why it ended, in words a user can act on. */
  reason: string;
  finishedAt: string;
}

import type { LogLine } from '../domain/pod/task-log.ts';

export { COMMAND_STARTED_PREFIX, type LogLine } from '../domain/pod/task-log.ts';

export interface LogPage {
  lines: LogLine[];
  /** Pass back to read on; null when there is nothing more yet. */
  next: string | null;
}

/**
 * A launch the platform refused before anything started, which trying again cannot help (the
 * owner may no longer use an attachment): a runtime gives up instead of retrying.
 */
export class LaunchRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchRefusedError';
  }
}

export interface TaskDriver {
  launch(spec: TaskSpec): Promise<LaunchedTask>;
  /** Ends the task and everything it started; idempotent. */
  stop(taskId: string, reason: string): Promise<void>;
  /** Called once per task when it ends, however it ends. */
  onExit(listener: (exit: TaskExit) => void): void;
  /** Task ids that run now. */
  running(): string[];
  logs(taskId: string, options: { cursor?: string | null; limit: number }): Promise<LogPage>;
}
