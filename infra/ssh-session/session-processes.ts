/**
 * The processes of an SSH session, run inside a workspace the way its own command runs: its
 * environment, its working directory, its user (setpriv when local tasks have users of their
 * own; on AWS the agent already is the container's user). Shared by the local endpoint
 * (infra/local/ssh/) and the agent in AWS workspace tasks (infra/aws/ssh-agent/). A PTY comes from util-linux's `script` (on every Debian, like `setpriv`): Node has no PTY
 * of its own without a native module. `script` gives the shell a terminal whose size is set at
 * start and, on a window change, with `stty -F` on the terminal — the kernel then sends the shell
 * SIGWINCH, as for any terminal that was resized.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { shellQuote } from '../local/process-driver/git-checkouts.ts';
import type { Command, SessionContext } from './session-context.ts';
import { SFTP_USER_VARIABLE } from './sftp-user.ts';

export interface TerminalSize {
  rows: number;
  cols: number;
}

export interface Pty extends TerminalSize {
  term: string;
}

const SCRIPT = '/usr/bin/script';
const STTY = '/bin/stty';

/** The shell users get: bash when the machine has it (what Jupyter's terminal starts), else sh. */
export function sessionShell(): string {
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

/**
 * Starts `command` (an interactive shell when absent) in the task, detached in a session of its
 * own (so a listener it starts can be told apart from the control plane's), with a terminal when
 * `pty` is given. The client's `TERM` is the one variable a session adds.
 */
export function startSessionProcess(task: SessionContext, command: string | undefined, pty: Pty | undefined): ChildProcess {
  const shell = sessionShell();
  const env = { ...task.env, ...(pty ? { TERM: pty.term || 'xterm' } : {}) };
  const run = command === undefined ? `exec ${shell} -i` : `exec ${shell} -c ${shellQuote(command)}`;
  const spec = pty
    ? { file: SCRIPT, args: ['-qfec', `${STTY} rows ${Math.trunc(pty.rows)} cols ${Math.trunc(pty.cols)} 2>/dev/null; ${run}`, '/dev/null'] }
    : { file: shell, args: command === undefined ? ['-i'] : ['-c', command] };
  const argv = task.runAs(spec);
  return spawn(argv.file, argv.args, { cwd: task.cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * The SFTP worker (`worker`: a Node program calling sftp-server.ts's serveSftpOverStdio), serving
 * files as the task's user, starting in its home as OpenSSH's sftp-server does. When the task has
 * a user of its own, the worker starts as the server (its code and node_modules may sit where the
 * task's user cannot read, a checkout under a 0700 /root) and becomes the task's user once
 * loaded, before it reads a byte from the client.
 */
export function startSftpProcess(task: SessionContext, worker: Command): ChildProcess {
  const argv = task.user ? worker : task.runAs(worker);
  // Only what Node needs: the worker serves files, and the task's secrets have no business in it.
  const env = { HOME: task.home, PATH: task.env.PATH ?? '/usr/bin:/bin', ...(task.user ? { [SFTP_USER_VARIABLE]: JSON.stringify(task.user) } : {}) };
  return spawn(argv.file, argv.args, { cwd: task.home, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resizes the terminal `script` gave the session's shell; the kernel tells the shell (SIGWINCH). */
export function resizeTerminal(task: SessionContext, scriptPid: number, size: TerminalSize): void {
  const terminal = terminalOfChild(scriptPid);
  if (terminal === undefined) return;
  const argv = task.runAs({ file: STTY, args: ['-F', terminal, 'rows', String(Math.trunc(size.rows)), 'cols', String(Math.trunc(size.cols))] });
  spawnSync(argv.file, argv.args, { stdio: 'ignore', timeout: 2_000 });
}

/** The terminal of the process `script` started: its stdin, a /dev/pts/N. */
function terminalOfChild(scriptPid: number): string | undefined {
  try {
    // setpriv execs in place, so the pid spawned is script's own.
    const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const child of children) {
      const terminal = readlinkSync(`/proc/${child}/fd/0`);
      if (/^\/dev\/pts\/\d+$/.test(terminal)) return terminal;
    }
  } catch {
    // The session ended meanwhile: nothing to resize.
  }
  return undefined;
}
