/**
 * The local SSH endpoint (`SSH_PORT`, 2222 by default), built on ssh2: `ssh -p 2222
 * <workspace>.<owner>@localhost` opens a shell, runs a command, serves SFTP or forwards a local
 * port inside that workspace's running task, for whoever SshGate admits. Public-key logins only.
 * What it refuses, and why:
 * - agent and X11 forwarding: they would hand the workspace (and anyone else able to run code
 *   in it) a way to the client's keys or display;
 * - remote forwarding (`-R`) and Unix-socket forwarding: nothing on the platform should listen
 *   on the control plane's machine on a user's behalf;
 * - `SendEnv`/`setenv`: the session's environment is the workspace's, exactly (a client-set
 *   `LD_PRELOAD`, `PATH` or `SATURN_TOKEN` would change what runs, and whom it acts as);
 * - `-L` to anything but a socket the workspace itself listens on at loopback (workspace-listeners.ts).
 * A session counts as activity for `auto_shutoff` while it is open, and its start and end are
 * recorded on the workspace.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
// ssh2 is CommonJS: Node's ESM loader gives its exports as the default only.
import ssh2, { type Connection } from 'ssh2';
import { answerPublicKeyLogins } from '../../../shared/adapters/ssh/public-key-login.ts';
import { workspaceNotRunningMessage } from '../../../shared/domain/ssh/workspace-not-running.ts';
import type { SshAdmission, SshGate } from '../../../shared/app/ssh-gate.ts';
import type { TaskShellContext } from '../process-driver/running-task.ts';
import type { HostKey } from './ssh-host-key.ts';
import { serveSessionChannel } from '../../ssh-session/session-channel.ts';
import { forwardTcp } from '../../ssh-session/tcp-forward.ts';
import type { Command } from '../../ssh-session/session-context.ts';
import { isLoopbackTarget, workspaceListensOn, type ListenerOwner } from './workspace-listeners.ts';

/** What the endpoint needs of the runtime that runs workspaces here. */
export interface LocalWorkspaces {
  /** How to run a process inside the workspace's running replica; undefined when none runs. */
  shellContext(resourceId: string): TaskShellContext | undefined;
  /** The session is activity for auto_shutoff until the returned function is called. */
  sessionOpened(resourceId: string): () => void;
}

export interface LocalSshServerOptions {
  port: number;
  host?: string;
  hostKey: HostKey;
  /** Who may log in, and where sessions are recorded (shared/app/ssh-gate.ts). */
  gate: Pick<SshGate, 'admit' | 'sessionStarted' | 'sessionEnded'>;
  workspaces: LocalWorkspaces;
  log?: (line: Record<string, unknown>) => void;
}

export interface LocalSshServer {
  port: number;
  close(): Promise<void>;
}

/** The SFTP worker here: its TypeScript entry, through tsx as the control plane itself runs. */
const SFTP_WORKER: Command = { file: process.execPath, args: ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./sftp-worker.ts', import.meta.url))] };

interface OpenSession {
  admission: SshAdmission;
  id: string;
  from: string;
}

export async function startLocalSshServer(options: LocalSshServerOptions): Promise<LocalSshServer> {
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  const connections = new Set<Connection>();
  const server = new ssh2.Server({ hostKeys: [options.hostKey.privateKey], ident: 'Cassini' }, (client, info) => {
    connections.add(client);
    const from = `${info.ip}:${info.port}`;
    let session: OpenSession | undefined;
    let admission: SshAdmission | undefined;
    answerPublicKeyLogins(client, (login, key) => options.gate.admit(login, key), {
      proved: (admitted) => (admission = admitted),
      failed: (error) => log({ level: 'error', component: 'ssh', message: 'login check failed', error: String(error) }),
    });
    client.on('ready', () => {
      if (admission === undefined) return client.end();
      const open: OpenSession = { admission, id: randomUUID(), from };
      session = open;
      const workspaceId = open.admission.workspace.id;
      const release = options.workspaces.sessionOpened(workspaceId);
      const ended = options.gate.sessionStarted(open.admission, open).catch((error: unknown) => log({ level: 'error', component: 'ssh', message: 'could not record the session start', error: String(error) }));
      client.once('close', () => {
        release();
        void ended.then(() => options.gate.sessionEnded(open.admission, open)).catch((error: unknown) => log({ level: 'error', component: 'ssh', message: 'could not record the session end', error: String(error) }));
      });
    });
    client.on('session', (accept) => {
      if (session === undefined) return;
      const { admission: admitted } = session;
      serveSessionChannel(accept(), { context: () => options.workspaces.shellContext(admitted.workspace.id) ?? workspaceNotRunningMessage(admitted.workspace), sftpWorker: SFTP_WORKER });
    });
    client.on('tcpip', (accept, reject, target) => {
      if (session === undefined) return reject();
      const task = options.workspaces.shellContext(session.admission.workspace.id);
      const owner: ListenerOwner | undefined = task === undefined ? undefined : task.user !== undefined ? { uid: task.user.uid } : { home: task.home };
      if (owner === undefined || !isLoopbackTarget(target.destIP) || !workspaceListensOn(target.destPort, owner)) return reject();
      forwardTcp(accept, reject, target.destIP === 'localhost' ? '127.0.0.1' : target.destIP, target.destPort);
    });
    // Global requests: -R (tcpip-forward), and anything else a client may ask.
    client.on('request', (_accept, reject) => reject?.());
    client.on('error', () => undefined);
    client.on('close', () => connections.delete(client));
  });
  server.on('error', (error: Error) => log({ level: 'error', component: 'ssh', message: 'SSH endpoint error', error: String(error) }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const client of connections) client.end();
      await closed;
    },
  };
}
