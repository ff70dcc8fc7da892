/**
 * One SSH `session` channel, served the same way by the local endpoint (infra/local/ssh/) and by
 * the agent in AWS workspace tasks (infra/aws/ssh-agent/): `pty-req`, `window-change`, `shell`,
 * `exec`, `subsystem sftp` and `signal`; `env`, X11 and agent forwarding refused, since the
 * session's environment is the workspace's, exactly, and the client's keys and display stay on
 * the client.
 */
import type { ChildProcess } from 'node:child_process';
import type { ServerChannel, Session } from 'ssh2';
import type { Command, SessionContext } from './session-context.ts';
import { resizeTerminal, startSessionProcess, startSftpProcess, type Pty } from './session-processes.ts';

export interface SessionChannelOptions {
  /** Where the session's processes run, looked up when one starts; a string says why nowhere (sent on stderr, exit status 1). */
  context(): SessionContext | string;
  /** How to start the SFTP worker (a Node program calling sftp-server.ts's serveSftpOverStdio). */
  sftpWorker: Command;
}

/** Signals a client may send (RFC 4254, section 6.10), by their SSH names. */
const SIGNALS = new Set(['ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2']);

export function serveSessionChannel(channelSession: Session, options: SessionChannelOptions): void {
  let pty: Pty | undefined;
  let running: { child: ChildProcess; task: SessionContext } | undefined;
  channelSession.on('pty', (accept, _reject, info) => {
    pty = { rows: info.rows || 24, cols: info.cols || 80, term: info.term };
    accept?.();
  });
  channelSession.on('window-change', (accept, _reject, info) => {
    if (pty) Object.assign(pty, { rows: info.rows, cols: info.cols });
    if (running?.child.pid !== undefined && pty) resizeTerminal(running.task, running.child.pid, pty);
    accept?.();
  });
  channelSession.on('signal', (accept, reject, info) => {
    const pid = running?.child.pid;
    if (pid === undefined || !SIGNALS.has(info.name)) return reject?.();
    try {
      // The session's whole process group, as a terminal's ^C reaches every process of the foreground job.
      process.kill(-pid, `SIG${info.name}` as NodeJS.Signals);
      accept?.();
    } catch {
      reject?.();
    }
  });
  channelSession.on('env', (_accept, reject) => reject?.());
  channelSession.on('x11', (_accept, reject) => reject?.());
  channelSession.on('auth-agent', (_accept, reject) => reject?.());
  const start = (channel: ServerChannel, spawnIt: (task: SessionContext) => ChildProcess) => {
    const task = options.context();
    if (typeof task === 'string') {
      channel.stderr.write(`${task}\n`);
      channel.exit(1);
      channel.end();
      return;
    }
    const child = spawnIt(task);
    running = { child, task };
    const pid = child.pid;
    channel.pipe(child.stdin!);
    child.stdout!.pipe(channel, { end: false });
    child.stderr!.pipe(channel.stderr, { end: false });
    child.stdin!.on('error', () => undefined);
    child.once('error', (error) => {
      channel.stderr.write(`cassini: could not start the session: ${error.message}\n`);
      channel.exit(1);
      channel.end();
    });
    child.once('close', (code, signal) => {
      if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
      else channel.exit(code ?? 1);
      channel.end();
    });
    // The client went away: the session's processes go too, as when an sshd session closes.
    channel.once('close', () => {
      if (child.exitCode === null && child.signalCode === null && pid !== undefined) {
        try {
          process.kill(-pid, 'SIGHUP');
        } catch {
          // Already gone.
        }
      }
    });
  };
  channelSession.on('shell', (accept) => start(accept(), (task) => startSessionProcess(task, undefined, pty)));
  channelSession.on('exec', (accept, _reject, info) => start(accept(), (task) => startSessionProcess(task, info.command, pty)));
  channelSession.on('subsystem', (accept, reject, info) => {
    if (info.name !== 'sftp') return reject?.();
    start(accept(), (task) => startSftpProcess(task, options.sftpWorker));
  });
}
