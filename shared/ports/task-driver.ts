/**
 * The compute port: runs task specs and reports how they end. The planner turns a resource
 * into task specs; the ECS adapter and the local process driver each realize them, so what
 * a user declares means the same on AWS and on a laptop.
 */

export interface TaskSpec {
  /** Unique per task, e.g. `<run id>-<rank>`; launching the same id twice starts it once. */
  taskId: string;
  /** What the task belongs to (a run, or a deployment's replica set): for listing and cleanup. */
  group: string;
  /** Run with `sh -c` (in the image's shell on AWS). */
  command: string;
  /** Runs in the same shell before `command`, so what it exports reaches the command. */
  startScript?: string;
  environment: Record<string, string>;
  /** Working directory as the spec writes it: absolute under /home/jovyan, or relative to it. */
  workingDirectory?: string;
  /** Container ports the task serves besides $PORT (each gets a port of its own locally). */
  extraPorts?: number[];
  /** Cost-allocation and lookup labels: owner, resource, run, rank. */
  labels: Record<string, string>;
}

export interface LaunchedTask {
  taskId: string;
  startedAt: string;
  /** The port the task's $PORT is (8000 on AWS; a free port locally). */
  port: number;
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

export interface LogLine {
  timestamp: string;
  stream: 'stdout' | 'stderr' | 'system';
  message: string;
}

export interface LogPage {
  lines: LogLine[];
  /** Pass back to read on; null when there is nothing more yet. */
  next: string | null;
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
