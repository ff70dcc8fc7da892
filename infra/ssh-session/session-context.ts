/**
 * Where an SSH session's processes run: the environment, working directory, home and user of
 * the workspace's own command. Locally that is a task the control plane started
 * (infra/local/process-driver/running-task.ts, TaskShellContext); on AWS it is the workspace's
 * main container, in which the SSH agent itself runs (infra/aws/ssh-agent/).
 */

/** A program and its arguments. */
export interface Command {
  file: string;
  args: string[];
}

/** The user a session process becomes, when the server runs as root and the workspace does not. */
export interface SessionUser {
  uid: number;
  gid: number;
  groups: number[];
}

export interface SessionContext {
  /** The session's environment, exactly: no credential of the server's may be in it. */
  env: Record<string, string>;
  cwd: string;
  home: string;
  /** `command` as the workspace's user (setpriv locally; as is where the server already is that user). */
  runAs(command: Command): Command;
  /** Set when the server must switch to this user itself (the SFTP worker, once loaded). */
  user?: SessionUser;
}
