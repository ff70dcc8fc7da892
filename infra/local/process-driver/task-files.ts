/**
 * How the platform changes files inside a task's home (secrets, config files, folder links,
 * a checkout to clone again). A home can hold what an earlier task of the same volume left: a
 * symbolic link planted where a secret file will go would make a privileged writer write, or
 * delete, wherever it points. So when tasks run as a user of their own, these changes are made
 * as that user (task-user-files.ts) and the kernel checks them; otherwise the control plane's
 * user makes them directly (direct-task-files.ts), with no more rights than the task has.
 */
export interface TaskFiles {
  /** Creates the directory and any missing parents. */
  makeDirectory(path: string): Promise<void>;
  /** Creates or replaces the file's content (its parents created) and sets its mode. */
  writeFile(path: string, content: string, mode: number): Promise<void>;
  /**
   * Makes `link` a symbolic link to `target`, replacing a link already there; false, changing
   * nothing, when something other than a link is there.
   */
  link(target: string, link: string): Promise<boolean>;
  /** Deletes the path and everything under it, not following links; nothing to do when absent. */
  remove(path: string): Promise<void>;
}
