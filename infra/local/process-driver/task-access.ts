/**
 * Who the platform acts as when it prepares and runs a task: the task's own user when the
 * control plane runs as root (task-sandbox.ts), the control plane's user otherwise. Every
 * process of the task (git, package installs, the command) is run through `command`, and every
 * file placed in its home goes through `files`.
 */
import { directTaskFiles } from './direct-task-files.ts';
import type { TaskFiles } from './task-files.ts';
import type { Command, TaskUser } from './task-user.ts';

export interface TaskAccess {
  /** Whether the task runs as a user of its own, not as the control plane's. */
  ownUser: boolean;
  /**
   * That user: its uid is recorded, so that a control plane restarted after a crash can end all
   * its processes; a process that must change to it itself (the SFTP worker) needs it whole.
   */
  user?: TaskUser;
  files: TaskFiles;
  /** The command as the task's user runs it. */
  command(command: Command): Command;
  /** A directory outside the home that only the task's user may use: for a deploy key. */
  privateDir: string;
}

/** The task runs as the control plane's own user: nothing to change, and its tree is private enough. */
export function sameUserAccess(privateDir: string): TaskAccess {
  return { ownUser: false, files: directTaskFiles, command: (command) => command, privateDir };
}
